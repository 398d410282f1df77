import ArgumentParser
import Lineage
import LineageRemote

struct Push: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a branch's history and bytes to a remote.",
        discussion: "The branch goes to refs/lineage/heads/<branch> on the remote. Refused unless it is a fast-forward of the remote branch as last fetched (\"fetch and merge first\"); the bytes go first, then the remote ref moves only if nobody pushed meanwhile. Then the bytes of versions the remote's tombstones erased are removed from its content location (chunks retained versions share stay); a remote that refuses keeps the erasure pending (`lineage erase --status`) and the push exits non-zero — push again to retry. Commits that would bring erased content back are refused.")
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
        if r.upToDate { Output.line("\(r.remote) \(r.branch): already up to date (\(r.new.prefix(12)))") }
        else { Output.line("\(r.remote) \(r.branch): \(r.old.map { String($0.prefix(12)) } ?? "(new)") -> \(r.new.prefix(12)) (\(r.commits) commit(s); \(r.chunkLists + r.chunks) content object(s) sent first)") }
        if let e = r.erasure { printErasure(e, remote: r.remote) }
    }

    private func printErasure(_ e: RemoteErasureOutcome, remote: String) {
        for v in e.erased {
            Output.line("\(remote): erased \(v.path) (\(v.sha256.dropFirst(7).prefix(12))) from \(e.location): \(v.objectsErased) object(s)"
                        + (v.chunksShared > 0 ? "; \(v.chunksShared) chunk(s) kept because other retained versions still use them" : ""))
        }
        if let report = e.report, report.objectsRemoved + report.packsRewritten + report.packsDropped > 0 {
            Output.line("\(remote): \(report.packsRewritten) pack(s) rewritten without them, \(report.packsDropped + report.orphanPacksDeleted) dropped; \(formatBytes(report.bytesDeleted)) of old packs and indexes deleted, read back and checked")
        }
    }
}
