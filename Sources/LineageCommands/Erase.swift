import ArgumentParser
import Foundation
import Lineage

struct Erase: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase an artifact version's bytes from the local store, leaving a signed tombstone.",
        discussion: """
        For erasure requests (GDPR Art. 17). Chunks other versions still use are kept. History is not rewritten: \
        the tombstone (who, when, why, digest) is committed and signed, `verify` still passes and lists the erasure, \
        and `checkout`/`cat` of the erased version fail naming the tombstone. Your working file is not touched.
        """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "<path>[@<rev>] (default: the version at HEAD).") var spec: String
    @Option(help: "Why (e.g. the erasure request's reference); recorded in the signed tombstone.") var reason: String

    func run(in repository: Repository) throws {
        let result = try repository.erase(spec, reason: reason, cwd: global.cwd)
        if output.json { return try Output.json(result, schema: "erase.schema.json") }
        if global.quiet { return Output.line(result.commit) }
        Output.line("Erased \(result.record.path) (\(result.record.sha256.hex.prefix(12))): \(result.objectsRemoved) object(s), \(formatBytes(result.bytesRemoved)) removed; \(result.chunksShared) chunk(s) kept for other versions [\(result.commit.prefix(12))]")
        if result.workingFileHasContent {
            Output.warn("\(result.record.path) in your working directory still holds these bytes; delete or replace it yourself")
        }
    }
}
