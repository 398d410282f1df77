import Foundation
import LineageCore
import LineageGit
import LineageStore

/// One file that differs between two versions.
public struct DiffEntry: Codable, Sendable, Equatable {
    public enum Change: String, Codable, Sendable { case added, modified, deleted }
    public struct Side: Codable, Sendable, Equatable {
        public let size: UInt64
        public let sha256: Digest
        public let kind: ArtifactKind
    }
    public let path: String
    public let change: Change
    public let old: Side?
    public let new: Side?
    /// For modified files: bytes of the new version found in chunks the old version already had.
    public let sharedBytes: UInt64?
}

public struct DiffResult: Codable, Sendable {
    public let from: String
    public let to: String
    public let entries: [DiffEntry]
}

extension Repository {
    /// Differences between two commits, or between a commit and the working directory when `to` is nil;
    /// with `paths`, only files at or below them (relative to `cwd`).
    public func diff(from: String, to: String?, paths: [String] = [], cwd: String? = nil) throws -> DiffResult {
        let prefixes = try paths.map { p -> String in
            if let cwd { return try resolve(p, cwd: realPath(cwd) ?? cwd).relative }
            return p
        }
        let a = try resolveRevision(from)
        let left = try files(ofCommit: a)
        var right: [PathKey: ObjectID] = [:]
        var worktreeSides: [PathKey: DiffEntry.Side] = [:]
        let toLabel: String
        if let to {
            let b = try resolveRevision(to)
            right = try files(ofCommit: b)
            toLabel = b.hex
        } else {
            toLabel = "working directory"
            // The working side: staged pointers, with files changed on disk hashed afresh.
            let status = try status()
            let staged = Dictionary(try openIndex().entries.map { (PathKey($0.path), $0.id) }, uniquingKeysWith: { x, _ in x })
            for f in status.files {
                let key = PathKey(f.path)
                guard let id = staged[key] else { continue }
                switch f.worktree {
                case .deleted, .untracked: continue
                case .unreadable: throw LineageError.unreadable(f.path, reason: f.reason ?? "cannot read it")
                case .unchanged, .notFetched: right[key] = id
                case .modified:
                    let p = try pointer(id)
                    let path = root + "/" + f.path
                    let size = FileStat.lstat(path)?.size ?? 0
                    worktreeSides[key] = DiffEntry.Side(size: size, sha256: try hashFile(path), kind: p.kind)
                    right[key] = id
                }
            }
        }
        var entries: [DiffEntry] = []
        for key in Set(left.keys).union(right.keys).sorted() {
            let path = key.string
            if !prefixes.isEmpty, !prefixes.contains(where: { path.isPath(within: $0) }) { continue }
            let l = left[key], r = right[key]
            if let ws = worktreeSides[key] {
                let old = try l.map { try side(of: $0) }
                if old?.sha256 == ws.sha256 { continue }
                entries.append(DiffEntry(path: path, change: old == nil ? .added : .modified, old: old, new: ws, sharedBytes: nil))
                continue
            }
            if l == r { continue }
            switch (l, r) {
            case (nil, let r?): entries.append(DiffEntry(path: path, change: .added, old: nil, new: try side(of: r), sharedBytes: nil))
            case (let l?, nil): entries.append(DiffEntry(path: path, change: .deleted, old: try side(of: l), new: nil, sharedBytes: nil))
            case (let l?, let r?):
                let lp = try pointer(l), rp = try pointer(r)
                if lp.sha256 == rp.sha256 && lp.kind == rp.kind { continue }
                entries.append(DiffEntry(path: path, change: .modified, old: Self.side(lp), new: Self.side(rp),
                                         sharedBytes: try? sharedBytes(old: lp, new: rp)))
            default: continue
            }
        }
        return DiffResult(from: a.hex, to: toLabel, entries: entries)
    }

    private func side(of id: ObjectID) throws -> DiffEntry.Side { Self.side(try pointer(id)) }
    private static func side(_ p: Pointer) -> DiffEntry.Side { DiffEntry.Side(size: p.size, sha256: p.sha256, kind: p.kind) }

    /// Bytes of `new` that sit in chunks `old` also has: what content-defined chunking saved.
    func sharedBytes(old: Pointer, new: Pointer) throws -> UInt64 {
        let a = try ChunkList.decode(try store.read(old.chunks))
        let b = try ChunkList.decode(try store.read(new.chunks))
        let known = Set(a.entries.map(\.digest))
        return b.entries.filter { known.contains($0.digest) }.reduce(0) { $0 + UInt64($1.length) }
    }
}
