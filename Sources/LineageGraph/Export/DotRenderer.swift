/// `--format dot`: a Graphviz digraph, drawn left to right, in PROV's visual conventions:
/// entities (artifacts; code and environments dashed) are yellow ellipses, activities (runs) blue
/// rectangles, agents (signers) orange houses. The roots asked about get a double outline. Node
/// ids are the graph's own ids, quoted; edges are labelled with their kind.
enum DotRenderer {
    static func render(_ graph: LineageSubgraph) -> String {
        let index = ExportGraph(graph)
        let roots = Set(graph.roots)
        var out = """
            digraph lineage {
              rankdir=LR;
              node [fontname="Helvetica", fontsize=10];
              edge [fontname="Helvetica", fontsize=9];

            """
        for node in graph.nodes {
            var attributes = ["label=" + label(node)] + style(node.kind)
            if roots.contains(node.id) { attributes.append("peripheries=2") }
            out += "  \(quoted(node.id)) [\(attributes.joined(separator: ", "))];\n"
        }
        for id in index.danglingIDs {
            out += "  \(quoted(id)) [label=\(labelString([id])), shape=plaintext];\n"
        }
        for edge in graph.edges {
            out += "  \(quoted(edge.from)) -> \(quoted(edge.to)) [label=\(quoted(edge.kind.rawValue))];\n"
        }
        out += "}\n"
        return out
    }

    static func style(_ kind: GraphNode.Kind) -> [String] {
        switch kind {
        case .artifact: return ["shape=ellipse", "style=filled", "fillcolor=\"#FFFC87\"", "color=\"#808080\""]
        case .code, .environment: return ["shape=ellipse", "style=\"filled,dashed\"", "fillcolor=\"#FFFC87\"", "color=\"#808080\""]
        case .run: return ["shape=box", "style=filled", "fillcolor=\"#9FB1FC\"", "color=\"#0000FF\""]
        case .signer: return ["shape=house", "style=filled", "fillcolor=\"#FED37F\""]
        }
    }

    /// The node's title on the first line (after its kind tag, except for artifacts), then one
    /// line of facts.
    static func label(_ node: GraphNode) -> String {
        let s = ExportSummary(node)
        var lines = [node.kind == .artifact ? s.title : s.tag + " " + s.title]
        if !s.facts.isEmpty { lines.append(s.facts.joined(separator: " · ")) }
        return labelString(lines)
    }

    /// A quoted label (a Graphviz escString) whose lines are `lines`, centred. A newline inside a
    /// line's own text also breaks the line; other control characters become U+FFFD.
    static func labelString(_ lines: [String]) -> String {
        "\"" + lines.map(escapeLabelText).joined(separator: "\\n") + "\""
    }

    static func escapeLabelText(_ text: String) -> String {
        var out = ""
        var previous: Unicode.Scalar? = nil
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": if previous != "\r" { out += "\\n" }
            case "\r": out += "\\n"
            case _ where ExportText.isControl(scalar): out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A DOT quoted string naming the id. `"` and `\` are escaped (Graphviz keeps `\\` as two
    /// characters in an id, so distinct ids stay distinct); everything else is written as it is,
    /// except NUL, which no path holds.
    static func quoted(_ id: String) -> String {
        var out = "\""
        for scalar in id.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\0": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
