import ArgumentParser
import Foundation
import Lineage
import LineageCore

struct Run: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command as a recorded transformation and commit its outputs with its provenance.",
        discussion: """
        The command runs with your terminal; SIGINT and SIGTERM are passed on; lineage exits with its status. \
        On success the declared outputs, the declared inputs and a Run record (inputs and outputs with SHA-256, \
        code version, environment, signer) are committed together in one signed commit. When the command fails, \
        nothing is committed. Only declared inputs are recorded: files the command reads without -i are not detected.
        """)
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Print what was recorded as JSON (Schemas/run-result.schema.json); the command's own standard output then goes to standard error.")
    var json = false
    @Option(help: "A name for the transformation, e.g. train.") var name: String
    @Option(name: [.customShort("i"), .customLong("input")], help: "A file or directory the command reads (repeatable).") var inputs: [String] = []
    @Option(name: [.customShort("o"), .customLong("output")], help: "A file or directory the command writes (repeatable).") var outputs: [String] = []
    @Option(help: ArgumentHelp("Also record the environment with: pip (stores `pip freeze`).", valueName: "kind")) var envCapture: [String] = []
    @Option(name: .shortAndLong, help: "The commit message (default: run <name>: <command>).") var message: String?
    @Flag(name: .long, help: "Skip the pre-commit hooks on the outputs; the signed commit records that they were skipped and by whom.") var noVerify = false
    @Flag(inversion: .prefixedNo, help: "Refuse to run when the code has uncommitted changes or is not in a git repository (default: lineage.yaml's run: { require-clean-code }).") var requireCleanCode: Bool? = nil
    @Argument(parsing: .postTerminator, help: "The command, after --.") var command: [String] = []

    /// What `--json` prints: the command's exit status and, when it succeeded, the run and its commit.
    struct RunJSON: Encodable {
        var exitStatus: Int32
        var commit: String?
        var run: RunRecord?
        var hooks: HooksReport?
        var notes: [String]
    }

    func run(in repository: Repository) throws {
        let outcome: RunOutcome
        do {
            var request = RunRequest(name: name, inputs: inputs, outputs: outputs, envCapture: envCapture, argv: command, cwd: global.cwd, message: message,
                                     noVerify: noVerify, requireCleanCode: requireCleanCode)
            request.commandStdoutToStderr = json
            outcome = try repository.run(request, progress: TerminalProgress.make(quiet: global.quiet || json))
        } catch let blocked as HooksBlocked {
            if json { try Output.json(blocked.report, schema: "hooks-report.schema.json") } else { HookReportText.print(blocked.report, quiet: false) }
            throw blocked
        }
        for note in outcome.notes { Output.warn(note) }
        if json {
            try Output.json(RunJSON(exitStatus: outcome.exitCode, commit: outcome.commit, run: outcome.record, hooks: outcome.hooks, notes: outcome.notes),
                            schema: "run-result.schema.json")
        } else if let hooks = outcome.hooks { HookReportText.print(hooks, quiet: global.quiet) }
        guard outcome.exitCode == 0, let record = outcome.record, let commit = outcome.commit else {
            Output.error("the command exited with status \(outcome.exitCode); nothing was committed")
            throw ExitSignal(code: outcome.exitCode)
        }
        if json { return }
        if global.quiet { return Output.line(commit) }
        FileHandle.standardError.write(Data("Recorded run \(record.name) \(record.id): \(record.inputs.count) input(s), \(record.outputs.count) output(s) [\(commit.prefix(12))]\n".utf8))
    }
}
