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
    public func commit(message: String, now: Int64? = nil) throws -> CommitResult {
        let trimmed = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw LineageError.emptyMessage }
        return try withWriteLock {
            let index = try openIndex()
            let tree = try index.writeTree()
            let head = try headCommit()
            var headTree: ObjectID? = nil
            if let head { headTree = try git.commit(head).tree }
            if tree == headTree || (head == nil && index.entries.isEmpty) { throw LineageError.nothingToCommit }
            let who = try identity(now: now ?? nowSeconds())
            let changed = try changedPaths(from: headTree, to: tree).count
            let id = try git.createCommit(tree: tree, parents: head.map { [$0] } ?? [], author: who, committer: who,
                                          message: trimmed + "\n")
            let ref = try git.headBranchRef()
            try git.updateReference(ref, to: id, expected: head, message: "commit: " + (trimmed.split(separator: "\n").first.map(String.init) ?? ""))
            // Remember that this exact staging index is this tree, so `status` can skip comparing them.
            try? openLineageIndex().setMeta(Repository.cleanIndexKey, "\(index.checksum) \(tree.hex)")
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
