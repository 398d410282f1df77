import LineageCore

/// `trace --json` / `impact --json`: a subgraph written directly as bytes, in exactly the form
/// `CanonicalJSON.pretty` (Foundation's `JSONEncoder`, pretty-printed, sorted keys, slashes not
/// escaped) gives — a test compares the two on generated graphs. JSONEncoder took ~4 s for the
/// ~115,000 nodes and ~500,000 edges of an impact query; this takes a small fraction of that.
enum GraphJSON {
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
                    string(node.attributes[key]!, into: &out)
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
        out += "\n}".utf8
        return out
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

    private func write(into out: inout [UInt8], level: Int) {
        func indent(_ n: Int) { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * n)) }
        switch self {
        case .number, .bool, .null:
            out += (try? CanonicalJSON.encode(self)) ?? Array("null".utf8)
        case .string(let text):
            GraphJSON.string(text, into: &out)
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
