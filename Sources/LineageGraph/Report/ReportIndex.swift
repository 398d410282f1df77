import Foundation

/// Lookups the report needs over one subgraph: neighbours by relation, and a card anchor per node.
struct ReportIndex {
    let graph: LineageSubgraph
    private let byID: [String: GraphNode]
    private let outgoing: [String: [GraphEdge]]
    private let incoming: [String: [GraphEdge]]
    /// Node id → fragment id of its card (`card-...`), unique and stable for equal input.
    let anchor: [String: String]

    init(_ graph: LineageSubgraph) {
        self.graph = graph
        var byID: [String: GraphNode] = [:]
        for node in graph.nodes { byID[node.id] = node }
        var outgoing: [String: [GraphEdge]] = [:], incoming: [String: [GraphEdge]] = [:]
        for edge in graph.edges where byID[edge.from] != nil && byID[edge.to] != nil {
            outgoing[edge.from, default: []].append(edge)
            incoming[edge.to, default: []].append(edge)
        }
        var anchor: [String: String] = [:]
        var taken: Set<String> = []
        for node in graph.nodes {
            let stem = "card-" + Markup.slug(node.id)
            var candidate = stem
            var k = 2
            while taken.contains(candidate) { candidate = "\(stem)-\(k)"; k += 1 }
            taken.insert(candidate)
            anchor[node.id] = candidate
        }
        self.byID = byID; self.outgoing = outgoing; self.incoming = incoming; self.anchor = anchor
    }

    func node(_ id: String) -> GraphNode? { byID[id] }

    /// Nodes this one points to by `kind` (the earlier things), in edge order, each once.
    func targets(of id: String, _ kind: GraphEdge.Kind) -> [GraphNode] {
        unique((outgoing[id] ?? []).filter { $0.kind == kind }.compactMap { byID[$0.to] })
    }

    /// Nodes pointing to this one by `kind` (the later things), in edge order, each once.
    func sources(of id: String, _ kind: GraphEdge.Kind) -> [GraphNode] {
        unique((incoming[id] ?? []).filter { $0.kind == kind }.compactMap { byID[$0.from] })
    }

    func nodes(_ kind: GraphNode.Kind) -> [GraphNode] { graph.nodes.filter { $0.kind == kind } }

    /// Runs ordered by start time, then id.
    var runs: [GraphNode] {
        nodes(.run).sorted { ($0.attributes["startedAt"] ?? "", $0.id) < ($1.attributes["startedAt"] ?? "", $1.id) }
    }

    /// Artifacts ordered by path, then id.
    var artifacts: [GraphNode] {
        nodes(.artifact).sorted { (ReportIndex.path($0), $0.id) < (ReportIndex.path($1), $1.id) }
    }

    var models: [GraphNode] { artifacts.filter { $0.attributes["artifactKind"] == "model" } }

    /// The signers of the runs that generated an artifact.
    func signers(ofArtifact id: String) -> [GraphNode] {
        unique(targets(of: id, .wasGeneratedBy).flatMap { targets(of: $0.id, .wasAssociatedWith) })
    }

    static func path(_ node: GraphNode) -> String {
        if let path = node.attributes["path"], !path.isEmpty { return path }
        return node.label.isEmpty ? node.id : node.label
    }

    private func unique(_ nodes: [GraphNode]) -> [GraphNode] {
        var seen: Set<String> = []
        return nodes.filter { seen.insert($0.id).inserted }
    }
}
