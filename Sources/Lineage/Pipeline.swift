import Foundation
import LineageCore
import LineageGit
import LineageGraph

/// Why a stage must run again (or may have to): one difference from its last recorded run.
public struct StaleReason: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case neverRun = "never-run", commandChanged = "command-changed"
        case depChanged = "dep-changed", depAdded = "dep-added", depRemoved = "dep-removed", depMissing = "dep-missing"
        case paramChanged = "param-changed", paramAdded = "param-added", paramRemoved = "param-removed"
        case outputMissing = "output-missing", outputChanged = "output-changed"
        case upstream, forced
    }
    public var kind: Kind
    /// The dependency or output path, or the params file.
    public var path: String?
    /// The parameter key.
    public var key: String?
    /// Old and new value: a digest (`sha256:…`), a parameter value, or a command.
    public var old: String?
    public var new: String?
    /// For `upstream`: the stage that runs first.
    public var stage: String?
    /// One line for people.
    public var message: String
}

/// A stage of lineage.yaml compared with its last run.
public struct StageStatus: Codable, Sendable {
    public enum State: String, Codable, Sendable { case fresh, stale }
    public var name: String
    public var state: State
    /// Empty when fresh.
    public var reasons: [StaleReason]
    /// The id of the stage's last recorded run, and when it started.
    public var lastRun: String?
    public var lastRunAt: String?
    /// The command after `${…}` interpolation.
    public var command: String
    /// Stages whose outputs this one reads.
    public var upstream: [String]
    /// Upstream stages that are stale: this one runs again after them only if their outputs change.
    public var staleUpstream: [String] = []
}

/// What a stage would run with now: its dependencies' files and digests, parameter values, command.
struct StageInputs {
    var deps: [RunArtifact]
    /// Declared dependencies not on disk (made by an upstream stage that has not run).
    var missing: [String]
    var params: [String: RecordValues]
    var command: String
    var argv: [String] { ["/bin/sh", "-c", command] }
}

/// SHA-256 of working files, as far as one command has needed them, and the stat cache loaded once.
final class DigestMemo {
    /// The index holding the stat cache, opened once (nil inside when it cannot be opened).
    var index: LineageIndex?? = nil
    var cache: [PathKey: CachedFile]? = nil
    var known: [PathKey: (sha256: Digest, size: UInt64)] = [:]
}

/// lineage.yaml's stages, checked against the working directory, with the runs history recorded.
public struct Pipeline {
    public let graph: StageGraph
    /// Params files the stages name, read once: path → values.
    let paramsFiles: [String: RecordValues]
    /// The last successful, unblocked run of each stage in HEAD's history.
    let lastRuns: [String: RunRecord]
    /// Every run recorded up to HEAD (the run cache searches it).
    let allRuns: [RunRecord]
    /// Digests of working files already read by this command (files do not change between stages
    /// that do not run; `repro` reads the pipeline again after each stage that does).
    let digests = DigestMemo()

    public var stages: [StageDefinition] { graph.stages }
}

extension Repository {
    /// Reads lineage.yaml's stages and checks them against the disk: each params file exists and has
    /// every key a stage declares or interpolates; each dependency is on disk, tracked, or made by a
    /// stage. Errors name lineage.yaml's line.
    public func pipeline() throws -> Pipeline {
        let clock = PhaseClock("pipeline")
        let config = try projectConfig()
        clock.mark("lineage.yaml")
        guard !config.pipeline.isEmpty else {
            throw LineageError.invalidArgument("lineage.yaml declares no stages — add a `stages:` section, e.g.\n  stages:\n    train:\n      cmd: python train.py\n      deps: [train.py, data/train.csv]\n      outs: [models/model.pkl]")
        }
        let graph = StageGraph(config.pipeline)
        func fail(_ line: Int, _ key: String, _ message: String) -> LineageError {
            .config(ConfigError(file: ProjectConfig.fileName, line: line, key: key, message: message))
        }
        var paramsFiles: [String: RecordValues] = [:]
        func values(_ file: String, line: Int, key: String) throws -> RecordValues {
            if let v = paramsFiles[file] { return v }
            do {
                let v = try ValuesFile.read(path: root + "/" + file, display: file)
                paramsFiles[file] = v
                return v
            } catch let e as ValuesFileError {
                if FileStat.lstat(root + "/" + file) == nil {
                    throw fail(line, key, "the params file '\(file)' does not exist — create it (e.g. `\(file)` with the keys the stage names) or fix the name")
                }
                throw fail(line, key, "cannot read the params file: \(e)")
            }
        }
        var trackedFiles: [PathKey: ObjectID]? = nil
        func tracked() throws -> [PathKey: ObjectID] {
            if let t = trackedFiles { return t }
            trackedFiles = try headFiles()
            return trackedFiles!
        }
        for stage in graph.stages {
            for p in stage.params {
                let v = try values(p.file, line: p.line, key: "stages.\(stage.name).params")
                guard ValuesFile.select(p.key, in: v) != nil else {
                    throw fail(p.line, "stages.\(stage.name).params", "'\(p.key)' is not a key of \(p.file)" + ProjectConfig.suggestion(p.key, Array(v.keys)) + " — add it to \(p.file) or fix the key")
                }
            }
            for key in stage.interpolatedKeys {
                let files = Set(stage.params.map(\.file)).union([ProjectConfig.defaultParamsFile]).sorted()
                var found = false
                for file in files where FileStat.lstat(root + "/" + file) != nil || stage.params.contains(where: { $0.file == file }) {
                    if try values(file, line: stage.cmdLine, key: "stages.\(stage.name).cmd")[key] != nil { found = true; break }
                }
                guard found else {
                    throw fail(stage.cmdLine, "stages.\(stage.name).cmd",
                               "`${\(key)}` names no value of \(files.joined(separator: " or ")) — add `\(key)` there, or fix the name (a whole section cannot be interpolated)")
                }
            }
            for dep in stage.deps {
                let made = graph.stages.contains { s in s.outputs.contains { dep.path.isPath(within: $0.path) || $0.path.isPath(within: dep.path) } }
                if !made && FileStat.lstat(root + "/" + dep.path) == nil {
                    let files = try tracked()
                    let isTracked = files[PathKey(dep.path)] != nil || files.keys.contains { $0.string.isPath(within: dep.path) }
                    let hint = isTracked ? "it is tracked but not in the working directory — `lineage checkout HEAD -- \(dep.path)` brings it back"
                        : "no stage makes it and it is neither on disk nor tracked — create it, add the stage that makes it, or fix the path"
                    throw fail(dep.line, "stages.\(stage.name).deps", "the dependency '\(dep.path)' is missing: \(hint)")
                }
            }
        }
        clock.mark("params files, dependencies")
        // Runs recorded up to HEAD: the last good one of each stage.
        var runs: [RunRecord] = []
        if let head = try headCommit() { runs = try allRuns(inTree: try git.commit(head).tree) }
        clock.mark("run records")
        var last: [String: RunRecord] = [:]
        for run in runs where run.exitStatus == 0 && run.blocked == nil {
            guard let stage = run.stage else { continue }
            if let seen = last[stage], (seen.startedAt, seen.id) >= (run.startedAt, run.id) { continue }
            last[stage] = run
        }
        return Pipeline(graph: graph, paramsFiles: paramsFiles, lastRuns: last, allRuns: runs)
    }

    /// The stage's inputs as they are now on disk.
    func stageInputs(_ stage: StageDefinition, in pipeline: Pipeline) throws -> StageInputs {
        let (params, command) = try stageParams(stage, in: pipeline)
        var files_: [String] = []
        var missing: [String] = []
        for dep in stage.deps {
            guard let st = FileStat.lstat(root + "/" + dep.path) else { missing.append(dep.path); continue }
            if st.isDirectory {
                var skipped: [String] = []
                files_ += try walkFiles(under: dep.path, skipped: &skipped)
            } else {
                files_.append(dep.path)
            }
        }
        let digests = try workingDigests(files_, memo: pipeline.digests)
        let deps = files_.sortedAsPaths().compactMap { p in digests[PathKey(p)].map { RunArtifact(path: p, sha256: $0.sha256, size: $0.size) } }
        return StageInputs(deps: deps, missing: missing, params: params, command: command)
    }

    /// The values of the parameters a stage declares or interpolates, and its command with `${…}` filled in.
    func stageParams(_ stage: StageDefinition, in pipeline: Pipeline) throws -> (params: [String: RecordValues], command: String) {
        var params: [String: RecordValues] = [:]
        for p in stage.params {
            let selected = ValuesFile.select(p.key, in: pipeline.paramsFiles[p.file] ?? [:]) ?? [:]
            params[p.file, default: [:]].merge(selected) { a, _ in a }
        }
        // Interpolated values count as parameters too: a new value is a new command.
        let (parts, _) = try StageDefinition.interpolation(stage.cmd)
        var command = ""
        let files = Set(stage.params.map(\.file)).union([ProjectConfig.defaultParamsFile]).sorted()
        for part in parts {
            switch part {
            case .text(let t): command += t
            case .key(let k):
                for file in files {
                    if let v = pipeline.paramsFiles[file]?[k] {
                        command += v.description
                        params[file, default: [:]][k] = v
                        break
                    }
                }
            }
        }
        return (params, command)
    }

    /// SHA-256 of working files, from the stat cache where it proves them unchanged (loaded once per
    /// command); the others are hashed and the cache updated.
    func workingDigests(_ paths: [String], memo: DigestMemo) throws -> [PathKey: (sha256: Digest, size: UInt64)] {
        var out: [PathKey: (sha256: Digest, size: UInt64)] = [:]
        var updates: [(path: String, file: CachedFile)] = []
        if memo.index == nil { memo.index = .some(try? openLineageIndex()) }
        let index = memo.index!
        for path in paths {
            let key = PathKey(path)
            if let known = memo.known[key] { out[key] = known; continue }
            let absolute = root + "/" + path
            guard let st = FileStat.lstat(absolute), st.isRegularFile else { continue }
            if memo.cache == nil { memo.cache = (try? index?.cachedFiles()) ?? [:] }
            if let c = memo.cache?[key], c.isValid(for: st) {
                out[key] = (c.sha256, st.size)
            } else {
                let recorded = currentTimeNs()
                let digest = try hashFile(absolute)
                out[key] = (digest, st.size)
                updates.append((path, CachedFile(stat: FileStat.lstat(absolute) ?? st, sha256: digest, pointer: nil, recordedNs: recorded)))
            }
            memo.known[key] = out[key]
        }
        try? index?.updateCache(updates)
        return out
    }

    /// A stage compared with its last run: fresh, or stale and why.
    func stageStatus(_ i: Int, in pipeline: Pipeline, inputs: StageInputs) throws -> StageStatus {
        let stage = pipeline.stages[i]
        var status = StageStatus(name: stage.name, state: .fresh, reasons: [], command: inputs.command,
                                 upstream: pipeline.graph.upstream[i].map { pipeline.stages[$0].name })
        guard let last = pipeline.lastRuns[stage.name] else {
            status.state = .stale
            status.reasons = [StaleReason(kind: .neverRun, message: "it has never run")]
            return status
        }
        status.lastRun = last.id
        status.lastRunAt = last.startedAt
        status.reasons = staleReasons(stage, inputs: inputs, last: last, memo: pipeline.digests)
        status.state = status.reasons.isEmpty ? .fresh : .stale
        return status
    }

    func staleReasons(_ stage: StageDefinition, inputs: StageInputs, last: RunRecord, memo: DigestMemo) -> [StaleReason] {
        var reasons: [StaleReason] = []
        let oldCommand = last.argv.count == 3 && last.argv[0] == "/bin/sh" && last.argv[1] == "-c" ? last.argv[2] : last.argv.joined(separator: " ")
        // A command that differs only by interpolated parameters is said once, as those parameters.
        if last.argv != inputs.argv && interpolate(stage.cmd, last.params ?? [:]) != oldCommand {
            reasons.append(StaleReason(kind: .commandChanged, old: oldCommand, new: inputs.command, message: "its command changed: `\(oldCommand)` → `\(inputs.command)`"))
        }
        for path in inputs.missing {
            reasons.append(StaleReason(kind: .depMissing, path: path, message: "its dependency \(path) is not there yet"))
        }
        let old = Dictionary(last.inputs.map { (PathKey($0.path), $0) }, uniquingKeysWith: { a, _ in a })
        let now = Dictionary(inputs.deps.map { (PathKey($0.path), $0) }, uniquingKeysWith: { a, _ in a })
        for dep in inputs.deps {
            if let o = old[PathKey(dep.path)] {
                if o.sha256 != dep.sha256 {
                    reasons.append(StaleReason(kind: .depChanged, path: dep.path, old: o.sha256.prefixed, new: dep.sha256.prefixed,
                                               message: "its dependency \(dep.path) changed (sha256:\(o.sha256.hex.prefix(12)) → sha256:\(dep.sha256.hex.prefix(12)))"))
                }
            } else {
                reasons.append(StaleReason(kind: .depAdded, path: dep.path, new: dep.sha256.prefixed, message: "\(dep.path) is a new dependency"))
            }
        }
        for o in last.inputs.sorted(by: { $0.path.bytesPrecede($1.path) }) where now[PathKey(o.path)] == nil && !inputs.missing.contains(where: { o.path.isPath(within: $0) }) {
            reasons.append(StaleReason(kind: .depRemoved, path: o.path, old: o.sha256.prefixed, message: "\(o.path) is no longer a dependency"))
        }
        let recorded = last.params ?? [:]
        for file in Set(recorded.keys).union(inputs.params.keys).sorted() {
            let a = recorded[file] ?? [:], b = inputs.params[file] ?? [:]
            for key in Set(a.keys).union(b.keys).sorted() {
                switch (a[key], b[key]) {
                case let (x?, y?) where x != y:
                    reasons.append(StaleReason(kind: .paramChanged, path: file, key: key, old: x.description, new: y.description,
                                               message: "its parameter \(key) changed: \(x) → \(y)"))
                case (nil, let y?):
                    reasons.append(StaleReason(kind: .paramAdded, path: file, key: key, new: y.description, message: "it has a new parameter \(key) = \(y)"))
                case (let x?, nil):
                    reasons.append(StaleReason(kind: .paramRemoved, path: file, key: key, old: x.description, message: "its parameter \(key) is no longer declared"))
                default: break
                }
            }
        }
        // Outputs: deleted or edited since the run made them (the run cache can put them back).
        var files: [String] = []
        for out in stage.outputs {
            guard let st = FileStat.lstat(root + "/" + out.path) else {
                reasons.append(StaleReason(kind: .outputMissing, path: out.path, message: "its output \(out.path) is missing")); continue
            }
            if st.isDirectory {
                var skipped: [String] = []
                files += (try? walkFiles(under: out.path, skipped: &skipped)) ?? []
            } else { files.append(out.path) }
        }
        let digests = (try? workingDigests(files, memo: memo)) ?? [:]
        for out in stage.outputs where FileStat.lstat(root + "/" + out.path) != nil {
            let recordedBelow = last.outputs.filter { $0.path.isPath(within: out.path) }
            let nowBelow = files.filter { $0.isPath(within: out.path) }
            let same = recordedBelow.count == nowBelow.count && recordedBelow.allSatisfy { digests[PathKey($0.path)]?.sha256 == $0.sha256 }
            if !same {
                reasons.append(StaleReason(kind: .outputChanged, path: out.path, message: "its output \(out.path) differs from what its last run made"))
            }
        }
        return reasons
    }

    /// `cmd` with `${key}` filled in from `params` (file → key → value), as far as they hold the keys.
    func interpolate(_ cmd: String, _ params: [String: RecordValues]) -> String? {
        guard let (parts, _) = try? StageDefinition.interpolation(cmd) else { return nil }
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .key(let k):
                guard let v = params.keys.sorted().lazy.compactMap({ params[$0]?[k] }).first else { return nil }
                out += v.description
            }
        }
        return out
    }

    /// `lineage stage list`: every stage, fresh or stale and why, in dependency order.
    public func stageList() throws -> [StageStatus] {
        let pipeline = try pipeline()
        let clock = PhaseClock("stage list")
        defer { clock.mark("compare every stage with its last run") }
        var out: [StageStatus] = []
        var staleSet = Set<Int>()
        for i in pipeline.graph.order() {
            var status = try stageStatus(i, in: pipeline, inputs: try stageInputs(pipeline.stages[i], in: pipeline))
            status.staleUpstream = pipeline.graph.upstream[i].filter { staleSet.contains($0) }.map { pipeline.stages[$0].name }
            if status.state == .stale || !status.staleUpstream.isEmpty { staleSet.insert(i) }
            out.append(status)
        }
        return out
    }
}
