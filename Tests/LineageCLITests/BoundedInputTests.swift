import Foundation
import Testing

/// Hostile config and data files through the CLI, each in a subprocess that cannot hurt the machine:
/// at most 2 GiB of address space (`ulimit -v`) and killed after 120 s, so a regression fails the
/// test (a signal or a wrong exit code) instead of exhausting a shared host.
@Suite struct BoundedInputTests {
    static let timeout = "/usr/bin/timeout"
    static let guarded = [timeout, "-s", "KILL", "120", "/bin/sh", "-c", "ulimit -v 2097152 && exec \"$0\" \"$@\""]

    /// "Billion laughs": nine levels of ten aliases, 10^9 values from eleven lines.
    static let billionLaughs: String = {
        var lines = ["hooks:", "  pre-commit: []", "bomb:", "  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for l in 1..<9 { lines.append("  - &l\(l) [" + Array(repeating: "*l\(l - 1)", count: 10).joined(separator: ", ") + "]") }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: timeout), "needs coreutils timeout to guard the subprocess"))
    func yamlAliasBombIsAConfigError() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data.csv", "a\n1\n")
        try p.expectOK(["add", "data.csv"])
        try p.write("lineage.yaml", Self.billionLaughs)
        let before = try p.snapshot()
        for args in [["hooks", "list"], ["commit", "--no-verify", "-m", "x"], ["commit", "-m", "x"]] {
            let r = try CLI.run(args, in: p.dir, prefix: Self.guarded)
            #expect(r.code == 2, "\(args): exit \(r.code), \(r.err)")
            #expect(r.err.contains("lineage.yaml") && r.err.contains("aliases"), "\(args): \(r.err)")
            #expect(try p.snapshot() == before)
        }
        // The same bomb as a rights meta file.
        try p.write("lineage.yaml", "hooks:\n  pre-commit: []\n")
        try p.write("bomb.meta.yaml", Self.billionLaughs.replacingOccurrences(of: "hooks:\n  pre-commit: []\nbomb:", with: "pii:"))
        let r = try CLI.run(["add", "data.csv", "--meta", "bomb.meta.yaml"], in: p.dir, prefix: Self.guarded)
        #expect(r.code == 2, "exit \(r.code), \(r.err)")
        #expect(r.err.contains("bomb.meta.yaml") && r.err.contains("aliases"), "\(r.err)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: timeout), "needs coreutils timeout to guard the subprocess"))
    func loneSurrogateInJSONLinesIsReportedNotACrash() throws {
        let p = try Project(initialize: false)
        defer { p.remove() }
        try p.write("t.jsonl", "{\"a\": \"ok\"}\n{\"a\":\"\\ud800\\u0041\"}\n")
        let r = try CLI.run(["schema", "infer", "t.jsonl"], in: p.dir, prefix: Self.guarded)
        // A bad-input exit (2, or 5 while `schema infer` still reports unreadable tables as an OS
        // error, issue 12 item 7), never a signal: the old trap was SIGILL, which Process reports as 4.
        #expect([2, 5].contains(r.code), "exit \(r.code), \(r.err)")
        #expect(r.err.contains("line 2") && r.err.contains("surrogate"), "\(r.err)")
    }
}
