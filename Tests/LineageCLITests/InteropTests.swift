import Foundation
import Testing

/// What lineage writes, checked by tools nobody on this team wrote.
@Suite("Interop with stock tools")
struct InteropTests {
    @Test func stockGitReadsTheHistory() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data/a.csv", "a,b\n1,2\n")
        try p.write("models/m.bin", randomData(100_000, seed: 9))
        try p.expectOK(["add", "data", "models"])
        try p.expectOK(["commit", "-m", "first"])
        try p.write("data/a.csv", "a,b\n1,2\n3,4\n")
        try p.expectOK(["add", "data"]); try p.expectOK(["commit", "-m", "second"])
        let log = try p.git("log", "--format=%s")
        #expect(log.code == 0)
        #expect(log.out == "second\nfirst\n")
        let fsck = try p.git("fsck", "--strict", "--full")
        #expect(fsck.code == 0, "git fsck: \(fsck.out) \(fsck.err)")
        #expect(!fsck.err.contains("error"))
        let tree = try p.git("ls-tree", "-r", "--name-only", "HEAD")
        #expect(tree.out == ".lineage/allowed_signers\n.lineage/commit.json\ndata/a.csv\nmodels/m.bin\n")
    }

    @Test func digestsMatchSha256sum() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("big.bin", randomData(3_000_000, seed: 5))
        try p.write("empty.txt", Data())
        try p.expectOK(["add", "big.bin", "empty.txt"])
        for file in ["big.bin", "empty.txt"] {
            let ours = (try JSONSerialization.jsonObject(with: try p.expectOK(["ls-files", "--json"]).outData) as! [String: Any])["files"] as! [[String: Any]]
            let sha = ours.first { $0["path"] as? String == file }!["sha256"] as! String
            let theirs = try CLI.tool("/usr/bin/sha256sum", [file], in: p.dir).out.split(separator: " ").first.map(String.init)!
            #expect(sha == "sha256:" + theirs)
        }
    }

    @Test func recordsAndOutputsMatchTheirSchemas() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("d/a.csv", "x\n1\n"); try p.write("m.onnx", randomData(1000, seed: 1)); try p.write("s.py", "print(1)")
        try p.expectOK(["add", "d", "m.onnx", "s.py"]); try p.expectOK(["commit", "-m", "one"])
        var documents: [(String, String)] = []
        for path in ["d/a.csv", "m.onnx", "s.py"] {
            let blob = try p.git("cat-file", "blob", "HEAD:\(path)").out
            documents.append(("pointer", blob))
        }
        documents.append(("commit", try p.git("cat-file", "blob", "HEAD:.lineage/commit.json").out))
        documents.append(("status", try p.expectOK(["status", "--json"]).out))
        documents.append(("log", try p.expectOK(["log", "--json"]).out))
        documents.append(("verify", try p.expectOK(["verify", "--json"]).out))
        for (schema, doc) in documents { try validateAgainstSchema(doc, schema: "\(schema).schema.json") }
        // Pointers are canonical JSON: sorted keys, no whitespace.
        let blob = try p.git("cat-file", "blob", "HEAD:d/a.csv").out
        #expect(blob.hasPrefix("{\"chunks\":\"sha256:") && !blob.contains(" "))
        #expect(blob.contains("\"kind\":\"dataset\"") && blob.contains("\"mediaType\":\"text/csv\""))
    }
}
