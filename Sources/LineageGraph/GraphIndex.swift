import Foundation
import GRDB
import LineageCore

/// One artifact version as the graph index records it.
public struct IndexedArtifact: Sendable, Equatable {
    public var path: String
    public var sha256: Digest
    public var size: UInt64
    public var kind: String
    public var mediaType: String
    /// The first indexed commit holding this version.
    public var commit: String

    public init(path: String, sha256: Digest, size: UInt64, kind: String, mediaType: String, commit: String) {
        self.path = path; self.sha256 = sha256; self.size = size; self.kind = kind; self.mediaType = mediaType; self.commit = commit
    }
}

/// What one commit adds to the graph.
public struct IndexedCommit: Sendable {
    public var commit: String
    public var artifacts: [IndexedArtifact]
    public var runs: [RunRecord]
    public init(commit: String, artifacts: [IndexedArtifact], runs: [RunRecord]) {
        self.commit = commit; self.artifacts = artifacts; self.runs = runs
    }
}

/// The lineage graph in `index.sqlite`: artifact versions, runs, and which run used and generated
/// which version. Derived from history; `lineage reindex` rebuilds it, commits extend it.
extension LineageIndex {
    static let graphSchema = """
        CREATE TABLE IF NOT EXISTS artifact(
            id INTEGER PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
            kind TEXT NOT NULL, media_type TEXT NOT NULL, first_commit TEXT NOT NULL, UNIQUE(path, sha256));
        CREATE INDEX IF NOT EXISTS artifact_sha256 ON artifact(sha256);
        CREATE TABLE IF NOT EXISTS run(
            id TEXT PRIMARY KEY NOT NULL, commit_id TEXT NOT NULL, name TEXT NOT NULL, started TEXT NOT NULL,
            ended TEXT NOT NULL, exit_status INTEGER NOT NULL, argv TEXT NOT NULL, cwd TEXT NOT NULL,
            principal TEXT NOT NULL, fingerprint TEXT NOT NULL,
            code_commit TEXT, code_remote TEXT, code_branch TEXT, code_dirty INTEGER, code_diff TEXT,
            env_digest TEXT NOT NULL, env_os TEXT NOT NULL, env_kernel TEXT NOT NULL, env_arch TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS run_input(run TEXT NOT NULL, artifact INTEGER NOT NULL, PRIMARY KEY(run, artifact)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS run_input_artifact ON run_input(artifact);
        CREATE TABLE IF NOT EXISTS run_output(run TEXT NOT NULL, artifact INTEGER NOT NULL, PRIMARY KEY(run, artifact)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS run_output_artifact ON run_output(artifact);
        CREATE TABLE IF NOT EXISTS indexed_commit(id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
        """

    /// True when every one of `commits` is in the graph (one lookup each, not a load of them all).
    public func hasIndexed(_ commits: [String]) throws -> Bool {
        try queue.read { db in
            let find = try db.makeStatement(sql: "SELECT 1 FROM indexed_commit WHERE id = ?")
            return try commits.allSatisfy { try Int.fetchOne(find, arguments: [$0]) != nil }
        }
    }

    /// Commits already in the graph.
    public func indexedCommits() throws -> Set<String> {
        try queue.read { db in Set(try String.fetchAll(db, sql: "SELECT id FROM indexed_commit")) }
    }

    /// Adds commits to the graph in one transaction (all or nothing).
    public func record(_ commits: [IndexedCommit]) throws {
        guard !commits.isEmpty else { return }
        try queue.write { db in
            let insertArtifact = try db.makeStatement(sql: """
                INSERT INTO artifact(path, sha256, size, kind, media_type, first_commit) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(path, sha256) DO NOTHING
                """)
            let findArtifact = try db.makeStatement(sql: "SELECT id FROM artifact WHERE path = ? AND sha256 = ?")
            let insertRun = try db.makeStatement(sql: """
                INSERT OR IGNORE INTO run(id, commit_id, name, started, ended, exit_status, argv, cwd, principal, fingerprint,
                    code_commit, code_remote, code_branch, code_dirty, code_diff, env_digest, env_os, env_kernel, env_arch)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertInput = try db.makeStatement(sql: "INSERT OR IGNORE INTO run_input(run, artifact) VALUES (?, ?)")
            let insertOutput = try db.makeStatement(sql: "INSERT OR IGNORE INTO run_output(run, artifact) VALUES (?, ?)")
            let markCommit = try db.makeStatement(sql: "INSERT OR IGNORE INTO indexed_commit(id) VALUES (?)")
            func artifactID(_ path: String, _ sha: Digest, size: UInt64, kind: String, media: String, commit: String) throws -> Int64 {
                try insertArtifact.execute(arguments: [path, sha.hex, Int64(size), kind, media, commit])
                return try Int64.fetchOne(findArtifact, arguments: [path, sha.hex])!
            }
            for c in commits {
                for a in c.artifacts {
                    _ = try artifactID(a.path, a.sha256, size: a.size, kind: a.kind, media: a.mediaType, commit: a.commit)
                }
                for run in c.runs {
                    let code = run.code
                    let env = run.environment
                    let argv: String = String(decoding: try CanonicalJSON.encode(run.argv), as: UTF8.self)
                    let envDigest: String = Digest.of(try CanonicalJSON.encode(env)).hex
                    let values: [DatabaseValueConvertible?] = [
                        run.id, c.commit, run.name, run.startedAt, run.endedAt, Int64(run.exitStatus), argv, run.workingDirectory,
                        run.agent.principal, run.agent.keyFingerprint, code?.commit, code?.remoteURL, code?.branch,
                        code.map { $0.dirty ? 1 : 0 }, code?.diffSHA256?.hex, envDigest, env.os, env.kernel, env.architecture]
                    try insertRun.execute(arguments: StatementArguments(values))
                    for i in run.inputs {
                        let id = try artifactID(i.path, i.sha256, size: i.size, kind: "other", media: "application/octet-stream", commit: c.commit)
                        try insertInput.execute(arguments: [run.id, id])
                    }
                    for o in run.outputs {
                        let id = try artifactID(o.path, o.sha256, size: o.size, kind: "other", media: "application/octet-stream", commit: c.commit)
                        try insertOutput.execute(arguments: [run.id, id])
                    }
                }
                try markCommit.execute(arguments: [c.commit])
            }
        }
    }

    /// Empties the graph (for `reindex`).
    public func clearGraph() throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM run_input; DELETE FROM run_output; DELETE FROM run; DELETE FROM artifact; DELETE FROM indexed_commit;")
        }
    }

    /// Versions of a path (newest commit order is not known here), or of every path below it.
    public func artifactVersions(path: String, below: Bool = false) throws -> [IndexedArtifactRow] {
        try queue.read { db in
            let sql = "SELECT id, path, sha256, size, kind, media_type, first_commit FROM artifact WHERE path = ?" + (below ? " OR (path > ? AND path < ?)" : "")
            let args: StatementArguments = below ? [path, path + "/", path + "0"] : [path]
            return try Row.fetchAll(db, sql: sql + " ORDER BY path, id", arguments: args).map(IndexedArtifactRow.init)
        }
    }

    public func artifact(path: String, sha256: Digest) throws -> IndexedArtifactRow? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT id, path, sha256, size, kind, media_type, first_commit FROM artifact WHERE path = ? AND sha256 = ?",
                             arguments: [path, sha256.hex]).map(IndexedArtifactRow.init)
        }
    }

    /// Artifact versions whose digest starts with `prefix` (lowercase hex).
    public func artifacts(sha256Prefix prefix: String, limit: Int = 50) throws -> [IndexedArtifactRow] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, path, sha256, size, kind, media_type, first_commit FROM artifact WHERE sha256 >= ? AND sha256 < ? ORDER BY sha256, path LIMIT ?",
                             arguments: [prefix, prefix + "g", limit]).map(IndexedArtifactRow.init)
        }
    }

    /// Every distinct tracked path the graph knows (for "did you mean" hints).
    public func knownPaths() throws -> [String] {
        try queue.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT path FROM artifact ORDER BY path") }
    }

    /// The upstream (`trace`) or downstream (`impact`) of artifact versions: every artifact version
    /// and run reachable through generated-by/used, to `depth` run hops (nil = all), as a subgraph
    /// with code, environment and signer nodes for each run.
    public func subgraph(from roots: [Int64], direction: LineageSubgraph.Direction, depth: Int? = nil) throws -> LineageSubgraph {
        try queue.read { db in
            let started = Date()
            var artifacts = Set(roots)
            var runs = Set<String>()
            var frontier = roots
            var hops = 0
            // Level by level; each level is one query per direction step over the whole frontier.
            while !frontier.isEmpty, depth.map({ hops < $0 }) ?? true {
                hops += 1
                let list = frontier.map(String.init).joined(separator: ",")
                let stepRuns: [String]
                let next: [Int64]
                switch direction {
                case .upstream:
                    stepRuns = try texts(db, "SELECT DISTINCT run FROM run_output WHERE artifact IN (\(list))")
                    let newRuns = stepRuns.filter { !runs.contains($0) }
                    runs.formUnion(newRuns)
                    next = newRuns.isEmpty ? [] : try ints(db, "SELECT DISTINCT artifact FROM run_input WHERE run IN (\(newRuns.map { "'\($0)'" }.joined(separator: ",")))")
                case .downstream:
                    stepRuns = try texts(db, "SELECT DISTINCT run FROM run_input WHERE artifact IN (\(list))")
                    let newRuns = stepRuns.filter { !runs.contains($0) }
                    runs.formUnion(newRuns)
                    next = newRuns.isEmpty ? [] : try ints(db, "SELECT DISTINCT artifact FROM run_output WHERE run IN (\(newRuns.map { "'\($0)'" }.joined(separator: ",")))")
                }
                frontier = next.filter { artifacts.insert($0).inserted }
            }
            let walked = Date()
            let g = try buildSubgraph(db, artifacts: artifacts, runs: runs, roots: roots, direction: direction)
            if ProcessInfo.processInfo.environment["LINEAGE_TIMING"] != nil {
                FileHandle.standardError.write(Data(String(format: "graph: walk %.3f s, build %.3f s\n", walked.timeIntervalSince(started), Date().timeIntervalSince(walked)).utf8))
            }
            return g
        }
    }

    private func buildSubgraph(_ db: Database, artifacts: Set<Int64>, runs: Set<String>, roots: [Int64],
                               direction: LineageSubgraph.Direction) throws -> LineageSubgraph {
        // Nodes get small integer handles as they are made; edges are triples of handles, sorted
        // and de-duplicated as integers at the end (string ids are compared only to sort nodes).
        var nodes: [GraphNode] = []
        var handleOf: [String: Int32] = [:]          // runs and the code/environment/signer nodes
        var artifactHandle: [Int64: Int32] = [:]
        var edges: [(from: Int32, kind: UInt8, to: Int32)] = []
        func add(_ node: GraphNode) -> Int32 { nodes.append(node); return Int32(nodes.count - 1) }
        func shared(_ id: String, _ make: () -> GraphNode) -> Int32 {
            if let h = handleOf[id] { return h }
            let h = add(make()); handleOf[id] = h
            return h
        }
        let timing = ProcessInfo.processInfo.environment["LINEAGE_TIMING"] != nil
        var mark = Date()
        func lap(_ what: String) {
            guard timing else { return }
            FileHandle.standardError.write(Data(String(format: "graph build: %@ %.1f ms\n", what, Date().timeIntervalSince(mark) * 1000).utf8))
            mark = Date()
        }
        let kindRank = Dictionary(uniqueKeysWithValues: GraphEdge.Kind.allCases.sorted { $0.rawValue < $1.rawValue }.enumerated().map { ($1, UInt8($0)) })
        let usedK = kindRank[.used]!, generatedK = kindRank[.wasGeneratedBy]!, derivedK = kindRank[.wasDerivedFrom]!
        for chunk in Array(artifacts).chunked(500) {
            try RawRows(db, sql: "SELECT id, path, sha256, size, kind, media_type, first_commit FROM artifact WHERE id IN (\(chunk.map(String.init).joined(separator: ",")))").forEach { r in
                let a = IndexedArtifactRow(id: r.int64(0), path: r.text(1), sha256: r.text(2), size: r.int64(3), kind: r.text(4),
                                           mediaType: r.text(5), firstCommit: r.text(6))
                artifactHandle[a.id] = add(a.node)
            }
        }
        lap("artifacts")
        for chunk in Array(runs).chunked(500) {
            let list = chunk.map { "'\($0)'" }.joined(separator: ",")
            // Each run comes with its inputs and outputs as lists of artifact ids (group_concat), so
            // edges need no second query and no string-keyed lookups.
            try RawRows(db, sql: """
                SELECT id, commit_id, name, started, ended, exit_status, argv, cwd, principal, fingerprint,
                       code_commit, code_remote, code_branch, code_dirty, code_diff, env_digest, env_os, env_kernel, env_arch,
                       (SELECT group_concat(artifact) FROM run_input WHERE run = r.id),
                       (SELECT group_concat(artifact) FROM run_output WHERE run = r.id)
                FROM run r WHERE id IN (\(list))
                """).forEach { row in
                let id = row.text(0)
                let name = row.text(2)
                let run = add(GraphNode(id: GraphNode.runID(id), kind: .run, label: name, attributes: [
                    "name": name, "startedAt": row.text(3), "endedAt": row.text(4), "exitStatus": String(row.int64(5)),
                    "commit": row.text(1), "argv": row.text(6), "workingDirectory": row.text(7)]))
                let used = row.ids(19).compactMap { artifactHandle[$0] }
                for i in used { edges.append((run, usedK, i)) }
                for o in row.ids(20).compactMap({ artifactHandle[$0] }) {
                    edges.append((o, generatedK, run))
                    for i in used { edges.append((o, derivedK, i)) }
                }
                let principal = row.text(8), fingerprint = row.text(9)
                let signer = shared("signer:" + fingerprint) {
                    GraphNode(id: "signer:" + fingerprint, kind: .signer, label: principal, attributes: ["principal": principal, "fingerprint": fingerprint])
                }
                edges.append((run, kindRank[.wasAssociatedWith]!, signer))
                if let commit = row.optionalText(10) {
                    let dirty = row.optionalInt64(13) == 1
                    let diff = row.optionalText(14)
                    let codeID = "code:" + commit + (dirty ? "+" + (diff.map { String($0.prefix(12)) } ?? "dirty") : "")
                    let remote = row.optionalText(11), branch = row.optionalText(12)
                    let code = shared(codeID) {
                        var a = ["commit": commit, "dirty": String(dirty)]
                        if let remote { a["remoteURL"] = remote }
                        if let branch { a["branch"] = branch }
                        if let diff { a["diffSHA256"] = diff }
                        return GraphNode(id: codeID, kind: .code, label: String(commit.prefix(12)) + (dirty ? " (dirty)" : ""), attributes: a)
                    }
                    edges.append((run, kindRank[.usedCode]!, code))
                }
                let envID = "environment:" + row.text(15)
                let os = row.text(16), kernel = row.text(17), arch = row.text(18)
                let env = shared(envID) {
                    GraphNode(id: envID, kind: .environment, label: "\(os) \(arch)", attributes: ["os": os, "kernel": kernel, "architecture": arch])
                }
                edges.append((run, kindRank[.usedEnvironment]!, env))
            }
        }
        lap("runs and edges")
        // Order nodes by id, then edges by (from, kind, to) in that order — the same order as
        // comparing the id strings — and drop duplicates.
        let order = nodes.indices.sorted { nodes[$0].id < nodes[$1].id }
        var rank = [Int32](repeating: 0, count: nodes.count)
        for (r, i) in order.enumerated() { rank[i] = Int32(r) }
        var keyed = edges.map { (rank[Int($0.from)], $0.kind, rank[Int($0.to)]) }
        keyed.sort { a, b in a.0 != b.0 ? a.0 < b.0 : a.1 != b.1 ? a.1 < b.1 : a.2 < b.2 }
        let sortedNodes = order.map { nodes[$0] }
        let kinds = GraphEdge.Kind.allCases.sorted { $0.rawValue < $1.rawValue }
        var sortedEdges: [GraphEdge] = []
        sortedEdges.reserveCapacity(keyed.count)
        var last: (Int32, UInt8, Int32)? = nil
        for e in keyed {
            if let l = last, l == e { continue }
            last = e
            sortedEdges.append(GraphEdge(from: sortedNodes[Int(e.0)].id, to: sortedNodes[Int(e.2)].id, kind: kinds[Int(e.1)]))
        }
        lap("sort and materialize")
        let rootIDs = roots.compactMap { artifactHandle[$0].map { nodes[Int($0)].id } }
        return LineageSubgraph(direction: direction, roots: rootIDs, presortedNodes: sortedNodes, edges: sortedEdges)
    }
}

private func texts(_ db: Database, _ sql: String) throws -> [String] {
    var out: [String] = []
    try RawRows(db, sql: sql).forEach { out.append($0.text(0)) }
    return out
}

private func ints(_ db: Database, _ sql: String) throws -> [Int64] {
    var out: [Int64] = []
    try RawRows(db, sql: sql).forEach { out.append($0.int64(0)) }
    return out
}

/// An artifact row of the graph index.
public struct IndexedArtifactRow: Sendable, Equatable {
    public let id: Int64
    public let path: String
    public let sha256: String
    public let size: Int64
    public let kind: String
    public let mediaType: String
    public let firstCommit: String

    init(_ row: Row) {
        id = row[0]; path = row[1]; sha256 = row[2]; size = row[3]; kind = row[4]; mediaType = row[5]; firstCommit = row[6]
    }

    init(id: Int64, path: String, sha256: String, size: Int64, kind: String, mediaType: String, firstCommit: String) {
        self.id = id; self.path = path; self.sha256 = sha256; self.size = size; self.kind = kind; self.mediaType = mediaType; self.firstCommit = firstCommit
    }

    public var node: GraphNode {
        GraphNode(id: "artifact:\(path)@\(sha256)", kind: .artifact, label: path,
                  attributes: ["path": path, "sha256": sha256, "size": String(size), "artifactKind": kind, "mediaType": mediaType, "commit": firstCommit])
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

extension LineageIndex {
    /// The graph's content as sorted text lines, for comparing two indexes (tests, diagnostics).
    /// Which commit first held a version is left out: on diverging branches it depends on the
    /// order commits were indexed in.
    public func graphDump() throws -> [String] {
        try queue.read { db in
            var out = try String.fetchAll(db, sql: "SELECT 'artifact ' || path || ' ' || sha256 || ' ' || size || ' ' || kind || ' ' || media_type FROM artifact")
            out += try Row.fetchAll(db, sql: "SELECT * FROM run").map { row in
                "run " + row.databaseValues.map { $0.isNull ? "NULL" : $0.description }.joined(separator: " ")
            }
            out += try String.fetchAll(db, sql: "SELECT 'input ' || i.run || ' ' || a.path || ' ' || a.sha256 FROM run_input i JOIN artifact a ON a.id = i.artifact")
            out += try String.fetchAll(db, sql: "SELECT 'output ' || o.run || ' ' || a.path || ' ' || a.sha256 FROM run_output o JOIN artifact a ON a.id = o.artifact")
            out += try String.fetchAll(db, sql: "SELECT 'commit ' || id FROM indexed_commit")
            return out.sorted()
        }
    }
}
