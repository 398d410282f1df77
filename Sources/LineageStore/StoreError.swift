import LineageCore
#if canImport(Glibc)
import Glibc
#endif

/// What went wrong in the content store, said so a user can act on it.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// An object's bytes do not hash to its digest (or cannot be decoded) in `file`.
    case corruptObject(Digest, file: String)
    /// No pack holds the object.
    case missingObject(Digest)
    /// A pack index fails its checksum or structure checks.
    case corruptPackIndex(file: String, detail: String)
    /// A pack file's structure is damaged at a place that is not one object's data.
    case corruptPack(file: String, detail: String)
    /// The file being added changed (size, mtime, ctime or inode) while it was read.
    case fileChanged(path: String)
    /// A restored or streamed file did not come out as recorded (size or whole-file SHA-256).
    case contentMismatch(path: String, detail: String)
    /// A system call failed.
    case io(path: String, operation: String, errno: Int32)
    /// Another process holds the repository lock.
    case lockBusy(path: String)
    /// The store was written by a newer lineage.
    case newerFormat(path: String, found: Int, supported: Int)
    /// The directory is not a content store (no readable `format` file).
    case notAStore(path: String)

    public var description: String {
        switch self {
        case .corruptObject(let d, let file):
            return "object \(d.hex) in \(file) is corrupt (its bytes do not match its SHA-256); restore the object from another copy of the repository"
        case .missingObject(let d):
            return "object \(d.hex) is missing from the content store; fetch or re-add the data it belongs to"
        case .corruptPackIndex(let file, let detail):
            return "pack index \(file) is damaged (\(detail)); its objects are found by scanning the pack instead"
        case .corruptPack(let file, let detail):
            return "pack \(file) is damaged (\(detail))"
        case .fileChanged(let path):
            return "\(path) changed while it was being read; wait until whatever writes it has finished, then add it again"
        case .contentMismatch(let path, let detail):
            return "the bytes written to \(path) do not match the record (\(detail))"
        case .io(let path, let op, let code):
            return "\(op) failed on \(path): \(String(cString: strerror(code))); check that the path exists, is writable and the disk is not full, then retry"
        case .lockBusy(let path):
            return "another lineage process is writing to this repository (lock \(path)); wait for it to finish and retry"
        case .newerFormat(let path, let found, let supported):
            return "the content store \(path) has format \(found) but this lineage understands up to \(supported); upgrade lineage"
        case .notAStore(let path):
            return "\(path) is not a lineage content store (no format file)"
        }
    }
}

/// Throws `StoreError.io` with the current errno when `result` is -1.
@discardableResult
func check<T: BinaryInteger>(_ result: T, _ operation: String, _ path: String) throws -> T {
    if result == -1 { throw StoreError.io(path: path, operation: operation, errno: errno) }
    return result
}

/// Writes all of `buffer` at the current position, retrying short writes and EINTR.
func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
    var done = 0
    while done < buffer.count {
        let n = Sys.write(fd, buffer.baseAddress! + done, buffer.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            throw StoreError.io(path: path, operation: "write", errno: errno)
        }
        done += n
    }
}

/// Reads up to `count` bytes at `offset`; returns how many were read (short only at end of file).
func preadFull(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: UInt64, path: String) throws -> Int {
    var done = 0
    while done < count {
        let n = Sys.pread(fd, buffer + done, count - done, off_t(offset) + off_t(done))
        if n < 0 {
            if errno == EINTR { continue }
            throw StoreError.io(path: path, operation: "pread", errno: errno)
        }
        if n == 0 { break }
        done += n
    }
    return done
}

/// Reads until `count` bytes or end of file from the current position.
func readFull(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, path: String) throws -> Int {
    var done = 0
    while done < count {
        let n = Sys.read(fd, buffer + done, count - done)
        if n < 0 {
            if errno == EINTR { continue }
            throw StoreError.io(path: path, operation: "read", errno: errno)
        }
        if n == 0 { break }
        done += n
    }
    return done
}

/// Reads a whole (small) file.
func readWholeFile(_ path: String) throws -> [UInt8] {
    let fd = try check(Sys.open(path, O_RDONLY | O_CLOEXEC), "open", path)
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = try chunk.withUnsafeMutableBytes { try readFull(fd, $0.baseAddress!, $0.count, path: path) }
        out.append(contentsOf: chunk[0..<n])
        if n < chunk.count { break }
    }
    return out
}

/// fsync a directory so renames and unlinks in it are durable.
func fsyncDirectory(_ path: String) throws {
    let fd = try check(Sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open", path)
    defer { close(fd) }
    try check(Sys.fsync(fd), "fsync", path)
}

func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}

func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

/// Names of the entries of a directory (without `.` and `..`).
func listDirectory(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { throw StoreError.io(path: path, operation: "opendir", errno: errno) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// 16 random hex characters for temporary names.
func randomHex() -> String {
    var g = SystemRandomNumberGenerator()
    let v = g.next() as UInt64
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

func makeDirectory(_ path: String) throws {
    if Sys.mkdir(path, 0o755) != 0 && errno != EEXIST {
        throw StoreError.io(path: path, operation: "mkdir", errno: errno)
    }
}

extension FixedWidthInteger {
    var bigEndianBytes: [UInt8] { withUnsafeBytes(of: self.bigEndian) { Array($0) } }
}

@inline(__always)
func loadBE<T: FixedWidthInteger>(_ p: UnsafeRawPointer, _ offset: Int, as: T.Type) -> T {
    T(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: T.self))
}
