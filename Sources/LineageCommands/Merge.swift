import ArgumentParser
import Lineage

struct Merge: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join another branch's history into the current branch.",
        discussion: """
            A fast-forward when the current branch is behind. Otherwise a three-way merge: a path changed on \
            one side only takes that side's version; a path changed on both sides to different versions is a \
            conflict (exit 3, nothing changed), resolved by merging again with `--ours -- <paths>` or \
            `--theirs -- <paths>`. Run, check and erasure records are merged by union; a consent withdrawal on \
            either side survives. The pre-commit hooks of the merged lineage.yaml run on the merged result \
            (a failing hook blocks the merge, exit 1), and the merge commit is signed with both parents.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Flag(help: "For the paths after `--`: keep this branch's version.") var ours = false
    @Flag(help: "For the paths after `--`: take the merged branch's version.") var theirs = false
    @Option(name: .shortAndLong, help: "The merge commit's message.") var message: String?
    @Flag(name: [.customShort("n"), .long], help: "Skip the pre-commit hooks; the signed commit records that they were skipped and by whom.")
    var noVerify = false
    @Argument(help: "The branch to merge: a local branch, <remote>/<branch> as last fetched, or any revision.") var revision: String
    @Argument(parsing: .postTerminator, help: "Conflicting paths to resolve with --ours or --theirs (also `lineage.yaml`, `.lineage/allowed_signers`).")
    var paths: [String] = []

    func validate() throws {
        if ours && theirs { throw ValidationError("choose --ours or --theirs, not both (merge once per side if you need both)") }
        if (ours || theirs) && paths.isEmpty { throw ValidationError("name the paths to resolve after `--`, e.g. `lineage merge \(revision) --theirs -- data/train.csv`") }
        if !paths.isEmpty && !(ours || theirs) { throw ValidationError("say which side the paths take: --ours or --theirs") }
    }

    func run(in repository: Repository) throws {
        var resolve: [String: MergeChoice] = [:]
        for p in paths { resolve[p] = ours ? .ours : .theirs }
        let result: MergeResult
        do {
            result = try repository.merge(revision, resolve: resolve, cwd: global.cwd, message: message, noVerify: noVerify,
                                          progress: TerminalProgress.make(quiet: global.quiet || output.json))
        } catch let blocked as HooksBlocked {
            if output.json { try Output.json(blocked.report, schema: "hooks-report.schema.json") } else { HookReportText.print(blocked.report, quiet: false) }
            throw blocked
        }
        if output.json { return try Output.json(result, schema: "merge.schema.json") }
        MergeText.print(result, quiet: global.quiet)
    }
}

enum MergeText {
    static func print(_ r: MergeResult, quiet: Bool) {
        if let hooks = r.hooks { HookReportText.print(hooks, quiet: quiet) }
        if quiet { return Output.line(r.commit) }
        switch r.kind {
        case .upToDate: Output.line("Already up to date with \(r.revision).")
        case .fastForward:
            Output.line("Fast-forward to \(r.commit.prefix(12)) (\(r.revision)): \(r.fromTheirs.count) path(s) changed, \(r.written.count) file(s) written, \(r.removed.count) removed.")
        case .merge:
            Output.line("[\(r.branch ?? "detached HEAD") \(r.commit.prefix(12))] merged \(r.revision) (\(r.merged.prefix(12))), signed, 2 parents")
            Output.line(" \(r.fromTheirs.count) path(s) from \(r.revision), \(r.records) record(s) merged, \(r.written.count) file(s) written, \(r.removed.count) removed" + (r.noVerify ? "; hooks skipped (--no-verify, recorded)" : ""))
            for res in r.resolved { Output.line(" resolved \(res.path) (\(res.kind)): \(res.side.rawValue)") }
        }
        if !r.notFetched.isEmpty {
            Output.line(" \(r.notFetched.count) file(s) not fetched here (partial content): `lineage pull -- <path>` or `lineage checkout HEAD -- <path>` fetches them")
        }
    }
}
