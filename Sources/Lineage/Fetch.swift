import Foundation
import LineageCore
import LineageGit
import LineageSigning

/// What happened to one remote branch during a fetch.
public struct FetchedBranch: Codable, Sendable, Equatable {
    public enum Change: String, Codable, Sendable {
        case new, fastForward = "fast-forward", upToDate = "up-to-date"
        /// Force-pushed on the remote: reported, the tracking ref left where it was.
        case rewritten
        /// Force-pushed on the remote and accepted with `--force`.
        case forced
    }
    public let branch: String
    public let old: String?
    public let new: String
    public let change: Change
}

public struct FetchResult: Codable, Sendable {
    public let remote: String
    public let url: String
    public var branches: [FetchedBranch] = []
    /// Commits fetched that were not reachable locally before, all verified.
    public var commitsVerified = 0
    /// Tombstones the fetched history carries whose bytes were still here: removed now.
    public var erasuresApplied: [AppliedErasure] = []
    public var rewritten: [FetchedBranch] { branches.filter { $0.change == .rewritten } }
}

/// The signer of a history's first commit, shown before a clone trusts it.
public struct RootSigner: Codable, Sendable, Equatable {
    public let commit: String
    public let fingerprint: String
    public let principals: [String]
    public var summary: String { "\(principals.isEmpty ? "an unlisted key" : principals.joined(separator: ", ")) (\(fingerprint))" }
}

extension Repository {
    static let trustRootKey = "lineage.trustroot"
    static let trustRootSignerKey = "lineage.trustrootsigner"

    /// The first commits this repository trusts: the pinned root (set by `clone`, or `fetch
    /// --trust-root`), and the roots of its own history.
    func trustedRoots() throws -> Set<ObjectID> {
        var out = Set<ObjectID>()
        let config = try GitConfig.open(path: layout.configFile)
        if let pinned = try config.string(Repository.trustRootKey), let id = ObjectID(hex: pinned) { out.insert(id) }
        let local = try localReferenceTargets()
        if !local.isEmpty {
            for id in try git.walk(from: local) where try git.commit(id).parents.isEmpty { out.insert(id) }
        }
        return out
    }

    /// The pinned root, as `clone` stored it.
    public func pinnedRoot() throws -> (commit: String, signer: String?)? {
        let config = try GitConfig.open(path: layout.configFile)
        guard let c = try config.string(Repository.trustRootKey) else { return nil }
        return (c, try config.string(Repository.trustRootSignerKey))
    }

    func pinRoot(_ signer: RootSigner) throws {
        let config = try GitConfig.open(path: layout.configFile)
        try config.set(Repository.trustRootKey, signer.commit)
        try config.set(Repository.trustRootSignerKey, signer.fingerprint)
    }

    /// Targets of every local reference except fetched commits still waiting in quarantine.
    func localReferenceTargets() throws -> [ObjectID] {
        var out = try git.references(withPrefix: "refs/").filter { !$0.name.hasPrefix("refs/lineage/quarantine/") }.map(\.id)
        if let head = try headCommit() { out.append(head) }
        return out
    }

    /// Who signed a root commit, as its own trust file names them.
    func rootSigner(_ id: ObjectID) throws -> RootSigner {
        guard let sig = try git.signature(ofCommit: id), let parsed = try? SSHSignature.parse(armored: sig.armored) else {
            throw RemoteFailure.rootUnsigned(url: "", commit: id.hex, detail: "it carries no readable signature")
        }
        var principals: [String] = []
        if let trust = try? self.trust(inCommit: id), case .trusted(let p) = trust.lookup(key: parsed.publicKey, namespace: "git", at: try git.commit(id).committer.time) {
            principals = p
        }
        return RootSigner(commit: id.hex, fingerprint: parsed.publicKey.fingerprint, principals: principals)
    }

    /// `lineage fetch [remote]`: every lineage branch of the remote, verified before any local
    /// reference moves. Commits arrive under `refs/lineage/quarantine/<remote>/`; every commit not
    /// reachable locally before is verified against the trust history (signatures, the
    /// `allowed_signers` in force at its parent, its record, strict chain), and its history must
    /// start at a root this repository trusts; only then do the tracking refs
    /// (`refs/lineage/remotes/<remote>/<branch>`) move. A branch that was rewritten on the remote is
    /// reported and left alone unless `force`. Local branches never move.
    public func fetch(remote name: String, force: Bool = false, trustRoot: String? = nil, ssh: SSHSettings = .fromEnvironment(),
                      progress: ProgressReporter = SilentProgress()) throws -> FetchResult {
        let remote = try self.remote(name)
        return try withWriteLock {
            var result = try fetchVerified(remote, force: force, ssh: ssh) { roots in
                let trusted = try self.trustedRoots()
                let foreign = roots.filter { !trusted.contains($0.id) }
                guard !foreign.isEmpty else { return }
                if trusted.isEmpty {
                    guard let fp = trustRoot else { throw RemoteFailure.noTrustRoot(remote: name) }
                    let signers = try foreign.map { try self.rootSigner($0.id) }
                    guard signers.count == 1, let root = signers.first else {
                        throw RemoteFailure.severalRoots(url: remote.url, roots: signers.map(\.commit))
                    }
                    guard root.fingerprint == fp else {
                        throw RemoteFailure.trustRootMismatch(url: remote.url, given: fp, signers: signers.map(\.summary))
                    }
                    try self.pinRoot(root)
                    return
                }
                let r = foreign[0]
                throw RemoteFailure.foreignRoot(remote: name, branch: r.branch, roots: foreign.map(\.id.hex), pinned: trusted.map(\.hex).sorted())
            }
            // Erasures made elsewhere reach this clone: its copies of the erased bytes go.
            let received = try receivedErasures()
            result.erasuresApplied = try applyReceivedErasures(received)
            // ... and the remote learns that this clone holds no copy (erase --status lists it).
            reportErasures(to: remote, known: received, content: { try self.remoteContent(for: remote) })
            return result
        }
    }

    /// The shared core of fetch and clone (caller holds the write lock). `checkRoots` sees the first
    /// commits of the newly fetched history (with a branch each reaches them from) and throws to refuse.
    func fetchVerified(_ remote: RemoteConfig, force: Bool, ssh: SSHSettings,
                       checkRoots: ([(id: ObjectID, branch: String)]) throws -> Void) throws -> FetchResult {
        var result = FetchResult(remote: remote.name, url: remote.url)
        let transport = try GitTransport(repository: git, name: remote.name, url: remote.url, ssh: ssh)
        let advertised = try transport.listReferences()
        let branches = advertised.filter { $0.name.hasPrefix(Repository.remoteBranchPrefix) }
        if advertised.isEmpty { throw RemoteFailure.emptyRemote(remote: remote.name, url: remote.url) }
        if branches.isEmpty { throw RemoteFailure.notLineageHistory(remote: remote.name, url: remote.url, refs: advertised.count) }

        let quarantine = Repository.quarantinePrefix(remote.name)
        func clearQuarantine() { for r in (try? git.references(withPrefix: quarantine)) ?? [] { try? git.deleteReference(r.name) } }
        clearQuarantine()
        defer { clearQuarantine() }
        try transport.fetch(refspecs: ["+\(Repository.remoteBranchPrefix)*:\(quarantine)*"])
        let fetched = try git.references(withPrefix: quarantine).map { (branch: String($0.name.dropFirst(quarantine.count)), id: $0.id) }

        // 1. What is new, and where it starts.
        let local = try localReferenceTargets()
        let newCommits = try git.walk(from: fetched.map(\.id), hiding: local)
        result.commitsVerified = newCommits.count
        var roots: [(id: ObjectID, branch: String)] = []
        if !newCommits.isEmpty {
            let newSet = Set(newCommits)
            for f in fetched {
                for id in try git.walk(from: [f.id], hiding: local) where newSet.contains(id) {
                    if try git.commit(id).parents.isEmpty, !roots.contains(where: { $0.id == id }) { roots.append((id, f.branch)) }
                }
            }
        }
        // 2. Every new commit verified (oldest first, so the first bad one is named).
        if !newCommits.isEmpty {
            let verdicts = try commitVerdicts(from: fetched.map(\.id))
            for id in newCommits.reversed() {
                let v = verdicts[id] ?? CommitVerdict(commit: id.hex, status: .unreadable, detail: "the commit was not fetched whole")
                guard v.status == .good else {
                    throw RemoteFailure.untrustedHistory(remote: remote.name, commit: id.hex, status: v.status.rawValue,
                                                         detail: v.detail ?? v.status.rawValue)
                }
            }
        }
        // 3. Roots: the history must start where this repository's trust starts.
        if !roots.isEmpty { try checkRoots(roots) }
        // 4. Tracking refs move (a rewritten branch only with `force`).
        let tracking = Repository.trackingPrefix(remote.name)
        for f in fetched {
            let ref = tracking + f.branch
            let old = try git.referenceTarget(ref)
            let change: FetchedBranch.Change
            if old == f.id { change = .upToDate }
            else if let old, !(try git.contains(old) && git.isAncestor(old, of: f.id)) { change = force ? .forced : .rewritten }
            else { change = old == nil ? .new : .fastForward }
            if change != .upToDate && change != .rewritten {
                try git.updateReference(ref, to: f.id, expected: old, message: "lineage fetch \(remote.name)")
            }
            result.branches.append(FetchedBranch(branch: f.branch, old: old?.hex, new: f.id.hex, change: change))
        }
        // A branch deleted on the remote: its tracking ref goes too (its commits stay if local branches hold them).
        for r in try git.references(withPrefix: tracking) where !fetched.contains(where: { tracking + $0.branch == r.name }) {
            try git.deleteReference(r.name)
        }
        return result
    }
}
