import Crypto

/// SSH signatures as made by `ssh-keygen -Y sign` (OpenSSH PROTOCOL.sshsig), the format
/// git uses for SSH-signed commits.
public enum SSHSignature {
    private static let magic = Array("SSHSIG".utf8)
    private static let version: UInt32 = 1
    private static let label = "SSH SIGNATURE"

    /// Signs with hash sha512 and returns the armor `ssh-keygen -Y sign` would write for the same
    /// key and message: BEGIN/END SSH SIGNATURE lines, base64 wrapped at 70 columns, ending in "\n".
    /// The signature is checked before it is returned: a signer (an agent above all) that answers
    /// with another key's signature, a SHA-1 RSA signature or garbage fails here, not in `verify`.
    public static func sign(_ message: [UInt8], namespace: String, key: some SSHSigner) throws -> String {
        guard !namespace.isEmpty else { throw SigningError.signingFailed("the signature namespace must not be empty (git uses \"git\")") }
        let hashAlgorithm = "sha512"
        let signed = signedData(namespace: namespace, hashAlgorithm: hashAlgorithm,
                                digest: Array(SHA512.hash(data: message)))
        let sig = try key.signatureBlob(for: signed)
        let good: Bool
        do { good = try key.publicKey.isValid(signatureBlob: sig, for: signed) } catch let error as SigningError {
            throw SigningError.signingFailed("the signer's answer is not usable: \(error)")
        }
        guard good else { throw SigningError.signingFailed("the signature made with \(key.publicKey.fingerprint) does not verify") }

        var blob = WireWriter()
        blob.raw(magic)
        blob.uint32(version)
        blob.string(key.publicKey.wire)
        blob.string(namespace)
        blob.string([UInt8]())  // reserved
        blob.string(hashAlgorithm)
        blob.string(sig)
        return Armor.wrap(blob.bytes, label: label)
    }

    /// The fields of an armored signature, not yet checked cryptographically.
    public struct Parsed: Sendable {
        public let publicKey: SSHPublicKey
        public let namespace: String
        public let hashAlgorithm: String
        /// The signature's algorithm: ssh-ed25519, ecdsa-sha2-nistp256, rsa-sha2-512 or rsa-sha2-256.
        public let signatureAlgorithm: String
        /// The SSH signature blob: `string algorithm | string signature`.
        public let signatureBlob: [UInt8]
    }

    /// Parses armor with exact BEGIN/END lines; a missing final newline is accepted (git strips it).
    public static func parse(armored: String) throws -> Parsed {
        guard let blob = Armor.unwrap(armored, label: label) else {
            throw SigningError.malformedSignature("expected base64 between -----BEGIN SSH SIGNATURE----- and -----END SSH SIGNATURE----- lines")
        }
        let truncated = SigningError.malformedSignature("the signature blob is truncated or has extra bytes")
        var r = WireReader(blob, failure: truncated)
        guard try r.readBytes(magic.count) == magic else {
            throw SigningError.malformedSignature("the blob does not start with SSHSIG")
        }
        let v = try r.readUInt32()
        guard v == version else { throw SigningError.malformedSignature("unsupported sshsig version \(v)") }
        let keyWire = try r.readString()
        let namespace = try r.readText()
        _ = try r.readString()  // reserved; PROTOCOL.sshsig says to ignore its contents
        let hashAlgorithm = try r.readText()
        let sigWire = try r.readString()
        guard r.isAtEnd else { throw truncated }

        let publicKey: SSHPublicKey
        do {
            publicKey = try SSHPublicKey(wire: keyWire)
        } catch let error as SigningError {
            switch error {
            case .unsupportedKeyType, .weakKey: throw SigningError.malformedSignature("it was made with a key lineage refuses: \(error)")
            default: throw SigningError.malformedSignature("the public key inside is invalid")
            }
        }

        var s = WireReader(sigWire, failure: truncated)
        let sigType = try s.readText()
        _ = try s.readString()
        guard s.isAtEnd else { throw truncated }
        return Parsed(publicKey: publicKey, namespace: namespace, hashAlgorithm: hashAlgorithm, signatureAlgorithm: sigType, signatureBlob: sigWire)
    }

    public enum Outcome: Sendable, Equatable {
        /// The signature verifies and was made by this key. Whether the key is trusted is the
        /// caller's question (see `AllowedSigners.lookup`).
        case good(SSHPublicKey)
        /// Well-formed, but does not verify for this message or namespace; says why.
        case bad(String)
        /// Not an SSH signature lineage can read; says why.
        case malformed(String)
    }

    /// Verifies as `ssh-keygen -Y check-novalidate` does: cryptography and namespace, not trust.
    /// Accepts hash algorithms sha512 and sha256.
    public static func verify(armored: String, message: [UInt8], namespace: String) -> Outcome {
        let parsed: Parsed
        do {
            parsed = try parse(armored: armored)
        } catch let error as SigningError {
            return .malformed(error.description)
        } catch {
            return .malformed(String(describing: error))
        }
        let digest: [UInt8]
        switch parsed.hashAlgorithm {
        case "sha512": digest = Array(SHA512.hash(data: message))
        case "sha256": digest = Array(SHA256.hash(data: message))
        default: return .malformed("unsupported hash algorithm \"\(parsed.hashAlgorithm)\" (expected sha512 or sha256)")
        }
        guard parsed.namespace == namespace else {
            return .bad("the signature is for namespace \"\(parsed.namespace)\", not \"\(namespace)\"")
        }
        let signed = signedData(namespace: parsed.namespace, hashAlgorithm: parsed.hashAlgorithm, digest: digest)
        let valid: Bool
        do { valid = try parsed.publicKey.isValid(signatureBlob: parsed.signatureBlob, for: signed) } catch let error as SigningError {
            return .malformed(error.description)
        } catch {
            return .malformed(String(describing: error))
        }
        guard valid else {
            return .bad("the signature does not match the signed data (it was altered, or signed different bytes)")
        }
        return .good(parsed.publicKey)
    }

    /// What the key actually signs: "SSHSIG" | namespace | reserved | hash algorithm | H(message).
    private static func signedData(namespace: String, hashAlgorithm: String, digest: [UInt8]) -> [UInt8] {
        var w = WireWriter()
        w.raw(magic)
        w.string(namespace)
        w.string([UInt8]())
        w.string(hashAlgorithm)
        w.string(digest)
        return w.bytes
    }
}
