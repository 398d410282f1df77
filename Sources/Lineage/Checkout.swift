import Foundation
import LineageCore
import LineageGit
import LineageGraph
import LineageStore

public struct CheckoutResult: Codable, Sendable {
    public let commit: String
    /// The branch HEAD now names, or nil when HEAD is detached (or did not move, with paths).
    public let branch: String?
    public var written: [String] = []
    public var removed: [String] = []
    /// Paths whose bytes are not here (partial content); `checkout <rev> -- <path>` fetches them.
    public var notFetched: [String] = []
    public var unchanged: Int = 0
}

extension Repository {
    /// Restores files from a revision.
    ///
    /// Without paths it works like `git checkout`: a branch name switches to that branch, any other
    /// revision detaches HEAD there; the staging index and the working files follow. With paths, only
    /// those files (or directories) are restored and staged, and HEAD stays. Files with uncommitted
    /// changes that would be overwritten or removed make it refuse, unless `force`.
    public func checkout(_ revision: String, paths: [String] = [], cwd: String, force: Bool = false,
                         progress: ProgressReporter = SilentProgress()) throws -> CheckoutResult {
        let target = try resolveRevision(revision)
        let cwdReal = realPath(cwd) ?? cwd
        let prefixes = try paths.map { try resolve($0, cwd: cwdReal).relative }
        return try withWriteLock {
            let targetFiles = try files(ofCommit: target)
            // Every path is checked before anything is written, so a crafted tree changes nothing.
            for path in targetFiles.keys {
                do { _ = try TrackedPath(path.string) } catch { throw LineageError.unsafePathInHistory(path.string, commit: target.hex) }
            }
            func selected(_ path: PathKey) -> Bool {
                prefixes.isEmpty || prefixes.contains { path.string.isPath(within: $0) }
            }
            for prefix in prefixes where !targetFiles.keys.contains(where: { $0.string.isPath(within: prefix) }) {
                throw LineageError.notTracked(prefix, suggestions: closest(prefix, among: targetFiles.keys.map(\.string)))
            }
            // A whole checkout switches lineage.yaml and the trust file too (they are recorded in every
            // commit, not tracked as files), unless they have local edits that would be lost.
            var settings: (config: [UInt8]?, trust: String?) = (nil, nil)
            if prefixes.isEmpty, let head = try headCommit(), head != target {
                let oursConfig = try recordBytes(ProjectConfig.recordPath, ofCommit: head) ?? []
                let oursTrust = try trustText(ofCommit: head) ?? ""
                let newConfig = try recordBytes(ProjectConfig.recordPath, ofCommit: target) ?? []
                let newTrust = try trustText(ofCommit: target) ?? ""
                if !force {
                    try requireUnchangedSettings(configChanges: newConfig != oursConfig, oursConfig: oursConfig,
                                                 trustChanges: newTrust != oursTrust, oursTrust: oursTrust)
                }
                settings = (newConfig != oursConfig ? newConfig : nil, newTrust != oursTrust ? newTrust : nil)
            }
            let index = try openIndex()
            // Named paths are fetched from a remote when their bytes are not here; a whole checkout
            // leaves what is not fetched here not fetched.
            let update = try updateWorkingTree(to: targetFiles, selected: selected, removeMissing: prefixes.isEmpty, index: index,
                                               force: force, fetch: prefixes.isEmpty ? .present : .all, progress: progress)
            var result = CheckoutResult(commit: target.hex, branch: nil, written: update.written, removed: update.removed)
            result.notFetched = update.notFetched
            if prefixes.isEmpty {
                // Leaving a detached HEAD whose commits no branch holds: say so, as git does.
                if try git.headBranchRef() == "HEAD", let head = try headCommit(), head != target {
                    let branches = try git.references(withPrefix: "refs/heads/").map(\.id)
                    let behind = try git.walk(from: [head], hiding: branches + [target])
                    if let newest = behind.first {
                        let subject = (try? git.commit(newest).message.split(separator: "\n").first.map(String.init)) ?? nil
                        warn("you are leaving \(behind.count) commit(s) behind, not on any branch: \(newest.short)\(subject.map { " \($0)" } ?? "") — keep them with `lineage branch <new-name> \(newest.short)` (else `lineage gc` removes them)")
                    }
                }
                // Whole checkout: the index becomes the target tree exactly, and HEAD moves.
                try index.reset(toTree: try git.commit(target).tree)
                let branchRef = "refs/heads/" + revision
                if try git.branches().contains(revision), try git.resolveCommit(branchRef) == target {
                    try git.setHead(symbolic: branchRef)
                    result = CheckoutResult(commit: target.hex, branch: revision, written: result.written, removed: result.removed, notFetched: result.notFetched)
                } else {
                    try git.setHead(detachedAt: target)
                }
            }
            try index.write()
            try writeSettings(config: settings.config, trust: settings.trust)
            result.unchanged = update.unchanged
            return result
        }
    }

    /// What `updateWorkingTree` did.
    struct WorkingTreeUpdate {
        var written: [String] = []
        var removed: [String] = []
        var unchanged = 0
        /// Paths recorded in the index whose bytes were left on the remote (partial content).
        var notFetched: [String] = []
    }

    /// Which bytes `updateWorkingTree` fetches when they are not local.
    enum FetchPolicy {
        /// Every version it writes (paths named on the command line).
        case all
        /// Versions of paths that are here now or new; a path not fetched stays not fetched.
        case present
        /// Only paths within these prefixes; the others are left not fetched.
        case only([String])
    }

    /// Makes the working files and the staging index (not written) hold `targetFiles`' versions of
    /// the selected paths, removing selected staged paths the target lacks when `removeMissing`.
    /// Files with uncommitted changes that would be overwritten or removed make it refuse before
    /// anything is written, unless `force`. Shared by checkout, merge and pull (caller holds the lock).
    func updateWorkingTree(to targetFiles: [PathKey: ObjectID], selected: (PathKey) -> Bool, removeMissing: Bool, index: StagingIndex,
                           force: Bool, fetch: FetchPolicy = .present, progress: ProgressReporter) throws -> WorkingTreeUpdate {
        let current = try status()
        let staged = Dictionary(index.entries.map { (PathKey($0.path), $0.id) }, uniquingKeysWith: { a, _ in a })

        var toWrite: [(String, ObjectID)] = []
        var toRemove: [String] = []
        var dirty: [String] = []
        var unchanged = 0
        let statusByPath = Dictionary(current.files.map { (PathKey($0.path), $0) }, uniquingKeysWith: { a, _ in a })
        for (key, id) in targetFiles where selected(key) {
            let path = key.string
            let s = statusByPath[key]
            let clean = s.map { ($0.worktree == .unchanged || $0.worktree == .notFetched) && $0.staged == .unchanged } ?? true
            if staged[key] == id, s?.worktree == .unchanged || (s?.worktree == .notFetched && !isFetchAll(fetch)) { unchanged += 1; continue }
            if let s, !clean && !(s.worktree == .deleted && s.staged == .unchanged) { dirty.append(path) }
            if s == nil, FileStat.lstat(root + "/" + path) != nil { dirty.append(path) }  // an untracked file in the way
            toWrite.append((path, id))
        }
        for key in staged.keys where removeMissing && selected(key) && targetFiles[key] == nil {
            if let s = statusByPath[key], !(s.worktree == .unchanged && s.staged == .unchanged) && s.worktree != .deleted && s.worktree != .notFetched {
                dirty.append(key.string)
            }
            toRemove.append(key.string)
        }
        if !dirty.isEmpty && !force { throw LineageError.localChanges(dirty.sortedAsPaths()) }

        // Bytes that are not here: fetched from a remote, or left there as the policy says.
        var leave = Set<PathKey>()
        var wanted: [(path: String, pointer: Pointer)] = []
        var erased: [Digest: ErasureRecord]? = nil
        for (path, id) in toWrite {
            let p = try pointer(id)
            if hasContent(p) { continue }
            // An erased version (a tombstone received) is left absent, like one not fetched, unless
            // asked for by name: a merge or pull bringing a teammate's erasure must not fail on it.
            if !isFetchAll(fetch) {
                if erased == nil { erased = try receivedErasures() }
                if erased?[p.sha256] != nil { leave.insert(PathKey(path)); continue }
            }
            let fetchIt: Bool
            switch fetch {
            case .all: fetchIt = true
            case .present: fetchIt = statusByPath[PathKey(path)]?.worktree != .notFetched
            case .only(let prefixes): fetchIt = prefixes.contains { path.isPath(within: $0) }
            }
            if fetchIt { wanted.append((path, p)) } else { leave.insert(PathKey(path)) }
        }
        try ensureContent(wanted, progress: progress)

        let lineageIndex = try openLineageIndex()
        var cacheUpdates: [(path: String, file: CachedFile)] = []
        var result = WorkingTreeUpdate()
        let total = try toWrite.reduce(UInt64(0)) { $0 + (try pointer($1.1)).size }
        var done: UInt64 = 0
        for (path, id) in toWrite.sorted(by: { $0.0.bytesPrecede($1.0) }) {
            let p = try pointer(id)
            if leave.contains(PathKey(path)) {
                // The old version (clean, or it would be listed as a local change) goes; the new one stays remote.
                let absolute = root + "/" + path
                if FileStat.lstat(absolute) != nil && Sys.unlink(absolute) != 0 {
                    throw LineageError.unreadable(path, reason: "cannot remove: \(String(cString: strerror(errno)))")
                }
                try index.add(path: path, id: id, size: p.size)
                result.notFetched.append(path)
                continue
            }
            try ensureParentDirectories(of: path)
            let destination = root + "/" + path
            // Restored in .lineage/tmp and renamed into place: a kill leaves nothing hidden in the
            // working tree, and the next writer removes what it left (InterruptedWork.swift).
            try ensureTemporaryDirectory()
            var temp = temporaryDirectory + "/" + Leftovers.temporaryName(prefix: Repository.checkoutTempPrefix)
            do {
                // Working files are not fsynced (git does not either); the store stays the durable copy.
                try store.restore(chunkList: p.chunks, size: p.size, sha256: p.sha256, to: temp, durable: false) { n in
                    progress.update(phase: "Checking out", done: done + n, total: total, unit: .bytes)
                }
            } catch let e as StoreError {
                Sys.unlink(temp)
                if case .missingObject(let d) = e {
                    throw erasedError(path, p.sha256) ?? LineageError.missingContent(path: path, detail: "object \(d.hex) is missing")
                }
                throw e
            }
            let recorded = currentTimeNs()
            killPoint("checkout-before-rename")
            var moved = Sys.rename(temp, destination) == 0
            if !moved && errno == EXDEV {
                // The working tree is on another file system than .lineage: restore beside the file.
                Sys.unlink(temp)
                temp = (destination as NSString).deletingLastPathComponent + "/.\((path as NSString).lastPathComponent).lineage-tmp-\(getpid())"
                try store.restore(chunkList: p.chunks, size: p.size, sha256: p.sha256, to: temp, durable: false) { _ in }
                moved = Sys.rename(temp, destination) == 0
            }
            guard moved else {
                let why = String(cString: strerror(errno)); Sys.unlink(temp)
                throw LineageError.unreadable(path, reason: "cannot move the restored file into place: \(why)")
            }
            done += p.size
            try index.add(path: path, id: id, size: p.size)
            if let st = FileStat.lstat(destination) {
                cacheUpdates.append((path, CachedFile(stat: st, sha256: p.sha256, pointer: id.hex, recordedNs: recorded)))
            }
            result.written.append(path)
        }
        for path in toRemove.sortedAsPaths() {
            let absolute = root + "/" + path
            if FileStat.lstat(absolute) != nil && Sys.unlink(absolute) != 0 {
                throw LineageError.unreadable(path, reason: "cannot remove: \(String(cString: strerror(errno)))")
            }
            try index.remove(path: path)
            result.removed.append(path)
        }
        progress.finish()
        try? lineageIndex.updateCache(cacheUpdates, removed: result.removed)
        result.unchanged = unchanged
        return result
    }

    private func isFetchAll(_ policy: FetchPolicy) -> Bool { if case .all = policy { return true } else { return false } }

    /// Creates missing parent directories of a tracked path, refusing to go through a symbolic link.
    func ensureParentDirectories(of path: String) throws {
        var current = root
        for part in path.split(separator: "/").dropLast() {
            current += "/" + part
            if let st = FileStat.lstat(current) {
                if st.isSymlink { throw LineageError.symlinkInTheWay(path) }
                if !st.isDirectory { throw LineageError.invalidArgument("'\(current)' is a file where \(path) needs a directory — move it away and retry") }
            } else if Sys.mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw LineageError.unreadable(current, reason: String(cString: strerror(errno)))
            }
        }
        if let st = FileStat.lstat(root + "/" + path), st.isSymlink || st.isDirectory {
            throw LineageError.symlinkInTheWay(path)
        }
    }
}
