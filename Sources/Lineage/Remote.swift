import Foundation
import LineageCore
import LineageGit
import LineageStore

/// A configured remote: where the history goes (a git URL) and where the bytes go.
public struct RemoteConfig: Codable, Sendable, Equatable {
    public let name: String
    public let url: String
    /// The content location set with `--content` / `set-content` (never a credential), if any.
    public let content: String?
    /// Where the bytes actually go: `content`, else a directory beside a path remote's history.
    public let effectiveContent: String?
    /// The S3 endpoint for an `s3://` content location (`--endpoint`), kept locally only: it
    /// overrides AWS_ENDPOINT_URL[_S3] and the profile's `endpoint_url` for this remote.
    public var endpoint: String? = nil
}

/// Errors of the remote verbs, each naming the remote and saying what to do.
public enum RemoteFailure: Error, CustomStringConvertible, Equatable {
    case badName(String)
    case unknownRemote(String, known: [String])
    case remoteExists(String, url: String)
    case credentialInURL(String)
    case notLineageHistory(remote: String, url: String, refs: Int)
    case emptyRemote(remote: String, url: String)
    case unknownRemoteBranch(remote: String, branch: String, available: [String])
    case notFastForward(remote: String, branch: String, local: String, remoteAt: String)
    case detachedHead
    case unknownBranch(String)
    case untrustedHistory(remote: String, commit: String, status: String, detail: String)
    case foreignRoot(remote: String, branch: String, roots: [String], pinned: [String])
    case noTrustRoot(remote: String)
    case rootNotConfirmed(url: String, signers: [String])
    case trustRootMismatch(url: String, given: String, signers: [String])
    case rootUnsigned(url: String, commit: String, detail: String)
    case severalRoots(url: String, roots: [String])
    case rewritten(remote: String, branch: String, was: String, now: String)
    case destinationNotEmpty(String)
    case noContentLocation(remote: String, objects: Int)
    case tombstoneDropped(remote: String, branch: String, path: String, sha256: String)
    case contentTransferUnavailable(remote: String, location: String, objects: Int)
    /// A commit being pushed names a version that a tombstone known here erased, and the pushed
    /// branch does not carry that tombstone.
    case erasedContent(remote: String, branch: String, path: String, commit: String, record: ErasureRecord)
    /// Other branches of the remote moved since the last fetch: their tombstones are unknown here,
    /// so push sends no bytes.
    case fetchFirst(remote: String, branch: String, moved: [String])
    /// A command about a remote's content (`gc --remote`, `verify --remote`) on a remote without a content location.
    case noContent(remote: String, command: String)

    public var description: String {
        switch self {
        case .badName(let n):
            return "'\(n)' is not a usable remote name — use letters, digits, '.', '_' and '-' (e.g. origin)"
        case .unknownRemote(let n, let known):
            return "there is no remote '\(n)'" + (known.isEmpty ? " — add one with `lineage remote add \(n) <git-url>`" : " (remotes: \(known.joined(separator: ", "))) — `lineage remote list` shows them")
        case .remoteExists(let n, let url):
            return "remote '\(n)' already exists (\(url)) — remove it first with `lineage remote remove \(n)`, or pick another name"
        case .credentialInURL(let url):
            return "'\(url)' holds a password or token; URLs are stored in .lineage/config and travel in the history — remove the credential (use ssh keys, or a git credential helper for https)"
        case .notLineageHistory(let r, let url, let n):
            return "remote '\(r)' (\(url)) is a git repository but holds no lineage history (none of its \(n) references is under refs/lineage/heads/) — check the URL; to start one there, push to it"
        case .emptyRemote(let r, let url):
            return "remote '\(r)' (\(url)) holds no lineage history yet — push to it first"
        case .unknownRemoteBranch(let r, let b, let available):
            return "remote '\(r)' has no branch '\(b)' (it has: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .notFastForward(let r, let b, let local, let at):
            return "pushing \(b) to '\(r)' is refused: the remote branch is at \(at.prefix(12)), which \(b) (\(local.prefix(12))) does not contain — someone else pushed; fetch and merge first (`lineage fetch \(r)`, then `lineage merge \(r)/\(b)`), then push again. Nothing was changed on the remote"
        case .detachedHead:
            return "HEAD is detached, so there is no branch to push — name one: `lineage push <remote> <branch>`"
        case .unknownBranch(let b):
            return "there is no local branch '\(b)' — `git --git-dir .lineage branch` lists them"
        case .untrustedHistory(let r, let c, let s, let d):
            return "refused history from remote '\(r)': commit \(c.prefix(12)) did not verify (\(s): \(d)); nothing local was changed — ask the remote's owners to fix or remove that commit"
        case .foreignRoot(let r, let b, let roots, let pinned):
            return "refused \(b) from remote '\(r)': its history starts at \(roots.map { String($0.prefix(12)) }.joined(separator: ", ")), not at the pinned root \(pinned.map { String($0.prefix(12)) }.joined(separator: ", ")) this repository trusts — it is a different history (or a forged one); nothing local was changed"
        case .noTrustRoot(let r):
            return "this repository has no history yet and no pinned root, so nothing from remote '\(r)' can be checked — clone instead (`lineage clone <url> --trust-root SHA256:...`), or pass --trust-root SHA256:<fingerprint of the root signer>"
        case .rootNotConfirmed(let url, let signers):
            return "the history at \(url) starts with a commit signed by \(signers.joined(separator: "; ")); it certifies itself, so lineage needs you to confirm it — check the fingerprint with its owner, then rerun with --trust-root <fingerprint>. Nothing was cloned"
        case .trustRootMismatch(let url, let given, let signers):
            return "the history at \(url) starts with a commit signed by \(signers.joined(separator: "; ")), not by \(given) — it is not the history you expected (or it was forged); nothing was cloned"
        case .rootUnsigned(let url, let c, let d):
            return "the first commit \(c.prefix(12)) of the history at \(url) does not verify (\(d)); nothing was cloned"
        case .severalRoots(let url, let roots):
            return "the lineage history at \(url) has \(roots.count) first commits (\(roots.map { String($0.prefix(12)) }.joined(separator: ", "))); lineage trusts exactly one root — nothing was cloned"
        case .tombstoneDropped(let r, let b, let path, let sha):
            return "pushing \(b) to '\(r)' is refused: the remote branch records the erasure of \(path) (sha256:\(sha.prefix(12))), and what you push no longer does — that would bring the erased bytes back; nothing was changed on the remote. Merge the remote branch again (`lineage pull \(r)`), keeping its tombstones"
        case .erasedContent(let r, let b, let path, let c, let e):
            return "pushing \(b) to '\(r)' is refused: commit \(c.prefix(12)) names \(path) at \(e.sha256.hex.prefix(12)), whose bytes were erased on \(e.erasedAt) by \(e.erasedBy) (\(e.reason)), and \(b) does not carry that tombstone — pushing it would bring the erased data back. Nothing was changed on the remote. Merge the branch that carries the erasure (`lineage pull \(r)`), or remove that version from these commits"
        case .fetchFirst(let r, let b, let moved):
            return "pushing \(b) to '\(r)' is refused: \(moved.count == 1 ? "branch" : "branches") \(moved.joined(separator: ", ")) on the remote moved since you last fetched, and may carry erasures this push would undo by sending their bytes again; nothing was sent — run `lineage fetch \(r)`, then push again"
        case .noContent(let r, let command):
            return "remote '\(r)' has no content location, so `lineage \(command) \(r)` has nothing to look at — set one with `lineage remote set-content \(r) <s3://bucket/prefix | directory>`"
        case .rewritten(let r, let b, let was, let now):
            return "remote '\(r)': branch \(b) was rewritten (force-pushed): it was at \(was.prefix(12)) and is now at \(now.prefix(12)), which does not contain it; the tracking ref was not moved and your local commits are untouched — rerun with --force to accept the rewritten branch"
        case .destinationNotEmpty(let d):
            return "'\(d)' exists and is not empty — clone into a new or empty directory"
        case .noContentLocation(let r, let n):
            return "remote '\(r)' has no content location, so the \(n) content objects this push needs cannot go anywhere — set one: `lineage remote set-content \(r) <s3://bucket/prefix | directory>`"
        case .contentTransferUnavailable(let r, let loc, let n):
            return "remote '\(r)': content location \(loc) needs the S3 client, which this build of lineage does not have yet" + (n > 0 ? " (\(n) content objects must reach it before the history may move)" : "") + "; nothing was transferred — use a directory content location (`lineage remote set-content \(r) <directory>`) meanwhile"
        }
    }
}

extension Repository {
    static let remoteNameAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    /// Where a remote's branches live on the remote (beside a code repository's own branches).
    static let remoteBranchPrefix = "refs/lineage/heads/"
    /// Where the last fetched state of a remote's branches is kept locally.
    static let remoteTrackingRoot = "refs/lineage/remotes/"
    static func trackingPrefix(_ remote: String) -> String { remoteTrackingRoot + remote + "/" }
    /// Fetched commits wait here until verified.
    static let quarantineRoot = "refs/lineage/quarantine/"
    static func quarantinePrefix(_ remote: String) -> String { quarantineRoot + remote + "/" }
    /// The record in a commit's tree naming where the history's bytes are (`.lineage/content.json`).
    static let contentRecord = "content.json"
    static var contentRecordPath: String { RecordTree.directory + "/" + contentRecord }
    /// Directory beside a path remote's bare repository that holds its bytes when no content location is set.
    public static let defaultContentDirectory = "lineage-content"

    func checkRemoteName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 100, name.allSatisfy({ Repository.remoteNameAllowed.contains($0) }),
              !name.hasPrefix("."), !name.hasPrefix("-"), !name.contains("..") else { throw RemoteFailure.badName(name) }
    }

    /// A path URL made absolute (relative to `cwd`), so the remote stays the same from any directory.
    static func normalizedURL(_ url: String, cwd: String) throws -> String {
        guard let kind = GitURLKind.classify(url) else {
            throw TransportError.badURL(remote: url, url: url, detail: "unknown scheme or malformed host")
        }
        if case .https = kind, let u = URL(string: url), u.password != nil { throw RemoteFailure.credentialInURL(url) }
        if case .local(let path) = kind, !url.hasPrefix("file://"), !path.hasPrefix("/") {
            return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
        }
        return url
    }

    static func validateContentURL(_ content: String, cwd: String) throws -> String {
        if content.hasPrefix("s3://") {
            guard let u = URL(string: content), u.host != nil, u.password == nil, u.user == nil else {
                throw LineageError.invalidArgument("'\(content)' is not a content location lineage can use — use s3://bucket/prefix (credentials come from the AWS environment, never the URL) or a directory path")
            }
            return content
        }
        if content.contains("://") && !content.hasPrefix("file://") {
            throw LineageError.invalidArgument("'\(content)' is not a content location lineage can use — use s3://bucket/prefix or a directory path")
        }
        let path = content.hasPrefix("file://") ? String(content.dropFirst(7)) : content
        return path.hasPrefix("/") ? path : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
    }

    /// An S3 endpoint: `http(s)://host[:port][/path]`, no credentials, and only for an `s3://` location.
    static func validateEndpoint(_ endpoint: String, content: String?) throws {
        guard content?.hasPrefix("s3://") == true else {
            throw LineageError.invalidArgument("--endpoint is for an s3:// content location; give it together with --content s3://bucket/prefix")
        }
        guard let u = URL(string: endpoint), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https", u.host != nil else {
            throw LineageError.invalidArgument("--endpoint '\(endpoint)' is not an http(s) URL — e.g. https://s3.eu-central-1.amazonaws.com or http://127.0.0.1:9000")
        }
        guard u.user == nil && u.password == nil else {
            throw LineageError.invalidArgument("--endpoint must not hold credentials; they come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials")
        }
    }

    /// Every configured remote, by name.
    public func remotes() throws -> [RemoteConfig] {
        let config = try GitConfig.open(path: layout.configFile)
        var urls: [String: String] = [:], contents: [String: String] = [:], endpoints: [String: String] = [:]
        for (name, value) in try config.entries(matching: "^remote\\..*\\.(url|lineagecontent|lineageendpoint)$") {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 3 else { continue }
            let remote = parts[1..<(parts.count - 1)].joined(separator: ".")
            switch parts.last {
            case "url": urls[remote] = value
            case "lineageendpoint": endpoints[remote] = value
            default: contents[remote] = value
            }
        }
        return urls.keys.sorted().map { name in
            RemoteConfig(name: name, url: urls[name]!, content: contents[name],
                         effectiveContent: contents[name] ?? Repository.defaultContent(forGitURL: urls[name]!), endpoint: endpoints[name])
        }
    }

    /// The bytes of a path remote live beside its history when no content location is set.
    static func defaultContent(forGitURL url: String) -> String? {
        guard case .local(let path)? = GitURLKind.classify(url) else { return nil }
        return path + "/" + defaultContentDirectory
    }

    /// One remote's configuration.
    public func remote(_ name: String) throws -> RemoteConfig {
        let all = try remotes()
        guard let r = all.first(where: { $0.name == name }) else { throw RemoteFailure.unknownRemote(name, known: all.map(\.name)) }
        return r
    }

    /// `lineage remote add`: records a remote in `.lineage/config` (`remote.<name>.url`, and
    /// `remote.<name>.lineagecontent`), so `git --git-dir .lineage remote -v` shows it too.
    @discardableResult
    public func remoteAdd(name: String, url: String, content: String? = nil, endpoint: String? = nil, cwd: String) throws -> RemoteConfig {
        try checkRemoteName(name)
        let normalized = try Repository.normalizedURL(url, cwd: cwd)
        let contentURL = try content.map { try Repository.validateContentURL($0, cwd: cwd) }
        if let endpoint { try Repository.validateEndpoint(endpoint, content: contentURL) }
        return try withWriteLock {
            if let existing = try remotes().first(where: { $0.name == name }) { throw RemoteFailure.remoteExists(name, url: existing.url) }
            let config = try GitConfig.open(path: layout.configFile)
            try config.set("remote.\(name).url", normalized)
            if let contentURL { try config.set("remote.\(name).lineagecontent", contentURL) }
            if let endpoint { try config.set("remote.\(name).lineageendpoint", endpoint) }
            return try remote(name)
        }
    }

    /// `lineage remote remove`: forgets the remote and its tracking refs (nothing on the remote changes).
    public func remoteRemove(name: String) throws {
        _ = try remote(name)
        try withWriteLock {
            let config = try GitConfig.open(path: layout.configFile)
            try config.removeSection(prefix: "remote.\(name)")
            for ref in try git.references(withPrefix: Repository.trackingPrefix(name)) { try git.deleteReference(ref.name) }
        }
    }

    /// `lineage remote set-content`: where the remote's bytes go. When the repository has commits on
    /// a branch, the location is also recorded in a signed commit (`.lineage/content.json`), so a
    /// clone learns it from the history; the record never holds a credential.
    @discardableResult
    public func remoteSetContent(name: String, content: String, endpoint: String? = nil, cwd: String, now: Int64? = nil) throws -> (config: RemoteConfig, commit: String?) {
        _ = try remote(name)
        let contentURL = try Repository.validateContentURL(content, cwd: cwd)
        if let endpoint { try Repository.validateEndpoint(endpoint, content: contentURL) }
        return try withWriteLock {
            let config = try GitConfig.open(path: layout.configFile)
            try config.set("remote.\(name).lineagecontent", contentURL)
            if let endpoint { try config.set("remote.\(name).lineageendpoint", endpoint) }
            var commit: String? = nil
            if let head = try headCommit(), try git.headBranchRef() != "HEAD", try contentLocation(inCommit: head) != contentURL {
                commit = try recordContentLocation(contentURL, head: head, now: now ?? nowSeconds()).hex
            }
            return (try remote(name), commit)
        }
    }

    /// The content location recorded in a commit's tree, if any.
    func contentLocation(inCommit id: ObjectID) throws -> String? {
        guard let blob = try git.entry(inTree: try git.commit(id).tree, path: Repository.contentRecordPath) else { return nil }
        struct Record: Codable { let content: String }
        return (try? CanonicalJSON.decode(Record.self, from: try git.readBlob(blob)))?.content
    }

    /// Writes a signed commit on the current branch whose only change is the content record.
    private func recordContentLocation(_ url: String, head: ObjectID, now: Int64) throws -> ObjectID {
        struct Record: Codable { let content: String; let type: String; let version: Int }
        let bytes = try CanonicalJSON.encode(Record(content: url, type: "lineage.content-location", version: 1))
        let tree = try git.commit(head).tree
        let id = try writeSignedCommit(userTree: tree, parent: head, message: "Content location: \(url)",
                                       records: [PathKey(Repository.contentRecord): bytes], now: now)
        try git.updateReference(try git.headBranchRef(), to: id, expected: head, message: "lineage remote set-content")
        return id
    }
}
