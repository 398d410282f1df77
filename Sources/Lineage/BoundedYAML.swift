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
        guard let root = try Yams.compose(yaml: text) else { return nil }
        var budget = maxNodes
        try walk(root, depth: 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth)
        return root
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
