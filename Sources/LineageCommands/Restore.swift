import ArgumentParser
import Lineage

struct Restore: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unstage paths: put their staged versions back to HEAD's (files on disk are left alone).",
        discussion: "As `git restore --staged`. To bring a file's bytes back from a commit, use `lineage checkout <rev> -- <path>`.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Flag(help: "Restore the staging index (the only kind of restore lineage does).") var staged = false
    @Argument(help: "Files or directories.") var paths: [String] = []

    func run(in repository: Repository) throws {
        guard staged else {
            throw ValidationError("lineage restore changes only what is staged: add --staged (to bring back a file's bytes, use `lineage checkout HEAD -- <path>`)")
        }
        let restored = try repository.restoreStaged(paths, cwd: global.cwd)
        if output.json {
            return try Output.json(restored, as: "paths", schema: "restore.schema.json")
        }
        if global.quiet { return }
        for r in restored { Output.line((r.change == .unstaged ? "unstaged  " : "untracked ") + r.path) }
        if restored.isEmpty { Output.line("Nothing staged there differs from HEAD.") }
    }
}
