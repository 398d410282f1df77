import LineageCore

/// `--format prov-json`: the subgraph as a W3C PROV-JSON document.
///
/// - Artifacts, code commits and environments are `entity` records, runs `activity` records
///   (with `prov:startTime`/`prov:endTime` as `xsd:dateTime`), signers `agent` records.
/// - Record ids are the graph's ids read as qualified names: the kind is the prefix
///   (`artifact:`, `run:`, `code:`, `environment:`, `signer:`, each bound to
///   `urn:lineage:<kind>:`), the rest of the id the local part, percent-encoded outside
///   `A-Z a-z 0-9 - . _ ~ / : @ + = , ;` (so a space is `%20`, `%` is `%25`).
/// - Every node attribute is kept as a string attribute `lineage:<name>`; `prov:label` is the
///   node's label and `prov:type` one of `lineage:Artifact`, `lineage:Run`, `lineage:Code`,
///   `lineage:Environment`, `lineage:Signer` (an `xsd:QName`).
/// - Edges become `used` (also `usedCode`/`usedEnvironment`, with `prov:role` `lineage:code` /
///   `lineage:environment`), `wasGeneratedBy`, `wasDerivedFrom` and `wasAssociatedWith` records
///   with blank ids `_:u1`, `_:g1`, `_:d1`, `_:a1`, …; a usage carries the run's start time and a
///   generation its end time as `prov:time`.
/// - `prov` and `xsd` are predefined by PROV-JSON and not declared again.
public enum ProvJSONExport {
    /// The namespace of lineage's own attribute names and types (`lineage:path`, `lineage:Run`).
    public static let lineageNamespace = "https://lineage.example/ns#"

    /// Prefix → namespace IRI, as written in the document's `prefix` object.
    public static let prefixes: [String: String] = {
        var p = ["lineage": lineageNamespace]
        for kind in kinds { p[kind.rawValue] = "urn:lineage:\(kind.rawValue):" }
        return p
    }()

    static let kinds: [GraphNode.Kind] = [.artifact, .run, .code, .environment, .signer]

    static func render(_ graph: LineageSubgraph) throws -> String {
        var bytes = document(graph).prettyBytes()
        bytes.append(10)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func document(_ graph: LineageSubgraph) -> ExportJSON {
        let index = ExportGraph(graph)
        var sections: [String: [String: ExportJSON]] = [:]
        sections["prefix"] = prefixes.mapValues { .string($0) }

        for node in graph.nodes {
            var record: [String: ExportJSON] = [
                "prov:label": .string(node.label),
                "prov:type": qnameValue("lineage:" + typeName(node.kind)),
            ]
            for (name, value) in node.attributes { record["lineage:" + encodeLocal(name)] = .string(value) }
            switch node.kind {
            case .artifact, .code, .environment:
                sections["entity", default: [:]][qname(node.id)] = .object(record)
            case .run:
                if let start = node.attributes["startedAt"], ExportText.isDateTime(start) { record["prov:startTime"] = dateTime(start) }
                if let end = node.attributes["endedAt"], ExportText.isDateTime(end) { record["prov:endTime"] = dateTime(end) }
                sections["activity", default: [:]][qname(node.id)] = .object(record)
            case .signer:
                sections["agent", default: [:]][qname(node.id)] = .object(record)
            }
        }

        var counters: [String: Int] = [:]
        func add(_ section: String, _ blankPrefix: String, _ record: [String: ExportJSON]) {
            counters[section, default: 0] += 1
            sections[section, default: [:]]["_:\(blankPrefix)\(counters[section]!)"] = .object(record)
        }
        func runTime(_ id: String, _ attribute: String) -> ExportJSON? {
            guard let t = index.nodes[id]?.attributes[attribute], ExportText.isDateTime(t) else { return nil }
            return dateTime(t)
        }
        // Each node's qualified name is made once; edges name the same nodes again and again.
        var names: [String: String] = [:]
        names.reserveCapacity(graph.nodes.count)
        func name(_ id: String) -> String {
            if let known = names[id] { return known }
            let made = qname(id)
            names[id] = made
            return made
        }
        for edge in graph.edges {
            let from = ExportJSON.string(name(edge.from)), to = ExportJSON.string(name(edge.to))
            switch edge.kind {
            case .used, .usedCode, .usedEnvironment:
                var r = ["prov:activity": from, "prov:entity": to]
                if edge.kind == .usedCode { r["prov:role"] = qnameValue("lineage:code") }
                if edge.kind == .usedEnvironment { r["prov:role"] = qnameValue("lineage:environment") }
                if let t = runTime(edge.from, "startedAt") { r["prov:time"] = t }
                add("used", "u", r)
            case .wasGeneratedBy:
                var r = ["prov:entity": from, "prov:activity": to]
                if let t = runTime(edge.to, "endedAt") { r["prov:time"] = t }
                add("wasGeneratedBy", "g", r)
            case .wasDerivedFrom:
                add("wasDerivedFrom", "d", ["prov:generatedEntity": from, "prov:usedEntity": to])
            case .wasAssociatedWith:
                add("wasAssociatedWith", "a", ["prov:activity": from, "prov:agent": to])
            }
        }
        return .object(sections.mapValues { .object($0) })
    }

    /// The qualified name of a graph id: `artifact:data/a b.csv@…` → `artifact:data/a%20b.csv@…`.
    /// An id without a kind prefix is put in the `lineage` namespace under `node/`.
    public static func qname(_ id: String) -> String {
        if let colon = id.firstIndex(of: ":"), prefixes[String(id[..<colon])] != nil, id[..<colon] != "lineage" {
            return String(id[..<colon]) + ":" + encodeLocal(String(id[id.index(after: colon)...]))
        }
        return "lineage:node/" + encodeLocal(id)
    }

    static func typeName(_ kind: GraphNode.Kind) -> String {
        switch kind {
        case .artifact: "Artifact"
        case .run: "Run"
        case .code: "Code"
        case .environment: "Environment"
        case .signer: "Signer"
        }
    }

    static func qnameValue(_ name: String) -> ExportJSON { .object(["$": .string(name), "type": .string("xsd:QName")]) }
    static func dateTime(_ value: String) -> ExportJSON { .object(["$": .string(value), "type": .string("xsd:dateTime")]) }

    /// Percent-encodes every UTF-8 byte outside the characters a local part keeps as they are.
    static func encodeLocal(_ text: String) -> String {
        // Most ids need no escape at all: then the text is returned as it is.
        if text.utf8.allSatisfy({ keep[Int($0)] }) { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            if keep[Int(byte)] {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a byte stays as it is in a local part, by byte value.
    private static let keep: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/:@+=,;".utf8 { table[Int(byte)] = true }
        return table
    }()
}
