import LineageCore

/// The output formats of `lineage trace` and `lineage impact` (`--format`).
public enum GraphFormat: String, CaseIterable, Sendable {
    /// An indented tree with box-drawing characters (the default).
    case tree
    /// Graphviz DOT.
    case dot
    /// A Mermaid flowchart.
    case mermaid
    /// W3C PROV-JSON.
    case provJSON = "prov-json"
    /// OpenLineage RunEvents, one per run, as JSON Lines.
    case openlineage
}

/// Writes a `LineageSubgraph` in each of the formats people and other tools read. Every output is
/// deterministic: the same subgraph gives the same bytes.
public enum GraphRenderer {
    /// The subgraph in `format`, ending in a newline (empty when there is nothing to write).
    /// - Parameters:
    ///   - color: colour the tree with ANSI escapes (for a terminal); ignored by other formats.
    ///   - namespace: the OpenLineage namespace of jobs and datasets; ignored by other formats.
    /// - Throws: `GraphExportError` when a run cannot be written as OpenLineage (no time, no UUID).
    public static func render(_ graph: LineageSubgraph, format: GraphFormat, color: Bool = false, namespace: String = "lineage") throws -> String {
        switch format {
        case .tree: return TreeRenderer.render(graph, color: color)
        case .dot: return DotRenderer.render(graph)
        case .mermaid: return MermaidRenderer.render(graph)
        case .provJSON: return try ProvJSONExport.render(graph)
        case .openlineage: return try OpenLineageExport.render(graph, namespace: namespace)
        }
    }

    /// `--json`: the subgraph itself, pretty-printed with sorted keys. Schema:
    /// `Schemas/lineage-graph.schema.json`.
    public static func json(_ graph: LineageSubgraph) throws -> String {
        var bytes = GraphJSON.encode(graph)
        bytes.append(10)
        return String(decoding: bytes, as: UTF8.self)
    }
}
