import ArgumentParser
import Lineage

struct LsFiles: RepositoryCommand {
    static let configuration = CommandConfiguration(commandName: "ls-files", abstract: "List tracked files (staged, or at a revision).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Flag(name: .shortAndLong, help: "Also show digest, size and kind.") var long = false
    @Argument(help: "A revision (default: the staged files).") var revision: String?

    func run(in repository: Repository) throws {
        let files = try repository.listFiles(revision: revision)
        if output.json { return try Output.json(files, as: "files", schema: "ls-files.schema.json") }
        for f in files {
            if long {
                Output.line("\(f.sha256.hex.prefix(16))  \(String(f.size).leftPadded(12))  \(f.kind.rawValue.rightPadded(11)) \(f.path)")
            } else {
                Output.line(f.path)
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
    /// Padded with spaces on the right to `width` characters (Foundation's `padding(toLength:)` is
    /// slow enough to show when listing 100,000 files).
    func rightPadded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
