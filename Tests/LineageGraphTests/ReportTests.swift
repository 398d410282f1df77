import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LineageCore
@testable import LineageGraph
import Testing

/// A small ML pipeline: raw data is cleaned, a model is trained on the clean data and a config,
/// and an evaluation writes a report. Both runs are signed and record code and environment.
enum ReportFixture {
    static let raw = "artifact:data/raw.csv@" + String(repeating: "a1", count: 32)
    static let clean = "artifact:data/clean.csv@" + String(repeating: "b2", count: 32)
    static let config = "artifact:configs/train.yaml@" + String(repeating: "c3", count: 32)
    static let model = "artifact:models/model.bin@" + String(repeating: "d4", count: 32)
    static let report = "artifact:reports/eval.md@" + String(repeating: "e5", count: 32)
    static let prepare = "run:11111111-1111-4111-8111-111111111111"
    static let train = "run:22222222-2222-4222-8222-222222222222"
    static let evaluate = "run:33333333-3333-4333-8333-333333333333"
    static let code = "code:" + String(repeating: "f0", count: 20)
    static let environment = "environment:" + String(repeating: "9a", count: 32)
    static let signer = "signer:SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

    static func artifact(_ id: String, kind: String, size: String) -> GraphNode {
        let path = String(id.dropFirst("artifact:".count).prefix { $0 != "@" })
        let digest = String(id.split(separator: "@").last!)
        return GraphNode(id: id, kind: .artifact, label: path, attributes: [
            "path": path, "sha256": digest, "size": size, "artifactKind": kind,
            "mediaType": "application/octet-stream", "commit": String(repeating: "7e", count: 20),
        ])
    }

    static func run(_ id: String, name: String, argv: String, exit: String = "0") -> GraphNode {
        GraphNode(id: id, kind: .run, label: name, attributes: [
            "name": name, "argv": argv, "startedAt": "2024-05-01T10:00:00Z", "endedAt": "2024-05-01T10:02:05.500Z",
            "exitStatus": exit, "commit": String(repeating: "5c", count: 20), "workingDirectory": "/srv/project",
        ])
    }

    static func graph(remoteURL: String? = nil) -> LineageSubgraph {
        var codeAttributes = ["commit": String(repeating: "f0", count: 20), "branch": "main", "dirty": "false"]
        codeAttributes["remoteURL"] = remoteURL
        let nodes = [
            artifact(raw, kind: "dataset", size: "104857600"),
            artifact(clean, kind: "dataset", size: "52428800"),
            artifact(config, kind: "other", size: "812"),
            artifact(model, kind: "model", size: "1572864"),
            artifact(report, kind: "report", size: "4096"),
            run(prepare, name: "prepare", argv: #"["python","prep.py","--in","data/raw.csv"]"#),
            run(train, name: "train", argv: #"["python","train.py","--lr","0.01","it's"]"#),
            run(evaluate, name: "evaluate", argv: #"["python","eval.py"]"#, exit: "1"),
            GraphNode(id: code, kind: .code, label: String(repeating: "f0", count: 4), attributes: codeAttributes),
            GraphNode(id: environment, kind: .environment, label: "linux x86_64",
                      attributes: ["os": "Debian 12", "kernel": "6.1.0", "architecture": "x86_64"]),
            GraphNode(id: signer, kind: .signer, label: "alice@example.org",
                      attributes: ["principal": "alice@example.org", "fingerprint": "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"]),
        ]
        let edges = [
            GraphEdge(from: prepare, to: raw, kind: .used),
            GraphEdge(from: clean, to: prepare, kind: .wasGeneratedBy),
            GraphEdge(from: clean, to: raw, kind: .wasDerivedFrom),
            GraphEdge(from: train, to: clean, kind: .used),
            GraphEdge(from: train, to: config, kind: .used),
            GraphEdge(from: model, to: train, kind: .wasGeneratedBy),
            GraphEdge(from: model, to: clean, kind: .wasDerivedFrom),
            GraphEdge(from: model, to: raw, kind: .wasDerivedFrom),  // spans four layers
            GraphEdge(from: evaluate, to: model, kind: .used),
            GraphEdge(from: report, to: evaluate, kind: .wasGeneratedBy),
            GraphEdge(from: prepare, to: signer, kind: .wasAssociatedWith),
            GraphEdge(from: train, to: signer, kind: .wasAssociatedWith),
            GraphEdge(from: train, to: code, kind: .usedCode),
            GraphEdge(from: train, to: environment, kind: .usedEnvironment),
        ]
        return LineageSubgraph(direction: .upstream, roots: [report], nodes: nodes, edges: edges)
    }

    static func render(_ graph: LineageSubgraph = graph()) -> String {
        HTMLReport.render(graph, title: "Lineage of reports/eval.md", generatedAt: "2024-05-02T08:00:00Z", subject: "reports/eval.md")
    }
}

/// A deterministic random source for generated graphs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Collects what the tests look at while parsing markup as XML.
final class MarkupProbe: NSObject, XMLParserDelegate {
    var ids: [String] = []
    var fragmentLinks: [String] = []
    var articles: [(id: String, cls: String)] = []
    var elements: [String] = []
    var error: Error?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(name)
        if let id = attributes["id"] { ids.append(id) }
        if let href = attributes["href"], href.hasPrefix("#") { fragmentLinks.append(String(href.dropFirst())) }
        if name == "article" { articles.append((attributes["id"] ?? "", attributes["class"] ?? "")) }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }

    static func parse(_ markup: String) -> (ok: Bool, probe: MarkupProbe) {
        let parser = XMLParser(data: Data(markup.utf8))
        let probe = MarkupProbe()
        parser.delegate = probe
        let ok = parser.parse()
        return (ok && probe.error == nil, probe)
    }
}

@Suite struct ReportTests {
    // MARK: Layout

    /// No two node boxes share any area.
    static func overlaps(_ nodes: [LayeredLayout.Placed]) -> [(String, String)] {
        let sorted = nodes.sorted { $0.x < $1.x }
        var found: [(String, String)] = []
        for (i, a) in sorted.enumerated() {
            for b in sorted[(i + 1)...] {
                if b.x >= a.x + a.width { break }
                if a.y < b.y + b.height && b.y < a.y + a.height { found.append((a.id, b.id)) }
            }
        }
        return found
    }

    @Test func layersFollowEdgesEarlierOnTheLeft() throws {
        let graph = ReportFixture.graph()
        let layout = LayeredLayout(graph)
        #expect(layout.nodes.map(\.id) == graph.nodes.map(\.id))
        for edge in graph.edges {
            let from = try #require(layout.placed(edge.from)), to = try #require(layout.placed(edge.to))
            #expect(from.layer > to.layer, "\(edge.from) → \(edge.to)")
            #expect(from.x >= to.x + to.width, "\(edge.from) → \(edge.to)")
        }
        // Nothing earlier than raw data; the signer sits next to the first run it signed, not at the far left.
        #expect(layout.placed(ReportFixture.raw)?.layer == 0)
        #expect(layout.placed(ReportFixture.signer)?.layer == layout.placed(ReportFixture.prepare)!.layer - 1)
        #expect(layout.placed(ReportFixture.report)?.layer == layout.layerCount - 1)
        #expect(ReportTests.overlaps(layout.nodes).isEmpty)
        for node in layout.nodes {
            #expect(node.x >= 0 && node.y >= 0 && node.x + node.width <= layout.width && node.y + node.height <= layout.height)
        }
    }

    @Test func longEdgesRunThroughVirtualNodes() throws {
        let layout = LayeredLayout(ReportFixture.graph())
        let route = try #require(layout.routes.first { $0.from == ReportFixture.model && $0.to == ReportFixture.raw })
        let model = try #require(layout.placed(ReportFixture.model)), raw = try #require(layout.placed(ReportFixture.raw))
        let span = model.layer - raw.layer
        #expect(span == 4)
        // One entry and one exit point per layer crossed, between the two ends.
        #expect(route.points.count == 2 + 2 * (span - 1))
        #expect(route.points.first == LayeredLayout.Point(x: model.x, y: model.centerY))
        #expect(route.points.last == LayeredLayout.Point(x: raw.x + raw.width, y: raw.centerY))
        for (a, b) in zip(route.points, route.points.dropFirst()) { #expect(a.x >= b.x) }
        // The route crosses intermediate layers beside their nodes, never through them.
        for point in route.points.dropFirst().dropLast() {
            for node in layout.nodes {
                let inside = point.x > node.x && point.x < node.x + node.width && point.y > node.y && point.y < node.y + node.height
                #expect(!inside, "route passes through \(node.id)")
            }
        }
        // Adjacent-layer edges are direct.
        let used = try #require(layout.routes.first { $0.from == ReportFixture.prepare && $0.to == ReportFixture.raw })
        #expect(used.points.count == 2)
        // Several relations between the same two nodes share one route.
        #expect(layout.routes.count == Set(ReportFixture.graph().edges.map { "\($0.from)|\($0.to)" }).count)
    }

    @Test func layoutIsDeterministic() {
        let graph = ReportFixture.graph()
        let shuffled = LineageSubgraph(direction: graph.direction, roots: graph.roots,
                                       nodes: graph.nodes.reversed(), edges: graph.edges.reversed())
        let a = LayeredLayout(graph), b = LayeredLayout(graph), c = LayeredLayout(shuffled)
        #expect(a == b)
        #expect(a == c)
        #expect(ReportFixture.render(graph) == ReportFixture.render(shuffled))
    }

    @Test func emptySingleAndDisconnectedGraphs() throws {
        let empty = LayeredLayout(LineageSubgraph(direction: .upstream, roots: [], nodes: [], edges: []))
        #expect(empty.nodes.isEmpty && empty.routes.isEmpty && empty.width == 0 && empty.height == 0)

        let one = LayeredLayout(LineageSubgraph(direction: .upstream, roots: ["x"], nodes: [GraphNode(id: "x", kind: .artifact, label: "x")], edges: []))
        #expect(one.nodes.count == 1 && one.nodes[0].layer == 0 && one.width > one.nodes[0].width && one.height > one.nodes[0].height)

        // Two chains and a loner: each part starts at layer 0, parts do not overlap, larger parts first.
        let nodes = ["a1", "a2", "a3", "b1", "b2", "c"].map { GraphNode(id: $0, kind: .artifact, label: $0) }
        let edges = [GraphEdge(from: "a3", to: "a2", kind: .wasDerivedFrom), GraphEdge(from: "a2", to: "a1", kind: .wasDerivedFrom),
                     GraphEdge(from: "b2", to: "b1", kind: .wasDerivedFrom),
                     GraphEdge(from: "a1", to: "missing", kind: .wasDerivedFrom)]  // dangling: ignored
        let layout = LayeredLayout(LineageSubgraph(direction: .upstream, roots: [], nodes: nodes, edges: edges))
        #expect(layout.nodes.map(\.layer) == [0, 1, 2, 0, 1, 0])
        #expect(ReportTests.overlaps(layout.nodes).isEmpty)
        #expect(layout.routes.count == 3)
        let a = try #require(layout.placed("a1")), b = try #require(layout.placed("b1")), c = try #require(layout.placed("c"))
        #expect(a.y < b.y && b.y < c.y)
        #expect(a.x == b.x)
    }

    @Test func cyclesAreBrokenNotFollowedForever() throws {
        let nodes = ["a", "b", "c", "d"].map { GraphNode(id: $0, kind: .artifact, label: $0) }
        let edges = [GraphEdge(from: "a", to: "b", kind: .wasDerivedFrom), GraphEdge(from: "b", to: "c", kind: .wasDerivedFrom),
                     GraphEdge(from: "c", to: "a", kind: .wasDerivedFrom), GraphEdge(from: "d", to: "c", kind: .wasDerivedFrom),
                     GraphEdge(from: "a", to: "a", kind: .wasDerivedFrom)]
        let layout = LayeredLayout(LineageSubgraph(direction: .upstream, roots: [], nodes: nodes, edges: edges))
        #expect(layout.routes.count == 4)  // the self-loop is not drawn
        #expect(layout.routes.filter(\.reversed).count == 1)
        for route in layout.routes {
            let from = try #require(layout.placed(route.from)), to = try #require(layout.placed(route.to))
            #expect(route.reversed ? from.layer < to.layer : from.layer > to.layer)
        }
        #expect(ReportTests.overlaps(layout.nodes).isEmpty)
        _ = HTMLReport.render(LineageSubgraph(direction: .upstream, roots: [], nodes: nodes, edges: edges), title: "cycle", generatedAt: "now")
    }

    @Test func twoThousandNodeRandomDAG() throws {
        var rng = SplitMix64(state: 42)
        let n = 2_000
        let ids = (0..<n).map { String(format: "n%04d", $0) }
        let nodes = ids.enumerated().map { i, id in
            i % 3 == 1 ? GraphNode(id: id, kind: .run, label: "step \(i)")
                       : GraphNode(id: id, kind: .artifact, label: "data/part-\(i).csv", attributes: ["artifactKind": "dataset"])
        }
        var edges: [GraphEdge] = []
        for i in 1..<n {
            // Mostly recent inputs, now and then a much older one: long edges and many crossings.
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let back = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 1...i, using: &rng) : Int.random(in: 1...min(i, 40), using: &rng)
                edges.append(GraphEdge(from: ids[i], to: ids[i - back], kind: .wasDerivedFrom))
            }
        }
        let graph = LineageSubgraph(direction: .upstream, roots: [], nodes: nodes, edges: Array(Set(edges)))
        let clock = ContinuousClock()
        let start = clock.now
        let layout = LayeredLayout(graph)
        let elapsed = clock.now - start
        print("2,000-node layout: \(elapsed), \(layout.layerCount) layers, \(layout.width) × \(layout.height)")
        #expect(layout.nodes.count == n)
        #expect(ReportTests.overlaps(layout.nodes).isEmpty)
        var position: [String: LayeredLayout.Placed] = [:]
        for node in layout.nodes { position[node.id] = node }
        for edge in graph.edges {
            let from = try #require(position[edge.from]), to = try #require(position[edge.to])
            #expect(from.x > to.x)
        }
        for route in layout.routes {
            #expect(!route.reversed)
            for (a, b) in zip(route.points, route.points.dropFirst()) { #expect(a.x >= b.x) }
        }
        let html = HTMLReport.render(graph, title: "big", generatedAt: "now")
        #expect(MarkupProbe.parse(html).ok)
    }

    // MARK: HTML

    static func svgFragment(_ html: String) throws -> String {
        let start = try #require(html.range(of: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage"))
        let end = try #require(html.range(of: "</svg>", range: start.upperBound..<html.endIndex))
        return String(html[start.lowerBound..<end.upperBound])
    }

    @Test func documentAndSVGAreWellFormedXML() throws {
        let html = ReportFixture.render()
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html"))
        let svg = try ReportTests.svgFragment(html)
        let parsedSVG = MarkupProbe.parse(svg)
        #expect(parsedSVG.ok)
        let graph = ReportFixture.graph()
        #expect(parsedSVG.probe.elements.filter { $0 == "a" }.count == graph.nodes.count)
        #expect(parsedSVG.probe.elements.filter { $0 == "marker" }.count >= 1)
        #expect(svg.contains("marker-end=\"url(#arrow-"))
        #expect(svg.contains("<title>data/clean.csv —wasDerivedFrom→ data/raw.csv</title>"))

        let document = MarkupProbe.parse(html)
        #expect(document.ok)
        // Every in-page link lands on an element, and ids are unique.
        let ids = Set(document.probe.ids)
        #expect(ids.count == document.probe.ids.count)
        for target in document.probe.fragmentLinks { #expect(ids.contains(target), "dangling link #\(target)") }
    }

    @Test func oneCardPerNodeAndAModelCard() throws {
        let graph = ReportFixture.graph()
        let html = ReportFixture.render(graph)
        let probe = MarkupProbe.parse(html).probe
        let anchors = ReportIndex(graph).anchor
        for artifact in graph.nodes where artifact.kind == .artifact {
            let id = try #require(anchors[artifact.id])
            #expect(probe.articles.filter { $0.id == id }.count == 1, "card of \(artifact.id)")
        }
        let cards = probe.articles.filter { $0.cls.hasPrefix("card ") && !$0.cls.contains("model-card") }
        #expect(cards.count == graph.nodes.count)
        let modelCards = probe.articles.filter { $0.cls.contains("model-card") }
        #expect(modelCards.map(\.id) == ["model-" + anchors[ReportFixture.model]!])

        // The model card names its training data with digests, code, environment and run.
        let section = try #require(html.range(of: "<section id=\"model-cards\">"))
        let end = try #require(html.range(of: "</section>", range: section.upperBound..<html.endIndex))
        let modelCard = String(html[section.lowerBound..<end.lowerBound])
        for expected in ["Training data", "data/clean.csv", String(repeating: "b2", count: 32), "configs/train.yaml",
                         String(repeating: "c3", count: 32), "Code version", String(repeating: "f0", count: 20), "main",
                         "Environment", "Debian 12", "x86_64", ">train<", #"python train.py --lr 0.01 'it'\''s'"#,
                         "alice@example.org", "2 min 06 s", "0 (success)"] {
            #expect(modelCard.contains(expected) || modelCard.contains(Markup.text(expected)), "model card lacks \(expected)")
        }
        #expect(!modelCard.contains("data/raw.csv</code></a></td>"))  // only the run's direct inputs are training data

        // Artifact cards: size in human units, signer of the producing run, placeholders.
        #expect(html.contains("1.5 MiB (1,572,864 bytes)"))
        #expect(html.contains("100 MiB (104,857,600 bytes)"))
        #expect(html.contains("none recorded"))
        #expect(html.contains("no rights record"))
        #expect(html.contains("1 (failure)"))
        #expect(html.contains("Lineage of reports/eval.md"))
        #expect(html.contains("2024-05-02T08:00:00Z"))
    }

    @Test func hostileTextIsEscaped() throws {
        var graph = ReportFixture.graph()
        let hostile = "<script>alert(\"x\")</script>&amp;'\u{0}\u{7}</style>"
        graph.nodes[0].label = hostile
        graph.nodes[0].attributes["path"] = hostile
        graph.nodes[0].attributes["notes"] = "]]><!-- -->" + hostile
        let html = HTMLReport.render(graph, title: hostile, generatedAt: "<b>now</b>", subject: hostile)
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt;&amp;amp;"))
        #expect(html.components(separatedBy: "</style>").count == 2)  // only the stylesheet's own end tag
        #expect(MarkupProbe.parse(html).ok)
        #expect(MarkupProbe.parse(try ReportTests.svgFragment(html)).ok)
    }

    @Test func nothingIsFetched() throws {
        for html in [ReportFixture.render(), ReportFixture.render(ReportFixture.graph(remoteURL: "https://git.example.org/ml/model.git"))] {
            let lower = html.lowercased()
            for forbidden in ["<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "src=", "srcset=", "xlink:href", "@font-face"] {
                #expect(!lower.contains(forbidden), "found \(forbidden)")
            }
            // Links and CSS/SVG references stay inside the page.
            for attribute in ["href=\"", "url("] {
                var rest = lower[...]
                while let hit = rest.range(of: attribute) {
                    #expect(rest[hit.upperBound...].hasPrefix("#"), "external \(attribute)")
                    rest = rest[hit.upperBound...]
                }
            }
        }
        // With no URLs in the data, the only ones in the file are the two namespace names.
        let html = ReportFixture.render()
        let namespaces = ["http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg"]
        var stripped = html
        for ns in namespaces { stripped = stripped.replacingOccurrences(of: ns, with: "") }
        #expect(!stripped.lowercased().contains("http"))
        #expect(!stripped.contains("//"))
    }

    @Test func emptyGraphStillRenders() {
        let html = HTMLReport.render(LineageSubgraph(direction: .downstream, roots: ["artifact:x@00"], nodes: [], edges: []),
                                     title: "Impact of x", generatedAt: "2024-05-02T08:00:00Z")
        #expect(MarkupProbe.parse(html).ok)
        #expect(html.contains("No lineage is recorded for this subject."))
        #expect(!html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage"))
    }

    @Test func commandsAndUnits() {
        #expect(HTMLReport.command(#"["ls","-l","a b","it's",""]"#) == #"ls -l 'a b' 'it'\''s' ''"#)
        #expect(HTMLReport.command("not json") == "not json")
        #expect(HumanUnits.bytes(0) == "0 B" && HumanUnits.bytes(1023) == "1023 B" && HumanUnits.bytes(1536) == "1.5 KiB")
        #expect(HumanUnits.bytes(5 * 1024 * 1024 * 1024) == "5.0 GiB")
        #expect(HumanUnits.grouped(1234567) == "1,234,567" && HumanUnits.grouped(12) == "12")
        #expect(HumanUnits.coordinate(12.0) == "12" && HumanUnits.coordinate(3.14159) == "3.1" && HumanUnits.coordinate(-0.01) == "0")
        #expect(NodeText.shorten("datasets/very/long/directory/structure/file-name.csv", to: 20).count == 20)
        #expect(Markup.slug("artifact:Data/X.csv@ab") == "artifact-data-x-csv-ab")
    }
}
