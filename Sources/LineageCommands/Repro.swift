import ArgumentParser
import Foundation
import Lineage

struct Repro: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the stale stages of lineage.yaml's pipeline, in dependency order, each as a recorded run.",
        discussion: """
        A stage is stale when a dependency's bytes (SHA-256), a declared parameter, its command or one of its outputs \
        differ from what its last run in history recorded — no timestamps. Each stage that runs is a `lineage run`: one \
        signed commit of its outputs, inputs, parameters, metrics, code version and environment, after the pre-commit \
        hooks passed on its outputs. When an earlier run anywhere in history had exactly the same inputs, parameters, \
        command and environment, its outputs are restored from the store instead (run cache) and the commit says which \
        run made them. A failing command or blocked hooks stop repro; the stages before stay committed.
        With --check <stage>, the stage runs again in a scratch directory holding only its dependencies and params \
        files, and each output is compared with the recorded bytes (exit 1 when any differs); nothing is written.
        """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Flag(name: .shortAndLong, help: "Run the stages even when they are fresh (the run cache is not used).") var force = false
    @Flag(help: "Say which stages would run, and why; run nothing.") var dryRun = false
    @Flag(help: "Run commands even when an identical earlier run's outputs could be reused.") var noRunCache = false
    @Flag(help: "Record every stage that runs in one commit (nothing is committed unless all succeed and pass the hooks).") var singleCommit = false
    @Flag(help: "Run the stage again in a scratch directory and report whether its outputs are bit-identical to the recorded ones.") var check = false
    @Argument(help: "Stages to bring up to date, with the stages they depend on (default: all).") var stages: [String] = []

    func validate() throws {
        if check && stages.count != 1 { throw ValidationError("--check takes exactly one stage, e.g. lineage repro --check train") }
        if check && (force || dryRun || noRunCache || singleCommit) {
            throw ValidationError("--check runs one stage in a scratch directory; it takes no --force, --dry-run, --no-run-cache or --single-commit")
        }
    }

    func run(in repository: Repository) throws {
        if check { return try runCheck(repository) }
        let request = ReproRequest(stages: stages, force: force, dryRun: dryRun, runCache: !noRunCache, stdoutToStderr: output.json,
                                   singleCommit: singleCommit)
        let result: ReproResult
        do {
            result = try repository.repro(request, progress: TerminalProgress.make(quiet: global.quiet)) { stage in
                if !output.json { Repro.describe(stage, dryRun: dryRun, quiet: global.quiet) }
            }
        } catch let blocked as HooksBlocked {
            HookReportText.print(blocked.report, quiet: false)
            Output.error(singleCommit ? "the pre-commit hooks blocked the runs (above); nothing was committed"
                         : "the pre-commit hooks blocked a stage's run (above); it was not committed and the stages after it did not run")
            throw ExitSignal(code: ExitCode32.findings)
        }
        if output.json { try Output.json(result, schema: "repro.schema.json") }
        if let status = result.failedStatus {
            let name = result.stages.last?.name ?? "?"
            Output.error("stage \(name) failed: its command exited with status \(status); " + (singleCommit ? "nothing was committed (--single-commit)" : "nothing was committed for it and the stages after it did not run"))
            throw ExitSignal(code: status)
        }
        if !output.json && !global.quiet {
            let ran = result.stages.filter { $0.action == .ran || $0.action == .reused }.count
            if dryRun {
                let would = result.stages.filter { $0.action == .wouldRun }.count
                Output.line(would == 0 ? "Everything is up to date: nothing would run." : "\(would) stage(s) would run.")
            } else {
                let commit = singleCommit ? result.stages.compactMap(\.commit).first.map { " in one commit [\($0.prefix(12))]" } ?? "" : ""
                Output.line(ran == 0 ? "Everything is up to date: nothing ran." : "\(ran) stage(s) recorded\(commit).")
            }
        }
    }

    static func describe(_ stage: ReproStage, dryRun: Bool, quiet: Bool) {
        let why = stage.reasons.map(\.message).joined(separator: "; ")
        switch stage.action {
        case .skipped:
            if !quiet { Output.line("Stage \(stage.name) is fresh: its dependencies, parameters, command and outputs match its last run \(stage.run ?? "")") }
        case .wouldRun:
            Output.line("Stage \(stage.name) would run: \(why)\n  $ \(stage.command)")
        case .mayRun:
            Output.line("Stage \(stage.name) may run: \(why)")
        case .ran:
            if quiet { if let c = stage.commit { Output.line(c) } } else {
                Output.line("Stage \(stage.name) ran because \(why) — recorded run \(stage.run ?? "")" + (stage.commit.map { " [\($0.prefix(12))]" } ?? ""))
            }
            for note in stage.notes { Output.warn(note) }
        case .reused:
            if quiet { if let c = stage.commit { Output.line(c) } } else {
                Output.line("Stage \(stage.name) was stale because \(why); its outputs were restored from run \(stage.reusedFrom ?? "") (same inputs, parameters, command and environment) without running — recorded run \(stage.run ?? "")" + (stage.commit.map { " [\($0.prefix(12))]" } ?? ""))
            }
        case .failed:
            break
        }
    }

    func runCheck(_ repository: Repository) throws {
        let result = try repository.reproCheck(stages[0])
        if output.json { try Output.json(result, schema: "repro-check.schema.json") } else {
            for o in result.outputs {
                let state = o.identical ? "identical" : o.recorded == nil ? "new (not recorded)" : o.rerun == nil ? "not written" : "DIFFERS"
                Output.line("  \(state.padding(toLength: 18, withPad: " ", startingAt: 0)) \(o.path)")
            }
            if result.reproducible {
                Output.line("Stage \(result.stage) is reproducible: every output is bit-identical to run \(result.run).")
            }
        }
        if let finding = result.finding {
            Output.error("stage \(result.stage): \(finding)")
            throw ExitSignal(code: ExitCode32.findings)
        }
    }
}
