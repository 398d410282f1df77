import Foundation
import Testing

/// Disk full while pulling: a clear error naming the cause, a non-zero exit, and the repository as
/// it was. The clone lives on a small tmpfs the test mounts (root only; gated visibly otherwise).
/// Whether this process may mount a tmpfs (root in a VM or a privileged container).
let canMountTmpfs: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-probe-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? CLI.tool("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe], in: "/"))?.code == 0 else { return false }
        _ = try? CLI.tool("/bin/umount", [probe], in: "/")
        return true
}()

@Suite(.enabled(if: canMountTmpfs, "needs root to mount a small tmpfs (CI runs as root)"))
struct DiskFullPullTests {

    @Test func pullOntoAFullDiskChangesNothing() throws {
        let base = try scratchDirectory("diskfull")
        let small = base + "/small"
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(try CLI.tool("/bin/mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", small], in: "/").code == 0)
        defer { _ = try? CLI.tool("/bin/umount", ["-l", small], in: "/") }

        let alice = try Project()
        defer { alice.remove() }
        try alice.write("data/a.csv", "id\n1\n")
        try alice.expectOK(["add", "data"])
        try alice.expectOK(["commit", "-m", "first"])
        try alice.expectOK(["remote", "add", "origin", base + "/team.git"])
        try alice.expectOK(["push"])
        let fp = try alice.rootFingerprint()
        try alice.expectOK(["clone", base + "/team.git", small + "/bob", "--trust-root", fp])
        let bob = Project(existing: small + "/bob")

        // Alice adds more than Bob's disk can hold (incompressible, so no compression saves it).
        try alice.write("data/big.bin", randomData(12_000_000, seed: 5))
        try alice.expectOK(["add", "data/big.bin"])
        try alice.expectOK(["commit", "-m", "big"])
        try alice.expectOK(["push"])
        let head = try bob.git("rev-parse", "HEAD").out
        let pulled = try bob.run("pull")
        #expect(pulled.code == 5 || pulled.code == 4, "exit \(pulled.code): \(pulled.err)")
        #expect(pulled.err.lowercased().contains("space") || pulled.err.contains("ENOSPC"), "\(pulled.err)")
        #expect(try bob.git("rev-parse", "HEAD").out == head)
        #expect(bob.read("data/big.bin") == nil)
        #expect(bob.read("data/a.csv") == Data("id\n1\n".utf8))
        #expect(try bob.run("verify").code == 0)
    }
}
