import Foundation
import LineageCore
import LineageGit

/// `show --provenance`: who signed a commit, whether that holds, and the runs behind it.
public struct ProvenanceResult: Codable, Sendable {
    public let commit: LogEntry
    public let signature: CommitVerdict
    /// Runs this commit records.
    public let runs: [RunRecord]
    /// With `rev:path`: the file, and the run that produced this version of it (nil when it was added by hand).
    public var file: FileInfo?
    public var producedBy: RunRecord?
}

extension Repository {
    static let runsDirectory = "runs"

    /// Where a run's record lives below `.lineage/` (sharded by the id's last two hex digits, which are random).
    static func runRecordPath(_ id: String) -> String { "\(runsDirectory)/\(id.suffix(2))/\(id).json" }

    public func provenance(_ spec: String) throws -> ProvenanceResult {
        let rev = spec.contains(":") ? try splitRevisionPath(spec).revision : spec
        let commit = try resolveRevision(rev)
        let info = try git.commit(commit)
        // Resolved along the history: a commit on top of an unverified one is not good.
        let verdict = try commitVerdict(commit)
        let record = try commitRecord(of: info)
        let runs = try (record?.runs ?? []).map { try runRecord($0, inTree: info.tree) }
        var result = ProvenanceResult(commit: LogEntry(info), signature: verdict, runs: runs)
        if spec.contains(":") {
            let path = try splitRevisionPath(spec).path
            let file = try fileInfo(path: path.string, pointerID: try pointerID(at: commit, path: path))
            result.file = file
            result.producedBy = try producer(of: path.string, sha256: file.sha256, inTree: info.tree)
        }
        return result
    }

    /// The runs one commit records (not those carried forward from earlier commits).
    public func runs(recordedIn revision: String) throws -> [RunRecord] {
        let info = try git.commit(try resolveRevision(revision))
        return try (commitRecord(of: info)?.runs ?? []).map { try runRecord($0, inTree: info.tree) }
    }

    func commitRecord(of info: CommitInfo) throws -> CommitRecord? {
        guard let blob = try git.entry(inTree: info.tree, path: Repository.commitRecordPath) else { return nil }
        return try CommitRecord.decode(try git.readBlob(blob))
    }

    func runRecord(_ id: String, inTree tree: ObjectID) throws -> RunRecord {
        guard let blob = try git.entry(inTree: tree, path: RecordTree.directory + "/" + Repository.runRecordPath(id)) else {
            throw LineageError.damagedRepository("run record \(id) is named by the commit but missing from its tree")
        }
        return try RunRecord.decode(try git.readBlob(blob))
    }

    /// Every run recorded up to a commit (records are carried forward in each tree).
    func allRuns(inTree tree: ObjectID) throws -> [RunRecord] {
        try git.records(inTree: tree).filter { $0.path.hasPrefix(Repository.runsDirectory + "/") && $0.path.hasSuffix(".json") }
            .map { try RunRecord.decode(try git.readBlob($0.id)) }
    }

    /// The latest run whose outputs hold `path` (or files below it) with this digest. A run that
    /// reused an earlier run's outputs (`repro`'s run cache) did not make them: that earlier run did.
    func producer(of path: String, sha256: Digest?, inTree tree: ObjectID) throws -> RunRecord? {
        let runs = try allRuns(inTree: tree)
        let latest = runs.filter { run in run.outputs.contains { $0.path == path && (sha256 == nil || $0.sha256 == sha256) } }
            .max { $0.startedAt < $1.startedAt }
        if let original = latest?.reusedFrom, let made = runs.first(where: { $0.id == original }) { return made }
        return latest
    }
}
