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
    /// The private key is protected by a passphrase and none could be asked for (no terminal).
    case encryptedKey(path: String?)
    /// The passphrase given does not decrypt the private key.
    case wrongPassphrase(path: String?)
    /// The private key is encrypted with a cipher or key derivation lineage does not implement.
    case unsupportedEncryption(String, path: String?)
    /// The key is of a type lineage cannot use here; `found` names it. With a `path`, a private key
    /// file: lineage reads ssh-ed25519 private keys itself, and uses the other types through
    /// ssh-agent or ssh-keygen.
    case unsupportedKeyType(found: String, path: String?)
    /// An RSA key shorter than `SSHPublicKey.minimumRSABits`.
    case weakKey(bits: Int)
    /// ssh-agent could not be reached, or refused or failed to sign; says why.
    case agent(String)
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
        case .wrongPassphrase: return .wrongPassphrase(path: path)
        case .unsupportedEncryption(let what, _): return .unsupportedEncryption(what, path: path)
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
            return "no private key file at \(path); give the path of an existing private key (or of its .pub when the key is in ssh-agent)"
        case .keyFileUnreadable(let path, let reason):
            return "cannot read private key file \(path) (\(reason)); check that you own it and can read it"
        case .unprotectedKeyFile(let path, let mode):
            let octal = String(mode, radix: 8)
            return "UNPROTECTED PRIVATE KEY FILE: \(path) has permissions 0\(octal), so other users can read it and lineage will not use it; run `chmod 600 \(path)` and retry"
        case .encryptedKey(let path):
            let p = path ?? "KEYFILE"
            return "the private key \(path.map { "in \($0) " } ?? "")is protected by a passphrase, and lineage can ask for it only on a terminal; load the key into ssh-agent once with `ssh-add \(p)` (lineage then signs through the agent), or run the command on a terminal to be asked for the passphrase"
        case .wrongPassphrase(let path):
            return "wrong passphrase for the private key\(path.map { " \($0)" } ?? ""); nothing was signed — try again, or load the key into ssh-agent with `ssh-add \(path ?? "KEYFILE")`"
        case .unsupportedEncryption(let what, let path):
            return "the private key\(path.map { " \($0)" } ?? "") is encrypted with \(what), which lineage cannot decrypt (it reads aes128/192/256-ctr and aes128/256-gcm@openssh.com with bcrypt); load the key into ssh-agent with `ssh-add \(path ?? "KEYFILE")`, or let ssh-keygen sign"
        case .unsupportedKeyType(let found, let path):
            let supported = "lineage signs and verifies with ssh-ed25519, ecdsa-sha2-nistp256 and ssh-rsa (at least \(SSHPublicKey.minimumRSABits) bits) keys"
            if found == KeyTypeName.dsa || found.hasPrefix("DSA") {
                return "\(path.map { "\($0) holds" } ?? "found") a DSA (\(found)) key, which lineage refuses: DSA keys are 1024 bits with SHA-1 signatures, too weak, and OpenSSH has dropped them; \(supported)"
            }
            if let path, found == KeyTypeName.ecdsaP256 || found == KeyTypeName.rsa || found.hasSuffix("(PEM format)") {
                return "\(path) holds a \(found) key; lineage reads ssh-ed25519 private key files itself and signs with other keys through ssh-agent — load it with `ssh-add \(path)`, or let ssh-keygen sign"
            }
            return "\(path.map { "\($0) holds" } ?? "found") a \(found) key, but \(supported)"
        case .weakKey(let bits):
            return "the RSA key has only \(bits) bits; lineage refuses RSA keys shorter than \(SSHPublicKey.minimumRSABits) bits"
        case .agent(let why):
            return "ssh-agent: \(why)"
        case .corruptPrivateKey(let path):
            return "corrupt or truncated private key file\(path.map { " \($0)" } ?? ""); restore it from a backup"
        case .notAPrivateKey(let path):
            return "\(path ?? "the key given") is a public key; give the private key file instead (usually the same name without .pub)"
        case .invalidPublicKey(let why):
            return "invalid SSH public key: \(why); expected a line such as `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... comment` (the contents of a .pub file)"
        case .malformedSignature(let why):
            return "malformed SSH signature: \(why); sign again with lineage or `ssh-keygen -Y sign`"
        case .signingFailed(let why):
            return "signing failed: \(why); check the private key with `ssh-keygen -y -f KEYFILE`"
        case .allowedSigners(let line, let content, let reason):
            return "allowed_signers line \(line): \(reason) (the line is `\(content)`); fix or delete that line — the format is `principal[,principal] [namespaces=\"git\"] ssh-ed25519 AAAA... [comment]` (or an ecdsa-sha2-nistp256 or ssh-rsa key)"
        case .invalidPrincipal(let p, let reason):
            return "invalid principal \"\(p)\": \(reason); a principal is an identity such as an e-mail address — any characters except spaces, tabs, line breaks, commas, quotes and control characters, and not starting with # or !"
        case .invalidEntry(let why):
            return "invalid allowed-signers entry: \(why)"
        case .malformedEnvelope(let why):
            return "malformed DSSE envelope: \(why); it must be JSON with base64 \"payload\", \"payloadType\" and \"signatures\" [{\"keyid\", \"sig\"}] — re-create the attestation with lineage"
        }
    }
}
