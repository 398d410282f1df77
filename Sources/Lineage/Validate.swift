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
    /// What `schema infer` found: the schema's JSON, and what it says about how the file is written.
    public struct InferredSchema: Sendable {
        /// Pretty JSON: a Table Schema, or a resource description (`encoding`, `dialect`, `schema`)
        /// when the file is not RFC 4180 UTF-8 with its format's delimiter.
        public var text: String
        /// Lines for the user: the dialect and encoding read, and that they were written out.
        public var notes: [String]
        /// More than one delimiter read the sample equally well (a finding; the first was used).
        public var ambiguousDelimiters: [String]
    }

    /// `lineage schema infer`: sniffs the table's dialect and encoding from its start, then infers
    /// a Table Schema that the table validates against, read with that layout. The layout is
    /// written into the output whenever it is not the default, so validation reads the file
    /// exactly so and never guesses.
    public static func inferSchema(table: String, cwd: String) throws -> InferredSchema {
        let path = absolute(table, cwd: cwd)
        guard FileManager.default.fileExists(atPath: path) else { throw LineageError.notFound(table, suggestions: []) }
        do {
            let format = TableFormat.guess(path: path) ?? .csv
            let sniff = try TableSniffer.sniff(path: path, format: format)
            let schema = try TableSchema.infer(path: path, format: format, layout: sniff.layout)
            var notes: [String] = []
            var ambiguous: [String] = []
            if let note = sniff.encodingNote { notes.append("\(table): \(note)") }
            if format != .jsonl {
                let what = sniff.layout.dialect.summary(for: format)
                if sniff.isAmbiguous {
                    ambiguous = sniff.delimiterCandidates.map { $0 == 0x09 ? "tab" : "'\(Character(Unicode.Scalar($0)))'" }
                    notes.append("\(table): the delimiter is ambiguous — \(ambiguous.joined(separator: ", ")) read the first rows equally well; "
                                 + "used \(ambiguous[0]); check the output and correct \"dialect\": {\"delimiter\": …} if it is wrong")
                }
                if !sniff.isDefault { notes.append("\(table): read with \(what), encoding \(sniff.layout.encoding); written into the output as a resource description (\"dialect\", \"encoding\") so validation reads it the same way") }
            } else if !sniff.isDefault {
                notes.append("\(table): read as \(sniff.layout.encoding); written into the output (\"encoding\") so validation reads it the same way")
            }
            let json = sniff.isDefault && !sniff.isAmbiguous ? schema.descriptor : schema.resourceDescriptor(format: format, layout: sniff.layout)
            return InferredSchema(text: json.pretty() + "\n", notes: notes, ambiguousDelimiters: ambiguous)
        } catch let e as TableReadError {
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
