import ArgumentParser
import Foundation
import Lineage
import LineageValidators

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a table (CSV, TSV, JSON Lines) against a Frictionless Table Schema.",
        discussion: "Reports the error types `frictionless validate` reports (type-error, constraint-error, unique-error, primary-key, foreign-key, blank-row, extra-cell, missing-cell, header errors) with row and field numbers; the header is row 1. Exits 1 when the table has errors. Works inside or outside a lineage repository.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The table to check.") var path: String
    @Option(help: ArgumentHelp("A Table Schema JSON file (e.g. from `lineage schema infer`).", valueName: "file")) var schema: String

    func run() throws {
        let report = try AdHocValidation.validate(table: path, schema: schema, cwd: global.cwd)
        if output.json { try Output.json(report, schema: "validate.schema.json") } else { ValidationText.print(report, quiet: global.quiet) }
        if report.outcome == .failed { throw ExitSignal(code: ExitCode32.findings) }
    }
}

/// Findings as lines: one per kind of problem, with where and how often.
enum ValidationText {
    static func print(_ report: ValidationReport, quiet: Bool) {
        if report.findings.isEmpty {
            if !quiet { Output.line(Output.color("valid", "32") + " (\(report.counts["rows"].map { "\($0) rows" } ?? "")\(report.counts["fields"].map { ", \($0) fields" } ?? ""))") }
            return
        }
        for f in report.findings { Output.line(line(f)) }
        let errors = report.findings.filter { $0.severity == .error }.reduce(0) { $0 + $1.count }
        if !quiet { Output.line(errors > 0 ? Output.color("invalid", "31") + ": \(errors) error(s)" : "valid, with warnings") }
    }

    static func line(_ f: ValidationFinding) -> String {
        var place: [String] = []
        if let file = f.file { place.append(file) }
        if let column = f.column { place.append("column \"\(column)\"" + (f.fieldNumber.map { " (field \($0))" } ?? "")) }
        if !f.rows.isEmpty { place.append("row\(f.rows.count > 1 ? "s" : "") " + f.rows.map(String.init).joined(separator: ", ") + (f.count > f.rows.count ? ", …" : "")) }
        var text = "\(f.severity == .error ? "error" : "warning") \(f.check)\(place.isEmpty ? "" : " [" + place.joined(separator: ", ") + "]") ×\(f.count): \(f.message)"
        if !f.examples.isEmpty { text += "\n      e.g. " + f.examples.prefix(3).joined(separator: " | ") }
        return text
    }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work with Table Schemas.", subcommands: [Infer.self])

    struct Infer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a Table Schema for a table (types, required fields), as a starting point for the schema hook.",
            discussion: "A type is chosen only if every value accepts it, so the table validates against the result. The dialect (delimiter among , ; tab |, '#' comment lines, spaces after delimiters, a header row) and the encoding (UTF-8, UTF-16 with a byte-order mark, else a probable ISO-8859/Windows code page) are sniffed from the first 64 KiB and, when they are not RFC 4180 UTF-8, written into the output as a resource description, and said on stderr. Exits 1 when the delimiter is ambiguous (the output then uses the first candidate).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "A CSV, TSV or JSON Lines file.") var path: String
        @Option(name: .shortAndLong, help: "Write to this file instead of stdout.") var output: String?

        func run() throws {
            let inferred = try AdHocValidation.inferSchema(table: path, cwd: global.cwd)
            for note in inferred.notes {
                if note.contains("ambiguous") { Output.warn(note) } else if !global.quiet { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            }
            if let output {
                let target = output.hasPrefix("/") ? output : global.cwd + "/" + output
                try AdHocValidation.write(Array(inferred.text.utf8), to: target)
                if !global.quiet { FileHandle.standardError.write(Data("Wrote \(output)\n".utf8)) }
            } else {
                Output.write(inferred.text)
            }
            if !inferred.ambiguousDelimiters.isEmpty { throw ExitSignal(code: ExitCode32.findings) }
        }
    }
}
