import Foundation
import LineageCore
import LineageGit

/// One metric or parameter value.
public struct StageValue: Codable, Sendable, Equatable {
    /// The metrics or params file.
    public var file: String
    /// The dotted key.
    public var key: String
    public var value: RecordValue
    /// The stage that records (or declares) it.
    public var stage: String
}

/// `lineage metrics show`.
public struct MetricsShowResult: Codable, Sendable {
    /// `workspace`, or the revision as given.
    public var revision: String
    /// The commit (hex) when a revision was given.
    public var commit: String?
    public var metrics: [StageValue]

    public init(revision: String, commit: String?, metrics: [StageValue]) {
        self.revision = revision; self.commit = commit; self.metrics = metrics
    }
}

/// One row of `metrics diff` / `params diff`.
public struct ValueChange: Codable, Sendable, Equatable {
    public var file: String
    public var key: String
    /// Absent where the side has no such value.
    public var old: RecordValue?
    public var new: RecordValue?
    /// new − old, when both are numbers.
    public var change: Double?
}

/// `lineage metrics diff` and `lineage params diff`.
public struct ValuesDiffResult: Codable, Sendable {
    /// Revision labels as given (`workspace` for the working directory) and their commits.
    public var old: String
    public var new: String
    public var oldCommit: String?
    public var newCommit: String?
    /// Changed values, by file then key (every value with `all`).
    public var changes: [ValueChange]
}

extension Repository {
    /// Which values: the metrics runs record, or the parameters stages declare.
    public enum StageValueKind: Sendable { case metrics, params }

    /// The values at a revision (from the last run of each stage recorded there) or in the working
    /// directory (nil: metrics files read now, params as the stages declare them now).
    public func stageValues(_ kind: StageValueKind, revision: String?) throws -> (values: [StageValue], commit: String?) {
        var out: [StageValue] = []
        guard let revision else {
            let pipeline = try pipeline()
            for stage in pipeline.stages {
                switch kind {
                case .metrics:
                    for m in stage.metrics where FileStat.lstat(root + "/" + m.path) != nil {
                        let values: RecordValues
                        do { values = try ValuesFile.read(path: root + "/" + m.path, display: m.path) } catch let e as ValuesFileError {
                            throw LineageError.invalidArgument("cannot read the metrics file \(e) — a metrics file is JSON, YAML, or a CSV/TSV with a header and one row")
                        }
                        for (k, v) in values { out.append(StageValue(file: m.path, key: k, value: v, stage: stage.name)) }
                    }
                case .params:
                    for (file, values) in try stageParams(stage, in: pipeline).params {
                        for (k, v) in values { out.append(StageValue(file: file, key: k, value: v, stage: stage.name)) }
                    }
                }
            }
            return (Repository.uniqueSorted(out), nil)
        }
        let commit = try resolveRevision(revision)
        var last: [String: RunRecord] = [:]
        for run in try allRuns(inTree: try git.commit(commit).tree) where run.exitStatus == 0 && run.blocked == nil {
            guard let stage = run.stage else { continue }
            if let seen = last[stage], (seen.startedAt, seen.id) >= (run.startedAt, run.id) { continue }
            last[stage] = run
        }
        for (stage, run) in last {
            for (file, values) in (kind == .metrics ? run.metrics : run.params) ?? [:] {
                for (k, v) in values { out.append(StageValue(file: file, key: k, value: v, stage: stage)) }
            }
        }
        return (Repository.uniqueSorted(out), commit.hex)
    }

    /// One row per (file, key), by file then key in byte order.
    static func uniqueSorted(_ values: [StageValue]) -> [StageValue] {
        var seen = Set<String>()
        return values.sorted { $0.file != $1.file ? $0.file.bytesPrecede($1.file) : $0.key != $1.key ? $0.key.bytesPrecede($1.key) : $0.stage < $1.stage }.filter { seen.insert($0.file + "\u{0}" + $0.key).inserted }
    }

    /// `metrics diff` / `params diff`: `old` defaults to HEAD, `new` to the working directory.
    public func stageValuesDiff(_ kind: StageValueKind, old: String?, new: String?, all: Bool = false) throws -> ValuesDiffResult {
        let oldLabel = old ?? "HEAD"
        let a = try stageValues(kind, revision: oldLabel)
        let b = try stageValues(kind, revision: new)
        var result = ValuesDiffResult(old: oldLabel, new: new ?? "workspace", oldCommit: a.commit, newCommit: b.commit, changes: [])
        func key(_ v: StageValue) -> String { v.file + "\u{0}" + v.key }
        let left = Dictionary(a.values.map { (key($0), $0) }, uniquingKeysWith: { x, _ in x })
        let right = Dictionary(b.values.map { (key($0), $0) }, uniquingKeysWith: { x, _ in x })
        for k in Set(left.keys).union(right.keys) {
            let l = left[k], r = right[k]
            if !all && l?.value == r?.value { continue }
            var change: Double? = nil
            if let x = l?.value.number, let y = r?.value.number { change = y - x }
            result.changes.append(ValueChange(file: (l ?? r)!.file, key: (l ?? r)!.key, old: l?.value, new: r?.value, change: change))
        }
        result.changes.sort { $0.file != $1.file ? $0.file.bytesPrecede($1.file) : $0.key.bytesPrecede($1.key) }
        return result
    }
}
