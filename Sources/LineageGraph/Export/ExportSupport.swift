import Foundation
import LineageCore

/// Why a subgraph cannot be written in the asked-for format.
public enum GraphExportError: Error, Equatable, CustomStringConvertible {
    /// An OpenLineage RunEvent needs an `eventTime`; the run has no usable `endedAt` or `startedAt`.
    case runWithoutTime(runID: String)
    /// OpenLineage run ids are UUIDs; the part of this node's id after `run:` is not one.
    case runIDNotUUID(runID: String)

    public var description: String {
        switch self {
        case .runWithoutTime(let id):
            return "run `\(id)` has neither an `endedAt` nor a `startedAt` time in ISO 8601 form, so no OpenLineage event can be written for it — export it with `--format prov-json` instead, or record the run again."
        case .runIDNotUUID(let id):
            return "run `\(id)` does not have a UUID id, which OpenLineage requires — export it with `--format prov-json` instead."
        }
    }
}

/// A JSON value built at run time; encoded through `CanonicalJSON`, so object keys come out sorted.
enum ExportJSON: Encodable, Equatable {
    case string(String)
    case integer(Int64)
    case boolean(Bool)
    case object([String: ExportJSON])
    case array([ExportJSON])
    case number(Double)
    case bool(Bool)
    case null

    init(_ value: RecordValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .list(let l): self = .array(l.map(ExportJSON.init))
        }
    }

    /// The attribute `name` of a run node holding a record's values as JSON text (`params`,
    /// `metrics`: file → dotted key → value), parsed.
    static func attribute(_ node: GraphNode, _ name: String) -> ExportJSON? {
        guard let text = node.attributes[name],
              let values = try? CanonicalJSON.decode([String: RecordValues].self, from: Array(text.utf8)) else { return nil }
        return .object(values.mapValues { .object($0.mapValues(ExportJSON.init)) })
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let d): try container.encode(d)
        case .bool(let b): try container.encode(b)
        case .null: try container.encodeNil()
        case .string(let s): try container.encode(s)
        case .integer(let n): try container.encode(n)
        case .boolean(let b): try container.encode(b)
        case .object(let o): try container.encode(o)
        case .array(let a): try container.encode(a)
        }
    }
}

/// The graph with its edges indexed both ways, for walking it.
struct ExportGraph {
    let graph: LineageSubgraph
    let nodes: [String: GraphNode]
    let outgoing: [String: [GraphEdge]]
    let incoming: [String: [GraphEdge]]

    init(_ graph: LineageSubgraph) {
        self.graph = graph
        var nodes: [String: GraphNode] = [:]
        for n in graph.nodes { nodes[n.id] = n }
        self.nodes = nodes
        outgoing = Dictionary(grouping: graph.edges, by: \.from)
        incoming = Dictionary(grouping: graph.edges, by: \.to)
    }

    /// Ids of the nodes one step further in the graph's direction: upstream follows edges forwards
    /// (what a thing came from), downstream backwards (what came from it). Each id once, unsorted.
    func next(_ id: String) -> [String] {
        let ids = graph.direction == .upstream ? (outgoing[id] ?? []).map(\.to) : (incoming[id] ?? []).map(\.from)
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }

    /// Every id the edges name that is not a node of the graph, sorted.
    var danglingIDs: [String] {
        var ids = Set<String>()
        for e in graph.edges {
            if nodes[e.from] == nil { ids.insert(e.from) }
            if nodes[e.to] == nil { ids.insert(e.to) }
        }
        return ids.sorted()
    }
}

/// The facts about a node that the human-readable formats show, derived from its attributes.
struct ExportSummary {
    /// `metrics: accuracy=0.93, loss=0.1` from a run's `metrics` attribute (keys of every file).
    static func metricsText(_ node: GraphNode) -> String? {
        guard let text = node.attributes["metrics"],
              let values = try? CanonicalJSON.decode([String: RecordValues].self, from: Array(text.utf8)) else { return nil }
        let pairs = values.keys.sorted().flatMap { file in values[file]!.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } }
        return pairs.isEmpty ? nil : "metrics: " + pairs.joined(separator: ", ")
    }

    /// Short kind tag: `artifact`, `run`, `code`, `env`, `signer`.
    let tag: String
    /// The main text: an artifact's `path @ <12 hex>`, a run's name, a short commit, `os/arch`, a principal.
    let title: String
    /// Further facts, in display order; empty facts are left out.
    let facts: [String]
    /// The text of a one-line reference that tells this node apart from others (printed after the
    /// tag): the title, and for runs and signers their id or fingerprint.
    let reference: String

    init(_ node: GraphNode) {
        let a = node.attributes.filter { !$0.value.isEmpty }
        switch node.kind {
        case .artifact:
            tag = "artifact"
            let path = a["path"] ?? node.exportPathFromID ?? node.label
            let sha = node.exportSHA256Hex.map { " @ " + String($0.prefix(12)) } ?? ""
            title = path + sha
            facts = [a["size"].map(Self.formatSize), a["artifactKind"], a["checks"].map { "checks: " + $0 }].compactMap { $0 }
            reference = title
        case .run:
            tag = "run"
            title = a["name"] ?? node.label
            let uuid = node.exportLocalID
            facts = [uuid, a["startedAt"], a["stage"].map { "stage " + $0 }, Self.metricsText(node),
                     a["reusedFrom"].map { "outputs reused from run " + $0 }].compactMap { $0 }.filter { !$0.isEmpty }
            reference = title + (uuid.isEmpty ? "" : "  " + uuid)
        case .code:
            tag = "code"
            title = a["commit"].map { String($0.prefix(12)) } ?? node.label
            facts = [a["branch"], a["dirty"] == "true" ? "dirty" : nil].compactMap { $0 }
            reference = title
        case .environment:
            tag = "env"
            switch (a["os"], a["architecture"]) {
            case let (os?, arch?): title = os + "/" + arch
            case let (os?, nil): title = os
            case let (nil, arch?): title = arch
            case (nil, nil): title = node.label
            }
            facts = []
            reference = title
        case .signer:
            tag = "signer"
            title = a["principal"] ?? node.label
            let fingerprint = a["fingerprint"] ?? node.exportLocalID
            facts = fingerprint.isEmpty ? [] : [fingerprint]
            reference = title + (fingerprint.isEmpty ? "" : "  " + fingerprint)
        }
    }

    /// `"1234"` → `"1.2 KiB"`; a value that is not a byte count is shown as it is.
    static func formatSize(_ text: String) -> String {
        guard let bytes = UInt64(text) else { return text }
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1023.95, unit < units.count - 1 { value /= 1024; unit += 1 }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

extension GraphNode {
    /// The id without its `kind:` prefix (a run's UUID, a signer's fingerprint); the whole id when
    /// it does not start with the kind.
    var exportLocalID: String {
        let prefix = kind.rawValue + ":"
        return id.hasPrefix(prefix) ? String(id.dropFirst(prefix.count)) : id
    }

    /// An artifact's SHA-256 as 64 lowercase hex characters, from its `sha256` attribute
    /// (with or without the `sha256:` prefix) or else from its id.
    var exportSHA256Hex: String? {
        if let value = attributes["sha256"], let d = Digest(hex: value) { return d.hex }
        guard kind == .artifact, let at = id.lastIndex(of: "@") else { return nil }
        return Digest(hex: String(id[id.index(after: at)...]))?.hex
    }

    /// The path part of an `artifact:<path>@<hex>` id.
    var exportPathFromID: String? {
        guard kind == .artifact, id.hasPrefix("artifact:"), let at = id.lastIndex(of: "@") else { return nil }
        let start = id.index(id.startIndex, offsetBy: "artifact:".count)
        return start < at ? String(id[start..<at]) : nil
    }
}

/// Text helpers shared by the export formats.
enum ExportText {
    /// Text for a terminal: control characters (which could move the cursor, break the tree's
    /// layout or change colours) are shown as escapes — a newline as `\n`, others as `\u{1b}`.
    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: ExportText.isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where ExportText.isControl(scalar): out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// C0 and C1 control characters and DEL.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Whether `text` is an RFC 3339 / ISO 8601 date-time with a `T`, seconds and a zone, with or
    /// without fractional seconds — what `xsd:dateTime` and OpenLineage's `eventTime` accept.
    static func isDateTime(_ text: String) -> Bool {
        let plain = Date.ISO8601FormatStyle()
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return (try? plain.parse(text)) != nil || (try? fractional.parse(text)) != nil
    }
}
