import ArgumentParser
import Lineage

struct Status: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Show staged, modified, deleted and unchanged tracked files.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption

    func run(in repository: Repository) throws {
        let result = try repository.status(progress: TerminalProgress.make(quiet: global.quiet))
        if output.json {
            try Output.json(result, schema: "status.schema.json")
            let unreadable = result.files.filter { $0.worktree == .unreadable }
            return unreadable.isEmpty ? () : try Status.failUnreadable(unreadable)
        }
        if let branch = result.branch { Output.line("On branch \(branch)") }
        else if let head = result.head { Output.line("HEAD detached at \(head.prefix(12))") }
        if result.head == nil { Output.line("No commits yet") }
        let staged = result.files.filter { $0.staged != .unchanged }
        if !staged.isEmpty {
            Output.line("Changes to be committed:")
            for f in staged {
                let label = f.staged == .new ? "new file:" : f.staged == .modified ? "modified:" : "deleted:"
                Output.line("  " + Output.color(label.rightPadded(11) + " " + f.path, "32"))
            }
        }
        let unstaged = result.files.filter { $0.worktree == .modified || ($0.worktree == .deleted && $0.staged != .deleted) }
        if !unstaged.isEmpty {
            Output.line("Changes not staged for commit (use `lineage add <path>` to stage them):")
            for f in unstaged {
                let label = f.worktree == .modified ? "modified:" : "deleted:"
                Output.line("  " + Output.color(label.rightPadded(11) + " " + f.path, "31"))
            }
        }
        let unreadable = result.files.filter { $0.worktree == .unreadable }
        if !unreadable.isEmpty {
            Output.line("Unreadable (whether they changed is unknown; fix their permissions):")
            for f in unreadable { Output.line("  " + Output.color("unreadable:".rightPadded(11) + " " + f.path + " (\(f.reason ?? "cannot read"))", "31")) }
        }
        let unchanged = result.files.filter { $0.staged == .unchanged && $0.worktree == .unchanged }.count
        let notFetched = result.files.filter { $0.worktree == .notFetched }.count
        if notFetched > 0 {
            Output.line("\(notFetched) tracked file(s) not fetched here (partial content; `lineage checkout HEAD -- <path>` fetches them).")
        }
        if staged.isEmpty && unstaged.isEmpty {
            Output.line(result.files.isEmpty ? "Nothing tracked yet (use `lineage add <path>`)." : "Nothing to commit, \(unchanged) tracked file(s) unchanged.")
        } else {
            Output.line("\(unchanged) tracked file(s) unchanged.")
        }
        if !unreadable.isEmpty {
            try Status.failUnreadable(unreadable)
        }
    }

    /// Exit 5 (an OS error) after the report, naming the first file that could not be read.
    static func failUnreadable(_ files: [FileStatus]) throws {
        Output.error("cannot read \(files.count) tracked file(s), e.g. '\(files[0].path)': \(files[0].reason ?? "unknown reason") — fix their permissions and run `lineage status` again")
        throw ExitSignal(code: ExitCode32.system)
    }
}
