import Foundation
import GRDB
import LineageCore

/// What the stat cache remembers of one working-directory file: its stat when it
/// was hashed, the digest, and the pointer blob made from it.
public struct CachedFile: Equatable, Sendable {
    public var stat: FileStat
    public var sha256: Digest
    /// Hex id of the pointer blob this content was staged as, if any.
    public var pointer: String?
    /// When the file was stat'ed before hashing (ns since the epoch).
    public var recordedNs: Int64

    public init(stat: FileStat, sha256: Digest, pointer: String?, recordedNs: Int64) {
        self.stat = stat; self.sha256 = sha256; self.pointer = pointer; self.recordedNs = recordedNs
    }

    /// File timestamps come from a coarse kernel clock and may trail the clock that
    /// stamped `recordedNs`; anything modified this close to the hash is not trusted.
    public static let racyWindowNs: Int64 = 1_000_000_000

    /// git's "racy" rule: a file whose mtime or ctime is not clearly older than the moment it was
    /// hashed may have changed again within the same timestamp tick, so its stat proves nothing.
    public var isRacy: Bool {
        stat.mtimeNs >= recordedNs - CachedFile.racyWindowNs || stat.ctimeNs >= recordedNs - CachedFile.racyWindowNs
    }

    /// The cached digest may be used for a file now showing `current` only if nothing in stat moved
    /// and the entry is not racy.
    public func isValid(for current: FileStat) -> Bool {
        stat.sameFile(as: current) && !isRacy
    }
}

/// Errors of the index layer.
public enum IndexError: Error, CustomStringConvertible {
    case database(path: String, underlying: String)
    public var description: String {
        switch self {
        case .database(let path, let why):
            return "the index \(path) could not be used (\(why)); it is a cache: delete it and it is rebuilt"
        }
    }
}

/// `.lineage/index.sqlite`: derived state only (the stat cache now, the lineage graph later).
/// Deleting it loses nothing; a damaged file is replaced and rebuilt with a warning.
/// Thread safety: every access goes through GRDB's `DatabaseQueue`, which serialises it; the rest is immutable.
public final class LineageIndex: @unchecked Sendable {
    /// 1: stat cache; 2: + lineage graph; 3: runs as columns; 4: runs numbered, inputs and outputs
    /// by run number. Older files are upgraded in place (the graph tables, being derived, are
    /// dropped and rebuilt from history by the next query).
    public static let schemaVersion = 4
    let queue: DatabaseQueue
    public let path: String

    /// Opens or creates the index. If the file is unreadable, not SQLite, or of another schema
    /// version, it is moved aside and a fresh one created; `warn` is told why.
    public init(path: String, warn: (String) -> Void = { _ in }) throws {
        self.path = path
        do {
            queue = try LineageIndex.openChecked(path)
        } catch {
            warn("index \(path) was unusable (\(error)); rebuilding it")
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            do { queue = try LineageIndex.openChecked(path) } catch {
                throw IndexError.database(path: path, underlying: "\(error)")
            }
        }
    }

    private static func openChecked(_ path: String) throws -> DatabaseQueue {
        var config = Configuration()
        config.busyMode = .timeout(5)
        let queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode=WAL")
            try db.execute(sql: "PRAGMA synchronous=NORMAL")
            // A page cache of up to 32 MiB (SQLite's default is 2 MiB; pages are only allocated as
            // used): writing 100,000 rows into a table and its indexes otherwise evicts and re-reads
            // index pages all along.
            try db.execute(sql: "PRAGMA cache_size=-32768")
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if version > schemaVersion {
                throw IndexError.database(path: path, underlying: "schema version \(version), expected \(schemaVersion)")
            }
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS stat_cache(
                    path TEXT PRIMARY KEY NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                    ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, sha256 BLOB NOT NULL,
                    pointer TEXT, recorded_ns INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                """)
            if version == 2 || version == 3 {
                try db.execute(sql: "DROP TABLE IF EXISTS run; DROP TABLE IF EXISTS run_input; DROP TABLE IF EXISTS run_output; DROP TABLE IF EXISTS artifact; DROP TABLE IF EXISTS indexed_commit;")
            }
            try db.execute(sql: graphSchema)
            try db.execute(sql: verdictSchema)
            try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
            // No `PRAGMA quick_check` here: it reads the whole file (90 ms at 100,000 artifact
            // versions) on every command. A file that is not SQLite fails above; damage deeper in
            // surfaces as an error when read, and callers rebuild then (`LineageIndex.recovering`).
        }
        return queue
    }

    /// Every cached entry in byte order of path (SQLite's BINARY collation, which is git's index order).
    public func cachedFilesSorted() throws -> [(path: String, file: CachedFile)] {
        try queue.read { db in
            var out: [(path: String, file: CachedFile)] = []
            out.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM stat_cache") ?? 0)
            // Columns read with SQLite's C API: GRDB's `Row` decoding was most of this at 100,000 files.
            let rows = try RawRows(db, sql: "SELECT path, size, mtime_ns, ctime_ns, inode, sha256, pointer, recorded_ns FROM stat_cache ORDER BY path")
            try rows.forEach { row in
                guard let digest = row.digest(5) else { return }
                let stat = FileStat(size: UInt64(bitPattern: row.int64(1)), mtimeNs: row.int64(2), ctimeNs: row.int64(3),
                                    inode: UInt64(bitPattern: row.int64(4)))
                out.append((row.string(0), CachedFile(stat: stat, sha256: digest, pointer: row.isNull(6) ? nil : row.string(6),
                                                      recordedNs: row.int64(7))))
            }
            return out
        }
    }

    /// The cached entry of each of `paths` (sorted in byte order, like the staging index), in the
    /// same order; nil where there is none. The table is merged with the list as it is scanned, by
    /// comparing bytes, so no `String` is made for a path (this is the hot half of `status`).
    public func cachedFiles(alignedTo paths: [String]) throws -> [CachedFile?] {
        var aligned = [CachedFile?](repeating: nil, count: paths.count)
        guard !paths.isEmpty else { return aligned }
        try queue.read { db in
            let rows = try RawRows(db, sql: "SELECT path, size, mtime_ns, ctime_ns, inode, sha256, pointer, recorded_ns FROM stat_cache ORDER BY path")
            var i = 0
            try rows.forEach { row in
                let rowPath = row.bytes(0)
                // Skip the listed paths that sort before this row (they have no entry).
                while i < paths.count {
                    var path = paths[i]
                    let order = path.withUTF8 { compareBytes($0, rowPath) }
                    if order < 0 { i += 1; continue }
                    if order == 0, let digest = row.digest(5) {
                        let stat = FileStat(size: UInt64(bitPattern: row.int64(1)), mtimeNs: row.int64(2), ctimeNs: row.int64(3),
                                            inode: UInt64(bitPattern: row.int64(4)))
                        aligned[i] = CachedFile(stat: stat, sha256: digest, pointer: row.isNull(6) ? nil : row.string(6),
                                                recordedNs: row.int64(7))
                        i += 1
                    }
                    break
                }
            }
        }
        return aligned
    }

    /// Every cached entry, by tracked path (keyed by bytes: NFC and NFD names are two entries).
    public func cachedFiles() throws -> [PathKey: CachedFile] {
        let rows = try cachedFilesSorted()
        var out: [PathKey: CachedFile] = [:]
        out.reserveCapacity(rows.count)
        for row in rows { out[PathKey(row.path)] = row.file }
        return out
    }

    /// Inserts or replaces entries, and deletes `removed`, in one transaction.
    public func updateCache(_ entries: [(path: String, file: CachedFile)], removed: [String] = []) throws {
        guard !entries.isEmpty || !removed.isEmpty else { return }
        try queue.write { db in
            let insert = try db.makeStatement(sql: """
                INSERT OR REPLACE INTO stat_cache(path, size, mtime_ns, ctime_ns, inode, sha256, pointer, recorded_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (path, f) in entries {
                try insert.execute(arguments: [path, Int64(f.stat.size), f.stat.mtimeNs, f.stat.ctimeNs,
                                               Int64(bitPattern: f.stat.inode), Data(f.sha256.bytes), f.pointer, f.recordedNs])
            }
            let delete = try db.makeStatement(sql: "DELETE FROM stat_cache WHERE path = ?")
            for path in removed { try delete.execute(arguments: [path]) }
        }
    }

    /// A remembered fact about derived state (e.g. which staging index equals which tree).
    public func meta(_ key: String) -> String? {
        try? queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try queue.write { db in try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [key, value]) }
    }

    /// Runs `body` on the index at `path`; if the index turns out to be damaged while reading (any
    /// error `body` throws that comes from SQLite), the file is deleted, reopened empty and `body`
    /// runs once more (the caller then rebuilds what it needs from history), with a warning.
    public static func recovering<T>(path: String, warn: @escaping (String) -> Void, _ body: (LineageIndex) throws -> T) throws -> T {
        let index = try LineageIndex(path: path, warn: warn)
        do { return try body(index) } catch let error as DatabaseError {
            warn("index \(path) is damaged (\(error.message ?? "\(error)")); rebuilding it")
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            return try body(try LineageIndex(path: path, warn: warn))
        }
    }

    /// Forgets every cached entry.
    public func clearCache() throws {
        try queue.write { db in try db.execute(sql: "DELETE FROM stat_cache") }
    }
}

/// memcmp order of two byte strings (a prefix sorts first): SQLite's BINARY collation.
private func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    let n = min(a.count, b.count)
    if n > 0 {
        let c = memcmp(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return Int(c) }
    }
    return a.count - b.count
}
