import Foundation
import LineageCore
import LineageGit
import LineageRemote
import LineageStore

/// One erased version whose bytes a push removed from a remote's content location.
public struct RemoteErasedVersion: Codable, Sendable, Equatable {
    public let path: String
    /// `sha256:<hex>` of the erased version.
    public let sha256: String
    /// Objects of the version (its chunk list and chunks) no retained version needs: erased there.
    public let objectsErased: Int
    /// Chunks kept on the remote because a retained version (any reference here or on the remote) uses them too.
    public let chunksShared: Int
}

/// What push did to erase bytes on a remote after its history carried the tombstones.
public struct RemoteErasureOutcome: Codable, Sendable {
    public var location: String
    public var erased: [RemoteErasedVersion] = []
    /// The content store's own report of the erasure (packs rewritten, bytes deleted, requests).
    public var report: RemoteEraseReport? = nil
}

/// Per remote, which erasures this clone has applied to the remote's content location and which
/// are pending (`.lineage/remote-erasures.json`, written atomically under the repository lock).
struct RemoteErasureState: Codable, Equatable {
    struct Applied: Codable, Equatable {
        var at: String
        var objectsErased: Int
        var chunksShared: Int
    }
    struct Pending: Codable, Equatable {
        var since: String
        var reason: String
    }
    struct Remote: Codable, Equatable {
        /// The content location the entries are about (a new location starts over).
        var location: String
        /// By erased digest (hex).
        var applied: [String: Applied] = [:]
        var pending: [String: Pending] = [:]
    }
    var format = 1
    var remotes: [String: Remote] = [:]

    /// The entry of `remote` for `location` (empty when none, or when it was about another location).
    func entry(_ remote: String, location: String) -> Remote {
        if let e = remotes[remote], e.location == location { return e }
        return Remote(location: location)
    }
}

extension Repository {
    var remoteErasureStateFile: String { layout.dotLineage + "/remote-erasures.json" }

    func loadRemoteErasureState() throws -> RemoteErasureState {
        guard let data = FileManager.default.contents(atPath: remoteErasureStateFile) else { return RemoteErasureState() }
        do { return try JSONDecoder().decode(RemoteErasureState.self, from: data) } catch {
            throw LineageError.damagedRepository("\(remoteErasureStateFile) is not readable (\(error)); it records which erasures reached which remote — delete it and push again (each erasure is then applied once more, which is harmless)")
        }
    }

    func saveRemoteErasureState(_ state: RemoteErasureState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(Array(try encoder.encode(state)), to: remoteErasureStateFile)
    }

    /// Push refuses new commits that name a version a tombstone known here has erased while the
    /// pushed tip does not carry that tombstone: a clone that has not merged the erasure must not
    /// bring the bytes (or a reference to them) back. Caller holds the lock.
    func refuseErasedContent(pushing tip: ObjectID, excluding known: [ObjectID], remote: String, branch: String) throws {
        let erased = try receivedErasures()
        guard !erased.isEmpty else { return }
        let carried = try erasures(inTree: try git.commit(tip).tree)
        let uncarried = erased.filter { carried[$0.key] == nil }
        guard !uncarried.isEmpty else { return }
        let new = try git.walk(from: [tip], hiding: known.filter { git.contains($0) })
        var seen = Set<ObjectID>()
        for id in new {
            let info = try git.commit(id)
            let base = try info.parents.first.map { try git.commit($0).tree }
            for f in try git.changedBlobs(from: base, to: info.tree) where seen.insert(f.id).inserted {
                guard let p = try? pointer(f.id), let record = uncarried[p.sha256] else { continue }
                throw RemoteFailure.erasedContent(remote: remote, branch: branch, path: f.path, commit: id.hex, record: record)
            }
        }
    }

    /// After the history reached `remote`: removes from its content location the bytes of every
    /// version a tombstone on the remote's history erased and this clone has not erased there yet
    /// (or left pending). Only objects no retained version needs — any reference here or on the
    /// remote — go; shared chunks stay and are counted. Records the outcome per remote; on a
    /// refusal (no delete permission, versions that remain, a held lease...) the erasures stay
    /// pending and the library's error is thrown. Caller holds the lock.
    /// `content` is asked for only when there is something to erase (so a push with nothing to
    /// erase needs no credentials for the content location).
    func applyRemoteErasures(remote: RemoteConfig, content makeContent: () throws -> RemoteContent?, jobs: Int) throws -> RemoteErasureOutcome? {
        guard let location = remote.effectiveContent else { return nil }
        let onRemote = try remoteErasures(remote.name)
        var state = try loadRemoteErasureState()
        var entry = state.entry(remote.name, location: location)
        let todo = onRemote.filter { entry.applied[$0.key.hex] == nil }
        guard !todo.isEmpty else { return nil }
        var outcome = RemoteErasureOutcome(location: location)
        let now = Timestamp.rfc3339(Date())
        do {
            guard let content = try makeContent() else { return nil }
            let erased = Set(try receivedErasures().keys).union(onRemote.keys)
            let history = try historyContent(from: try allReferenceRoots(), erased: erased, content: content, jobs: jobs)
            if let lost = history.retained.first(where: { history.unavailable.contains($0.key) }) {
                throw LineageError.missingContent(path: lost.value.path,
                    detail: "the chunk list \(lost.key.hex) of this retained version is neither here nor on \(content.location), so which erased chunks it shares cannot be told; the erasure stays pending — push it from a clone that has the version, or run `lineage verify --remote \(remote.name)`")
            }
            let keep = history.retainedObjects
            var remove = Set<Digest>()
            var plans: [(Digest, ErasureRecord, Int, Int)] = []
            for (digest, record) in todo.sorted(by: { $0.key < $1.key }) {
                let (lists, chunks) = history.objects(ofErased: digest)
                let mine = lists.union(chunks).subtracting(keep)
                remove.formUnion(mine)
                plans.append((digest, record, mine.count, chunks.intersection(keep).count))
            }
            outcome.report = try content.erase(remove, jobs: jobs)
            for (digest, record, objects, shared) in plans {
                entry.applied[digest.hex] = .init(at: now, objectsErased: objects, chunksShared: shared)
                entry.pending[digest.hex] = nil
                outcome.erased.append(RemoteErasedVersion(path: record.path, sha256: "sha256:" + digest.hex, objectsErased: objects, chunksShared: shared))
            }
            state.remotes[remote.name] = entry
            try saveRemoteErasureState(state)
            return outcome
        } catch {
            for digest in todo.keys {
                entry.pending[digest.hex] = .init(since: entry.pending[digest.hex]?.since ?? now, reason: String(describing: error))
            }
            state.remotes[remote.name] = entry
            try? saveRemoteErasureState(state)
            throw error
        }
    }
}
