import Foundation
import LineageCore
import LineageGit
import LineageGraph
import LineageSigning

extension CachedVerdict {
    init(_ v: CommitVerdict) {
        self.init(commit: v.commit, status: v.status.rawValue, key: v.key, principals: v.principals, detail: v.detail)
    }
}

extension CommitVerdict {
    init?(_ c: CachedVerdict) {
        guard let status = Status(rawValue: c.status) else { return nil }
        self.init(commit: c.commit, status: status, principals: c.principals, key: c.key, detail: c.detail)
    }
}

extension Repository {
    /// Chain of custody: trust is only ever taken from verified commits. A commit whose signer the
    /// parent's trust accepts is still not good when that parent (or any parent) is not good: the
    /// parent's `allowed_signers` is not in force. Commits are resolved parents first.
    ///
    /// `checked` holds each commit's own verdict (signature, trust at its parent, record); `known`
    /// the final verdicts of commits outside this batch (from the cache). Returns the final verdicts
    /// and which of them may be remembered (not the ones an unreadable object could change later).
    static func resolveChain(_ checked: [ObjectID: CommitVerdict], parents: [ObjectID: [ObjectID]],
                             known: [ObjectID: CommitVerdict]) -> (verdicts: [ObjectID: CommitVerdict], cacheable: [ObjectID]) {
        var final: [ObjectID: CommitVerdict] = [:]
        var stable: [ObjectID: Bool] = [:]
        for start in checked.keys where final[start] == nil {
            var stack = [start]
            while let id = stack.last {
                if final[id] != nil { stack.removeLast(); continue }
                let ps = parents[id] ?? []
                let pending = ps.filter { final[$0] == nil && checked[$0] != nil }
                if !pending.isEmpty { stack.append(contentsOf: pending); continue }
                stack.removeLast()
                var v = checked[id]!
                var remember = v.status != .unreadable && v.status != .recordAltered
                if v.status == .good || v.status == .unknownKey || v.status == .keyNotValid {
                    for p in ps {
                        let pv = final[p] ?? known[p]
                        guard pv?.status != .good else { continue }
                        v.status = .unverifiedParent
                        v.principals = nil
                        v.detail = "its parent \(p.hex.prefix(12)) did not verify (\(pv?.status.rawValue ?? "missing")), and trust is only taken from verified commits"
                        remember = pv != nil && (stable[p] ?? true)
                        break
                    }
                }
                final[id] = v
                stable[id] = remember
            }
        }
        return (final, final.keys.filter { stable[$0] == true })
    }

    /// The verdicts of `starts` and of every ancestor not verified before (the result holds at least
    /// every one of `starts`), verifying only what was not verified before:
    /// verdicts are remembered in `index.sqlite` by commit id, so a long history is checked once and
    /// then only new commits (those another tool or another clone made). Commits are checked on
    /// every core, as `verify` does.
    func commitVerdicts(from starts: [ObjectID]) throws -> [ObjectID: CommitVerdict] {
        let index = try? openLineageIndex()
        // The usual case is one lookup: the start was verified (or written) before.
        var cached: [String: CachedVerdict] = (try? index?.verdicts(starts.map(\.hex))) ?? [:]
        if cached.count < starts.count, let all = try? index?.allVerdicts() { cached = all }
        var known: [ObjectID: CommitVerdict] = [:]
        var checked: [ObjectID: CommitVerdict] = [:]
        var parents: [ObjectID: [ObjectID]] = [:]
        var infos: [CommitInfo] = []
        var seen = Set<ObjectID>()
        var stack = starts
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            if let c = cached[id.hex], let v = CommitVerdict(c) { known[id] = v; continue }
            do {
                let info = try git.commit(id)
                infos.append(info)
                parents[id] = info.parents
                stack.append(contentsOf: info.parents)
            } catch {
                checked[id] = CommitVerdict(commit: id.hex, status: .unreadable, detail: "\(error)")
            }
        }
        guard !infos.isEmpty || !checked.isEmpty else { return known }
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, infos.count / 200))
        let slices = (0..<workers).map { w in (infos.count * w / workers)..<(infos.count * (w + 1) / workers) }
        let gitPath = git.path
        let batch = infos
        // One slice of history per worker, each with its own libgit2 handle (handles are not shared).
        let perSlice = try parallelMap(workers, workers: workers) { w, _ in
            let checker = CommitChecker(git: w == 0 ? self.git : try GitRepository.open(at: gitPath))
            return batch[slices[w]].map { checker.check($0) }
        }
        for verdicts in perSlice {
            for v in verdicts { if let id = ObjectID(hex: v.commit) { checked[id] = v } }
        }
        let resolved = Repository.resolveChain(checked, parents: parents, known: known)
        try? index?.recordVerdicts(resolved.cacheable.compactMap { resolved.verdicts[$0].map(CachedVerdict.init) })
        return known.merging(resolved.verdicts) { a, _ in a }
    }

    /// The verdict of one commit (verifying what it stands on, once).
    func commitVerdict(_ id: ObjectID) throws -> CommitVerdict {
        try commitVerdicts(from: [id])[id] ?? CommitVerdict(commit: id.hex, status: .unreadable, detail: "the commit cannot be read")
    }

    /// Refuses to build on `head` unless it verified good: every verb that writes a commit calls
    /// this (through `checkSigner`) before writing anything.
    func requireVerified(_ head: ObjectID) throws {
        let verdict = try commitVerdict(head)
        guard verdict.status != .good else { return }
        // The newest good commit along the first parents, to say where to go back to.
        var lastGood: ObjectID? = nil
        var cursor = try? git.commit(head).parents.first
        while let c = cursor {
            if (try? commitVerdict(c))?.status == .good { lastGood = c; break }
            cursor = try? git.commit(c).parents.first
        }
        let branch = (try? git.headBranchRef()).flatMap { $0 == "HEAD" ? nil : $0 } ?? "HEAD"
        throw LineageError.unverifiedHistory(commit: head.hex, status: verdict.status.rawValue, detail: verdict.detail ?? verdict.status.rawValue,
                                             lastGood: lastGood?.hex, branch: branch)
    }

    /// Refuses a trust file that would lock the repository: one that trusts no key to sign at `now`,
    /// or (unless `force`) one that no longer trusts `signer`, whoever edited it and however.
    func checkTrustLeft(_ trust: AllowedSigners, signer: SSHPublicKey, now: Int64, force: Bool) throws {
        func trusted(_ key: SSHPublicKey) -> Bool {
            if case .trusted = trust.lookup(key: key, namespace: "git", at: now) { return true }
            return false
        }
        guard trust.entries.contains(where: { trusted($0.key) }) else {
            throw LineageError.invalidArgument("\(trustFile) would trust no key to sign commits, so nobody could ever commit here again; nothing was committed — restore it (`git --git-dir .lineage show HEAD:\(Repository.trustRecordPath) > \(trustFile)`) or keep at least one trusted signer")
        }
        guard force || trusted(signer) else {
            throw LineageError.invalidArgument("\(trustFile) no longer trusts your own signing key \(signer.fingerprint), so you could not commit here after this; nothing was committed — put your line back, or rerun with --force if that is intended")
        }
    }
}
