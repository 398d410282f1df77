import ArgumentParser
import Lineage

struct Branch: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, create or delete branches.",
        discussion: """
            Without a name: lists local branches (the current one marked *), how each stands against its \
            remote branch (`origin/<name>`, as last fetched), and the remote-tracking branches. With a name: \
            creates a branch at <start> (default HEAD) without switching to it (`lineage checkout -b` does both).
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Flag(name: [.customShort("d"), .long], help: "Delete the branch (refused when its commits are on no other branch, unless --force).")
    var delete = false
    @Flag(name: .long, help: "With --delete: delete even when its commits are on no other branch.") var force = false
    @Argument(help: "The branch to create or delete.") var name: String?
    @Argument(help: "Where a new branch starts: a revision or <remote>/<branch> (default HEAD).") var start: String?

    func run(in repository: Repository) throws {
        if delete {
            guard let name else { throw ValidationError("name the branch to delete: `lineage branch --delete <name>`") }
            let gone = try repository.deleteBranch(name, force: force)
            if output.json { return try Output.json(gone, schema: "branch.schema.json") }
            if !global.quiet { Output.line("Deleted branch \(gone.name) (was \(gone.commit.prefix(12))).") }
            return
        }
        if let name {
            let made = try repository.createBranch(name, at: start)
            if output.json { return try Output.json(made, schema: "branch.schema.json") }
            if !global.quiet { Output.line("Created branch \(made.name) at \(made.commit.prefix(12)).") }
            return
        }
        let list = try repository.listBranches()
        if output.json { return try Output.json(list, schema: "branch-list.schema.json") }
        for b in list.branches {
            var line = (b.current ? "* " : "  ") + b.name + " " + b.commit.prefix(12)
            if let up = b.upstream, let ahead = b.ahead, let behind = b.behind {
                let state = ahead == 0 && behind == 0 ? "up to date" : [ahead > 0 ? "ahead \(ahead)" : nil, behind > 0 ? "behind \(behind)" : nil].compactMap { $0 }.joined(separator: ", ")
                line += " [\(up): \(state)]"
            }
            Output.line(line)
        }
        for r in list.remote where !global.quiet { Output.line("  remotes/\(r.name) \(r.commit.prefix(12))") }
    }
}
