import Foundation
import LineageCore
import LineageGit

/// A person and a moment, as shown by `log` and `show`.
public struct Signature: Codable, Sendable, Equatable {
    public let name: String
    public let email: String
    /// RFC 3339 UTC, as every time lineage prints in JSON: `2026-11-25T17:30:00.000Z`.
    public let date: String
    /// The offset from UTC the person's clock had (git records it), e.g. `+01:00`.
    public let utcOffset: String

    init(_ id: Identity) {
        name = id.name; email = id.email
        date = Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(id.time)))
        let minutes = Int(id.offsetMinutes)
        utcOffset = String(format: "%@%02d:%02d", minutes < 0 ? "-" : "+", abs(minutes) / 60, abs(minutes) % 60)
    }

    /// The time on the person's own clock, as `git log` shows it: `2026-11-25T18:30:00+01:00`.
    public var localDate: String {
        guard let when = Timestamp.parse(date) else { return date }
        let sign: Int = utcOffset.hasPrefix("-") ? -1 : 1
        let parts = utcOffset.dropFirst().split(separator: ":").compactMap { Int($0) }
        let minutes = parts.count == 2 ? sign * (parts[0] * 60 + parts[1]) : 0
        return formatDate(seconds: Int64(when.timeIntervalSince1970), offsetMinutes: minutes)
    }
}

public struct LogEntry: Codable, Sendable {
    public let commit: String
    public let parents: [String]
    public let author: Signature
    public let committer: Signature
    public let message: String
    /// The commit's signature verdict (as `verify` reaches it, trust taken only from verified commits).
    public var verdict: CommitVerdict? = nil
}

extension Repository {
    /// Commits reachable from `revision` (default HEAD), newest first; with `paths`, only commits that
    /// changed a file at or below one of them (compared with the first parent); with `code`, only
    /// commits recording a run made at that commit of the code's git repository.
    public func log(revision: String? = nil, paths: [String] = [], cwd: String? = nil, limit: Int? = nil, code: String? = nil) throws -> [LogEntry] {
        let start: ObjectID
        if let revision { start = try resolveRevision(revision) } else {
            guard let head = try headCommit() else { return [] }
            start = head
        }
        let prefixes = try paths.map { p -> String in
            if let cwd { return try resolve(p, cwd: realPath(cwd) ?? cwd).relative }
            return p
        }
        var codeCommit: String? = nil
        if let code {
            guard let tree = try CodeWorkTree.enclosing(cwd.map { realPath($0) ?? $0 } ?? root) else {
                throw LineageError.invalidArgument("--code needs the code's git repository: run it inside the code's work tree")
            }
            do { codeCommit = try tree.resolveCommit(code) } catch {
                throw LineageError.invalidArgument("'\(code)' is not a commit of the code repository at \(tree.workdir); give a commit, branch or tag of it")
            }
        }
        var out: [LogEntry] = []
        if let limit, limit <= 0 { return out }
        for id in try git.walk(from: [start]) {
            let info = try git.commit(id)
            if !prefixes.isEmpty {
                let parentTree = try info.parents.first.map { try git.commit($0).tree }
                let changed = try changedPaths(from: parentTree, to: info.tree)
                guard changed.contains(where: { path in prefixes.contains { path.isPath(within: $0) } }) else { continue }
            }
            if let codeCommit {
                let runs = try commitRecord(of: info)?.runs ?? []
                guard try runs.contains(where: { try runRecord($0, inTree: info.tree).code?.commit == codeCommit }) else { continue }
            }
            out.append(LogEntry(info))
            if let limit, out.count >= limit { break }
        }
        // Verified once per commit and remembered: a long history costs a full check only the first time.
        if !out.isEmpty {
            let verdicts = try commitVerdicts(from: out.compactMap { ObjectID(hex: $0.commit) })
            for i in out.indices { out[i].verdict = ObjectID(hex: out[i].commit).flatMap { verdicts[$0] } }
        }
        return out
    }
}

extension LogEntry {
    init(_ info: CommitInfo) {
        commit = info.id.hex
        parents = info.parents.map(\.hex)
        author = Signature(info.author)
        committer = Signature(info.committer)
        message = info.message
    }
}

/// `YYYY-MM-DDTHH:MM:SS±HH:MM` for a git timestamp.
func formatDate(seconds: Int64, offsetMinutes: Int) -> String {
    var t = time_t(seconds + Int64(offsetMinutes) * 60)
    var parts = tm()
    gmtime_r(&t, &parts)
    let sign = offsetMinutes < 0 ? "-" : "+"
    let off = abs(offsetMinutes)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02d%@%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                  Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), sign, off / 60, off % 60)
}
