import Foundation
import LineageCore
import LineageGit

/// One path `restore --staged` put back.
public struct RestoredPath: Codable, Sendable {
    public enum Change: String, Codable, Sendable {
        /// The staged version is HEAD's again.
        case unstaged
        /// Not in HEAD: no longer staged (the file itself is left alone).
        case untracked
    }
    public let path: String
    public let change: Change
}

extension Repository {
    /// `lineage restore --staged <paths>`: the staging index entries at or below each path go back to
    /// HEAD's versions (removed when HEAD has none), as `git restore --staged`. Files on disk are
    /// never touched, so nothing of the user's is lost.
    public func restoreStaged(_ arguments: [String], cwd: String) throws -> [RestoredPath] {
        guard !arguments.isEmpty else { throw LineageError.invalidArgument("name the paths to unstage, e.g. lineage restore --staged data/train.csv") }
        let cwdReal = realPath(cwd) ?? cwd
        let wanted = try arguments.map { try resolve($0, cwd: cwdReal).relative }
        return try withWriteLock {
            let index = try openIndex()
            let head = try headFiles()
            var staged: [PathKey: ObjectID] = [:]
            for e in index.entries { staged[PathKey(e.path)] = e.id }
            var out: [RestoredPath] = []
            for (argument, path) in zip(arguments, wanted) {
                let inIndex = staged.keys.filter { $0.string.isPath(within: path) }
                let inHead = head.keys.filter { $0.string.isPath(within: path) }
                guard !inIndex.isEmpty || !inHead.isEmpty else {
                    throw LineageError.notTracked(argument, suggestions: closest(path, among: staged.keys.map(\.string)))
                }
                for key in Set(inIndex).union(inHead).sorted() {
                    switch (staged[key], head[key]) {
                    case (_?, nil):
                        try index.remove(path: key.string)
                        staged[key] = nil
                        out.append(RestoredPath(path: key.string, change: .untracked))
                    case (let s, let h?) where s != h:
                        try index.add(path: key.string, id: h, size: try pointer(h).size)
                        staged[key] = h
                        out.append(RestoredPath(path: key.string, change: .unstaged))
                    default:
                        continue
                    }
                }
            }
            if !out.isEmpty { try index.write() }
            return out
        }
    }
}
