import Foundation
import LineageCore
import LineageGit

public struct PullResult: Codable, Sendable {
    public var fetch: FetchResult
    /// Whether the content of the merged commit was fetched (false: the remote has no content location).
    public var contentFetched = false
    public var merge: MergeResult
    /// With `-- <paths>`: files not fetched before that the pull wrote besides the merge's.
    public var written: [String] = []
}

extension Repository {
    /// `lineage pull [remote]`: fetch (every new commit verified), the bytes of the remote branch's
    /// versions that are not here, then a merge of `<remote>/<branch>` into the current branch
    /// (hooks on the merged result, signed merge commit; conflicts change nothing).
    /// `paths` (`pull -- <paths>`): bytes only for those; without, bytes for every path that is here
    /// (a path not fetched here stays not fetched).
    public func pull(remote name: String = "origin", branch: String? = nil, paths: [String] = [], resolve: [String: MergeChoice] = [:], cwd: String,
                     message: String? = nil, noVerify: Bool = false, ssh: SSHSettings = .fromEnvironment(),
                     progress: ProgressReporter = SilentProgress()) throws -> PullResult {
        let fetched = try fetch(remote: name, ssh: ssh, progress: progress)
        let branchName: String
        if let branch { branchName = branch } else {
            let head = try git.headBranchRef()
            guard head.hasPrefix("refs/heads/") else { throw RemoteFailure.detachedHead }
            branchName = String(head.dropFirst(11))
        }
        guard let tip = try git.referenceTarget(Repository.trackingPrefix(name) + branchName) else {
            throw RemoteFailure.unknownRemoteBranch(remote: name, branch: branchName,
                                                    available: fetched.branches.map(\.branch))
        }
        let cwdReal = realPath(cwd) ?? cwd
        let prefixes = try paths.map { try self.resolve($0, cwd: cwdReal).relative }
        var contentFetched = false
        let notFetchedBefore = try status().files.filter { $0.worktree == .notFetched }.map(\.path)
        if let mover = try contentTransfer(for: try remote(name), progress: progress) {
            try withWriteLock {
                let notFetched = Set(notFetchedBefore.map(PathKey.init))
                try fetchContent(ofCommit: tip, using: mover, only: { path in
                    prefixes.isEmpty ? !notFetched.contains(PathKey(path)) : prefixes.contains { path.isPath(within: $0) }
                })
            }
            contentFetched = true
        }
        let merged = try merge("\(name)/\(branchName)", resolve: resolve, cwd: cwd, message: message ?? "Merge \(name)/\(branchName)",
                               noVerify: noVerify, now: nil, fetch: prefixes.isEmpty ? .present : .only(prefixes), progress: progress)
        var result = PullResult(fetch: fetched, contentFetched: contentFetched, merge: merged)
        // Named paths the merge did not touch but that are not fetched here yet: written now.
        if !prefixes.isEmpty {
            let absent = notFetchedBefore.filter { path in
                FileStat.lstat(root + "/" + path) == nil && prefixes.contains { path.isPath(within: $0) }
            }
            if !absent.isEmpty { result.written = try checkout("HEAD", paths: absent, cwd: root, progress: progress).written }
        }
        return result
    }
}
