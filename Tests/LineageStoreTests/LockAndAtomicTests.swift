import Foundation
import Testing
@testable import LineageStore
#if canImport(Glibc)
import Glibc
#endif

@Suite struct LockAndAtomicTests {
    @Test func secondAcquireTimesOut() throws {
        let tmp = TempDir()
        let path = tmp.path + "/lock"
        let first = try RepositoryLock.acquire(path: path)
        let start = Date()
        #expect(throws: StoreError.lockBusy(path: path)) { _ = try RepositoryLock.acquire(path: path, timeout: 0.3) }
        #expect(Date().timeIntervalSince(start) >= 0.25)
        #expect(StoreError.lockBusy(path: path).description.contains("wait for it to finish and retry"))
        first.release()
        let again = try RepositoryLock.acquire(path: path, timeout: 0)
        again.release()
    }

    /// A process holding the lock (sh → flock → exec sleep, one process holding the descriptor) is
    /// SIGKILLed; the kernel drops its lock and we get it.
    @Test func lockReleasedWhenHolderDies() throws {
        let tmp = TempDir()
        let path = tmp.path + "/lock"
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "exec 9>>\"$0\" && /usr/bin/flock -x 9 && exec /bin/sleep 60", path]
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        // Wait until the child holds it.
        var held = false
        for _ in 0..<200 {
            do { let l = try RepositoryLock.acquire(path: path, timeout: 0); l.release(); usleep(20_000) } catch { held = true; break }
        }
        #expect(held)
        #expect(throws: StoreError.lockBusy(path: path)) { _ = try RepositoryLock.acquire(path: path, timeout: 0.2) }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let lock = try RepositoryLock.acquire(path: path, timeout: 3)
        lock.release()
    }

    @Test func atomicWrite() throws {
        let tmp = TempDir()
        let path = tmp.path + "/config"
        try AtomicFile.write(Array("one\n".utf8), to: path)
        #expect(readFile(path) == Array("one\n".utf8))
        try AtomicFile.write(Array("two\n".utf8), to: path, mode: 0o600)
        #expect(readFile(path) == Array("two\n".utf8))
        var st = stat(); stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.hasPrefix(AtomicFile.temporaryPrefix) }
        #expect(leftovers.isEmpty)
        #expect(throws: StoreError.self) { try AtomicFile.write([1], to: tmp.path + "/no/such/dir/file") }
    }
}
