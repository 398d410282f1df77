import Foundation
import LineageCore
import LineageGit
import LineageRemote
import LineageStore

/// What the history known here says about the content objects a remote must hold: the file
/// versions (pointers) every reference reaches, split into retained ones and erased ones, with
/// their chunk lists. Shared by the remote steps of push (erasure), `gc --remote` and
/// `verify --remote`.
struct HistoryContent {
    /// A file version some commit names, with a path and commit for messages.
    struct Version {
        let pointer: Pointer
        let path: String
        let commit: ObjectID
    }
    /// Versions no tombstone names, by chunk-list digest (one version per list).
    var retained: [Digest: Version] = [:]
    /// Versions a tombstone names, by erased file digest: their chunk-list digests.
    var erased: [Digest: Set<Digest>] = [:]
    /// Chunk lists read (locally, or from the remote into a scratch store), by digest.
    var lists: [Digest: ChunkList] = [:]
    /// Chunk lists neither here nor on the remote.
    var unavailable: Set<Digest> = []

    /// Every object (chunk list and chunk) a retained version needs, as far as its list is known.
    var retainedObjects: Set<Digest> {
        var out = Set<Digest>()
        for d in retained.keys {
            out.insert(d)
            for e in lists[d]?.entries ?? [] { out.insert(e.digest) }
        }
        return out
    }

    /// The objects of an erased version (its chunk lists and their chunks, as far as known).
    func objects(ofErased sha256: Digest) -> (lists: Set<Digest>, chunks: Set<Digest>) {
        let ids = erased[sha256] ?? []
        var chunks = Set<Digest>()
        for d in ids { for e in lists[d]?.entries ?? [] { chunks.insert(e.digest) } }
        return (ids, chunks)
    }
}

extension Repository {
    /// The pack-layout content of a remote's content location, or nil when it has none.
    func remoteContent(for remote: RemoteConfig) throws -> RemoteContent? {
        guard let transfer = try contentTransfer(for: remote) else { return nil }
        return (transfer as? RemoteContentTransfer)?.content
    }

    /// The versions every commit of `roots` names (each commit's changes against its first parent:
    /// together every tree's files), split by `erasedDigests`; chunk lists read from the local store
    /// and, for those not here, from `content` (into a scratch store that is deleted afterwards).
    func historyContent(from roots: [ObjectID], erased erasedDigests: Set<Digest>, content: RemoteContent?,
                        jobs: Int) throws -> HistoryContent {
        var out = HistoryContent()
        var seen = Set<ObjectID>()
        for id in try git.walk(from: roots) {
            let info = try git.commit(id)
            let base = try info.parents.first.map { try git.commit($0).tree }
            for f in try git.changedBlobs(from: base, to: info.tree) where seen.insert(f.id).inserted {
                let p: Pointer
                do { p = try pointer(f.id) } catch {
                    throw LineageError.damagedRepository("cannot read the pointer of \(f.path) in commit \(id.hex) (\(error)); nothing on the remote was changed — run `lineage verify`")
                }
                if erasedDigests.contains(p.sha256) { out.erased[p.sha256, default: []].insert(p.chunks) }
                else if out.retained[p.chunks] == nil { out.retained[p.chunks] = HistoryContent.Version(pointer: p, path: f.path, commit: id) }
            }
        }
        let wanted = Set(out.retained.keys).union(out.erased.values.joined())
        var remote = Set<Digest>()
        for d in wanted {
            if store.contains(d), let list = try? store.chunkList(d) { out.lists[d] = list } else { remote.insert(d) }
        }
        guard !remote.isEmpty else { return out }
        guard let content else { out.unavailable = remote; return out }
        // Every index object read again first (`indexedPacks` lists all of `index/`): the cache may
        // still hold index objects another clone's erasure or gc replaced, listing what is gone.
        _ = try content.indexedPacks(jobs: jobs)
        let (present, missing) = try content.locate(remote, jobs: jobs)
        out.unavailable = missing
        guard !present.isEmpty else { return out }
        // A scratch store in .lineage/tmp (a killed run's is removed by the next writer).
        try ensureTemporaryDirectory()
        let scratch = temporaryDirectory + "/" + Leftovers.temporaryName(prefix: Repository.chunkListScratchPrefix)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try ContentStore.create(at: scratch)
        let lists = try ContentStore(directory: scratch)
        _ = try content.download(present, into: lists, jobs: jobs)
        for d in present {
            do { out.lists[d] = try lists.chunkList(d) } catch { out.unavailable.insert(d) }
        }
        return out
    }

    /// Targets of every reference (local branches, every remote's tracking refs) and HEAD.
    func allReferenceRoots() throws -> [ObjectID] {
        var roots = try git.referenceTargets()
        if let head = try headCommit() { roots.append(head) }
        return roots
    }

    /// Tombstones the history of `remote` carries, as last fetched or pushed (its tracking refs).
    func remoteErasures(_ remote: String) throws -> [Digest: ErasureRecord] {
        var out: [Digest: ErasureRecord] = [:]
        for r in try git.references(withPrefix: Repository.trackingPrefix(remote)) {
            for (d, record) in try erasures(inTree: try git.commit(r.id).tree) where out[d] == nil { out[d] = record }
        }
        return out
    }
}
