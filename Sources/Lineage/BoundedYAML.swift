import Foundation
import Yams

/// Limits on the YAML files lineage reads from the user (lineage.yaml, rights meta files), so that a
/// hostile or broken file is refused with a message instead of exhausting memory: YAML aliases
/// (`*name`) let a few lines stand for billions of values ("billion laughs").
public enum YAMLLimits {
    /// Largest file read: 1 MiB.
    public static let maxBytes = 1 << 20
    /// Most values (scalars, lists, mappings) a document may hold with every alias expanded.
    public static let maxNodes = 100_000
    /// Deepest nesting of lists and mappings, with every alias expanded.
    public static let maxDepth = 64
}

/// A YAML file over one of `YAMLLimits`, located at the line where the limit was reached.
struct YAMLLimitError: Error {
    var line: Int?
    var message: String
}

enum BoundedYAML {
    /// Reads at most `limit` bytes of the file at `path`; nil when it cannot be opened.
    /// Throws `YAMLLimitError` when the file is larger, without reading the rest.
    static func read(path: String, limit: Int = YAMLLimits.maxBytes) throws -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        if data.count > limit {
            throw YAMLLimitError(line: nil, message: "is larger than \(limit / 1024) KiB, the most lineage reads; keep it short")
        }
        return Array(data)
    }

    /// `Yams.compose`, then a walk of the document that counts every value as the aliases expand it,
    /// stopping at the first limit: the walk costs at most `maxNodes` steps whatever the aliases do.
    /// Throws `YamlError` for invalid YAML and `YAMLLimitError` for a limit.
    static func compose(_ text: String, maxNodes: Int = YAMLLimits.maxNodes, maxDepth: Int = YAMLLimits.maxDepth) throws -> Node? {
        if text.utf8.count > YAMLLimits.maxBytes {
            throw YAMLLimitError(line: nil, message: "is larger than \(YAMLLimits.maxBytes / 1024) KiB, the most lineage reads; keep it short")
        }
        try refuseComplexKeys(text)
        guard let root = try Yams.compose(yaml: text) else { return nil }
        var budget = maxNodes
        try walk(root, depth: 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth)
        return root
    }

    /// Yams checks a mapping for duplicate keys by hashing each key node, and hashing an alias
    /// hashes everything it expands to: `{ ? *bomb : x }` then runs for ever before `walk` could
    /// count anything. So first compose a copy in which every alias is a plain word (no alias left,
    /// so composing it costs time linear in the text), and refuse keys that are aliases, lists or
    /// mappings there — no lineage file needs them. A `*` that was not an alias (inside a quoted
    /// string, say) only changes a value of the copy, never what the real parse sees.
    static func refuseComplexKeys(_ text: String) throws {
        // Without an alias there is nothing to expand: keys of any shape cost time linear in the text.
        guard text.utf8.contains(UInt8(ascii: "*")) else { return }
        let placeholder = "lineage-alias-placeholder"
        var copy = [UInt8](); copy.reserveCapacity(text.utf8.count)
        let bytes = Array(text.utf8)
        var i = 0
        func isSpaceOrFlow(_ b: UInt8) -> Bool {
            b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == UInt8(ascii: ",") || b == UInt8(ascii: "[")
                || b == UInt8(ascii: "]") || b == UInt8(ascii: "{") || b == UInt8(ascii: "}")
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "*"), i == 0 || isSpaceOrFlow(bytes[i - 1]) {
                var j = i + 1
                while j < bytes.count, !isSpaceOrFlow(bytes[j]), bytes[j] != UInt8(ascii: "\""), bytes[j] != UInt8(ascii: "'") { j += 1 }
                if j > i + 1 { copy.append(contentsOf: placeholder.utf8); i = j; continue }
            }
            copy.append(b); i += 1
        }
        guard let root = try Yams.compose(yaml: String(decoding: copy, as: UTF8.self)) else { return }
        func holdsPlaceholder(_ node: Node) -> Bool {
            switch node {
            case .scalar(let s): return s.string == placeholder
            case .alias: return true
            case .sequence(let seq): return seq.contains(where: holdsPlaceholder)
            case .mapping(let map): return map.contains { holdsPlaceholder($0.key) || holdsPlaceholder($0.value) }
            }
        }
        func check(_ node: Node) throws {
            switch node {
            case .scalar, .alias: return
            case .sequence(let seq): try seq.forEach(check)
            case .mapping(let map):
                for (k, v) in map {
                    if case .scalar = k, !holdsPlaceholder(k) { try check(v); continue }
                    throw YAMLLimitError(line: k.mark?.line,
                                         message: "uses an alias (*name), a list or a mapping as a mapping key; keys in lineage files are plain names — write the key out")
                }
            }
        }
        try check(root)
    }

    private static func walk(_ node: Node, depth: Int, budget: inout Int, maxNodes: Int, maxDepth: Int) throws {
        budget -= 1
        if budget < 0 {
            throw YAMLLimitError(line: node.mark?.line,
                                 message: "holds more than \(maxNodes) values once its aliases (*name) are expanded — an alias bomb? write the values out instead of nesting aliases")
        }
        if depth > maxDepth {
            throw YAMLLimitError(line: node.mark?.line, message: "nests lists and mappings more than \(maxDepth) levels deep; flatten it")
        }
        switch node {
        case .scalar, .alias: return
        case .sequence(let seq):
            for item in seq { try walk(item, depth: depth + 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth) }
        case .mapping(let map):
            for (k, v) in map {
                try walk(k, depth: depth + 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth)
                try walk(v, depth: depth + 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth)
            }
        }
    }
}
