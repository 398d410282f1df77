import Foundation
import GRDB
import GRDBSQLite

/// Steps a statement with SQLite's C API. GRDB's `Row` decoding costs about half a microsecond a
/// column, which was most of `trace` on large graphs; the hot graph queries read columns directly.
struct RawRows {
    private let statement: Statement

    init(_ db: Database, sql: String) throws { statement = try db.makeStatement(sql: sql) }

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

/// One row of `RawRows`, valid only inside the closure.
struct RawRow {
    let s: OpaquePointer
    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(s, i) }
    func text(_ i: Int32) -> String { sqlite3_column_text(s, i).map { String(cString: $0) } ?? "" }
    func optionalText(_ i: Int32) -> String? { sqlite3_column_type(s, i) == SQLITE_NULL ? nil : text(i) }
    func optionalInt64(_ i: Int32) -> Int64? { sqlite3_column_type(s, i) == SQLITE_NULL ? nil : int64(i) }

    /// A comma-separated list of integers (`group_concat`) as numbers; empty for NULL.
    func ids(_ i: Int32) -> [Int64] {
        guard let text = sqlite3_column_text(s, i) else { return [] }
        var out: [Int64] = []
        var value: Int64 = 0, any = false
        var p = text
        while true {
            let c = p.pointee
            if c >= 48 && c <= 57 { value = value * 10 + Int64(c - 48); any = true }
            else { if any { out.append(value) }; value = 0; any = false; if c == 0 { break } }
            p += 1
        }
        return out
    }
}
