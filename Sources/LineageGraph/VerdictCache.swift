import Foundation
import GRDB

/// A commit's signature verdict as remembered in `index.sqlite` (see `Repository.commitVerdicts`).
public struct CachedVerdict: Sendable, Equatable {
    public var commit: String
    /// The vocabulary of `verify` (`good`, `unsigned`, `unknown-key`, ...).
    public var status: String
    public var key: String?
    public var principals: [String]?
    public var detail: String?

    public init(commit: String, status: String, key: String?, principals: [String]?, detail: String?) {
        self.commit = commit; self.status = status; self.key = key; self.principals = principals; self.detail = detail
    }
}

/// Verdicts of commits already verified, keyed by commit id. A commit id names its content and,
/// through its parents, all of its history, so a verdict once reached never changes; the table is
/// a cache (derived state like the rest of the file): deleting it only means verifying again.
/// `lineage verify` never reads it.
extension LineageIndex {
    static let verdictSchema = """
        CREATE TABLE IF NOT EXISTS commit_verdict(
            id TEXT PRIMARY KEY NOT NULL, status TEXT NOT NULL, key TEXT, principals TEXT, detail TEXT) WITHOUT ROWID;
        """

    /// The remembered verdicts among `commits` (one lookup each).
    public func verdicts(_ commits: [String]) throws -> [String: CachedVerdict] {
        try queue.read { db in
            let find = try db.makeStatement(sql: "SELECT status, key, principals, detail FROM commit_verdict WHERE id = ?")
            var out: [String: CachedVerdict] = [:]
            for id in commits {
                guard let row = try Row.fetchOne(find, arguments: [id]) else { continue }
                let principals: String? = row[2]
                out[id] = CachedVerdict(commit: id, status: row[0], key: row[1],
                                        principals: principals.map { $0.split(separator: "\n").map(String.init) }, detail: row[3])
            }
            return out
        }
    }

    /// Remembers verdicts, in one transaction.
    public func recordVerdicts(_ verdicts: [CachedVerdict]) throws {
        guard !verdicts.isEmpty else { return }
        try queue.write { db in
            let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO commit_verdict(id, status, key, principals, detail) VALUES (?, ?, ?, ?, ?)")
            for v in verdicts {
                try insert.execute(arguments: [v.commit, v.status, v.key, v.principals?.joined(separator: "\n"), v.detail])
            }
        }
    }
}

extension LineageIndex {
    /// Every remembered verdict (for a first walk over a long history: one query, not one per commit).
    public func allVerdicts() throws -> [String: CachedVerdict] {
        try queue.read { db in
            var out: [String: CachedVerdict] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, status, key, principals, detail FROM commit_verdict") {
                let id: String = row[0]
                let principals: String? = row[3]
                out[id] = CachedVerdict(commit: id, status: row[1], key: row[2],
                                        principals: principals.map { $0.split(separator: "\n").map(String.init) }, detail: row[4])
            }
            return out
        }
    }
}
