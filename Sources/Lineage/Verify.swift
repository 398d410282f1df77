import Foundation
import LineageCore
import LineageGit
import LineageGraph
import LineageStore

/// One thing `verify` found wrong, with where it is.
public struct VerifyProblem: Codable, Sendable, Equatable {
    public let kind: String
    public let commit: String?
    public let path: String?
    public let object: String?
    public let file: String?
    public let detail: String
}

/// What `verify` concluded about one commit.
public struct CommitVerdict: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case good
        case unsigned
        case badSignature = "bad-signature"
        case unknownKey = "unknown-key"
        case keyNotValid = "key-not-valid"
        case recordAltered = "record-altered"
        case contentDigestMismatch = "content-digest-mismatch"
        case unreadable
        /// Signed by a key the parent trusts, but the parent itself did not verify: trust is only
        /// ever taken from verified commits, so nothing is in force here.
        case unverifiedParent = "unverified-parent"
    }
    public let commit: String
    public var status: Status
    /// Principals the signing key is trusted as (by the trust in force at the parent, which must itself be good).
    public var principals: [String]?
    /// The signing key's fingerprint (`SHA256:...`), when the signature could be read.
    public var key: String?
    public var detail: String?
}

public struct VerifyResult: Codable, Sendable {
    public var commits = 0
    public var files = 0
    public var bytesVerified: UInt64 = 0
    /// One verdict per commit, newest first.
    public var history: [CommitVerdict] = []
    public var problems: [VerifyProblem] = []
    /// Artifact versions erased on purpose (`lineage erase`): their bytes are gone, their tombstones signed.
    public var erasures: [ErasureRecord] = []
    /// File versions whose bytes are not (all) in this clone, which has a remote: partial content
    /// or an interrupted fetch, not damage (what is here is still re-hashed as packs). `cat` /
    /// `checkout` fetch them.
    public var notFetched = 0
    public var ok: Bool { problems.isEmpty }
}

extension Repository {
    /// The auditor's check: every pack and object re-hashed; every commit's signature checked against
    /// the trust in force at its parent (the first commit: its own); every commit's record checked
    /// against a SHA-256 digest of its tree; every pointer decoded, every file reassembled and its
    /// SHA-256 recomputed.
    public func verify(progress: ProgressReporter = SilentProgress()) throws -> VerifyResult {
        var result = VerifyResult()
        let clock = PhaseClock("verify")
        for p in store.verify(progress: { done, total in
            progress.update(phase: "Checking packs", done: UInt64(done), total: UInt64(total), unit: .items)
        }) {
            result.problems.append(VerifyProblem(kind: "store:\(p.kind)", commit: nil, path: nil, object: p.object?.hex, file: p.file, detail: p.detail))
        }
        progress.finish()

        var pointers: [ObjectID: (path: String, commit: String)] = [:]
        var order: [ObjectID] = []
        func note(_ id: ObjectID, path: String, commit: String) {
            if pointers[id] == nil { pointers[id] = (path, commit); order.append(id) }
        }
        // What cannot be read here is a problem, never a shorter history checked in silence.
        var starts: [ObjectID] = []
        do {
            starts = try git.referenceTargets()
            for name in try git.unresolvedReferences() {
                result.problems.append(VerifyProblem(kind: "ref-unreadable", commit: nil, path: nil, object: nil, file: layout.dotLineage + "/" + name,
                                                     detail: "\(name) does not hold a readable commit id, so the history it names was not checked; restore it from a clone or `git --git-dir .lineage reflog`"))
            }
        } catch {
            result.problems.append(VerifyProblem(kind: "refs-unreadable", commit: nil, path: nil, object: nil, file: layout.dotLineage + "/refs",
                                                 detail: "the references cannot be listed (\(error)), so no history was checked"))
        }
        do { if let head = try headCommit() { starts.append(head) } } catch {
            result.problems.append(VerifyProblem(kind: "head-unreadable", commit: nil, path: nil, object: nil, file: layout.dotLineage + "/HEAD",
                                                 detail: "HEAD cannot be resolved (\(error)); the branch it names is damaged"))
        }
        clock.mark("packs")
        let commits = try commitsNewestFirst(from: starts, result: &result)
        clock.mark("walk")
        // Commits are checked on every core, each worker with its own libgit2 handle and caches,
        // on contiguous slices of history (neighbouring commits share most subtrees).
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, commits.count / 200))
        let slices = (0..<workers).map { w in (commits.count * w / workers)..<(commits.count * (w + 1) / workers) }
        let gitPath = git.path
        // Only worker 0 reports, so the reporter is never used from two threads at once.
        nonisolated(unsafe) let reporter = progress
        let perSlice = try parallelMap(workers, workers: workers) { w, _ in
            let handle = w == 0 ? self.git : try GitRepository.open(at: gitPath)
            return try Repository.checkCommits(commits[slices[w]], git: handle) { done in
                if w == 0 { reporter.update(phase: "Checking commits", done: UInt64(done * workers), total: UInt64(commits.count), unit: .items) }
            }
        }
        var verdictIndex: [ObjectID: Int] = [:]
        for slice in perSlice {
            for v in slice.verdicts {
                result.commits += 1
                verdictIndex[ObjectID(hex: v.commit)!] = result.history.count
                result.history.append(v)
            }
            result.problems += slice.problems
            for b in slice.blobs { note(b.id, path: b.path, commit: b.commit) }
        }
        // Trust flows only through verified commits: a commit on top of one that did not verify is not good.
        var byID: [ObjectID: CommitVerdict] = [:]
        for v in result.history { if let id = ObjectID(hex: v.commit) { byID[id] = v } }
        let parentsOf = Dictionary(commits.map { ($0.id, $0.parents) }, uniquingKeysWith: { a, _ in a })
        let resolved = Repository.resolveChain(byID, parents: parentsOf, known: [:])
        for (id, v) in resolved.verdicts { if let i = verdictIndex[id] { result.history[i] = v } }
        // What was found is remembered for the verbs that write (a cache; verify itself never reads it).
        if let index = try? openLineageIndex() {
            try? index.recordVerdicts(resolved.cacheable.compactMap { resolved.verdicts[$0].map(CachedVerdict.init) })
        }
        progress.finish()
        clock.mark("commits")
        do {
            for e in try openIndex().entries { note(e.id, path: e.path, commit: "staged") }
        } catch let LineageError.damagedStagingIndex(file, detail) {
            result.problems.append(VerifyProblem(kind: "staging-index-damaged", commit: nil, path: nil, object: nil, file: file,
                                                 detail: "\(detail); move it away and lineage rebuilds it from HEAD (what was staged must be added again)"))
        }

        var badPointers: [ObjectID: String] = [:]
        // Pointers are read here (libgit2, one handle); the content behind each distinct chunk list
        // is then re-hashed on every core (the content store reads with pread, safe across threads).
        var work: [(id: ObjectID, path: String, commit: String, pointer: Pointer)] = []
        var listed = Set<Digest>()
        var byList: [Digest: [(id: ObjectID, path: String)]] = [:]
        let erased: [Digest: ErasureRecord]
        do { erased = try receivedErasures() } catch {
            erased = [:]
            result.problems.append(VerifyProblem(kind: "erasures-unreadable", commit: nil, path: nil, object: nil, file: nil,
                                                 detail: "the tombstones cannot be read (\(error)); erased versions may be reported missing"))
        }
        result.erasures = erased.values.sorted { ($0.erasedAt, $0.path) < ($1.erasedAt, $1.path) }
        result.problems += interruptedWorkProblems()
        var unfinishedErasures = Set<Digest>()
        // A clone (or any repository with a remote) holds only the bytes it fetched.
        let fetchedFromRemote = !((try? remotes()) ?? []).isEmpty
        for id in order {
            let (path, commit) = pointers[id]!
            let p: Pointer
            do {
                let bytes = try git.readBlob(id)
                do { p = try Pointer.decode(bytes) } catch {
                    result.problems.append(VerifyProblem(kind: "pointer-malformed", commit: commit, path: path, object: id.hex, file: nil, detail: "\(error)"))
                    badPointers[id] = "pointer of \(path) is malformed"
                    continue
                }
            } catch {
                result.problems.append(VerifyProblem(kind: "pointer-unreadable", commit: commit, path: path, object: id.hex, file: nil, detail: "\(error)"))
                badPointers[id] = "pointer of \(path) is unreadable"
                continue
            }
            result.files += 1
            if erased[p.sha256] != nil {
                // Erased on purpose: nothing left to re-hash — and nothing may be left to read.
                if store.contains(p.chunks), unfinishedErasures.insert(p.sha256).inserted {
                    result.problems.append(VerifyProblem(kind: "erasure-unfinished", commit: commit, path: path, object: p.chunks.hex, file: nil,
                                                         detail: "a signed tombstone says \(p.sha256.hex.prefix(12)) was erased, but its bytes are still in the content store; run `lineage erase \(path)@\(commit.prefix(12)) --reason ...` again to finish it"))
                }
                continue
            }
            // Not fetched (or only partly, e.g. a pull stopped by a full disk): the remote has the rest.
            if fetchedFromRemote && !hasContent(p) {
                if listed.insert(p.chunks).inserted { result.notFetched += 1 }
                continue
            }
            byList[p.chunks, default: []].append((id, path))
            if listed.insert(p.chunks).inserted { work.append((id, path, commit, p)) }
        }
        let fileWorkers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, work.count / 64))
        let items = work
        let checked = try parallelMap(items.count, workers: fileWorkers) { k, w -> (problem: VerifyProblem?, bytes: UInt64) in
            if w == 0 { reporter.update(phase: "Verifying files", done: UInt64(k), total: UInt64(items.count), unit: .items) }
            let item = items[k]
            var bytes: UInt64 = 0
            let problem = self.verifyContent(item.pointer, path: item.path, commit: item.commit, bytesVerified: &bytes)
            return (problem, bytes)
        }
        for (k, c) in checked.enumerated() {
            result.bytesVerified += c.bytes
            if let problem = c.problem {
                result.problems.append(problem)
                // Every pointer naming the same bytes is as damaged.
                for other in byList[work[k].pointer.chunks] ?? [] { badPointers[other.id] = "\(other.path): \(problem.kind)" }
            }
        }
        progress.finish()
        clock.mark("files")

        // Name every commit whose files are damaged, not only the first one that showed it.
        if !badPointers.isEmpty {
            for info in commits {
                guard let i = verdictIndex[info.id], result.history[i].status == .good,
                      let files = try? git.files(inTree: info.tree),
                      let hit = files.first(where: { badPointers[$0.id] != nil }) else { continue }
                result.history[i].status = .contentDigestMismatch
                result.history[i].detail = badPointers[hit.id]
            }
        }
        for v in result.history where v.status != .good && v.status != .unreadable {
            result.problems.append(VerifyProblem(kind: v.status.rawValue, commit: v.commit, path: nil, object: v.commit, file: nil,
                                                 detail: v.detail ?? v.status.rawValue))
        }
        return result
    }

    /// What one worker of `verify` found in its slice of history.
    struct CommitSliceResult: Sendable {
        var verdicts: [CommitVerdict] = []
        var problems: [VerifyProblem] = []
        /// Pointer blobs met for the first time in this slice, with where.
        var blobs: [(id: ObjectID, path: String, commit: String)] = []
    }

    static func checkCommits(_ commits: ArraySlice<CommitInfo>, git: GitRepository, progress: (Int) -> Void) throws -> CommitSliceResult {
        var out = CommitSliceResult()
        let checker = CommitChecker(git: git)
        // The tree digester meets every new tree and blob while checking records; it reports the
        // pointers to verify and any unsafe names, so no second walk of the trees is needed.
        var commitHex = ""
        checker.digester.onNewBlob = { path, id in out.blobs.append((id, path, commitHex)) }
        checker.digester.onUnsafeName = { path, id in
            out.problems.append(VerifyProblem(kind: "unsafe-path", commit: commitHex, path: path, object: id.hex, file: nil,
                                              detail: "path is absolute, has '..' or is reserved"))
        }
        for (n, info) in commits.enumerated() {
            if n % 64 == 0 { progress(n) }
            commitHex = info.id.hex
            out.verdicts.append(checker.check(info))
            // Cached when the check got that far; otherwise (a bad signature) this walks the tree.
            do { _ = try checker.digester.digest(ofTree: info.tree, excluding: Repository.commitRecordPath) } catch {
                out.problems.append(VerifyProblem(kind: "tree-unreadable", commit: info.id.hex, path: nil, object: info.tree.hex, file: nil, detail: "\(error)"))
            }
        }
        return out
    }

    /// Every commit reachable from `starts`, newest first; unreadable ones are reported and skipped.
    private func commitsNewestFirst(from starts: [ObjectID], result: inout VerifyResult) throws -> [CommitInfo] {
        // Topological order when the whole history reads; a damaged one is walked by hand below,
        // reporting what cannot be read.
        if let ids = try? git.walk(from: starts), let infos = try? ids.map({ try git.commit($0) }) { return infos }
        var out: [CommitInfo] = []
        var stack = starts
        var seen = Set<ObjectID>()
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            do {
                let info = try git.commit(id)
                out.append(info)
                stack.append(contentsOf: info.parents)
            } catch {
                result.problems.append(VerifyProblem(kind: "commit-unreadable", commit: id.hex, path: nil, object: id.hex, file: nil, detail: "\(error)"))
                result.history.append(CommitVerdict(commit: id.hex, status: .unreadable, detail: "\(error)"))
            }
        }
        return out.sorted { a, b in a.committer.time != b.committer.time ? a.committer.time > b.committer.time : a.id < b.id }
    }

    /// Reassembles one file from its chunks and checks sizes and the whole-file SHA-256.
    private func verifyContent(_ p: Pointer, path: String, commit: String, bytesVerified: inout UInt64) -> VerifyProblem? {
        func problem(_ kind: String, _ object: Digest?, _ detail: String) -> VerifyProblem {
            VerifyProblem(kind: kind, commit: commit, path: path, object: object?.hex, file: nil, detail: detail)
        }
        let list: ChunkList
        do { list = try ChunkList.decode(try store.read(p.chunks)) } catch let e as StoreError {
            return problem(Self.kind(of: e, "chunk-list"), p.chunks, e.description)
        } catch {
            return problem("chunk-list-malformed", p.chunks, "\(error)")
        }
        if list.totalSize != p.size {
            return problem("size-mismatch", p.chunks, "chunks add up to \(list.totalSize) bytes, the pointer says \(p.size)")
        }
        var hasher = DigestBuilder()
        for entry in list.entries {
            do {
                let bytes = try store.read(entry.digest)
                guard bytes.count == Int(entry.length) else {
                    return problem("size-mismatch", entry.digest, "chunk is \(bytes.count) bytes, the chunk list says \(entry.length)")
                }
                bytes.withUnsafeBytes { hasher.update($0) }
                bytesVerified += UInt64(bytes.count)
            } catch let e as StoreError {
                return problem(Self.kind(of: e, "chunk"), entry.digest, e.description)
            } catch {
                return problem("chunk-unreadable", entry.digest, "\(error)")
            }
        }
        let digest = hasher.finalize()
        if digest != p.sha256 {
            return problem("file-digest-mismatch", p.sha256, "reassembled bytes hash to \(digest.hex)")
        }
        return nil
    }

    private static func kind(of e: StoreError, _ what: String) -> String {
        switch e {
        case .missingObject: return "\(what)-missing"
        case .corruptObject: return "\(what)-corrupt"
        default: return "\(what)-unreadable"
        }
    }
}
