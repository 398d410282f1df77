import Foundation
import LineageCore
import LineageStore
#if canImport(Glibc)
import Glibc
#endif

/// Content (chunks and chunk lists) on a remote, in the pack layout of `RemoteLayout` over any
/// `BlobStore`: objects travel in immutable packs of tens of MiB, one index object per upload lists
/// them, and nothing is learnt by listing the data.
///
/// - `upload` skips what the remote's index objects already list, packs the rest (the local
///   store's bytes as stored, never recompressed), sends the packs in parallel with `ifAbsent`, and
///   writes the index object last: an index only ever names packs that are wholly there. Packs of
///   an interrupted upload are remembered in the cache and named by the next upload's index
///   (after a HEAD each) instead of being sent again.
/// - `download` reads the index objects it has not seen (listing `index/` from the newest it knows,
///   less `clockSkewHours`; the whole of `index/` when something wanted is not found), merges nearby
///   objects of a pack into few ranged reads made in parallel, and checks every object (entry
///   header, zlib stream, SHA-256) before it is written to the local store. An object found
///   damaged is read from another pack holding it if there is one; else, once everything else
///   is fetched, the download is refused with `RemoteError.damaged` naming the remote, the object
///   key and the digest. Verified objects are kept (finished into a local pack), nothing
///   half-written is.
/// - `check` finds missing, short (a HEAD per pack) and damaged (reading them) packs; `repair`
///   sends their objects again from a clone that has them.
/// - `erase` removes objects for good (RemoteErase.swift); `gcMark` and `gcSweep` collect what
///   no ref reaches, a grace period apart, safe while others push (RemoteGC.swift). Both rewrite
///   packs as RemoteRewrite.swift says and hold the lease `gc/lease` while they run. An upload
///   that relies on objects the remote already lists first lists all of `index/` (so a cache
///   that still has index objects a rewrite deleted is corrected) and `gc/marks/`, and does not
///   rely on packs a pending mark names; a download that finds a pack missing reads the index
///   objects again and takes the objects from wherever they are listed now.
///
/// `cacheDirectory` keeps copies of the index objects read (`index/`), the packs sent but not yet
/// named by an index (`pending/`), and temporary pack files (`tmp/`); it is made when needed and
/// can be deleted at any time (the next transfer then lists and reads the index objects again).
/// Erasure and gc forget there the index objects and packs they delete.
///
/// One transfer at a time per instance; callers writing to a `ContentStore` hold its repository lock.
public final class RemoteContent: @unchecked Sendable {
    public let store: any BlobStore
    public let cacheDirectory: String
    public let options: RemoteContentOptions

    let lock = NSLock()
    var known = KnownContent()
    var cacheLoaded = false
    var formatSeen = false

    public init(store: any BlobStore, cacheDirectory: String, options: RemoteContentOptions = RemoteContentOptions()) {
        self.store = store
        var dir = cacheDirectory
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        self.cacheDirectory = dir
        self.options = options
    }

    public var location: String { store.location }

    // MARK: - Public operations

    /// Which of `digests` the remote's index objects list. Reads `lineage/format.json` and the
    /// index objects not seen yet; lists no data.
    public func locate(_ digests: Set<Digest>, jobs: Int = 8) throws -> (present: Set<Digest>, missing: Set<Digest>) {
        let s = CountingBlobStore(store)
        guard try checkFormat(s) else { return ([], digests) }
        try refresh(full: false, via: s, jobs: jobs)
        var missing = digests.filter { !knows($0) }
        if !missing.isEmpty {
            try refresh(full: true, via: s, jobs: jobs)
            missing = missing.filter { !knows($0) }
        }
        return (digests.subtracting(missing), missing)
    }

    /// Every pack the remote's index objects name (after reading the ones not seen yet), sorted by id.
    public func indexedPacks(jobs: Int = 8) throws -> [(key: String, size: UInt64)] {
        let s = CountingBlobStore(store)
        guard try checkFormat(s) else { return [] }
        try refresh(full: true, via: s, jobs: jobs)
        return lock.withLock { known.packs.sorted { $0.id < $1.id }.map { (RemoteLayout.packKey(id: $0.id), $0.size) } }
    }

    /// Sends the objects among `digests` that the remote's index objects do not list yet. Every one
    /// must be in `local` (else `StoreError.missingObject`); each is read and checked there first
    /// (`StoreError.corruptObject` for a damaged one: nothing damaged is sent).
    /// `progress` runs on the calling thread.
    public func upload(_ digests: Set<Digest>, from local: ContentStore, jobs: Int = 8,
                       progress: ((TransferProgress) -> Void)? = nil) throws -> TransferReport {
        try send(digests, from: local, repairing: false, jobs: jobs, progress: progress)
    }

    /// Sends again, from `local`, the objects that `problems` (from `check`) say are unreadable on
    /// the remote, whatever its index objects say: in new packs (one under a damaged pack's name
    /// replaces it) named by a new index object. Downloads then read them from there (a pack found
    /// damaged is passed over for another that holds the same objects). Objects `local` lacks are
    /// left out: the report's `objects` says how many were sent.
    public func repair(_ problems: [RemoteProblem], from local: ContentStore, jobs: Int = 8,
                       progress: ((TransferProgress) -> Void)? = nil) throws -> TransferReport {
        let unreadable = Set(problems.flatMap(\.objects))
        let here = Set(local.storedObjects(unreadable).present.map(\.digest))
        return try send(here, from: local, repairing: true, groups: problems.map { Set($0.objects) }, jobs: jobs, progress: progress)
    }

    /// `upload`, or with `repairing` `repair`: nothing skipped for being listed, packs replaced,
    /// and the objects of each group (a damaged pack's) packed on their own — the same objects in
    /// the same order make the same pack, so a missing pack is put back under its name.
    private func send(_ digests: Set<Digest>, from local: ContentStore, repairing: Bool, groups: [Set<Digest>] = [],
                      jobs: Int, progress: ((TransferProgress) -> Void)?) throws -> TransferReport {
        let s = CountingBlobStore(store)
        var report = TransferReport()
        let hasFormat = try checkFormat(s)
        // A remote without a format document has no index objects (the first upload writes it first).
        let listedAll = hasFormat ? try refresh(full: false, via: s, jobs: jobs) : true
        var toSend = repairing ? digests : digests.filter { !knows($0) }
        // Relying on what the remote already lists (or on packs an interrupted upload left):
        // first make sure that is still so. A gc or an erasure may have deleted index objects
        // this cache still has (a full listing forgets them), and a pending gc mark names packs
        // a sweep may delete: objects held only there are sent again, in packs of other names.
        var marked = Set<String>()
        let pending = repairing ? [] : try pendingPacks()
        if hasFormat && !repairing && (toSend.count < digests.count || pending.contains { $0.entries.contains { toSend.contains($0.digest) } }) {
            if !listedAll { try refresh(full: true, via: s, jobs: jobs) }
            marked = try markedPackIDs(via: s)
            toSend = digests.filter { !knows($0, outside: marked) }
        }
        report.alreadyPresent = digests.count - toSend.count
        guard !toSend.isEmpty else { report.requests = s.requests; return report }

        // Packs an interrupted upload sent: name them instead of sending their objects again.
        var packs: [RemotePack] = []
        for pending in pending {
            guard pending.entries.contains(where: { toSend.contains($0.digest) }), !marked.contains(pending.id) else {
                unlink(pendingPath(pending.id)); continue
            }
            guard let info = try s.head(pending.key), info.size == pending.size else {
                unlink(pendingPath(pending.id)); continue
            }
            packs.append(pending)
            for e in pending.entries { toSend.remove(e.digest) }
        }

        let (present, missing) = local.storedObjects(toSend)
        if let first = missing.first { throw StoreError.missingObject(first) }
        if !hasFormat { try createFormat(s) }
        var planned: [PlannedPack] = []
        if groups.isEmpty {
            planned = planPacks(present, in: local)
        } else {
            var placed = Set<Digest>()
            for g in groups {
                let members = present.filter { g.contains($0.digest) && placed.insert($0.digest).inserted }
                planned += planPacks(members, in: local)
            }
        }
        // A pack that would get the name of one a gc mark names gets a nonce object first: the
        // sweep's conditional delete must not match what this upload relies on.
        for i in planned.indices where marked.contains(RemotePack(entries: planned[i].entries(nonce: nil)).id) {
            planned[i].nonce = LocalFiles.randomBytes(32)
        }
        let plan = planned
        let totalBytes = plan.reduce(UInt64(0)) { $0 + $1.size }
        let tracker = ProgressTracker(TransferProgress(objects: 0, totalObjects: present.count, bytes: 0, totalBytes: totalBytes))
        let sent = ResultSlots<RemotePack>(count: plan.count)
        let jobsRunner = ParallelJobs()
        try LocalFiles.makeDirectories(cacheDirectory + "/tmp")
        try LocalFiles.makeDirectories(cacheDirectory + "/pending")
        removeTemporaryFilesOfDeadProcesses()
        try jobsRunner.run(count: plan.count, jobs: jobs, work: { [self] i in
            let pack = try self.sendPack(plan[i], from: local, replacing: repairing, via: s)
            sent.set(i, pack)
            tracker.add(objects: pack.entries.count, bytes: pack.size)
            jobsRunner.reportProgress()
        }, onProgress: { progress?(tracker.current) })
        let newPacks = sent.values.compactMap { $0 }
        packs += newPacks

        let index = RemoteIndex(packs: packs)
        let bytes = index.encoded()
        let key = RemoteLayout.indexKey(time: Date(), bytes: bytes)
        _ = try s.put(key, bytes: bytes, ifAbsent: true)
        try remember(index, bytes: bytes, key: key)
        for p in packs { unlink(pendingPath(p.id)) }

        report.objects = packs.reduce(0) { $0 + $1.entries.count } - plan.filter { $0.nonce != nil }.count
        report.bytes = newPacks.reduce(UInt64(0)) { $0 + $1.size }
        report.packs = packs.count
        report.indexKey = key
        report.requests = s.requests
        return report
    }

    /// Fetches the objects among `digests` that `local` lacks, checking each before storing it.
    /// Throws `RemoteError.notFound` when no index object lists one of them (naming it), and
    /// `RemoteError.damaged` for wrong bytes, a truncated pack or an index naming a missing pack
    /// (after fetching every object it could, and only when no other pack holds the object).
    /// `progress` runs on the calling thread.
    public func download(_ digests: Set<Digest>, into local: ContentStore, jobs: Int = 8,
                         progress: ((TransferProgress) -> Void)? = nil) throws -> TransferReport {
        let s = CountingBlobStore(store)
        var report = TransferReport()
        let wanted = digests.filter { !local.contains($0) }
        report.alreadyPresent = digests.count - wanted.count
        guard !wanted.isEmpty else { return report }
        let hasFormat = try checkFormat(s)
        if hasFormat { try refresh(full: false, via: s, jobs: jobs) }
        var unknown = wanted.filter { !knows($0) }
        if hasFormat && !unknown.isEmpty {
            try refresh(full: true, via: s, jobs: jobs)
            unknown = unknown.filter { !knows($0) }
        }
        if let first = unknown.min() {
            let more = unknown.count > 1 ? " (and \(unknown.count - 1) more objects)" : ""
            throw RemoteError.notFound(location: location, key: "content object sha256:\(first.hex)\(more), which no index object lists")
        }

        // Rounds: an object found damaged in one pack is read from another pack holding it (two
        // uploads of the same content, a repair); the objects no other pack holds are fetched
        // around, and the damage is thrown at the end. A pack found missing makes the next round
        // read the index objects again first: an erasure or a gc may have replaced it (new pack
        // and index object first, then the old ones deleted) since this view was read.
        let tracker = ProgressTracker(TransferProgress(objects: 0, totalObjects: wanted.count))
        let sink = LocalSink(store: local, finishEvery: options.localPackBytes)
        let unreadable = UnreadableObjects()
        var readKeys = Set<String>()
        var vanishedSeen = 0
        var unlisted = Set<Digest>()
        while true {
            if unreadable.vanishedCount > vanishedSeen {
                vanishedSeen = unreadable.vanishedCount
                try refresh(full: true, via: s, jobs: jobs)
            }
            var still = wanted.filter { !local.contains($0) }
            let gone = still.filter { !knows($0) }
            unlisted.formUnion(gone)
            still.subtract(gone)
            let (locations, impossible) = choose(still, avoiding: unreadable)
            if locations.isEmpty {
                if let d = impossible.min(), let damage = unreadable.error(for: d) { throw damage }
                if let first = unlisted.min() {
                    let more = unlisted.count > 1 ? " (and \(unlisted.count - 1) more objects)" : ""
                    throw RemoteError.notFound(location: location, key: "content object sha256:\(first.hex)\(more), which no index object lists any more (it was erased or collected while this download ran)")
                }
                break
            }
            let ranges = planRanges(locations)
            tracker.addTotal(bytes: ranges.reduce(UInt64(0)) { $0 + UInt64($1.range.count) })
            readKeys.formUnion(ranges.map(\.key))
            let jobsRunner = ParallelJobs()
            do {
                try jobsRunner.run(count: ranges.count, jobs: jobs, work: { [self] i in
                    let stored = try self.fetch(ranges[i], into: sink, via: s, unreadable: unreadable)
                    tracker.add(objects: stored, bytes: UInt64(ranges[i].range.count))
                    jobsRunner.reportProgress()
                }, onProgress: { progress?(tracker.current) })
                try sink.finish()
            } catch let error as RemoteError {
                // Keep what was verified (a rerun then fetches only the rest).
                try? sink.finish()
                guard case .damaged = error else { throw error }
            } catch {
                try? sink.finish()
                throw error
            }
        }
        report.objects = wanted.count
        report.bytes = tracker.current.totalBytes
        report.packs = readKeys.count
        report.requests = s.requests
        return report
    }

    /// Where to read each object: the first pack listing it that has not shown it unreadable, and
    /// the objects that have no such pack left.
    func choose(_ digests: Set<Digest>, avoiding unreadable: UnreadableObjects) -> (locations: [KnownContent.Location], impossible: [Digest]) {
        let bad = unreadable.snapshot
        return lock.withLock {
            var out: [KnownContent.Location] = []
            var impossible: [Digest] = []
            out.reserveCapacity(digests.count)
            for d in digests {
                guard let first = known.objects[d] else { impossible.append(d); continue }
                let candidates = [first] + (known.alternates[d] ?? [])
                if let usable = candidates.first(where: { !(bad[RemoteLayout.packKey(id: known.packs[Int($0.pack)].id)]?.contains(d) ?? false) }) {
                    out.append(usable)
                } else {
                    impossible.append(d)
                }
            }
            return (out, impossible)
        }
    }

    // MARK: - Format

    /// Reads `lineage/format.json` (once per instance). False when the remote has none yet.
    func checkFormat(_ s: CountingBlobStore) throws -> Bool {
        if lock.withLock({ formatSeen }) { return true }
        let bytes: [UInt8]
        do { bytes = try s.get(RemoteLayout.formatKey) } catch RemoteError.notFound {
            // No format document: a new (or emptied) remote, whose index objects, if any, were
            // left by a writer that had not finished its first upload. Forget what the cache says.
            try forgetCachedIndexes()
            return false
        }
        guard let version = RemoteLayout.parseFormat(bytes) else {
            throw RemoteError.damaged(location: location, key: RemoteLayout.formatKey,
                                      detail: "not a lineage format document (expected {\"format\": <number>})")
        }
        guard version <= RemoteLayout.formatVersion else {
            throw RemoteError.newerFormat(location: location, found: version, supported: RemoteLayout.formatVersion)
        }
        lock.withLock { formatSeen = true }
        return true
    }

    func createFormat(_ s: CountingBlobStore) throws {
        switch try s.put(RemoteLayout.formatKey, bytes: RemoteLayout.formatDocument(), ifAbsent: true) {
        case .written: lock.withLock { formatSeen = true }
        case .alreadyPresent: _ = try checkFormat(s)   // another writer was first: still check its version
        }
    }

    // MARK: - Index objects

    func knows(_ d: Digest) -> Bool { lock.withLock { known.objects[d] != nil } }

    /// Whether a pack other than those of `excluded` (ids) lists `d`.
    func knows(_ d: Digest, outside excluded: Set<String>) -> Bool {
        lock.withLock {
            guard let first = known.objects[d] else { return false }
            if excluded.isEmpty { return true }
            return ([first] + (known.alternates[d] ?? [])).contains { !excluded.contains(known.packs[Int($0.pack)].id) }
        }
    }

    func cachePath(indexKey key: String) -> String {
        cacheDirectory + "/index/" + key.dropFirst(RemoteLayout.indexPrefix.count)
    }

    /// Loads the cached index objects (once), dropping any whose bytes do not match their name.
    func loadCache() throws {
        if lock.withLock({ cacheLoaded }) { return }
        let dir = cacheDirectory + "/index"
        var loaded = KnownContent()
        for name in try LocalFiles.names(in: dir).sorted() where !name.hasPrefix(".") {
            let key = RemoteLayout.indexPrefix + name
            guard let digest = RemoteLayout.indexDigest(key: key) else { continue }
            guard let bytes = try LocalFiles.readIfPresent(dir + "/" + name), Digest.of(bytes) == digest,
                  let index = try? RemoteIndex.decode(bytes, key: key, location: location) else {
                unlink(dir + "/" + name)   // damaged copy: read again from the remote
                continue
            }
            loaded.add(index, key: key)
        }
        lock.withLock { known = loaded; cacheLoaded = true }
    }

    /// Lists `index/` (from a little before the newest index known, or all of it) and reads the
    /// index objects not known yet, in parallel, checking each against the SHA-256 in its name.
    /// A full listing also forgets cached index objects the remote no longer has. Returns whether
    /// the listing was a full one.
    @discardableResult
    func refresh(full: Bool, via s: CountingBlobStore, jobs: Int) throws -> Bool {
        try loadCache()
        let newest = lock.withLock { known.newestKey }
        let startAfter = full ? nil : newest.flatMap { RemoteLayout.indexKey($0, minusHours: options.clockSkewHours) }
        let listed = try s.list(prefix: RemoteLayout.indexPrefix, startAfter: startAfter)
        let listedKeys = Set(listed.map(\.key))
        // The newest index object known is gone: the remote lost objects (emptied, recreated, or
        // rolled back). Do not trust the cache; see what is really there.
        if !full, let newest, !listedKeys.contains(newest) {
            return try refresh(full: true, via: s, jobs: jobs)
        }
        if full {
            let gone = lock.withLock { known.indexKeys.subtracting(listedKeys) }
            if !gone.isEmpty {
                for key in gone { unlink(cachePath(indexKey: key)) }
                lock.withLock { cacheLoaded = false }
                try loadCache()
            }
        }
        let fresh = lock.withLock { listed.map(\.key).filter { RemoteLayout.indexDigest(key: $0) != nil && !known.indexKeys.contains($0) } }
        guard !fresh.isEmpty else { return startAfter == nil }
        try LocalFiles.makeDirectories(cacheDirectory + "/index")
        let fetched = ResultSlots<[UInt8]>(count: fresh.count)
        try ParallelJobs().run(count: fresh.count, jobs: jobs, work: { i in
            fetched.set(i, try s.get(fresh[i]))
        }, onProgress: {})
        for (i, key) in fresh.enumerated() {
            let bytes = fetched.values[i]!
            guard Digest.of(bytes) == RemoteLayout.indexDigest(key: key) else {
                throw RemoteError.damaged(location: location, key: key, detail: "its bytes do not hash to the SHA-256 in its name")
            }
            try remember(try RemoteIndex.decode(bytes, key: key, location: location), bytes: bytes, key: key)
        }
        return startAfter == nil
    }

    /// Empties the cache of index objects and what was learnt from them.
    func forgetCachedIndexes() throws {
        let dir = cacheDirectory + "/index"
        for name in try LocalFiles.names(in: dir) { unlink(dir + "/" + name) }
        lock.withLock { known = KnownContent(); cacheLoaded = true }
    }

    /// Adds an index object to what is known and to the cache.
    func remember(_ index: RemoteIndex, bytes: [UInt8], key: String) throws {
        try LocalFiles.makeDirectories(cacheDirectory + "/index")
        try LocalFiles.writeAtomically(bytes, to: cachePath(indexKey: key))
        lock.withLock { known.add(index, key: key) }
    }

    // MARK: - Upload

    func pendingPath(_ id: String) -> String { cacheDirectory + "/pending/" + id + ".idx" }

    /// Packs sent by an earlier upload that no index object names yet.
    func pendingPacks() throws -> [RemotePack] {
        var out: [RemotePack] = []
        for name in try LocalFiles.names(in: cacheDirectory + "/pending").sorted() where name.hasSuffix(".idx") && !name.hasPrefix(".") {
            let path = cacheDirectory + "/pending/" + name
            guard let bytes = try LocalFiles.readIfPresent(path),
                  let index = try? RemoteIndex.decode(bytes, key: path, location: location), index.packs.count == 1 else {
                unlink(path); continue
            }
            out.append(index.packs[0])
        }
        return out
    }

    /// Temporary files left in the cache by transfers whose process is gone: packs being built
    /// (`tmp/pack-<pid>-<random>`) and atomic writes (`index/` and `pending/.tmp-<pid>-<random>`).
    func removeTemporaryFilesOfDeadProcesses() {
        for (sub, prefix) in [("tmp", "pack-"), ("index", ".tmp-"), ("pending", ".tmp-")] {
            let dir = cacheDirectory + "/" + sub
            for name in (try? LocalFiles.names(in: dir)) ?? [] where name.hasPrefix(prefix) {
                let parts = name.dropFirst(prefix.count).split(separator: "-")
                guard parts.count == 2, let pid = pid_t(parts[0]) else { continue }
                if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH { unlink(dir + "/" + name) }
            }
        }
    }

    private struct PlannedPack: Sendable {
        var objects: [StoredObjectInfo]
        var size: UInt64
        /// Random bytes stored (raw) ahead of the objects, to give the pack a name of its own.
        var nonce: [UInt8]? = nil

        /// The chunk table the pack will have.
        func entries(nonce: [UInt8]?) -> [RemotePackEntry] {
            var out: [RemotePackEntry] = []
            var offset = UInt64(RemoteLayout.packHeaderSize)
            if let nonce {
                let e = RemotePackEntry(digest: Digest.of(nonce), offset: offset, storedLength: UInt32(nonce.count),
                                        rawLength: UInt32(nonce.count), compressed: false)
                out.append(e); offset = e.end
            }
            for o in objects {
                let e = RemotePackEntry(digest: o.digest, offset: offset, storedLength: o.storedLength, rawLength: o.rawLength,
                                        compressed: o.storedLength < o.rawLength)
                out.append(e); offset = e.end
            }
            return out
        }
    }

    /// Cuts the objects into packs of about `packSize`: chunk lists first, then the rest, each in
    /// local storage order (a file's chunks side by side). A clone reads every chunk list before the
    /// chunks they name, so lists kept together are read in few ranged reads, not one per file.
    private func planPacks(_ stored: [StoredObjectInfo], in local: ContentStore) -> [PlannedPack] {
        var lists: [StoredObjectInfo] = [], others: [StoredObjectInfo] = []
        for o in stored {
            // A chunk list: "LCL1" and 36 bytes per chunk (stored raw: digests do not compress).
            let maybeList = o.storedLength == o.rawLength && o.rawLength >= 4 && (o.rawLength - 4) % 36 == 0
            if maybeList, local.storedPrefix(o.digest, count: 4) == ChunkList.magic { lists.append(o) } else { others.append(o) }
        }
        let objects = lists + others
        var plan: [PlannedPack] = []
        var current = PlannedPack(objects: [], size: UInt64(RemoteLayout.packHeaderSize))
        for o in objects {
            let add = UInt64(RemoteLayout.entryHeaderSize) + UInt64(o.storedLength)
            if !current.objects.isEmpty && current.size + add > options.packSize {
                plan.append(current)
                current = PlannedPack(objects: [], size: UInt64(RemoteLayout.packHeaderSize))
            }
            current.objects.append(o)
            current.size += add
        }
        if !current.objects.isEmpty { plan.append(current) }
        return plan
    }

    /// Builds one pack from the local store (each object read as stored and checked) and sends it
    /// with `ifAbsent`; remembers it as pending until an index names it.
    private func sendPack(_ plan: PlannedPack, from local: ContentStore, replacing: Bool,
                          via s: CountingBlobStore) throws -> RemotePack {
        let objects = plan.objects
        let expected = objects.reduce(UInt64(RemoteLayout.packHeaderSize)) { $0 + UInt64(RemoteLayout.entryHeaderSize) + UInt64($1.storedLength) }
        let builder = try PackBuilder(inMemory: expected <= options.memoryPackLimit, directory: cacheDirectory + "/tmp")
        defer { builder.discard() }
        var entries: [RemotePackEntry] = []
        entries.reserveCapacity(objects.count + 1)
        var offset = UInt64(RemoteLayout.packHeaderSize)
        try builder.append(RemoteLayout.packHeader)
        if let nonce = plan.nonce, let entry = plan.entries(nonce: nonce).first {
            try builder.append(entry.entryHeader)
            try builder.append(nonce)
            entries.append(entry)
            offset = entry.end
        }
        for info in objects {
            let object = try local.readStored(info.digest)
            let entry = RemotePackEntry(digest: object.digest, offset: offset, storedLength: UInt32(object.payload.count),
                                        rawLength: object.rawLength, compressed: object.compressed)
            try builder.append(entry.entryHeader)
            try builder.append(object.payload)
            entries.append(entry)
            offset = entry.end
        }
        let pack = RemotePack(entries: entries)
        if let path = try builder.finishFile() {
            _ = try s.put(pack.key, file: path, ifAbsent: !replacing)
        } else {
            _ = try s.put(pack.key, bytes: builder.bytes, ifAbsent: !replacing)
        }
        // Losing this note only means a rerun sends the pack again (ifAbsent makes that harmless).
        try? LocalFiles.writeAtomically(RemoteIndex(packs: [pack]).encoded(), to: pendingPath(pack.id))
        return pack
    }

    // MARK: - Download

    struct PlannedRange: Sendable {
        var key: String
        var packSize: UInt64
        var indexKey: String
        var range: Range<UInt64>
        var entries: [RemotePackEntry]
    }

    /// Groups the wanted objects by pack and merges neighbours (gap ≤ `mergeGap`, total ≤
    /// `maxRangeSize`) into ranges.
    func planRanges(_ locations: [KnownContent.Location]) -> [PlannedRange] {
        lock.withLock {
            var byPack: [Int: [RemotePackEntry]] = [:]
            for l in locations { byPack[Int(l.pack), default: []].append(l.entry) }
            return byPack.keys.sorted().flatMap { number in
                let pack = known.packs[number]
                return ranges(of: byPack[number]!, key: RemoteLayout.packKey(id: pack.id), packSize: pack.size, indexKey: pack.indexKey)
            }
        }
    }

    /// Ranged reads for `entries` of one pack: neighbours merged while the gap is at most
    /// `mergeGap` and the bytes read for nothing stay within `maxWaste` of those wanted, no read
    /// longer than `maxRangeSize` (unless one object is). `mergeGap: 0` with every entry of a pack
    /// reads it in consecutive pieces of at most `maxRangeSize`; `maxWaste` overrides the option.
    func ranges(of entries: [RemotePackEntry], key: String, packSize: UInt64, indexKey: String,
                mergeGap: UInt64? = nil, maxWaste: Double? = nil) -> [PlannedRange] {
        let gapLimit = mergeGap ?? options.mergeGap
        let wasteLimit = maxWaste ?? options.maxWaste
        var out: [PlannedRange] = []
        var current: [RemotePackEntry] = []
        var useful: UInt64 = 0, waste: UInt64 = 0
        func flush() {
            guard let first = current.first, let last = current.last else { return }
            out.append(PlannedRange(key: key, packSize: packSize, indexKey: indexKey, range: first.offset..<last.end, entries: current))
            current = []; useful = 0; waste = 0
        }
        for e in entries.sorted(by: { $0.offset < $1.offset }) {
            let size = e.end - e.offset
            if let first = current.first, let last = current.last {
                let gap = e.offset - last.end
                let cheap = gap <= gapLimit && Double(waste + gap) <= wasteLimit * Double(useful + size)
                if !cheap || e.end - first.offset > options.maxRangeSize { flush() } else { waste += gap }
            }
            current.append(e)
            useful += size
        }
        flush()
        return out
    }

    /// Reads one range and stores each object in it once checked. Returns the objects stored.
    /// On damage, notes in `unreadable` what this pack cannot give (the bad object; the rest of
    /// the range when the pack is short or missing) before throwing.
    func fetch(_ r: PlannedRange, into sink: LocalSink, via s: CountingBlobStore, unreadable: UnreadableObjects) throws -> Int {
        let got: [UInt8]
        do { got = try read(r, via: s) } catch let error as RemoteError {
            if case .damaged = error { unreadable.add(r.entries.map(\.digest), in: r.key, error: error, vanished: error == missingPack(r)) }
            throw error
        }
        var stored = 0
        for (i, e) in r.entries.enumerated() {
            switch examine(e, in: got, of: r) {
            case .success(let object):
                try sink.put(object)
                stored += 1
            case .failure(let error):
                let truncated = Int(e.end - r.range.lowerBound) > got.count
                unreadable.add(truncated ? r.entries[i...].map(\.digest) : [e.digest], in: r.key, error: error)
                throw error
            }
        }
        return stored
    }

    /// The bytes of a planned range; a pack that is not there is damage (an index names it).
    func read(_ r: PlannedRange, via s: CountingBlobStore) throws -> [UInt8] {
        do {
            return try s.get(r.key, ranges: [r.range]).first ?? []
        } catch RemoteError.notFound {
            throw missingPack(r)
        } catch RemoteError.damaged(let where_, let key, let detail) {
            // The store saw the damage itself (S3: a range past the end of a truncated pack): say
            // which objects it hides and which index names them.
            throw RemoteError.damaged(location: where_, key: key,
                detail: "\(detail); the index object \(r.indexKey) gives the pack \(r.packSize) bytes, with object sha256:\(r.entries[0].digest.hex) at offset \(r.entries[0].offset)")
        }
    }

    /// What a read of a pack that is not there throws.
    func missingPack(_ r: PlannedRange) -> RemoteError {
        .damaged(location: location, key: r.key,
                 detail: "the index object \(r.indexKey) names this pack (holding object sha256:\(r.entries[0].digest.hex)) but the remote has no such pack")
    }

    /// Checks one object of a range read: it was served whole, its entry header is the one the
    /// index gives, its bytes (inflated when compressed) hash to its digest.
    func examine(_ e: RemotePackEntry, in got: [UInt8], of r: PlannedRange) -> Result<VerifiedObject, RemoteError> {
        let start = Int(e.offset - r.range.lowerBound)
        let payloadStart = start + RemoteLayout.entryHeaderSize
        let end = Int(e.end - r.range.lowerBound)
        guard end <= got.count else {
            return .failure(.damaged(location: location, key: r.key,
                detail: "the pack is truncated: object sha256:\(e.digest.hex) ends at byte \(e.end), the remote served bytes up to \(r.range.lowerBound + UInt64(got.count)) (the index object \(r.indexKey) gives the pack \(r.packSize) bytes)"))
        }
        guard got[start..<payloadStart].elementsEqual(e.entryHeader) else {
            return .failure(.damaged(location: location, key: r.key,
                detail: "object sha256:\(e.digest.hex) at offset \(e.offset): the pack's entry header disagrees with the index object \(r.indexKey)"))
        }
        do {
            return .success(try VerifiedObject.check(payload: got[payloadStart..<end], compressed: e.compressed,
                                                     rawLength: Int(e.rawLength), digest: e.digest, source: r.key))
        } catch {
            return .failure(.damaged(location: location, key: r.key,
                detail: "object sha256:\(e.digest.hex) at offset \(e.offset) does not hash to its name (wrong bytes\(e.compressed ? " or a damaged zlib stream" : ""))"))
        }
    }

    // MARK: - Checking the remote

    /// Checks that every pack the remote's index objects name is there with the size they give (a
    /// HEAD each, after reading every index object not seen yet) and, with `readPacks`, reads every
    /// pack (in ranges of at most `maxRangeSize`) and checks every object in it as a download would.
    /// Lists no data. Returns what is wrong, by key (empty when all is well); throws only when the
    /// remote cannot be read (unreachable, denied, a damaged index object, a newer format).
    /// `progress` (packs' objects and bytes checked) runs on the calling thread.
    /// - Parameter samplePacks: without `readPacks`, also read and hash this many packs picked at
    ///   random (a spot check that costs their bytes, not the whole store's).
    public func check(readPacks: Bool = false, samplePacks: Int = 0, jobs: Int = 8,
                      progress: ((TransferProgress) -> Void)? = nil) throws -> [RemoteProblem] {
        let s = CountingBlobStore(store)
        guard try checkFormat(s) else { return [] }
        try refresh(full: true, via: s, jobs: jobs)
        // Every pack with its whole chunk table (the cached index objects have them all).
        var byID: [String: (pack: RemotePack, indexKey: String)] = [:]
        for key in lock.withLock({ known.indexKeys }).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let bytes = try LocalFiles.readIfPresent(cachePath(indexKey: key)) else { continue }
            for p in try RemoteIndex.decode(bytes, key: key, location: location).packs where byID[p.id] == nil { byID[p.id] = (p, key) }
        }
        let packs = byID.values.sorted { $0.pack.id < $1.pack.id }
        let sampled = readPacks ? Set(packs.indices) : Set(packs.indices.shuffled().prefix(max(0, samplePacks)))
        let total = packs.reduce(TransferProgress()) {
            TransferProgress(objects: 0, totalObjects: $0.totalObjects + $1.pack.entries.count, bytes: 0, totalBytes: $0.totalBytes + $1.pack.size)
        }
        let tracker = ProgressTracker(total)
        let problems = ResultSlots<[RemoteProblem]>(count: packs.count)
        let runner = ParallelJobs()
        try runner.run(count: packs.count, jobs: jobs, work: { [self] i in
            let (pack, indexKey) = packs[i]
            problems.set(i, try self.check(pack, namedBy: indexKey, readingIt: sampled.contains(i), via: s))
            tracker.add(objects: pack.entries.count, bytes: pack.size)
            runner.reportProgress()
        }, onProgress: { progress?(tracker.current) })
        return problems.values.flatMap { $0 ?? [] }
    }

    private func check(_ pack: RemotePack, namedBy indexKey: String, readingIt: Bool, via s: CountingBlobStore) throws -> [RemoteProblem] {
        guard let info = try s.head(pack.key) else {
            return [RemoteProblem(key: pack.key, objects: pack.entries.map(\.digest),
                                  detail: "the index object \(indexKey) names this pack but the remote has no such pack")]
        }
        guard info.size == pack.size else {
            return [RemoteProblem(key: pack.key, objects: pack.entries.map(\.digest),
                                  detail: "the pack has \(info.size) bytes, the index object \(indexKey) gives \(pack.size)")]
        }
        guard readingIt else { return [] }
        var problems: [RemoteProblem] = []
        for r in ranges(of: pack.entries, key: pack.key, packSize: pack.size, indexKey: indexKey, mergeGap: 0) {
            let got = try read(r, via: s)
            for e in r.entries {
                if case .failure(let error) = examine(e, in: got, of: r), case .damaged(_, _, let detail) = error {
                    problems.append(RemoteProblem(key: pack.key, objects: [e.digest], detail: detail))
                }
            }
        }
        return problems
    }
}

/// Something `RemoteContent.check` found wrong on a remote.
public struct RemoteProblem: Sendable, Equatable, CustomStringConvertible {
    /// The pack (or other object) at fault.
    public let key: String
    /// The objects it makes unreadable.
    public let objects: [Digest]
    public let detail: String

    public init(key: String, objects: [Digest], detail: String) {
        self.key = key; self.objects = objects; self.detail = detail
    }

    public var description: String { "\(key): \(detail)" }
}

// MARK: - Helpers

/// What the index objects read so far say: every pack and, per object, one pack holding it.
struct KnownContent {
    struct Pack { var id: String; var size: UInt64; var indexKey: String }
    struct Location { var pack: Int32; var entry: RemotePackEntry }

    var packs: [Pack] = []
    var packNumbers: [String: Int32] = [:]
    var objects: [Digest: Location] = [:]
    /// Other packs holding an object (concurrent uploads of the same content, repairs).
    var alternates: [Digest: [Location]] = [:]
    var indexKeys: Set<String> = []
    var newestKey: String?

    mutating func add(_ index: RemoteIndex, key: String) {
        for p in index.packs {
            let number: Int32
            if let n = packNumbers[p.id] { number = n } else {
                number = Int32(packs.count)
                packs.append(Pack(id: p.id, size: p.size, indexKey: key))
                packNumbers[p.id] = number
            }
            for e in p.entries {
                guard let first = objects[e.digest] else { objects[e.digest] = Location(pack: number, entry: e); continue }
                if first.pack != number && !(alternates[e.digest]?.contains { $0.pack == number } ?? false) {
                    alternates[e.digest, default: []].append(Location(pack: number, entry: e))
                }
            }
        }
        indexKeys.insert(key)
        if newestKey.map({ $0.utf8.lexicographicallyPrecedes(key.utf8) }) ?? true { newestKey = key }
    }
}

/// Objects packs turned out unable to give (damaged, short, missing), by pack key, with the
/// first error each pack gave; and how many packs were found missing altogether.
/// Thread safety: every table is behind `lock`.
final class UnreadableObjects: @unchecked Sendable {
    private let lock = NSLock()
    private var byPack: [String: Set<Digest>] = [:]
    private var errors: [String: RemoteError] = [:]
    private var vanished = Set<String>()
    func add(_ digests: [Digest], in key: String, error: RemoteError, vanished missing: Bool = false) {
        lock.withLock {
            byPack[key, default: []].formUnion(digests)
            if errors[key] == nil { errors[key] = error }
            if missing { vanished.insert(key) }
        }
    }
    var snapshot: [String: Set<Digest>] { lock.withLock { byPack } }
    var vanishedCount: Int { lock.withLock { vanished.count } }
    /// The error of a pack that could not give `digest` (the first such pack in key order).
    func error(for digest: Digest) -> RemoteError? {
        lock.withLock { byPack.keys.sorted().first { byPack[$0]!.contains(digest) }.flatMap { errors[$0] } }
    }
}

/// One result slot per work item, filled from worker threads.
final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.withLock { slots[i] = value } }
    var values: [T?] { lock.withLock { slots } }
}

/// Progress counters updated by workers.
/// Thread safety: the counters are behind `lock`.
final class ProgressTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var progress: TransferProgress
    init(_ start: TransferProgress) { progress = start }
    func add(objects: Int, bytes: UInt64) { lock.withLock { progress.objects += objects; progress.bytes += bytes } }
    func addTotal(bytes: UInt64) { lock.withLock { progress.totalBytes += bytes } }
    var current: TransferProgress { lock.withLock { progress } }
}

/// The local side of a download: one pack writer shared by the workers (appends serialised, checks
/// done before), finished every `finishEvery` bytes so an interrupted download keeps its work.
final class LocalSink: @unchecked Sendable {
    private let store: ContentStore
    private let finishEvery: UInt64
    private let lock = NSLock()
    private var writer: PackWriter?
    private var written: UInt64 = 0

    init(store: ContentStore, finishEvery: UInt64) { self.store = store; self.finishEvery = finishEvery }

    func put(_ object: VerifiedObject) throws {
        try lock.withLock {
            if writer == nil { writer = try store.beginWrite() }
            written += try writer!.put(object)
            if written >= finishEvery {
                let w = writer!
                writer = nil; written = 0
                try w.finish()
            }
        }
    }

    func finish() throws {
        try lock.withLock {
            guard let w = writer else { return }
            writer = nil; written = 0
            try w.finish()
        }
    }
}

/// A pack being built: in memory, or in a temporary file for big ones (streamed to the store).
final class PackBuilder {
    private(set) var bytes: [UInt8] = []
    private let path: String?
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    init(inMemory: Bool, directory: String) throws {
        if inMemory { path = nil; return }
        let p = directory + "/pack-\(getpid())-\(LocalFiles.randomHex())"
        fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RemoteError.io(path: p, operation: "open", errno: errno) }
        path = p
        buffer.reserveCapacity(4 << 20)
    }

    func append(_ data: [UInt8]) throws {
        guard let path else { bytes += data; return }
        buffer += data
        if buffer.count >= 4 << 20 { try flush(path) }
    }

    private func flush(_ path: String) throws {
        try buffer.withUnsafeBytes { try LocalFiles.writeAll(fd, $0, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The temporary file, complete (nil for a pack built in memory).
    func finishFile() throws -> String? {
        guard let path else { return nil }
        try flush(path)
        return path
    }

    func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        if let path { unlink(path) }
    }
}
