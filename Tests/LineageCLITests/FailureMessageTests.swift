import Foundation
import Testing

/// Failures that used to say the wrong thing: each names what happened and exits with its category.
@Suite("Failure messages")
struct FailureMessageTests {
    /// Mounting a small tmpfs needs root (CI runs as root; `.ci/run` is the README's test command).
    static let canMountTmpfs: Bool = {
        guard getuid() == 0 else { return false }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-probe-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let r = try? CLI.tool("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], in: "/"), r.code == 0 else { return false }
        _ = try? CLI.tool("/bin/umount", [dir], in: "/")
        return true
    }()

    @Test(.enabled(if: canMountTmpfs, "needs root to mount a small tmpfs that can fill up"))
    func diskFullIsAnOSErrorNotDamage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect(try CLI.tool("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", dir], in: "/").code == 0)
        defer { _ = try? CLI.tool("/bin/umount", [dir], in: "/"); try? FileManager.default.removeItem(atPath: dir) }
        for args in [["init"], ["config", "user.name", "T"], ["config", "user.email", "t@example.org"]] {
            #expect(try CLI.run(args, in: dir).code == 0)
        }
        try randomData(100_000, seed: 7).write(to: URL(fileURLWithPath: dir + "/a.bin"))
        #expect(try CLI.run(["add", "a.bin"], in: dir).code == 0)
        func fill() throws { _ = try CLI.tool("/bin/dd", ["if=/dev/zero", "of=\(dir)/filler", "bs=64k", "count=1000"], in: dir) }
        try fill()
        let commit = try CLI.run(["commit", "-m", "one"], in: dir)
        #expect(commit.code == 5, "\(commit.code): \(commit.err)")
        #expect(commit.err.contains("No space left on device") && !commit.err.contains("lineage verify"), "\(commit.err)")
        #expect(try CLI.tool("/usr/bin/git", ["--git-dir", dir + "/.lineage", "rev-parse", "-q", "--verify", "HEAD"], in: dir).code != 0)
        // With room again the commit goes through; erase on a full disk is an OS error too, and
        // erases nothing without its tombstone.
        unlink(dir + "/filler")
        #expect(try CLI.run(["commit", "-m", "one"], in: dir).code == 0)
        let head = try CLI.tool("/usr/bin/git", ["--git-dir", dir + "/.lineage", "rev-parse", "HEAD"], in: dir).out
        try fill()
        let erase = try CLI.run(["erase", "a.bin", "--reason", "request 1"], in: dir)
        #expect(erase.code == 5, "\(erase.code): \(erase.err)")
        #expect(try CLI.tool("/usr/bin/git", ["--git-dir", dir + "/.lineage", "rev-parse", "HEAD"], in: dir).out == head)
        unlink(dir + "/filler")
        #expect(try CLI.run(["cat", "HEAD:a.bin"], in: dir).code == 0)
        #expect(try CLI.run(["verify"], in: dir).code == 0)
    }

    @Test func damagedStagingIndexIsNamedAndVerifySeesIt() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.txt", "a\n"); try p.write("b.txt", "b\n")
        try p.expectOK(["add", "."]); try p.expectOK(["commit", "-m", "one"])
        let index = p.dir + "/.lineage/index"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: index))
        bytes[40] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: index))
        let status = try p.run("status")
        #expect(status.code == 4)
        #expect(status.err.contains("staging index") && status.err.contains("index.damaged") && !status.err.contains("run `lineage verify`"), "\(status.err)")
        let verify = try p.run("verify", "--json")
        #expect(verify.code == 1 && verify.out.contains("staging-index-damaged"), "\(verify.out)")
        // Moving it away, as the message says, rebuilds it from HEAD.
        #expect(rename(index, index + ".damaged") == 0)
        try p.expectOK(["status"])
        #expect(try p.expectOK(["ls-files"]).out == "a.txt\nb.txt\n")
    }

    @Test func deletedStagingIndexIsRebuiltFromHead() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.txt", "a\n"); try p.write("b.txt", "b\n")
        try p.expectOK(["add", "."]); try p.expectOK(["commit", "-m", "one"])
        #expect(unlink(p.dir + "/.lineage/index") == 0)
        let status = try p.expectOK(["status", "--json"])
        #expect(status.err.contains("rebuilt it from HEAD"), "\(status.err)")
        #expect(!status.out.contains("deleted"), "\(status.out)")
        let commit = try p.run("commit", "-m", "would delete everything")
        #expect(commit.code == 1 && commit.err.contains("nothing to commit"), "\(commit.err)")
        #expect(try p.expectOK(["ls-files"]).out == "a.txt\nb.txt\n")
    }

    @Test func tableThatIsNotUTF8IsBadInputNotPermissions() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("latin1.csv", Data([0x61, 0x2C, 0x62, 0x0A, 0xE9, 0x2C, 0x31, 0x0A]))
        // `schema infer` names a probable encoding and writes it down (issue 20) …
        let infer = try p.run(["schema", "infer", "latin1.csv", "-o", "s.json"])
        #expect(infer.code == 0, "\(infer.code): \(infer.err)")
        #expect(infer.err.contains("not UTF-8") && infer.err.contains("iso-8859-1") && !infer.err.contains("permissions"), "\(infer.err)")
        // … while validating against a schema that declares none reports the bytes, on their line, as bad data.
        try p.write("bare.json", #"{"fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "integer"}]}"#)
        let r = try p.run(["validate", "latin1.csv", "--schema", "bare.json"])
        #expect(r.code == 1, "\(r.code): \(r.err)")
        #expect(r.out.contains("UTF-8") && r.out.contains("line 2") && !(r.out + r.err).contains("permissions"), "\(r.out)")
        #expect(try p.run(["validate", "latin1.csv", "--schema", "s.json"]).code == 0)
    }

    @Test func brokenSymlinksAreNotCalledEscapes() throws {
        let p = try Project()
        defer { p.remove() }
        try FileManager.default.createSymbolicLink(atPath: p.dir + "/dangling", withDestinationPath: "nowhere")
        try FileManager.default.createSymbolicLink(atPath: p.dir + "/loop1", withDestinationPath: "loop2")
        try FileManager.default.createSymbolicLink(atPath: p.dir + "/loop2", withDestinationPath: "loop1")
        for name in ["dangling", "loop1"] {
            let r = try p.run("add", name)
            #expect(r.code == 2)
            #expect(r.err.contains("leads nowhere") && !r.err.contains("outside"), "\(r.err)")
        }
    }

    @Test func unreadableTrackedFileIsNotCalledModified() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.txt", "a\n"); try p.write("b.txt", "b\n")
        try p.expectOK(["add", "."]); try p.expectOK(["commit", "-m", "one"])
        // root reads anything: run status as `nobody`, with a.txt unreadable and a changed mtime.
        _ = try CLI.tool("/bin/chmod", ["-R", "a+rwX", p.dir], in: p.dir)
        _ = try CLI.tool("/bin/chmod", ["a+x", (p.dir as NSString).deletingLastPathComponent], in: p.dir)
        _ = try CLI.tool("/usr/bin/touch", ["-d", "2001-01-01", p.dir + "/a.txt"], in: p.dir)
        _ = try CLI.tool("/bin/chmod", ["000", p.dir + "/a.txt"], in: p.dir)
        defer { _ = try? CLI.tool("/bin/chmod", ["-R", "u+rw", p.dir], in: p.dir) }
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let r = try CLI.run(["status", "--json"], in: p.dir, prefix: nobody)
        #expect(r.code == 5, "\(r.code): \(r.err)")
        #expect(r.out.contains("\"unreadable\"") && !r.out.contains("\"modified\""), "\(r.out)")
        #expect(r.err.contains("a.txt") && r.err.contains("Permission denied"), "\(r.err)")
        let text = try CLI.run(["status"], in: p.dir, prefix: nobody)
        #expect(text.out.contains("unreadable:") && !text.out.contains("modified:"), "\(text.out)")
    }

    @Test func logWithZeroCountPrintsNothing() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.txt", "a\n"); try p.expectOK(["add", "."]); try p.expectOK(["commit", "-m", "one"])
        #expect(try p.expectOK(["log", "-n", "0"]).out.isEmpty)
        let none = try JSONSerialization.jsonObject(with: try p.expectOK(["log", "-n", "0", "--json"]).outData) as? [String: Any]
        #expect((none?["commits"] as? [Any])?.isEmpty == true && none?["schema"] as? String == "log.schema.json")
        #expect(try p.run("log", "-n", "-1").code == 64)
    }

    @Test func warningsSayWarningOnce() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.csv", "a\n1\n")
        let r = try p.expectOK(["add", "a.csv", "--retention-until", "2001-01-01"])
        #expect(r.err.contains("warning: retention-until") || r.err.contains("warning: flags"), "\(r.err)")
        #expect(!r.err.contains("warning: warning:") && !r.err.contains(": warning:"), "\(r.err)")
    }
}
