import ArgumentParser
import Lineage

struct Config: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Get or set a key of .lineage/config (git config format), e.g. user.name.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Flag(help: "Remove the key.") var unset = false
    @Argument(help: "The key, e.g. user.email.") var key: String
    @Argument(help: "The value to set.") var value: String?

    func run(in repository: Repository) throws {
        struct ConfigJSON: Encodable { var key: String; var value: String? }
        if unset || value != nil {
            if unset { try repository.config(unset: key) } else { try repository.config(set: key, value: value!) }
            return output.json ? try Output.json(ConfigJSON(key: key, value: value), schema: "config.schema.json") : ()
        }
        // A key that is not set exits 1, as `git config` does (with --json, after printing a null value).
        let current = try repository.config(get: key)
        if output.json { try Output.json(ConfigJSON(key: key, value: current), schema: "config.schema.json") }
        else if let current { Output.line(current) }
        if current == nil { throw ExitSignal(code: 1) }
    }
}
