import Foundation
import Testing

/// `trace`, `impact`, `reindex`, `report`, through the binary.
@Suite("Lineage graph")
struct GraphTests {
    func graph(_ p: Project, _ args: [String]) throws -> (nodes: [[String: Any]], edges: [[String: Any]], roots: [String]) {
        let r = try p.expectOK(args + ["--json"])
        let doc = try JSONSerialization.jsonObject(with: r.outData) as! [String: Any]
        return (doc["nodes"] as! [[String: Any]], doc["edges"] as! [[String: Any]], doc["roots"] as! [String])
    }

    func ids(_ nodes: [[String: Any]], kind: String) -> Set<String> {
        Set(nodes.filter { $0["kind"] as? String == kind }.map { $0["id"] as! String })
    }

    func sha(_ p: Project, _ path: String) throws -> String {
        String(try CLI.tool("/usr/bin/sha256sum", [path], in: p.dir).out.prefix(64))
    }

    /// raw → (prepare) → data/train.csv → (train) → models/model.bin, then data v2 and a second model.
    func pipeline() throws -> (Project, v1: String, v2: String) {
        let p = try Project()
        try p.write("raw/source.csv", "a,b\n1,2\n3,4\n")
        try p.expectOK(["add", "raw"]); try p.expectOK(["commit", "-m", "raw"])
        try p.expectOK(["run", "--name", "prepare", "-i", "raw/source.csv", "-o", "data/train.csv", "--",
                        "sh", "-c", "mkdir -p data; cp raw/source.csv data/train.csv"])
        let v1 = try sha(p, "data/train.csv")
        try p.expectOK(["run", "--name", "train", "-i", "data/train.csv", "-o", "models", "--",
                        "sh", "-c", "mkdir -p models/parts; sha256sum data/train.csv > models/model.bin; echo w > models/parts/w.bin"])
        try p.write("data/train.csv", "a,b\n1,2\n3,4\n5,6\n")
        try p.expectOK(["add", "data"]); try p.expectOK(["commit", "-m", "data v2 by hand"])
        let v2 = try sha(p, "data/train.csv")
        try p.expectOK(["run", "--name", "train", "-i", "data/train.csv", "-o", "models2/model.bin", "--",
                        "sh", "-c", "mkdir -p models2; sha256sum data/train.csv > models2/model.bin"])
        return (p, v1, v2)
    }

    @Test func traceFindsExactVersionsTransitively() throws {
        let (p, v1, v2) = try pipeline()
        defer { p.remove() }
        // The first model still traces to data v1 after v2 was committed, and on to the raw file.
        let t = try graph(p, ["trace", "models/model.bin"])
        let artifacts = ids(t.nodes, kind: "artifact")
        #expect(artifacts.contains("artifact:data/train.csv@\(v1)"))
        #expect(!artifacts.contains("artifact:data/train.csv@\(v2)"))
        #expect(artifacts.contains { $0.hasPrefix("artifact:raw/source.csv@") })
        #expect(ids(t.nodes, kind: "run").count == 2)
        #expect(ids(t.nodes, kind: "signer").count == 1)
        #expect(ids(t.nodes, kind: "environment").count >= 1)
        #expect(t.roots == ["artifact:models/model.bin@\(try sha(p, "models/model.bin"))"])
        #expect(t.edges.contains { $0["kind"] as? String == "wasDerivedFrom" && ($0["to"] as? String)?.contains(v1) == true })
        // --depth 1 stops after one run.
        let shallow = try graph(p, ["trace", "models/model.bin", "--depth", "1"])
        #expect(!ids(shallow.nodes, kind: "artifact").contains { $0.hasPrefix("artifact:raw/") })
        // A single file inside an output directory, a rev:path and a digest prefix all resolve.
        #expect(try graph(p, ["trace", "models/parts/w.bin"]).nodes.count > 3)
        #expect(ids(try graph(p, ["trace", "HEAD:models2/model.bin"]).nodes, kind: "artifact").contains("artifact:data/train.csv@\(v2)"))
        // The prepared file is a copy of the raw one: one digest, two paths, both are roots.
        #expect(try graph(p, ["trace", "sha256:" + v1.prefix(10)]).roots.contains("artifact:data/train.csv@\(v1)"))
        // Every format prints something and exits 0.
        for format in ["tree", "dot", "mermaid", "prov-json", "openlineage"] {
            let r = try p.expectOK(["trace", "models/model.bin", "--format", format])
            #expect(!r.out.isEmpty, "\(format)")
        }
        let tree = try p.expectOK(["trace", "models/model.bin"]).out
        #expect(tree.contains("data/train.csv") && tree.contains("prepare") && (tree.contains("└") || tree.contains("├")))
    }

    @Test func impactFindsEverythingDownstream() throws {
        let (p, v1, _) = try pipeline()
        defer { p.remove() }
        let i = try graph(p, ["impact", "raw/source.csv"])
        let artifacts = ids(i.nodes, kind: "artifact")
        #expect(artifacts.contains("artifact:data/train.csv@\(v1)"))
        #expect(artifacts.contains { $0.hasPrefix("artifact:models/model.bin@") })
        #expect(!artifacts.contains { $0.hasPrefix("artifact:models2/") }, "model 2 was trained on v2, which was edited by hand")
        // Impact of data v1 (as it was in HEAD~2) vs. every version of the path.
        let one = try graph(p, ["impact", "sha256:" + v1])
        #expect(!ids(one.nodes, kind: "artifact").contains { $0.hasPrefix("artifact:models2/") })
        let all = try graph(p, ["impact", "data/train.csv", "--all-versions"])
        #expect(ids(all.nodes, kind: "artifact").contains { $0.hasPrefix("artifact:models2/") })
        #expect(ids(all.nodes, kind: "artifact").contains { $0.hasPrefix("artifact:models/model.bin@") })
    }

    @Test func badTargetsAndDamagedIndexes() throws {
        let (p, _, _) = try pipeline()
        defer { p.remove() }
        let unknown = try p.run("trace", "models/modle.bin")
        #expect(unknown.code == 2 && unknown.err.contains("models/model.bin"), "\(unknown.err)")
        let noDigest = try p.run("trace", "sha256:ffffffffffff")
        #expect(noDigest.code == 2)
        let short = try p.run("trace", "sha256:ab")
        #expect(short.code == 2 && short.err.contains("4 hex"))
        let before = try graph(p, ["trace", "models/model.bin"])
        // A deleted index is rebuilt; a corrupt one is rebuilt with a warning; the answer is the same.
        try FileManager.default.removeItem(atPath: p.dir + "/.lineage/index.sqlite")
        let rebuilt = try graph(p, ["trace", "models/model.bin"])
        #expect(rebuilt.nodes.count == before.nodes.count && rebuilt.edges.count == before.edges.count)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: p.dir + "/.lineage/index.sqlite" + suffix) }
        try Data("this is not sqlite".utf8).write(to: URL(fileURLWithPath: p.dir + "/.lineage/index.sqlite"))
        let r = try p.run(["trace", "models/model.bin", "--json"])
        #expect(r.code == 0 && r.err.contains("rebuilding"), "\(r.err)")
        let doc = try JSONSerialization.jsonObject(with: r.outData) as! [String: Any]
        #expect((doc["nodes"] as! [Any]).count == before.nodes.count)
        let re = try JSONSerialization.jsonObject(with: try p.expectOK(["reindex", "--json"]).outData) as! [String: Any]
        #expect(re["commits"] as? Int == Int(try p.git("rev-list", "--count", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func ambiguousDigestPrefixListsCandidates() throws {
        let p = try Project()
        defer { p.remove() }
        // 1,500 small files: two digests sharing their first 4 hex digits is all but certain.
        var byPrefix: [String: [String]] = [:]
        for i in 0..<1500 {
            let text = "row \(i)\n"
            try p.write("many/f\(i).txt", text)
        }
        try p.expectOK(["add", "many"]); try p.expectOK(["commit", "-m", "many"])
        let listing = try CLI.tool("/bin/sh", ["-c", "sha256sum many/*"], in: p.dir).out
        for line in listing.split(separator: "\n") { byPrefix[String(line.prefix(4)), default: []].append(String(line)) }
        let shared = try #require(byPrefix.first { $0.value.count > 1 })
        let r = try p.run("trace", "sha256:" + shared.key)
        #expect(r.code == 2 && r.err.contains("ambiguous"))
        for line in shared.value { #expect(r.err.contains(String(line.split(separator: " ").last!))) }
    }

    @Test func aHistoryWhoseRecordIsMissingIsNamed() throws {
        let (p, _, _) = try pipeline()
        defer { p.remove() }
        let records = try p.git("ls-tree", "-r", "--name-only", "HEAD", ".lineage/runs").out.split(separator: "\n")
        let id = try p.git("rev-parse", "HEAD:" + records[0]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let object = p.dir + "/.lineage/objects/\(id.prefix(2))/\(id.dropFirst(2))"
        // Records are written as loose objects (repacking starts at 6,700 of them or 50 packs).
        #expect(FileManager.default.fileExists(atPath: object))
        try FileManager.default.removeItem(atPath: object)
        try FileManager.default.removeItem(atPath: p.dir + "/.lineage/index.sqlite")
        let r = try p.run("trace", "models/model.bin")
        #expect(r.code == 4, "\(r.err)")
        #expect(r.err.contains("run") && r.err.contains("cannot be read"))
    }

    @Test func reportWritesOneSelfContainedHTMLFile() throws {
        let (p, _, _) = try pipeline()
        defer { p.remove() }
        try p.expectOK(["report", "models/model.bin", "-o", "report.html"])
        let html = String(decoding: p.read("report.html")!, as: UTF8.self)
        #expect(html.contains("<svg") && html.contains("models/model.bin") && html.contains("data/train.csv"))
        #expect(!html.contains("<script src") && !html.contains("<link "))
    }
}
