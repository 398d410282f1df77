internal import CLibGit2
import Foundation
import LineageCore

/// A reference as a remote advertises it.
public struct RemoteRef: Sendable, Equatable {
    public let name: String
    public let id: ObjectID
}

/// One reference update of a push, with its lease: the remote reference must still point at
/// `expected` (nil: must not exist) when the push is negotiated, or nothing is pushed.
public struct PushUpdate: Sendable, Equatable {
    public let commit: ObjectID
    public let remoteRef: String
    public let expected: ObjectID?
    public init(commit: ObjectID, remoteRef: String, expected: ObjectID?) {
        self.commit = commit; self.remoteRef = remoteRef; self.expected = expected
    }
}

/// What went wrong talking to a git remote. Every case names the remote (its name, or its URL).
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// The URL is not one lineage can use.
    case badURL(remote: String, url: String, detail: String)
    /// Nothing answered, or there is no repository at the path.
    case unreachable(remote: String, url: String, detail: String)
    /// The server refused every credential offered.
    case authentication(remote: String, url: String, detail: String)
    /// The SSH host key is not in known_hosts.
    case unknownHostKey(remote: String, host: String, fingerprint: String, knownHosts: String)
    /// The SSH host key differs from the one known_hosts holds for the host.
    case changedHostKey(remote: String, host: String, fingerprint: String, knownHosts: String)
    /// The remote reference moved since it was last fetched (the lease did not hold).
    case leaseBroken(remote: String, ref: String, expected: ObjectID?, found: ObjectID?)
    /// The remote refused to update a reference.
    case rejected(remote: String, ref: String, reason: String)
    /// Any other libgit2 failure during the transfer.
    case failed(remote: String, detail: String)

    public var description: String {
        switch self {
        case .badURL(let r, let url, let d):
            return "remote '\(r)': '\(url)' is not a git URL lineage can use (\(d)) — use a path, file://, ssh://user@host[:port]/path, user@host:path or https://"
        case .unreachable(let r, let url, let d):
            return "remote '\(r)' (\(url)) cannot be reached: \(d) — check the URL and your network, then retry"
        case .authentication(let r, let url, let d):
            return "remote '\(r)' (\(url)) refused the credentials: \(d) — for ssh, load your key into ssh-agent or use ~/.ssh/id_ed25519 and make sure the server lists it; for https, store a token with a git credential helper"
        case .unknownHostKey(let r, let host, let fp, let file):
            return "remote '\(r)': the SSH host key of \(host) (\(fp)) is not in \(file); nothing was sent — check the fingerprint with the server's owner, then add it (`ssh-keyscan -p PORT HOST >> \(file)`, or connect once with ssh)"
        case .changedHostKey(let r, let host, let fp, let file):
            return "remote '\(r)': the SSH host key of \(host) is now \(fp), which differs from the one in \(file) — someone may be intercepting the connection; nothing was sent. If the server's key really changed, remove the old line (`ssh-keygen -R HOST -f \(file)`) and add the new one"
        case .leaseBroken(let r, let ref, let e, let f):
            return "remote '\(r)': \(ref) is at \(f?.short ?? "nothing") but was at \(e?.short ?? "nothing") when you last fetched — someone pushed meanwhile; nothing was changed on the remote: fetch and merge first"
        case .rejected(let r, let ref, let why):
            return "remote '\(r)' refused to update \(ref): \(why)"
        case .failed(let r, let d):
            return "remote '\(r)': \(d)"
        }
    }
}

/// Where the SSH transport looks for credentials and host keys. Defaults follow OpenSSH.
public struct SSHSettings: Sendable {
    /// Private key files tried after ssh-agent, in order (those that exist).
    public var identityFiles: [String]
    /// The known_hosts file host keys are checked against.
    public var knownHosts: String
    /// Whether ssh-agent is asked first (when `SSH_AUTH_SOCK` is set).
    public var useAgent: Bool

    public init(identityFiles: [String], knownHosts: String, useAgent: Bool) {
        self.identityFiles = identityFiles; self.knownHosts = knownHosts; self.useAgent = useAgent
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> SSHSettings {
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return SSHSettings(identityFiles: [home + "/.ssh/id_ed25519", home + "/.ssh/id_rsa"],
                           knownHosts: home + "/.ssh/known_hosts",
                           useAgent: !(env["SSH_AUTH_SOCK"] ?? "").isEmpty)
    }
}

/// The three kinds of git URL lineage talks to.
public enum GitURLKind: Sendable, Equatable {
    case local(path: String)
    case ssh(user: String?, host: String, port: Int?)
    case https(host: String)

    /// Classifies a URL the way git does: `scheme://...`, scp-like `[user@]host:path`, or a path.
    public static func classify(_ url: String) -> GitURLKind? {
        if url.hasPrefix("file://") { return .local(path: String(url.dropFirst(7))) }
        if let scheme = url.range(of: "://") {
            let name = url[..<scheme.lowerBound].lowercased()
            let rest = url[scheme.upperBound...]
            let authority = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            var user: String? = nil
            var hostPort = authority
            if let at = authority.lastIndex(of: "@") { user = String(authority[..<at]); hostPort = String(authority[authority.index(after: at)...]) }
            var host = hostPort
            var port: Int? = nil
            if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
                host = String(hostPort[..<colon])
                guard let p = Int(hostPort[hostPort.index(after: colon)...]) else { return nil }
                port = p
            }
            host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            guard !host.isEmpty else { return nil }
            switch name {
            case "ssh", "git+ssh", "ssh+git": return .ssh(user: user, host: host, port: port)
            case "https", "http": return .https(host: host)
            default: return nil
            }
        }
        // scp-like: a colon before the first slash (and not a lone drive-like path).
        if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") {
            let authority = String(url[..<colon])
            if let at = authority.lastIndex(of: "@") {
                return .ssh(user: String(authority[..<at]), host: String(authority[authority.index(after: at)...]), port: nil)
            }
            return .ssh(user: nil, host: authority, port: nil)
        }
        return .local(path: url)
    }
}

/// Talks to one git remote through libgit2: lists its references, fetches refspecs into local
/// references, and pushes with a lease. Local paths and `file://`, SSH (libssh2: ssh-agent, then
/// the user's key files; host keys checked against known_hosts) and HTTPS (credentials from
/// `git credential fill`).
public final class GitTransport {
    public let repository: GitRepository
    public let name: String
    public let url: String
    public let ssh: SSHSettings
    let kind: GitURLKind

    public init(repository: GitRepository, name: String, url: String, ssh: SSHSettings = .fromEnvironment()) throws {
        guard let kind = GitURLKind.classify(url) else {
            throw TransportError.badURL(remote: name, url: url, detail: "unknown scheme or malformed host")
        }
        self.repository = repository; self.name = name; self.url = url; self.ssh = ssh; self.kind = kind
    }

    /// True for a local path or `file://` URL.
    public var isLocal: Bool { if case .local = kind { return true }; return false }

    /// The local directory of a path/`file://` remote.
    public var localPath: String? { if case .local(let p) = kind { return p }; return nil }

    // MARK: operations

    /// Every reference the remote advertises (`git_remote_connect` + `git_remote_ls`).
    public func listReferences() throws -> [RemoteRef] {
        if let path = localPath, !FileManager.default.fileExists(atPath: path) {
            throw TransportError.unreachable(remote: name, url: url, detail: "there is no repository at \(path)")
        }
        let session = Session(self)
        let remote = try makeRemote()
        defer { git_remote_free(remote) }
        var callbacks = git_remote_callbacks()
        try check(git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION)), "git_remote_init_callbacks", session)
        session.install(&callbacks)
        let unmanaged = Unmanaged.passRetained(session)
        defer { unmanaged.release() }
        callbacks.payload = unmanaged.toOpaque()
        try check(git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nil, nil), "git_remote_connect", session)
        defer { git_remote_disconnect(remote) }
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try check(git_remote_ls(&heads, &count, remote), "git_remote_ls", session)
        var out: [RemoteRef] = []
        for i in 0..<count {
            guard let h = heads?[i]?.pointee else { continue }
            let refName = String(cString: h.name)
            if refName == "HEAD" { continue }
            out.append(RemoteRef(name: refName, id: ObjectID(h.oid)))
        }
        return out
    }

    /// Fetches `refspecs` (`+src:dst`), moving the local references they name
    /// (`git_remote_fetch`, no tags, no FETCH_HEAD).
    public func fetch(refspecs: [String]) throws {
        if let path = localPath, !FileManager.default.fileExists(atPath: path) {
            throw TransportError.unreachable(remote: name, url: url, detail: "there is no repository at \(path)")
        }
        let session = Session(self)
        let remote = try makeRemote()
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "git_fetch_options_init", session)
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        options.update_fetchhead = 0
        options.prune = GIT_FETCH_NO_PRUNE
        session.install(&options.callbacks)
        let unmanaged = Unmanaged.passRetained(session)
        defer { unmanaged.release() }
        options.callbacks.payload = unmanaged.toOpaque()
        try withStrings(refspecs) { specs in
            try check(git_remote_fetch(remote, &specs, &options, "lineage fetch"), "git_remote_fetch", session)
        }
    }

    /// Pushes commits to remote references, each with its lease: in `push_negotiation` libgit2 shows
    /// the remote's current value of every reference, and unless each equals its `expected` the push
    /// is abandoned before any object is sent. Per-reference refusals from the server
    /// (`push_update_reference`) become errors. A local path that does not exist yet is created as a
    /// bare repository first.
    public func push(_ updates: [PushUpdate]) throws {
        try createIfMissing()
        let session = Session(self)
        session.leases = Dictionary(updates.map { ($0.remoteRef, $0.expected) }, uniquingKeysWith: { a, _ in a })
        let remote = try makeRemote()
        defer { git_remote_free(remote) }
        var options = git_push_options()
        try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "git_push_options_init", session)
        session.install(&options.callbacks)
        options.callbacks.push_negotiation = { updates, count, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            for i in 0..<count {
                guard let u = updates?[i]?.pointee else { continue }
                let ref = String(cString: u.dst_refname)
                guard let lease = session.leases[ref] else { continue }
                let current = ObjectID(u.src)
                let found: ObjectID? = current.isZero ? nil : current
                // Already at the commit being pushed (an earlier push moved it and was stopped
                // before it recorded that): the update is done, whatever the lease says.
                if found != lease && current != ObjectID(u.dst) {
                    session.failure = .leaseBroken(remote: session.name, ref: ref, expected: lease, found: found)
                    return -1
                }
            }
            return 0
        }
        options.callbacks.push_update_reference = { refname, status, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            if let status, let refname {
                session.rejections.append((String(cString: refname), String(cString: status)))
            }
            return 0
        }
        let unmanaged = Unmanaged.passRetained(session)
        defer { unmanaged.release() }
        options.callbacks.payload = unmanaged.toOpaque()
        // libgit2 pushes from references, not ids: each commit gets a short-lived local reference.
        var specs: [String] = []
        var outgoing: [String] = []
        defer { for ref in outgoing { try? repository.deleteReference(ref) } }
        // A push killed before its deferred clean-up left its references behind: drop those whose
        // process is gone (they only ever name commits the branches already hold).
        for stale in (try? repository.references(withPrefix: "refs/lineage/outgoing/")) ?? [] {
            let owner = stale.name.dropFirst("refs/lineage/outgoing/".count).split(separator: "-").first.flatMap { pid_t($0) }
            if let owner, owner != getpid(), kill(owner, 0) != 0, errno == ESRCH { try? repository.deleteReference(stale.name) }
        }
        for (i, u) in updates.enumerated() {
            let ref = "refs/lineage/outgoing/\(getpid())-\(i)"
            try? repository.deleteReference(ref)
            try repository.updateReference(ref, to: u.commit, expected: nil, message: "lineage push")
            outgoing.append(ref)
            specs.append("\(ref):\(u.remoteRef)")
        }
        try withStrings(specs) { strings in
            try check(git_remote_push(remote, &strings, &options), "git_remote_push", session)
        }
        if let (ref, why) = session.rejections.first {
            throw TransportError.rejected(remote: name, ref: ref, reason: why)
        }
    }

    /// For a path remote: creates the bare repository when the path does not exist, or is a
    /// directory holding nothing but the default content directory (a push's bytes arrive first).
    public func createIfMissing(contentDirectory: String = "lineage-content") throws {
        guard let path = localPath else { return }
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            guard !fm.fileExists(atPath: path + "/HEAD"), !fm.fileExists(atPath: path + "/.git"),
                  let entries = try? fm.contentsOfDirectory(atPath: path),
                  entries.allSatisfy({ $0 == contentDirectory }) else { return }
        }
        do { _ = try GitRepository.createBare(at: path) } catch {
            throw TransportError.unreachable(remote: name, url: url, detail: "cannot create a bare repository at \(path): \(error)")
        }
    }

    // MARK: plumbing

    private func makeRemote() throws -> OpaquePointer {
        var remote: OpaquePointer?
        let rc = git_remote_create_anonymous(&remote, repository.handle.pointer, url)
        if rc < 0 {
            let e = GitError(rc: rc, function: "git_remote_create_anonymous")
            throw TransportError.badURL(remote: name, url: url, detail: e.message)
        }
        return remote!
    }

    /// Maps a libgit2 failure to a `TransportError`, preferring what a callback recorded.
    private func check(_ rc: Int32, _ function: String, _ session: Session) throws {
        guard rc < 0 else { return }
        if let failure = session.failure { throw failure }
        let e = GitError(rc: rc, function: function)
        let message = e.message
        if rc == GIT_ENONFASTFORWARD.rawValue {
            throw TransportError.rejected(remote: name, ref: "", reason: "not a fast-forward (\(message)) — fetch and merge first")
        }
        if rc == GIT_EAUTH.rawValue || message.contains("authentication") || message.contains("Authentication") {
            throw TransportError.authentication(remote: name, url: url, detail: message)
        }
        if rc == GIT_ENOTFOUND.rawValue || message.contains("could not find repository") || message.contains("failed to resolve address")
            || message.contains("failed to connect") || message.contains("Connection refused") || message.contains("failed to start SSH session")
            || message.contains("not a git repository") || message.contains("could not find") {
            throw TransportError.unreachable(remote: name, url: url, detail: message)
        }
        if e.isOSError { throw TransportError.unreachable(remote: name, url: url, detail: message) }
        throw TransportError.failed(remote: name, detail: "\(function): \(message)")
    }
}

/// A C string array for libgit2 that lives for the duration of `body`.
private func withStrings<T>(_ strings: [String], _ body: (inout git_strarray) throws -> T) throws -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return try pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: strings.count)
        return try body(&array)
    }
}

extension ObjectID {
    var isZero: Bool { bytes.allSatisfy { $0 == 0 } }
}

/// State shared with libgit2's callbacks for one operation (passed as their payload). Swift errors
/// never cross C: callbacks record them here and return a negative code.
final class Session {
    let name: String
    let url: String
    let kind: GitURLKind
    let ssh: SSHSettings
    var failure: TransportError?
    var leases: [String: ObjectID?] = [:]
    var rejections: [(String, String)] = []
    /// Credentials still to offer, in order; each is offered once (libssh2 asks again after a failure).
    var pendingSSH: [SSHCredential] = []
    var sshStarted = false
    var httpsTried = false
    var attempts = 0
    static let maxAttempts = 5

    enum SSHCredential { case agent, file(String) }

    init(_ t: GitTransport) {
        name = t.name; url = t.url; kind = t.kind; ssh = t.ssh
    }

    func install(_ callbacks: inout git_remote_callbacks) {
        callbacks.credentials = { out, url, usernameFromURL, allowed, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            return session.credential(out, url: url.map { String(cString: $0) } ?? "",
                                      user: usernameFromURL.map { String(cString: $0) }, allowed: allowed)
        }
        callbacks.certificate_check = { cert, valid, host, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            return session.checkCertificate(cert, valid: valid != 0, host: host.map { String(cString: $0) } ?? "")
        }
    }

    func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, url: String, user: String?, allowed: UInt32) -> Int32 {
        attempts += 1
        guard attempts <= Session.maxAttempts else {
            failure = failure ?? .authentication(remote: name, url: self.url, detail: "gave up after \(Session.maxAttempts) attempts")
            return -1
        }
        let username = user.flatMap { $0.isEmpty ? nil : $0 } ?? sshUser()
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            if !sshStarted {
                sshStarted = true
                if ssh.useAgent { pendingSSH.append(.agent) }
                for f in ssh.identityFiles where FileManager.default.fileExists(atPath: f) { pendingSSH.append(.file(f)) }
            }
            guard !pendingSSH.isEmpty else {
                let tried = (ssh.useAgent ? ["ssh-agent"] : []) + ssh.identityFiles.filter { FileManager.default.fileExists(atPath: $0) }
                failure = .authentication(remote: name, url: self.url, detail: tried.isEmpty
                    ? "no ssh-agent (SSH_AUTH_SOCK) and none of \(ssh.identityFiles.joined(separator: ", ")) exists"
                    : "the server accepted none of: \(tried.joined(separator: ", ")) (as user \(username))")
                return -1
            }
            switch pendingSSH.removeFirst() {
            case .agent:
                return git_credential_ssh_key_from_agent(out, username)
            case .file(let path):
                let pub = FileManager.default.fileExists(atPath: path + ".pub") ? path + ".pub" : nil
                return git_credential_ssh_key_new(out, username, pub, path, nil)
            }
        }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return git_credential_username_new(out, username)
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
            guard !httpsTried else {
                failure = .authentication(remote: name, url: self.url, detail: "the credentials from `git credential fill` were refused")
                return -1
            }
            httpsTried = true
            guard let (u, p) = GitCredentialHelper.fill(url: url, user: user) else {
                failure = .authentication(remote: name, url: self.url, detail: "`git credential fill` gave no username and password (no credential helper configured?)")
                return -1
            }
            return git_credential_userpass_plaintext_new(out, u, p)
        }
        failure = .authentication(remote: name, url: self.url, detail: "the server asks for a kind of credential lineage does not offer")
        return -1
    }

    private func sshUser() -> String {
        if case .ssh(let user?, _, _) = kind, !user.isEmpty { return user }
        return ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
    }

    func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>?, valid: Bool, host: String) -> Int32 {
        guard let cert else { return -1 }
        switch cert.pointee.cert_type {
        case GIT_CERT_HOSTKEY_LIBSSH2:
            let hostkey = UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
            guard hostkey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostkey.hostkey else {
                failure = .failed(remote: name, detail: "the SSH transport did not report the host key, so it cannot be checked")
                return -1
            }
            let key = Array(UnsafeRawBufferPointer(start: raw, count: hostkey.hostkey_len))
            var port: Int? = nil
            if case .ssh(_, _, let p) = kind { port = p }
            let known = KnownHosts(path: ssh.knownHosts)
            let shown = (port.map { $0 == 22 ? host : "[\(host)]:\($0)" }) ?? host
            switch known.check(host: host, port: port, key: key) {
            case .match: return 0
            case .unknown:
                failure = .unknownHostKey(remote: name, host: shown, fingerprint: KnownHosts.fingerprint(key), knownHosts: ssh.knownHosts)
                return -1
            case .changed:
                failure = .changedHostKey(remote: name, host: shown, fingerprint: KnownHosts.fingerprint(key), knownHosts: ssh.knownHosts)
                return -1
            }
        default:
            // TLS: libgit2 already verified the chain against the system's CAs; keep its verdict.
            if valid { return 0 }
            failure = .failed(remote: name, detail: "the server's TLS certificate for \(host) is not valid")
            return -1
        }
    }
}

/// Asks git's credential helpers (`git credential fill`) for a username and password.
enum GitCredentialHelper {
    static func fill(url: String, user: String?) -> (String, String)? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host else { return nil }
        var input = "protocol=\(scheme)\nhost=\(host)\(parsed.port.map { ":\($0)" } ?? "")\n"
        let path = parsed.path.hasPrefix("/") ? String(parsed.path.dropFirst()) : parsed.path
        if !path.isEmpty { input += "path=\(path)\n" }
        if let user, !user.isEmpty { input += "username=\(user)\n" }
        input += "\n"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "credential", "fill"]
        var env = ProcessInfo.processInfo.environment
        env["GIT_TERMINAL_PROMPT"] = "0"
        p.environment = env
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin; p.standardOutput = stdout; p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        var u: String?, pw: String?
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("username=") { u = String(line.dropFirst(9)) }
            if line.hasPrefix("password=") { pw = String(line.dropFirst(9)) }
        }
        guard let u, let pw else { return nil }
        return (u, pw)
    }
}
