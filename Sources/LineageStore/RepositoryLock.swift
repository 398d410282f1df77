import LineageCore
#if canImport(Glibc)
import Glibc
#endif

/// The repository write lock: `flock(2)` on a lock file.
///
/// The kernel drops the lock when the holder's descriptor closes, including when the process is
/// killed with SIGKILL, so there are no stale locks to clean up. The lock file itself stays.
public final class RepositoryLock: @unchecked Sendable {
    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) { self.path = path; self.fd = fd }

    /// Takes the lock, retrying every 20 ms for up to `timeout` seconds (`flock(LOCK_EX | LOCK_NB)`),
    /// then throws `StoreError.lockBusy`.
    public static func acquire(path: String, timeout: Double = 3) throws -> RepositoryLock {
        let fd = try check(Sys.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644), "open", path)
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return RepositoryLock(path: path, fd: fd) }
            let code = errno
            if code != EWOULDBLOCK && code != EINTR {
                close(fd)
                throw StoreError.io(path: path, operation: "flock", errno: code)
            }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let elapsed = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
            if elapsed >= timeout {
                close(fd)
                throw StoreError.lockBusy(path: path)
            }
            usleep(20_000)
        }
    }

    /// Releases the lock (idempotent; also done on deinit).
    public func release() {
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
