/// `--format tree`: each root, then what it reaches in the graph's direction, drawn with
/// box-drawing characters. A node reached a second time is printed as a one-line reference
/// ending in `(see above)` and not expanded again, so shared ancestors appear once.
///
/// An artifact reached through a run is not listed again beside that run (its derivation edge
/// says the same thing). Children are sorted by kind (run, artifact, code, environment, signer — so an artifact's
/// generating run comes before the inputs it was derived from), then title, then id.
enum TreeRenderer {
    static func render(_ graph: LineageSubgraph, color: Bool) -> String {
        let index = ExportGraph(graph)
        // Each node's summary is made once: sorting children needs their titles, and a node
        // with many parents (an impact of 100,000 nodes) was summarised once per parent.
        var summaries: [String: ExportSummary] = [:]
        summaries.reserveCapacity(index.nodes.count)
        for (id, node) in index.nodes { summaries[id] = ExportSummary(node) }
        let paint = Paint(enabled: color)
        var printed = Set<String>()
        var out = ""

        // Depth-first, pre-order, with an explicit stack so that long chains cannot overflow the
        // call stack. Each entry: the node, the text before it on its line, the indent of its children.
        for (number, root) in graph.roots.enumerated() {
            if number > 0 { out += "\n" }
            var stack: [(id: String, lead: String, indent: String)] = [(root, "", "")]
            while let (id, lead, indent) = stack.popLast() {
                guard let node = index.nodes[id] else {
                    out += lead + paint.dim(ExportText.visible(id) + "  (not in graph)") + "\n"
                    continue
                }
                let summary = summaries[id]!
                if printed.contains(id) {
                    out += lead + paint.kind(node.kind, summary.tag) + " " + ExportText.visible(summary.reference)
                        + paint.dim("  (see above)") + "\n"
                    continue
                }
                printed.insert(id)
                out += lead + paint.kind(node.kind, summary.tag) + " " + ExportText.visible(summary.title)
                    + (summary.facts.isEmpty ? "" : paint.dim(summary.facts.map { "  " + ExportText.visible($0) }.joined())) + "\n"
                let children = sortedChildren(of: id, in: index, summaries: summaries)
                for (k, child) in children.enumerated().reversed() {
                    let last = k == children.count - 1
                    stack.append((child, indent + (last ? "└── " : "├── "), indent + (last ? "    " : "│   ")))
                }
            }
        }
        return out
    }

    static func sortedChildren(of id: String, in index: ExportGraph, summaries: [String: ExportSummary]) -> [String] {
        func key(_ id: String) -> (Int, String, String) {
            guard let node = index.nodes[id], let summary = summaries[id] else { return (kindOrder.count, id, id) }
            return (kindOrder.firstIndex(of: node.kind) ?? kindOrder.count, summary.title, id)
        }
        // Each relation once: an artifact a child run already leads to (derived from that run's
        // inputs, or built by the run from this one) is shown under the run, not again beside it.
        let next = index.next(id)
        let viaRuns = Set(next.filter { index.nodes[$0]?.kind == .run }.flatMap { index.next($0) })
        return next.filter { !(index.nodes[$0]?.kind == .artifact && viaRuns.contains($0)) }
            .map { (id: $0, key: key($0)) }.sorted { $0.key < $1.key }.map(\.id)
    }

    static let kindOrder: [GraphNode.Kind] = [.run, .artifact, .code, .environment, .signer]

    /// ANSI SGR colours, or nothing when output is not a terminal. Kinds take PROV's colours
    /// where a terminal has them: entities yellow, activities blue, agents magenta.
    struct Paint {
        let enabled: Bool

        func kind(_ kind: GraphNode.Kind, _ text: String) -> String {
            switch kind {
            case .artifact: return sgr("1;33", text)
            case .run: return sgr("1;34", text)
            case .code: return sgr("36", text)
            case .environment: return sgr("32", text)
            case .signer: return sgr("35", text)
            }
        }

        func dim(_ text: String) -> String { sgr("2", text) }

        private func sgr(_ code: String, _ text: String) -> String {
            enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
        }
    }
}
