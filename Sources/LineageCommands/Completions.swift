import ArgumentParser
import Lineage

struct Completions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a shell completion script (bash, zsh or fish).",
        discussion: """
            bash: `lineage completions bash > /etc/bash_completion.d/lineage` (or source it from ~/.bashrc); \
            zsh: `lineage completions zsh > "${fpath[1]}/_lineage"`; fish: `lineage completions fish > ~/.config/fish/completions/lineage.fish`.
            """)
    @Argument(help: "The shell: bash, zsh or fish.") var shell: String

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw LineageError.invalidArgument("'\(shell)' is not a shell lineage has completions for — use bash, zsh or fish")
        }
        Output.write(LineageMain.completionScript(for: kind))
    }
}
