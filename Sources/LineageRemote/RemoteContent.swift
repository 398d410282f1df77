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
///   header, zlib stream, SHA-256) before it is written to the local store. A damaged remote is
///   refused with `RemoteError.damaged` naming the remote, the object key and the digest; objects
///   verified before that are kept (finished into a local pack), nothing half-written is.
///
/// `cacheDirectory` keeps copies of the index objects read (`index/`), the packs sent but not yet
/// named by an index (`pending/`), and temporary pack files (`tmp/`); it is made when needed and
/// can be deleted at any time (the next transfer then lists and reads the index objects again).
///
/// One transfer at a time per instance; callers writing to a `ContentStore` hold its repository lock.
public final class RemoteContent: @unchecked Sendable {
    public let store: any BlobStore
    public let cacheDirectory: String
    public let options: RemoteContentOptions

    private let lock = NSLock()
    private var known = KnownContent()
    private var cacheLoaded = false
    private var formatSeen = false

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
        let s = CountingBlobStore(store)
        var report = TransferReport()
        let hasFormat = try checkFormat(s)
        // A remote without a format document has no index objects (the first upload writes it first).
        if hasFormat { try refresh(full: false, via: s, jobs: jobs) }
        var toSend = digests.filter { !knows($0) }
        report.alreadyPresent = digests.count - toSend.count
        guard !toSend.isEmpty else { report.requests = s.requests; return report }

        // Packs an interrupted upload sent: name them instead of sending their objects again.
        var packs: [RemotePack] = []
        for pending in try pendingPacks() {
            guard pending.entries.contains(where: { toSend.contains($0.digest) }) else {
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
        let plan = planPacks(present)
        let totalBytes = plan.reduce(UInt64(0)) { $0 + $1.size }
        let tracker = ProgressTracker(TransferProgress(objects: 0, totalObjects: present.count, bytes: 0, totalBytes: totalBytes))
        let sent = ResultSlots<RemotePack>(count: plan.count)
        let jobsRunner = ParallelJobs()
        try LocalFiles.makeDirectories(cacheDirectory + "/tmp")
        try LocalFiles.makeDirectories(cacheDirectory + "/pending")
        removeTemporaryPacksOfDeadProcesses()
        try jobsRunner.run(count: plan.count, jobs: jobs, work: { [self] i in
            let pack = try self.sendPack(plan[i].objects, from: local, via: s)
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

        report.objects = packs.reduce(0) { $0 + $1.entries.count }
        report.bytes = newPacks.reduce(UInt64(0)) { $0 + $1.size }
        report.packs = packs.count
        report.indexKey = key
        report.requests = s.requests
        return report
    }

    /// Fetches the objects among `digests` that `local` lacks, checking each before storing it.
    /// Throws `RemoteError.notFound` when no index object lists one of them (naming it), and
    /// `RemoteError.damaged` for wrong bytes, a truncated pack or an index naming a missing pack.
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

        let ranges = planRanges(wanted)
        let totalBytes = ranges.reduce(UInt64(0)) { $0 + UInt64($1.range.count) }
        let tracker = ProgressTracker(TransferProgress(objects: 0, totalObjects: wanted.count, bytes: 0, totalBytes: totalBytes))
        let sink = LocalSink(store: local, finishEvery: options.localPackBytes)
        let jobsRunner = ParallelJobs()
        do {
            try jobsRunner.run(count: ranges.count, jobs: jobs, work: { [self] i in
                let stored = try self.fetch(ranges[i], into: sink, via: s)
                tracker.add(objects: stored, bytes: UInt64(ranges[i].range.count))
                jobsRunner.reportProgress()
            }, onProgress: { progress?(tracker.current) })
            try sink.finish()
        } catch {
            // Keep what was verified (a rerun then fetches only the rest); a failure here changes nothing.
            try? sink.finish()
            throw error
        }
        report.objects = wanted.count
        report.bytes = totalBytes
        report.packs = Set(ranges.map(\.key)).count
        report.requests = s.requests
        return report
    }

    // MARK: - Format

    /// Reads `lineage/format.json` (once per instance). False when the remote has none yet.
    private func checkFormat(_ s: CountingBlobStore) throws -> Bool {
        if lock.withLock({ formatSeen }) { return true }
        let bytes: [UInt8]
        do { bytes = try s.get(RemoteLayout.formatKey) } catch RemoteError.notFound { return false }
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

    private func createFormat(_ s: CountingBlobStore) throws {
        switch try s.put(RemoteLayout.formatKey, bytes: RemoteLayout.formatDocument(), ifAbsent: true) {
        case .written: lock.withLock { formatSeen = true }
        case .alreadyPresent: _ = try checkFormat(s)   // another writer was first: still check its version
        }
    }

    // MARK: - Index objects

    private func knows(_ d: Digest) -> Bool { lock.withLock { known.objects[d] != nil } }

    private func cachePath(indexKey key: String) -> String {
        cacheDirectory + "/index/" + key.dropFirst(RemoteLayout.indexPrefix.count)
    }

    /// Loads the cached index objects (once), dropping any whose bytes do not match their name.
    private func loadCache() throws {
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
    /// A full listing also forgets cached index objects the remote no longer has.
    private func refresh(full: Bool, via s: CountingBlobStore, jobs: Int) throws {
        try loadCache()
        let newest = lock.withLock { known.newestKey }
        let startAfter = full ? nil : newest.flatMap { RemoteLayout.indexKey($0, minusHours: options.clockSkewHours) }
        let listed = try s.list(prefix: RemoteLayout.indexPrefix, startAfter: startAfter)
        let listedKeys = Set(listed.map(\.key))
        if full {
            let gone = lock.withLock { known.indexKeys.subtracting(listedKeys) }
            if !gone.isEmpty {
                for key in gone { unlink(cachePath(indexKey: key)) }
                lock.withLock { cacheLoaded = false }
                try loadCache()
            }
        }
        let fresh = lock.withLock { listed.map(\.key).filter { RemoteLayout.indexDigest(key: $0) != nil && !known.indexKeys.contains($0) } }
        guard !fresh.isEmpty else { return }
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
    }

    /// Adds an index object to what is known and to the cache.
    private func remember(_ index: RemoteIndex, bytes: [UInt8], key: String) throws {
        try LocalFiles.makeDirectories(cacheDirectory + "/index")
        try LocalFiles.writeAtomically(bytes, to: cachePath(indexKey: key))
        lock.withLock { known.add(index, key: key) }
    }

    // MARK: - Upload

    private func pendingPath(_ id: String) -> String { cacheDirectory + "/pending/" + id + ".idx" }

    /// Packs sent by an earlier upload that no index object names yet.
    private func pendingPacks() throws -> [RemotePack] {
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

    /// Temporary pack files (`tmp/pack-<pid>-<random>`) left by uploads whose process is gone.
    private func removeTemporaryPacksOfDeadProcesses() {
        let dir = cacheDirectory + "/tmp"
        for name in (try? LocalFiles.names(in: dir)) ?? [] {
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0] == "pack", let pid = pid_t(parts[1]) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH { unlink(dir + "/" + name) }
        }
    }

    private struct PlannedPack: Sendable { var objects: [StoredObjectInfo]; var size: UInt64 }

    /// Cuts the objects (in local storage order) into packs of about `packSize`.
    private func planPacks(_ objects: [StoredObjectInfo]) -> [PlannedPack] {
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
    private func sendPack(_ objects: [StoredObjectInfo], from local: ContentStore, via s: CountingBlobStore) throws -> RemotePack {
        let expected = objects.reduce(UInt64(RemoteLayout.packHeaderSize)) { $0 + UInt64(RemoteLayout.entryHeaderSize) + UInt64($1.storedLength) }
        let builder = try PackBuilder(inMemory: expected <= options.memoryPackLimit, directory: cacheDirectory + "/tmp")
        defer { builder.discard() }
        var entries: [RemotePackEntry] = []
        entries.reserveCapacity(objects.count)
        var offset = UInt64(RemoteLayout.packHeaderSize)
        try builder.append(RemoteLayout.packHeader)
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
            _ = try s.put(pack.key, file: path, ifAbsent: true)
        } else {
            _ = try s.put(pack.key, bytes: builder.bytes, ifAbsent: true)
        }
        // Losing this note only means a rerun sends the pack again (ifAbsent makes that harmless).
        try? LocalFiles.writeAtomically(RemoteIndex(packs: [pack]).encoded(), to: pendingPath(pack.id))
        return pack
    }

    // MARK: - Download

    private struct PlannedRange: Sendable {
        var key: String
        var packSize: UInt64
        var indexKey: String
        var range: Range<UInt64>
        var entries: [RemotePackEntry]
    }

    /// Groups the wanted objects by pack and merges neighbours (gap ≤ `mergeGap`, total ≤
    /// `maxRangeSize`) into ranges.
    private func planRanges(_ wanted: Set<Digest>) -> [PlannedRange] {
        lock.withLock {
            var byPack: [Int: [RemotePackEntry]] = [:]
            for d in wanted { if let l = known.objects[d] { byPack[Int(l.pack), default: []].append(l.entry) } }
            var out: [PlannedRange] = []
            for number in byPack.keys.sorted() {
                let pack = known.packs[number]
                let entries = byPack[number]!.sorted { $0.offset < $1.offset }
                var current: [RemotePackEntry] = []
                var useful: UInt64 = 0, waste: UInt64 = 0
                func flush() {
                    guard let first = current.first, let last = current.last else { return }
                    out.append(PlannedRange(key: RemoteLayout.packKey(id: pack.id), packSize: pack.size, indexKey: pack.indexKey,
                                            range: first.offset..<last.end, entries: current))
                    current = []; useful = 0; waste = 0
                }
                for e in entries {
                    let size = e.end - e.offset
                    if let first = current.first, let last = current.last {
                        let gap = e.offset - last.end
                        let cheap = gap <= options.mergeGap && Double(waste + gap) <= options.maxWaste * Double(useful + size)
                        if !cheap || e.end - first.offset > options.maxRangeSize { flush() } else { waste += gap }
                    }
                    current.append(e)
                    useful += size
                }
                flush()
            }
            return out
        }
    }

    /// Reads one range and stores each object in it once checked. Returns the objects stored.
    private func fetch(_ r: PlannedRange, into sink: LocalSink, via s: CountingBlobStore) throws -> Int {
        let got: [UInt8]
        do {
            got = try s.get(r.key, ranges: [r.range]).first ?? []
        } catch RemoteError.notFound {
            throw RemoteError.damaged(location: location, key: r.key,
                detail: "the index object \(r.indexKey) names this pack (holding object sha256:\(r.entries[0].digest.hex)) but the remote has no such pack")
        }
        var stored = 0
        for e in r.entries {
            let start = Int(e.offset - r.range.lowerBound)
            let payloadStart = start + RemoteLayout.entryHeaderSize
            let end = Int(e.end - r.range.lowerBound)
            guard end <= got.count else {
                throw RemoteError.damaged(location: location, key: r.key,
                    detail: "the pack is truncated: object sha256:\(e.digest.hex) ends at byte \(e.end), the remote served bytes up to \(r.range.lowerBound + UInt64(got.count)) (the index object \(r.indexKey) gives the pack \(r.packSize) bytes)")
            }
            guard got[start..<payloadStart].elementsEqual(e.entryHeader) else {
                throw RemoteError.damaged(location: location, key: r.key,
                    detail: "object sha256:\(e.digest.hex) at offset \(e.offset): the pack's entry header disagrees with the index object \(r.indexKey)")
            }
            let object: VerifiedObject
            do {
                object = try VerifiedObject.check(payload: got[payloadStart..<end], compressed: e.compressed,
                                                  rawLength: Int(e.rawLength), digest: e.digest, source: r.key)
            } catch {
                throw RemoteError.damaged(location: location, key: r.key,
                    detail: "object sha256:\(e.digest.hex) at offset \(e.offset) does not hash to its name (wrong bytes\(e.compressed ? " or a damaged zlib stream" : ""))")
            }
            try sink.put(object)
            stored += 1
        }
        return stored
    }
}

// MARK: - Helpers

/// What the index objects read so far say: every pack and, per object, one pack holding it.
struct KnownContent {
    struct Pack { var id: String; var size: UInt64; var indexKey: String }
    struct Location { var pack: Int32; var entry: RemotePackEntry }

    var packs: [Pack] = []
    var packNumbers: [String: Int32] = [:]
    var objects: [Digest: Location] = [:]
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
            for e in p.entries where objects[e.digest] == nil { objects[e.digest] = Location(pack: number, entry: e) }
        }
        indexKeys.insert(key)
        if newestKey.map({ $0.utf8.lexicographicallyPrecedes(key.utf8) }) ?? true { newestKey = key }
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
final class ProgressTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var progress: TransferProgress
    init(_ start: TransferProgress) { progress = start }
    func add(objects: Int, bytes: UInt64) { lock.withLock { progress.objects += objects; progress.bytes += bytes } }
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
