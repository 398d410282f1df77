import ArgumentParser
import Foundation
import Lineage

struct Clone: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a new repository from a remote's lineage history, verified from its first commit.",
        discussion: "The first commit certifies itself, so its signer is shown and must be confirmed on a terminal; otherwise pass --trust-root with that signer's fingerprint. The accepted root is pinned in .lineage/config (lineage.trustroot); later fetches must descend from it.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @OptionGroup var transfer: TransferOptions
    @Argument(help: "The git URL of the history.") var url: String
    @Argument(help: "The directory to create (default: from the URL).") var directory: String?
    @Option(name: .customLong("trust-root"), help: ArgumentHelp("The fingerprint (SHA256:...) of the key that signed the first commit.", valueName: "fingerprint"))
    var trustRoot: String?
    @Flag(name: .customLong("no-content"), help: "Fetch the history only, not the bytes (`cat` and `checkout <rev> -- <path>` fetch them when needed).") var noContent = false
    @Argument(parsing: .postTerminator, help: "Fetch the bytes of only these paths; the other files stay not fetched.") var paths: [String] = []

    func validate() throws {
        if noContent && !paths.isEmpty { throw ValidationError("--no-content fetches no bytes at all; `-- <paths>` fetches only those — use one of them") }
    }

    func run() throws {
        let interactive = isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1
        let confirm: (([RootSigner]) -> Bool)? = interactive ? { signers in
            Output.flush()
            var text = "The history at \(url) starts with a commit signed by:\n"
            for s in signers { text += "  \(s.summary)  [commit \(s.commit.prefix(12))]\n" }
            text += "Trust it (check the fingerprint with its owner)? [y/N] "
            FileHandle.standardError.write(Data(text.utf8))
            let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return answer == "y" || answer == "yes"
        } : nil
        let r = try Repository.clone(url: url, into: directory, cwd: global.cwd, trustRoot: trustRoot, noContent: noContent,
                                     paths: paths, jobs: transfer.jobs, confirm: confirm, progress: TerminalProgress.make(quiet: global.quiet || output.json))
        if output.json { return try Output.json(r, schema: "clone.schema.json") }
        if global.quiet { return }
        Output.line("Cloned \(r.url) into \(r.root)")
        Output.line("Branch \(r.branch) at \(r.commit.prefix(12)); \(r.commitsVerified) commit(s) verified")
        Output.line("Trusted root \(r.trustRoot.commit.prefix(12)) signed by \(r.trustRoot.summary) (pinned in .lineage/config)")
        if r.contentFetched { Output.line("\(r.filesWritten) file(s) written" + (r.notFetched > 0 ? "; \(r.notFetched) not fetched (`lineage checkout HEAD -- <path>` or `lineage pull -- <path>` fetches them)" : "")) }
        else if noContent { Output.line("History only (--no-content): the files' bytes were not fetched; `cat` and `checkout HEAD -- <path>` fetch them when needed") }
        else { Output.warn("the files' bytes were not fetched: the remote has no content location (\(r.contentLocation ?? "none")); the history is complete") }
    }
}
