/// Errors of the signing layer: keys, SSH signatures, allowed-signers files, DSSE envelopes.
///
/// Private-key cases carry the file path when the key came from a file
/// (`SSHPrivateKey.load(path:)`), nil when it was parsed from text.
public enum SigningError: Error, Equatable, Sendable {
    /// No file at the path given for a private key.
    case keyFileMissing(path: String)
    /// The key file exists but could not be read.
    case keyFileUnreadable(path: String, reason: String)
    /// The key file is readable or writable by group or others (`mode` is the permission bits).
    case unprotectedKeyFile(path: String, mode: Int)
    /// The private key is protected by a passphrase.
    case encryptedKey(path: String?)
    /// The key is of a type other than ssh-ed25519; `found` names it.
    case unsupportedKeyType(found: String, path: String?)
    /// The private key file is truncated, damaged or inconsistent.
    case corruptPrivateKey(path: String?)
    /// A public key (`.pub`) was given where a private key file was expected.
    case notAPrivateKey(path: String?)
    /// A public key line or wire blob could not be understood.
    case invalidPublicKey(String)
    /// An armored SSH signature could not be understood.
    case malformedSignature(String)
    /// The cryptographic library refused to sign.
    case signingFailed(String)
    /// A line of an allowed-signers file could not be understood.
    case allowedSigners(line: Int, content: String, reason: String)
    /// A principal name that cannot be written to an allowed-signers file.
    case invalidPrincipal(String, reason: String)
    /// An allowed-signers entry given to `add` is inconsistent (bad namespace, empty time window, …).
    case invalidEntry(String)
    /// A DSSE envelope could not be decoded.
    case malformedEnvelope(String)

    /// The same error, naming `path` as the file it came from.
    func at(path: String) -> SigningError {
        switch self {
        case .encryptedKey: return .encryptedKey(path: path)
        case .unsupportedKeyType(let found, _): return .unsupportedKeyType(found: found, path: path)
        case .corruptPrivateKey: return .corruptPrivateKey(path: path)
        case .notAPrivateKey: return .notAPrivateKey(path: path)
        default: return self
        }
    }
}

extension SigningError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .keyFileMissing(let path):
            return "no private key file at \(path); create one with `lineage key generate`, or give the path of an existing ssh-ed25519 private key"
        case .keyFileUnreadable(let path, let reason):
            return "cannot read private key file \(path) (\(reason)); check that you own it and can read it"
        case .unprotectedKeyFile(let path, let mode):
            let octal = String(mode, radix: 8)
            return "UNPROTECTED PRIVATE KEY FILE: \(path) has permissions 0\(octal), so other users can read it and lineage will not use it; run `chmod 600 \(path)` and retry"
        case .encryptedKey(let path):
            let p = path ?? "KEYFILE"
            return "the private key \(path.map { "in \($0) " } ?? "")is protected by a passphrase; lineage needs an unencrypted key; use a dedicated key from `lineage key generate`, or remove the passphrase with `ssh-keygen -p -N '' -f \(p)`"
        case .unsupportedKeyType(let found, let path):
            return "\(path.map { "\($0) holds" } ?? "found") a \(found) key, but only ssh-ed25519 keys are supported; generate one with `lineage key generate` or `ssh-keygen -t ed25519`"
        case .corruptPrivateKey(let path):
            return "corrupt or truncated private key file\(path.map { " \($0)" } ?? ""); restore it from a backup, or generate a new key with `lineage key generate`"
        case .notAPrivateKey(let path):
            return "\(path ?? "the key given") is a public key; give the private key file instead (usually the same name without .pub)"
        case .invalidPublicKey(let why):
            return "invalid SSH public key: \(why); expected a line such as `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... comment` (the contents of a .pub file)"
        case .malformedSignature(let why):
            return "malformed SSH signature: \(why); sign again with lineage or `ssh-keygen -Y sign`"
        case .signingFailed(let why):
            return "signing failed: \(why); check the private key with `ssh-keygen -y -f KEYFILE`, or generate a new one with `lineage key generate`"
        case .allowedSigners(let line, let content, let reason):
            return "allowed_signers line \(line): \(reason) (the line is `\(content)`); fix or delete that line — the format is `principal[,principal] [namespaces=\"git\"] ssh-ed25519 AAAA... [comment]`"
        case .invalidPrincipal(let p, let reason):
            return "invalid principal \"\(p)\": \(reason); a principal is an identity such as an e-mail address — any characters except spaces, tabs, line breaks, commas, quotes and control characters, and not starting with # or !"
        case .invalidEntry(let why):
            return "invalid allowed-signers entry: \(why)"
        case .malformedEnvelope(let why):
            return "malformed DSSE envelope: \(why); it must be JSON with base64 \"payload\", \"payloadType\" and \"signatures\" [{\"keyid\", \"sig\"}] — re-create the attestation with lineage"
        }
    }
}
