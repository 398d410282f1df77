import Foundation
import LineageCore
import LineageGit

public struct CommitResult: Codable, Sendable {
    public let commit: String
    public let branch: String?
    public let filesChanged: Int
    /// What the pre-commit hooks of lineage.yaml concluded (nil when there were none or `--no-verify`).
    public var hooks: HooksReport? = nil
    /// True when the commit skipped the hooks with `--no-verify` (and says so in its signed records).
    public var noVerify: Bool = false
    /// Besides files: what else this commit changes (`lineage.yaml`, `allowed_signers`, `rights`).
    public var alsoChanged: [String] = []
}

extension Repository {
    /// Records the staged files as a new commit on the current branch (or detached HEAD).
    ///
    /// The branch moves with a compare-and-swap under libgit2's reference lock, inside the
    /// repository lock, so a concurrent writer can never lose a commit.
    ///
    /// The pre-commit hooks of lineage.yaml run first, inside the lock and before anything is
    /// written; when one fails, `HooksBlocked` is thrown and nothing changes. With `noVerify` they
    /// are skipped, and the commit carries a signed check record saying so and by whom.
    ///
    /// The commit must build on verified history, and the trust file it records must leave a
    /// trusted signer — the committer's own key too, unless `force`.
    public func commit(message: String, noVerify: Bool = false, force: Bool = false, now: Int64? = nil,
                       progress: ProgressReporter = SilentProgress()) throws -> CommitResult {
        try commitIndex(message: message, noVerify: noVerify, requireChanges: true, force: force, now: now, progress: progress)
    }

    /// Loose history objects (estimated) and packs above which a commit repacks the history, as
    /// git's `gc.auto` (6700) and `gc.autoPackLimit` (50).
    static let autoPackLoose = 6700
    static let autoPackLimit = 50

    /// Commits the staging index with extra records (paths below `.lineage/`), e.g. a run's.
    /// `hooksOnly` limits the pre-commit hooks to these paths (a run's outputs) plus what the commit changes.
    func commitIndex(message: String, records: [PathKey: [UInt8]] = [:], runs: [String] = [], noVerify: Bool = false,
                     hooksOnly: Set<PathKey>? = nil, runInputs: [ArtifactRef] = [], requireChanges: Bool, force: Bool = false, now: Int64? = nil,
                     progress: ProgressReporter = SilentProgress()) throws -> CommitResult {
        let trimmed = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw LineageError.emptyMessage }
        let clock = PhaseClock("commit")
        return try withWriteLock {
            clock.mark("lock")
            let head = try headCommit()
            let stamp = now ?? nowSeconds()
            // Key, trust and identity are checked before anything is written.
            let key = try signingKey()
            try checkSigner(key, parent: head, now: stamp, force: force)
            _ = try identity(now: stamp)
            // What changed, from the staging index and HEAD's file list: nothing is written until the hooks pass.
            let index = try openIndex()
            let staged = index.entries
            let headFiles = try head.map { try files(ofCommit: $0) } ?? [:]
            var changedList: [String] = []
            for entry in staged where headFiles[PathKey(entry.path)] != entry.id { changedList.append(entry.path) }
            let stagedPaths = Set(staged.map { PathKey($0.path) })
            for path in headFiles.keys where !stagedPaths.contains(path) { changedList.append(path.string) }
            changedList.sort { $0.bytesPrecede($1) }
            let changed = changedList.count
            clock.mark("compare with HEAD")
            let config = try projectConfig()
            // Rights records: HEAD's and staged ones, moved to the versions of this commit.
            let stagedIDs = Dictionary(staged.map { (PathKey($0.path), $0.id) }, uniquingKeysWith: { a, _ in a })
            let pendingRights = try stagedRights()
            let headRights = try head.map { try rightsRecords(inTree: try git.commit($0).tree) } ?? [:]
            let rights = try rightsForCommit(head: headRights, staged: pendingRights) { path in
                if let id = stagedIDs[path] { return try pointer(id).sha256 }
                let prefix = path.string + "/"
                let below = try stagedIDs.filter { $0.key.string.bytesHavePrefix(prefix) }
                    .map { (String(decoding: $0.key.string.utf8.dropFirst(prefix.utf8.count), as: UTF8.self), try pointer($0.value).sha256) }
                return below.isEmpty ? nil : DirectoryDigest.of(below)
            }
            clock.mark("rights")
            let trustChanged = try head.map { (try trustText(ofCommit: $0) ?? "") != (try workingTrustText()) } ?? false
            let configChanged = try head.map { try recordBytes(ProjectConfig.recordPath, ofCommit: $0) ?? [] != config.bytes } ?? false
            let rightsChanged = !pendingRights.isEmpty
            var alsoChanged: [String] = []
            if configChanged { alsoChanged.append(ProjectConfig.fileName) }
            if trustChanged { alsoChanged.append("allowed_signers") }
            if rightsChanged { alsoChanged.append("rights") }
            if requireChanges {
                if (head != nil && changedList.isEmpty && !trustChanged && !configChanged && !rightsChanged) || (head == nil && staged.isEmpty) {
                    throw LineageError.nothingToCommit
                }
            }
            // Hooks, before anything is written. lineage.yaml itself is recorded in every commit.
            var records = records
            var removing: [String] = rights.removing
            for (path, bytes) in rights.records { records[path] = bytes }
            if config.bytes.isEmpty { removing.append(ProjectConfig.recordPath) } else { records[PathKey(ProjectConfig.recordPath)] = config.bytes }
            var hooks: HooksReport? = nil
            var checks: [CheckRecord] = []
            if noVerify {
                let who = try identity(now: stamp)
                let changedSet = Set(changedList.map(PathKey.init))
                let artifacts = try staged.filter { changedSet.contains(PathKey($0.path)) || hooksOnly?.contains(PathKey($0.path)) == true }
                    .map { CheckRecord.Artifact(path: $0.path, sha256: try pointer($0.id).sha256) }
                checks.append(CheckRecord(validator: "*", validatorVersion: "1", configDigest: Digest.of(config.bytes), artifacts: artifacts,
                                          outcome: .skipped, checkedAt: Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(stamp))),
                                          skippedBy: "\(who.name) <\(who.email)>"))
            } else if !config.preCommit.isEmpty {
                // A run's hooks see its outputs and every version this commit newly records (an input
                // changed since HEAD, or never committed, is checked like any staged change).
                let hookPaths = hooksOnly.map { $0.union(changedList.map(PathKey.init)) }
                let report = try runPreCommitHooks(config, only: hookPaths, runInputs: runInputs, runOutputs: runInputs.isEmpty ? [] : hooksOnly ?? [],
                                                   now: stamp, progress: progress)
                if report.failed { throw HooksBlocked(report: report) }
                hooks = report
                checks = report.outcomes.map(\.record)
            }
            for check in checks { records[PathKey(CheckRecord.recordPath(check.id))] = try check.encoded() }
            clock.mark("hooks")
            // Versions made by a run whose own commit was blocked carry that run's record, so their
            // provenance names the run and what blocked it (a run's own outputs are its to claim).
            var newlyRecorded: [PathKey: Digest] = [:]
            let changedKeys = Set(changedList.map(PathKey.init))
            for entry in staged where changedKeys.contains(PathKey(entry.path)) && !(runs.isEmpty ? false : hooksOnly?.contains(PathKey(entry.path)) == true) {
                newlyRecorded[PathKey(entry.path)] = try pointer(entry.id).sha256
            }
            let carriedBlocked = blockedRuns(producing: newlyRecorded)
            var runs = runs
            for blocked in carriedBlocked {
                records[PathKey(Repository.runRecordPath(blocked.record.id))] = try blocked.record.encoded()
                runs.append(blocked.record.id)
            }
            // The hooks took time: an agent gone meanwhile stops the commit here, before the tree is written.
            try key.ensureReady()
            // The tree's objects are held back with the commit's (see `writeSignedCommit`).
            let id = try git.holdingWrites { () throws -> ObjectID in
                let tree = try index.writeTree()
                clock.mark("write tree")
                return try writeSignedCommit(userTree: tree, parent: head, message: trimmed + "\n", records: records, removing: removing,
                                             runs: runs, noVerify: noVerify ? true : nil, checks: checks.map(\.id.hex), signer: key, now: stamp)
            }
            clock.mark("sign and write commit")
            let ref = try git.headBranchRef()
            try git.updateReference(ref, to: id, expected: head, message: "commit: " + (trimmed.split(separator: "\n").first.map(String.init) ?? ""))
            // The staged rights are in the commit now, and so are the blocked runs it carries.
            if !pendingRights.isEmpty { try? writeStagedRights([:]) }
            for blocked in carriedBlocked { try? FileManager.default.removeItem(atPath: blocked.file) }
            // Remember that this exact staging index is this commit's files, so `status` can skip comparing them.
            try? openLineageIndex().setMeta(Repository.cleanIndexKey, "\(index.checksum) \(try git.commit(id).tree.hex)")
            // Extend the lineage graph by this commit (derived state: if this fails, the next
            // `trace`/`impact` catches up).
            clock.mark("update ref, status cache")
            if let graph = try? openLineageIndex() { _ = try? syncGraph(graph) }
            clock.mark("graph index")
            // Like git's `gc --auto`: once loose objects or packs pile up, repack the history
            // (maintenance; failing it changes nothing).
            if git.estimatedLooseObjects() > Repository.autoPackLoose || git.packCount() > Repository.autoPackLimit { _ = try? git.repack(all: false) }
            clock.mark("auto repack")
            return CommitResult(commit: id.hex, branch: ref == "HEAD" ? nil : ref.replacingOccurrences(of: "refs/heads/", with: ""),
                                filesChanged: changed, hooks: hooks, noVerify: noVerify, alsoChanged: alsoChanged)
        }
    }

    /// The bytes of a record (path below `.lineage/`) in a commit's tree, or nil.
    func recordBytes(_ path: String, ofCommit id: ObjectID) throws -> [UInt8]? {
        guard let blob = try git.entry(inTree: try git.commit(id).tree, path: RecordTree.directory + "/" + path) else { return nil }
        return try git.readBlob(blob)
    }

    /// Paths whose pointer differs between two trees (nil = empty tree).
    func changedPaths(from a: ObjectID?, to b: ObjectID?) throws -> [String] {
        let left = try a.map { Dictionary(try git.files(inTree: $0).map { (PathKey($0.path), $0.id) }, uniquingKeysWith: { x, _ in x }) } ?? [:]
        let right = try b.map { Dictionary(try git.files(inTree: $0).map { (PathKey($0.path), $0.id) }, uniquingKeysWith: { x, _ in x }) } ?? [:]
        return Set(left.keys).union(right.keys).filter { left[$0] != right[$0] }.sorted().map(\.string)
    }
}
