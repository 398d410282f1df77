import Foundation
import LineageCore
import LineageGit
import LineageStore

/// What `lineage repro` is asked to do.
public struct ReproRequest: Sendable {
    /// Stages to bring up to date (with everything they depend on); empty: every stage.
    public var stages: [String]
    /// Run the stages even when they are fresh (and never reuse outputs).
    public var force = false
    /// Say what would run; run nothing.
    public var dryRun = false
    /// Restore outputs of an identical earlier run instead of running (`--no-run-cache` turns it off).
    public var runCache = true
    /// Commands write their standard output to standard error (`--json`).
    public var stdoutToStderr = false
    /// One commit for every stage that runs, instead of one each; nothing is committed unless all succeed.
    public var singleCommit = false

    public init(stages: [String], force: Bool = false, dryRun: Bool = false, runCache: Bool = true, stdoutToStderr: Bool = false,
                singleCommit: Bool = false) {
        self.stages = stages; self.force = force; self.dryRun = dryRun; self.runCache = runCache; self.stdoutToStderr = stdoutToStderr
        self.singleCommit = singleCommit
    }
}

/// What `repro` did with one stage.
public struct ReproStage: Codable, Sendable {
    public enum Action: String, Codable, Sendable {
        /// The command ran and its run was committed.
        case ran
        /// Its outputs were restored from an identical earlier run and committed as reused.
        case reused
        /// Fresh: nothing to do.
        case skipped
        /// `--dry-run`: stale, would run.
        case wouldRun = "would-run"
        /// `--dry-run`: fresh, but an upstream stage would run first; it runs after it only if that changes its inputs.
        case mayRun = "may-run"
        /// The command failed: nothing was committed for it, and the stages after it did not run.
        case failed
    }
    public var name: String
    public var action: Action
    /// Why it ran (or would): differences from its last run. Empty when skipped.
    public var reasons: [StaleReason]
    public var command: String
    /// The run this stage's last (or new) record is, and the commit that recorded it.
    public var run: String?
    public var commit: String?
    /// With `reused`: the run that made the outputs.
    public var reusedFrom: String?
    /// With `failed`: the command's exit status.
    public var exitStatus: Int32?
    public var notes: [String] = []
}

public struct ReproResult: Codable, Sendable {
    public var dryRun: Bool
    public var stages: [ReproStage]
    /// Set when a command failed: its exit status (repro exits with it).
    public var failedStatus: Int32? { stages.first { $0.action == .failed }?.exitStatus }
}

extension Repository {
    /// `lineage repro`: runs the stale stages among `request.stages` and everything they depend on,
    /// in dependency order, each as a `lineage run` (signed, hooks on its outputs). Staleness is
    /// decided again for each stage right before it would run, from the bytes its upstream stages
    /// have just written. A failed command or blocked hooks stop it; what ran before stays committed.
    public func repro(_ request: ReproRequest, progress: ProgressReporter = SilentProgress(),
                      onStage: (ReproStage) -> Void = { _ in }) throws -> ReproResult {
        let first = try pipeline()
        let targets = try stageIndices(request.stages, in: first)
        var result = ReproResult(dryRun: request.dryRun, stages: [])
        var pending = Set<Int>()  // dry run: stages that would run
        // --single-commit: runs are staged as they go and committed together at the end; anything
        // that stops repro puts the staging index back as it was.
        var staged: [PendingRun] = []
        let savedIndex = request.singleCommit ? FileManager.default.contents(atPath: layout.stagingIndex) : nil
        func putIndexBack() {
            guard request.singleCommit else { return }
            if let savedIndex { try? AtomicFile.write(Array(savedIndex), to: layout.stagingIndex) }
            else { try? FileManager.default.removeItem(atPath: layout.stagingIndex) }
        }
        for i in first.graph.closure(of: targets) {
            // Read again after every run: the last runs and the params files are what the previous stage left.
            let pipeline = result.stages.contains(where: { $0.action == .ran || $0.action == .reused }) ? try self.pipeline() : first
            let stage = pipeline.stages[i]
            let inputs = try stageInputs(stage, in: pipeline)
            let status = try stageStatus(i, in: pipeline, inputs: inputs)
            var reasons = status.reasons
            if request.force { reasons.append(StaleReason(kind: .forced, message: "--force")) }
            var entry = ReproStage(name: stage.name, action: .skipped, reasons: reasons, command: inputs.command, run: status.lastRun)
            if reasons.isEmpty {
                let upstream = pipeline.graph.upstream[i].filter(pending.contains)
                if request.dryRun && !upstream.isEmpty {
                    entry.action = .mayRun
                    entry.reasons = upstream.map { u in
                        StaleReason(kind: .upstream, stage: pipeline.stages[u].name, message: "stage \(pipeline.stages[u].name) runs first; this one runs after it only if its outputs change")
                    }
                    pending.insert(i)
                }
                result.stages.append(entry); onStage(entry)
                continue
            }
            if request.dryRun {
                entry.action = .wouldRun
                pending.insert(i)
                result.stages.append(entry); onStage(entry)
                continue
            }
            let reuse = request.runCache && !request.force ? try reusableRun(inputs: inputs, stage: stage, in: pipeline) : nil
            let metricsFiles = stage.metrics.map(\.path)
            var run = RunRequest(name: stage.name, inputs: stage.deps.map(\.path), outputs: stage.outputs.map(\.path), argv: inputs.argv, cwd: root,
                                 message: reuse.map { "repro \(stage.name): outputs reused from run \($0.run.id) (same inputs, parameters, command and environment)" }
                                    ?? "repro \(stage.name): \(inputs.command)")
            run.stage = StageRunContext(name: stage.name, params: inputs.params, metricsFiles: metricsFiles, reuse: reuse)
            run.commandStdoutToStderr = request.stdoutToStderr
            run.deferCommit = request.singleCommit
            let outcome: RunOutcome
            do { outcome = try self.run(run, progress: progress) } catch { putIndexBack(); throw error }
            guard outcome.exitCode == 0, let record = outcome.record else {
                entry.action = .failed
                entry.exitStatus = outcome.exitCode
                entry.run = nil
                result.stages.append(entry); onStage(entry)
                putIndexBack()
                for k in result.stages.indices { result.stages[k].commit = request.singleCommit ? nil : result.stages[k].commit }
                return result
            }
            if let p = outcome.pending { staged.append(p) }
            entry.action = reuse == nil ? .ran : .reused
            entry.run = record.id
            entry.commit = outcome.commit
            entry.reusedFrom = record.reusedFrom
            entry.notes = outcome.notes
            result.stages.append(entry); onStage(entry)
        }
        if !staged.isEmpty {
            let names = staged.compactMap(\.record.stage)
            let commit: CommitResult
            do {
                commit = try commitRuns(staged, message: "repro \(names.joined(separator: ", ")): \(names.count) stage(s) in one commit", noVerify: false, progress: progress)
            } catch { putIndexBack(); throw error }
            for k in result.stages.indices where result.stages[k].action == .ran || result.stages[k].action == .reused {
                result.stages[k].commit = commit.commit
            }
        }
        return result
    }

    /// Stage names → indices; an unknown name is an error that lists the stages.
    func stageIndices(_ names: [String], in pipeline: Pipeline) throws -> [Int] {
        if names.isEmpty { return Array(pipeline.stages.indices) }
        return try names.map { name in
            guard let i = pipeline.graph.position(name) else {
                let all = pipeline.stages.map(\.name)
                let near = closest(name, among: all)
                throw LineageError.invalidArgument("lineage.yaml has no stage '\(name)'" + (near.isEmpty ? "" : " (did you mean '\(near[0])'?)")
                                                   + "; its stages are: \(all.joined(separator: ", "))")
            }
            return i
        }
    }

    // MARK: - Run cache

    /// The environment facts a reused run must share: system, architecture, CPU model, the
    /// allow-listed variables, and captures (e.g. `pip freeze`) by digest.
    static func runCacheEnvironment(_ e: EnvironmentInfo) -> String {
        let vars = e.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1}")
        return [e.os, e.architecture, e.cpuModel ?? "", vars].joined(separator: "\u{0}")
    }

    /// An earlier run anywhere in history with exactly these inputs, parameters, command and
    /// environment, that wrote the stage's outputs, whose bytes are all in the store; nil otherwise.
    func reusableRun(inputs: StageInputs, stage: StageDefinition, in pipeline: Pipeline) throws -> ReusedRun? {
        let environment = Repository.runCacheEnvironment(RunEnvironment.capture())
        let wanted = Set(inputs.deps.map { "\($0.path)\u{0}\($0.sha256.hex)" })
        let candidates = pipeline.allRuns.filter { r in
            r.exitStatus == 0 && r.blocked == nil && r.argv == inputs.argv && (r.params ?? [:]) == inputs.params
                && Set(r.inputs.map { "\($0.path)\u{0}\($0.sha256.hex)" }) == wanted
                && Repository.runCacheEnvironment(r.environment) == environment
                && stage.outputs.allSatisfy { o in r.outputs.contains { $0.path.isPath(within: o.path) } }
                && r.outputs.allSatisfy { ro in stage.outputs.contains { ro.path.isPath(within: $0.path) } }
        }.sorted { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
        for candidate in candidates {
            if let outputs = try recordedOutputs(of: candidate) {
                // A reuse of a reuse names the run that really made the bytes.
                var made = candidate
                if let original = candidate.reusedFrom, let o = pipeline.allRuns.first(where: { $0.id == original }) { made = o }
                return ReusedRun(run: made, outputs: outputs)
            }
        }
        return nil
    }

    /// The pointers of a run's outputs as the commit that recorded it holds them (HEAD's, when they
    /// are still the same there); nil when that commit cannot be found or some bytes are not here.
    func recordedOutputs(of run: RunRecord) throws -> [(path: String, pointer: ObjectID)]? {
        guard let head = try headCommit() else { return nil }
        func pointers(inTree tree: ObjectID) throws -> [(path: String, pointer: ObjectID)]? {
            var out: [(path: String, pointer: ObjectID)] = []
            for o in run.outputs {
                guard let id = try git.entry(inTree: tree, path: o.path), let p = try? pointer(id), p.sha256 == o.sha256, hasContent(p) else { return nil }
                out.append((o.path, id))
            }
            return out
        }
        if let found = try pointers(inTree: try git.commit(head).tree) { return found }
        for id in try git.walk(from: [head]) {
            let info = try git.commit(id)
            guard let record = try commitRecord(of: info), record.runs.contains(run.id) else { continue }
            return try pointers(inTree: info.tree)
        }
        return nil
    }

    /// Writes reused outputs into the working tree from the store (the staging index is left to `add`).
    func restoreOutputs(_ outputs: [(path: String, pointer: ObjectID)], progress: ProgressReporter) throws {
        try withWriteLock {
            let index = try openIndex()
            var target: [PathKey: ObjectID] = [:]
            for o in outputs { target[PathKey(o.path)] = o.pointer }
            _ = try updateWorkingTree(to: target, selected: { _ in true }, removeMissing: false, index: index, force: true, progress: progress)
        }
    }
}
