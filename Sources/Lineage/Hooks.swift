import Foundation
import LineageCore
import LineageGit
import LineageStore
import LineageValidators

/// A staged artifact as a hook sees it.
public struct HookArtifact: Codable, Sendable, Equatable {
    public var path: String
    public var sha256: Digest
    public var size: UInt64
    public var kind: ArtifactKind
    public var mediaType: String
    /// Against HEAD: `new`, `modified` or `unchanged`.
    public var status: String
    /// Absolute path of a file holding exactly these bytes (the working file, or a copy from the store).
    public var file: String
}

/// What one hook concluded.
public struct HookOutcome: Codable, Sendable {
    public var index: Int
    public var validator: String
    /// Line of the hook in lineage.yaml.
    public var line: Int
    public var outcome: CheckRecord.Outcome
    /// True when HEAD already held this exact check (same validator, configuration and bytes), so it did not run again.
    public var reused: Bool
    public var findings: [ValidationFinding]
    public var counts: [String: Int]
    /// What a command hook printed (stdout and stderr, truncated).
    public var output: String?
    /// The check record the commit will carry (id = `record.id`).
    public var record: CheckRecord
}

public struct HooksReport: Codable, Sendable {
    public var hook: String = "pre-commit"
    public var outcomes: [HookOutcome] = []
    /// Hooks that did not run because a file they name is not tracked yet (e.g. a pipeline output
    /// before its first run): `leakage (lineage.yaml:12) waiting for data/prepared/train.csv`.
    public var waiting: [String] = []
    public var failed: Bool { outcomes.contains { $0.outcome == .failed } }
}

/// Pre-commit hooks failed: nothing was committed, the staged state is as it was.
public struct HooksBlocked: Error, CustomStringConvertible {
    public var report: HooksReport
    public var description: String {
        let failed = report.outcomes.filter { $0.outcome == .failed }
        return "\(failed.count) pre-commit hook(s) failed (\(failed.map(\.validator).joined(separator: ", "))); nothing was committed — fix the data or lineage.yaml, or commit with --no-verify (recorded in the signed commit)"
    }
}

/// Command hooks of lineage.yaml that this clone has not trusted (as git never runs cloned hooks).
public struct HooksNotTrusted: Error, CustomStringConvertible {
    public var commands: [String]
    public var description: String {
        "lineage.yaml has command hooks this repository has not trusted yet (\(commands.joined(separator: ", "))): read them, then run `lineage hooks trust` (or commit with --no-verify)"
    }
}

extension Repository {
    /// Where older versions kept the digest of the trusted command hooks, inside `.lineage`: a copy
    /// of the repository carried it to the next user, so it is no longer read (only removed).
    var legacyHooksTrustFile: String { layout.dotLineage + "/hooks-trusted" }
    /// The per-user setting holding the digest of the command hooks this user trusted here.
    static let hooksTrustKey = "hooks.trusted"

    /// Digest of the command hooks and the programs they run; any change needs trusting again.
    func commandHooksDigest(_ config: ProjectConfig) -> Digest? {
        let commands = config.preCommit.filter { $0.validator == "command" }
        guard !commands.isEmpty else { return nil }
        var text = ""
        for entry in commands { text += "\(entry.configDigest.hex) \(programDigest(entry)?.hex ?? "-")\n" }
        return Digest.of(Array(text.utf8))
    }

    /// SHA-256 of the program a command hook runs, when it is a file of the project.
    func programDigest(_ entry: HookEntry) -> Digest? {
        guard let run = try? entry.string("run"), run.contains("/") else { return nil }
        let path = run.hasPrefix("/") ? run : root + "/" + run
        return FileManager.default.contents(atPath: path).map { Digest.of($0) }
    }

    public func commandHooksTrusted(_ config: ProjectConfig) -> Bool {
        guard let digest = commandHooksDigest(config) else { return true }
        // Per user and per repository (see `userSettingsFile`): never read from inside the repository.
        return userSetting(Repository.hooksTrustKey) == digest.hex
    }

    /// `lineage hooks trust`: records the current command hooks (and their programs) as trusted here.
    @discardableResult
    public func trustHooks() throws -> [String] {
        let config = try projectConfig()
        guard let digest = commandHooksDigest(config) else { return [] }
        try setUserSetting(Repository.hooksTrustKey, digest.hex)
        try? FileManager.default.removeItem(atPath: legacyHooksTrustFile)
        return config.preCommit.filter { $0.validator == "command" }.compactMap { try? $0.string("run") }
    }

    /// lineage.yaml of the working directory, parsed.
    public func projectConfig() throws -> ProjectConfig {
        do { return try ProjectConfig.load(root: root) } catch let e as ConfigError { throw LineageError.config(e) }
    }

    /// Runs the pre-commit hooks of lineage.yaml on the staged artifacts (`only`: just these paths,
    /// as `lineage run` does for its outputs). Nothing is written.
    public func runPreCommitHooks(only: Set<PathKey>? = nil, now: Int64? = nil, progress: ProgressReporter = SilentProgress()) throws -> HooksReport {
        let config = try projectConfig()
        return try runPreCommitHooks(config, only: only, now: now ?? nowSeconds(), progress: progress)
    }

    func runPreCommitHooks(_ config: ProjectConfig, only: Set<PathKey>? = nil, runInputs: [ArtifactRef] = [], runOutputs: Set<PathKey> = [],
                           subject: HookSubject? = nil, now: Int64, progress: ProgressReporter = SilentProgress()) throws -> HooksReport {
        var report = HooksReport()
        guard !config.preCommit.isEmpty else { return report }
        // A command hook naming a missing program is a mistake in lineage.yaml, reported before trust.
        for entry in config.preCommit where entry.validator == "command" {
            let run = try entry.string("run")!
            do { _ = try ProcessRunner.resolve(run, in: root, environment: ProcessInfo.processInfo.environment) } catch {
                throw LineageError.config(entry.error("run", "\(error) — fix the path (relative to the project root) or make it executable"))
            }
        }
        if !commandHooksTrusted(config) {
            throw HooksNotTrusted(commands: config.preCommit.filter { $0.validator == "command" }.compactMap { try? $0.string("run") })
        }
        let context = try HookContext(repository: self, only: only, subject: subject)
        context.runInputs = runInputs
        context.runOutputs = runOutputs
        defer { context.cleanUp() }
        let stamp = Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(now)))
        defer { progress.finish() }
        for (n, entry) in config.preCommit.enumerated() {
            progress.update(phase: "Hook \(entry.validator) (lineage.yaml:\(entry.line))", done: UInt64(n), total: UInt64(config.preCommit.count), unit: .items)
            let planned: HookPlan?
            do { planned = try planHook(entry, context: context) } catch let w as HookWaiting {
                report.waiting.append("\(entry.validator) (lineage.yaml:\(entry.line)) waiting for \(w.path) (not tracked yet)")
                continue
            }
            guard let plan = planned else { continue }
            let id = CheckRecord.id(validator: entry.validator, validatorVersion: plan.version, hook: "pre-commit",
                                    configDigest: plan.configDigest, artifacts: plan.artifacts)
            // The same check of the same bytes under the same configuration already passed in HEAD.
            if plan.reusable, let previous = context.headCheck(id), previous.outcome != .failed {
                report.outcomes.append(HookOutcome(index: entry.index, validator: entry.validator, line: entry.line, outcome: previous.outcome,
                                                   reused: true, findings: [], counts: previous.counts, output: nil, record: previous))
                continue
            }
            let (result, output) = try plan.execute()
            let record = CheckRecord(validator: entry.validator, validatorVersion: plan.version, configDigest: plan.configDigest,
                                     artifacts: plan.artifacts, outcome: outcome(result), counts: result.counts,
                                     findings: result.findings.map(CheckRecord.Finding.init), checkedAt: stamp)
            report.outcomes.append(HookOutcome(index: entry.index, validator: entry.validator, line: entry.line, outcome: record.outcome,
                                               reused: false, findings: result.findings, counts: result.counts,
                                               output: output, record: record))
        }
        return report
    }

    private func outcome(_ report: ValidationReport) -> CheckRecord.Outcome {
        switch report.outcome { case .passed: return .passed; case .warned: return .warned; case .failed: return .failed }
    }
}

extension CheckRecord.Finding {
    init(_ f: ValidationFinding) {
        self.init(check: f.check, severity: f.severity.rawValue, message: f.message, file: f.file, column: f.column, rows: f.rows, count: f.count)
    }
}

/// One hook, ready to run: what it will check (which makes the check's identity) and how.
struct HookPlan {
    var version: String
    var configDigest: Digest
    var artifacts: [CheckRecord.Artifact]
    /// Built-in validators are deterministic in their inputs, so HEAD's identical check is reused;
    /// command hooks always run, as git's do.
    var reusable: Bool
    var execute: () throws -> (ValidationReport, String?)
}

/// What hooks check when it is not the staging index against HEAD: a merge's result.
struct HookSubject {
    /// The versions the commit will record (pointer blobs by path).
    var files: [PathKey: ObjectID]
    /// The commit it builds on (statuses `new`/`modified` and previous versions are against it).
    var base: ObjectID?
    /// Paths whose working file holds exactly the version in `files`.
    var worktreeClean: Set<PathKey>
    /// Rights records as the commit will carry them.
    var rights: [PathKey: RightsRecord]
    /// Commits whose identical check records are reused instead of running again.
    var reuseChecksFrom: [ObjectID]
    /// The rights graph of the result (records and runs of both sides of a merge).
    var rightsGraph: RightsGraph
}

/// The staged state as hooks need it: artifacts by path, the files holding their bytes, HEAD's versions.
final class HookContext {
    let repository: Repository
    // Keyed by path bytes: NFC and NFD spellings of a name are two artifacts.
    let staged: [PathKey: Pointer]
    let head: [PathKey: Pointer]
    /// Records of the commits whose identical checks may be reused (HEAD; a merge's two parents).
    let headRecords: [ObjectID]
    private let worktreeClean: Set<PathKey>
    /// Rights records as the commit will carry them: HEAD's with staged ones over them.
    let rights: [PathKey: RightsRecord]
    /// The rights graph of an explicit subject (nil: HEAD's with the staged records).
    let rightsGraph: RightsGraph?
    /// For `lineage run`: the run's inputs, which every output derives from.
    var runInputs: [ArtifactRef] = []
    /// For `lineage run`: its outputs (the only artifacts its inputs flow into).
    var runOutputs: Set<PathKey> = []
    private var scratch: String?
    private var materialized: [String: String] = [:]
    let only: Set<PathKey>?

    /// The staged state against HEAD, or an explicit `subject` (a merge's result against its first parent).
    init(repository: Repository, only: Set<PathKey>?, subject: HookSubject? = nil) throws {
        self.repository = repository
        self.only = only
        let git = repository.git
        var staged: [PathKey: Pointer] = [:]
        if let subject {
            for (path, id) in subject.files { staged[path] = try repository.pointer(id) }
        } else {
            for entry in try repository.openIndex().entries { staged[PathKey(entry.path)] = try repository.pointer(entry.id) }
        }
        self.staged = staged
        var head: [PathKey: Pointer] = [:]
        let headCommit: ObjectID? = subject == nil ? try repository.headCommit() : subject!.base
        if let headCommit {
            for (path, id) in try repository.files(ofCommit: headCommit) { head[path] = try repository.pointer(id) }
        }
        self.head = head
        let reuseFrom = subject?.reuseChecksFrom ?? (headCommit.map { [$0] } ?? [])
        headRecords = try reuseFrom.compactMap { try git.subtree(of: try git.commit($0).tree, named: RecordTree.directory) }
        if let subject {
            worktreeClean = subject.worktreeClean
            rights = subject.rights
            rightsGraph = subject.rightsGraph
        } else {
            rightsGraph = nil
            let status = try repository.status()
            worktreeClean = Set(status.files.filter { $0.worktree == .unchanged }.map { PathKey($0.path) })
            var rights = try repository.headRightsRecords()
            for (path, record) in try repository.stagedRights() { rights[path] = record }
            self.rights = rights
        }
    }

    /// The rights record covering a path: its own, or that of the nearest directory above it that has one.
    func rightsRecord(for path: String) -> RightsRecord? {
        var p = path
        while true {
            if let r = rights[PathKey(p)] { return r }
            guard let slash = p.lastIndex(of: "/") else { return nil }
            p = String(p[..<slash])
        }
    }

    /// Staged paths a pattern selects (restricted to `only` when set).
    func paths(matching glob: PathGlob) -> [String] {
        staged.keys.filter { glob.matches($0.string) && (only?.contains($0) ?? true) }.sorted().map(\.string)
    }

    func artifact(_ path: String) throws -> HookArtifact {
        guard let p = staged[PathKey(path)] else { throw LineageError.notTracked(path, suggestions: closest(path, among: staged.keys.map(\.string))) }
        let old = head[PathKey(path)]
        let status = old == nil ? "new" : (old!.sha256 == p.sha256 ? "unchanged" : "modified")
        return HookArtifact(path: path, sha256: p.sha256, size: p.size, kind: p.kind, mediaType: p.mediaType, status: status,
                            file: try file(path, pointer: p))
    }

    /// A file with HEAD's version of `path` when it differs from the staged one; nil otherwise.
    func previousFile(_ path: String) throws -> (file: String, sha256: Digest)? {
        guard let old = head[PathKey(path)], let new = staged[PathKey(path)], old.sha256 != new.sha256 else { return nil }
        return (try copy(old, name: "previous-" + path), old.sha256)
    }

    /// The working file when it holds the staged bytes, else a copy restored from the store.
    func file(_ path: String, pointer: Pointer) throws -> String {
        if worktreeClean.contains(PathKey(path)) { return repository.root + "/" + path }
        return try copy(pointer, name: "staged-" + path)
    }

    private func copy(_ pointer: Pointer, name: String) throws -> String {
        let key = name + "@" + pointer.sha256.hex
        if let done = materialized[key] { return done }
        if scratch == nil {
            // `hooks-<pid>-…`: a killed process's scratch directory is found and removed later.
            var template = Array((repository.layout.dotLineage + "/\(Repository.hookScratchPrefix)\(getpid())-XXXXXX").utf8CString)
            guard mkdtemp(&template) != nil else { throw LineageError.unreadable(repository.layout.dotLineage, reason: String(cString: strerror(errno))) }
            scratch = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        let target = scratch! + "/" + name.replacingOccurrences(of: "/", with: "__")
        // A version not fetched here (partial content) is fetched to be checked (the caller holds the lock).
        let path = name.hasPrefix("staged-") ? String(name.dropFirst(7)) : name.hasPrefix("previous-") ? String(name.dropFirst(9)) : name
        if !repository.hasContent(pointer) { try repository.ensureContent([(path, pointer)]) }
        do {
            try repository.store.restore(chunkList: pointer.chunks, size: pointer.size, sha256: pointer.sha256, to: target, durable: false) { _ in }
        } catch {
            throw LineageError.missingContent(path: path, detail: "\(error)")
        }
        materialized[key] = target
        return target
    }

    /// The check record HEAD's tree (or a merge parent's) holds under this id, if any.
    func headCheck(_ id: Digest) -> CheckRecord? {
        for tree in headRecords {
            guard let blob = (try? repository.git.entry(inTree: tree, path: CheckRecord.recordPath(id))) ?? nil,
                  let bytes = try? repository.git.readBlob(blob), let record = try? CheckRecord.decode(bytes) else { continue }
            return record
        }
        return nil
    }

    func cleanUp() {
        if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
    }
}
