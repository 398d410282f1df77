import Foundation
import LineageCore
import LineageStore
#if canImport(Glibc)
import Glibc
#endif

// Rewriting packs on a remote without some of their objects: what erasure and gc's sweep share.
//
// The order keeps the remote readable at every step, and a run killed at any point is finished
// by running it again:
//   1. each affected pack's other objects are copied (each read, checked and written as stored)
//      into a replacement pack, sent with ifAbsent and read back;
//   2. one index object names the replacements and the other packs of the index objects that
//      named an affected pack (so those index objects can go), and is read back;
//   3. those index objects are deleted: no index object names an affected pack any more;
//   4. the affected packs are deleted.
// Readers whose view predates step 3 find a pack missing in step 4's window: they read the index
// objects again and take the objects from the replacements. A run killed between 3 and 4 leaves
// affected packs that no index object names: an erasure's rerun finds them by reading the packs
// no index object names (as it does for interrupted uploads' packs), a sweep's rerun by its mark.

extension RemoteContent {
    /// How a rewrite deletes the packs it replaces or drops.
    enum PackDeletion {
        /// Every version of each, and check they are gone (erasure).
        case purge
        /// Each only while its entity tag is the one given (gc: a pack someone wrote again since
        /// the mark stays, and stays listed).
        case conditional([String: String])
        /// Plainly (gc on a store without conditional requests, told nobody else writes).
        case unconditional
    }

    struct RewriteOutcome {
        var packsRewritten = 0
        var packsDropped = 0
        /// Affected packs deleted (rewritten or dropped).
        var packsDeleted = 0
        /// Affected packs a conditional delete found changed: kept, and still listed.
        var packsKept = 0
        var indexObjectsWritten = 0
        var indexObjectsDeleted = 0
        var bytesDeleted: UInt64 = 0
        var versionsDeleted = 0
    }

    /// Every index object known (after a full refresh), decoded from the cache, in key order.
    func cachedIndexes() throws -> [(key: String, index: RemoteIndex, size: UInt64)] {
        try lock.withLock({ known.indexKeys }).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).compactMap { key in
            guard let bytes = try LocalFiles.readIfPresent(cachePath(indexKey: key)) else { return nil }
            return (key, try RemoteIndex.decode(bytes, key: key, location: location), UInt64(bytes.count))
        }
    }

    /// Removes the objects of `drop` (pack id → digests) from the packs holding them, as the
    /// comment above says, then reads the index objects again and checks that every object listed
    /// before is still listed, but for those dropped. Packs `drop` names that no index object
    /// names, or that hold none of their digests, are left alone. `beforeDeleting` runs before
    /// the first deletion (the lease check). The view of the remote must be fresh (full refresh).
    func rewrite(dropping drop: [String: Set<Digest>], deletion: PackDeletion, via s: CountingBlobStore, jobs: Int,
                 beforeDeleting: () throws -> Void) throws -> RewriteOutcome {
        var out = RewriteOutcome()
        let indexes = try cachedIndexes()
        var byID: [String: RemotePack] = [:]
        var namers: [String: [String]] = [:]
        for x in indexes {
            for p in x.index.packs {
                if byID[p.id] == nil { byID[p.id] = p }
                namers[p.id, default: []].append(x.key)
            }
        }
        let packsByID = byID, naming = namers
        let affectedIDs = drop.keys.filter { id in
            guard let p = packsByID[id], let d = drop[id] else { return false }
            return p.entries.contains { d.contains($0.digest) }
        }.sorted()
        guard !affectedIDs.isEmpty else { return out }
        let affected = Set(affectedIDs)
        let affectedIndexKeys = Set(affectedIDs.flatMap { naming[$0] ?? [] })
        let namedBySurvivors = Set(indexes.filter { !affectedIndexKeys.contains($0.key) }.flatMap { $0.index.packs.map(\.id) })
        let listedBefore = Set(packsByID.values.flatMap { $0.entries.map(\.digest) })
        let heldElsewhere = LazyDigests { Set(packsByID.values.filter { !affected.contains($0.id) }.flatMap { $0.entries.map(\.digest) }) }

        // 1. Replacements.
        try LocalFiles.makeDirectories(cacheDirectory + "/tmp")
        removeTemporaryFilesOfDeadProcesses()
        let results = ResultSlots<Replacement>(count: affectedIDs.count)
        try ParallelJobs().run(count: affectedIDs.count, jobs: jobs, work: { [self] i in
            let old = packsByID[affectedIDs[i]]!
            let dropped = drop[old.id]!
            let keep = old.entries.filter { !dropped.contains($0.digest) }
            let r = try self.replacement(for: old, keeping: keep, indexKey: naming[old.id]![0], listed: namedBySurvivors,
                                         heldElsewhere: heldElsewhere, via: s)
            results.set(i, Replacement(pack: r))
        }, onProgress: {})
        let replacements = results.values.compactMap { $0?.pack }
        out.packsRewritten = replacements.count
        out.packsDropped = affectedIDs.count - replacements.count

        // 2. One index object for the replacements and the other packs of the index objects that go.
        var listed = namedBySurvivors
        var toName = replacements.filter { listed.insert($0.id).inserted }
        for x in indexes where affectedIndexKeys.contains(x.key) {
            for p in x.index.packs where !affected.contains(p.id) && listed.insert(p.id).inserted { toName.append(p) }
        }
        if !toName.isEmpty {
            try writeIndex(toName, via: s)
            out.indexObjectsWritten += 1
        }

        // 3. The index objects that named the affected packs: from here on no index object names
        // them (a reader whose view is older finds a pack missing, reads the index objects again
        // and takes the objects from the replacements).
        try beforeDeleting()
        let oldIndexKeys = affectedIndexKeys.sorted()
        if case .purge = deletion {
            out.versionsDeleted += try purgeOrExplain(oldIndexKeys, via: s)
        } else {
            try s.delete(oldIndexKeys)
        }
        out.indexObjectsDeleted = oldIndexKeys.count
        out.bytesDeleted += indexes.filter { affectedIndexKeys.contains($0.key) }.reduce(UInt64(0)) { $0 + $1.size }
        for key in oldIndexKeys { unlink(cachePath(indexKey: key)) }
        lock.withLock { cacheLoaded = false }
        try loadCache()

        // 4. The affected packs.
        let affectedKeys = affectedIDs.map { RemoteLayout.packKey(id: $0) }
        var kept: [RemotePack] = []
        switch deletion {
        case .purge:
            out.versionsDeleted += try purgeOrExplain(affectedKeys, via: s)
            out.packsDeleted = affectedIDs.count
        case .unconditional:
            try s.delete(affectedKeys)
            out.packsDeleted = affectedIDs.count
        case .conditional(let etags):
            for id in affectedIDs {
                let key = RemoteLayout.packKey(id: id)
                if let etag = etags[key], try s.delete(key, ifMatch: etag) {
                    out.packsDeleted += 1
                } else if try s.head(key) != nil {
                    kept.append(packsByID[id]!)
                } else {
                    out.packsDeleted += 1   // gone already (an earlier, interrupted sweep)
                }
            }
        }
        for id in affectedIDs { unlink(pendingPath(id)) }
        let keptIDs = Set(kept.map(\.id))
        out.bytesDeleted += affectedIDs.filter { !keptIDs.contains($0) }.reduce(UInt64(0)) { $0 + packsByID[$1]!.size }
        // A pack written again since the mark (its entity tag changed) is someone's: name it again.
        out.packsKept = kept.count
        let stillUnnamed = kept.filter { listed.insert($0.id).inserted }
        if !stillUnnamed.isEmpty {
            try writeIndex(stillUnnamed, via: s)
            out.indexObjectsWritten += 1
        }

        // Read back: what the remote lists now.
        try refresh(full: true, via: s, jobs: jobs)
        let droppedDigests = Set(affectedIDs.filter { !keptIDs.contains($0) }.flatMap { drop[$0]! })
        if let lost = listedBefore.first(where: { !droppedDigests.contains($0) && !knows($0) }) {
            throw RemoteCleanupError.notVerified(location: location,
                detail: "object sha256:\(lost.hex), which had to stay, is no longer listed by any index object")
        }
        if case .purge = deletion {
            for key in affectedKeys where try s.head(key) != nil {
                throw RemoteCleanupError.notVerified(location: location, detail: "\(key) is still there after it was deleted")
            }
        }
        return out
    }

    private struct Replacement: Sendable { var pack: RemotePack? }

    /// The pack that replaces `old`, holding `keep` (its entries in pack order): nil when nothing
    /// is left to hold. A replacement an index object already names, or one an earlier run sent
    /// (it reads back right), is used as it is; else the objects are read from `old`, checked, and
    /// written as stored. A kept object `old` cannot give (damaged, missing) is left out when
    /// another pack holds it, else the rewrite stops with `objectLost` before anything is deleted.
    private func replacement(for old: RemotePack, keeping keep: [RemotePackEntry], indexKey: String, listed: Set<String>,
                             heldElsewhere: LazyDigests, via s: CountingBlobStore) throws -> RemotePack? {
        guard !keep.isEmpty else { return nil }
        let expected = RemotePack(entries: Self.packedContiguously(keep))
        if listed.contains(expected.id) { return expected }
        var overwrite = false
        if let info = try s.head(expected.key) {
            if info.size == expected.size, (try? verifyStored(expected, via: s)) != nil { return expected }
            overwrite = true   // something wrong under that name: write it again
        }

        let builder = try PackBuilder(inMemory: expected.size <= options.memoryPackLimit, directory: cacheDirectory + "/tmp")
        defer { builder.discard() }
        try builder.append(RemoteLayout.packHeader)
        var entries: [RemotePackEntry] = []
        var offset = UInt64(RemoteLayout.packHeaderSize)
        // Reading through the objects that go costs bytes but saves requests: up to as many bytes
        // again as are kept.
        for r in ranges(of: keep, key: old.key, packSize: old.size, indexKey: indexKey, maxWaste: 1) {
            var got: [UInt8] = []
            var unreadable: RemoteError? = nil
            do { got = try read(r, via: s) } catch let error as RemoteError {
                guard case .damaged = error else { throw error }
                unreadable = error
            }
            for e in r.entries {
                let checked = unreadable.map { Result<VerifiedObject, RemoteError>.failure($0) } ?? examine(e, in: got, of: r)
                switch checked {
                case .success:
                    // The entry header and stored bytes as they are (the header holds no offset).
                    let start = Int(e.offset - r.range.lowerBound), end = Int(e.end - r.range.lowerBound)
                    try builder.append(Array(got[start..<end]))
                    let moved = RemotePackEntry(digest: e.digest, offset: offset, storedLength: e.storedLength,
                                                rawLength: e.rawLength, compressed: e.compressed)
                    entries.append(moved)
                    offset = moved.end
                case .failure(let error):
                    guard heldElsewhere.contains(e.digest) else {
                        let detail: String
                        if case .damaged(_, _, let d) = error { detail = d } else { detail = error.description }
                        throw RemoteCleanupError.objectLost(location: location, key: old.key, digest: e.digest, detail: detail)
                    }
                }
            }
        }
        guard !entries.isEmpty else { return nil }
        let pack = RemotePack(entries: entries)
        if listed.contains(pack.id) { return pack }
        if let path = try builder.finishFile() {
            _ = try s.put(pack.key, file: path, ifAbsent: !overwrite || pack.id != expected.id)
        } else {
            _ = try s.put(pack.key, bytes: builder.bytes, ifAbsent: !overwrite || pack.id != expected.id)
        }
        try verifyStored(pack, via: s)
        return pack
    }

    /// `entries` moved to lie one after the other from the pack header on.
    static func packedContiguously(_ entries: [RemotePackEntry]) -> [RemotePackEntry] {
        var offset = UInt64(RemoteLayout.packHeaderSize)
        return entries.map { e in
            let moved = RemotePackEntry(digest: e.digest, offset: offset, storedLength: e.storedLength, rawLength: e.rawLength, compressed: e.compressed)
            offset = moved.end
            return moved
        }
    }

    /// Reads a pack just written back whole (HEAD for its size, then ranged reads) and checks
    /// every object in it, as a download would.
    func verifyStored(_ pack: RemotePack, via s: CountingBlobStore) throws {
        guard let info = try s.head(pack.key) else {
            throw RemoteCleanupError.notVerified(location: location, detail: "the pack \(pack.key) just written is not there")
        }
        guard info.size == pack.size else {
            throw RemoteCleanupError.notVerified(location: location, detail: "the pack \(pack.key) just written has \(info.size) bytes, not \(pack.size)")
        }
        for r in ranges(of: pack.entries, key: pack.key, packSize: pack.size, indexKey: "(being written)", mergeGap: 0) {
            let got = try read(r, via: s)
            for e in r.entries {
                if case .failure(let error) = examine(e, in: got, of: r) {
                    throw RemoteCleanupError.notVerified(location: location, detail: "the pack \(pack.key) just written reads back wrong: \(error)")
                }
            }
        }
    }

    /// Writes an index object naming `packs`, reads it back, and adds it to what is known.
    @discardableResult
    func writeIndex(_ packs: [RemotePack], via s: CountingBlobStore) throws -> String {
        let index = RemoteIndex(packs: packs)
        let bytes = index.encoded()
        let key = RemoteLayout.indexKey(time: Date(), bytes: bytes)
        _ = try s.put(key, bytes: bytes, ifAbsent: true)
        guard try s.get(key) == bytes else {
            throw RemoteCleanupError.notVerified(location: location, detail: "the index object \(key) just written reads back different")
        }
        try remember(index, bytes: bytes, key: key)
        return key
    }

    /// `purge`, a refusal said as what it means for an erasure.
    func purgeOrExplain(_ keys: [String], via s: CountingBlobStore) throws -> Int {
        do { return try s.purge(keys) } catch RemoteError.denied(let l, let d) {
            throw RemoteCleanupError.cannotDelete(location: l, detail: d)
        }
    }
}

/// A set of digests made on first use (only needed when something is found damaged).
/// Thread safety: the set is made and read under `lock`.
final class LazyDigests: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Set<Digest>?
    private let make: () -> Set<Digest>
    init(_ make: @escaping () -> Set<Digest>) { self.make = make }
    func contains(_ d: Digest) -> Bool {
        lock.withLock {
            if value == nil { value = make() }
            return value!.contains(d)
        }
    }
}
