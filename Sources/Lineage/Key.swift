import Foundation
import LineageSigning

/// A key `lineage key generate` made.
public struct GeneratedKey: Codable, Sendable {
    public let path: String
    public let publicKeyPath: String
    public let publicKey: String
    public let fingerprint: String
    /// True when the private key file is protected by a passphrase (for the human output; the
    /// JSON form keeps its four string fields).
    public var encrypted: Bool = false

    enum CodingKeys: String, CodingKey { case path, publicKeyPath, publicKey, fingerprint }
}

extension Repository {
    /// Makes a new Ed25519 signing key (OpenSSH format, mode 0600) at `path`, default the user's
    /// lineage key under `$XDG_CONFIG_HOME/lineage/keys/`. Works inside or outside a repository; the
    /// key itself is never written inside a working directory. With `askPassphrase`, on a terminal,
    /// a passphrase is asked (twice; empty for none) and the key file encrypted with it, as
    /// `ssh-keygen` does.
    public static func generateKey(at path: String?, cwd: String, comment: String? = nil, askPassphrase: Bool = false) throws -> GeneratedKey {
        let target = path.map { SigningKeys.expand($0, cwd: cwd) } ?? SigningKeys.defaultKeyPath()
        let who = comment ?? "\(ProcessInfo.processInfo.environment["USER"] ?? "lineage")@\(ProcessInfo.processInfo.hostName)"
        var passphrase: String? = nil
        if askPassphrase, Passphrase.interactive {
            _ = try SigningKeys.checkNewKeyPath(target)  // a refusal comes before the question
            passphrase = try Passphrase.ask("Enter a passphrase for the new key (empty for no passphrase): ", confirm: "Enter the same passphrase again: ")
            if passphrase?.isEmpty == true { passphrase = nil }
        }
        let key = try SigningKeys.generate(at: target, comment: who, passphrase: passphrase)
        return GeneratedKey(path: target, publicKeyPath: target + ".pub", publicKey: key.publicKey.openSSH, fingerprint: key.publicKey.fingerprint,
                            encrypted: passphrase != nil)
    }
}
