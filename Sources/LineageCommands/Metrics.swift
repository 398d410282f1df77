import ArgumentParser
import Foundation
import Lineage
import LineageCore

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show and compare the metrics that stages record (files under `metrics:` in lineage.yaml).",
        subcommands: [Show.self, Diff.self])

    struct Show: RepositoryCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the metrics of the working directory, or as the runs at a revision recorded them.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption
        @Argument(help: "A revision (default: the metrics files in the working directory).") var revision: String?

        func run(in repository: Repository) throws {
            let (values, commit) = try repository.stageValues(.metrics, revision: revision)
            let result = MetricsShowResult(revision: revision ?? "workspace", commit: commit, metrics: values)
            if output.json { return try Output.json(result, schema: "metrics-show.schema.json") }
            if values.isEmpty { return Output.line("No metrics (no stage declares `metrics:`, or none has run).") }
            ValueTable.print(header: ["Path", "Metric", "Value"], rows: values.map { [$0.file, $0.key, $0.value.description] })
        }
    }

    struct Diff: RepositoryCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare metrics between two revisions (default: HEAD and the working directory).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var diff: ValuesDiffArguments

        func run(in repository: Repository) throws { try diff.run(.metrics, in: repository, what: "metrics", column: "Metric") }
    }
}

struct Params: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the parameters stages declare (`params:` in lineage.yaml).",
        subcommands: [Diff.self])

    struct Diff: RepositoryCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare parameters between two revisions (default: HEAD's last runs and the params files now).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var diff: ValuesDiffArguments

        func run(in repository: Repository) throws { try diff.run(.params, in: repository, what: "parameters", column: "Param") }
    }
}

/// What `metrics diff` and `params diff` take: up to two revisions, --all, --json.
struct ValuesDiffArguments: ParsableArguments {
    @OptionGroup var output: JSONOption
    @Flag(help: "List unchanged values too.") var all = false
    @Argument(help: "The old revision (default HEAD) and the new one (default: the working directory).") var revisions: [String] = []

    func validate() throws { if revisions.count > 2 { throw ValidationError("give at most two revisions") } }

    func run(_ kind: Repository.StageValueKind, in repository: Repository, what: String, column: String) throws {
        let result = try repository.stageValuesDiff(kind, old: revisions.first, new: revisions.count > 1 ? revisions[1] : nil, all: all)
        try ValueTable.printDiff(result, json: output.json ? (kind == .metrics ? "metrics-diff.schema.json" : "params-diff.schema.json") : nil, what: what, column: column)
    }
}

/// Aligned text tables for `metrics` and `params`.
enum ValueTable {
    static func print(header: [String], rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        Output.line(line(header))
        for row in rows { Output.line(line(row)) }
    }

    static func printDiff(_ result: ValuesDiffResult, json schema: String?, what: String, column: String) throws {
        if let schema { return try Output.json(result, schema: schema) }
        if result.changes.isEmpty { return Output.line("No \(what) changed between \(result.old) and \(result.new).") }
        print(header: ["Path", column, result.old, result.new, "Change"], rows: result.changes.map { c in
            [c.file, c.key, c.old?.description ?? "—", c.new?.description ?? "—", c.change.map { ($0 > 0 ? "+" : "") + RecordValue.format(Double(String(format: "%.10g", $0)) ?? $0) } ?? "—"]
        })
    }
}
