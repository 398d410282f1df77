import Foundation
import LineageCore
import LineageGit
import LineageSigning
import LineageStore

/// One trusted key, as `trust list` shows it.
public struct TrustEntry: Encodable, Sendable, Equatable {
    public let principals: [String]
    public let key: String
    public let fingerprint: String
    public let namespaces: [String]?
    /// Seconds since the epoch; in JSON, RFC 3339 UTC like every time lineage prints.
    public let validAfter: Int64?
    public let validBefore: Int64?
    public let comment: String?

    private enum CodingKeys: String, CodingKey { case principals, key, fingerprint, namespaces, validAfter, validBefore, comment }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func time(_ seconds: Int64?) -> String? { seconds.map { Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval($0))) } }
        try c.encode(principals, forKey: .principals)
        try c.encode(key, forKey: .key)
        try c.encode(fingerprint, forKey: .fingerprint)
        try c.encodeIfPresent(namespaces, forKey: .namespaces)
        try c.encodeIfPresent(time(validAfter), forKey: .validAfter)
        try c.encodeIfPresent(time(validBefore), forKey: .validBefore)
        try c.encodeIfPresent(comment, forKey: .comment)
    }
}

public struct TrustChange: Encodable, Sendable {
    /// The commit recording the change; nil before the first commit (the first commit records it).
    public let commit: String?
    public let entries: [TrustEntry]
}

extension Repository {
    /// The trust in force for the next commit (the working `.lineage/allowed_signers`).
    public func trustList() throws -> [TrustEntry] {
        try Repository.parseTrust(try workingTrustText(), source: trustFile).entries.map(TrustEntry.init)
    }

    /// Trusts `key` (a public-key file, a private-key file's `.pub`, or a literal `ssh-ed25519 AAAA...`
    /// line) as `principal`, and records that in a signed commit.
    @discardableResult
    public func trustAdd(principal: String, key keyArgument: String, validAfter: Int64? = nil, validBefore: Int64? = nil,
                         cwd: String, now: Int64? = nil) throws -> TrustChange {
        do { try AllowedSigners.validatePrincipal(principal) } catch let e as SigningError {
            throw LineageError.invalidArgument("invalid principal '\(principal.debugDescription.dropFirst().dropLast())': \(e)")
        }
        let key = try Repository.publicKey(from: keyArgument, cwd: cwd)
        return try changeTrust(message: "trust: add \(principal) (\(key.fingerprint))", now: now) { trust in
            if trust.entries.contains(where: { $0.key == key && $0.principals.contains(principal) }) {
                throw LineageError.invalidArgument("\(principal) is already trusted with \(key.fingerprint); nothing changed")
            }
            try trust.add(principal: principal, key: key, namespaces: ["git"], validAfter: validAfter, validBefore: validBefore, comment: nil)
        }
    }

    /// Stops trusting `principal`; refuses to remove the key this repository is signed with unless `force`.
    @discardableResult
    public func trustRemove(principal: String, force: Bool = false, now: Int64? = nil) throws -> TrustChange {
        let signer = (try? signingPublicKey()) ?? nil
        return try changeTrust(message: "trust: remove \(principal)", now: now, force: force) { trust in
            guard trust.remove(principal: principal) > 0 else {
                let known = Array(Set(trust.entries.flatMap(\.principals))).sorted()
                throw LineageError.notFound(principal, suggestions: closest(principal, among: known))
            }
            if let signer, !force, trust.lookup(key: signer, namespace: "git", at: now ?? nowSeconds()) == .unknown {
                throw LineageError.invalidArgument("removing \(principal) would leave your own signing key \(signer.fingerprint) untrusted, so you could not commit here any more — rerun with --force if that is intended")
            }
        }
    }

    /// Applies `edit` to the working trust file and commits the result on top of HEAD's files (the
    /// staging index is left alone). Before the first commit the change waits in the file and the
    /// first commit records it. On any error the file is put back as it was.
    private func changeTrust(message: String, now: Int64?, force: Bool = false, _ edit: (inout AllowedSigners) throws -> Void) throws -> TrustChange {
        try withWriteLock {
            let before = try workingTrustText()
            var trust = try Repository.parseTrust(before, source: trustFile)
            let stamp = now ?? nowSeconds()
            let head = try headCommit()
            let key = try head.map { _ in try signingKey() }
            if let key { try checkSigner(key, parent: head, now: stamp, force: force); _ = try identity(now: stamp) }
            try edit(&trust)
            if let key { try checkTrustLeft(trust, signer: key.publicKey, now: stamp, force: force) }
            let after = trust.serialized()
            try AtomicFile.write(Array(after.utf8), to: trustFile)
            do {
                guard let head, let key else { return TrustChange(commit: nil, entries: trust.entries.map(TrustEntry.init)) }
                let id = try writeSignedCommit(userTree: try git.commit(head).tree, parent: head, message: message + "\n",
                                               signer: key, now: stamp)
                try git.updateReference(try git.headBranchRef(), to: id, expected: head, message: message)
                return TrustChange(commit: id.hex, entries: trust.entries.map(TrustEntry.init))
            } catch {
                try? AtomicFile.write(Array(before.utf8), to: trustFile)
                throw error
            }
        }
    }

    /// A public key from a `.pub` file or a literal line (`ssh-ed25519 AAAA…`, `key::…`); a private
    /// key file is refused — trust is only ever given from public keys.
    static func publicKey(from argument: String, cwd: String) throws -> SSHPublicKey {
        switch try SigningKeySpec.parse(argument, cwd: cwd) {
        case .literal(let key): return key
        case .file(let path):
            guard FileManager.default.fileExists(atPath: path) else { throw LineageError.notFound(argument, suggestions: []) }
            return try SigningKeySpec.readPublicKeyFile(path)
        }
    }
}

extension TrustEntry {
    init(_ e: AllowedSigners.Entry) {
        self.init(principals: e.principals, key: e.key.openSSH, fingerprint: e.key.fingerprint, namespaces: e.namespaces,
                  validAfter: e.validAfter, validBefore: e.validBefore, comment: e.comment)
    }
}
