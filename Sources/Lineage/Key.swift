import Foundation
import LineageSigning

/// A key `lineage key generate` made.
public struct GeneratedKey: Codable, Sendable {
    public let path: String
    public let publicKeyPath: String
    public let publicKey: String
    public let fingerprint: String
}

extension Repository {
    /// Makes a new Ed25519 signing key (OpenSSH format, mode 0600) at `path`, default the user's
    /// lineage key under `$XDG_CONFIG_HOME/lineage/keys/`. Works inside or outside a repository; the
    /// key itself is never written inside a working directory.
    public static func generateKey(at path: String?, cwd: String, comment: String? = nil) throws -> GeneratedKey {
        let target = path.map { SigningKeys.expand($0, cwd: cwd) } ?? SigningKeys.defaultKeyPath()
        let who = comment ?? "\(ProcessInfo.processInfo.environment["USER"] ?? "lineage")@\(ProcessInfo.processInfo.hostName)"
        let key = try SigningKeys.generate(at: target, comment: who)
        return GeneratedKey(path: target, publicKeyPath: target + ".pub", publicKey: key.publicKey.openSSH, fingerprint: key.publicKey.fingerprint)
    }
}
