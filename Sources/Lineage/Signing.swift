import Foundation
import LineageCore
import LineageGit
import LineageGraph
import LineageSigning

/// Where keys live and how the repository's signer and trust are found.
public enum SigningKeys {
    /// `$XDG_CONFIG_HOME/lineage/keys/id_ed25519`, or `~/.config/lineage/keys/id_ed25519`.
    public static func defaultKeyPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base: String
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { base = xdg }
        else { base = (environment["HOME"] ?? NSHomeDirectory()) + "/.config" }
        return base + "/lineage/keys/id_ed25519"
    }

    /// `~/x` → `$HOME/x`; relative paths are taken from `cwd`.
    static func expand(_ path: String, cwd: String) -> String {
        if path == "~" || path.hasPrefix("~/") {
            return (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
        }
        return path.hasPrefix("/") ? path : cwd + "/" + path
    }

    /// Creates a new Ed25519 key in OpenSSH format at `path` (mode 0600) and its `.pub` beside it;
    /// with a `passphrase`, encrypted as `ssh-keygen` does (bcrypt, aes256-ctr).
    ///
    /// Refuses an existing file and any place inside a lineage working directory: a private key must
    /// never be tracked, committed or copied along with a project. The key file appears atomically
    /// (written aside, then linked into place, which fails if another process made one first).
    @discardableResult
    public static func generate(at path: String, comment: String, passphrase: String? = nil) throws -> SSHPrivateKey {
        let absolute = try checkNewKeyPath(path)
        let dir = (absolute as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
        catch { throw LineageError.unreadable(dir, reason: "cannot create the key directory: \(error.localizedDescription)") }
        let key = SSHPrivateKey.generate(comment: comment)
        try writeExclusive(Array(key.openSSHPrivateKey(passphrase: passphrase).utf8), to: absolute, mode: 0o600)
        try? FileManager.default.removeItem(atPath: absolute + ".pub")
        try writeExclusive(Array(key.publicKeyLine().utf8), to: absolute + ".pub", mode: 0o644)
        return key
    }

    /// The absolute path a new key may be written to; refuses a place inside a lineage working
    /// directory and an existing file.
    static func checkNewKeyPath(_ path: String) throws -> String {
        let absolute = lexicallyNormalized(path)
        let dir = (absolute as NSString).deletingLastPathComponent
        if let inside = Repository.findRoot(from: dir) {
            throw LineageError.invalidArgument("refusing to write a private key inside the lineage working directory \(inside) — keep keys outside projects, e.g. the default \(defaultKeyPath())")
        }
        if FileManager.default.fileExists(atPath: absolute) {
            throw LineageError.invalidArgument("\(absolute) already exists; not overwriting a key — choose another path with --file, or use the existing key with `lineage config user.signingkey \(absolute)`")
        }
        return absolute
    }

    /// Writes a temporary file with `mode`, fsyncs it, and links it to `path` only if nothing is there.
    private static func writeExclusive(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let temp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw LineageError.unreadable(path, reason: String(cString: strerror(errno))) }
        defer { unlink(temp) }
        let ok = bytes.withUnsafeBytes { buf in write(fd, buf.baseAddress, buf.count) == buf.count } && fchmod(fd, mode) == 0 && fsync(fd) == 0
        close(fd)
        guard ok else { throw LineageError.unreadable(path, reason: String(cString: strerror(errno))) }
        guard link(temp, path) == 0 else {
            if errno == EEXIST { throw LineageError.invalidArgument("\(path) already exists; not overwriting a key") }
            throw LineageError.unreadable(path, reason: String(cString: strerror(errno)))
        }
    }

    /// Loads a private key, turning the signing layer's errors into messages that name the file.
    public static func load(path: String) throws -> SSHPrivateKey {
        do { return try SSHPrivateKey.load(path: path) } catch let e as SigningError {
            throw LineageError.signing("signing key \(path): \(withHint(e))")
        }
    }
}

/// What `lineage init` did about signing.
public struct InitReport: Codable, Sendable {
    public let root: String
    public let keyPath: String?
    public let keyCreated: Bool
    public let principal: String?
    public let fingerprint: String?
    /// Set when no usable key could be arranged; the user must configure one before committing.
    public let keyProblem: String?
    /// The `.gitignore` lineage keeps its block in, when the project is inside a git work tree.
    public var gitignore: String? = nil
}

extension Repository {
    static let trustRecord = "allowed_signers"
    static var trustRecordPath: String { RecordTree.directory + "/" + trustRecord }
    static var commitRecordPath: String { RecordTree.directory + "/" + CommitRecord.path }
    var trustFile: String { layout.dotLineage + "/" + Repository.trustRecord }

    /// The signing key's file: the one this user chose for this repository (`lineage config
    /// user.signingkey`, kept under the user's config directory, never in `.lineage/`), else git's
    /// `user.signingkey`, else the user's default lineage key when it exists; nil when there is
    /// none, or when the key is given literally (`key::…`). See `signingKeySpec`.
    public func signingKeyPath() -> String? {
        guard case .file(let path)? = try? signingKeySpec() else { return nil }
        return path
    }

    /// The signing key as configured, in any form git accepts for `user.signingkey` (a private key
    /// file, its `.pub`, or `key::ssh-ed25519 AAAA…`): this user's setting for this repository,
    /// else git's global one, else the default lineage key when it exists; nil when there is none.
    /// A `user.signingkey` in `.lineage/config` (written by older versions) is ignored with a
    /// warning: it travels with copies of the repository, and would make the next user sign with
    /// the previous owner's key.
    public func signingKeySpec() throws -> SigningKeySpec? {
        if let v = userSetting("user.signingkey"), !v.isEmpty {
            return try SigningKeySpec.parse(v, cwd: root)
        }
        if let v = try? GitConfig.open(path: layout.configFile).string("user.signingkey"), !v.isEmpty {
            warn("ignoring user.signingkey in \(layout.configFile) (\(v)): a signing key set inside the repository travels with copies of it — run `lineage config user.signingkey PATH` to choose your key for this repository (kept in \(SigningKeys.configDirectory()))")
        }
        if let v = try? GitConfig.userDefault()?.string("user.signingkey"), !v.isEmpty {
            return try SigningKeySpec.parse(v, cwd: FileManager.default.currentDirectoryPath)
        }
        let fallback = SigningKeys.defaultKeyPath()
        return FileManager.default.fileExists(atPath: fallback) ? .file(fallback) : nil
    }

    /// The program that signs instead of lineage (`lineage config signing.program ssh-keygen`), as
    /// git's `gpg.ssh.program`. Like the key, a per-user setting: a program named inside
    /// `.lineage/config` would run on everyone who received a copy, so it is ignored there.
    func signingProgram() -> String? {
        if let v = try? GitConfig.open(path: layout.configFile).string("signing.program"), !v.isEmpty {
            warn("ignoring signing.program in \(layout.configFile) (\(v)): a program named inside the repository would run for anyone given a copy — run `lineage config signing.program \(v)` to choose it for yourself")
        }
        guard let v = userSetting("signing.program"), !v.isEmpty else { return nil }
        return v
    }

    /// The public key this user signs with, learnt without reading private key material (no
    /// passphrase asked, no agent needed); nil when no key is configured.
    func signingPublicKey() throws -> SSHPublicKey? {
        try signingKeySpec()?.publicKey()
    }

    /// What signs this user's commits: `signing.program`, else ssh-agent holding the key, else the
    /// key file (its passphrase asked on a terminal). See `Signer.resolve`.
    func signingKey() throws -> Signer {
        guard let spec = try signingKeySpec() else { throw LineageError.noSigningKey }
        return try Signer.resolve(spec, program: signingProgram(), cwd: root)
    }

    /// The working copy of the trust file (`.lineage/allowed_signers`): what the next commit records.
    func workingTrustText() throws -> String {
        guard FileManager.default.fileExists(atPath: trustFile) else { return "" }
        guard let data = FileManager.default.contents(atPath: trustFile) else {
            throw LineageError.unreadable(trustFile, reason: "cannot read the trust file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func parseTrust(_ text: String, source: String) throws -> AllowedSigners {
        do { return try AllowedSigners(parsing: text) } catch let e as SigningError {
            throw LineageError.signing("\(source): \(withHint(e)) — fix that line (format: principal [namespaces=\"git\"] ssh-ed25519 AAAA...)")
        }
    }

    /// The trust recorded in a commit's tree, or nil when the commit has none.
    func trust(inCommit id: ObjectID) throws -> AllowedSigners? {
        try trustText(ofCommit: id).map {
            try Repository.parseTrust($0, source: "\(Repository.trustRecordPath) of commit \(id.hex.prefix(12))")
        }
    }

    /// The trust file as recorded in a commit, or nil when it has none.
    func trustText(ofCommit id: ObjectID) throws -> String? {
        guard let blob = try git.entry(inTree: try git.commit(id).tree, path: Repository.trustRecordPath) else { return nil }
        return String(decoding: try git.readBlob(blob), as: UTF8.self)
    }

    /// Fails unless `key` may sign a commit on top of `parent`: `parent` verified good (trust is only
    /// ever taken from verified commits, see `requireVerified`) and its trust accepts the key; a
    /// first commit bootstraps from the working trust file. Also refuses a working trust file that
    /// would lock the repository (no trusted signer left, or — unless `force` — not the signer).
    /// Returns the principals the key is trusted as.
    @discardableResult
    func checkSigner(_ key: Signer, parent: ObjectID?, now: Int64, force: Bool = false, trustText: String? = nil) throws -> [String] {
        let working = try Repository.parseTrust(try trustText ?? workingTrustText(), source: trustFile)
        let principals = try trustedPrincipals(key.publicKey, parent: parent, working: working, now: now)
        try checkTrustLeft(working, signer: key.publicKey, now: now, force: force)
        return principals
    }

    /// The principals `key` is trusted as for a commit on top of `parent` (see `checkSigner`).
    private func trustedPrincipals(_ key: SSHPublicKey, parent: ObjectID?, working: AllowedSigners, now: Int64) throws -> [String] {
        let trust: AllowedSigners
        if let parent {
            try requireVerified(parent)
            guard let recorded = try self.trust(inCommit: parent) else {
                throw LineageError.untrustedSigner(key.fingerprint, detail: "HEAD records no trust file, so no key is trusted")
            }
            trust = recorded
        } else {
            trust = working
        }
        switch trust.lookup(key: key, namespace: "git", at: now) {
        case .trusted(let principals): return principals
        case .notValidAt(let principals):
            throw LineageError.untrustedSigner(key.fingerprint, detail: "it is trusted as \(principals.joined(separator: ", ")) but not at this time (valid-after/valid-before)")
        case .unknown:
            throw LineageError.untrustedSigner(key.fingerprint, detail: parent == nil ? "it is not in \(trustFile)" : "it is not in the trust recorded at HEAD")
        }
    }

    /// Builds the final tree of a commit and writes the commit, signed. A `signer` passed in must
    /// have been through `checkSigner` already (callers check before writing anything).
    ///
    /// The tree is the tracked files of `userTree` (any records it holds are replaced), the
    /// parent's records carried forward, the
    /// working trust file, `records` (paths below `.lineage/`), and last the commit record holding
    /// the SHA-256 digest of all of that. The signer must be trusted by the parent's trust (the first
    /// commit bootstraps: by its own), so nobody can add their own key silently.
    func writeSignedCommit(userTree: ObjectID, parent: ObjectID?, merging: ObjectID? = nil, message: String, records: [PathKey: [UInt8]] = [:],
                           removing: [String] = [], trustText: String? = nil, runs: [String] = [], noVerify: Bool? = nil, checks: [String] = [],
                           signer: Signer? = nil, now: Int64) throws -> ObjectID {
        let key = try signer ?? signingKey()
        let who = try identity(now: now)
        let trustText = try trustText ?? workingTrustText()
        let principals = signer == nil ? try checkSigner(key, parent: parent, now: now)
            : try trustedPrincipals(key.publicKey, parent: parent, working: try Repository.parseTrust(trustText, source: trustFile), now: now)
        // Before the first object is written: an agent that went away since the key was chosen
        // (while hooks ran, say) fails the commit here, with nothing written.
        try key.ensureReady()
        // The objects are held back until the signature is made: a signer that refuses (an agent
        // that went away, a declined touch, a program that fails) leaves the object database as it was.
        let id = try git.holdingWrites { () throws -> ObjectID in
            var updates: [PathKey: ObjectID?] = [PathKey(Repository.trustRecord): try git.writeBlob(Array(trustText.utf8))]
            for (path, bytes) in records { updates[path] = try git.writeBlob(bytes) }
            for path in removing { updates[PathKey(path)] = .some(nil) }
            let parentRecords = try parent.flatMap { try git.subtree(of: try git.commit($0).tree, named: RecordTree.directory) }
            let recordsTree = try git.tree(updating: parentRecords, with: updates)
            let withRecords = try git.tree(userTree, replacingSubtree: RecordTree.directory, with: recordsTree)
            let digest = try TreeDigester(repository: git).digest(ofTree: withRecords, excluding: Repository.commitRecordPath)
            let record = CommitRecord(contentDigest: digest, runs: runs, noVerify: noVerify, checks: checks)
            let final = try git.tree(updating: withRecords, with: [PathKey(Repository.commitRecordPath): try git.writeBlob(try record.encoded())])
            return try git.createCommit(tree: final, parents: (parent.map { [$0] } ?? []) + (merging.map { [$0] } ?? []), author: who, committer: who, message: message) { payload in
                var armored = try key.sshsig(payload, namespace: "git")
                // git stores the armor without its final newline; with it the object would not be
                // byte-identical to what `git commit -S` writes.
                while armored.hasSuffix("\n") { armored.removeLast() }
                return armored
            }
        }
        // Good by construction (a trusted signer on a verified parent, the record computed here):
        // remembered, so the next verb does not verify it again.
        if let index = try? openLineageIndex() {
            try? index.recordVerdicts([CachedVerdict(commit: id.hex, status: CommitVerdict.Status.good.rawValue, key: key.publicKey.fingerprint,
                                                     principals: principals, detail: nil)])
        }
        return id
    }
}
