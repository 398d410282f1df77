import LineageCore
#if canImport(Glibc)
import Glibc
#endif

/// Files a killed process left behind: temporary packs and indexes (`tmp-<pid>-…`), and atomic-write
/// temporaries (`.tmp-<pid>-…`), whose owner process no longer exists.
///
/// A file whose owner is alive is never listed: its process may be writing it now. (A reused pid
/// makes a leftover look alive; it is then only cleaned later, never too early.)
public enum Leftovers {
    /// The process id a temporary name carries after `prefix` (`<prefix><pid>-…`), or nil.
    public static func owner(of name: String, prefix: String) -> Int32? {
        guard name.hasPrefix(prefix) else { return nil }
        return name.dropFirst(prefix.count).split(separator: "-", maxSplits: 1).first.flatMap { Int32($0) }
    }

    /// True when the process `pid` no longer exists (and is not this one).
    public static func isGone(_ pid: Int32) -> Bool {
        if pid == getpid() { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Names in `directory` that start with one of `prefixes` followed by the pid of a process
    /// that is gone (a missing directory has none), as full paths.
    public static func dead(in directory: String, prefixes: [String]) -> [String] {
        guard let names = try? listDirectory(directory) else { return [] }
        var out: [String] = []
        for name in names {
            for prefix in prefixes {
                if let pid = owner(of: name, prefix: prefix), isGone(pid) { out.append(directory + "/" + name); break }
            }
        }
        return out.sorted()
    }

    /// Removes files (or directory trees) and returns the bytes they held; failures are left for
    /// `verify` to report.
    @discardableResult
    public static func remove(_ paths: [String]) -> UInt64 {
        var bytes: UInt64 = 0
        for path in paths { bytes += removeTree(path) }
        return bytes
    }

    private static func removeTree(_ path: String) -> UInt64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            var total: UInt64 = 0
            for name in (try? listDirectory(path)) ?? [] { total += removeTree(path + "/" + name) }
            rmdir(path)
            return total
        }
        return Sys.unlink(path) == 0 ? UInt64(st.st_size) : 0
    }
}

extension ContentStore {
    /// Temporary packs, indexes and atomic-write files of processes that are gone.
    public func leftovers() -> [String] {
        Leftovers.dead(in: packsDirectory, prefixes: [PackFormat.temporaryPrefix, AtomicFile.temporaryPrefix])
            + Leftovers.dead(in: directory, prefixes: [AtomicFile.temporaryPrefix])
    }
}

extension Leftovers {
    /// A fresh temporary name `<prefix><pid>-<random>`, which `dead(in:prefixes:)` recognises.
    public static func temporaryName(prefix: String) -> String { "\(prefix)\(getpid())-\(randomHex())" }
}
