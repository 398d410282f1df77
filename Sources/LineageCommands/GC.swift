import ArgumentParser
import Foundation
import Lineage

struct GC: RepositoryCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete stored content that no commit or staged file refers to, and repack; with --remote, collect a remote's unreachable content.",
        discussion: """
        With --remote <name>: fetches the remote's history, then sweeps what an earlier run marked (if its grace \
        period has passed, and only what is still unreachable and unchanged) and marks what no reference here or on \
        the remote reaches now, for a later run at least --grace from now. Safe while others push, on a store with \
        conditional requests (S3, moto, a directory); elsewhere it refuses unless --no-concurrent-writers.
        """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Option(help: ArgumentHelp("Collect the content location of this remote instead of the local store.", valueName: "name"))
    var remote: String?
    @Flag(help: "With --remote: report what would be swept and marked; change nothing.")
    var dryRun = false
    @Option(help: ArgumentHelp("With --remote: how long marked content waits before a later run deletes it (e.g. 7d, 12h, 30m, 0s).", valueName: "duration"))
    var grace: String?
    @Flag(help: "With --remote: run on a store without conditional requests; only when nobody else writes to the remote meanwhile.")
    var noConcurrentWriters = false

    func validate() throws {
        if remote == nil {
            if dryRun || grace != nil || noConcurrentWriters {
                throw ValidationError("--dry-run, --grace and --no-concurrent-writers go with --remote <name>")
            }
        }
        if let grace, GC.seconds(grace) == nil {
            throw ValidationError("--grace '\(grace)' is not a duration: a number with s, m, h, d or w (e.g. 7d, 12h, 0s)")
        }
    }

    /// Seconds of a duration like `7d`, `12h`, `30m`, `45s`, `2w` (a bare number is seconds).
    static func seconds(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800]
        var digits = Substring(text)
        var factor = 1.0
        if let last = text.last, let f = units[last] { factor = f; digits = text.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Double(digits) else { return nil }
        return n * factor
    }

    func run(in repository: Repository) throws {
        if let remote { return try runRemote(remote, repository) }
        let r = try repository.gc()
        if output.json { return try Output.json(r, schema: "gc.schema.json") }
        if global.quiet { return }
        Output.line("Kept \(r.objectsAfter) of \(r.objectsBefore) objects; store \(formatBytes(r.bytesBefore)) → \(formatBytes(r.bytesAfter)).")
    }

    private func runRemote(_ name: String, _ repository: Repository) throws {
        let r = try repository.gcRemote(name, grace: GC.seconds(grace ?? "7d") ?? 604800, dryRun: dryRun,
                                         allowUnconditional: noConcurrentWriters)
        if output.json { return try Output.json(r, schema: "gc-remote.schema.json") }
        if global.quiet { return }
        let head = "\(r.remote) (\(r.location))"
        if let due = r.due {
            let packs = due.reduce(0) { $0 + $1.packs }, bytes = due.reduce(UInt64(0)) { $0 + $1.bytes }
            Output.line("\(head), dry run: a sweep now would act on \(due.count) mark(s) (\(packs) pack(s), up to \(formatBytes(bytes))), deleting only what is still unreachable")
        }
        if let s = r.swept {
            Output.line("\(head): swept \(s.marks.count) mark(s): \(s.packsDeleted + s.orphanPacksDeleted) pack(s) deleted, \(s.packsRewritten) rewritten, \(s.objectsRemoved) object(s), \(formatBytes(s.bytesDeleted)) freed"
                        + (s.objectsRereferenced > 0 ? "; \(s.objectsRereferenced) object(s) kept (reachable again)" : "")
                        + (s.packsChangedOrGone > 0 ? "; \(s.packsChangedOrGone) pack(s) left alone (changed since the mark)" : ""))
        }
        let m = r.marked
        let verb = r.dryRun ? "would mark" : "marked"
        Output.line("\(head): \(r.reachableObjects) object(s) reachable; \(verb) \(m.packsToDelete + m.orphanPacks) pack(s) to delete and \(m.packsToRewrite) to rewrite (\(m.garbageObjects) object(s), \(formatBytes(m.garbageBytes)))"
                    + (m.sweepableAt.map { r.dryRun ? "" : ", sweepable after \($0)" } ?? "")
                    + (m.packsTooYoung > 0 ? "; \(m.packsTooYoung) pack(s) younger than the grace period left for later" : ""))
        for w in r.waiting { Output.line("  waiting: \(w.mark) (\(w.packs) pack(s), \(formatBytes(w.bytes))) until \(w.sweepableAt ?? "?")") }
        if m.missingPacks > 0 || m.reachableNotListed > 0 {
            Output.warn("\(r.remote): \(m.missingPacks) pack(s) named by index objects are missing and \(m.reachableNotListed) reachable object(s) are listed nowhere — run `lineage verify --remote \(r.remote)`")
        }
    }
}
