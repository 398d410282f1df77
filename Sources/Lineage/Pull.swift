import Foundation
import LineageCore
import LineageGit

public struct PullResult: Codable, Sendable {
    public var schema = "pull"
    public var fetch: FetchResult
    /// Whether the content of the merged commit was fetched (false: the remote has no content location).
    public var contentFetched = false
    public var merge: MergeResult
}

extension Repository {
    /// `lineage pull [remote]`: fetch (every new commit verified), the bytes of the remote branch's
    /// versions that are not here, then a merge of `<remote>/<branch>` into the current branch
    /// (hooks on the merged result, signed merge commit; conflicts change nothing).
    public func pull(remote name: String = "origin", branch: String? = nil, resolve: [String: MergeChoice] = [:], cwd: String,
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
        var contentFetched = false
        if let mover = try contentTransfer(for: try remote(name), progress: progress) {
            try withWriteLock { try fetchContent(ofCommit: tip, using: mover) }
            contentFetched = true
        }
        let merged = try merge("\(name)/\(branchName)", resolve: resolve, cwd: cwd, message: message ?? "Merge \(name)/\(branchName)",
                               noVerify: noVerify, progress: progress)
        return PullResult(fetch: fetched, contentFetched: contentFetched, merge: merged)
    }
}
