import Foundation
import LineageCore
#if canImport(Glibc)
import Glibc
#endif

extension RemoteContent {
    /// Removes `digests` from the remote for good: every pack holding one is rewritten without it
    /// (its other objects copied as stored, the replacement read back and checked) or, holding
    /// nothing else, dropped; the index objects that listed them are replaced by one that does
    /// not; then the old packs and index objects are deleted — on a bucket that keeps versions,
    /// every version of each (see `BlobStore.purge`). Packs no index object names (left by
    /// interrupted uploads) are read and deleted when they hold an erased object. The cache
    /// forgets what was deleted. Works from the index objects: requests and bytes grow with the
    /// packs that held the objects, not with the remote.
    ///
    /// The caller passes only objects no retained version shares (a chunk that another version
    /// still uses must stay, or that version loses it): this layer cannot tell, it erases what it
    /// is given. Tombstones travel first (the history is pushed before this is called), so no
    /// clone re-sends what is erased here; an upload that does so anyway, while this runs, is
    /// caught by the next pass (up to `maxEraseRounds`).
    ///
    /// Takes the lease `gc/lease` for its duration (`RemoteCleanupError.leaseHeld` while a gc or
    /// another erasure runs). Every error leaves the remote readable — every object it listed but
    /// the erased ones can be downloaded — and the erasure pending for this remote: running it
    /// again finishes it. A store that refuses deletes throws `RemoteCleanupError.cannotDelete`;
    /// a versioned bucket whose versions cannot all be deleted, `.versionsRemain`.
    public func erase(_ digests: Set<Digest>, jobs: Int = 8) throws -> RemoteEraseReport {
        let s = CountingBlobStore(store)
        var report = RemoteEraseReport()
        func finished() -> RemoteEraseReport {
            report.requests = s.requests; report.bytesUploaded = s.bytesSent; report.bytesDownloaded = s.bytesReceived
            return report
        }
        // No format document: no index objects and no packs (the first upload writes it first).
        guard !digests.isEmpty, try checkFormat(s) else {
            report.notOnRemote = digests.count
            return finished()
        }
        let lease = try RemoteLease.acquire(via: s, operation: "erasure", now: Date(), duration: options.leaseDuration, maxClockSkew: nil)
        defer { lease.release() }

        try refresh(full: true, via: s, jobs: jobs)
        var found = Set<Digest>()
        var probed = false
        while true {
            var drop: [String: Set<Digest>] = [:]
            for x in try cachedIndexes() {
                for p in x.index.packs {
                    let here = Set(p.entries.lazy.map(\.digest).filter { digests.contains($0) })
                    if !here.isEmpty { drop[p.id, default: []].formUnion(here) }
                }
            }
            if drop.isEmpty { break }
            guard report.rounds < options.maxEraseRounds else {
                let still = drop.values.reduce(Set<Digest>()) { $0.union($1) }
                throw RemoteCleanupError.notVerified(location: location,
                    detail: "after \(report.rounds) passes \(still.count) erased object(s) are listed again (sha256:\(still.min()!.hex) among them): a clone keeps uploading them — push the tombstones to it (fetch there) and erase again")
            }
            if !probed { try probeDelete(via: s); probed = true }
            report.rounds += 1
            for d in drop.values { found.formUnion(d) }
            let outcome = try rewrite(dropping: drop, deletion: .purge, via: s, jobs: jobs, beforeDeleting: { try lease.check() })
            report.packsRewritten += outcome.packsRewritten
            report.packsDropped += outcome.packsDropped
            report.indexObjectsWritten += outcome.indexObjectsWritten
            report.indexObjectsDeleted += outcome.indexObjectsDeleted
            report.bytesDeleted += outcome.bytesDeleted
            report.versionsDeleted += outcome.versionsDeleted
        }

        // Packs no index object names: an interrupted upload's, possibly holding erased objects.
        let named = Set(try cachedIndexes().flatMap { $0.index.packs.map(\.key) })
        for info in try s.list(prefix: RemoteLayout.packsPrefix, startAfter: nil) where !named.contains(info.key) && info.key.hasSuffix(".pack") {
            guard let entries = try scanPack(info.key, size: info.size, via: s) else { continue }   // not a pack: not ours to judge
            let held = entries.filter { digests.contains($0.digest) }
            guard !held.isEmpty else { continue }
            if !probed { try probeDelete(via: s); probed = true }
            try lease.check()
            report.versionsDeleted += try purgeOrExplain([info.key], via: s)
            report.orphanPacksDeleted += 1
            report.bytesDeleted += info.size
            found.formUnion(held.map(\.digest))
            if let id = info.key.dropFirst(RemoteLayout.packsPrefix.count).split(separator: ".").first { unlink(pendingPath(String(id))) }
        }
        // This clone's notes of packs it sent but has not named yet: none may hold an erased object.
        for pending in try pendingPacks() where pending.entries.contains(where: { digests.contains($0.digest) }) {
            unlink(pendingPath(pending.id))
        }
        report.objectsRemoved = found.count
        report.notOnRemote = digests.subtracting(found).count
        lease.release()
        return finished()
    }

    /// Finds out, before anything is rewritten, whether the store lets this client delete (and,
    /// on a versioned bucket, delete versions): writes `gc/probe` (under the lease) and purges it.
    func probeDelete(via s: CountingBlobStore) throws {
        let key = RemoteLayout.probeKey
        _ = try s.put(key, bytes: Array("lineage delete probe\n".utf8), ifAbsent: false)
        _ = try purgeOrExplain([key], via: s)
    }

    /// The chunk table of a pack no index object describes, read from its own entry headers
    /// (the whole pack, in pieces of at most `maxRangeSize`); nil when it is not a well-formed pack.
    func scanPack(_ key: String, size: UInt64, via s: CountingBlobStore) throws -> [RemotePackEntry]? {
        var scanner = PackScanner()
        var at: UInt64 = 0
        while at < size && !scanner.failed {
            let end = min(size, at + options.maxRangeSize)
            let piece: [UInt8]
            do { piece = try s.get(key, ranges: [at..<end]).first ?? [] } catch RemoteError.notFound { return nil }
            guard !piece.isEmpty else { return nil }
            scanner.feed(piece)
            at += UInt64(piece.count)
        }
        return scanner.complete(size: size) ? scanner.entries : nil
    }
}
