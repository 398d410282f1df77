import LineageCore

/// Errors of the repository layer. Each message says what happened and what to do next.
public enum LineageError: Error, CustomStringConvertible, Equatable {
    case notARepository(String)
    case alreadyARepository(String)
    case newerFormat(found: Int, supported: Int)
    case damagedRepository(String)
    case outsideWorkingDirectory(String, root: String)
    case symlinkEscapes(String)
    case symlinkNotTracked(String)
    case reservedPath(String)
    case notFound(String, suggestions: [String])
    case unreadable(String, reason: String)
    case notAFile(String)
    case notTracked(String, suggestions: [String])
    case unknownRevision(String)
    case ambiguousRevision(String, candidates: [String])
    case noCommits
    case nothingToCommit
    case emptyMessage
    case identityMissing
    case localChanges([String])
    case unsafePathInHistory(String, commit: String)
    case symlinkInTheWay(String)
    /// The staging index file cannot be read (it is not history: what it held was only staged).
    case damagedStagingIndex(String, detail: String)
    /// A table whose bytes are not the format it is read as (bad UTF-8, an unclosed quote, …).
    case unreadableTable(String, line: Int, reason: String)
    /// A symbolic link that resolves nowhere (its target is missing, or it loops).
    case brokenSymlink(String)
    case missingContent(path: String, detail: String)
    case invalidArgument(String)
    case noSigningKey
    case signing(String)
    case untrustedSigner(String, detail: String)
    case config(ConfigError)
    case erased(path: String, record: ErasureRecord)
    /// The commit a verb would build on did not verify (its verdict and the newest good commit before it).
    case unverifiedHistory(commit: String, status: String, detail: String, lastGood: String?, branch: String)

    public var description: String {
        switch self {
        case .notARepository(let dir):
            return "not a lineage repository (or any parent up to /): \(dir) — run `lineage init` in your project's root first"
        case .alreadyARepository(let dir):
            return "\(dir) is already inside a lineage repository (\(dir)/.lineage or a parent's); nothing was changed"
        case .newerFormat(let found, let supported):
            return "this repository has store format \(found), but this lineage understands up to \(supported) — upgrade lineage to use it"
        case .damagedRepository(let why):
            return "the repository is damaged: \(why) — run `lineage verify` for details"
        case .outsideWorkingDirectory(let p, let root):
            return "'\(p)' is outside the working directory \(root) — only files below it can be tracked"
        case .symlinkEscapes(let p):
            return "'\(p)' goes through a symbolic link that leads outside the working directory — add the real file inside the project instead"
        case .unreadableTable(let p, let line, let why):
            return "cannot read '\(p)' as a table: \(line > 0 ? "line \(line): " : "")\(why) (lineage reads CSV, TSV and JSON Lines, compressed or not, in UTF-8 unless an encoding is declared, with the dialect declared for them)"
        case .damagedStagingIndex(let p, let detail):
            return "the staging index \(p) is damaged (\(detail)); it holds only what is staged for the next commit, never history — move it away (`mv \(p) \(p).damaged`) and lineage rebuilds it from HEAD, then add again what you had staged"
        case .brokenSymlink(let p):
            return "'\(p)' is a symbolic link that leads nowhere (its target is missing, or links loop); lineage tracks regular files — remove the link or add the file it should point to"
        case .symlinkNotTracked(let p):
            return "'\(p)' is a symbolic link; lineage tracks regular files — add the file it points to instead"
        case .reservedPath(let p):
            return "'\(p)' is inside .lineage (or .git), which lineage manages itself and cannot track"
        case .notFound(let p, let s):
            return "'\(p)' does not exist" + hint(s) + " — check the path"
        case .unreadable(let p, let why):
            return "cannot read '\(p)': \(why) — fix its permissions and retry"
        case .notAFile(let p):
            return "'\(p)' is neither a regular file nor a directory (device, socket or FIFO) and cannot be tracked"
        case .notTracked(let p, let s):
            return "'\(p)' is not tracked" + hint(s) + " — run `lineage add \(p)` first, or `lineage ls-files` to list what is tracked"
        case .unknownRevision(let r):
            return "unknown revision '\(r)' — use a commit id (or a unique prefix), HEAD, HEAD~N or a branch; `lineage log` lists commits"
        case .ambiguousRevision(let r, let c):
            return "revision '\(r)' is ambiguous; it could be: \(c.joined(separator: ", ")) — give more characters"
        case .noCommits:
            return "there are no commits yet — run `lineage add <paths>` and `lineage commit -m <message>` first"
        case .nothingToCommit:
            return "nothing to commit (the staged files equal HEAD) — stage changes with `lineage add <paths>`"
        case .emptyMessage:
            return "the commit message is empty — pass one with -m \"message\""
        case .identityMissing:
            return "no identity for the commit — run `lineage config user.name \"Your Name\"` and `lineage config user.email you@example.org` (or set git's user.name/user.email)"
        case .localChanges(let paths):
            let list = paths.prefix(10).map { "  " + $0 }.joined(separator: "\n")
            let more = paths.count > 10 ? "\n  ... and \(paths.count - 10) more" : ""
            return "your local changes to these files would be overwritten:\n\(list)\(more)\ncommit them with `lineage add` + `lineage commit`, or rerun with --force to discard them"
        case .unsafePathInHistory(let p, let c):
            return "commit \(c) holds an unsafe path '\(p)' (absolute, '..' or reserved); refusing to write it — the history was crafted or damaged, run `lineage verify`"
        case .symlinkInTheWay(let p):
            return "'\(p)' has a symbolic link among its parent directories; refusing to write through it — remove the link and retry"
        case .missingContent(let p, let detail):
            return "the bytes of '\(p)' are not in the store (\(detail)) — run `lineage verify` to see what is missing"
        case .invalidArgument(let why):
            return why
        case .noSigningKey:
            return "no signing key is configured and every commit must be signed — run `lineage key generate`, then `lineage config user.signingkey <path printed>`, and have a trusted signer run `lineage trust add <you> <path>.pub`"
        case .signing(let why):
            return why
        case .erased(let p, let r):
            return "the bytes of '\(p)' (\(r.sha256.hex.prefix(12))) were erased on \(r.erasedAt) by \(r.erasedBy): \(r.reason) — the tombstone is .lineage/erasures/\(r.sha256.hex).json; this version cannot be restored"
        case .config(let e):
            return "\(e) — fix lineage.yaml (its schema is Schemas/lineage-config.schema.json)"
        case .unverifiedHistory(let commit, let status, let detail, let lastGood, let branch):
            let name = branch.hasPrefix("refs/heads/") ? String(branch.dropFirst("refs/heads/".count)) : nil
            let recover = lastGood.map { good in
                "to go back to the last good commit \(good.prefix(12)), run `lineage checkout \(good)`" +
                    (name.map { ", then `git --git-dir .lineage branch -f \($0) \(good)` and `lineage checkout \($0)`" } ?? "")
            }
                ?? "no earlier commit verified either: restore the repository from a copy you trust"
            return "the commit to build on, \(commit.prefix(12)), did not verify (\(status): \(detail)); lineage only extends verified history, so nothing was written — run `lineage verify` to see every commit's verdict; \(recover)"
        case .untrustedSigner(let fingerprint, let detail):
            return "your signing key \(fingerprint) is not trusted by this repository (\(detail)) — a trusted signer must run `lineage trust add <your principal> <your key>.pub`, or configure a trusted key with `lineage config user.signingkey PATH`"
        }
    }

    private func hint(_ suggestions: [String]) -> String {
        suggestions.isEmpty ? "" : " (did you mean \(suggestions.map { "'\($0)'" }.joined(separator: ", "))?)"
    }
}

/// Closest candidates to `word` by edit distance, for "did you mean" hints.
func closest(_ word: String, among candidates: [String], limit: Int = 3) -> [String] {
    let w = Array(word.utf8)
    func distance(_ b: [UInt8]) -> Int {
        if w.isEmpty { return b.count }
        var prev = Array(0...b.count)
        for (i, x) in w.enumerated() {
            var cur = [Int](repeating: 0, count: b.count + 1)
            cur[0] = i + 1
            for (j, y) in b.enumerated() {
                let substitution = prev[j] + (x == y ? 0 : 1)
                cur[j + 1] = Swift.min(Swift.min(prev[j + 1] + 1, cur[j] + 1), substitution)
            }
            prev = cur
        }
        return prev[b.count]
    }
    let threshold = Swift.max(2, w.count / 3)
    var scored: [(name: String, score: Int)] = []
    for c in candidates {
        let d = distance(Array(c.utf8))
        if d <= threshold { scored.append((c, d)) }
    }
    scored.sort { a, b in a.score == b.score ? a.name < b.name : a.score < b.score }
    return scored.prefix(limit).map(\.name)
}
