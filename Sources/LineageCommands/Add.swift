import ArgumentParser
import Lineage
import LineageCore

struct Add: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stage files and directories: store their bytes and record them for the next commit.",
        discussion: "A tracked path that no longer exists is staged for removal. Rights facts (--meta or the flags) are checked before anything is stored and recorded with the next commit for each path as given.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Option(help: "What the files are: \(ArtifactKind.allCases.map(\.rawValue).joined(separator: "|")) (default: guessed from the name).")
    var kind: ArtifactKind?
    @OptionGroup(title: "Rights and consent") var rights: RightsFlags
    @Argument(help: "Files or directories to add.") var paths: [String]

    func run(in repository: Repository) throws {
        // Rights facts are checked before any byte is stored.
        let input = rights.input
        let facts = input.isEmpty ? nil : try input.facts(cwd: global.cwd, today: CalendarDay.today())
        for warning in facts?.warnings ?? [] { Output.warn(warning) }
        let result = try repository.add(paths, cwd: global.cwd, kind: kind, progress: TerminalProgress.make(quiet: global.quiet))
        if let facts {
            let records = try repository.stageRights(for: paths, cwd: global.cwd, facts: facts.facts)
            if !global.quiet && !output.json { for r in records { Output.line("  rights    \(r.path) (recorded with the next commit)") } }
        }
        if output.json { return try Output.json(result, schema: "add.schema.json") }
        if global.quiet { return }
        let changed = result.files.filter { $0.status != .unchanged }
        if changed.count <= 50 {
            for f in changed {
                let size = f.size.map { " (\(formatBytes($0)))" } ?? ""
                Output.line("  \(f.status.rawValue.rightPadded(9)) \(f.path)\(size)")
            }
        }
        func count(_ s: AddedFile.Status) -> Int { result.files.filter { $0.status == s }.count }
        Output.line("Staged \(count(.new)) new, \(count(.modified)) modified, \(count(.removed)) removed file(s); \(count(.unchanged)) unchanged; \(formatBytes(result.newBytes)) new in the store.")
        if let problem = result.gitignoreProblem {
            Output.warn("could not update the lineage block of .gitignore (\(problem)); git may show the data paths — fix the file's permissions and add again")
        }
        if !result.skipped.isEmpty {
            Output.warn("skipped \(result.skipped.count) symbolic link(s), special file(s) or name(s) lineage cannot record (a newline, a backslash, or bytes that are not UTF-8 — rename them to track them), e.g. \(result.skipped.prefix(3).joined(separator: ", "))")
        }
    }
}

extension ArtifactKind: ExpressibleByArgument {}
