import Foundation
import LineageCore
import LineageGit
import LineageStore

public struct GCResult: Codable, Sendable {
    /// History objects rewritten into fresh packs.
    public var historyObjectsRepacked: Int = 0
    public let objectsBefore: Int
    public let objectsAfter: Int
    public let bytesBefore: UInt64
    public let bytesAfter: UInt64
}

extension Repository {
    /// Drops content no commit, branch or staged file refers to, and repacks the rest; rewrites the
    /// history objects still needed into one pack and drops the others (e.g. intermediate trees).
    /// It refuses to run when any pointer or chunk list cannot be read: deleting on incomplete
    /// knowledge could lose data.
    public func gc() throws -> GCResult {
        try withWriteLock {
            var roots = try git.referenceTargets()
            if let head = try headCommit() { roots.append(head) }
            var pointerIDs = Set<ObjectID>()
            for id in try git.walk(from: roots) {
                for f in try git.files(inTree: try git.commit(id).tree) { pointerIDs.insert(f.id) }
            }
            let staged = try openIndex().entries.map(\.id)
            for id in staged { pointerIDs.insert(id) }
            var keep = Set<Digest>()
            // Erased versions have no bytes left to keep.
            let erased = try headErasures()
            for id in pointerIDs {
                let p = try pointer(id)
                if erased[p.sha256] != nil { continue }
                keep.insert(p.chunks)
                let list: ChunkList
                do { list = try ChunkList.decode(try store.read(p.chunks)) } catch {
                    throw LineageError.damagedRepository("cannot read the chunk list of pointer \(id.hex) (\(error)); gc stopped without deleting anything")
                }
                for e in list.entries { keep.insert(e.digest) }
            }
            let stats = try store.gc(keep: keep)
            var result = GCResult(objectsBefore: stats.objectsBefore, objectsAfter: stats.objectsAfter,
                                  bytesBefore: stats.bytesBefore, bytesAfter: stats.bytesAfter)
            result.historyObjectsRepacked = try git.repack(all: true, reachableFrom: roots, keep: staged)
            return result
        }
    }
}
