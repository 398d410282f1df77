import ArgumentParser
import Lineage

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a lineage repository (.lineage/) in the current directory.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let repository = try Repository.initialize(at: global.cwd)
        if !global.quiet { Output.line("Initialized empty lineage repository in \(repository.layout.dotLineage)") }
        guard let report = repository.initReport else { return }
        if let problem = report.keyProblem {
            Output.warn("no signing key could be set up (\(problem)); commits need one — run `lineage key generate` and `lineage config user.signingkey PATH`")
        } else if let path = report.keyPath, let principal = report.principal, !global.quiet {
            Output.line(report.keyCreated ? "Created signing key \(path) (\(report.fingerprint ?? ""))" : "Signing with \(path) (\(report.fingerprint ?? ""))")
            Output.line("Trusted it as \(principal) in .lineage/allowed_signers; the first commit records that trust")
        }
    }
}
