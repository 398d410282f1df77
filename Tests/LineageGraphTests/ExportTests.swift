import Foundation
import LineageCore
@testable import LineageGraph
import Testing

/// Subgraphs built by hand: raw data → run `prepare` (R1) → dataset v2 → run `train` (R2) → model,
/// both runs sharing one code commit, one environment and one signer.
enum ExportFixture {
    static func hex(_ c: Character) -> String { String(repeating: c, count: 64) }

    static let rawID = "artifact:data/raw.csv@" + hex("1")
    static let v2ID = "artifact:data/v2.csv@" + hex("2")
    static let modelID = "artifact:models/model.onnx@" + hex("3")
    static let r1UUID = "01900000-0000-7000-8000-000000000001"
    static let r2UUID = "01900000-0000-7000-8000-000000000002"
    static let r1ID = "run:" + r1UUID
    static let r2ID = "run:" + r2UUID
    static let commit = "c0de" + String(repeating: "a", count: 36)
    static let codeID = "code:" + commit
    static let envID = "environment:" + hex("e")
    static let fingerprint = "SHA256:q0kTfQ2gXl+8r/5hY2Uw3bD1l0bcTmJ6mK6b7R0aC9E"
    static let signerID = "signer:" + fingerprint

    static func artifact(_ id: String, _ path: String, _ sha: String, size: Int, kind: String) -> GraphNode {
        GraphNode(id: id, kind: .artifact, label: path, attributes: [
            "path": path, "sha256": "sha256:" + sha, "size": String(size), "artifactKind": kind, "mediaType": "application/octet-stream",
        ])
    }

    static func run(_ id: String, _ name: String, start: String, end: String) -> GraphNode {
        GraphNode(id: id, kind: .run, label: name, attributes: [
            "name": name, "argv": "[\"python\",\"\(name).py\"]", "startedAt": start, "endedAt": end, "exitStatus": "0", "workingDirectory": ".",
        ])
    }

    static let nodes: [GraphNode] = [
        artifact(rawID, "data/raw.csv", hex("1"), size: 2048, kind: "dataset"),
        artifact(v2ID, "data/v2.csv", hex("2"), size: 1536, kind: "dataset"),
        artifact(modelID, "models/model.onnx", hex("3"), size: 5 * 1024 * 1024, kind: "model"),
        run(r1ID, "prepare", start: "2024-05-01T10:00:00.000Z", end: "2024-05-01T10:00:05.250Z"),
        run(r2ID, "train", start: "2024-05-01T11:00:00.000Z", end: "2024-05-01T11:30:00.000Z"),
        GraphNode(id: codeID, kind: .code, label: String(commit.prefix(7)), attributes: [
            "commit": commit, "branch": "main", "dirty": "false", "remoteURL": "https://example.com/team/ml.git",
        ]),
        GraphNode(id: envID, kind: .environment, label: "linux x86_64", attributes: ["os": "linux", "kernel": "6.1.0", "architecture": "x86_64"]),
        GraphNode(id: signerID, kind: .signer, label: "alice@example.com", attributes: ["principal": "alice@example.com", "fingerprint": fingerprint]),
    ]

    static let edges: [GraphEdge] = [
        GraphEdge(from: r1ID, to: rawID, kind: .used),
        GraphEdge(from: v2ID, to: r1ID, kind: .wasGeneratedBy),
        GraphEdge(from: v2ID, to: rawID, kind: .wasDerivedFrom),
        GraphEdge(from: r1ID, to: codeID, kind: .usedCode),
        GraphEdge(from: r1ID, to: envID, kind: .usedEnvironment),
        GraphEdge(from: r1ID, to: signerID, kind: .wasAssociatedWith),
        GraphEdge(from: r2ID, to: v2ID, kind: .used),
        GraphEdge(from: modelID, to: r2ID, kind: .wasGeneratedBy),
        GraphEdge(from: modelID, to: v2ID, kind: .wasDerivedFrom),
        GraphEdge(from: r2ID, to: codeID, kind: .usedCode),
        GraphEdge(from: r2ID, to: envID, kind: .usedEnvironment),
        GraphEdge(from: r2ID, to: signerID, kind: .wasAssociatedWith),
    ]

    /// `lineage trace models/model.onnx`: everything.
    static let trace = LineageSubgraph(direction: .upstream, roots: [modelID], nodes: nodes, edges: edges)

    /// `lineage impact data/raw.csv`: the artifacts and runs downstream of the raw data.
    static let impact: LineageSubgraph = {
        let keep: Set = [rawID, r1ID, v2ID, r2ID, modelID]
        return LineageSubgraph(direction: .downstream, roots: [rawID], nodes: nodes.filter { keep.contains($0.id) },
                               edges: edges.filter { keep.contains($0.from) && keep.contains($0.to) })
    }()

    static let awkwardPath = "data/my \"odd\" file\\name\né 100%#<b>&`x`.csv"
    static let awkwardID = "artifact:" + awkwardPath + "@" + hex("4")

    /// A run whose output has a path with quotes, a backslash, a newline, non-ASCII letters and
    /// characters that HTML, Mermaid and percent-encoding treat specially.
    static let awkward: LineageSubgraph = {
        let run = GraphNode(id: "run:01900000-0000-7000-8000-0000000000aa", kind: .run, label: "say \"hi\"\nthere", attributes: [
            "name": "say \"hi\"\nthere", "startedAt": "2024-06-01T08:00:00Z", "endedAt": "2024-06-01T08:00:01.5Z",
        ])
        let out = artifact(awkwardID, awkwardPath, hex("4"), size: 10, kind: "file")
        return LineageSubgraph(direction: .upstream, roots: [awkwardID], nodes: [run, out], edges: [
            GraphEdge(from: awkwardID, to: run.id, kind: .wasGeneratedBy),
            GraphEdge(from: run.id, to: rawID, kind: .used),
        ])
    }()
}

@Suite struct ExportTests {
    let short1 = String(repeating: "1", count: 12), short2 = String(repeating: "2", count: 12), short3 = String(repeating: "3", count: 12)

    /// Each relation once: the derivation edges beside a run repeat what the run shows.
    @Test func traceTreePrintsSharedAncestorsOnce() throws {
        let tree = try GraphRenderer.render(ExportFixture.trace, format: .tree)
        let code = String(ExportFixture.commit.prefix(12))
        let fp = ExportFixture.fingerprint
        #expect(tree == """
            artifact models/model.onnx @ \(short3)  5.0 MiB  model
            └── run train  \(ExportFixture.r2UUID)  2024-05-01T11:00:00.000Z
                ├── artifact data/v2.csv @ \(short2)  1.5 KiB  dataset
                │   └── run prepare  \(ExportFixture.r1UUID)  2024-05-01T10:00:00.000Z
                │       ├── artifact data/raw.csv @ \(short1)  2.0 KiB  dataset
                │       ├── code \(code)  main
                │       ├── env linux/x86_64
                │       └── signer alice@example.com  \(fp)
                ├── code \(code)  (see above)
                ├── env linux/x86_64  (see above)
                └── signer alice@example.com  \(fp)  (see above)

            """)
        // Every node is expanded exactly once.
        for node in ExportFixture.trace.nodes {
            let title = ExportSummary(node).title
            let full = tree.split(separator: "\n").filter { $0.contains(title) && !$0.hasSuffix("(see above)") }
            #expect(full.count == 1, "\(node.id)")
        }
    }

    @Test func impactTreeFollowsEdgesBackwards() throws {
        #expect(try GraphRenderer.render(ExportFixture.impact, format: .tree) == """
            artifact data/raw.csv @ \(short1)  2.0 KiB  dataset
            └── run prepare  \(ExportFixture.r1UUID)  2024-05-01T10:00:00.000Z
                └── artifact data/v2.csv @ \(short2)  1.5 KiB  dataset
                    └── run train  \(ExportFixture.r2UUID)  2024-05-01T11:00:00.000Z
                        └── artifact models/model.onnx @ \(short3)  5.0 MiB  model

            """)
    }

    @Test func treeWithSeveralRootsAndMissingNodes() throws {
        var g = ExportFixture.impact
        g.roots = [ExportFixture.v2ID, ExportFixture.rawID, "artifact:gone.csv@" + ExportFixture.hex("9")]
        let tree = try GraphRenderer.render(g, format: .tree)
        let lines = tree.split(separator: "\n", omittingEmptySubsequences: false)
        // The second root was not reached from the first, so it is printed in full; v2 below it is a reference.
        #expect(lines.first == "artifact data/v2.csv @ \(short2)  1.5 KiB  dataset")
        #expect(tree.contains("\n\nartifact data/raw.csv @ \(short1)  2.0 KiB  dataset\n"))
        #expect(tree.contains("└── artifact data/v2.csv @ \(short2)  (see above)\n"))
        #expect(tree.hasSuffix("\n\nartifact:gone.csv@\(ExportFixture.hex("9"))  (not in graph)\n"))
        #expect(try GraphRenderer.render(LineageSubgraph(direction: .upstream, roots: [], nodes: [], edges: []), format: .tree) == "")
    }

    @Test func treeColoursOnlyWhenAsked() throws {
        let plain = try GraphRenderer.render(ExportFixture.trace, format: .tree)
        let coloured = try GraphRenderer.render(ExportFixture.trace, format: .tree, color: true)
        #expect(!plain.contains("\u{1B}"))
        #expect(coloured.contains("\u{1B}[1;33martifact\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[1;34mrun\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[35msigner\u{1B}[0m"))
        let stripped = coloured.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        #expect(stripped == plain)
    }

    @Test func treeShowsControlCharactersAsEscapes() throws {
        var g = ExportFixture.awkward
        let i = try #require(g.nodes.firstIndex { $0.kind == .artifact })
        g.nodes[i].attributes["path"] = "evil\u{1B}[31m\r.csv"
        let tree = try GraphRenderer.render(g, format: .tree, color: false)
        #expect(!tree.contains("\u{1B}") && !tree.contains("\r"))
        #expect(tree == """
            artifact evil\\u{1b}[31m\\r.csv @ \(String(repeating: "4", count: 12))  10 B  file
            └── run say "hi"\\nthere  01900000-0000-7000-8000-0000000000aa  2024-06-01T08:00:00Z
                └── \(ExportFixture.rawID)  (not in graph)

            """)
    }

    @Test func dotHasPROVShapesAndEscapedText() throws {
        let dot = try GraphRenderer.render(ExportFixture.trace, format: .dot)
        #expect(dot.hasPrefix("digraph lineage {\n  rankdir=LR;\n"))
        #expect(dot.hasSuffix("}\n"))
        #expect(dot.contains("\"\(ExportFixture.r1ID)\" [label=\"run prepare\\n\(ExportFixture.r1UUID) · 2024-05-01T10:00:00.000Z\", shape=box, style=filled, fillcolor=\"#9FB1FC\""))
        #expect(dot.contains("\"\(ExportFixture.modelID)\" [label=\"models/model.onnx @ \(short3)\\n5.0 MiB · model\", shape=ellipse, style=filled, fillcolor=\"#FFFC87\", color=\"#808080\", peripheries=2];"))
        #expect(dot.contains("shape=house"))
        #expect(dot.contains("\"\(ExportFixture.v2ID)\" -> \"\(ExportFixture.r1ID)\" [label=\"wasGeneratedBy\"];"))
        #expect(dot.components(separatedBy: " -> ").count - 1 == ExportFixture.edges.count)

        let awkward = try GraphRenderer.render(ExportFixture.awkward, format: .dot)
        let escapedPath = "data/my \\\"odd\\\" file\\\\name\\né 100%#<b>&`x`.csv"
        let escapedID = "artifact:data/my \\\"odd\\\" file\\\\name\né 100%#<b>&`x`.csv@" + ExportFixture.hex("4")
        #expect(awkward.contains("\"\(escapedID)\" [label=\"\(escapedPath) @ 444444444444\\n10 B · file\""))
        #expect(awkward.contains("label=\"run say \\\"hi\\\"\\nthere\\n"))
        // The edge to a node outside the subgraph still names a declared node.
        #expect(awkward.contains("\"\(ExportFixture.rawID)\" [label=\"\(ExportFixture.rawID)\", shape=plaintext];"))
        #expect(DotSyntax.balanced(dot) && DotSyntax.balanced(awkward))
    }

    @Test(.enabled(if: Tool.find("dot") != nil, "needs Graphviz's dot (.ci/setup.sh installs graphviz)"))
    func graphvizAcceptsTheDot() throws {
        let dot = try #require(Tool.find("dot"))
        for graph in [ExportFixture.trace, ExportFixture.impact, ExportFixture.awkward] {
            let r = try Tool.run(dot, ["-Tcanon"], stdin: try GraphRenderer.render(graph, format: .dot))
            #expect(r.code == 0, "dot: \(r.err)")
            #expect(!r.err.lowercased().contains("warning") && !r.err.lowercased().contains("error"), "\(r.err)")
            #expect(r.out.contains("rankdir=LR"))
        }
        // Graphviz reads the awkward id back unchanged: one node per id, the edge between them.
        let svg = try Tool.run(dot, ["-Tsvg"], stdin: try GraphRenderer.render(ExportFixture.awkward, format: .dot))
        #expect(svg.code == 0)
        #expect(svg.out.components(separatedBy: "class=\"node\"").count - 1 == 3)
        #expect(svg.out.components(separatedBy: "class=\"edge\"").count - 1 == 2)
        #expect(svg.out.contains("é 100%#&lt;b&gt;&amp;`x`.csv"))
    }

    @Test func mermaidUsesSafeIDsAndEscapedLabels() throws {
        let m = try GraphRenderer.render(ExportFixture.trace, format: .mermaid)
        let lines = m.split(separator: "\n").map(String.init)
        #expect(lines.first == "flowchart LR")
        // Nodes are n0… in id order: artifacts, code, environment, runs, signer.
        #expect(lines[1] == "    n0([\"data/raw.csv @ \(short1)<br/>2.0 KiB · dataset\"])")
        #expect(lines.contains("    n6[\"run train<br/>\(ExportFixture.r2UUID) · 2024-05-01T11:00:00.000Z\"]"))
        #expect(lines.contains("    n7[/\"signer alice@example.com<br/>\(ExportFixture.fingerprint)\"\\]"))
        #expect(lines.contains("    n2 -->|wasGeneratedBy| n6"))
        #expect(lines.contains("    n6 -->|usedCode| n3"))
        #expect(lines.filter { $0.contains("-->|") }.count == ExportFixture.edges.count)
        #expect(lines.contains("    class n0,n1,n2,n3,n4 entity"))
        #expect(lines.contains("    class n5,n6 activity"))
        #expect(lines.contains("    style n2 stroke-width:3px"))
        for line in lines where line.contains("-->") {
            #expect(line.range(of: #"^    n\d+ -->\|[A-Za-z]+\| n\d+$"#, options: .regularExpression) != nil, "\(line)")
        }

        let awkward = try GraphRenderer.render(ExportFixture.awkward, format: .mermaid)
        #expect(awkward.contains("    n0([\"data/my #quot;odd#quot; file\\name<br/>é 100%#35;#lt;b#gt;#amp;#96;x#96;.csv @ 444444444444<br/>10 B · file\"])"))
        #expect(awkward.contains("    n1[\"run say #quot;hi#quot;<br/>there<br/>"))
        #expect(awkward.contains("    n2[\"\(ExportFixture.rawID)\"]"))
        // Inside every label, the only `"` are the delimiters.
        for line in awkward.split(separator: "\n") where line.contains("\"") {
            #expect(line.filter { $0 == "\"" }.count == 2, "\(line)")
        }
    }

    @Test func provJSONIsWellFormed() throws {
        let text = try GraphRenderer.render(ExportFixture.trace, format: .provJSON)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let prefix = try #require(doc["prefix"] as? [String: String])
        #expect(prefix["lineage"] == "https://lineage.example/ns#")
        #expect(prefix["run"] == "urn:lineage:run:")
        #expect((doc["entity"] as? [String: Any])?.count == 5)
        #expect((doc["activity"] as? [String: Any])?.count == 2)
        #expect((doc["agent"] as? [String: Any])?.count == 1)
        #expect((doc["used"] as? [String: Any])?.count == 6)
        let run = try #require((doc["activity"] as? [String: Any])?[ExportFixture.r1ID] as? [String: Any])
        #expect(run["prov:startTime"] as? [String: String] == ["$": "2024-05-01T10:00:00.000Z", "type": "xsd:dateTime"])
        #expect(run["lineage:name"] as? String == "prepare")
        // Every id and every relation endpoint uses a declared prefix.
        for section in ["entity", "activity", "agent"] {
            for id in (doc[section] as? [String: Any] ?? [:]).keys {
                #expect(prefix[String(id.prefix { $0 != ":" })] != nil, "\(id)")
            }
        }
        #expect(ProvJSONExport.qname(ExportFixture.awkwardID)
            == "artifact:data/my%20%22odd%22%20file%5Cname%0A%C3%A9%20100%25%23%3Cb%3E%26%60x%60.csv@" + ExportFixture.hex("4"))
        #expect(ProvJSONExport.qname("elsewhere") == "lineage:node/elsewhere")
    }

    @Test func openLineageEventsPerRun() throws {
        let text = try GraphRenderer.render(ExportFixture.trace, format: .openlineage, namespace: "team-ml")
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 && text.hasSuffix("\n"))
        let events = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect((events[0]["run"] as? [String: Any])?["runId"] as? String == ExportFixture.r1UUID)
        #expect(events[0]["eventTime"] as? String == "2024-05-01T10:00:05.250Z")
        #expect(events[0]["eventType"] as? String == "COMPLETE")
        #expect((events[0]["job"] as? [String: Any])?["name"] as? String == "prepare")
        #expect((events[0]["job"] as? [String: Any])?["namespace"] as? String == "team-ml")
        let inputs = try #require(events[1]["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["name"] as? String } == ["data/v2.csv"])
        let version = (inputs[0]["facets"] as? [String: Any])?["version"] as? [String: String]
        #expect(version?["datasetVersion"] == "sha256:" + ExportFixture.hex("2"))
        #expect(version?["_producer"] == OpenLineageExport.producer)
        #expect(((events[1]["outputs"] as? [[String: Any]])?.map { $0["name"] as? String }) == ["models/model.onnx"])
        // Code, environment and signer are not datasets.
        #expect(!text.contains("environment:") && !text.contains("signer"))
    }

    @Test func openLineageRejectsRunsItCannotDescribe() throws {
        var g = ExportFixture.impact
        let i = try #require(g.nodes.firstIndex { $0.id == ExportFixture.r1ID })
        g.nodes[i].attributes["endedAt"] = nil
        // Falls back to the start time.
        #expect(try GraphRenderer.render(g, format: .openlineage).contains("\"eventTime\":\"2024-05-01T10:00:00.000Z\""))
        g.nodes[i].attributes["startedAt"] = "yesterday"
        #expect(throws: GraphExportError.runWithoutTime(runID: ExportFixture.r1ID)) {
            try GraphRenderer.render(g, format: .openlineage)
        }
        var h = ExportFixture.impact
        h.nodes.append(GraphNode(id: "run:not-a-uuid", kind: .run, label: "x", attributes: ["endedAt": "2024-01-01T00:00:00Z"]))
        #expect(throws: GraphExportError.runIDNotUUID(runID: "run:not-a-uuid")) {
            try GraphRenderer.render(h, format: .openlineage)
        }
        // Other formats do not need either.
        for format in GraphFormat.allCases where format != .openlineage {
            _ = try GraphRenderer.render(g, format: format)
            _ = try GraphRenderer.render(h, format: format)
        }
    }

    @Test func jsonIsThePrettySortedSubgraphInTheSharedShape() throws {
        let json = try GraphRenderer.json(ExportFixture.trace)
        #expect(json.hasSuffix("}\n"))
        #expect(json.contains("\n  \"direction\" : \"upstream\",\n"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(doc["schema"] as? String == "lineage-graph.schema.json")
        #expect(doc["roots"] as? [String] == ExportFixture.trace.roots)
        let nodes = try #require(doc["nodes"] as? [[String: Any]])
        #expect(nodes.map { $0["id"] as? String } == ExportFixture.trace.nodes.map(\.id))
        // Digests as sha256:<hex>, sizes and exit statuses as numbers, dirty as a boolean, argv as an array.
        let model = try #require(nodes.first { $0["id"] as? String == ExportFixture.modelID }?["attributes"] as? [String: Any])
        #expect(model["sha256"] as? String == "sha256:" + ExportFixture.hex("3"))
        #expect(model["size"] as? Int == 5 * 1024 * 1024)
        let run = try #require(nodes.first { $0["id"] as? String == ExportFixture.r2ID }?["attributes"] as? [String: Any])
        #expect(run["exitStatus"] as? Int == 0 && run["argv"] as? [String] == ["python", "train.py"] && run["name"] as? String == "train")
        let code = try #require(nodes.first { $0["id"] as? String == ExportFixture.codeID }?["attributes"] as? [String: Any])
        #expect(code["dirty"] as? Bool == false)
        // A value that does not parse stays text rather than being lost.
        #expect(GraphJSON.typed("size", "lots") == .string("lots"))
        #expect(GraphJSON.typed("sha256", "abc") == .string("abc"))
        #expect(GraphJSON.typed("sha256", ExportFixture.hex("a")) == .string("sha256:" + ExportFixture.hex("a")))
        // argv's tokens are copied from the stored canonical JSON; anything else is not an array of strings.
        #expect(GraphJSON.stringTokens(#"["a\\","b\"c",""]"#)?.map { String(decoding: $0, as: UTF8.self) } == [#""a\\""#, #""b\"c""#, #""""#])
        #expect(GraphJSON.stringTokens("[]")?.isEmpty == true)
        for notStrings in ["", "[", "[1]", #"["a""#, #"["a",]"#, #"["a"]x"#, #"["a" ,"b"]"#, "{}", "[\"\n\"]"] {
            #expect(GraphJSON.stringTokens(notStrings) == nil, "\(notStrings)")
        }
    }

    @Test func everyFormatIsDeterministic() throws {
        for format in GraphFormat.allCases {
            let a = try GraphRenderer.render(ExportFixture.trace, format: format)
            let shuffled = LineageSubgraph(direction: .upstream, roots: ExportFixture.trace.roots,
                                           nodes: ExportFixture.nodes.reversed(), edges: ExportFixture.edges.shuffled())
            #expect(try GraphRenderer.render(shuffled, format: format) == a, "\(format)")
        }
        #expect(GraphFormat(rawValue: "prov-json") == .provJSON)
        #expect(GraphFormat.allCases.map(\.rawValue) == ["tree", "dot", "mermaid", "prov-json", "openlineage"])
    }

    @Test func sizesReadLikeHumans() {
        #expect(ExportSummary.formatSize("0") == "0 B")
        #expect(ExportSummary.formatSize("1023") == "1023 B")
        #expect(ExportSummary.formatSize("1024") == "1.0 KiB")
        #expect(ExportSummary.formatSize("1048575") == "1.0 MiB")
        #expect(ExportSummary.formatSize("3221225472") == "3.0 GiB")
        #expect(ExportSummary.formatSize("lots") == "lots")
    }
}

/// Checks that DOT text has its quotes closed and its brackets balanced outside quoted strings.
enum DotSyntax {
    static func balanced(_ text: String) -> Bool {
        var inQuote = false, escaped = false, depth = 0
        for c in text.unicodeScalars {
            if inQuote {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inQuote = false }
                continue
            }
            switch c {
            case "\"": inQuote = true
            case "[", "{": depth += 1
            case "]", "}": depth -= 1; if depth < 0 { return false }
            default: break
            }
        }
        return !inQuote && depth == 0
    }
}

/// Runs programs that are not part of lineage (python3, dot), for interop checks.
enum Tool {
    struct Result { var code: Int32; var out: String; var err: String }

    /// The full path of `name` on PATH, if it is there.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inURL = dir.appendingPathComponent("in"), outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        try Data((stdin ?? "").utf8).write(to: inURL)
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardInput = try FileHandle(forReadingFrom: inURL)
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        p.waitUntilExit()
        return Result(code: p.terminationStatus,
                      out: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      err: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}

/// `--json` is written by hand for speed; it must stay byte-identical to JSONEncoder's pretty,
/// sorted-keys form (what it replaced and what `CanonicalJSON.pretty` still gives).
@Suite struct GraphJSONTests {
    static let awkward: [String] = {
        var texts = ["", "plain", "with/slash", "quote\"d", "back\\slash", "été 東京 🚀", "\u{7F}del", "tab\tand\nnewline"]
        texts.append(String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }))
        return texts
    }()

    static func graph(seed: Int, nodes: Int, edges: Int) -> LineageSubgraph {
        func text(_ i: Int) -> String { awkward[(i * 7 + seed) % awkward.count] + "-\(i)" }
        let kinds: [GraphNode.Kind] = [.artifact, .run, .code, .environment, .signer]
        var list: [GraphNode] = []
        for i in 0..<nodes {
            var attributes: [String: String] = [:]
            for k in 0..<(i % 5) { attributes["k\(k)" + text(k + i)] = text(i * k) }
            // Attributes JSON gives a type, with values that parse and values that do not.
            let typed = ["sha256", "diffSHA256", "size", "exitStatus", "dirty", "argv"]
            attributes[typed[i % typed.count]] = [String(repeating: "ab", count: 32), "sha256:" + String(repeating: "0", count: 64), "\(i * 977)", "-3",
                                                  i % 2 == 0 ? "true" : "false", "[\"sh\",\"-c\",\"é \\\"x\\\"\"]", "[]", text(i)][(i / 2) % 8]
            list.append(GraphNode(id: "n\(i)" + text(i), kind: kinds[i % kinds.count], label: text(i + 1), attributes: attributes))
        }
        var edgeList: [GraphEdge] = []
        for i in 0..<edges {
            edgeList.append(GraphEdge(from: list[i % list.count].id, to: list[(i * 3 + 1) % list.count].id,
                                      kind: GraphEdge.Kind.allCases[i % GraphEdge.Kind.allCases.count]))
        }
        return LineageSubgraph(direction: seed % 2 == 0 ? .upstream : .downstream, roots: list.prefix(seed % 3).map(\.id),
                               nodes: list, edges: edgeList)
    }

    @Test func sameBytesAsJSONEncoder() throws {
        var graphs = [LineageSubgraph(direction: .upstream, roots: [], nodes: [], edges: []),
                      ExportFixture.trace, ExportFixture.impact, ExportFixture.awkward]
        for seed in 0..<6 { graphs.append(Self.graph(seed: seed, nodes: 1 + seed * 13, edges: seed * 17)) }
        for g in graphs {
            let fast = try GraphRenderer.json(g)
            let reference = try CanonicalJSON.pretty(GraphJSON.Document(g)) + "\n"
            #expect(fast == reference)
        }
    }

    /// The same for PROV-JSON documents (nested objects, blank ids `_:u1` … `_:u12` whose order
    /// depends on how keys sort, empty sections).
    @Test func provJSONSameBytesAsJSONEncoder() throws {
        var graphs = [LineageSubgraph(direction: .upstream, roots: [], nodes: [], edges: []),
                      ExportFixture.trace, ExportFixture.impact, ExportFixture.awkward]
        for seed in 0..<6 { graphs.append(Self.graph(seed: seed, nodes: 1 + seed * 13, edges: seed * 17)) }
        for g in graphs {
            let document = ProvJSONExport.document(g)
            #expect(String(decoding: document.prettyBytes(), as: UTF8.self) == (try CanonicalJSON.pretty(document)))
        }
        let empty = ExportJSON.object(["a": .object([:]), "b": .array([]), "c": .array([.string("x"), .object(["k": .string("v")])])])
        #expect(String(decoding: empty.prettyBytes(), as: UTF8.self) == (try CanonicalJSON.pretty(empty)))
    }
}
