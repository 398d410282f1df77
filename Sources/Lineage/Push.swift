import Foundation
import LineageCore
import LineageGit
import LineageRemote
import LineageStore

public struct PushResult: Codable, Sendable {
    public let remote: String
    public let url: String
    public let branch: String
    public let remoteRef: String
    /// Where the remote branch was before (nil: it did not exist) and is now.
    public let old: String?
    public let new: String
    public var upToDate = false
    /// Commits the remote did not have.
    public var commits = 0
    /// Content objects sent to the content location before the history moved.
    public var chunkLists = 0
    public var chunks = 0
    public var contentLocation: String?
    /// Set when the remote's configured content location is not the one recorded in the pushed
    /// history (`.lineage/content.json`), so a clone would not find the bytes.
    public var contentNotRecorded: String?
    /// Erased versions whose bytes this push removed from the content location (their tombstones
    /// were on the remote's history already, or arrived with this push).
    public var erasure: RemoteErasureOutcome?
}

extension Repository {
    /// `lineage push [remote] [branch]`: sends a local branch to `refs/lineage/heads/<branch>` on the
    /// remote. Refused unless the branch verifies and is a fast-forward of the remote branch as last
    /// fetched; the bytes it reaches go to the content location first; then the remote reference
    /// moves with a lease — only if the remote still holds the value last fetched (else "fetch and
    /// merge first", and nothing on the remote changed). The tracking ref follows.
    ///
    /// Then erasures: the bytes of every version a tombstone on the remote's history erased are
    /// removed from the content location (`applyRemoteErasures`), including erasures an earlier
    /// push left pending (also when the branch is up to date). If the content location refuses,
    /// the history stays pushed, the erasures stay pending (`erase --status`) and the content
    /// layer's error is thrown. Commits that name an erased version without carrying its tombstone
    /// are refused before anything is sent.
    public func push(remote name: String, branch: String? = nil, transfer: ContentTransfer? = nil, ssh: SSHSettings = .fromEnvironment(),
                     progress: ProgressReporter = SilentProgress()) throws -> PushResult {
        let remote = try self.remote(name)
        return try withWriteLock {
            let branchName: String
            if let branch { branchName = branch.hasPrefix("refs/heads/") ? String(branch.dropFirst(11)) : branch }
            else {
                let head = try git.headBranchRef()
                guard head.hasPrefix("refs/heads/") else { throw RemoteFailure.detachedHead }
                branchName = String(head.dropFirst(11))
            }
            guard let local = try git.referenceTarget("refs/heads/" + branchName) else {
                if branch == nil { throw LineageError.noCommits }
                throw RemoteFailure.unknownBranch(branchName)
            }
            // Never send history that does not verify here.
            try requireVerified(local)
            let trackingRef = Repository.trackingPrefix(name) + branchName
            let remoteRef = Repository.remoteBranchPrefix + branchName
            let expected = try git.referenceTarget(trackingRef)
            var result = PushResult(remote: name, url: remote.url, branch: branchName, remoteRef: remoteRef,
                                    old: expected?.hex, new: local.hex, contentLocation: remote.effectiveContent)
            if let expected {
                if expected == local {
                    result.upToDate = true
                    result.erasure = try eraseOnRemote(remote, transfer: transfer, result: result)
                    return result
                }
                guard git.contains(expected), try git.isAncestor(expected, of: local) else {
                    throw RemoteFailure.notFastForward(remote: name, branch: branchName, local: local.hex, remoteAt: expected.hex)
                }
            }
            // A tombstone the remote branch carries must still be in what is pushed: dropping one would
            // bring the erased bytes back for every clone.
            if let expected {
                let localErasures = try erasures(inTree: try git.commit(local).tree)
                if let dropped = try erasures(inTree: try git.commit(expected).tree).first(where: { localErasures[$0.key] == nil }) {
                    throw RemoteFailure.tombstoneDropped(remote: name, branch: branchName, path: dropped.value.path, sha256: dropped.key.hex)
                }
            }
            // Content before ref: every byte the pushed commits reach and the remote's known history
            // does not is sent first.
            let known = try git.references(withPrefix: Repository.trackingPrefix(name)).map(\.id)
            // Nothing erased comes back: new commits naming a version erased here must carry its tombstone.
            try refuseErasedContent(pushing: local, excluding: known, remote: name, branch: branchName)
            let reach = try contentReach(from: [local], excluding: known)
            result.commits = reach.commits
            if let first = reach.missing.first {
                throw LineageError.missingContent(path: first.path, detail: "chunk list \(first.digest.hex) is not in the local store, so it cannot be pushed; \(reach.missing.count) file version(s) lack their bytes — fetch them first")
            }
            let transport = try GitTransport(repository: git, name: name, url: remote.url, ssh: ssh)
            try transport.createIfMissing(contentDirectory: Repository.defaultContentDirectory)
            if !reach.isEmpty {
                // Bytes go only from a clone that knows every tombstone on the remote: the lease is
                // checked before sending them too, and no other branch may have moved since the
                // last fetch (it may carry an erasure of what this push would send again).
                let advertised = try transport.listReferences().filter { $0.name.hasPrefix(Repository.remoteBranchPrefix) }
                let found = advertised.first { $0.name == remoteRef }?.id
                if found != expected && found != local {
                    throw TransportError.leaseBroken(remote: name, ref: remoteRef, expected: expected, found: found)
                }
                var moved: [RemoteRef] = []
                for r in advertised where r.name != remoteRef {
                    let tracking = Repository.trackingPrefix(name) + String(r.name.dropFirst(Repository.remoteBranchPrefix.count))
                    if try git.referenceTarget(tracking) != r.id { moved.append(r) }
                }
                if !moved.isEmpty {
                    throw RemoteFailure.fetchFirst(remote: name, branch: branchName, moved: moved.map { String($0.name.dropFirst(Repository.remoteBranchPrefix.count)) }.sorted())
                }
                guard let location = remote.effectiveContent else { throw RemoteFailure.noContentLocation(remote: name, objects: reach.all.count) }
                guard let mover = try transfer ?? contentTransfer(for: remote, progress: progress) else {
                    throw RemoteFailure.contentTransferUnavailable(remote: name, location: location, objects: reach.all.count)
                }
                try mover.upload(reach.all, from: store)
                result.chunkLists = reach.chunkLists.count
                result.chunks = reach.chunks.count
            }
            if let configured = remote.content, try contentLocation(inCommit: local) != configured {
                result.contentNotRecorded = "the history does not record the content location \(configured), so a clone would not know where the bytes are — run `lineage remote set-content \(name) \(configured)` and push again"
            }
            try transport.push([PushUpdate(commit: local, remoteRef: remoteRef, expected: expected)])
            try git.updateReference(trackingRef, to: local, expected: expected, message: "lineage push \(name)")
            result.erasure = try eraseOnRemote(remote, transfer: transfer, result: result)
            return result
        }
    }

    /// The erasure step of push (caller holds the lock): nil when the remote has no content
    /// location in the pack layout or nothing was left to erase there.
    private func eraseOnRemote(_ remote: RemoteConfig, transfer: ContentTransfer?, result: PushResult) throws -> RemoteErasureOutcome? {
        // A transfer passed in that is not the pack layout (a test's) cannot erase.
        if let transfer, !(transfer is RemoteContentTransfer) { return nil }
        do {
            let content = { try (transfer as? RemoteContentTransfer)?.content ?? self.remoteContent(for: remote) }
            let outcome = try applyRemoteErasures(remote: remote, content: content, jobs: transferJobs)
            reportErasures(to: remote, content: content)
            return outcome
        } catch {
            let moved = result.upToDate ? "is up to date on '\(remote.name)'" : "reached '\(remote.name)' (\(result.old.map { String($0.prefix(12)) } ?? "new") -> \(result.new.prefix(12)))"
            warn("\(result.branch) \(moved), but erased bytes could not be removed from \(remote.effectiveContent ?? remote.name); `lineage erase --status` lists the erasures pending there")
            throw error
        }
    }
}
