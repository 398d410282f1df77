import Foundation
import LineageCore
#if canImport(Glibc)
import Glibc
#endif

// Pack file (`pack-<name>.pack`), append-only:
//   "LPK1" | uint32 version (1)
//   entries: uint8 flags (0 raw, 1 zlib) | uint32 raw length | uint32 stored length | 32-byte SHA-256 | stored bytes
// Index file (`pack-<name>.idx`):
//   "LIX1" | uint32 version (1) | uint32 count | uint64 pack size | 256 × uint32 fanout (cumulative counts by first digest byte)
//   count × (32-byte digest | uint64 offset | uint32 stored length | uint32 raw length), sorted by digest, no duplicates
//   32-byte SHA-256 of everything before it
// All integers big-endian. `<name>` is the hex SHA-256 of the sorted digests the pack holds.

enum PackFormat {
    static let packMagic: [UInt8] = Array("LPK1".utf8)
    static let indexMagic: [UInt8] = Array("LIX1".utf8)
    static let version: UInt32 = 1
    static let packHeaderSize = 8
    static let entryHeaderSize = 41
    static let indexHeaderSize = 20
    static let fanoutSize = 256 * 4
    static let indexEntrySize = 48
    static let flagRaw: UInt8 = 0
    static let flagZlib: UInt8 = 1
    /// Largest object the store accepts (chunk lists of very large files are the big ones).
    static let maxObjectSize = 1 << 30

    static let temporaryPrefix = "tmp-"

    /// `pack-<64 hex>` for `pack-<64 hex>.pack` / `.idx`, else nil.
    static func packName(fromFile name: String, ext: String) -> String? {
        guard name.hasPrefix("pack-"), name.hasSuffix("." + ext), name.utf8.count == 5 + 64 + 1 + ext.utf8.count else { return nil }
        let stem = String(name.dropLast(ext.count + 1))
        guard Digest(hex: String(stem.dropFirst(5))) != nil else { return nil }
        return stem
    }

    static func entryHeader(flags: UInt8, rawLength: Int, storedLength: Int, digest: Digest) -> [UInt8] {
        var h: [UInt8] = [flags]
        h += UInt32(rawLength).bigEndianBytes
        h += UInt32(storedLength).bigEndianBytes
        h += digest.bytes
        return h
    }
}

/// One index entry.
struct PackEntry {
    var digest: Digest
    var offset: UInt64
    var storedLength: UInt32
    var rawLength: UInt32
}

/// The parsed index of one pack, kept as its raw sorted entry table for binary search.
final class PackIndex {
    let name: String
    let packPath: String
    let indexPath: String
    /// `count × 48` bytes, sorted by digest.
    let table: [UInt8]
    let count: Int
    /// cumulative counts by first byte (fanout[b] = number of entries with first byte ≤ b).
    let fanout: [UInt32]
    /// Size of the pack the index describes.
    let packSize: UInt64
    /// Why the index file could not be used (its entries were then rebuilt by scanning the pack), or nil.
    let damage: String?
    let fd: Int32

    init(name: String, packPath: String, indexPath: String, entries: [PackEntry], packSize: UInt64, damage: String?, fd: Int32) {
        self.name = name; self.packPath = packPath; self.indexPath = indexPath
        let sorted = entries.sorted { $0.digest < $1.digest }
        var table: [UInt8] = []
        table.reserveCapacity(sorted.count * PackFormat.indexEntrySize)
        var fanout = [UInt32](repeating: 0, count: 256)
        var last: Digest? = nil
        var n = 0
        for e in sorted where e.digest != last {
            table += e.digest.bytes; table += e.offset.bigEndianBytes
            table += e.storedLength.bigEndianBytes; table += e.rawLength.bigEndianBytes
            fanout[Int(e.digest.bytes[0])] += 1
            last = e.digest; n += 1
        }
        for i in 1..<256 { fanout[i] += fanout[i - 1] }
        self.table = table; self.count = n; self.fanout = fanout
        self.packSize = packSize; self.damage = damage; self.fd = fd
    }

    init(name: String, packPath: String, indexPath: String, table: [UInt8], count: Int, fanout: [UInt32], packSize: UInt64, fd: Int32) {
        self.name = name; self.packPath = packPath; self.indexPath = indexPath
        self.table = table; self.count = count; self.fanout = fanout; self.packSize = packSize
        self.damage = nil; self.fd = fd
    }

    deinit { close(fd) }

    func entry(at i: Int) -> PackEntry {
        table.withUnsafeBytes { raw in
            let p = raw.baseAddress! + i * PackFormat.indexEntrySize
            return PackEntry(digest: Digest(bytes: Array(UnsafeRawBufferPointer(start: p, count: 32)))!,
                             offset: loadBE(p, 32, as: UInt64.self),
                             storedLength: loadBE(p, 40, as: UInt32.self),
                             rawLength: loadBE(p, 44, as: UInt32.self))
        }
    }

    var entries: [PackEntry] { (0..<count).map { entry(at: $0) } }

    /// Binary search within the digest's fanout bucket.
    func find(_ digest: Digest) -> PackEntry? {
        let first = Int(digest.bytes[0])
        var lo = first == 0 ? 0 : Int(fanout[first - 1])
        var hi = Int(fanout[first])
        let found: Int? = table.withUnsafeBytes { raw in
            digest.bytes.withUnsafeBytes { key in
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let c = memcmp(raw.baseAddress! + mid * PackFormat.indexEntrySize, key.baseAddress!, 32)
                    if c == 0 { return mid }
                    if c < 0 { lo = mid + 1 } else { hi = mid }
                }
                return nil
            }
        }
        return found.map { entry(at: $0) }
    }

    /// The index file's bytes for `entries` of a pack of `packSize` bytes.
    static func encode(entries: [PackEntry], packSize: UInt64) -> [UInt8] {
        let sorted = entries.sorted { $0.digest < $1.digest }
        var out = PackFormat.indexMagic
        out += PackFormat.version.bigEndianBytes
        out += UInt32(sorted.count).bigEndianBytes
        out += packSize.bigEndianBytes
        var fanout = [UInt32](repeating: 0, count: 256)
        for e in sorted { fanout[Int(e.digest.bytes[0])] += 1 }
        for i in 1..<256 { fanout[i] += fanout[i - 1] }
        for f in fanout { out += f.bigEndianBytes }
        for e in sorted {
            out += e.digest.bytes; out += e.offset.bigEndianBytes
            out += e.storedLength.bigEndianBytes; out += e.rawLength.bigEndianBytes
        }
        out += Digest.of(out).bytes
        return out
    }

    /// Parses and checks an index file: checksum, header, fanout, order, bounds. Throws the reason as a String.
    static func parse(_ bytes: [UInt8]) throws -> (table: [UInt8], count: Int, fanout: [UInt32], packSize: UInt64) {
        let fixed = PackFormat.indexHeaderSize + PackFormat.fanoutSize + 32
        guard bytes.count >= fixed else { throw IndexProblem("truncated: \(bytes.count) bytes, fewer than the \(fixed)-byte minimum") }
        let body = bytes[0..<(bytes.count - 32)]
        guard Digest.of(body).bytes == Array(bytes[(bytes.count - 32)...]) else {
            throw IndexProblem("checksum mismatch: the file was modified or truncated")
        }
        guard Array(bytes[0..<4]) == PackFormat.indexMagic else { throw IndexProblem("bad magic") }
        return try bytes.withUnsafeBytes { raw throws in
            let p = raw.baseAddress!
            let version = loadBE(p, 4, as: UInt32.self)
            guard version == PackFormat.version else { throw IndexProblem("unknown index version \(version)") }
            let count = Int(loadBE(p, 8, as: UInt32.self))
            let packSize = loadBE(p, 12, as: UInt64.self)
            guard bytes.count == fixed + count * PackFormat.indexEntrySize else {
                throw IndexProblem("length \(bytes.count) does not match its \(count) entries")
            }
            var fanout: [UInt32] = []
            fanout.reserveCapacity(256)
            var previous: UInt32 = 0
            for i in 0..<256 {
                let f = loadBE(p, PackFormat.indexHeaderSize + 4 * i, as: UInt32.self)
                guard f >= previous else { throw IndexProblem("fanout table is not monotonic at \(i)") }
                fanout.append(f); previous = f
            }
            guard Int(previous) == count else { throw IndexProblem("fanout total \(previous) differs from count \(count)") }
            let start = PackFormat.indexHeaderSize + PackFormat.fanoutSize
            let table = Array(raw[start..<(start + count * PackFormat.indexEntrySize)])
            try table.withUnsafeBytes { t throws in
                for i in 0..<count {
                    let e = t.baseAddress! + i * PackFormat.indexEntrySize
                    let firstByte = Int(e.load(as: UInt8.self))
                    let lo = firstByte == 0 ? 0 : Int(fanout[firstByte - 1])
                    guard i >= lo && i < Int(fanout[firstByte]) else { throw IndexProblem("entry \(i) is outside its fanout bucket") }
                    if i > 0 && memcmp(e - PackFormat.indexEntrySize, e, 32) >= 0 {
                        throw IndexProblem("entries are not strictly sorted at \(i)")
                    }
                    let offset = loadBE(e, 32, as: UInt64.self)
                    let stored = UInt64(loadBE(e, 40, as: UInt32.self))
                    let rawLength = loadBE(e, 44, as: UInt32.self)
                    guard offset >= UInt64(PackFormat.packHeaderSize),
                          offset + UInt64(PackFormat.entryHeaderSize) + stored <= packSize,
                          Int(rawLength) <= PackFormat.maxObjectSize else {
                        throw IndexProblem("entry \(i) points outside the pack")
                    }
                }
            }
            return (table, count, fanout, packSize)
        }
    }
}

struct IndexProblem: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// One entry as found by reading a pack from the start.
struct ScannedEntry {
    var offset: UInt64
    var flags: UInt8
    var rawLength: UInt32
    var storedLength: UInt32
    var digest: Digest
}

enum PackScanner {
    /// Walks a pack's entry headers. Stops at the first header that cannot be right and returns why.
    static func scan(fd: Int32, path: String, size: UInt64) throws -> (entries: [ScannedEntry], problem: String?) {
        var header = [UInt8](repeating: 0, count: PackFormat.entryHeaderSize)
        let n = try header.withUnsafeMutableBytes { try preadFull(fd, $0.baseAddress!, PackFormat.packHeaderSize, 0, path: path) }
        guard n == PackFormat.packHeaderSize, Array(header[0..<4]) == PackFormat.packMagic,
              header.withUnsafeBytes({ loadBE($0.baseAddress!, 4, as: UInt32.self) }) == PackFormat.version else {
            return ([], "bad pack header")
        }
        var entries: [ScannedEntry] = []
        var offset = UInt64(PackFormat.packHeaderSize)
        while offset < size {
            let got = try header.withUnsafeMutableBytes { try preadFull(fd, $0.baseAddress!, PackFormat.entryHeaderSize, offset, path: path) }
            guard got == PackFormat.entryHeaderSize else { return (entries, "truncated entry header at offset \(offset)") }
            let (flags, rawLength, stored) = header.withUnsafeBytes { h in
                (h[0], loadBE(h.baseAddress!, 1, as: UInt32.self), loadBE(h.baseAddress!, 5, as: UInt32.self))
            }
            let end = offset + UInt64(PackFormat.entryHeaderSize) + UInt64(stored)
            let sane = (flags == PackFormat.flagRaw && stored == rawLength) || (flags == PackFormat.flagZlib && stored < rawLength)
            guard sane, Int(rawLength) <= PackFormat.maxObjectSize, end <= size else {
                return (entries, "bad entry header at offset \(offset) (flags \(flags), raw \(rawLength), stored \(stored))")
            }
            entries.append(ScannedEntry(offset: offset, flags: flags, rawLength: rawLength, storedLength: stored,
                                        digest: Digest(bytes: Array(header[9..<41]))!))
            offset = end
        }
        return (entries, nil)
    }
}

/// Writes one new pack: objects are appended to a temporary file, and `finish()` makes the pack
/// and its index visible atomically.
///
/// Threads: `put` may be called from several threads at once (its appends are serialised by
/// `putLock`, its compression is not); `finish` and `abandon` from one thread once every `put`
/// has returned. That is why it is `@unchecked Sendable`: all mutable state is behind `putLock`
/// except what `finish`/`abandon` touch after the puts.
public final class PackWriter: @unchecked Sendable {
    let store: ContentStore
    let tempPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var offset: UInt64 = UInt64(PackFormat.packHeaderSize)
    private var entries: [PackEntry] = []
    private var pending: Set<Digest> = []
    private let dedupAgainstStore: Bool
    private var closed = false
    private let putLock = NSLock()
    static let bufferSize = 1 << 20

    init(store: ContentStore, dedupAgainstStore: Bool = true) throws {
        self.store = store
        self.dedupAgainstStore = dedupAgainstStore
        tempPath = store.packsDirectory + "/" + PackFormat.temporaryPrefix + "\(getpid())-\(randomHex()).pack"
        fd = try check(Sys.open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444), "open", tempPath)
        buffer.reserveCapacity(PackWriter.bufferSize)
        buffer += PackFormat.packMagic
        buffer += PackFormat.version.bigEndianBytes
    }

    deinit { if !closed { abandon() } }

    /// Number of objects written so far.
    public var objectCount: Int { putLock.withLock { entries.count } }

    /// Appends an object unless the store or this pack already has it. Returns the bytes appended
    /// to the pack (0 when skipped). The caller promises `digest` is the SHA-256 of `bytes`.
    ///
    /// Compression: zlib (fast level) only when the first 8 KiB compress by at least 10%, and only
    /// if the whole object then shrinks; otherwise the bytes are stored raw.
    @discardableResult
    public func put(_ bytes: UnsafeRawBufferPointer, digest: Digest) throws -> UInt64 {
        guard bytes.count <= PackFormat.maxObjectSize else {
            throw StoreError.io(path: tempPath, operation: "put (object larger than 1 GiB)", errno: EFBIG)
        }
        // Several threads may ingest small files into one writer: the checks and the append are
        // serialised, the compression between them is not (two threads with the same object both
        // compress it; the second finds it pending and appends nothing).
        let (skip, wantsCompression) = putLock.withLock { () -> (Bool, Bool) in
            precondition(!closed, "PackWriter used after finish() or abandon()")
            if pending.contains(digest) || (dedupAgainstStore && store.contains(digest)) { return (true, false) }
            return (false, sampleSaysCompress(bytes))   // the sampling's back-off state is shared
        }
        if skip { return 0 }
        let compressed = wantsCompression ? Zlib.compress(bytes, limit: bytes.count) : nil
        putLock.lock()
        defer { putLock.unlock() }
        if pending.contains(digest) { return 0 }
        if let compressed {
            return try compressed.withUnsafeBytes { try appendEntry(flags: PackFormat.flagZlib, rawLength: bytes.count, payload: $0, digest: digest) }
        }
        return try appendEntry(flags: PackFormat.flagRaw, rawLength: bytes.count, payload: bytes, digest: digest)
    }

    /// Appends an object that was checked elsewhere (`VerifiedObject.check`) exactly as it was stored
    /// there, compressed or not: no recompression. Skipped, like `put`, when the store or this pack
    /// already has it. Returns the bytes appended to the pack (0 when skipped). Thread-safe like `put`.
    @discardableResult
    public func put(_ object: VerifiedObject) throws -> UInt64 {
        putLock.lock()
        defer { putLock.unlock() }
        precondition(!closed, "PackWriter used after finish() or abandon()")
        if pending.contains(object.digest) { return 0 }
        if dedupAgainstStore && store.contains(object.digest) { return 0 }
        return try object.payload.withUnsafeBytes {
            try appendEntry(flags: object.compressed ? PackFormat.flagZlib : PackFormat.flagRaw,
                            rawLength: Int(object.rawLength), payload: $0, digest: object.digest)
        }
    }

    /// Appends one entry (header, then payload as given). Call with `putLock` held.
    private func appendEntry(flags: UInt8, rawLength: Int, payload: UnsafeRawBufferPointer, digest: Digest) throws -> UInt64 {
        let header = PackFormat.entryHeader(flags: flags, rawLength: rawLength, storedLength: payload.count, digest: digest)
        try header.withUnsafeBytes { try append($0) }
        try append(payload)
        entries.append(PackEntry(digest: digest, offset: offset, storedLength: UInt32(payload.count), rawLength: UInt32(rawLength)))
        pending.insert(digest)
        let written = UInt64(header.count + payload.count)
        offset += written
        return written
    }

    /// Chunks to skip sampling after a run of incompressible ones (doubles per failed sample, up to 16).
    private var skipSamples = 0
    private var backoff = 0

    /// The compression decision with back-off: zlib on an incompressible 8 KiB sample costs about as much
    /// as hashing the whole 256 KiB chunk, so after a failed sample the next 1, 2, 4 … 16 chunks are
    /// stored raw without sampling; a successful sample resets the back-off. A file that turns
    /// compressible is noticed within 16 chunks.
    private func sampleSaysCompress(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if skipSamples > 0 { skipSamples -= 1; return false }
        if PackWriter.shouldCompress(bytes) { backoff = 0; return true }
        if bytes.count >= 4096 {
            backoff = min(max(backoff * 2, 1), 16)
            skipSamples = backoff
        }
        return false
    }

    /// Whether a sample of the object (its first 8 KiB, zlib fast level) shrinks by at least 10%.
    static func shouldCompress(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.count < 64 { return false }
        let sample = UnsafeRawBufferPointer(rebasing: bytes.prefix(8192))
        return Zlib.compressedSize(sample) * 10 <= sample.count * 9
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > PackWriter.bufferSize { try flush() }
        if bytes.count >= PackWriter.bufferSize {
            try writeAll(fd, bytes, path: tempPath)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    private func flush() throws {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBytes { try writeAll(fd, $0, path: tempPath) }
        buffer.removeAll(keepingCapacity: true)
        startWriteback()
    }

    private var writebackStart: UInt64 = 0

    /// Starts asynchronous write-back of every full 8 MiB written so far (`posix_fadvise(DONTNEED)`), so the
    /// fsync in `finish()` has little left to wait for. Durability still comes from that fsync.
    private func startWriteback() {
        let written = UInt64(lseek(fd, 0, SEEK_CUR))
        let step: UInt64 = 8 << 20
        if written >= writebackStart + step {
            let end = written / step * step
            // On Linux, POSIX_FADV_DONTNEED starts write-back of the dirty range without waiting (WB_SYNC_NONE).
            _ = posix_fadvise(fd, off_t(writebackStart), off_t(end - writebackStart), POSIX_FADV_DONTNEED)
            writebackStart = end
        }
    }

    /// Makes the pack visible: fsync the pack, write its index (temporary file, fsync, rename), rename
    /// the pack into place, fsync the directory, and register it with the store. A pack with no objects
    /// is simply discarded. Returns the pack's name (`pack-<hex>`), or nil when nothing was written.
    @discardableResult
    public func finish() throws -> String? {
        precondition(!closed, "PackWriter finished twice")
        if entries.isEmpty { abandon(); return nil }
        do {
            try flush()
            try check(Sys.fsync(fd), "fsync", tempPath)
            close(fd); fd = -1
            let sortedDigests = entries.map(\.digest).sorted()
            var nameBytes: [UInt8] = []
            nameBytes.reserveCapacity(sortedDigests.count * 32)
            for d in sortedDigests { nameBytes += d.bytes }
            let name = "pack-" + Digest.of(nameBytes).hex
            let dir = store.packsDirectory
            let packPath = dir + "/" + name + ".pack"
            let indexPath = dir + "/" + name + ".idx"
            let tempIndex = dir + "/" + PackFormat.temporaryPrefix + "\(getpid())-\(randomHex()).idx"
            let indexBytes = PackIndex.encode(entries: entries, packSize: offset)
            let ifd = try check(Sys.open(tempIndex, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444), "open", tempIndex)
            do {
                defer { close(ifd) }
                try indexBytes.withUnsafeBytes { try writeAll(ifd, $0, path: tempIndex) }
                try check(Sys.fsync(ifd), "fsync", tempIndex)
            } catch { Sys.unlink(tempIndex); throw error }
            // The same objects packed before give the same name: an index already there stays.
            let indexExisted = access(indexPath, F_OK) == 0
            guard Sys.rename(tempIndex, indexPath) == 0 else {
                let code = errno
                Sys.unlink(tempIndex)
                throw StoreError.io(path: indexPath, operation: "rename", errno: code)
            }
            guard Sys.rename(tempPath, packPath) == 0 else {
                // No index may name a pack that is not there.
                let code = errno
                if !indexExisted { Sys.unlink(indexPath) }
                throw StoreError.io(path: packPath, operation: "rename", errno: code)
            }
            try fsyncDirectory(dir)
            closed = true
            try store.register(name: name)
            return name
        } catch {
            abandon()
            throw error
        }
    }

    /// Deletes the temporary pack; nothing becomes visible.
    public func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        Sys.unlink(tempPath)
        closed = true
    }
}
