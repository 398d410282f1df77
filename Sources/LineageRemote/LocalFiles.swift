import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The few system calls the directory store and the pack layout need, errors as `RemoteError.io`.
enum LocalFiles {
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw RemoteError.io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    /// Up to `count` bytes at `offset` (fewer only at the end of the file).
    static func readRange(_ fd: Int32, path: String, offset: UInt64, count: Int) throws -> [UInt8] {
        var failure: Int32 = 0
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 { if errno == EINTR { continue }; failure = errno; break }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        if failure != 0 { throw RemoteError.io(path: path, operation: "pread", errno: failure) }
        return out
    }

    /// fsync a directory so renames and unlinks in it are durable.
    static func fsyncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RemoteError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        // Some network filesystems cannot fsync a directory (EINVAL): their renames are synchronous.
        guard fsync(fd) == 0 || errno == EINVAL || errno == ENOTSUP else {
            throw RemoteError.io(path: path, operation: "fsync", errno: errno)
        }
    }

    static func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    static func randomHex() -> String {
        var g = SystemRandomNumberGenerator()
        return String(g.next() as UInt64, radix: 16)
    }

    /// Writes a file atomically: temporary file beside it, fsync, rename, fsync of the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temp = directoryOf(path) + "/.tmp-\(getpid())-\(randomHex())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RemoteError.io(path: temp, operation: "open", errno: errno) }
        do {
            defer { close(fd) }
            try bytes.withUnsafeBytes { try writeAll(fd, $0, path: temp) }
            guard fsync(fd) == 0 else { throw RemoteError.io(path: temp, operation: "fsync", errno: errno) }
        } catch { unlink(temp); throw error }
        guard rename(temp, path) == 0 else { let e = errno; unlink(temp); throw RemoteError.io(path: path, operation: "rename", errno: e) }
        try fsyncDirectory(directoryOf(path))
    }

    /// A whole file, or nil when it does not exist.
    static func readIfPresent(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw RemoteError.io(path: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw RemoteError.io(path: path, operation: "fstat", errno: errno) }
        return try readRange(fd, path: path, offset: 0, count: Int(st.st_size))
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 { return }
        let parent = directoryOf(path)
        if parent != path && parent != "." && parent != "/" { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw RemoteError.io(path: path, operation: "mkdir", errno: errno) }
    }

    /// Names in a directory (no `.`/`..`); empty when it does not exist.
    static func names(in path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw RemoteError.io(path: path, operation: "opendir", errno: errno)
        }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }
}
