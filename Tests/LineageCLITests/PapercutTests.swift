import Foundation
import Testing

/// Small frictions a new user hit on the first day (issue 18), each through the CLI.
@Suite("Papercuts")
struct PapercutTests {
    @Test func diffTakesPaths() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data/a.csv", "a\n1\n")
        try p.write("data/b.csv", "b\n1\n")
        try p.write("other.txt", "x\n")
        try p.expectOK(["add", "."])
        try p.expectOK(["commit", "-m", "one"])
        try p.write("data/a.csv", "a\n2\n")
        try p.write("other.txt", "y\n")
        try p.expectOK(["add", "."])
        try p.expectOK(["commit", "-m", "two"])
        let all = try p.expectOK(["diff", "HEAD~1", "HEAD"]).out
        #expect(all.contains("data/a.csv") && all.contains("other.txt"))
        let some = try p.expectOK(["diff", "HEAD~1", "HEAD", "--", "data"]).out
        #expect(some.contains("data/a.csv") && !some.contains("other.txt"), "\(some)")
    }

    @Test func restoreStagedUnstagesWithoutTouchingTheFile() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data/a.csv", "a\n1\n")
        try p.expectOK(["add", "data/a.csv"])
        try p.expectOK(["commit", "-m", "one"])
        try p.write("data/a.csv", "a\n2\n")
        try p.write("data/new.csv", "n\n1\n")
        try p.expectOK(["add", "data"])
        let r = try p.expectOK(["restore", "--staged", "data"])
        #expect(r.out.contains("unstaged  data/a.csv") && r.out.contains("untracked data/new.csv"), "\(r.out)")
        #expect(String(decoding: p.read("data/a.csv") ?? Data(), as: UTF8.self) == "a\n2\n", "the file on disk is kept")
        #expect(try p.run(["commit", "-m", "nothing staged"]).code != 0)
        let status = try p.expectOK(["status"]).out
        #expect(status.contains("data/a.csv"), "\(status)")
        #expect(try p.run(["restore", "data/a.csv"]).err.contains("--staged"))
        #expect(try p.run(["restore", "--staged", "nope.csv"]).code == 2)
    }

    @Test func runWithoutOutputsSaysSoAndConfigOnlyCommitsSaySo() throws {
        let p = try Project()
        defer { p.remove() }
        let r = try p.run(["run", "--name", "x", "--", "true"])
        #expect(r.code == 2 && r.err.contains("declare each file or directory it writes with -o"), "\(r.err)")
        try p.write("a.csv", "a\n1\n")
        try p.expectOK(["add", "a.csv"])
        try p.expectOK(["commit", "-m", "one"])
        try p.write("lineage.yaml", "hooks:\n  pre-commit: []\n")
        let c = try p.expectOK(["commit", "-m", "config"])
        #expect(c.out.contains("0 file(s) changed; only lineage.yaml changed"), "\(c.out)")
    }

    @Test func traceAndImpactFilterByKind() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data/raw.csv", "a\n1\n")
        try p.expectOK(["add", "data/raw.csv"])
        try p.expectOK(["commit", "-m", "raw"])
        try p.expectOK(["run", "--name", "prep", "-i", "data/raw.csv", "-o", "data/clean.csv", "--", "/bin/sh", "-c", "cp data/raw.csv data/clean.csv"])
        try p.expectOK(["run", "--name", "train", "-i", "data/clean.csv", "-o", "models/m.onnx", "--", "/bin/sh", "-c", "mkdir -p models && cp data/clean.csv models/m.onnx"])
        let models = try p.expectOK(["impact", "data/raw.csv", "--kind", "model"]).out
        #expect(models.split(separator: "\n").count == 1 && models.hasPrefix("models/m.onnx"), "\(models)")
        let json = try JSONSerialization.jsonObject(with: try p.expectOK(["trace", "models/m.onnx", "--kind", "dataset", "--json"]).outData) as! [String: Any]
        let paths = (json["artifacts"] as! [[String: Any]]).compactMap { $0["path"] as? String }
        #expect(paths == ["data/clean.csv", "data/raw.csv"], "\(paths)")
        #expect(try p.run(["trace", "models/m.onnx", "--kind", "modle"]).code == 64)
    }
}
