import Foundation
import LineageCore
import LineageGit
import LineageStore

/// A tracked file at one version.
public struct FileInfo: Codable, Sendable, Equatable {
    public let path: String
    public let size: UInt64
    public let sha256: Digest
    public let kind: ArtifactKind
    public let mediaType: String
    /// The chunk list's digest in the content store.
    public let chunkList: Digest
    /// The pointer blob's git id.
    public let pointer: String
    /// Number of chunks; only filled by `show`.
    public var chunks: Int?
}

public struct ShowResult: Codable, Sendable {
    public let commit: LogEntry
    /// Files changed against the first parent (everything, for a root commit).
    public var changes: [DiffEntry]?
    /// Set when a path was asked for.
    public var file: FileInfo?
    /// For a commit: the checks that gated it; for a file: every check of this version the commit carries.
    public var checks: [CheckRecord]? = nil
}

extension Repository {
    /// A commit and what it changed, or with `rev:path` one file's record.
    public func show(_ spec: String) throws -> ShowResult {
        if spec.contains(":") {
            let (rev, path) = try splitRevisionPath(spec)
            let commit = try resolveRevision(rev)
            let id = try pointerID(at: commit, path: path)
            var info = try fileInfo(path: path.string, pointerID: id)
            info.chunks = (try? ChunkList.decode(try store.read(info.chunkList)))?.entries.count
            let checks = try checkRecords(inTree: try git.commit(commit).tree, path: path.string, sha256: info.sha256)
            var entry = LogEntry(try git.commit(commit))
            entry.verdict = try commitVerdict(commit)
            return ShowResult(commit: entry, changes: nil, file: info, checks: checks.isEmpty ? nil : checks)
        }
        let commit = try resolveRevision(spec)
        let info = try git.commit(commit)
        let changes: [DiffEntry]
        if let parent = info.parents.first {
            changes = try diff(from: parent.hex, to: commit.hex).entries
        } else {
            changes = try files(ofCommit: commit).sorted { $0.key < $1.key }.map { path, id in
                let p = try pointer(id)
                return DiffEntry(path: path.string, change: .added, old: nil, new: DiffEntry.Side(size: p.size, sha256: p.sha256, kind: p.kind), sharedBytes: nil)
            }
        }
        let checks = try gatingChecks(ofCommit: commit)
        var entry = LogEntry(info)
        entry.verdict = try commitVerdict(commit)
        return ShowResult(commit: entry, changes: changes, file: nil, checks: checks.isEmpty ? nil : checks)
    }

    func fileInfo(path: String, pointerID id: ObjectID) throws -> FileInfo {
        let p = try pointer(id)
        return FileInfo(path: path, size: p.size, sha256: p.sha256, kind: p.kind, mediaType: p.mediaType, chunkList: p.chunks, pointer: id.hex, chunks: nil)
    }

    /// Tracked files: the staging index, or a commit's tree when `revision` is given.
    public func listFiles(revision: String? = nil) throws -> [FileInfo] {
        let entries: [(String, ObjectID)]
        if let revision {
            entries = try files(ofCommit: try resolveRevision(revision)).map { ($0.key.string, $0.value) }
        } else {
            entries = try openIndex().entries.map { ($0.path, $0.id) }
        }
        return try entries.sorted { $0.0.bytesPrecede($1.0) }.map { try fileInfo(path: $0.0, pointerID: $0.1) }
    }

    /// Streams a file's bytes at a version to a descriptor, verifying them as they go.
    public func cat(_ spec: String, to fd: Int32) throws {
        guard spec.contains(":") else {
            throw LineageError.invalidArgument("'\(spec)' names no file — write <rev>:<path>, e.g. HEAD:data/train.csv")
        }
        let (rev, path) = try splitRevisionPath(spec)
        let p = try pointer(try pointerID(at: try resolveRevision(rev), path: path))
        // Bytes not fetched here (partial content) come from the remote that has them.
        if !hasContent(p) { try withWriteLock { try ensureContent([(path.string, p)]) } }
        do {
            try store.write(chunkList: p.chunks, size: p.size, sha256: p.sha256, toFileDescriptor: fd)
        } catch let e as StoreError {
            if case .missingObject(let d) = e {
                throw erasedError(path.string, p.sha256) ?? LineageError.missingContent(path: path.string, detail: "object \(d.hex) is missing")
            }
            throw e
        }
    }
}
