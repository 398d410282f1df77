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
/// which version. Derived from history; `lineage reindex` rebuilds it, commits extend it. Runs are
/// numbered (`run.n`) as they are indexed, and `run_input`/`run_output` name them by number:
/// walking the graph then compares integers instead of 36-character ids.
extension LineageIndex {
    static let graphSchema = """
        CREATE TABLE IF NOT EXISTS artifact(
            id INTEGER PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
            kind TEXT NOT NULL, media_type TEXT NOT NULL, first_commit TEXT NOT NULL, UNIQUE(path, sha256));
        CREATE INDEX IF NOT EXISTS artifact_sha256 ON artifact(sha256);
        CREATE TABLE IF NOT EXISTS run(
            n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, commit_id TEXT NOT NULL, name TEXT NOT NULL, started TEXT NOT NULL,
            ended TEXT NOT NULL, exit_status INTEGER NOT NULL, argv TEXT NOT NULL, cwd TEXT NOT NULL,
            principal TEXT NOT NULL, fingerprint TEXT NOT NULL,
            code_commit TEXT, code_remote TEXT, code_branch TEXT, code_dirty INTEGER, code_diff TEXT,
            env_digest TEXT NOT NULL, env_os TEXT NOT NULL, env_kernel TEXT NOT NULL, env_arch TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS run_input(run INTEGER NOT NULL, artifact INTEGER NOT NULL, PRIMARY KEY(run, artifact)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS run_input_artifact ON run_input(artifact);
        CREATE TABLE IF NOT EXISTS run_output(run INTEGER NOT NULL, artifact INTEGER NOT NULL, PRIMARY KEY(run, artifact)) WITHOUT ROWID;
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
            let findRun = try db.makeStatement(sql: "SELECT n FROM run WHERE id = ?")
            let insertInput = try db.makeStatement(sql: "INSERT OR IGNORE INTO run_input(run, artifact) VALUES (?, ?)")
            let insertOutput = try db.makeStatement(sql: "INSERT OR IGNORE INTO run_output(run, artifact) VALUES (?, ?)")
            let markCommit = try db.makeStatement(sql: "INSERT OR IGNORE INTO indexed_commit(id) VALUES (?)")
            func artifactID(_ path: String, _ sha: Digest, size: UInt64, kind: String, media: String, commit: String) throws -> Int64 {
                try insertArtifact.execute(arguments: [path, sha.hex, Int64(size), kind, media, commit])
                return try Int64.fetchOne(findArtifact, arguments: [path, sha.hex])!
            }
            // A commit's own artifacts need no id back: inserted with SQLite's C API, one
            // statement each (100,000 files in one commit were 1.2 s through GRDB's arguments).
            let insertPlain = try RawRows(db, sql: """
                INSERT INTO artifact(path, sha256, size, kind, media_type, first_commit) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(path, sha256) DO NOTHING
                """)
            for c in commits {
                for a in c.artifacts {
                    insertPlain.bind(1, a.path); insertPlain.bind(2, a.sha256.hex); insertPlain.bind(3, Int64(a.size))
                    insertPlain.bind(4, a.kind); insertPlain.bind(5, a.mediaType); insertPlain.bind(6, a.commit)
                    try insertPlain.execute()
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
                    let n = db.changesCount == 1 ? db.lastInsertedRowID : try Int64.fetchOne(findRun, arguments: [run.id])!
                    for i in run.inputs {
                        let id = try artifactID(i.path, i.sha256, size: i.size, kind: "other", media: "application/octet-stream", commit: c.commit)
                        try insertInput.execute(arguments: [n, id])
                    }
                    for o in run.outputs {
                        let id = try artifactID(o.path, o.sha256, size: o.size, kind: "other", media: "application/octet-stream", commit: c.commit)
                        try insertOutput.execute(arguments: [n, id])
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

    /// The runs that generated a version of `path`, oldest first: run id, the version's SHA-256 (hex), start time.
    public func runsProducing(path: String) throws -> [(run: String, sha256: String, startedAt: String)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.id, a.sha256, r.started FROM artifact a JOIN run_output o ON o.artifact = a.id JOIN run r ON r.n = o.run
                WHERE a.path = ? ORDER BY r.started, r.id
                """, arguments: [path]).map { ($0[0], $0[1], $0[2]) }
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
            let timing = ProcessInfo.processInfo.environment["LINEAGE_TIMING"] != nil
            let started = Date()
            var mark = started
            func lap(_ what: String) {
                guard timing else { return }
                FileHandle.standardError.write(Data(String(format: "graph build: %@ %.1f ms\n", what, Date().timeIntervalSince(mark) * 1000).utf8))
                mark = Date()
            }
            var builder = SubgraphBuilder(direction: direction)
            try builder.walk(db, roots: roots, depth: depth)
            let walked = Date()
            lap("walk")
            let g = try builder.build(db, roots: roots, lap: lap)
            if timing {
                FileHandle.standardError.write(Data(String(format: "graph: walk %.3f s, build %.3f s\n", walked.timeIntervalSince(started), Date().timeIntervalSince(walked)).utf8))
            }
            return g
        }
    }
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

    public var node: GraphNode {
        GraphNode(id: "artifact:\(path)@\(sha256)", kind: .artifact, label: path,
                  attributes: ["path": path, "sha256": sha256, "size": String(size), "artifactKind": kind, "mediaType": mediaType, "commit": firstCommit])
    }
}

extension LineageIndex {
    /// The graph's content as sorted text lines, for comparing two indexes (tests, diagnostics).
    /// Which commit first held a version is left out: on diverging branches it depends on the
    /// order commits were indexed in.
    public func graphDump() throws -> [String] {
        try queue.read { db in
            var out = try String.fetchAll(db, sql: "SELECT 'artifact ' || path || ' ' || sha256 || ' ' || size || ' ' || kind || ' ' || media_type FROM artifact")
            // A run's number is left out too: it is the order runs were indexed in.
            out += try Row.fetchAll(db, sql: """
                SELECT id, commit_id, name, started, ended, exit_status, argv, cwd, principal, fingerprint,
                       code_commit, code_remote, code_branch, code_dirty, code_diff, env_digest, env_os, env_kernel, env_arch
                FROM run
                """).map { row in
                "run " + row.databaseValues.map { $0.isNull ? "NULL" : $0.description }.joined(separator: " ")
            }
            out += try String.fetchAll(db, sql: "SELECT 'input ' || r.id || ' ' || a.path || ' ' || a.sha256 FROM run_input i JOIN run r ON r.n = i.run JOIN artifact a ON a.id = i.artifact")
            out += try String.fetchAll(db, sql: "SELECT 'output ' || r.id || ' ' || a.path || ' ' || a.sha256 FROM run_output o JOIN run r ON r.n = o.run JOIN artifact a ON a.id = o.artifact")
            out += try String.fetchAll(db, sql: "SELECT 'commit ' || id FROM indexed_commit")
            return out.sorted()
        }
    }
}
