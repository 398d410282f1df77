import Foundation
import LineageCore
import LineageGit
import LineageStore

/// Runs whose commit the pre-commit hooks blocked, kept locally until their outputs are recorded.
///
/// A blocked run commits nothing, but its outputs stay in the working tree; a later commit may
/// record those very bytes (a `commit --no-verify`, another run reading them as inputs, or any
/// commit after the hook was changed). Without this, the provenance of everything built on them
/// would end at "added by hand". So a blocked run's record waits in `.lineage/blocked-runs/`, and the
/// commit that records one of its output versions carries it, marked with what blocked it.
extension Repository {
    var blockedRunsDirectory: String { layout.dotLineage + "/blocked-runs" }

    /// Keeps a blocked run's record (with the hooks that failed) for a later commit to carry.
    func rememberBlockedRun(_ record: RunRecord, report: HooksReport, at stamp: Int64) {
        var record = record
        let failed = report.outcomes.filter { $0.outcome == .failed }.map { o -> String in
            let counts = o.counts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            return "\(o.validator) (lineage.yaml:\(o.line))" + (counts.isEmpty ? "" : ": " + counts)
        }
        record.blocked = RunBlock(blockedAt: Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(stamp))), hooks: failed)
        guard let bytes = try? record.encoded() else { return }
        try? FileManager.default.createDirectory(atPath: blockedRunsDirectory, withIntermediateDirectories: true)
        // Best effort: losing this note loses a provenance hint, never data.
        try? AtomicFile.write(bytes, to: blockedRunsDirectory + "/\(record.id).json")
    }

    /// Blocked runs at least one of whose output versions is among `recorded` (path → SHA-256 this
    /// commit newly records), with the files that hold them.
    func blockedRuns(producing recorded: [PathKey: Digest]) -> [(record: RunRecord, file: String)] {
        guard !recorded.isEmpty, let names = try? FileManager.default.contentsOfDirectory(atPath: blockedRunsDirectory) else { return [] }
        var out: [(RunRecord, String)] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            let file = blockedRunsDirectory + "/" + name
            guard let data = FileManager.default.contents(atPath: file), let record = try? RunRecord.decode(Array(data)) else { continue }
            if record.outputs.contains(where: { recorded[PathKey($0.path)] == $0.sha256 }) { out.append((record, file)) }
        }
        return out
    }
}
