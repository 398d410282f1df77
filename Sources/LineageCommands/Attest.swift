import ArgumentParser
import Foundation
import Lineage
import LineageCore

struct Attest: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an in-toto attestation (SLSA Provenance v1 in a signed DSSE envelope) for a tracked artifact.",
        discussion: "The subject is the artifact's files with their SHA-256; the predicate describes the `lineage run` that produced them (inputs with SHA-256, code commit, environment).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var json: JSONOption
    @Argument(help: "A tracked file or directory.") var path: String
    @Option(help: "The revision to attest (default HEAD).") var rev: String?
    @Option(name: .shortAndLong, help: "Write the envelope to this file instead of stdout.") var output: String?

    func run(in repository: Repository) throws {
        let attestation = try repository.attest(path, revision: rev, cwd: global.cwd)
        let text = try CanonicalJSON.pretty(attestation.envelope) + "\n"
        if let output {
            let target = output.hasPrefix("/") ? output : global.cwd + "/" + output
            try repository.writeOutsideStore(Array(text.utf8), to: target)
        }
        if json.json {
            return try Output.json(AttestJSON(path: path, file: output, run: attestation.run.id, statement: attestation.statement, envelope: attestation.envelope),
                                   schema: "attest.schema.json")
        }
        guard output != nil else { return Output.write(text) }
        if !global.quiet {
            Output.line("Wrote \(output!): \(attestation.statement.subject.count) subject(s), run \(attestation.run.name) (\(attestation.run.id)), signed by \(attestation.envelope.signatures.first?.keyid ?? "?")")
        }
    }
}

/// What `attest --json` prints: the statement (the envelope's payload, decoded) beside the signed
/// envelope, the run it describes, and the file written with -o.
struct AttestJSON<Envelope: Encodable>: Encodable {
    var path: String
    var file: String?
    var run: String
    var statement: InTotoStatement
    var envelope: Envelope
}
