import Foundation
import LineageCore
import LineageGit

public struct CommitResult: Codable, Sendable {
    public let commit: String
    public let branch: String?
    public let filesChanged: Int
}

extension Repository {
    /// Records the staged files as a new commit on the current branch (or detached HEAD).
    ///
    /// The branch moves with a compare-and-swap under libgit2's reference lock, inside the
    /// repository lock, so a concurrent writer can never lose a commit.
    public func commit(message: String, noVerify: Bool? = nil, now: Int64? = nil) throws -> CommitResult {
        try commitIndex(message: message, noVerify: noVerify, requireChanges: true, now: now)
    }

    /// Loose history objects (estimated) and packs above which a commit repacks the history, as
    /// git's `gc.auto` (6700) and `gc.autoPackLimit` (50).
    static let autoPackLoose = 6700
    static let autoPackLimit = 50

    /// Commits the staging index with extra records (paths below `.lineage/`), e.g. a run's.
    func commitIndex(message: String, records: [String: [UInt8]] = [:], runs: [String] = [], noVerify: Bool? = nil,
                     requireChanges: Bool, now: Int64? = nil) throws -> CommitResult {
        let trimmed = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw LineageError.emptyMessage }
        return try withWriteLock {
            let head = try headCommit()
            let stamp = now ?? nowSeconds()
            // Key, trust and identity are checked before anything is written.
            let key = try signingKey()
            try checkSigner(key, parent: head, now: stamp)
            _ = try identity(now: stamp)
            let index = try openIndex()
            let tree = try index.writeTree()
            let headTree = try head.map { try git.commit($0).tree }
            if requireChanges {
                let trustChanged = try head.map { (try trustText(ofCommit: $0) ?? "") != (try workingTrustText()) } ?? false
                let sameFiles = try headTree.map { try git.sameEntries($0, tree, ignoring: RecordTree.directory) } ?? false
                if (sameFiles && !trustChanged) || (head == nil && index.entries.isEmpty) { throw LineageError.nothingToCommit }
            }
            let changed = try changedPaths(from: headTree, to: tree).count
            let id = try writeSignedCommit(userTree: tree, parent: head, message: trimmed + "\n", records: records, runs: runs,
                                           noVerify: noVerify, signer: key, now: stamp)
            let ref = try git.headBranchRef()
            try git.updateReference(ref, to: id, expected: head, message: "commit: " + (trimmed.split(separator: "\n").first.map(String.init) ?? ""))
            // Remember that this exact staging index is this commit's files, so `status` can skip comparing them.
            try? openLineageIndex().setMeta(Repository.cleanIndexKey, "\(index.checksum) \(try git.commit(id).tree.hex)")
            // Extend the lineage graph by this commit (derived state: if this fails, the next
            // `trace`/`impact` catches up).
            if let graph = try? openLineageIndex() { _ = try? syncGraph(graph) }
            // Like git's `gc --auto`: once loose objects or packs pile up, repack the history
            // (maintenance; failing it changes nothing).
            if git.estimatedLooseObjects() > Repository.autoPackLoose || git.packCount() > Repository.autoPackLimit { _ = try? git.repack(all: false) }
            return CommitResult(commit: id.hex, branch: ref == "HEAD" ? nil : ref.replacingOccurrences(of: "refs/heads/", with: ""),
                                filesChanged: changed)
        }
    }

    /// Paths whose pointer differs between two trees (nil = empty tree).
    func changedPaths(from a: ObjectID?, to b: ObjectID?) throws -> [String] {
        let left = try a.map { Dictionary(try git.files(inTree: $0).map { ($0.path, $0.id) }, uniquingKeysWith: { x, _ in x }) } ?? [:]
        let right = try b.map { Dictionary(try git.files(inTree: $0).map { ($0.path, $0.id) }, uniquingKeysWith: { x, _ in x }) } ?? [:]
        return Set(left.keys).union(right.keys).filter { left[$0] != right[$0] }.sorted()
    }
}
