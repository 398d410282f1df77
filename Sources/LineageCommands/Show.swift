import ArgumentParser
import Lineage

struct Show: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Show a commit and its changes, or one file's record with <rev>:<path>.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "<rev> or <rev>:<path> (default HEAD).") var spec: String = "HEAD"

    func run(in repository: Repository) throws {
        let result = try repository.show(spec)
        if output.json { return try Output.json(result) }
        if let f = result.file {
            Output.line("path:       \(f.path)")
            Output.line("commit:     \(result.commit.commit)")
            Output.line("size:       \(f.size) (\(formatBytes(f.size)))")
            Output.line("sha256:     \(f.sha256.hex)")
            Output.line("kind:       \(f.kind.rawValue)")
            Output.line("media type: \(f.mediaType)")
            Output.line("chunks:     \(f.chunks.map(String.init) ?? "?") (list \(f.chunkList.hex))")
            Output.line("pointer:    \(f.pointer)")
            return
        }
        let c = result.commit
        Output.line(Output.color("commit \(c.commit)", "33"))
        Output.line("Author: \(c.author.name) <\(c.author.email)>")
        Output.line("Date:   \(c.author.date)")
        Output.line()
        for line in c.message.split(separator: "\n") { Output.line("    \(line)") }
        Output.line()
        for d in result.changes ?? [] { Output.line(Diff.describe(d)) }
    }
}
