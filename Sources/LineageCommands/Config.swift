import ArgumentParser
import Lineage

struct Config: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Get or set a key of .lineage/config (git config format), e.g. user.name.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Remove the key.") var unset = false
    @Argument(help: "The key, e.g. user.email.") var key: String
    @Argument(help: "The value to set.") var value: String?

    func run(in repository: Repository) throws {
        if unset { return try repository.config(unset: key) }
        if let value { return try repository.config(set: key, value: value) }
        guard let current = try repository.config(get: key) else { throw ExitSignal(code: 1) }
        Output.line(current)
    }
}
