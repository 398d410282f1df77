import Foundation
import Testing

/// lineage.yaml and pre-commit hooks through the CLI: command hooks, trust, check records,
/// --no-verify, and the bad inputs of the configuration.
@Suite struct HookTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Hooks/examples").path

    /// A project with the example hooks copied in.
    func project() throws -> Project {
        let p = try Project()
        try FileManager.default.createDirectory(atPath: p.dir + "/Hooks", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: HookTests.examples, toPath: p.dir + "/Hooks/examples")
        return p
    }

    func records(_ p: Project, _ rev: String = "HEAD") throws -> [String] {
        try p.git("ls-tree", "-r", "--name-only", rev, "--", ".lineage").out.split(separator: "\n").map(String.init)
    }

    @Test func commandHookNeedsTrustThenGatesCommits() throws {
        let p = try project(); defer { p.remove() }
        try p.write("lineage.yaml", """
        hooks:
          pre-commit:
            - command: { run: Hooks/examples/max-file-size.sh, args: ["1KB"], timeout: 30 }
        """)
        try p.write("data/small.csv", "a,b\n1,2\n")
        try p.expectOK(["add", "data/small.csv"])

        // Not trusted yet: blocked (exit 3), nothing written.
        let before = try p.snapshot()
        let untrusted = try p.run("commit", "-m", "first")
        #expect(untrusted.code == 3)
        #expect(untrusted.err.contains("lineage hooks trust"))
        #expect(try p.snapshot() == before)

        let listed = try p.expectOK(["hooks", "list"])
        #expect(listed.out.contains("not trusted"))
        try p.expectOK(["hooks", "trust"])
        let ok = try p.expectOK(["commit", "-m", "first"])
        #expect(ok.out.contains("command"))

        // The commit carries lineage.yaml and a check record that validates against its schema.
        let recs = try records(p)
        #expect(recs.contains(".lineage/lineage.yaml"))
        let checks = recs.filter { $0.hasPrefix(".lineage/checks/") }
        #expect(checks.count == 1)
        let record = try p.git("show", "HEAD:" + checks[0]).out
        #expect(record.contains("\"outcome\":\"passed\""))
        #expect(record.contains("\"validator\":\"command\""))
        try validateAgainstSchema(record, schema: "check.schema.json")
        let commitRecord = try p.git("show", "HEAD:.lineage/commit.json").out
        #expect(commitRecord.contains("\"checks\":[\""))
        try validateAgainstSchema(commitRecord, schema: "commit.schema.json")
        // `show` lists the checks that gated the commit, and those of a file's version.
        #expect(try p.expectOK(["show"]).out.contains("check: command passed on data/small.csv"))
        #expect(try p.expectOK(["show", "HEAD:data/small.csv", "--json"]).out.contains("\"validator\" : \"command\""))

        // A file over the limit blocks the commit: exit 1, the hook's output shown, staged state kept.
        try p.write("data/big.csv", String(repeating: "x,y\n", count: 1000))
        try p.expectOK(["add", "data/big.csv"])
        let staged = try p.snapshot()
        let blocked = try p.run("commit", "-m", "too big")
        #expect(blocked.code == 1)
        #expect(blocked.out.contains("data/big.csv: 4000 bytes"))
        #expect(blocked.out.contains("exited with status 1"))
        #expect(try p.snapshot() == staged)
        #expect(try p.run("status", "--json").out.contains("data/big.csv"))

        // Changing the hook's program needs trusting again.
        try p.write("Hooks/examples/max-file-size.sh", (String(data: p.read("Hooks/examples/max-file-size.sh")!, encoding: .utf8)!) + "\n# changed\n")
        #expect(try p.run("commit", "-m", "changed hook").code == 3)

        // --no-verify commits anyway and says so, signed, with who skipped.
        let skipped = try p.expectOK(["commit", "-m", "big anyway", "--no-verify"])
        #expect(skipped.out.contains("--no-verify"))
        let skipRecord = try records(p).filter { $0.hasPrefix(".lineage/checks/") }
        let bodies = try skipRecord.map { try p.git("show", "HEAD:" + $0).out }
        let skip = try #require(bodies.first { $0.contains("\"outcome\":\"skipped\"") })
        #expect(skip.contains("\"skippedBy\":\"Test User <test@example.org>\""))
        #expect(skip.contains("data/big.csv"))
        #expect(try p.git("show", "HEAD:.lineage/commit.json").out.contains("\"noVerify\":true"))
        #expect(try p.run("verify").code == 0)
    }

    @Test func commandHookTimeoutAndMissingProgram() throws {
        let p = try project(); defer { p.remove() }
        try p.write("Hooks/hang.sh", "#!/bin/sh\necho started\nsleep 30\n")
        chmod(p.dir + "/Hooks/hang.sh", 0o755)
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - command: { run: Hooks/hang.sh, timeout: 1 }\n")
        try p.write("a.csv", "x\n1\n")
        try p.expectOK(["add", "a.csv"])
        try p.expectOK(["hooks", "trust"])
        let started = Date()
        let r = try p.run("commit", "-m", "hangs")
        #expect(r.code == 1)
        #expect(r.out.contains("did not finish within 1"))
        #expect(r.out.contains("started"))
        #expect(Date().timeIntervalSince(started) < 20)

        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - command: { run: Hooks/nope.sh }\n")
        let missing = try p.run("commit", "-m", "missing")
        #expect(missing.code == 2)
        #expect(missing.err.contains("lineage.yaml:3"))
        #expect(missing.err.contains("Hooks/nope.sh"))
    }

    @Test func forbidPathsExample() throws {
        let p = try project(); defer { p.remove() }
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - command: { run: Hooks/examples/forbid-paths.sh, args: [\"*.pem\", \"secrets/*\"] }\n")
        try p.expectOK(["hooks", "trust"])
        try p.write("data/ok.csv", "a\n1\n")
        try p.expectOK(["add", "data/ok.csv"])
        try p.expectOK(["commit", "-m", "fine"])
        try p.write("secrets/token.txt", "hunter2\n")
        try p.expectOK(["add", "secrets/token.txt"])
        let r = try p.run("commit", "-m", "leak")
        #expect(r.code == 1)
        #expect(r.out.contains("secrets/token.txt (matches secrets/*)"))
    }

    @Test func malformedConfigurationIsNamedByLineAndKey() throws {
        let p = try project(); defer { p.remove() }
        try p.write("a.csv", "x\n1\n")
        try p.expectOK(["add", "a.csv"])
        let cases: [(yaml: String, expect: [String])] = [
            ("hooks:\n  pre-commit:\n    - schema: { path: a.csv, schema: s.json, drift: maybe }\n", ["lineage.yaml:3", "drift", "warn, fail"]),
            ("hooks:\n  pre-commit:\n    - shema: { path: a.csv }\n", ["lineage.yaml:3", "unknown validator 'shema'", "did you mean 'schema'"]),
            ("hooks:\n  pre-commit:\n    - pii: { pth: a.csv }\n", ["lineage.yaml:3", "pii.pth", "did you mean 'path'"]),
            ("hooks:\n  pre-commit:\n    - pii: {}\n", ["lineage.yaml:3", "`path` is required"]),
            ("hooks:\n  pre-comit:\n    - pii: { path: a.csv }\n", ["lineage.yaml:2", "unknown hook stage", "pre-commit"]),
            ("hooks:\n  pre-commit:\n    - pii: { path: a.csv\n", ["lineage.yaml:", "not valid YAML"]),
            ("hook:\n  pre-commit: []\n", ["lineage.yaml:1", "unknown key", "hooks"]),
            ("hooks:\n  pre-commit:\n    - quality: { path: a.csv, max-missing: lots }\n", ["lineage.yaml:3", "max-missing", "expected a number"]),
        ]
        let before = try p.snapshot()
        for c in cases {
            try p.write("lineage.yaml", c.yaml)
            let r = try p.run("commit", "-m", "x")
            #expect(r.code == 2, "\(c.yaml): \(r.err)")
            for needle in c.expect { #expect(r.err.contains(needle), "\(c.yaml): missing '\(needle)' in \(r.err)") }
            #expect(try p.snapshot() == before)
            #expect(try p.run("hooks", "list").code == 2)
        }
    }
}
