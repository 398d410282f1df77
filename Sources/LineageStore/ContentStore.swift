import Foundation
import LineageCore
#if canImport(Glibc)
import Glibc
#endif

/// What `ContentStore.ingest` learned about a file.
public struct IngestResult: Sendable {
    public let size: UInt64
    /// SHA-256 of the whole file (what `sha256sum` prints).
    public let sha256: Digest
    public let chunkList: ChunkList
    /// SHA-256 of `chunkList.encoded()`; the chunk list is stored under it.
    public let chunkListDigest: Digest
    /// Bytes newly appended to packs (entry headers included; 0 when everything was already stored).
    public let newBytes: UInt64
    /// The file's stat once read, identical to the stat before reading (else `fileChanged`).
    public let stat: FileStat
}

/// What `gc` removed.
public struct GCStats: Sendable, Equatable {
    public let objectsBefore: Int
    public let objectsAfter: Int
    /// Total size of the pack files before and after.
    public let bytesBefore: UInt64
    public let bytesAfter: UInt64
}

/// One thing `verify` found wrong.
public struct StoreProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// An object's bytes do not hash to its digest, or its zlib stream is damaged.
        case corruptObject
        /// An object could not be read (I/O error).
        case unreadableObject
        /// A pack index fails its checksum or structure, disagrees with its pack, or is missing.
        case corruptPackIndex
        /// A pack's own structure (file header, entry headers) is damaged.
        case corruptPack
        /// An index whose pack is gone (left by an interrupted `gc` or a deleted pack).
        case orphanIndex
    }
    public let kind: Kind
    public let file: String
    public let object: Digest?
    public let detail: String

    public init(kind: Kind, file: String, object: Digest?, detail: String) {
        self.kind = kind; self.file = file; self.object = object; self.detail = detail
    }

    public var description: String {
        var s = "\(kind.rawValue): \(file)"
        if let object { s += " object \(object.hex)" }
        return s + ": " + detail
    }
}

/// The content store: SHA-256-addressed objects (file chunks and chunk lists) in append-only
/// pack files with sorted, checksummed indexes.
///
/// Layout under `directory` (normally `.lineage/content`):
/// `format` (store format version), `sha256/packs/pack-<hex>.pack` + `.idx`, and `tmp-*` files of
/// writers in progress, which readers ignore and `gc` removes once their process is gone.
///
/// Thread-safe: the list of packs is guarded by a lock; reads use `pread`.
/// Writers (`beginWrite`, `gc`) should hold the `RepositoryLock`.
///
/// A damaged pack index met at open does not stop the store: the pack is scanned instead (its
/// entry headers carry each object's digest), reads keep working and are verified by digest as
/// always, and `verify` reports the index as `corruptPackIndex` until `gc` rewrites it.
public final class ContentStore: @unchecked Sendable {
    public static let formatVersion = 1
    public let directory: String
    public let packsDirectory: String
    fileprivate let lock = NSLock()
    fileprivate var packs: [PackIndex] = []
    private var orphanIndexes: [String] = []

    /// Creates the directories and the `format` file (idempotent).
    public static func create(at directory: String) throws {
        try makeDirectories(directory)
        try makeDirectory(directory + "/sha256")
        try makeDirectory(directory + "/sha256/packs")
        let format = directory + "/format"
        if access(format, F_OK) != 0 {
            try AtomicFile.write(Array("\(formatVersion)\n".utf8), to: format)
        }
    }

    /// Opens a store (its format is checked now; its pack indexes are loaded on first use).
    public init(directory: String) throws {
        self.directory = directory
        self.packsDirectory = directory + "/sha256/packs"
        let formatPath = directory + "/format"
        let text: [UInt8]
        do { text = try readWholeFile(formatPath) } catch StoreError.io(let path, let op, let code) where code != ENOENT && code != ENOTDIR {
            // The file is there but the system cannot read it: that is not "not a store".
            throw StoreError.io(path: path, operation: op, errno: code)
        } catch { throw StoreError.notAStore(path: directory) }
        guard let version = Int(String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw StoreError.notAStore(path: directory)
        }
        guard version <= ContentStore.formatVersion else {
            throw StoreError.newerFormat(path: directory, found: version, supported: ContentStore.formatVersion)
        }
        // The pack indexes are loaded on first use (`snapshot`), not here: commands like `status`
        // open the repository without reading a single object.
    }

    // MARK: - Packs

    /// Loads packs that appeared since the store was opened (e.g. written by another process).
    func reload() throws {
        let names = try listDirectory(packsDirectory)
        let packNames = Set(names.compactMap { PackFormat.packName(fromFile: $0, ext: "pack") })
        let indexNames = Set(names.compactMap { PackFormat.packName(fromFile: $0, ext: "idx") })
        let known = lock.withLock { Set(packs.map(\.name)) }
        var loaded: [PackIndex] = []
        for name in packNames.sorted() where !known.contains(name) {
            loaded.append(try loadPack(name: name))
        }
        let orphans = indexNames.subtracting(packNames).sorted().map { packsDirectory + "/" + $0 + ".idx" }
        lock.withLock {
            // Another thread may have loaded the same pack meanwhile.
            let present = Set(packs.map(\.name))
            packs += loaded.filter { !present.contains($0.name) }
            orphanIndexes = orphans
            isLoaded = true
        }
    }

    /// Whether `reload` has run once (the packs of the directory are known).
    private var isLoaded = false

    private func loadPack(name: String) throws -> PackIndex {
        let packPath = packsDirectory + "/" + name + ".pack"
        let indexPath = packsDirectory + "/" + name + ".idx"
        let fd = try check(Sys.open(packPath, O_RDONLY | O_CLOEXEC), "open", packPath)
        var st = stat()
        guard fstat(fd, &st) == 0 else { let e = errno; close(fd); throw StoreError.io(path: packPath, operation: "fstat", errno: e) }
        let size = UInt64(st.st_size)
        var damage: String
        if let bytes = try? readWholeFile(indexPath) {
            do {
                let parsed = try PackIndex.parse(bytes)
                if parsed.packSize == size {
                    return PackIndex(name: name, packPath: packPath, indexPath: indexPath, table: parsed.table,
                                     count: parsed.count, fanout: parsed.fanout, packSize: parsed.packSize, fd: fd)
                }
                damage = "the index describes a pack of \(parsed.packSize) bytes but the pack has \(size)"
            } catch {
                damage = (error as? IndexProblem)?.description ?? "\(error)"
            }
        } else {
            damage = "the index file is missing or unreadable"
        }
        // Fall back to the pack itself: every entry header names its object.
        let scanned = (try? PackScanner.scan(fd: fd, path: packPath, size: size)) ?? ([], "unreadable")
        if let problem = scanned.problem { damage += "; the pack scan stopped early: \(problem)" }
        let entries = scanned.entries.map { PackEntry(digest: $0.digest, offset: $0.offset, storedLength: $0.storedLength, rawLength: $0.rawLength) }
        return PackIndex(name: name, packPath: packPath, indexPath: indexPath, entries: entries, packSize: size, damage: damage, fd: fd)
    }

    /// Called by a finished `PackWriter`.
    func register(name: String) throws {
        if lock.withLock({ packs.contains { $0.name == name } }) { return }
        let pack = try loadPack(name: name)
        lock.withLock { if !packs.contains(where: { $0.name == name }) { packs.append(pack) } }
    }

    /// The loaded packs, loading them first if no `reload` has run yet. A failure to load is not
    /// thrown here: the object then looks absent, and `read` (which reloads on a miss) throws it.
    func snapshot() -> [PackIndex] {
        if let loaded = lock.withLock({ isLoaded ? packs : nil }) { return loaded }
        try? reload()
        return lock.withLock { packs }
    }

    /// Damaged indexes found at open, as (index path, reason).
    public var damagedIndexes: [(file: String, detail: String)] {
        snapshot().compactMap { p in p.damage.map { (p.indexPath, $0) } }
    }

    func locate(_ digest: Digest) -> (PackIndex, PackEntry)? {
        for p in snapshot() { if let e = p.find(digest) { return (p, e) } }
        return nil
    }

    public func contains(_ digest: Digest) -> Bool { locate(digest) != nil }

    /// Every object digest in the store, sorted, without duplicates.
    public func allDigests() -> [Digest] {
        var set = Set<Digest>()
        for p in snapshot() { for e in p.entries { set.insert(e.digest) } }
        return set.sorted()
    }

    // MARK: - Reading

    /// An object's bytes, decompressed and verified against its SHA-256.
    /// Throws `missingObject` when no pack has it, `corruptObject` when its bytes are damaged.
    public func read(_ digest: Digest) throws -> [UInt8] {
        var found = locate(digest)
        if found == nil {
            try reload()
            found = locate(digest)
        }
        guard let (pack, entry) = found else { throw StoreError.missingObject(digest) }
        return try read(entry: entry, in: pack, expected: digest)
    }

    private func read(entry: PackEntry, in pack: PackIndex, expected digest: Digest) throws -> [UInt8] {
        // The header and the payload are read separately so raw payloads land in their final array
        // with no zero-fill and no copy.
        var header = [UInt8](repeating: 0, count: PackFormat.entryHeaderSize)
        let h = try header.withUnsafeMutableBytes { try preadFull(pack.fd, $0.baseAddress!, $0.count, entry.offset, path: pack.packPath) }
        guard h == PackFormat.entryHeaderSize else { throw StoreError.corruptObject(digest, file: pack.packPath) }
        let (flags, rawLength, stored) = header.withUnsafeBytes { h in
            (h[0], loadBE(h.baseAddress!, 1, as: UInt32.self), loadBE(h.baseAddress!, 5, as: UInt32.self))
        }
        guard rawLength == entry.rawLength, stored == entry.storedLength,
              header[9..<41].elementsEqual(digest.bytes) else {
            throw StoreError.corruptObject(digest, file: pack.packPath)
        }
        let count = Int(stored)
        let payloadOffset = entry.offset + UInt64(PackFormat.entryHeaderSize)
        var shortRead = false
        let payload = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let n = count == 0 ? 0 : try preadFull(pack.fd, buffer.baseAddress!, count, payloadOffset, path: pack.packPath)
            if n != count { shortRead = true; buffer.initialize(repeating: 0) }
            initialized = count
        }
        if shortRead { throw StoreError.corruptObject(digest, file: pack.packPath) }
        let bytes: [UInt8]
        switch flags {
        case PackFormat.flagRaw:
            bytes = payload
        case PackFormat.flagZlib:
            guard let out = payload.withUnsafeBytes({ Zlib.decompress($0, rawLength: Int(rawLength)) }) else {
                throw StoreError.corruptObject(digest, file: pack.packPath)
            }
            bytes = out
        default:
            throw StoreError.corruptObject(digest, file: pack.packPath)
        }
        if bytes.withUnsafeBytes({ sha256($0) }) != digest { throw StoreError.corruptObject(digest, file: pack.packPath) }
        return bytes
    }

    // MARK: - Writing

    /// Starts a new pack. Hold the repository lock while writing.
    public func beginWrite() throws -> PackWriter { try PackWriter(store: self) }

    /// Streams a file into the store: whole-file SHA-256, FastCDC chunks, per-chunk SHA-256, new chunks
    /// appended to `writer`, and the chunk list stored as an object too.
    ///
    /// Two threads: a reader thread reads 4 MiB blocks, hashes the whole file and finds the cut points;
    /// the calling thread hashes each chunk and writes new ones (and calls `progress` with bytes done).
    /// Memory is bounded by three blocks (about 15 MiB with the production parameters).
    /// Throws `fileChanged` if size, mtime, ctime or inode differ between open and end of read.
    public func ingest(file path: String, into writer: PackWriter, parameters: ChunkerParameters = .production,
                       progress: ((UInt64) -> Void)? = nil) throws -> IngestResult {
        let fd = try check(Sys.open(path, O_RDONLY | O_CLOEXEC), "open", path)
        defer { close(fd) }
        guard let before = FileStat.fstat(fd) else { throw StoreError.io(path: path, operation: "fstat", errno: errno) }
        if before.size <= UInt64(parameters.minSize) {
            return try ingestSmall(fd: fd, path: path, before: before, into: writer, progress: progress)
        }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)

        let pipeline = ChunkPipeline(fd: fd, path: path, parameters: parameters)
        var entries: [ChunkList.Entry] = []
        var newBytes: UInt64 = 0
        var done: UInt64 = 0
        do {
            try pipeline.run { chunk in
                let digest = sha256(chunk)
                newBytes += try writer.put(chunk, digest: digest)
                entries.append(ChunkList.Entry(digest: digest, length: UInt32(chunk.count)))
                done += UInt64(chunk.count)
            } batchDone: {
                progress?(done)
            }
        }
        guard let after = FileStat.fstat(fd), after.sameFile(as: before), pipeline.totalRead == before.size else {
            throw StoreError.fileChanged(path: path)
        }
        return try finishIngest(entries: entries, size: pipeline.totalRead, sha256: pipeline.wholeDigest,
                                newBytes: newBytes, stat: after, into: writer)
    }

    /// Stores the chunk list object of an ingested file and makes its result.
    private func finishIngest(entries: [ChunkList.Entry], size: UInt64, sha256 digest: Digest, newBytes: UInt64,
                              stat: FileStat, into writer: PackWriter) throws -> IngestResult {
        let list = ChunkList(entries: entries)
        let encoded = list.encoded()
        let listDigest = Digest.of(encoded)
        let listBytes = try encoded.withUnsafeBytes { try writer.put($0, digest: listDigest) }
        return IngestResult(size: size, sha256: digest, chunkList: list, chunkListDigest: listDigest,
                            newBytes: newBytes + listBytes, stat: stat)
    }

    /// A file no longer than the minimum chunk size is one chunk: read it whole on this thread, and
    /// its chunk digest is its file digest (one SHA-256 pass, no pipeline threads or buffers).
    private func ingestSmall(fd: Int32, path: String, before: FileStat, into writer: PackWriter,
                             progress: ((UInt64) -> Void)?) throws -> IngestResult {
        let capacity = Int(before.size) + 1
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        while filled < capacity {
            let n = Sys.read(fd, buffer.baseAddress! + filled, capacity - filled)
            if n < 0 { if errno == EINTR { continue }; throw StoreError.io(path: path, operation: "read", errno: errno) }
            if n == 0 { break }
            filled += n
        }
        // Reading one byte more than the size catches a file that grew since fstat.
        guard filled == Int(before.size), let after = FileStat.fstat(fd), after.sameFile(as: before) else {
            throw StoreError.fileChanged(path: path)
        }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
        let digest = sha256(bytes)
        var newBytes: UInt64 = 0
        var entries: [ChunkList.Entry] = []
        if filled > 0 {
            newBytes += try writer.put(bytes, digest: digest)
            entries.append(ChunkList.Entry(digest: digest, length: UInt32(filled)))
        }
        progress?(UInt64(filled))
        return try finishIngest(entries: entries, size: UInt64(filled), sha256: digest, newBytes: newBytes, stat: after, into: writer)
    }

    // MARK: - Restoring

    /// Writes the file's bytes to `path` (created or truncated, then chmod'ed to `mode`) and fsyncs it,
    /// unless `durable` is false: for working-directory files, which (as with git's checkout) the
    /// store can always restore again.
    ///
    /// Integrity: what is written is exactly the file the chunk list `chunkList` describes, or this
    /// throws. The list is read by its SHA-256 — the digest the (signed) pointer records — and its
    /// lengths must add up to `size`. Every chunk is addressed by its SHA-256: each is re-hashed once
    /// read (and inflated) and must equal its address and its length in the list before any byte of
    /// it is written. By SHA-256's collision resistance the reassembled bytes are then the ones that
    /// were chunked and hashed when the file was added, so no second, whole-file hash pass is made.
    /// `sha256` (the pointer's whole-file digest, computed by `ingest` from the same read of the file
    /// as the chunk addresses) is compared where that costs nothing — an empty or one-chunk file,
    /// whose one chunk address is its whole-file digest — and otherwise not recomputed here;
    /// `lineage verify` re-derives it from the chunks. Dropping that inherently sequential pass lets
    /// the chunk checks run on all cores (`ChunkRestore.writePositional`: workers read and check
    /// chunks in parallel, one at a time `pwrite`s checked chunks at their offsets; a few MiB of
    /// buffers in all). The file's blocks are reserved up front (`preallocate`).
    ///
    /// Throws `missingObject` for an absent chunk, `corruptObject` for a damaged one, `contentMismatch`
    /// when the list does not match `size` (or `sha256`, as above). The file may then be partly
    /// written: callers restore to a temporary name and rename it only after success.
    public func restore(chunkList: Digest, size: UInt64, sha256: Digest, to path: String, mode: mode_t = 0o644,
                        durable: Bool = true, progress: ((UInt64) -> Void)? = nil) throws {
        let list = try checkedChunkList(chunkList, size: size, sha256: sha256, path: path)
        let fd = try check(Sys.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode), "open", path)
        defer { close(fd) }
        try check(fchmod(fd, mode), "fchmod", path)
        preallocate(fd, size: size)
        try ChunkRestore(store: self, list: list, listDigest: chunkList, fd: fd, path: path).writePositional(progress: progress)
        if durable { try check(Sys.fsync(fd), "fsync", path) }
    }

    /// Streams the file's bytes to `fd` (e.g. stdout) in order, checked as `restore` checks them: a chunk
    /// is written only once its SHA-256 and length are verified. On a failure the chunks before the bad
    /// one have been written; the error is still thrown.
    public func write(chunkList: Digest, size: UInt64, sha256: Digest, toFileDescriptor fd: Int32) throws {
        let path = "file descriptor \(fd)"
        let list = try checkedChunkList(chunkList, size: size, sha256: sha256, path: path)
        try ChunkRestore(store: self, list: list, listDigest: chunkList, fd: fd, path: path).writeInOrder(progress: nil)
    }

    /// The chunk list object, decoded; `corruptObject` if it is not a chunk list.
    public func chunkList(_ digest: Digest) throws -> ChunkList {
        let bytes = try read(digest)
        do { return try ChunkList.decode(bytes) } catch {
            throw StoreError.corruptObject(digest, file: "chunk list")
        }
    }

    /// The chunk list of a file about to be restored, checked against its record: the lengths add up
    /// to `size`, and for an empty or one-chunk file (whose chunk address is its whole-file SHA-256)
    /// the digest equals `sha256`.
    private func checkedChunkList(_ listDigest: Digest, size: UInt64, sha256: Digest, path: String) throws -> ChunkList {
        let list = try chunkList(listDigest)
        guard list.totalSize == size else {
            throw StoreError.contentMismatch(path: path, detail: "chunk list \(listDigest.hex) adds up to \(list.totalSize) bytes, the record says \(size)")
        }
        if list.entries.count <= 1 {
            let whole = list.entries.first?.digest ?? Digest.of([UInt8]())
            guard whole == sha256 else {
                throw StoreError.contentMismatch(path: path, detail: "SHA-256 is \(whole.hex), expected \(sha256.hex)")
            }
        }
        return list
    }

    /// One chunk of a file being restored, read into `scratch` (inflated if stored compressed) and
    /// checked before it is returned: its pack entry header, its SHA-256 against its address, and its
    /// length against the chunk list `listDigest`. Throws `missingObject` / `corruptObject` as `read`
    /// does. The bytes stay valid until `scratch` is used again. Safe on several threads at once,
    /// each with its own scratch.
    func readChunk(_ chunk: ChunkList.Entry, list listDigest: Digest, into scratch: ChunkScratch) throws -> UnsafeRawBufferPointer {
        let digest = chunk.digest
        var found = locate(digest)
        if found == nil {
            try reload()
            found = locate(digest)
        }
        guard let (pack, entry) = found else { throw StoreError.missingObject(digest) }
        let corrupt = StoreError.corruptObject(digest, file: pack.packPath)
        let storedLength = Int(entry.storedLength), rawLength = Int(entry.rawLength)
        guard storedLength <= PackFormat.maxObjectSize, rawLength <= PackFormat.maxObjectSize else { throw corrupt }
        // Entry header and payload in one read.
        let total = PackFormat.entryHeaderSize + storedLength
        scratch.reserve(stored: total, raw: 0)
        guard try preadFull(pack.fd, scratch.stored, total, entry.offset, path: pack.packPath) == total else { throw corrupt }
        let header = UnsafeRawPointer(scratch.stored)
        let sameName = digest.bytes.withUnsafeBytes { memcmp(header + 9, $0.baseAddress!, 32) == 0 }
        guard loadBE(header, 1, as: UInt32.self) == entry.rawLength, loadBE(header, 5, as: UInt32.self) == entry.storedLength,
              sameName else { throw corrupt }
        let payload = UnsafeRawBufferPointer(start: header + PackFormat.entryHeaderSize, count: storedLength)
        let bytes: UnsafeRawBufferPointer
        switch header.load(as: UInt8.self) {
        case PackFormat.flagRaw:
            bytes = payload
        case PackFormat.flagZlib:
            guard scratch.inflate(payload, rawLength: rawLength) else { throw corrupt }
            bytes = UnsafeRawBufferPointer(start: scratch.raw, count: rawLength)
        default:
            throw corrupt
        }
        guard sha256(bytes) == digest else { throw corrupt }
        guard bytes.count == Int(chunk.length) else {
            throw StoreError.corruptObject(digest, file: "chunk list \(listDigest.hex)")
        }
        return bytes
    }

    // MARK: - Verify

    /// Re-hashes every object in every pack and checks every index (checksum, structure, agreement with its pack).
    /// `progress` gets (objects checked, objects in all packs).
    public func verify(progress: ((Int, Int) -> Void)? = nil) -> [StoreProblem] {
        try? reload()
        var problems: [StoreProblem] = []
        let (all, orphans) = lock.withLock { (packs, orphanIndexes) }
        for o in orphans {
            problems.append(StoreProblem(kind: .orphanIndex, file: o, object: nil, detail: "index without a pack (safe to remove)"))
        }
        let total = all.reduce(0) { $0 + $1.count }
        var checked = 0
        for pack in all {
            if let damage = pack.damage {
                problems.append(StoreProblem(kind: .corruptPackIndex, file: pack.indexPath, object: nil, detail: damage))
            }
            var st = stat()
            let size: UInt64 = fstat(pack.fd, &st) == 0 ? UInt64(st.st_size) : 0
            let scan: (entries: [ScannedEntry], problem: String?)
            do { scan = try PackScanner.scan(fd: pack.fd, path: pack.packPath, size: size) } catch {
                problems.append(StoreProblem(kind: .corruptPack, file: pack.packPath, object: nil, detail: "\(error)"))
                continue
            }
            if let problem = scan.problem {
                problems.append(StoreProblem(kind: .corruptPack, file: pack.packPath, object: nil, detail: problem))
            }
            let indexed = pack.entries
            var byOffset: [UInt64: PackEntry] = [:]
            for e in indexed { byOffset[e.offset] = e }
            var scannedOffsets = Set<UInt64>()
            for s in scan.entries {
                scannedOffsets.insert(s.offset)
                var expected = s.digest
                if let e = byOffset[s.offset] {
                    if e.digest != s.digest || e.rawLength != s.rawLength || e.storedLength != s.storedLength {
                        problems.append(StoreProblem(kind: .corruptPack, file: pack.packPath, object: e.digest,
                            detail: "entry header at offset \(s.offset) names \(s.digest.hex) (\(s.rawLength)/\(s.storedLength) bytes) but the index has \(e.digest.hex) (\(e.rawLength)/\(e.storedLength) bytes)"))
                    }
                    expected = e.digest
                } else if pack.damage == nil {
                    problems.append(StoreProblem(kind: .corruptPackIndex, file: pack.indexPath, object: s.digest,
                        detail: "object at pack offset \(s.offset) is not in the index"))
                }
                if let problem = checkObject(s, expected: expected, pack: pack) { problems.append(problem) }
                checked += 1
                progress?(min(checked, total), total)
            }
            for e in indexed where !scannedOffsets.contains(e.offset) {
                problems.append(StoreProblem(kind: .corruptPackIndex, file: pack.indexPath, object: e.digest,
                    detail: "index points at pack offset \(e.offset), where no object starts"))
            }
            if pack.damage == nil && pack.packSize != size {
                problems.append(StoreProblem(kind: .corruptPack, file: pack.packPath, object: nil,
                    detail: "pack has \(size) bytes, its index says \(pack.packSize)"))
            }
        }
        return problems
    }

    private func checkObject(_ s: ScannedEntry, expected: Digest, pack: PackIndex) -> StoreProblem? {
        var raw = [UInt8](repeating: 0, count: Int(s.storedLength))
        let start = s.offset + UInt64(PackFormat.entryHeaderSize)
        do {
            let n = try raw.withUnsafeMutableBytes { try preadFull(pack.fd, $0.baseAddress!, $0.count, start, path: pack.packPath) }
            guard n == raw.count else {
                return StoreProblem(kind: .unreadableObject, file: pack.packPath, object: expected, detail: "short read at offset \(start)")
            }
        } catch {
            return StoreProblem(kind: .unreadableObject, file: pack.packPath, object: expected, detail: "\(error)")
        }
        let bytes: [UInt8]?
        if s.flags == PackFormat.flagZlib {
            bytes = raw.withUnsafeBytes { Zlib.decompress($0, rawLength: Int(s.rawLength)) }
        } else {
            bytes = raw
        }
        guard let bytes else {
            return StoreProblem(kind: .corruptObject, file: pack.packPath, object: expected, detail: "damaged zlib stream at offset \(s.offset)")
        }
        let actual = Digest.of(bytes)
        if actual != expected {
            return StoreProblem(kind: .corruptObject, file: pack.packPath, object: expected, detail: "bytes at offset \(s.offset) hash to \(actual.hex)")
        }
        return nil
    }

    // MARK: - GC

    /// Rewrites the packs keeping only the objects in `keep` (which must be readable: a corrupt object
    /// that is kept makes `gc` throw and change nothing). The new pack and its index are in place before
    /// any old pack is deleted. Also removes orphan indexes and temporary files of dead processes.
    /// Hold the repository lock.
    public func gc(keep: Set<Digest>) throws -> GCStats {
        try reload()
        let before = snapshot()
        var present = Set<Digest>()
        for p in before { for e in p.entries { present.insert(e.digest) } }
        let bytesBefore = before.reduce(UInt64(0)) { $0 + $1.packSize }
        let kept = present.intersection(keep).sorted()
        let clean = before.count <= 1 && kept.count == present.count && before.allSatisfy { $0.damage == nil }
        if !clean {
            try rewrite(replacing: before) { writer in
                for d in kept {
                    let bytes = try read(d)
                    try bytes.withUnsafeBytes { _ = try writer.put($0, digest: d) }
                }
            }
        }
        // Orphan indexes and stale temporary files.
        let names = (try? listDirectory(packsDirectory)) ?? []
        let packNames = Set(names.compactMap { PackFormat.packName(fromFile: $0, ext: "pack") })
        for name in names {
            if let stem = PackFormat.packName(fromFile: name, ext: "idx"), !packNames.contains(stem) {
                Sys.unlink(packsDirectory + "/" + name)
            }
        }
        Leftovers.remove(leftovers())
        try fsyncDirectory(packsDirectory)
        try reload()
        let after = snapshot()
        return GCStats(objectsBefore: present.count, objectsAfter: Set(after.flatMap { $0.entries.map(\.digest) }).count,
                       bytesBefore: bytesBefore, bytesAfter: after.reduce(UInt64(0)) { $0 + $1.packSize })
    }

    /// Deletes these objects for good (erasure): only the packs holding one of them are rewritten,
    /// without it, every other object copied and re-verified; the new pack is in place before the
    /// old ones go. Other copies of the same object in other packs go too. Hold the repository lock.
    /// Returns how many objects and bytes (uncompressed) were removed.
    @discardableResult
    public func remove(_ digests: Set<Digest>) throws -> (objects: Int, bytes: UInt64) {
        try reload()
        let affected = snapshot().filter { pack in pack.entries.contains { digests.contains($0.digest) } }
        guard !affected.isEmpty else { return (0, 0) }
        var removed = Set<Digest>()
        var bytes: UInt64 = 0
        try rewrite(replacing: affected) { writer in
            var copied = Set<Digest>()
            for pack in affected {
                for e in pack.entries {
                    if digests.contains(e.digest) {
                        if removed.insert(e.digest).inserted { bytes += UInt64(e.rawLength) }
                        continue
                    }
                    guard copied.insert(e.digest).inserted else { continue }
                    let bytes = try read(entry: e, in: pack, expected: e.digest)
                    try bytes.withUnsafeBytes { _ = try writer.put($0, digest: e.digest) }
                }
            }
        }
        try fsyncDirectory(packsDirectory)
        return (removed.count, bytes)
    }

    /// Merges the smallest packs into one once there are more than `limit` (every `add` writes a
    /// pack; without this, each lookup would search thousands of them). Which packs: see
    /// `GeometricRollUp`. Every object is kept and re-verified as it is copied; the new pack and
    /// its index are in place before any old pack is deleted. Hold the repository lock.
    /// Returns how many packs were merged.
    @discardableResult
    public func consolidate(limit: Int = 50) throws -> Int {
        try reload()
        let before = snapshot().filter { $0.damage == nil }.sorted { $0.packSize < $1.packSize }
        guard before.count > limit else { return 0 }
        let merged = Array(before.prefix(GeometricRollUp.split(before.map(\.packSize))))
        guard merged.count > 1 else { return 0 }
        try rewrite(replacing: merged) { writer in
            var copied = Set<Digest>()
            for pack in merged {
                for e in pack.entries where copied.insert(e.digest).inserted {
                    let bytes = try read(entry: e, in: pack, expected: e.digest)
                    try bytes.withUnsafeBytes { _ = try writer.put($0, digest: e.digest) }
                }
            }
        }
        try fsyncDirectory(packsDirectory)
        return merged.count
    }

    /// Writes what `fill` puts into one new pack, then retires the `old` packs: the new pack and its
    /// index are in place before any old pack is deleted (a pack the new one equals, by name, stays).
    private func rewrite(replacing old: [PackIndex], fill: (PackWriter) throws -> Void) throws {
        let writer = try PackWriter(store: self, dedupAgainstStore: false)
        let newName: String?
        do {
            try fill(writer)
            newName = try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
        for pack in old where pack.name != newName {
            Sys.unlink(pack.packPath)
            Sys.unlink(pack.indexPath)
        }
        lock.withLock { packs.removeAll { p in old.contains { $0 === p } && p.name != newName } }
    }

    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            try makeDirectory(current)
        }
    }
}

extension ContentStore {
    /// The loaded packs (for tests and diagnostics).
    func snapshotForTests() -> [PackIndex] { lock.withLock { packs } }
}
