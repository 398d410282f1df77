import ArgumentParser
import Lineage

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a lineage repository (.lineage/) in the current directory.",
        discussion: """
        Inside a git work tree, .lineage/ and the data paths lineage tracks are kept out of git through a block \
        of .gitignore that lineage maintains (files git already tracks, code and lineage.yaml stay visible); \
        --no-gitignore turns that off.
        """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Flag(help: "Do not keep .lineage/ and tracked data paths in a block of .gitignore.") var noGitignore = false

    func run() throws {
        let repository = try Repository.initialize(at: global.cwd, gitignore: !noGitignore)
        if output.json {
            struct InitJSON: Encodable { var lineageDirectory: String; var report: InitReport? }
            return try Output.json(InitJSON(lineageDirectory: repository.layout.dotLineage, report: repository.initReport), schema: "init.schema.json")
        }
        if !global.quiet { Output.line("Initialized empty lineage repository in \(repository.layout.dotLineage)") }
        guard let report = repository.initReport else { return }
        if let problem = report.keyProblem {
            Output.warn("no signing key could be set up (\(problem)); commits need one — run `lineage key generate` and `lineage config user.signingkey PATH`")
        } else if let path = report.keyPath, let principal = report.principal, !global.quiet {
            Output.line(report.keyCreated ? "Created signing key \(path) (\(report.fingerprint ?? ""))" : "Signing with \(path) (\(report.fingerprint ?? ""))")
            Output.line("Trusted it as \(principal) in .lineage/allowed_signers; the first commit records that trust")
        }
        if let file = report.gitignore, !global.quiet {
            Output.line("Inside a git work tree: added .lineage/ to \(file), in a block lineage keeps for the data paths it tracks (--no-gitignore to turn off)")
        }
    }
}
