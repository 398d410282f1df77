import ArgumentParser
import Foundation
import Lineage
import LineageCore

struct Attest: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an in-toto attestation (SLSA Provenance v1 in a signed DSSE envelope) for a tracked artifact.",
        discussion: "The subject is the artifact's files with their SHA-256; the predicate describes the `lineage run` that produced them (inputs with SHA-256, code commit, environment).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A tracked file or directory.") var path: String
    @Option(help: "The revision to attest (default HEAD).") var rev: String?
    @Option(name: .shortAndLong, help: "Write the envelope to this file instead of stdout.") var output: String?

    func run(in repository: Repository) throws {
        let attestation = try repository.attest(path, revision: rev, cwd: global.cwd)
        let text = try CanonicalJSON.pretty(attestation.envelope) + "\n"
        guard let output else { return Output.write(text) }
        let target = output.hasPrefix("/") ? output : global.cwd + "/" + output
        try repository.writeOutsideStore(Array(text.utf8), to: target)
        if !global.quiet {
            Output.line("Wrote \(output): \(attestation.statement.subject.count) subject(s), run \(attestation.run.name) (\(attestation.run.id)), signed by \(attestation.envelope.signatures.first?.keyid ?? "?")")
        }
    }
}
