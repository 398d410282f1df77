import ArgumentParser
import Lineage

struct Checkout: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore files from a revision.",
        discussion: """
            Without paths: a branch name switches to it, any other revision detaches HEAD there, and the \
            working files follow. With `-- paths`, only those are restored and staged; HEAD stays.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Flag(name: .shortAndLong, help: "Overwrite local changes.") var force = false
    @Option(name: .customShort("b"), help: ArgumentHelp("Create this branch at the revision (default HEAD) and switch to it.", valueName: "branch"))
    var newBranch: String?
    @Argument(help: "A revision: HEAD~N, a branch, a commit id or unique prefix (with -b: where the new branch starts).") var revision: String?
    @Argument(parsing: .postTerminator, help: "Paths to restore.") var paths: [String] = []

    func validate() throws {
        if newBranch == nil && revision == nil { throw ValidationError("name a revision or branch to check out, or create one with -b <branch>") }
        if newBranch != nil && !paths.isEmpty { throw ValidationError("-b creates and switches to a branch; it takes no paths") }
    }

    func run(in repository: Repository) throws {
        if let newBranch { try repository.createBranch(newBranch, at: revision) }
        let result = try repository.checkout(newBranch ?? revision!, paths: paths, cwd: global.cwd, force: force,
                                             progress: TerminalProgress.make(quiet: global.quiet))
        if output.json { return try Output.json(result, schema: "checkout.schema.json") }
        if global.quiet { return }
        if paths.isEmpty {
            if let branch = result.branch { Output.line("Switched to branch '\(branch)'") }
            else { Output.line("HEAD is now at \(result.commit.prefix(12)) (detached; `lineage checkout main` goes back)") }
        }
        Output.line("Restored \(result.written.count) file(s), removed \(result.removed.count), \(result.unchanged) already up to date"
                    + (result.notFetched.isEmpty ? "." : "; \(result.notFetched.count) not fetched here (`lineage checkout <rev> -- <path>` fetches them)."))
    }
}
