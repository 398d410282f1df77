import Foundation
import LineageCore

/// A node of the lineage graph (W3C PROV in spirit): an artifact version (Entity), a run
/// (Activity), or what a run depended on — a code commit, an environment — or who signed it (Agent).
public struct GraphNode: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable { case artifact, run, code, environment, signer }

    /// Stable id: `artifact:<path>@<sha256 hex>`, `run:<uuid>`, `code:<git commit hex>`,
    /// `environment:<sha256 hex>`, `signer:<key fingerprint>`.
    public var id: String
    public var kind: Kind
    /// What a person reads: the path, the run's name, a short commit, a principal.
    public var label: String
    /// Facts about the node, all strings. Artifacts: `path`, `sha256`, `size`, `artifactKind`,
    /// `mediaType`, `commit` (first commit holding this version). Runs: `name`, `argv` (JSON array),
    /// `startedAt`, `endedAt`, `exitStatus`, `commit`, `workingDirectory`; with `trace`/`report`, a
    /// stage's run also `stage`, `params` and `metrics` (JSON text: file → dotted key → value) and
    /// `reusedFrom`, and a model `metricsHistory` (JSON text: `[{run, startedAt, sha256, metrics}]`). Code: `commit`, `remoteURL`,
    /// `branch`, `dirty`. Environment: `os`, `kernel`, `architecture`. Signer: `principal`, `fingerprint`.
    public var attributes: [String: String]

    public init(id: String, kind: Kind, label: String, attributes: [String: String] = [:]) {
        self.id = id; self.kind = kind; self.label = label; self.attributes = attributes
    }

    public static func artifactID(path: String, sha256: Digest) -> String { "artifact:\(path)@\(sha256.hex)" }
    public static func runID(_ id: String) -> String { "run:\(id)" }
}

/// A directed relation, always written from the later thing to the earlier one, as PROV does:
/// a run `used` an artifact; an artifact `wasGeneratedBy` a run; an output `wasDerivedFrom` an
/// input; a run `wasAssociatedWith` its signer; a run `usedCode` / `usedEnvironment`.
public struct GraphEdge: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case used, wasGeneratedBy, wasDerivedFrom, wasAssociatedWith, usedCode, usedEnvironment }
    public var from: String
    public var to: String
    public var kind: Kind

    public init(from: String, to: String, kind: Kind) { self.from = from; self.to = to; self.kind = kind }
}

/// The answer to `trace` (upstream) or `impact` (downstream): the nodes reached from `roots` and
/// the edges among them, each node once. Schema: `Schemas/lineage-graph.schema.json`.
public struct LineageSubgraph: Codable, Sendable, Equatable {
    public enum Direction: String, Codable, Sendable { case upstream, downstream }
    public var direction: Direction
    /// Ids of the nodes asked about.
    public var roots: [String]
    /// Sorted by id.
    public var nodes: [GraphNode]
    /// Sorted by (from, kind, to).
    public var edges: [GraphEdge]

    public init(direction: Direction, roots: [String], nodes: [GraphNode], edges: [GraphEdge]) {
        self.direction = direction; self.roots = roots
        self.nodes = nodes.sorted { $0.id < $1.id }
        self.edges = edges.sorted { a, b in
            if a.from != b.from { return a.from < b.from }
            if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
            return a.to < b.to
        }
    }

    /// For builders that already sorted nodes by id and edges by (from, kind, to) and removed duplicates.
    init(direction: Direction, roots: [String], presortedNodes: [GraphNode], edges: [GraphEdge]) {
        self.direction = direction; self.roots = roots; self.nodes = presortedNodes; self.edges = edges
    }

    public func node(_ id: String) -> GraphNode? { nodes.first { $0.id == id } }
}
