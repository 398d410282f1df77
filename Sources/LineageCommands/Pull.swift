import ArgumentParser
import Lineage

struct Pull: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch a remote, its bytes, and merge its branch into the current one.",
        discussion: """
            `lineage fetch` (every new commit verified), then the content of the remote branch's versions \
            that are not here, then `lineage merge <remote>/<branch>`: hooks on the merged result, a signed \
            merge commit; conflicts change nothing (exit 3) and are resolved with `--ours/--theirs -- <paths>`.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @OptionGroup var transfer: TransferOptions
    @Argument(help: "The remote (default: origin).") var remote: String = "origin"
    @Argument(help: "The remote branch (default: the current branch's name).") var branch: String?
    @Flag(help: "For the paths after `--`: keep this branch's version.") var ours = false
    @Flag(help: "For the paths after `--`: take the remote's version.") var theirs = false
    @Option(name: .shortAndLong, help: "The merge commit's message.") var message: String?
    @Flag(name: [.customShort("n"), .long], help: "Skip the pre-commit hooks on the merged result (recorded in the signed commit).")
    var noVerify = false
    @Argument(parsing: .postTerminator, help: "Fetch the bytes of only these paths (partial content); with --ours/--theirs: the conflicting paths to resolve.")
    var paths: [String] = []

    func validate() throws {
        if ours && theirs { throw ValidationError("choose --ours or --theirs, not both") }
        if (ours || theirs) && paths.isEmpty {
            throw ValidationError("--ours/--theirs go with the conflicting paths after `--`, e.g. `lineage pull --theirs -- data/train.csv`")
        }
    }

    func run(in repository: Repository) throws {
        repository.transferJobs = transfer.jobs
        var resolve: [String: MergeChoice] = [:]
        if ours || theirs { for p in paths { resolve[p] = ours ? .ours : .theirs } }
        let result: PullResult
        do {
            result = try repository.pull(remote: remote, branch: branch, paths: ours || theirs ? [] : paths, resolve: resolve, cwd: global.cwd, message: message, noVerify: noVerify,
                                         progress: TerminalProgress.make(quiet: global.quiet || output.json))
        } catch let blocked as HooksBlocked {
            if output.json { try Output.json(blocked.report, schema: "hooks-report.schema.json") } else { HookReportText.print(blocked.report, quiet: false) }
            throw blocked
        }
        if output.json { return try Output.json(result, schema: "pull.schema.json") }
        if !global.quiet {
            Output.line("Fetched \(result.fetch.remote): \(result.fetch.commitsVerified) new commit(s), all verified" + (result.contentFetched ? "; content fetched" : ""))
            ErasureText.print(result.fetch.erasuresApplied)
        }
        MergeText.print(result.merge, quiet: global.quiet)
    }
}
