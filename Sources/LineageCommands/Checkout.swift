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
    @Argument(help: "A revision: HEAD~N, a branch, a commit id or unique prefix.") var revision: String
    @Argument(parsing: .postTerminator, help: "Paths to restore.") var paths: [String] = []

    func run(in repository: Repository) throws {
        let result = try repository.checkout(revision, paths: paths, cwd: global.cwd, force: force,
                                             progress: TerminalProgress.make(quiet: global.quiet))
        if output.json { return try Output.json(result) }
        if global.quiet { return }
        if paths.isEmpty {
            if let branch = result.branch { Output.line("Switched to branch '\(branch)'") }
            else { Output.line("HEAD is now at \(result.commit.prefix(12)) (detached; `lineage checkout main` goes back)") }
        }
        Output.line("Restored \(result.written.count) file(s), removed \(result.removed.count), \(result.unchanged) already up to date.")
    }
}
