#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stat fields that tell whether a file may have changed since it was hashed.
public struct FileStat: Equatable, Sendable, Codable {
    public var size: UInt64
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    public var inode: UInt64
    public var mode: UInt32

    public init(size: UInt64, mtimeNs: Int64, ctimeNs: Int64, inode: UInt64, mode: UInt32 = 0o100644) {
        self.size = size; self.mtimeNs = mtimeNs; self.ctimeNs = ctimeNs; self.inode = inode; self.mode = mode
    }

    public var isRegularFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
    public var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
    public var isSymlink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }

    /// `lstat(2)` of a path; nil when it does not exist.
    public static func lstat(_ path: String) -> FileStat? {
        var st = stat()
        guard Glibc.lstat(path, &st) == 0 else { return nil }
        return FileStat(st)
    }

    /// `lstat` of `name` in the directory open as `directory` (`fstatat(2)` without following a
    /// final symlink); nil when it does not exist. Saves the kernel walking the whole path again
    /// for every file of a directory.
    public static func lstat(in directory: Int32, _ name: String) -> FileStat? {
        var st = stat()
        guard Glibc.fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return FileStat(st)
    }

    /// `fstat(2)` of an open descriptor.
    public static func fstat(_ fd: Int32) -> FileStat? {
        var st = stat()
        guard Glibc.fstat(fd, &st) == 0 else { return nil }
        return FileStat(st)
    }

    public init(_ st: stat) {
        size = UInt64(st.st_size)
        mtimeNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctimeNs = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        inode = UInt64(st.st_ino)
        mode = UInt32(st.st_mode)
    }

    /// Same content identity as far as stat can tell (mode bits other than the type are ignored).
    public func sameFile(as other: FileStat) -> Bool {
        size == other.size && mtimeNs == other.mtimeNs && ctimeNs == other.ctimeNs && inode == other.inode
    }
}

/// Wall-clock time in nanoseconds since the epoch.
public func currentTimeNs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}
