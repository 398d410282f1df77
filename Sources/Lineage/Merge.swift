import Foundation
import LineageCore
import LineageGit
import LineageStore

/// One side of a conflict: its version and the newest commit on that side that changed it.
public struct MergeSide: Codable, Sendable, Equatable {
    /// `sha256:<hex>` of the side's version; nil when the side deleted it.
    public let sha256: String?
    public let commit: String?
    public let author: String?
}

/// A path both sides changed differently.
public struct MergeConflict: Codable, Sendable, Equatable {
    public let path: String
    /// `file`, `rights` (the path's rights record), `allowed_signers`, `lineage.yaml`, `record` or `directory`.
    public let kind: String
    public let base: String?
    public let ours: MergeSide
    public let theirs: MergeSide
}

/// The merge stopped at conflicts; nothing was changed.
public struct MergeConflicts: Error, CustomStringConvertible {
    public let revision: String
    public let conflicts: [MergeConflict]
    public var description: String {
        var lines = ["merging \(revision) conflicts on \(conflicts.count) path(s); nothing was changed:"]
        for c in conflicts.prefix(20) {
            func side(_ s: MergeSide) -> String {
                "\(s.sha256.map { String($0.prefix(19)) } ?? "deleted")\(s.author.map { " by \($0)" } ?? "")\(s.commit.map { " in \($0.prefix(12))" } ?? "")"
            }
            lines.append("  \(c.path) (\(c.kind)): ours \(side(c.ours)), theirs \(side(c.theirs))")
        }
        if conflicts.count > 20 { lines.append("  ... and \(conflicts.count - 20) more") }
        let first = conflicts.first?.path ?? "<path>"
        lines.append("choose a side per path and merge again: `lineage merge \(revision) --ours -- \(first)` or `lineage merge \(revision) --theirs -- \(first)`")
        return lines.joined(separator: "\n")
    }
}

public enum MergeChoice: String, Codable, Sendable { case ours, theirs }

public struct MergeResult: Codable, Sendable {
    public enum Kind: String, Codable, Sendable { case upToDate = "up-to-date", fastForward = "fast-forward", merge }
    public struct Resolution: Codable, Sendable, Equatable {
        public let path: String
        public let kind: String
        public let side: MergeChoice
    }
    public let kind: Kind
    public let revision: String
    /// The commit merged in.
    public let merged: String
    public var base: String?
    /// HEAD afterwards (the merge commit, the fast-forwarded tip, or HEAD unchanged).
    public var commit: String
    public var branch: String?
    /// Paths whose version now comes from the merged side.
    public var fromTheirs: [String] = []
    public var resolved: [Resolution] = []
    /// Records (runs, checks, rights, erasures, ...) the merged side brought.
    public var records = 0
    public var written: [String] = []
    public var removed: [String] = []
    /// Paths whose new version's bytes were left on the remote (partial content).
    public var notFetched: [String] = []
    public var hooks: HooksReport?
    public var noVerify = false
}

extension Repository {
    /// `lineage merge <revision>`: joins another line of history into the current branch.
    ///
    /// Up to date or a fast-forward when one side contains the other. Otherwise a three-way merge
    /// against the merge base: a path changed on one side only takes that side's version; changed on
    /// both sides to different versions it is a conflict (listed with both versions and authors,
    /// nothing changed) unless `resolve` picks a side for it. Run, check and erasure records are
    /// merged by union; rights records three-way (a withdrawal on either side survives);
    /// `allowed_signers` and `lineage.yaml` three-way, a change on both sides always a conflict.
    /// The pre-commit hooks of the merged lineage.yaml run on the merged result (every path that
    /// differs from either side: two clean halves can leak together), and the merge commit is signed
    /// with both parents. `resolve` maps paths (relative to the project; `lineage.yaml`,
    /// `.lineage/allowed_signers`) to the side to take.
    public func merge(_ revision: String, resolve: [String: MergeChoice] = [:], cwd: String, message: String? = nil, noVerify: Bool = false,
                      now: Int64? = nil, progress: ProgressReporter = SilentProgress()) throws -> MergeResult {
        try merge(revision, resolve: resolve, cwd: cwd, message: message, noVerify: noVerify, now: now, fetch: .present, progress: progress)
    }

    /// `fetch`: which bytes the working files get when they are not local (`pull -- <paths>`: only those).
    func merge(_ revision: String, resolve: [String: MergeChoice], cwd: String, message: String?, noVerify: Bool,
               now: Int64?, fetch: FetchPolicy, progress: ProgressReporter) throws -> MergeResult {
        let theirs = try resolveRevisionOrRemote(revision)
        let cwdReal = realPath(cwd) ?? cwd
        var choices: [(path: String, side: MergeChoice)] = []
        for (path, side) in resolve {
            if path == ProjectConfig.fileName || path.hasPrefix(RecordTree.directory + "/") { choices.append((path, side)); continue }
            choices.append((try self.resolve(path, cwd: cwdReal).relative, side))
        }
        return try withWriteLock {
            let stamp = now ?? nowSeconds()
            try requireVerified(theirs)
            let branchRef = try git.headBranchRef()
            let branch = branchRef.hasPrefix("refs/heads/") ? String(branchRef.dropFirst(11)) : nil
            guard let head = try headCommit() else {
                // Nothing committed here yet: the branch starts at the merged commit.
                return try fastForward(from: nil, to: theirs, revision: revision, branch: branch, branchRef: branchRef, fetch: fetch, progress: progress)
            }
            if try git.isAncestor(theirs, of: head) {
                return MergeResult(kind: .upToDate, revision: revision, merged: theirs.hex, base: theirs.hex, commit: head.hex, branch: branch)
            }
            if try git.isAncestor(head, of: theirs) {
                return try fastForward(from: head, to: theirs, revision: revision, branch: branch, branchRef: branchRef, fetch: fetch, progress: progress)
            }
            guard let base = try git.mergeBase(head, theirs) else {
                throw LineageError.invalidArgument("\(revision) (\(theirs.short)) shares no history with \(branch ?? "HEAD"); lineage merges only histories that start from a common commit")
            }
            return try threeWayMerge(head: head, theirs: theirs, base: base, revision: revision, branch: branch, branchRef: branchRef, choices: choices,
                                     message: message, noVerify: noVerify, now: stamp, fetch: fetch, progress: progress)
        }
    }

    /// Moves the branch (and the working files, the index, the trust file and lineage.yaml) forward to `target`.
    private func fastForward(from head: ObjectID?, to target: ObjectID, revision: String, branch: String?, branchRef: String,
                             fetch: FetchPolicy, progress: ProgressReporter) throws -> MergeResult {
        let ours = try head.map { try files(ofCommit: $0) } ?? [:]
        let targetFiles = try files(ofCommit: target)
        try requireNoStagedChanges(try status())
        let changed = Set(ours.keys).union(targetFiles.keys).filter { ours[$0] != targetFiles[$0] }
        try checkPaths(targetFiles, only: changed, commit: target)
        let oursConfig = try head.flatMap { try recordBytes(ProjectConfig.recordPath, ofCommit: $0) } ?? []
        let oursTrust = try head.flatMap { try trustText(ofCommit: $0) } ?? ""
        let newConfig = try recordBytes(ProjectConfig.recordPath, ofCommit: target) ?? []
        let newTrust = try trustText(ofCommit: target) ?? ""
        try requireUnchangedSettings(configChanges: newConfig != oursConfig, oursConfig: oursConfig,
                                     trustChanges: newTrust != oursTrust, oursTrust: oursTrust)
        let index = try openIndex()
        let update = try updateWorkingTree(to: targetFiles, selected: { changed.contains($0) }, removeMissing: true, index: index,
                                           force: false, fetch: fetch, progress: progress)
        try index.reset(toTree: try git.commit(target).tree)
        try index.write()
        try writeSettings(config: newConfig != oursConfig ? newConfig : nil, trust: newTrust != oursTrust ? newTrust : nil)
        try git.updateReference(branchRef, to: target, expected: head, message: "merge \(revision): Fast-forward")
        if let graph = try? openLineageIndex() { _ = try? syncGraph(graph) }
        var result = MergeResult(kind: .fastForward, revision: revision, merged: target.hex, base: head?.hex, commit: target.hex, branch: branch)
        result.fromTheirs = changed.sorted().map(\.string)
        result.written = update.written
        result.removed = update.removed
        result.notFetched = update.notFetched
        return result
    }

    private func threeWayMerge(head: ObjectID, theirs: ObjectID, base: ObjectID, revision: String, branch: String?, branchRef: String,
                               choices: [(path: String, side: MergeChoice)], message: String?, noVerify: Bool, now stamp: Int64,
                               fetch: FetchPolicy, progress: ProgressReporter) throws -> MergeResult {
        let current = try status()
        try requireNoStagedChanges(current)
        let (headTree, theirTree, baseTree) = (try git.commit(head).tree, try git.commit(theirs).tree, try git.commit(base).tree)
        var conflicts: [MergeConflict] = []
        var resolved: [MergeResult.Resolution] = []
        var usedChoices = Set<Int>()
        func choice(_ path: String, kind: String) -> MergeChoice? {
            // Byte-wise: a resolution names a path or a directory above it, never a canonically equivalent spelling.
            guard let i = choices.firstIndex(where: { path.isPath(within: $0.path) }) else { return nil }
            usedChoices.insert(i)
            resolved.append(MergeResult.Resolution(path: path, kind: kind, side: choices[i].side))
            return choices[i].side
        }
        let sideInfo = SideHistory(repository: self, head: head, theirs: theirs, base: base)
        func conflict(_ path: String, kind: String, base b: String?, ours o: String?, theirs t: String?, lookup: String) {
            conflicts.append(MergeConflict(path: path, kind: kind, base: b, ours: sideInfo.side(o, tip: head, lookup: lookup),
                                           theirs: sideInfo.side(t, tip: theirs, lookup: lookup)))
        }

        // 1. Tracked files.
        let (b, o, t) = (try files(ofCommit: base), try files(ofCommit: head), try files(ofCommit: theirs))
        var merged = o
        var fromTheirs: [PathKey] = []
        func sha(_ id: ObjectID?) throws -> String? { try id.map { "sha256:" + (try pointer($0)).sha256.hex } }
        for path in Set(b.keys).union(o.keys).union(t.keys).sorted() {
            let (bv, ov, tv) = (b[path], o[path], t[path])
            if ov == tv || tv == bv { continue }
            if ov == bv { merged[path] = tv; fromTheirs.append(path); continue }
            let (os, ts) = (try sha(ov), try sha(tv))
            if os == ts { continue }
            switch choice(path.string, kind: "file") {
            case .ours?: continue
            case .theirs?: merged[path] = tv; fromTheirs.append(path)
            case nil: conflict(path.string, kind: "file", base: try sha(bv), ours: os, theirs: ts, lookup: path.string)
            }
        }
        // A file on one side where the other has a directory of the same name.
        for path in merged.keys.sorted() {
            var p = path.string
            while let slash = p.lastIndex(of: "/") {
                p = String(p[..<slash])
                if merged[PathKey(p)] != nil {
                    conflict(p, kind: "directory", base: nil, ours: try sha(o[PathKey(p)]), theirs: try sha(t[PathKey(p)]), lookup: p)
                }
            }
        }

        // 2. Rights records, three-way on their facts; a withdrawal on either side survives.
        let (rb, ro, rt) = (try rightsRecords(inTree: baseTree), try rightsRecords(inTree: headTree), try rightsRecords(inTree: theirTree))
        var mergedRights = ro
        for path in Set(rb.keys).union(ro.keys).union(rt.keys).sorted() {
            let (fb, fo, ft) = (rb[path]?.facts, ro[path]?.facts, rt[path]?.facts)
            if fo == ft || ft == fb { continue }
            if fo == fb { mergedRights[path] = rt[path]; continue }
            // A withdrawal on either side survives, whatever side is chosen for the file.
            let (ow, tw) = (fo?.consent?.status == .withdrawn, ft?.consent?.status == .withdrawn)
            if ow != tw { if tw { mergedRights[path] = rt[path] }; continue }
            switch choice(path.string, kind: "rights") {
            case .ours?: continue
            case .theirs?: mergedRights[path] = rt[path]
            case nil:
                func digest(_ r: RightsRecord?) throws -> String? { try r.map { "sha256:" + Digest.of(try $0.encoded()).hex } }
                conflict(path.string, kind: "rights", base: try digest(rb[path]), ours: try digest(ro[path]), theirs: try digest(rt[path]),
                         lookup: RecordTree.directory + "/" + Repository.rightsRecordPath(path.string))
            }
        }

        // 3. Other records: union for runs, checks and erasures; three-way for the rest.
        let (xb, xo, xt) = (try recordBlobs(baseTree), try recordBlobs(headTree), try recordBlobs(theirTree))
        var records: [PathKey: [UInt8]] = [:]
        var removing: [String] = []
        var recordsFromTheirs = 0
        let unionDirectories = [Repository.runsDirectory, CheckRecord.directory, Repository.erasuresDirectory].map { $0 + "/" }
        for path in Set(xb.keys).union(xo.keys).union(xt.keys).sorted() {
            let (bv, ov, tv) = (xb[path], xo[path], xt[path])
            if ov == tv || tv == bv { continue }
            if unionDirectories.contains(where: { path.string.hasPrefix($0) }) {
                if ov == nil, let tv { records[path] = try git.readBlob(tv); recordsFromTheirs += 1 }
                continue
            }
            if ov == bv {
                if let tv { records[path] = try git.readBlob(tv) } else { removing.append(path.string) }
                recordsFromTheirs += 1
                continue
            }
            let name = RecordTree.directory + "/" + path.string
            switch choice(name, kind: "record") {
            case .ours?: continue
            case .theirs?: if let tv { records[path] = try git.readBlob(tv) } else { removing.append(path.string) }
            case nil: conflict(name, kind: "record", base: bv?.hex, ours: ov?.hex, theirs: tv?.hex, lookup: name)
            }
        }

        // 4. lineage.yaml and allowed_signers: a change on both sides is always a conflict.
        func threeWay(_ name: String, _ bv: [UInt8], _ ov: [UInt8], _ tv: [UInt8], lookup: String) -> [UInt8] {
            if ov == tv || tv == bv { return ov }
            if ov == bv { return tv }
            switch choice(name, kind: name) {
            case .ours?: return ov
            case .theirs?: return tv
            case nil:
                func d(_ x: [UInt8]) -> String? { x.isEmpty ? nil : "sha256:" + Digest.of(x).hex }
                conflict(name, kind: name == ProjectConfig.fileName ? "lineage.yaml" : "allowed_signers", base: d(bv), ours: d(ov), theirs: d(tv), lookup: lookup)
                return ov
            }
        }
        let configPath = RecordTree.directory + "/" + ProjectConfig.recordPath
        let oursConfig = try recordBytes(ProjectConfig.recordPath, ofCommit: head) ?? []
        let mergedConfig = threeWay(ProjectConfig.fileName, try recordBytes(ProjectConfig.recordPath, ofCommit: base) ?? [], oursConfig,
                                    try recordBytes(ProjectConfig.recordPath, ofCommit: theirs) ?? [], lookup: configPath)
        let trustName = RecordTree.directory + "/" + Repository.trustRecord
        let oursTrust = Array((try trustText(ofCommit: head) ?? "").utf8)
        let mergedTrust = threeWay(trustName, Array((try trustText(ofCommit: base) ?? "").utf8), oursTrust,
                                   Array((try trustText(ofCommit: theirs) ?? "").utf8), lookup: Repository.trustRecordPath)

        let unused = choices.indices.filter { !usedChoices.contains($0) }.map { choices[$0].path }
        if !unused.isEmpty {
            throw LineageError.invalidArgument("nothing conflicts at \(unused.joined(separator: ", ")) when merging \(revision); name only conflicting paths with --ours/--theirs (nothing was changed)")
        }
        if !conflicts.isEmpty { throw MergeConflicts(revision: revision, conflicts: conflicts) }

        // 5. Before anything is written: local changes, content, signer, identity.
        let changedVsOurs = Set(o.keys).union(merged.keys).filter { o[$0] != merged[$0] }
        try checkPaths(merged, only: changedVsOurs, commit: theirs)
        try requireUnchangedSettings(configChanges: mergedConfig != oursConfig, oursConfig: oursConfig,
                                     trustChanges: mergedTrust != oursTrust, oursTrust: String(decoding: oursTrust, as: UTF8.self))
        let dirty = current.files.filter { changedVsOurs.contains(PathKey($0.path)) && $0.worktree != .unchanged && $0.worktree != .deleted }.map(\.path)
        if !dirty.isEmpty { throw LineageError.localChanges(dirty.sortedAsPaths()) }
        let trustText = String(decoding: mergedTrust, as: UTF8.self)
        let key = try signingKey()
        try checkSigner(key, parent: head, now: stamp, trustText: trustText)
        let who = try identity(now: stamp)
        let config: ProjectConfig
        do { config = try ProjectConfig.parse(mergedConfig) } catch let e as ConfigError { throw LineageError.config(e) }

        // 6. Rights moved to the merged versions.
        var mergedDigests: [PathKey: Digest] = [:]
        for (path, id) in merged { mergedDigests[path] = try pointer(id).sha256 }
        let droppedRights = Set(ro.keys).subtracting(mergedRights.keys)
        for path in droppedRights { removing.append(Repository.rightsRecordPath(path.string)) }
        var keptOurs = ro
        for path in droppedRights { keptOurs[path] = nil }
        let changedRights = mergedRights.filter { ro[$0.key] != $0.value }
        let rights = try rightsForCommit(head: keptOurs, staged: changedRights) { Repository.artifactDigest($0.string, in: mergedDigests) }
        for (path, bytes) in rights.records { records[path] = bytes }
        removing += rights.removing
        recordsFromTheirs += changedRights.count
        if mergedConfig.isEmpty { removing.append(ProjectConfig.recordPath) } else { records[PathKey(ProjectConfig.recordPath)] = mergedConfig }

        // 7. Hooks on the merged result: every path that differs from either side.
        let changedVsTheirs = Set(t.keys).union(merged.keys).filter { t[$0] != merged[$0] }
        let hookPaths = changedVsOurs.union(changedVsTheirs)
        var hooks: HooksReport? = nil
        var checks: [CheckRecord] = []
        if noVerify {
            let artifacts = try hookPaths.sorted().compactMap { path in
                try merged[path].map { CheckRecord.Artifact(path: path.string, sha256: try pointer($0).sha256) }
            }
            checks.append(CheckRecord(validator: "*", validatorVersion: "1", configDigest: Digest.of(config.bytes), artifacts: artifacts,
                                      outcome: .skipped, checkedAt: Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(stamp))),
                                      skippedBy: "\(who.name) <\(who.email)>"))
        } else if !config.preCommit.isEmpty {
            let clean = Set(current.files.filter { $0.worktree == .unchanged && !changedVsOurs.contains(PathKey($0.path)) }.map { PathKey($0.path) })
            let graph = try rightsGraph(records: mergedRights, files: merged, runTrees: [headTree, theirTree], withdrawalsFrom: head).graph
            let subject = HookSubject(files: merged, base: head, worktreeClean: clean, rights: mergedRights, reuseChecksFrom: [head, theirs], rightsGraph: graph)
            let report = try runPreCommitHooks(config, only: hookPaths, subject: subject, now: stamp, progress: progress)
            if report.failed { throw HooksBlocked(report: report) }
            hooks = report
            checks = report.outcomes.map(\.record)
        }
        for check in checks { records[PathKey(CheckRecord.recordPath(check.id))] = try check.encoded() }

        // 8. The signed merge commit, then the working files and index, then the branch.
        var updates: [PathKey: ObjectID?] = [:]
        for path in changedVsOurs { updates[path] = .some(merged[path]) }
        let userTree = try git.tree(updating: headTree, with: updates)
        let subject = message ?? "Merge \(revision) into \(branch ?? "HEAD")"
        let id = try writeSignedCommit(userTree: userTree, parent: head, merging: theirs, message: subject.trimmingCharacters(in: .whitespacesAndNewlines) + "\n",
                                       records: records, removing: removing, trustText: trustText, noVerify: noVerify ? true : nil,
                                       checks: checks.map(\.id.hex), signer: key, now: stamp)
        let index = try openIndex()
        let update = try updateWorkingTree(to: merged, selected: { changedVsOurs.contains($0) }, removeMissing: true, index: index,
                                           force: false, fetch: fetch, progress: progress)
        try index.reset(toTree: try git.commit(id).tree)
        try index.write()
        try writeSettings(config: mergedConfig != oursConfig ? mergedConfig : nil, trust: mergedTrust != oursTrust ? trustText : nil)
        try git.updateReference(branchRef, to: id, expected: head, message: "merge \(revision)")
        if let graph = try? openLineageIndex() { _ = try? syncGraph(graph) }

        var result = MergeResult(kind: .merge, revision: revision, merged: theirs.hex, base: base.hex, commit: id.hex, branch: branch)
        result.fromTheirs = fromTheirs.map(\.string)
        result.resolved = resolved
        result.records = recordsFromTheirs
        result.written = update.written
        result.removed = update.removed
        result.notFetched = update.notFetched
        result.hooks = hooks
        result.noVerify = noVerify
        return result
    }

    /// Record blobs of a tree by path below `.lineage/`, without the ones merged separately.
    private func recordBlobs(_ tree: ObjectID) throws -> [PathKey: ObjectID] {
        var out: [PathKey: ObjectID] = [:]
        let skipped: Set<String> = [CommitRecord.path, Repository.trustRecord, ProjectConfig.recordPath]
        for f in try git.records(inTree: tree) where !skipped.contains(f.path) && !f.path.hasPrefix(Repository.rightsDirectory + "/") {
            out[PathKey(f.path)] = f.id
        }
        return out
    }

    /// A merge does not mix in staged changes: they would land in a commit nobody reviewed as such.
    private func requireNoStagedChanges(_ current: StatusResult) throws {
        let staged = current.files.filter { $0.staged != .unchanged }.map(\.path)
        guard staged.isEmpty else {
            throw LineageError.invalidArgument("you have staged changes (\(staged.prefix(5).joined(separator: ", "))\(staged.count > 5 ? ", ..." : "")); commit them or unstage them with `lineage restore --staged <path>` before merging (nothing was changed)")
        }
        if !(try stagedRights()).isEmpty {
            throw LineageError.invalidArgument("you have staged rights records; commit them first (`lineage commit -m ...`) before merging (nothing was changed)")
        }
    }

    /// Every path a merge writes is a safe tracked path.
    private func checkPaths(_ files: [PathKey: ObjectID], only: Set<PathKey>, commit: ObjectID) throws {
        for path in only where files[path] != nil {
            do { _ = try TrackedPath(path.string) } catch { throw LineageError.unsafePathInHistory(path.string, commit: commit.hex) }
        }
    }

    /// Refuses when the merge would overwrite uncommitted edits of lineage.yaml or allowed_signers.
    func requireUnchangedSettings(configChanges: Bool, oursConfig: [UInt8], trustChanges: Bool, oursTrust: String) throws {
        var dirty: [String] = []
        if configChanges, (try projectConfig()).bytes != oursConfig { dirty.append(ProjectConfig.fileName) }
        if trustChanges, try workingTrustText() != oursTrust { dirty.append(trustFile) }
        if !dirty.isEmpty { throw LineageError.localChanges(dirty) }
    }

    /// Writes the merged lineage.yaml and trust file (nil: unchanged; empty config: removed).
    func writeSettings(config: [UInt8]?, trust: String?) throws {
        if let config {
            let path = root + "/" + ProjectConfig.fileName
            if config.isEmpty { unlink(path) } else { try AtomicFile.write(config, to: path) }
        }
        if let trust { try AtomicFile.write(Array(trust.utf8), to: trustFile) }
    }
}

/// Who last changed a path on each side of a merge (for conflict reports).
private struct SideHistory {
    let repository: Repository
    let head: ObjectID
    let theirs: ObjectID
    let base: ObjectID

    /// The side's version with the newest commit between the base and `tip` whose tree changed `lookup`.
    func side(_ version: String?, tip: ObjectID, lookup: String) -> MergeSide {
        let git = repository.git
        guard let commits = try? git.walk(from: [tip], hiding: [base]) else { return MergeSide(sha256: version, commit: nil, author: nil) }
        for id in commits {
            guard let info = try? git.commit(id) else { continue }
            let mine = try? git.entry(inTree: info.tree, path: lookup)
            let parent = info.parents.first.flatMap { try? git.entry(inTree: try git.commit($0).tree, path: lookup) }
            if mine != parent {
                return MergeSide(sha256: version, commit: id.hex, author: "\(info.author.name) <\(info.author.email)>")
            }
        }
        return MergeSide(sha256: version, commit: nil, author: nil)
    }
}
