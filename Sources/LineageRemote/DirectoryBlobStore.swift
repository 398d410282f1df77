import Foundation
import LineageCore
#if canImport(Glibc)
import Glibc
#endif

/// A `BlobStore` over a directory (a local disk, NFS, a mounted share). A key `a/b/c` is the file
/// `<root>/a/b/c`; directories are made as needed. The root itself must exist (else every call
/// throws `RemoteError.noSuchStore`): a mistyped mount point is not silently filled.
///
/// - Writes are atomic: a temporary file in the destination directory (`.tmp-<pid>-<random>`,
///   never listed), fsync, then `rename` (replace) or, for `ifAbsent`, `link` — which fails with
///   EEXIST when the key exists, so of two writers only one wins, also over NFS. On filesystems
///   without hard links the store checks, then renames (a narrow race, as the protocol allows).
///   The directory is fsynced after.
/// - Entity tags are `<inode>-<size>-<mtime seconds>.<nanoseconds>` in hex: cheap (one `stat`) and
///   stable, and every write makes a new inode, so a rewritten key never keeps its tag.
/// - `delete(_:ifMatch:)` first renames the file aside (atomic: afterwards no writer can change
///   what it checks), then deletes it if its tag matches, else puts it back unless a new object
///   took the key meanwhile.
public final class DirectoryBlobStore: BlobStore {
    public let root: String
    public var location: String { root }

    static let temporaryPrefix = ".tmp-"

    /// `root` is used as given (no trailing `/` needed); it is not created here.
    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    // MARK: - Writing

    public func put(_ key: String, bytes: [UInt8], ifAbsent: Bool) throws -> BlobPutOutcome {
        let path = try self.path(of: key)
        if ifAbsent, try exists(path) { return .alreadyPresent }
        let temp = try makeTemporary(near: path)
        do {
            try bytes.withUnsafeBytes { try LocalFiles.writeAll(temp.fd, $0, path: temp.path) }
            try finishTemporary(temp)
        } catch {
            close(temp.fd); unlink(temp.path); throw error
        }
        return try publish(temp.path, as: path, ifAbsent: ifAbsent)
    }

    public func put(_ key: String, file source: String, ifAbsent: Bool) throws -> BlobPutOutcome {
        let path = try self.path(of: key)
        if ifAbsent, try exists(path) { return .alreadyPresent }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw RemoteError.io(path: source, operation: "open", errno: errno) }
        defer { close(input) }
        let temp = try makeTemporary(near: path)
        do {
            let size = 1 << 20
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = Glibc.read(input, buffer.baseAddress!, size)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RemoteError.io(path: source, operation: "read", errno: errno)
                }
                if n == 0 { break }
                try LocalFiles.writeAll(temp.fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: temp.path)
            }
            try finishTemporary(temp)
        } catch {
            close(temp.fd); unlink(temp.path); throw error
        }
        return try publish(temp.path, as: path, ifAbsent: ifAbsent)
    }

    // MARK: - Reading

    public func get(_ key: String) throws -> [UInt8] {
        let path = try self.path(of: key)
        let fd = try openForReading(path, key: key)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw RemoteError.io(path: path, operation: "fstat", errno: errno) }
        var out = try LocalFiles.readRange(fd, path: path, offset: 0, count: Int(st.st_size))
        // A file that grew meanwhile (it cannot: objects are replaced by rename, never appended to).
        while true {
            let more = try LocalFiles.readRange(fd, path: path, offset: UInt64(out.count), count: 1 << 16)
            if more.isEmpty { break }
            out += more
        }
        return out
    }

    /// Ranges past the end of the object come back short (or empty): the caller sees the truncation.
    public func get(_ key: String, ranges: [Range<UInt64>]) throws -> [[UInt8]] {
        let path = try self.path(of: key)
        let fd = try openForReading(path, key: key)
        defer { close(fd) }
        return try ranges.map { try LocalFiles.readRange(fd, path: path, offset: $0.lowerBound, count: Int($0.upperBound - $0.lowerBound)) }
    }

    public func head(_ key: String) throws -> BlobInfo? {
        let path = try self.path(of: key)
        var st = stat()
        if lstat(path, &st) != 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { try checkRoot(); return nil }
            throw RemoteError.io(path: path, operation: "stat", errno: e)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return BlobInfo(key: key, size: UInt64(st.st_size), etag: Self.etag(st), lastModified: Self.modified(st))
    }

    public func list(prefix: String, startAfter: String?) throws -> [BlobInfo] {
        try checkRoot()
        var found: [BlobInfo] = []
        try walk(directory: root, keyPrefix: "", want: Array(prefix.utf8), into: &found)
        let after = startAfter.map { Array($0.utf8) }
        var result = found.filter { info in
            guard let after else { return true }
            return Array(info.key.utf8).lexicographicallyPrecedes(after) == false && Array(info.key.utf8) != after
        }
        result.sort { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        return result
    }

    // MARK: - Deleting

    public func delete(_ keys: [String]) throws {
        try checkRoot()
        for key in keys {
            let path = try self.path(of: key)
            if unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR {
                throw RemoteError.io(path: path, operation: "unlink", errno: errno)
            }
        }
        for dir in Set(try keys.map { LocalFiles.directoryOf(try self.path(of: $0)) }) { try? LocalFiles.fsyncDirectory(dir) }
    }

    public func delete(_ key: String, ifMatch etag: String) throws -> Bool {
        let path = try self.path(of: key)
        let aside = LocalFiles.directoryOf(path) + "/" + Self.temporaryPrefix + "delete-\(getpid())-\(LocalFiles.randomHex())"
        if rename(path, aside) != 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { try checkRoot(); return false }
            throw RemoteError.io(path: path, operation: "rename", errno: e)
        }
        var st = stat()
        guard lstat(aside, &st) == 0 else { throw RemoteError.io(path: aside, operation: "stat", errno: errno) }
        if Self.etag(st) == etag {
            guard unlink(aside) == 0 else { throw RemoteError.io(path: aside, operation: "unlink", errno: errno) }
            try LocalFiles.fsyncDirectory(LocalFiles.directoryOf(path))
            return true
        }
        // Not the object the caller meant: put it back, unless a newer one took the key meanwhile.
        if link(aside, path) != 0 && errno != EEXIST {
            let e = errno
            if rename(aside, path) != 0 { throw RemoteError.io(path: path, operation: "restore (rename)", errno: e) }
        } else {
            unlink(aside)
        }
        try LocalFiles.fsyncDirectory(LocalFiles.directoryOf(path))
        return false
    }

    /// Deletes the temporary files of writers that died (`.tmp-*` older than `age` seconds, in the
    /// root and below: the pid in their name means nothing on another host, so age decides).
    /// Returns how many were removed. For `gc`; never needed for correctness (they are never listed).
    @discardableResult
    public func removeStaleTemporaries(olderThan age: TimeInterval) throws -> Int {
        try checkRoot()
        let cutoff = Date().timeIntervalSince1970 - age
        var removed = 0
        func sweep(_ dir: String) {
            guard let names = try? LocalFiles.names(in: dir) else { return }
            for name in names {
                let path = dir + "/" + name
                var st = stat()
                guard lstat(path, &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    if !name.hasPrefix(".") { sweep(path) }
                } else if name.hasPrefix(Self.temporaryPrefix), Double(st.st_mtim.tv_sec) < cutoff, unlink(path) == 0 {
                    removed += 1
                }
            }
        }
        sweep(root)
        return removed
    }

    // MARK: - Paths and keys

    /// The file of a key. Keys are `/`-separated names; empty names, `.`, `..`, NUL and names
    /// starting with `.tmp-` (this store's temporary files) are refused.
    func path(of key: String) throws -> String {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        for p in parts where p.isEmpty || p == "." || p == ".." || p.hasPrefix(Self.temporaryPrefix) || p.utf8.contains(0) {
            throw RemoteError.protocolError(location: location, detail: "invalid object key \"\(key)\"")
        }
        return root + "/" + key
    }

    private func checkRoot() throws {
        var st = stat()
        guard stat(root, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { throw RemoteError.noSuchStore(location: location) }
    }

    private func exists(_ path: String) throws -> Bool {
        var st = stat()
        if lstat(path, &st) == 0 { return true }
        let e = errno
        if e == ENOENT || e == ENOTDIR { try checkRoot(); return false }
        throw RemoteError.io(path: path, operation: "stat", errno: e)
    }

    private func openForReading(_ path: String, key: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { try checkRoot(); throw RemoteError.notFound(location: location, key: key) }
            throw RemoteError.io(path: path, operation: "open", errno: e)
        }
        return fd
    }

    static func etag(_ st: stat) -> String {
        "\(String(UInt64(st.st_ino), radix: 16))-\(String(UInt64(st.st_size), radix: 16))-\(String(st.st_mtim.tv_sec, radix: 16)).\(String(st.st_mtim.tv_nsec, radix: 16))"
    }

    static func modified(_ st: stat) -> Date {
        Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec) + TimeInterval(st.st_mtim.tv_nsec) / 1e9)
    }

    // MARK: - Temporary files

    private struct Temporary { let path: String; let fd: Int32 }

    /// A new temporary file in the key's directory (made, with its parents, as needed).
    private func makeTemporary(near path: String) throws -> Temporary {
        try checkRoot()
        let dir = LocalFiles.directoryOf(path)
        try makeDirectories(dir)
        let temp = dir + "/" + Self.temporaryPrefix + "\(getpid())-\(LocalFiles.randomHex())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw RemoteError.io(path: temp, operation: "open", errno: errno) }
        return Temporary(path: temp, fd: fd)
    }

    private func finishTemporary(_ temp: Temporary) throws {
        guard fsync(temp.fd) == 0 else { throw RemoteError.io(path: temp.path, operation: "fsync", errno: errno) }
        guard close(temp.fd) == 0 else { throw RemoteError.io(path: temp.path, operation: "close", errno: errno) }
    }

    /// Moves a finished temporary file to `path`: `rename` (replacing), or `link` + `unlink` for
    /// `ifAbsent` (EEXIST means another writer won). Fsyncs the directory.
    private func publish(_ temp: String, as path: String, ifAbsent: Bool) throws -> BlobPutOutcome {
        defer { unlink(temp) }
        published: if ifAbsent {
            if link(temp, path) != 0 {
                let e = errno
                // Over NFS a retransmitted LINK whose first reply was lost answers EEXIST although
                // the link was made: the temporary file's link count tells (2: it is ours).
                var st = stat()
                if e == EEXIST && !(lstat(temp, &st) == 0 && st.st_nlink == 2) { return .alreadyPresent }
                if e == EEXIST { break published }
                guard e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EMLINK || e == ENOSYS else {
                    throw RemoteError.io(path: path, operation: "link", errno: e)
                }
                // No hard links here (some SMB/FAT mounts): check, then rename.
                if try exists(path) { return .alreadyPresent }
                guard rename(temp, path) == 0 else { throw RemoteError.io(path: path, operation: "rename", errno: errno) }
            }
        } else {
            guard rename(temp, path) == 0 else { throw RemoteError.io(path: path, operation: "rename", errno: errno) }
        }
        try LocalFiles.fsyncDirectory(LocalFiles.directoryOf(path))
        var st = stat()
        guard lstat(path, &st) == 0 else { throw RemoteError.io(path: path, operation: "stat", errno: errno) }
        return .written(etag: Self.etag(st))
    }

    /// `mkdir -p` below the root (which must exist).
    private func makeDirectories(_ dir: String) throws {
        if dir == root { return }
        var st = stat()
        if stat(dir, &st) == 0 { return }
        try makeDirectories(LocalFiles.directoryOf(dir))
        if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw RemoteError.io(path: dir, operation: "mkdir", errno: errno) }
    }

    // MARK: - Listing

    /// Collects the regular files under `directory` whose keys start with `want`, descending only into
    /// directories whose keys can still match.
    private func walk(directory: String, keyPrefix: String, want: [UInt8], into found: inout [BlobInfo]) throws {
        guard let dir = opendir(directory) else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { return }
            throw RemoteError.io(path: directory, operation: "opendir", errno: e)
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." || name.hasPrefix(Self.temporaryPrefix) { continue }
            names.append(name)
        }
        closedir(dir)
        for name in names {
            let key = keyPrefix + name
            let keyBytes = Array(key.utf8)
            let path = directory + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }   // deleted meanwhile
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                let asDir = keyBytes + [UInt8(ascii: "/")]
                if asDir.starts(with: want) || want.starts(with: asDir) {
                    try walk(directory: path, keyPrefix: key + "/", want: want, into: &found)
                }
            case S_IFREG:
                if keyBytes.starts(with: want) { found.append(BlobInfo(key: key, size: UInt64(st.st_size), etag: Self.etag(st), lastModified: Self.modified(st))) }
            default:
                continue
            }
        }
    }
}

