import ArgumentParser
import Lineage

struct Diff: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Show files that differ between two revisions, or a revision and the working directory.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The old revision.") var from: String
    @Argument(help: "The new revision (default: the working directory).") var to: String?
    @Argument(parsing: .postTerminator, help: "Only these paths (files or directories), after --.") var paths: [String] = []

    func run(in repository: Repository) throws {
        let result = try repository.diff(from: from, to: to, paths: paths, cwd: global.cwd)
        if output.json { return try Output.json(result, schema: "diff.schema.json") }
        for e in result.entries { Output.line(Diff.describe(e)) }
        if result.entries.isEmpty && !global.quiet { Output.line("No differences.") }
    }

    static func describe(_ e: DiffEntry) -> String {
        let label = e.change.rawValue.rightPadded(9)
        switch e.change {
        case .added: return Output.color(label, "32") + " \(e.path)  \(formatBytes(e.new?.size ?? 0))  \(e.new?.sha256.hex.prefix(12) ?? "")"
        case .deleted: return Output.color(label, "31") + " \(e.path)  \(formatBytes(e.old?.size ?? 0))"
        case .modified:
            var text = Output.color(label, "33") + " \(e.path)  \(formatBytes(e.old?.size ?? 0)) → \(formatBytes(e.new?.size ?? 0))"
            if let shared = e.sharedBytes, let size = e.new?.size, size > 0 {
                text += String(format: "  (%.1f%% of the new bytes in chunks already stored)", Double(shared) * 100 / Double(size))
            }
            return text
        }
    }
}
