import ArgumentParser
import Lineage

struct Commit: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Record the staged files as a new commit.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Option(name: .shortAndLong, help: "The commit message.") var message: String

    func run(in repository: Repository) throws {
        let result = try repository.commit(message: message)
        if output.json { return try Output.json(result) }
        if global.quiet { return Output.line(result.commit) }
        let subject = message.split(separator: "\n").first.map(String.init) ?? ""
        Output.line("[\(result.branch ?? "detached HEAD") \(result.commit.prefix(12))] \(subject)")
        Output.line(" \(result.filesChanged) file(s) changed")
    }
}
