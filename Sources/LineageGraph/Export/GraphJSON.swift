import Foundation
import LineageCore

/// `trace --json` / `impact --json`: a subgraph written directly as bytes, in exactly the form
/// `CanonicalJSON.pretty(GraphJSON.Document(graph))` (Foundation's `JSONEncoder`, pretty-printed,
/// sorted keys, slashes not escaped) gives — a test compares the two on generated graphs.
/// JSONEncoder took ~4 s for the ~115,000 nodes and ~500,000 edges of an impact query; this takes a
/// small fraction of that.
///
/// The document follows Schemas/README.md: a `schema` member, digests as `sha256:<hex>`, sizes and
/// exit statuses as integers, `dirty` as a boolean and `argv` as an array (the graph keeps them all
/// as text; `typed` converts).
enum GraphJSON {
    static let schema = "lineage-graph.schema.json"

    /// A node attribute's JSON value: `sha256`/`diffSHA256` → `sha256:<hex>`, `size`/`exitStatus` →
    /// integer, `dirty` → boolean, `argv` → array; anything else, or a value that does not parse, stays text.
    static func typed(_ key: String, _ value: String) -> ExportJSON {
        switch key {
        case "sha256", "diffSHA256": return Digest(hex: value).map { .string($0.prefixed) } ?? .string(value)
        case "size", "exitStatus": return Int64(value).map(ExportJSON.integer) ?? .string(value)
        case "dirty": return value == "true" ? .boolean(true) : value == "false" ? .boolean(false) : .string(value)
        case "argv":
            guard let words = try? JSONDecoder().decode([String].self, from: Data(value.utf8)) else { return .string(value) }
            return .array(words.map(ExportJSON.string))
        default: return .string(value)
        }
    }

    /// The document `encode` writes, as a value JSONEncoder can write too (the reference for tests).
    struct Document: Encodable {
        struct Node: Encodable {
            let node: GraphNode
            private enum Key: String, CodingKey { case id, kind, label, attributes }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(node.id, forKey: .id)
                try c.encode(node.kind, forKey: .kind)
                try c.encode(node.label, forKey: .label)
                try c.encode(Dictionary(uniqueKeysWithValues: node.attributes.map { ($0.key, GraphJSON.typed($0.key, $0.value)) }), forKey: .attributes)
            }
        }
        let graph: LineageSubgraph
        init(_ graph: LineageSubgraph) { self.graph = graph }
        private enum Key: String, CodingKey { case schema, direction, roots, nodes, edges }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(GraphJSON.schema, forKey: .schema)
            try c.encode(graph.direction, forKey: .direction)
            try c.encode(graph.roots, forKey: .roots)
            try c.encode(graph.nodes.map(Node.init), forKey: .nodes)
            try c.encode(graph.edges, forKey: .edges)
        }
    }

    static func encode(_ graph: LineageSubgraph) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + graph.nodes.count * 400 + graph.edges.count * 160)
        out += "{\n  \"direction\" : ".utf8
        string(graph.direction.rawValue, into: &out)
        out += ",\n  \"edges\" : ".utf8
        array(graph.edges, into: &out) { edge, out in
            out += "{\n      \"from\" : ".utf8
            string(edge.from, into: &out)
            out += ",\n      \"kind\" : ".utf8
            string(edge.kind.rawValue, into: &out)
            out += ",\n      \"to\" : ".utf8
            string(edge.to, into: &out)
            out += "\n    }".utf8
        }
        out += ",\n  \"nodes\" : ".utf8
        array(graph.nodes, into: &out) { node, out in
            out += "{\n      \"attributes\" : ".utf8
            if node.attributes.isEmpty {
                out += "{\n\n      }".utf8
            } else {
                out += "{\n".utf8
                var first = true
                for key in node.attributes.keys.sorted() {
                    if !first { out += ",\n".utf8 }
                    first = false
                    out += "        ".utf8
                    string(key, into: &out)
                    out += " : ".utf8
                    let value = node.attributes[key]!
                    // argv is stored as canonical JSON: its string tokens are copied as they are
                    // (JSONEncoder escapes them as it would here), without decoding 100,000s of arrays.
                    if key == "argv", let tokens = stringTokens(value) {
                        stringArray(tokens, into: &out)
                        continue
                    }
                    GraphJSON.typed(key, value).write(into: &out, level: 4)
                }
                out += "\n      }".utf8
            }
            out += ",\n      \"id\" : ".utf8
            string(node.id, into: &out)
            out += ",\n      \"kind\" : ".utf8
            string(node.kind.rawValue, into: &out)
            out += ",\n      \"label\" : ".utf8
            string(node.label, into: &out)
            out += "\n    }".utf8
        }
        out += ",\n  \"roots\" : ".utf8
        array(graph.roots, into: &out) { root, out in string(root, into: &out) }
        out += ",\n  \"schema\" : ".utf8
        string(schema, into: &out)
        out += "\n}".utf8
        return out
    }

    /// An attribute's array of strings (JSON string tokens), indented as JSONEncoder does.
    private static func stringArray(_ tokens: [[UInt8]], into out: inout [UInt8]) {
        if tokens.isEmpty { out += "[\n\n        ]".utf8; return }
        out += "[\n".utf8
        for (i, token) in tokens.enumerated() {
            out += (i > 0 ? ",\n          " : "          ").utf8
            out += token
        }
        out += "\n        ]".utf8
    }

    /// The string tokens of compact JSON text holding an array of strings (`["a","b\"c"]`), each with
    /// its quotes and escapes as written; nil when the text is anything else.
    static func stringTokens(_ text: String) -> [[UInt8]]? {
        var text = text
        return text.withUTF8 { b -> [[UInt8]]? in
            guard b.count >= 2, b[0] == UInt8(ascii: "["), b[b.count - 1] == UInt8(ascii: "]") else { return nil }
            var tokens: [[UInt8]] = []
            var i = 1
            if b.count == 2 { return tokens }
            while true {
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
                let start = i
                i += 1
                while i < b.count, b[i] != UInt8(ascii: "\"") {
                    guard b[i] >= 0x20 else { return nil }
                    i += b[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard i < b.count else { return nil }
                i += 1
                tokens.append(Array(UnsafeBufferPointer(rebasing: b[start..<i])))
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: "]") { return i == b.count - 1 ? tokens : nil }
                guard b[i] == UInt8(ascii: ",") else { return nil }
                i += 1
            }
        }
    }

    /// A top-level member's array: elements indented by four spaces; empty as `[\n\n  ]`.
    private static func array<T>(_ items: [T], into out: inout [UInt8], _ element: (T, inout [UInt8]) -> Void) {
        if items.isEmpty { out += "[\n\n  ]".utf8; return }
        out += "[\n".utf8
        for (i, item) in items.enumerated() {
            if i > 0 { out += ",\n".utf8 }
            out += "    ".utf8
            element(item, &out)
        }
        out += "\n  ]".utf8
    }

    /// A JSON string as JSONEncoder writes it: `"` and `\` escaped, the control characters
    /// \b \f \n \r \t by name and the rest as \u00XX, everything else (slashes, non-ASCII) as is.
    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { b in
            // Runs of bytes that need no escape are copied whole.
            var start = 0
            for i in 0..<b.count {
                let c = b[i]
                if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") { continue }
                if i > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i])) }
                escape(c, into: &out)
                start = i + 1
            }
            if start < b.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start...])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func escape(_ byte: UInt8, into out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out += [92, 34]
        case UInt8(ascii: "\\"): out += [92, 92]
        case 0x08: out += [92, UInt8(ascii: "b")]
        case 0x0C: out += [92, UInt8(ascii: "f")]
        case 0x0A: out += [92, UInt8(ascii: "n")]
        case 0x0D: out += [92, UInt8(ascii: "r")]
        case 0x09: out += [92, UInt8(ascii: "t")]
        default:
            let hex = Array("0123456789abcdef".utf8)
            out += [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
        }
    }
}

extension ExportJSON {
    /// The document in exactly the form `CanonicalJSON.pretty` (JSONEncoder: pretty-printed,
    /// sorted keys, slashes not escaped) gives, written directly: PROV-JSON of a 100,000-node
    /// graph took 20 s and 1.5 GiB through JSONEncoder. A test compares the two.
    func prettyBytes() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, level: 0)
        return out
    }

    /// Written at `level` (two spaces each), as JSONEncoder's pretty output nests it.
    func write(into out: inout [UInt8], level: Int) {
        func indent(_ n: Int) { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * n)) }
        switch self {
        case .number, .bool, .null:
            out += (try? CanonicalJSON.encode(self)) ?? Array("null".utf8)
        case .string(let text):
            GraphJSON.string(text, into: &out)
        case .integer(let n):
            out += String(n).utf8
        case .boolean(let b):
            out += (b ? "true" : "false").utf8
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            if members.isEmpty { out += "\n\n".utf8 } else {
                out.append(10)
                for (i, key) in members.keys.sorted().enumerated() {
                    if i > 0 { out += ",\n".utf8 }
                    indent(level + 1)
                    GraphJSON.string(key, into: &out)
                    out += " : ".utf8
                    members[key]!.write(into: &out, level: level + 1)
                }
                out.append(10)
            }
            indent(level)
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            if items.isEmpty { out += "\n\n".utf8 } else {
                out.append(10)
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ",\n".utf8 }
                    indent(level + 1)
                    item.write(into: &out, level: level + 1)
                }
                out.append(10)
            }
            indent(level)
            out.append(UInt8(ascii: "]"))
        }
    }
}
