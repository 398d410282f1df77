import Foundation
import GRDB
import GRDBSQLite
import LineageCore

/// Steps a statement with SQLite's C API. GRDB's `Row` decoding costs about half a microsecond a
/// column, which was most of `trace` on large graphs; the hot graph queries read columns directly.
/// A statement with `?` parameters is prepared once and run for many values (`bind`, then `forEach`).
struct RawRows {
    private let statement: Statement

    init(_ db: Database, sql: String) throws { statement = try db.makeStatement(sql: sql) }

    /// Sets parameter `i` (from 1) for the next `forEach`.
    func bind(_ i: Int32, _ value: Int64) { sqlite3_bind_int64(statement.sqliteStatement, i, value) }

    /// Sets text parameter `i` (from 1); SQLite copies the bytes.
    func bind(_ i: Int32, _ value: String) {
        let count = Int32(value.utf8.count)
        value.withCString { _ = sqlite3_bind_text(statement.sqliteStatement, i, $0, count, sqliteTransient) }
    }

    /// Runs a statement that returns no rows (an insert) with the parameters bound.
    func execute() throws { try forEach { _ in } }

    func forEach(_ body: (RawRow) throws -> Void) throws {
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(s))))
            }
            try body(RawRow(s: s))
        }
    }
}

/// A statement `... IN (?, ?, …)` run over many keys a batch at a time. Each batch size (4, 16, 64,
/// 256 keys) is prepared once and reused; a short batch is padded by repeating its last key, which
/// `IN` ignores. One execution per batch instead of per key saves opening cursors and registers each
/// time; binding instead of writing keys into the SQL saves parsing them (which cost more than the
/// lookups when the keys were literals). Rows come in no particular order.
struct BatchedRows {
    private let db: Database
    private let sql: (String) -> String
    private var prepared: [Int: RawRows] = [:]
    static let sizes = [4, 16, 64, 256]

    /// `sql` makes the statement from a list of `?` placeholders.
    init(_ db: Database, sql: @escaping (String) -> String) { self.db = db; self.sql = sql }

    mutating func forEach(_ keys: [Int64], _ body: (RawRow) throws -> Void) throws {
        var start = 0
        while start < keys.count {
            let n = min(keys.count - start, Self.sizes.last!)
            let size = Self.sizes.first { $0 >= n }!
            let rows = try statement(size)
            for p in 0..<size { rows.bind(Int32(p + 1), keys[start + min(p, n - 1)]) }
            try rows.forEach(body)
            start += n
        }
    }

    private mutating func statement(_ size: Int) throws -> RawRows {
        if let s = prepared[size] { return s }
        let s = try RawRows(db, sql: sql(Array(repeating: "?", count: size).joined(separator: ",")))
        prepared[size] = s
        return s
    }
}

/// One row of `RawRows`, valid only inside the closure.
struct RawRow {
    let s: OpaquePointer
    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(s, i) }
    /// The column's text as bytes, up to its first NUL (as a C string reads); valid until the row
    /// is stepped (empty for NULL).
    func bytes(_ i: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let p = sqlite3_column_text(s, i) else { return UnsafeBufferPointer(start: nil, count: 0) }
        let count = Int(sqlite3_column_bytes(s, i))
        return UnsafeBufferPointer(start: p, count: p.withMemoryRebound(to: CChar.self, capacity: count) { strnlen($0, count) })
    }
    /// The column's text as a `String` (invalid UTF-8 repaired).
    func string(_ i: Int32) -> String { String(decoding: bytes(i), as: UTF8.self) }
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(s, i) == SQLITE_NULL }
    /// A 32-byte BLOB column as a digest; nil for anything else.
    func digest(_ i: Int32) -> Digest? {
        guard sqlite3_column_type(s, i) == SQLITE_BLOB, sqlite3_column_bytes(s, i) == 32,
              let p = sqlite3_column_blob(s, i) else { return nil }
        return Digest(bytes: Array(UnsafeRawBufferPointer(start: p, count: 32)))
    }

    /// Appends the numbers of a comma-separated list of integers (`group_concat`) to `out`.
    func appendIDs(_ i: Int32, to out: inout [Int64]) {
        guard let text = sqlite3_column_text(s, i) else { return }
        var value: Int64 = 0, any = false
        var p = text
        while true {
            let c = p.pointee
            if c >= 48 && c <= 57 { value = value * 10 + Int64(c - 48); any = true }
            else { if any { out.append(value) }; value = 0; any = false; if c == 0 { break } }
            p += 1
        }
    }
}

/// SQLite's SQLITE_TRANSIENT: copy bound bytes before the call returns.
private let sqliteTransient = unsafeBitCast(Int(-1), to: sqlite3_destructor_type.self)
