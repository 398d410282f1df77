import Foundation
import LineageCore
import LineageGit

public struct BranchInfo: Codable, Sendable, Equatable {
    public let name: String
    public let commit: String
    /// True for the branch HEAD names.
    public let current: Bool
    /// The remote branch it was last fetched from or pushed to, when one has the same name (`origin/main`).
    public var upstream: String?
    /// Commits on this branch not on `upstream`, and the reverse.
    public var ahead: Int?
    public var behind: Int?
}

public struct BranchList: Codable, Sendable {
    public var branches: [BranchInfo] = []
    /// Remote-tracking branches (`origin/main`) as last fetched.
    public var remote: [BranchInfo] = []
}

extension Repository {
    /// Local branches (and remote-tracking ones), with how each stands against its upstream.
    public func listBranches() throws -> BranchList {
        var out = BranchList()
        let head = try git.headBranchRef()
        let tracking = try git.references(withPrefix: Repository.remoteTrackingRoot)
        for name in try git.branches() {
            guard let id = try git.referenceTarget("refs/heads/" + name) else { continue }
            var info = BranchInfo(name: name, commit: id.hex, current: head == "refs/heads/" + name)
            // The upstream: the remote branch of the same name (origin first).
            let candidates = tracking.filter { $0.name.hasSuffix("/" + name) && $0.name.dropFirst(Repository.remoteTrackingRoot.count).split(separator: "/").count >= 2 }
            if let up = candidates.first(where: { $0.name == Repository.trackingPrefix("origin") + name }) ?? candidates.first {
                info.upstream = String(up.name.dropFirst(Repository.remoteTrackingRoot.count))
                info.ahead = try git.walk(from: [id], hiding: [up.id]).count
                info.behind = try git.walk(from: [up.id], hiding: [id]).count
            }
            out.branches.append(info)
        }
        for r in tracking {
            out.remote.append(BranchInfo(name: String(r.name.dropFirst(Repository.remoteTrackingRoot.count)), commit: r.id.hex, current: false))
        }
        return out
    }

    /// `lineage branch <name> [<start>]`: a new branch at `start` (default HEAD). HEAD does not move.
    @discardableResult
    public func createBranch(_ name: String, at start: String? = nil) throws -> BranchInfo {
        guard GitRepository.isValidBranchName(name), !name.hasPrefix("-") else {
            throw LineageError.invalidArgument("'\(name)' is not a valid branch name (no spaces, `..`, `~^:?*[\\`, leading `-` or trailing `.lock`) — choose another name")
        }
        return try withWriteLock {
            guard try git.referenceTarget("refs/heads/" + name) == nil else {
                throw LineageError.invalidArgument("a branch named '\(name)' already exists — pick another name, or `lineage checkout \(name)` to switch to it")
            }
            let id = try start.map { try resolveRevisionOrRemote($0) } ?? (try headCommit() ?? { throw LineageError.noCommits }())
            try git.updateReference("refs/heads/" + name, to: id, expected: nil, message: "branch: Created from \(start ?? "HEAD")")
            return BranchInfo(name: name, commit: id.hex, current: false)
        }
    }

    /// `lineage branch --delete <name>`: refused for the current branch, and (unless `force`) for a
    /// branch whose commits no other branch or remote-tracking branch holds — they would be lost to gc.
    @discardableResult
    public func deleteBranch(_ name: String, force: Bool = false) throws -> BranchInfo {
        try withWriteLock {
            let ref = "refs/heads/" + name
            guard let id = try git.referenceTarget(ref) else {
                throw LineageError.invalidArgument("there is no branch '\(name)' (branches: \(try git.branches().joined(separator: ", ")))")
            }
            guard try git.headBranchRef() != ref else {
                throw LineageError.invalidArgument("'\(name)' is the current branch; switch to another one first (`lineage checkout <branch>`)")
            }
            if !force {
                let others = try git.references(withPrefix: "refs/").filter { $0.name != ref && !$0.name.hasPrefix(Repository.quarantineRoot) }.map(\.id)
                let unique = try git.walk(from: [id], hiding: others)
                if !unique.isEmpty {
                    throw LineageError.invalidArgument("branch '\(name)' has \(unique.count) commit(s) no other branch holds (newest \(id.short)); merge it first, or delete it anyway with --force (its commits go at the next gc)")
                }
            }
            try git.deleteReference(ref)
            return BranchInfo(name: name, commit: id.hex, current: false)
        }
    }

    /// A revision, or a remote-tracking branch written as `<remote>/<branch>` (`origin/main`).
    public func resolveRevisionOrRemote(_ spec: String) throws -> ObjectID {
        if let id = try git.referenceTarget(Repository.remoteTrackingRoot + spec) { return id }
        return try resolveRevision(spec)
    }
}
