import ArgumentParser
import Lineage

struct Commit: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record the staged files as a new commit.",
        discussion: "The pre-commit hooks of lineage.yaml run first; a failing hook blocks the commit (exit 1) and leaves the staged files as they were.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Option(name: .shortAndLong, help: "The commit message.") var message: String
    @Flag(name: [.customShort("n"), .long], help: "Skip the pre-commit hooks; the signed commit records that they were skipped and by whom.")
    var noVerify = false
    @Flag(help: "Commit even though the trust file no longer trusts your own signing key (you could not commit here afterwards).")
    var force = false

    func run(in repository: Repository) throws {
        let result: CommitResult
        do { result = try repository.commit(message: message, noVerify: noVerify, force: force, progress: TerminalProgress.make(quiet: global.quiet || output.json)) } catch let blocked as HooksBlocked {
            if output.json { try Output.json(blocked.report, schema: "hooks-report.schema.json") } else { HookReportText.print(blocked.report, quiet: false) }
            throw blocked
        }
        if output.json { return try Output.json(result, schema: "commit-result.schema.json") }
        if let hooks = result.hooks { HookReportText.print(hooks, quiet: global.quiet) }
        if global.quiet { return Output.line(result.commit) }
        let subject = message.split(separator: "\n").first.map(String.init) ?? ""
        Output.line("[\(result.branch ?? "detached HEAD") \(result.commit.prefix(12))] \(subject)")
        let also = result.alsoChanged.isEmpty ? "" : (result.filesChanged == 0 ? "; only " : "; also ") + result.alsoChanged.joined(separator: ", ") + " changed"
        Output.line(" \(result.filesChanged) file(s) changed" + also + (result.noVerify ? "; hooks skipped (--no-verify, recorded)" : ""))
    }
}
