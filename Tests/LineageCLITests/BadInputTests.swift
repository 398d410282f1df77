import Foundation
import Testing

/// Each bad input: a clear message saying what to do, a non-zero exit, the repository unchanged.
@Suite("Bad input")
struct BadInputTests {
    /// Runs a command expected to fail and checks the repository did not change.
    func expectRefused(_ p: Project, _ args: [String], code: Int32, mentions: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try p.snapshot()
        let r = try p.run(args)
        #expect(r.code == code, "exit \(r.code) for \(args): \(r.err)", sourceLocation: sourceLocation)
        for m in mentions { #expect(r.err.contains(m), "'\(m)' not in: \(r.err)", sourceLocation: sourceLocation) }
        #expect(r.err.lowercased().hasPrefix("error: "), sourceLocation: sourceLocation)
        #expect(try p.snapshot() == before, "repository changed by \(args)", sourceLocation: sourceLocation)
    }

    @Test func outsideARepository() throws {
        let p = try Project(initialize: false)
        defer { p.remove() }
        let r = try p.run("status")
        #expect(r.code == 2)
        #expect(r.err.contains("not a lineage repository") && r.err.contains("lineage init"))
    }

    @Test func initInsideAnExistingRepository() throws {
        let p = try Project()
        defer { p.remove() }
        try FileManager.default.createDirectory(atPath: p.dir + "/sub", withIntermediateDirectories: true)
        try expectRefused(p, ["init"], code: 2, mentions: ["already inside a lineage repository"])
        try expectRefused(p, ["-C", "sub", "init"], code: 2, mentions: ["already inside"])
    }

    @Test func pathsThatCannotBeTracked() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("ok.txt", "fine")
        try p.expectOK(["add", "ok.txt"]); try p.expectOK(["commit", "-m", "base"])
        try expectRefused(p, ["add", "/etc/hostname"], code: 2, mentions: ["outside the working directory"])
        try expectRefused(p, ["add", "../x"], code: 2, mentions: ["outside the working directory"])
        try expectRefused(p, ["add", ".lineage/config"], code: 2, mentions: ["inside .lineage"])
        try expectRefused(p, ["add", ".lineage"], code: 2, mentions: ["inside .lineage"])
        try expectRefused(p, ["add", "nope.txt"], code: 2, mentions: ["does not exist"])
        try expectRefused(p, ["add", "ok.tx"], code: 2, mentions: ["did you mean 'ok.txt'"])
        // Symbolic links: one escaping the project, one through a linked directory.
        try FileManager.default.createSymbolicLink(atPath: p.dir + "/escape", withDestinationPath: "/etc")
        try expectRefused(p, ["add", "escape/hostname"], code: 2, mentions: ["symbolic link", "outside"])
        try FileManager.default.createSymbolicLink(atPath: p.dir + "/link.txt", withDestinationPath: p.dir + "/ok.txt")
        try expectRefused(p, ["add", "link.txt"], code: 2, mentions: ["symbolic link"])
        try expectRefused(p, ["add", "--kind", "banana", "ok.txt"], code: 64, mentions: ["banana"])
    }

    @Test func unrecordableNamesInADirectoryAreSkippedWithAWarning() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("d/ok.txt", "fine")
        try p.write("d/bad\nname.txt", "newline in the name")
        try FileManager.default.createSymbolicLink(atPath: p.dir + "/d/link", withDestinationPath: "/etc/hostname")
        let r = try p.expectOK(["add", "d"])
        #expect(r.err.contains("skipped 2"))
        #expect(try p.expectOK(["ls-files"]).out == "d/ok.txt\n")
        try p.expectOK(["commit", "-m", "d"])
        try p.expectOK(["verify"])
    }

    @Test func unknownAndAmbiguousRevisions() throws {
        let p = try Project()
        defer { p.remove() }
        try expectRefused(p, ["log", "HEAD"], code: 2, mentions: ["no commits yet"])
        try p.write("a", "1"); try p.expectOK(["add", "a"]); try p.expectOK(["commit", "-m", "one"])
        try expectRefused(p, ["cat", "HEAD~5:a"], code: 2, mentions: ["unknown revision 'HEAD~5'", "lineage log"])
        try expectRefused(p, ["show", "nosuchbranch"], code: 2, mentions: ["unknown revision"])
        try expectRefused(p, ["cat", "HEAD:b"], code: 2, mentions: ["'b' is not tracked"])
        try expectRefused(p, ["checkout", "deadbeef"], code: 2, mentions: ["unknown revision"])
        try expectRefused(p, ["commit", "-m", "again"], code: 1, mentions: ["nothing to commit"])
        try expectRefused(p, ["commit", "-m", "  "], code: 2, mentions: ["message is empty"])
    }

    @Test func ambiguousPrefixListsCandidates() throws {
        let p = try Project()
        defer { p.remove() }
        // Make commits until two ids share their first four hex digits.
        var seen: [String: String] = [:]
        var clash: String?
        var i = 0
        while clash == nil && i < 2000 {
            try p.write("n.txt", "\(i)")
            try p.expectOK(["add", "n.txt"])
            let id = try p.expectOK(["commit", "-q", "-m", "c\(i)"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let prefix = String(id.prefix(4))
            if seen[prefix] != nil { clash = prefix }
            seen[prefix] = id
            i += 1
        }
        let prefix = try #require(clash)
        try expectRefused(p, ["show", prefix], code: 2, mentions: ["ambiguous", "give more characters"])
    }

    @Test func noIdentity() throws {
        let p = try Project(initialize: false)
        defer { p.remove() }
        let home = p.dir + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let env = ["HOME": home, "XDG_CONFIG_HOME": home + "/.config", "GIT_CONFIG_NOSYSTEM": "1"]
        #expect(try p.run(["init"], env: env).code == 0)
        try p.write("a", "1")
        #expect(try p.run(["add", "a"], env: env).code == 0)
        let r = try p.run(["commit", "-m", "x"], env: env)
        #expect(r.code == 2)
        #expect(r.err.contains("lineage config user.name"))
    }

    @Test func newerFormatIsRefused() throws {
        let p = try Project()
        defer { p.remove() }
        try Data("99\n".utf8).write(to: URL(fileURLWithPath: p.dir + "/.lineage/format"))
        let r = try p.run("status")
        #expect(r.code == 3)
        #expect(r.err.contains("format 99") && r.err.contains("upgrade lineage"))
    }

    @Test func secondWriterWaitsThenFails() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a", "1")
        // Hold the repository lock from another process, as a concurrent lineage would.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [p.dir + "/.lineage/lock", "sleep", "8"]
        try holder.run()
        defer { holder.terminate() }
        Thread.sleep(forTimeInterval: 0.3)
        try expectRefused(p, ["add", "a"], code: 3, mentions: ["another lineage process", "retry"])
        holder.terminate(); holder.waitUntilExit()
        try p.expectOK(["add", "a"])
    }

    @Test func fileChangingWhileAdded() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("grow.bin", randomData(4 << 20, seed: 3))
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "while :; do head -c 4096 /dev/urandom >> grow.bin; done"]
        writer.currentDirectoryURL = URL(fileURLWithPath: p.dir)
        try writer.run()
        defer { writer.terminate() }
        Thread.sleep(forTimeInterval: 0.2)
        try expectRefused(p, ["add", "grow.bin"], code: 2, mentions: ["changed while", "add"])
    }

    @Test func writeErrorMidAddLeavesNothing() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.bin", randomData(200_000, seed: 4))
        // root ignores permission bits, so run lineage as `nobody` against a read-only pack directory.
        _ = try CLI.tool("/bin/chmod", ["-R", "a+rwX", p.dir], in: p.dir)
        _ = try CLI.tool("/bin/chmod", ["a+x", (p.dir as NSString).deletingLastPathComponent], in: p.dir)
        let packs = p.dir + "/.lineage/content/sha256/packs"
        _ = try CLI.tool("/bin/chmod", ["a-w", packs], in: p.dir)
        defer { _ = try? CLI.tool("/bin/chmod", ["-R", "u+w", p.dir], in: p.dir) }
        let before = try p.snapshot()
        let r = try CLI.run(["add", "a.bin"], in: p.dir, prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        #expect(r.code != 0)
        #expect(r.err.contains("packs"), "\(r.err)")
        #expect(try p.snapshot() == before)
    }

    @Test func unsafePointerPathInHistoryIsRefusedAtCheckout() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.txt", "1"); try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "ok"])
        let pointer = try p.git("rev-parse", "HEAD:a.txt").out.trimmingCharacters(in: .whitespacesAndNewlines)
        // A tree with an entry named "..", holding a tree with "evil.txt": checkout would write ../evil.txt.
        func rawTree(_ entries: [(mode: String, name: String, id: String)]) -> Data {
            var d = Data()
            for e in entries {
                d.append(Data("\(e.mode) \(e.name)\0".utf8))
                var hex = Array(e.id.utf8)[...]
                while !hex.isEmpty { d.append(UInt8(String(decoding: hex.prefix(2), as: UTF8.self), radix: 16)!); hex = hex.dropFirst(2) }
            }
            return d
        }
        func hashTree(_ data: Data) throws -> String {
            let file = p.dir + "/tree.raw"
            try data.write(to: URL(fileURLWithPath: file))
            defer { try? FileManager.default.removeItem(atPath: file) }
            return try p.git("hash-object", "-t", "tree", "-w", "--literally", file).out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let inner = try hashTree(rawTree([("100644", "evil.txt", pointer)]))
        let outer = try hashTree(rawTree([("40000", "..", inner)]))
        let commit = try p.git("commit-tree", outer, "-p", "HEAD", "-m", "crafted").out.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try p.git("update-ref", "refs/heads/main", commit)
        let r = try p.run("checkout", "--force", "HEAD")
        #expect(r.code == 4)
        #expect(r.err.contains("unsafe path") && r.err.contains("../evil.txt"))
        #expect(!FileManager.default.fileExists(atPath: (p.dir as NSString).deletingLastPathComponent + "/evil.txt"))
        let verify = try p.run("verify")
        #expect(verify.code == 1 && verify.out.contains("unsafe-path"))
    }
}
