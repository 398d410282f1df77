import Foundation
import LineageCore
import LineageGit
import LineageStore

public struct EraseResult: Codable, Sendable {
    public var record: ErasureRecord
    /// The signed commit that records the tombstone.
    public var commit: String
    /// Objects (chunks and the chunk list) deleted from the local store, and their bytes.
    public var objectsRemoved: Int
    public var bytesRemoved: UInt64
    /// Chunks of this version kept because other, non-erased versions use them too.
    public var chunksShared: Int
    /// True when the working file still holds the erased bytes (lineage does not delete your files).
    public var workingFileHasContent: Bool
}

/// A tombstone received from a remote and applied to the local store.
public struct AppliedErasure: Codable, Sendable, Equatable {
    public let path: String
    public let sha256: String
    public let objectsRemoved: Int
    public let bytesRemoved: UInt64
    public let chunksShared: Int
    /// True when the working file still holds the erased bytes (lineage does not delete your files).
    public let workingFileHasContent: Bool
}

extension Repository {
    static let erasuresDirectory = "erasures"
    static func erasureRecordPath(_ sha256: Digest) -> String { "\(erasuresDirectory)/\(sha256.hex).json" }

    /// Tombstones a tree carries (carried forward like every record), by the erased digest.
    func erasures(inTree tree: ObjectID) throws -> [Digest: ErasureRecord] {
        let prefix = Repository.erasuresDirectory + "/"
        var out: [Digest: ErasureRecord] = [:]
        for file in try git.records(inTree: tree) where file.path.hasPrefix(prefix) && file.path.hasSuffix(".json") {
            do {
                let record = try ErasureRecord.decode(try git.readBlob(file.id))
                out[record.sha256] = record
            } catch {
                throw LineageError.damagedRepository("erasure record .lineage/\(file.path) is not valid: \(error)")
            }
        }
        return out
    }

    /// Tombstones at HEAD.
    func headErasures() throws -> [Digest: ErasureRecord] {
        guard let head = try headCommit() else { return [:] }
        return try erasures(inTree: try git.commit(head).tree)
    }

    /// The error for reading erased content: names the tombstone.
    func erasedError(_ path: String, _ sha256: Digest) -> LineageError? {
        // Also tombstones fetched but not merged yet: their bytes are gone here too.
        guard let record = (try? receivedErasures())?[sha256] else { return nil }
        return .erased(path: path, record: record)
    }

    /// The objects of version `p` (its chunk list and chunks) that no retained version needs — every
    /// version any commit of any reference or the staging index names, except the `erased` ones —
    /// and how many of its chunks stay because a retained version shares them.
    func erasableObjects(of p: Pointer, erased: Set<Digest>, head: ObjectID?, list: ChunkList?) throws -> (remove: Set<Digest>, shared: Int) {
        var keep = Set<Digest>()
        var roots = try git.referenceTargets()
        if let head { roots.append(head) }
        var pointerIDs = Set<ObjectID>()
        for id in try git.walk(from: roots) { for f in try git.files(inTree: try git.commit(id).tree) { pointerIDs.insert(f.id) } }
        for e in try openIndex().entries { pointerIDs.insert(e.id) }
        for id in pointerIDs {
            let other = try pointer(id)
            guard !erased.contains(other.sha256) else { continue }
            keep.insert(other.chunks)
            // A version never fetched here (partial content) has no chunks here to keep.
            guard store.contains(other.chunks) else { continue }
            let otherList: ChunkList
            do { otherList = try ChunkList.decode(try store.read(other.chunks)) } catch {
                throw LineageError.damagedRepository("cannot read the chunk list of pointer \(id.hex) (\(error)); erase stopped before deleting anything, run `lineage verify`")
            }
            for entry in otherList.entries { keep.insert(entry.digest) }
        }
        var remove = Set<Digest>()
        var shared = 0
        if let list {
            for entry in list.entries { if keep.contains(entry.digest) { shared += 1 } else { remove.insert(entry.digest) } }
        }
        if !keep.contains(p.chunks) { remove.insert(p.chunks) }
        return (remove, shared)
    }

    /// Tombstones this repository has received: HEAD's and those of every remote branch fetched.
    func receivedErasures() throws -> [Digest: ErasureRecord] {
        var out = try headErasures()
        for r in try git.references(withPrefix: Repository.remoteTrackingRoot) {
            for (d, record) in try erasures(inTree: try git.commit(r.id).tree) where out[d] == nil { out[d] = record }
        }
        return out
    }

    /// Applies tombstones received from a remote (`fetch`, `pull`): the local bytes of each version a
    /// fetched branch has erased go (chunks a retained version shares stay); the working file, if
    /// any, is left alone (lineage does not delete your files) and reported. Caller holds the lock.
    /// - Parameter received: the tombstones known here (`receivedErasures()`), read once by the caller.
    func applyReceivedErasures(_ received: [Digest: ErasureRecord]) throws -> [AppliedErasure] {
        guard !received.isEmpty else { return [] }
        let head = try headCommit()
        var applied: [AppliedErasure] = []
        // The version (pointer) each tombstone names, looked up at the tombstone's own path in the
        // history (one tree entry per commit, not every file): only those whose bytes are still here.
        var byDigest: [Digest: Pointer] = [:]
        var open = received
        var roots = try git.referenceTargets()
        if let head { roots.append(head) }
        for id in try git.walk(from: roots) where !open.isEmpty {
            let tree = try git.commit(id).tree
            for (digest, record) in open {
                guard let blob = try git.entry(inTree: tree, path: record.path), let p = try? pointer(blob), p.sha256 == digest else { continue }
                if store.contains(p.chunks) { byDigest[digest] = p }
                open[digest] = nil
            }
        }
        for (digest, p) in byDigest.sorted(by: { $0.key < $1.key }) {
            let list = try? ChunkList.decode(try store.read(p.chunks))
            let (remove, shared) = try erasableObjects(of: p, erased: Set(received.keys), head: head, list: list)
            try beginErasure(of: digest, removing: remove)
            let removed = try store.remove(remove)
            endErasure()
            let record = received[digest]!
            let working = root + "/" + record.path
            let stillThere = FileStat.lstat(working).map { $0.size == p.size } == true && (try? hashFile(working)) == p.sha256
            applied.append(AppliedErasure(path: record.path, sha256: "sha256:" + digest.hex, objectsRemoved: removed.objects,
                                          bytesRemoved: removed.bytes, chunksShared: shared, workingFileHasContent: stillThere))
        }
        return applied
    }

    /// `lineage erase <path>[@rev]`: deletes the bytes of that artifact version from the local store
    /// — chunks that other, non-erased versions use stay — and records a signed tombstone (who, when,
    /// why, digest) in a new commit on top of HEAD's files. History is not rewritten: old commits
    /// still name the digest, `verify` passes and lists the erasure, and reading the content fails
    /// with a message naming the tombstone.
    ///
    /// The tombstone is committed first and the bytes removed second, so an interrupted erase is
    /// finished by running it again.
    public func erase(_ spec: String, reason: String, cwd: String, now: Int64? = nil) throws -> EraseResult {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw LineageError.invalidArgument("say why with --reason \"...\" (e.g. the erasure request's reference); it goes into the signed tombstone") }
        var pathArgument = spec
        var revision = "HEAD"
        if let at = spec.lastIndex(of: "@"), !spec[spec.index(after: at)...].contains("/") {
            pathArgument = String(spec[..<at]); revision = String(spec[spec.index(after: at)...])
        }
        return try withWriteLock {
            guard let head = try headCommit() else { throw LineageError.noCommits }
            let stamp = now ?? nowSeconds()
            let key = try signingKey()
            try checkSigner(key, parent: head, now: stamp)
            let who = try identity(now: stamp)
            let commit = try resolveRevision(revision)
            let path = try resolve(pathArgument, cwd: cwd).relative
            guard let tracked = try? TrackedPath(path), let pointerID = try? pointerID(at: commit, path: tracked) else {
                let known = try files(ofCommit: commit).keys
                throw LineageError.notTracked(pathArgument, suggestions: closest(path, among: known.map(\.string)))
            }
            let p = try pointer(pointerID)
            let existing = try headErasures()
            let list = try? ChunkList.decode(try store.read(p.chunks))
            if let done = existing[p.sha256], list == nil {
                throw LineageError.invalidArgument("\(path) at \(p.sha256.hex.prefix(12)) was already erased on \(done.erasedAt) by \(done.erasedBy) (\(done.reason)); nothing to do")
            }

            // What every other, non-erased version needs stays.
            let (remove, shared) = try erasableObjects(of: p, erased: Set(existing.keys).union([p.sha256]), head: head, list: list)

            // 1. The signed tombstone (unless an interrupted erase already wrote it).
            let record = existing[p.sha256] ?? ErasureRecord(path: path, sha256: p.sha256, size: p.size,
                                                              erasedAt: Date(timeIntervalSince1970: TimeInterval(stamp)),
                                                              erasedBy: "\(who.name) <\(who.email)>", reason: why)
            var commitHex = head.hex
            // The bytes to remove are journalled before the tombstone is committed: if this process
            // dies after the commit, the next writer finishes the removal and `verify` reports it
            // unfinished until then.
            // A journal that could not be made durable is no journal: nothing is committed yet.
            do { try beginErasure(of: p.sha256, removing: remove) } catch { endErasure(); throw error }
            if existing[p.sha256] == nil {
                let message = "erase \(path) (\(p.sha256.hex.prefix(12))): \(why)\n"
                let id: ObjectID
                do {
                    id = try writeSignedCommit(userTree: try git.commit(head).tree, parent: head, message: message,
                                               records: [PathKey(Repository.erasureRecordPath(p.sha256)): try record.encoded()], signer: key, now: stamp)
                    try git.updateReference(try git.headBranchRef(), to: id, expected: head, message: "erase \(path)")
                } catch {
                    endErasure()
                    throw error
                }
                commitHex = id.hex
                if let graph = try? openLineageIndex() { _ = try? syncGraph(graph) }
            }
            // 2. The bytes.
            killPoint("erase-after-tombstone")
            let removed: (objects: Int, bytes: UInt64)
            do { removed = try store.remove(remove) } catch {
                // The journal stays: the next command that writes finishes the removal.
                throw ErasureUnfinished(path: path, commit: commitHex, underlying: error)
            }
            endErasure()
            let working = root + "/" + path
            let stillThere = FileStat.lstat(working).map { $0.size == p.size } == true && (try? hashFile(working)) == p.sha256
            return EraseResult(record: record, commit: commitHex, objectsRemoved: removed.objects, bytesRemoved: removed.bytes,
                               chunksShared: shared, workingFileHasContent: stillThere)
        }
    }
}

/// The tombstone is committed but removing the bytes failed (disk full, I/O error): the erasure is
/// journalled and finished by the next command that writes.
public struct ErasureUnfinished: Error, CustomStringConvertible, CategorizedError {
    public let path: String
    public let commit: String
    public let underlying: Error
    public var category: FailureCategory { (underlying as? CategorizedError)?.category ?? .system }
    public var description: String {
        "the tombstone for \(path) is committed (\(commit.prefix(12))), but removing its bytes failed: \(withHint(underlying)) — "
            + "the next lineage command that writes finishes the removal (`lineage gc`, for one)"
    }
}
