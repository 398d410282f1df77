import ArgumentParser
import Lineage

struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage signing keys.", subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an Ed25519 signing key in OpenSSH format (mode 0600) and its .pub.",
            discussion: "The default place is $XDG_CONFIG_HOME/lineage/keys/id_ed25519 (~/.config/... when unset). Keys are never written inside a lineage working directory. On a terminal a passphrase is asked (empty for none); the key file is then encrypted as ssh-keygen does, and lineage asks for it once per command, or signs through ssh-agent after `ssh-add`.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption
        @Option(help: ArgumentHelp("Where to write the private key.", valueName: "path")) var file: String?
        @Option(help: "The key's comment (default user@host).") var comment: String?
        @Flag(help: "Do not ask for a passphrase; the key file is not encrypted.") var noPassphrase = false

        func run() throws {
            let key = try Repository.generateKey(at: file, cwd: global.cwd, comment: comment, askPassphrase: !noPassphrase)
            if output.json { return try Output.json(key, schema: "key-generate.schema.json") }
            Output.line("Created \(key.path) (private, mode 0600\(key.encrypted ? ", protected by a passphrase" : "")) and \(key.publicKeyPath)")
            Output.line("Fingerprint: \(key.fingerprint)")
            if !global.quiet {
                Output.line("Use it here with:   lineage config user.signingkey \(key.path)")
                Output.line("Trust it with:      lineage trust add <principal> \(key.publicKeyPath)   (by a key already trusted)")
            }
        }
    }
}
