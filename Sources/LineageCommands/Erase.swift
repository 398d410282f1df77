import ArgumentParser
import Foundation
import Lineage

struct Erase: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase an artifact version's bytes from the local store, leaving a signed tombstone.",
        discussion: """
        For erasure requests (GDPR Art. 17). Chunks other versions still use are kept. History is not rewritten: \
        the tombstone (who, when, why, digest) is committed and signed, `verify` still passes and lists the erasure, \
        and `checkout`/`cat` of the erased version fail naming the tombstone. Your working file is not touched. \
        `lineage push` sends the tombstone, then removes the bytes from the remote's content location (chunks that \
        retained versions share stay); clones that fetch apply it. `--status` lists every erasure and, per remote, \
        whether its bytes are gone there or why they are pending.
        """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "<path>[@<rev>] (default: the version at HEAD).") var spec: String?
    @Option(help: "Why (e.g. the erasure request's reference); recorded in the signed tombstone.") var reason: String?
    @Flag(help: "List every erasure and, per remote, whether its bytes are gone there (applied) or pending, and why.")
    var status = false

    func validate() throws {
        if status {
            guard spec == nil, reason == nil else { throw ValidationError("--status lists erasures; it takes no <path> or --reason") }
        } else {
            guard spec != nil else { throw ValidationError("name the version to erase: lineage erase <path>[@<rev>] --reason \"...\" (or --status to list erasures)") }
            guard reason != nil else { throw ValidationError("say why with --reason \"...\" (e.g. the erasure request's reference); it goes into the signed tombstone") }
        }
    }

    func run(in repository: Repository) throws {
        if status { return try printStatus(repository) }
        guard let spec, let reason else { return }
        let result = try repository.erase(spec, reason: reason, cwd: global.cwd)
        if output.json { return try Output.json(result, schema: "erase.schema.json") }
        if global.quiet { return Output.line(result.commit) }
        Output.line("Erased \(result.record.path) (\(result.record.sha256.hex.prefix(12))): \(result.objectsRemoved) object(s), \(formatBytes(result.bytesRemoved)) removed; \(result.chunksShared) chunk(s) kept for other versions [\(result.commit.prefix(12))]")
        if result.workingFileHasContent {
            Output.warn("\(result.record.path) in your working directory still holds these bytes; delete or replace it yourself")
        }
    }

    private func printStatus(_ repository: Repository) throws {
        let result = try repository.eraseStatus()
        if output.json { return try Output.json(result, schema: "erase-status.schema.json") }
        if global.quiet { return }
        if result.erasures.isEmpty { return Output.line("No erasures.") }
        for e in result.erasures {
            let r = e.record
            Output.line("\(r.path) (\(r.sha256.hex.prefix(12)), \(formatBytes(r.size))) erased \(r.erasedAt) by \(r.erasedBy): \(r.reason)"
                        + (e.atHead ? "" : " [received, not merged into this branch yet]"))
            if e.remotes.isEmpty { Output.line("  (no remotes)") }
            for s in e.remotes {
                switch s.state {
                case .applied:
                    Output.line("  \(s.remote): " + Output.color("applied", "32") + " \(s.at ?? "") — \(s.objectsErased ?? 0) object(s) erased, \(s.chunksShared ?? 0) shared chunk(s) kept")
                case .pending:
                    Output.line("  \(s.remote): " + Output.color("pending", "31") + " — \(s.reason ?? "")")
                case .noContent:
                    Output.line("  \(s.remote): no content location (it holds no bytes)")
                }
                if let clones = s.clones {
                    Output.line("    clones that reported they hold no copy: " + (clones.isEmpty ? "none yet" : clones.map { "\($0.user) (\($0.clone.prefix(8)), \($0.appliedAt))" }.joined(separator: "; ")))
                } else if let why = s.clonesUnknown {
                    Output.line("    clones' reports could not be read: \(why)")
                }
            }
        }
        if result.pending > 0 { Output.line("\(result.pending) erasure(s) pending on some remote.") }
    }
}
