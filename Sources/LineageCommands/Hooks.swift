import ArgumentParser
import Foundation
import Lineage
import LineageCore
import LineageValidators

struct Hooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, run and trust the hooks of lineage.yaml.",
        discussion: "Pre-commit hooks run before every commit and block it when they fail. Command hooks run only once trusted here (`lineage hooks trust`), as git never runs a cloned repository's hooks.",
        subcommands: [List.self, RunHooks.self, TrustHooks.self])

    struct List: RepositoryCommand {
        static let configuration = CommandConfiguration(abstract: "List the hooks of lineage.yaml.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption

        struct Entry: Encodable { var stage: String; var index: Int; var line: Int; var validator: String; var options: [String: String]; var trusted: Bool? }

        func run(in repository: Repository) throws {
            let config = try repository.projectConfig()
            let trusted = repository.commandHooksTrusted(config)
            let entries = config.preCommit.map { e in
                Entry(stage: "pre-commit", index: e.index, line: e.line, validator: e.validator,
                      options: Dictionary(e.options.map { ($0.key, render($0.value)) }, uniquingKeysWith: { a, _ in a }),
                      trusted: e.validator == "command" ? trusted : nil)
            }
            if output.json { return try Output.json(entries, as: "hooks", schema: "hooks-list.schema.json") }
            if entries.isEmpty { return Output.line("no hooks (lineage.yaml has none)") }
            Output.line("pre-commit:")
            for e in entries {
                let options = e.options.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                let trust = e.trusted.map { $0 ? "" : "  [not trusted: run `lineage hooks trust`]" } ?? ""
                Output.line("  \(e.validator) (line \(e.line)) { \(options) }\(trust)")
            }
        }

        func render(_ value: ConfigValue) -> String {
            switch value {
            case .scalar(let s, _): return s
            case .list(let items, _): return "[" + items.map(render).joined(separator: ", ") + "]"
            case .map(let pairs, _): return "{ " + pairs.map { "\($0.key): \(render($0.value))" }.joined(separator: ", ") + " }"
            }
        }
    }

    struct RunHooks: RepositoryCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the pre-commit hooks on the staged files now, without committing.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption

        func run(in repository: Repository) throws {
            let report = try repository.runPreCommitHooks(progress: TerminalProgress.make(quiet: global.quiet || output.json))
            if output.json { try Output.json(report, schema: "hooks-report.schema.json") } else { HookReportText.print(report, quiet: global.quiet) }
            if report.failed { throw ExitSignal(code: ExitCode32.findings) }
        }
    }

    struct TrustHooks: RepositoryCommand {
        static let configuration = CommandConfiguration(commandName: "trust", abstract: "Trust the command hooks of lineage.yaml (and the programs they run) in this clone.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption

        func run(in repository: Repository) throws {
            let commands = try repository.trustHooks()
            if output.json { return try Output.json(commands, as: "trusted", schema: "hooks-trust.schema.json") }
            guard !global.quiet else { return }
            if commands.isEmpty { Output.line("lineage.yaml has no command hooks; nothing to trust") }
            else { Output.line("Trusted \(commands.count) command hook(s): \(commands.joined(separator: ", "))") }
        }
    }
}

/// How hook results read on a terminal.
enum HookReportText {
    static func print(_ report: HooksReport, quiet: Bool) {
        if !quiet { for w in report.waiting { Output.line("- \(w)") } }
        for o in report.outcomes {
            if quiet && o.outcome != .failed { continue }
            let mark: String
            switch o.outcome {
            case .passed: mark = Output.color("✓", "32")
            case .warned: mark = Output.color("!", "33")
            case .failed: mark = Output.color("✗", "31")
            case .skipped: mark = "-"
            }
            let files = Set(o.record.artifacts.map(\.path)).sorted()
            let what = files.count <= 3 ? files.joined(separator: ", ") : "\(files.count) files"
            Output.line("\(mark) \(o.validator) (lineage.yaml:\(o.line)) \(o.outcome.rawValue)\(o.reused ? " (same check as HEAD, not run again)" : "")\(what.isEmpty ? "" : ": " + what)")
            for f in o.findings { Output.line("    " + ValidationText.line(f).replacingOccurrences(of: "\n", with: "\n    ")) }
            if let output = o.output, !output.isEmpty, o.outcome != .passed || !quiet {
                for line in output.split(separator: "\n", omittingEmptySubsequences: false).prefix(40) { Output.line("    | " + line) }
            }
        }
    }
}
