import Foundation
import LineageCore
#if canImport(Glibc)
import Glibc
#endif

// Remote gc in two steps, a grace period apart, safe while others push.
//
// - `gcMark` records in `gc/marks/…` the packs holding objects no reachable set needs, written
//   (by the store's clock) more than the grace period ago, with their entity tags and the index
//   objects naming them; and packs no index object names (interrupted uploads), as old.
// - Uploads read the pending marks whenever they rely on objects the remote already lists (or on
//   packs an interrupted upload left) and do not rely on a marked pack: its objects are sent
//   again, in a pack of another name (a nonce object when it would get the same one).
// - `gcSweep`, at least the grace period after a mark, re-reads everything and removes only what
//   is still unreachable and unchanged: objects the new reachable set needs stay, a pack whose
//   entity tag changed or that a newer index object names stays, and deletes are conditional on
//   the entity tags of the mark. Partly needed packs are rewritten (see RemoteRewrite.swift).
// - `gc/lease` keeps two runs apart; the clock here must agree with the store's (both steps
//   measure time by both).
// A pusher slower than the grace period (reading the refs, uploading, moving its ref) is the
// case this cannot cover: the grace period must be longer than any push.

/// A gc mark as stored under `gc/marks/`.
struct GCMark: Codable, Equatable {
    struct Pack: Codable, Equatable {
        var key: String
        var etag: String?
        var size: UInt64
        /// Positions (in the pack's chunk table) of the objects no reachable set needed; nil: all.
        var garbage: [Int]?
        /// The index objects that named the pack when it was marked (empty: none did).
        var indexKeys: [String]
    }
    var format: Int = 1
    /// Seconds since 1970 (the marking client's clock, checked against the store's).
    var markedAt: Double
    var grace: Double
    var holder: String
    var packs: [Pack]

    var sweepableAt: Date { Date(timeIntervalSince1970: markedAt + grace) }
}

extension RemoteContent {
    /// Records what a later `gcSweep` may remove: packs holding objects `reachable` does not
    /// contain, written more than `grace` seconds before `now` (by the store's clock; the clock
    /// here must agree with it within `maxClockSkew`). A pack all of whose objects are
    /// unreachable is marked for deletion; one partly so, for a rewrite when its unreachable
    /// objects make up at least `repackThreshold` of its bytes; a pack no index object names, for
    /// deletion. Works from the index objects and one listing of `packs/`: no request per object.
    ///
    /// `reachable` is every object (chunks and chunk lists) that any ref on the remote reaches,
    /// read just before. Needs conditional requests from the store (probed each run), unless
    /// `allowUnconditional` (nobody else writes to the remote meanwhile). Takes the lease.
    /// With `dryRun` it only reads: no lease, no probe, no mark (the report says what a mark would hold).
    public func gcMark(reachable: Set<Digest>, grace: TimeInterval, now: Date = Date(), allowUnconditional: Bool = false,
                       dryRun: Bool = false, jobs: Int = 8) throws -> RemoteGCMarkReport {
        let s = CountingBlobStore(store)
        var report = RemoteGCMarkReport()
        let lease: RemoteLease?
        if dryRun {
            guard try checkFormat(s) else { return report }
            lease = nil
        } else {
            guard let (taken, _) = try beginGC("gc mark", via: s, now: now, allowUnconditional: allowUnconditional) else { return report }
            lease = taken
        }
        defer { lease?.release() }

        try refresh(full: true, via: s, jobs: jobs)
        let indexes = try cachedIndexes()
        let stored = Dictionary(try s.list(prefix: RemoteLayout.packsPrefix, startAfter: nil).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var naming: [String: [String]] = [:]
        var packs: [RemotePack] = []
        for x in indexes {
            for p in x.index.packs {
                if naming[p.key] == nil { packs.append(p) }
                naming[p.key, default: []].append(x.key)
            }
        }
        let cutoff = now.addingTimeInterval(-max(0, grace))
        var listed = Set<Digest>()
        var marked: [GCMark.Pack] = []
        var garbage = Set<Digest>()
        for p in packs {
            listed.formUnion(p.entries.map(\.digest))
            guard let info = stored[p.key] else { report.missingPacks += 1; continue }
            let positions = p.entries.indices.filter { !reachable.contains(p.entries[$0].digest) }
            guard !positions.isEmpty else { continue }
            // The pack's age by the store's clock; by its oldest index object's name if the store gives none.
            let written = info.lastModified ?? naming[p.key]!.compactMap(Self.indexTime).min() ?? now
            guard written <= cutoff else { report.packsTooYoung += 1; continue }
            let garbageBytes = positions.reduce(UInt64(0)) { $0 + p.entries[$1].end - p.entries[$1].offset }
            if positions.count == p.entries.count {
                report.packsToDelete += 1
                report.garbageBytes += info.size
                marked.append(GCMark.Pack(key: p.key, etag: info.etag, size: info.size, garbage: nil, indexKeys: naming[p.key]!))
            } else if Double(garbageBytes) >= options.repackThreshold * Double(p.size) {
                report.packsToRewrite += 1
                report.garbageBytes += garbageBytes
                marked.append(GCMark.Pack(key: p.key, etag: info.etag, size: info.size, garbage: positions, indexKeys: naming[p.key]!))
            } else {
                report.packsBelowThreshold += 1
                continue
            }
            garbage.formUnion(positions.map { p.entries[$0].digest })
        }
        for info in stored.values.sorted(by: { $0.key < $1.key }) where naming[info.key] == nil && info.key.hasSuffix(".pack") {
            guard (info.lastModified ?? now) <= cutoff else { report.packsTooYoung += 1; continue }
            report.orphanPacks += 1
            report.garbageBytes += info.size
            marked.append(GCMark.Pack(key: info.key, etag: info.etag, size: info.size, garbage: nil, indexKeys: []))
        }
        report.garbageObjects = garbage.count
        report.reachableNotListed = reachable.subtracting(listed).count
        if !marked.isEmpty, let lease {
            let mark = GCMark(markedAt: now.timeIntervalSince1970, grace: max(0, grace), holder: lease.holder, packs: marked)
            let bytes = Array(try JSONEncoder().encode(mark))
            let key = RemoteLayout.markKey(time: now, bytes: bytes)
            _ = try s.put(key, bytes: bytes, ifAbsent: true)
            report.markKey = key
            report.sweepableAt = mark.sweepableAt
        } else if !marked.isEmpty {
            report.sweepableAt = now.addingTimeInterval(max(0, grace))
        }
        lease?.release()
        report.requests = s.requests
        return report
    }

    /// Acts on every mark whose grace period has passed by `now`: reads the remote again and
    /// removes only what is still unreachable by `reachable` (read again by the caller, just
    /// before) and unchanged since the mark — a pack whose entity tag changed, or that an index
    /// object written since names, stays. Packs wholly unreachable are deleted (on their marked
    /// entity tag), partly unreachable ones rewritten without those objects, marked packs no index
    /// object names deleted; then the marks. Marks not due yet are reported with their time.
    /// Needs conditional requests unless `allowUnconditional`; takes the lease.
    public func gcSweep(reachable: Set<Digest>, now: Date = Date(), allowUnconditional: Bool = false,
                        jobs: Int = 8) throws -> RemoteGCSweepReport {
        let s = CountingBlobStore(store)
        var report = RemoteGCSweepReport()
        guard let (lease, conditional) = try beginGC("gc sweep", via: s, now: now, allowUnconditional: allowUnconditional) else {
            return report
        }
        defer { lease.release() }

        var due: [(key: String, mark: GCMark)] = []
        for (key, mark) in try readMarks(via: s) {
            guard let mark else { report.unreadableMarks.append(key); continue }
            if now >= mark.sweepableAt { due.append((key, mark)) } else { report.marksNotDue[key] = mark.sweepableAt }
        }
        guard !due.isEmpty else {
            lease.release()
            report.requests = s.requests
            return report
        }

        try refresh(full: true, via: s, jobs: jobs)
        let indexes = try cachedIndexes()
        var packsByKey: [String: RemotePack] = [:]
        var naming: [String: Set<String>] = [:]
        for x in indexes {
            for p in x.index.packs {
                if packsByKey[p.key] == nil { packsByKey[p.key] = p }
                naming[p.key, default: []].insert(x.key)
            }
        }
        let stored = Dictionary(try s.list(prefix: RemoteLayout.packsPrefix, startAfter: nil).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })

        var drop: [String: Set<Digest>] = [:]
        var etags: [String: String] = [:]
        var orphans: [GCMark.Pack] = []
        var rereferenced = Set<Digest>()
        for (_, mark) in due {
            for m in mark.packs {
                guard let info = stored[m.key], info.etag == m.etag else { report.packsChangedOrGone += 1; continue }
                guard let names = naming[m.key] else {
                    // Named by no index object: an interrupted upload's pack (marked as such), or
                    // one an interrupted sweep or erasure had replaced and unnamed already.
                    orphans.append(m)
                    continue
                }
                // A pack an index object written since the mark names is someone's again.
                guard !m.indexKeys.isEmpty, names.isSubset(of: Set(m.indexKeys)), let pack = packsByKey[m.key] else {
                    report.packsChangedOrGone += 1; continue
                }
                let marked = m.garbage.map { $0.filter { pack.entries.indices.contains($0) }.map { pack.entries[$0].digest } }
                    ?? pack.entries.map(\.digest)
                let still = marked.filter { !reachable.contains($0) }
                rereferenced.formUnion(marked.filter { reachable.contains($0) })
                guard !still.isEmpty else { continue }
                drop[pack.id, default: []].formUnion(still)
                if let etag = m.etag { etags[m.key] = etag }
            }
        }
        report.objectsRereferenced = rereferenced.count

        let outcome = try rewrite(dropping: drop, deletion: conditional ? .conditional(etags) : .unconditional, via: s, jobs: jobs,
                                  beforeDeleting: { try lease.check() })
        report.packsDeleted = outcome.packsDropped
        report.packsRewritten = outcome.packsRewritten
        report.packsChangedOrGone += outcome.packsKept
        report.indexObjectsWritten = outcome.indexObjectsWritten
        report.indexObjectsDeleted = outcome.indexObjectsDeleted
        report.bytesDeleted = outcome.bytesDeleted
        let listedAfter = lock.withLock { Set(known.objects.keys) }
        report.objectsRemoved = drop.values.reduce(Set<Digest>()) { $0.union($1) }.filter { !listedAfter.contains($0) }.count

        if !orphans.isEmpty { try lease.check() }
        for m in orphans {
            if conditional, let etag = m.etag {
                guard try s.delete(m.key, ifMatch: etag) else { report.packsChangedOrGone += 1; continue }
            } else {
                try s.delete([m.key])
            }
            report.orphanPacksDeleted += 1
            report.bytesDeleted += m.size
        }
        try s.delete(due.map(\.key))
        report.marksSwept = due.map(\.key)
        lease.release()
        report.requests = s.requests
        report.bytesUploaded = s.bytesSent
        report.bytesDownloaded = s.bytesReceived
        return report
    }

    /// What both gc steps start with: nil for a remote without content; else the lease (the clock
    /// checked against the store's) and whether deletes are to be conditional.
    private func beginGC(_ operation: String, via s: CountingBlobStore, now: Date,
                         allowUnconditional: Bool) throws -> (lease: RemoteLease, conditional: Bool)? {
        guard try checkFormat(s) else { return nil }
        let lease = try RemoteLease.acquire(via: s, operation: operation, now: now, duration: options.leaseDuration,
                                            maxClockSkew: options.maxClockSkew)
        do {
            return (lease, try requireConditionalRequests(via: s, allowUnconditional: allowUnconditional))
        } catch {
            lease.release()
            throw error
        }
    }

    /// The marks waiting under `gc/marks/` (read only: no lease), with when a sweep may act on
    /// each; a mark that cannot be read is listed without a time.
    public func gcPendingMarks() throws -> [RemoteGCMarkSummary] {
        let s = CountingBlobStore(store)
        guard try checkFormat(s) else { return [] }
        return try readMarks(via: s).map { key, mark in
            RemoteGCMarkSummary(key: key, sweepableAt: mark?.sweepableAt, packs: mark?.packs.count ?? 0,
                                bytes: mark?.packs.reduce(UInt64(0)) { $0 + $1.size } ?? 0)
        }
    }

    /// The ids of the packs that pending marks name (for uploads, which must not rely on them).
    /// A mark that cannot be read is passed over (a sweep does not act on it either).
    func markedPackIDs(via s: CountingBlobStore) throws -> Set<String> {
        var ids = Set<String>()
        for (_, mark) in try readMarks(via: s) {
            for p in mark?.packs ?? [] where p.key.hasPrefix(RemoteLayout.packsPrefix) && p.key.hasSuffix(".pack") {
                ids.insert(String(p.key.dropFirst(RemoteLayout.packsPrefix.count).dropLast(5)))
            }
        }
        return ids
    }

    /// Every object under `gc/marks/`, with its mark (nil when it is not one, or vanished).
    private func readMarks(via s: CountingBlobStore) throws -> [(key: String, mark: GCMark?)] {
        try s.list(prefix: RemoteLayout.marksPrefix, startAfter: nil).map(\.key).sorted().compactMap { key in
            let bytes: [UInt8]
            do { bytes = try s.get(key) } catch RemoteError.notFound { return nil }   // swept meanwhile
            let mark = try? JSONDecoder().decode(GCMark.self, from: Data(bytes))
            return (key, mark?.format == 1 ? mark : nil)
        }
    }

    /// Whether the store honours conditional requests, found by trying them on `gc/probe` (under
    /// the lease; a probe a killed run left is written over): a write with `ifAbsent` over it must be refused, a delete on a stale entity tag
    /// must keep it, one on the current tag must delete it. Throws
    /// `RemoteCleanupError.noConditionalRequests` when it does not, unless `allowUnconditional`
    /// (then returns false, and nothing is probed).
    @discardableResult
    func requireConditionalRequests(via s: CountingBlobStore, allowUnconditional: Bool) throws -> Bool {
        if allowUnconditional { return false }
        let key = RemoteLayout.probeKey
        var problem: String? = nil
        _ = try s.put(key, bytes: Array("lineage conditional request probe\n".utf8), ifAbsent: false)
        if case .written = try s.put(key, bytes: Array("overwritten\n".utf8), ifAbsent: true) {
            problem = "a write with If-None-Match: * replaced an existing object"
        } else if let etag = try s.head(key)?.etag {
            if try s.delete(key, ifMatch: "00000000000000000000000000000000") || s.head(key) == nil {
                problem = "a delete with If-Match on a stale entity tag deleted the object"
            } else if try !s.delete(key, ifMatch: etag) {
                problem = "a delete with If-Match on the current entity tag did not delete the object"
            }
        } else {
            problem = "the store gives no entity tags"
        }
        try? s.delete([key])
        if let problem { throw RemoteCleanupError.noConditionalRequests(location: location, detail: problem) }
        return true
    }

    /// The time in an index object's name.
    static func indexTime(_ key: String) -> Date? {
        guard RemoteLayout.indexDigest(key: key) != nil else { return nil }
        return RemoteLayout.parseStamp(String(key.dropFirst(RemoteLayout.indexPrefix.count).prefix(16)))
    }
}
