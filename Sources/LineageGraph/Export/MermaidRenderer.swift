/// `--format mermaid`: a Mermaid `flowchart LR`. Graph ids hold `:`, `@` and `/`, which Mermaid
/// does not allow in node ids, so nodes are named `n0`, `n1`, … in graph order (sorted by id).
/// Shapes and colours follow PROV: entities are yellow stadiums, activities blue rectangles,
/// agents orange trapezoids. Labels are quoted with Mermaid's entity codes for `"`, `#`, `<`,
/// `>`, `&` and backtick; a newline in a label becomes `<br/>`.
enum MermaidRenderer {
    static func render(_ graph: LineageSubgraph) -> String {
        let index = ExportGraph(graph)
        var name: [String: String] = [:]
        for (i, id) in (graph.nodes.map(\.id) + index.danglingIDs).enumerated() { name[id] = "n\(i)" }

        var out = "flowchart LR\n"
        var classes: [String: [String]] = [:]
        for node in graph.nodes {
            let n = name[node.id]!
            let s = ExportSummary(node)
            var lines = [node.kind == .artifact ? s.title : s.tag + " " + s.title]
            if !s.facts.isEmpty { lines.append(s.facts.joined(separator: " · ")) }
            let text = "\"" + lines.map(escape).joined(separator: "<br/>") + "\""
            switch node.kind {
            case .artifact, .code, .environment:
                out += "    \(n)([\(text)])\n"; classes["entity", default: []].append(n)
            case .run:
                out += "    \(n)[\(text)]\n"; classes["activity", default: []].append(n)
            case .signer:
                out += "    \(n)[/\(text)\\]\n"; classes["agent", default: []].append(n)
            }
        }
        for id in index.danglingIDs {
            out += "    \(name[id]!)[\"\(escape(id))\"]\n"
        }
        for edge in graph.edges {
            out += "    \(name[edge.from]!) -->|\(edge.kind.rawValue)| \(name[edge.to]!)\n"
        }
        out += """
                classDef entity fill:#FFFC87,stroke:#808080,color:#000000
                classDef activity fill:#9FB1FC,stroke:#0000FF,color:#000000
                classDef agent fill:#FED37F,stroke:#000000,color:#000000

            """
        for cls in ["entity", "activity", "agent"] {
            if let members = classes[cls] { out += "    class \(members.joined(separator: ",")) \(cls)\n" }
        }
        for root in graph.roots {
            if let n = name[root] { out += "    style \(n) stroke-width:3px\n" }
        }
        return out
    }

    /// Text safe inside a quoted Mermaid label.
    static func escape(_ text: String) -> String {
        var out = ""
        var previous: Unicode.Scalar? = nil
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            switch scalar {
            case "\"": out += "#quot;"
            case "#": out += "#35;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "&": out += "#amp;"
            case "`": out += "#96;"
            case "\n": if previous != "\r" { out += "<br/>" }
            case "\r": out += "<br/>"
            case _ where ExportText.isControl(scalar): out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
