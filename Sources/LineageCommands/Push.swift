import ArgumentParser
import Lineage

struct Push: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a branch's history and bytes to a remote.",
        discussion: "The branch goes to refs/lineage/heads/<branch> on the remote. Refused unless it is a fast-forward of the remote branch as last fetched (\"fetch and merge first\"); the bytes go first, then the remote ref moves only if nobody pushed meanwhile.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @OptionGroup var transfer: TransferOptions
    @Argument(help: "The remote (default: origin).") var remote: String = "origin"
    @Argument(help: "The branch (default: the current one).") var branch: String?

    func run(in repository: Repository) throws {
        repository.transferJobs = transfer.jobs
        let r = try repository.push(remote: remote, branch: branch, progress: TerminalProgress.make(quiet: global.quiet || output.json))
        if let warning = r.contentNotRecorded { Output.warn(warning) }
        if output.json { return try Output.json(r, schema: "push.schema.json") }
        if global.quiet { return }
        if r.upToDate { return Output.line("\(r.remote) \(r.branch): already up to date (\(r.new.prefix(12)))") }
        Output.line("\(r.remote) \(r.branch): \(r.old.map { String($0.prefix(12)) } ?? "(new)") -> \(r.new.prefix(12)) (\(r.commits) commit(s); \(r.chunkLists + r.chunks) content object(s) sent first)")
    }
}
