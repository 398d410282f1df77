import Foundation
import LineageCore
import LineageStore
import LineageValidators

/// `lineage validate` and `lineage schema infer`: the schema validator on any table, outside hooks.
public enum AdHocValidation {
    /// Validates a table against a Table Schema file. Bad schema files and unreadable tables are
    /// errors (`LineageError.invalidArgument`); problems in the data are findings.
    public static func validate(table: String, schema: String, cwd: String) throws -> ValidationReport {
        let tablePath = absolute(table, cwd: cwd)
        let schemaPath = absolute(schema, cwd: cwd)
        guard FileManager.default.fileExists(atPath: tablePath) else { throw LineageError.notFound(table, suggestions: []) }
        let validator: SchemaValidator
        do { validator = try SchemaValidator(schemaPath: schemaPath) } catch {
            throw LineageError.invalidArgument("\(error)")
        }
        do { return try validator.validate(path: tablePath, displayPath: table) } catch let e as TableReadError {
            throw tableError(table, e)
        }
    }

    static func absolute(_ path: String, cwd: String) -> String { path.hasPrefix("/") ? path : cwd + "/" + path }
}

extension AdHocValidation {
    /// `lineage schema infer`: a Table Schema that the table validates against, as pretty JSON.
    public static func inferSchema(table: String, cwd: String) throws -> String {
        let path = absolute(table, cwd: cwd)
        guard FileManager.default.fileExists(atPath: path) else { throw LineageError.notFound(table, suggestions: []) }
        do { return try TableSchema.infer(path: path).descriptor.pretty() + "\n" } catch let e as TableReadError {
            throw tableError(table, e)
        }
    }

    /// A reader's error as the user should see it: the file could not be opened (an OS error, line
    /// 0), or its content is not the table format it was read as (bad input, with the line).
    static func tableError(_ table: String, _ e: TableReadError) -> LineageError {
        e.line == 0 && e.message.hasPrefix("cannot ") ? .unreadable(table, reason: e.message) : .unreadableTable(table, line: e.line, reason: e.message)
    }
}

extension AdHocValidation {
    /// Writes a file atomically (temp file, fsync, rename), outside any repository.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path) } catch { throw LineageError.unreadable(path, reason: "cannot write it: \(error)") }
    }
}
