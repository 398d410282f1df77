import LineageCore
#if canImport(Glibc)
import Glibc
#endif

/// Atomic small-file writes: a temporary file in the same directory, written, fsynced,
/// renamed over the target, then the directory fsynced. Readers see the old or the new
/// content, never a mix; a crash leaves at most a `.tmp-*` file behind.
public enum AtomicFile {
    /// Prefix of the temporary files this type creates (`.tmp-<pid>-<random>-<name>`).
    public static let temporaryPrefix = ".tmp-"

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let dir = directoryOf(path)
        let temp = dir + "/" + temporaryPrefix + "\(getpid())-\(randomHex())-" + baseName(path)
        let fd = try check(Sys.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode), "open", temp)
        var ok = false
        defer {
            if !ok { Sys.unlink(temp) }
        }
        do {
            defer { close(fd) }
            try bytes.withUnsafeBytes { try writeAll(fd, $0, path: temp) }
            try check(fchmod(fd, mode), "fchmod", temp)
            try check(Sys.fsync(fd), "fsync", temp)
        }
        try check(Sys.rename(temp, path), "rename", path)
        ok = true
        try fsyncDirectory(dir)
    }
}
