import ArgumentParser
import Lineage

struct Fetch: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch a remote's lineage branches; every new commit is verified before anything moves.",
        discussion: "Tracking refs are refs/lineage/remotes/<remote>/<branch>; local branches never move. A branch rewritten on the remote (force-pushed) is reported and left alone (exit 3) unless --force.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The remote (default: origin).") var remote: String = "origin"
    @Flag(help: "Accept branches that were rewritten on the remote (local branches are never touched).") var force = false
    @Option(name: .customLong("trust-root"), help: ArgumentHelp("For a repository without history: the fingerprint (SHA256:...) of the remote's first signer.", valueName: "fingerprint"))
    var trustRoot: String?

    func run(in repository: Repository) throws {
        let r = try repository.fetch(remote: remote, force: force, trustRoot: trustRoot, progress: TerminalProgress.make(quiet: global.quiet || output.json))
        if output.json { try Output.json(r, schema: "fetch.schema.json") } else if !global.quiet {
            for b in r.branches where b.change != .upToDate {
                Output.line("\(r.remote)/\(b.branch): \(b.old.map { String($0.prefix(12)) } ?? "(new)") -> \(b.new.prefix(12)) (\(b.change.rawValue))")
            }
            Output.line("\(r.commitsVerified) new commit(s), all verified")
            ErasureText.print(r.erasuresApplied)
        }
        if let b = r.rewritten.first {
            Output.error(RemoteFailure.rewritten(remote: r.remote, branch: b.branch, was: b.old ?? "", now: b.new).description)
            throw ExitSignal(code: ExitCode32.conflict)
        }
    }
}

enum ErasureText {
    /// Tombstones received from a remote and applied here.
    static func print(_ applied: [AppliedErasure]) {
        for e in applied {
            Output.line("erased here as the remote's tombstone says: \(e.path) (\(e.sha256.prefix(19))): \(e.objectsRemoved) object(s), \(formatBytes(e.bytesRemoved)) removed"
                        + (e.chunksShared > 0 ? ", \(e.chunksShared) chunk(s) kept (other versions share them)" : ""))
            if e.workingFileHasContent { Output.warn("\(e.path) in your working directory still holds the erased bytes; delete it if the erasure applies to you") }
        }
    }
}
