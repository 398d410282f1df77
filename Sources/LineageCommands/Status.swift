import ArgumentParser
import Lineage

struct Status: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Show staged, modified, deleted and unchanged tracked files.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption

    func run(in repository: Repository) throws {
        let result = try repository.status(progress: TerminalProgress.make(quiet: global.quiet))
        if output.json { return try Output.json(result) }
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
        let unchanged = result.files.filter { $0.staged == .unchanged && $0.worktree == .unchanged }.count
        if staged.isEmpty && unstaged.isEmpty {
            Output.line(result.files.isEmpty ? "Nothing tracked yet (use `lineage add <path>`)." : "Nothing to commit, \(unchanged) tracked file(s) unchanged.")
        } else {
            Output.line("\(unchanged) tracked file(s) unchanged.")
        }
    }
}
