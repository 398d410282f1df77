import Crypto
import _CryptoExtras
import Foundation

/// An SSH public key of a type lineage signs and verifies with, in the forms OpenSSH uses:
/// wire blob, `.pub` line, fingerprint.
///
/// Ed25519 (`ssh-ed25519`), ECDSA on P-256 (`ecdsa-sha2-nistp256`) and RSA (`ssh-rsa`, at least
/// 2048 bits, signatures with SHA-2 only). DSA and everything else are refused by name.
public struct SSHPublicKey: Hashable, Sendable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case ed25519 = "ssh-ed25519"
        case ecdsaP256 = "ecdsa-sha2-nistp256"
        case rsa = "ssh-rsa"
    }

    public let algorithm: Algorithm
    /// The key material: Ed25519's 32 bytes, the 65-byte uncompressed P-256 point, or the RSA
    /// modulus (big-endian, no leading zeros).
    public let raw: [UInt8]
    /// The RSA public exponent (big-endian, no leading zeros); empty for other types.
    private let exponent: [UInt8]

    /// RSA keys below this size are refused: NIST and OpenSSH's own defaults moved past 1024 bits long ago.
    public static let minimumRSABits = 2048
    /// OpenSSH's upper limit (SSH_RSA_MAXIMUM_MODULUS_SIZE).
    static let maximumRSABits = 16384

    public init(ed25519 raw: [UInt8]) throws {
        guard raw.count == 32 else {
            throw SigningError.invalidPublicKey("an Ed25519 public key is 32 bytes, got \(raw.count)")
        }
        self.init(unchecked: .ed25519, raw: raw)
    }

    private init(unchecked algorithm: Algorithm, raw: [UInt8], exponent: [UInt8] = []) {
        self.algorithm = algorithm
        self.raw = raw
        self.exponent = exponent
    }

    /// Parses `ssh-ed25519 AAAAC3... [comment]`, the form of `.pub` files and authorized_keys lines
    /// (without leading options). The comment is ignored.
    public init(openSSH line: String) throws {
        let fields = line.split(whereSeparator: \.isWhitespace)
        guard let type = fields.first else { throw SigningError.invalidPublicKey("the line is empty") }
        guard Algorithm(rawValue: String(type)) != nil else {
            if KeyTypeName.looksLikeKeyType(type) {
                throw SigningError.unsupportedKeyType(found: String(type), path: nil)
            }
            throw SigningError.invalidPublicKey("it does not start with a key type such as ssh-ed25519")
        }
        guard fields.count >= 2 else { throw SigningError.invalidPublicKey("the base64 key after \(type) is missing") }
        guard let wire = Base64.decode(String(fields[1])) else {
            throw SigningError.invalidPublicKey("the key after \(type) is not valid base64")
        }
        try self.init(wire: wire)
        guard algorithm.rawValue == type else {
            throw SigningError.invalidPublicKey("the line says \(type) but the base64 key holds an \(algorithm.rawValue) key")
        }
    }

    /// Parses the wire form (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4).
    public init(wire: [UInt8]) throws {
        let bad = SigningError.invalidPublicKey("the key blob is truncated or has extra bytes")
        var reader = WireReader(wire, failure: bad)
        let typeBytes = try reader.readString()
        let name = String(decoding: typeBytes.prefix(64), as: UTF8.self)
        guard let algorithm = Algorithm(rawValue: String(decoding: typeBytes, as: UTF8.self)) else {
            if KeyTypeName.looksLikeKeyType(name) { throw SigningError.unsupportedKeyType(found: name, path: nil) }
            throw SigningError.invalidPublicKey("the key blob does not hold an ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa key")
        }
        switch algorithm {
        case .ed25519:
            let key = try reader.readString()
            guard reader.isAtEnd else { throw bad }
            try self.init(ed25519: key)
        case .ecdsaP256:
            guard try reader.readString() == Array("nistp256".utf8) else {
                throw SigningError.invalidPublicKey("the ecdsa-sha2-nistp256 key names another curve")
            }
            let point = try reader.readString()
            guard reader.isAtEnd else { throw bad }
            // Uncompressed (0x04 | X | Y) and on the curve; swift-crypto checks both.
            guard point.count == 65, (try? P256.Signing.PublicKey(x963Representation: point)) != nil else {
                throw SigningError.invalidPublicKey("the ecdsa-sha2-nistp256 key is not a point on the curve")
            }
            self.init(unchecked: .ecdsaP256, raw: point)
        case .rsa:
            let e = try reader.readPositiveMPInt()
            let n = try reader.readPositiveMPInt()
            guard reader.isAtEnd else { throw bad }
            let bits = Self.bitCount(n)
            guard bits >= Self.minimumRSABits else { throw SigningError.weakKey(bits: bits) }
            guard bits <= Self.maximumRSABits, let last = e.last, last & 1 == 1, e.count <= 8, e != [1],
                  (try? _RSA.Signing.PublicKey(n: n, e: e)) != nil else {
                throw SigningError.invalidPublicKey("the ssh-rsa key's modulus or exponent is not usable")
            }
            self.init(unchecked: .rsa, raw: n, exponent: e)
        }
    }

    private static func bitCount(_ magnitude: [UInt8]) -> Int {
        guard let first = magnitude.first else { return 0 }
        return (magnitude.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }

    /// The size of the key in bits (256 for Ed25519 and P-256, the modulus size for RSA).
    public var bits: Int { algorithm == .rsa ? Self.bitCount(raw) : 256 }

    /// The wire form, canonical (minimal mpints), as fingerprints are computed over it.
    public var wire: [UInt8] {
        var w = WireWriter()
        w.string(algorithm.rawValue)
        switch algorithm {
        case .ed25519:
            w.string(raw)
        case .ecdsaP256:
            w.string("nistp256")
            w.string(raw)
        case .rsa:
            w.positiveMPInt(exponent)
            w.positiveMPInt(raw)
        }
        return w.bytes
    }

    public var base64: String { Base64.encode(wire) }

    /// `ssh-ed25519 <base64>` (or the key's own type), without comment.
    public var openSSH: String { "\(algorithm.rawValue) \(base64)" }

    /// `SHA256:<unpadded base64>`, as `ssh-keygen -lf` prints it.
    public var fingerprint: String {
        let digest = Array(SHA256.hash(data: wire))
        let b64 = Base64.encode(digest)
        return "SHA256:" + b64.replacingOccurrences(of: "=", with: "")
    }

    /// Checks an SSH signature blob (`string algorithm | string signature`, as `ssh-keygen`,
    /// ssh-agent and `SSHSigner` make them) over `message`. Throws `malformedSignature` for a
    /// blob that cannot be read or uses an algorithm refused for this key — `ssh-rsa`, which is
    /// SHA-1, above all; returns whether a readable signature verifies.
    public func isValid(signatureBlob blob: [UInt8], for message: [UInt8]) throws -> Bool {
        let bad = SigningError.malformedSignature("the signature blob is truncated or has extra bytes")
        var r = WireReader(blob, failure: bad)
        let sigType = try r.readText()
        let signature = try r.readString()
        guard r.isAtEnd else { throw bad }
        switch (algorithm, sigType) {
        case (.ed25519, KeyTypeName.ed25519):
            guard signature.count == 64 else { throw SigningError.malformedSignature("an Ed25519 signature is 64 bytes") }
            return isValidSignature(signature, for: message)
        case (.ecdsaP256, KeyTypeName.ecdsaP256):
            let rawRS = try Self.ecdsaRS(signature)
            guard let key = try? P256.Signing.PublicKey(x963Representation: raw),
                  let sig = try? P256.Signing.ECDSASignature(rawRepresentation: rawRS) else { return false }
            return key.isValidSignature(sig, for: message)
        case (.rsa, KeyTypeName.rsaSHA512), (.rsa, KeyTypeName.rsaSHA256):
            guard let key = try? _RSA.Signing.PublicKey(n: raw, e: exponent) else { return false }
            // PKCS#1 v1.5 signatures are exactly the modulus size (RFC 8332 allows no shorter form here).
            guard signature.count == raw.count else { return false }
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            if sigType == KeyTypeName.rsaSHA512 {
                return key.isValidSignature(sig, for: SHA512.hash(data: message), padding: .insecurePKCS1v1_5)
            }
            return key.isValidSignature(sig, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
        case (.rsa, KeyTypeName.rsa):
            throw SigningError.malformedSignature("it is an ssh-rsa signature, which hashes with SHA-1 and is refused; sign again with rsa-sha2-512 (what `ssh-keygen -Y sign`, git and lineage use for RSA keys)")
        default:
            throw SigningError.malformedSignature("signature type \(sigType) does not match the \(algorithm.rawValue) key")
        }
    }

    /// r | s, 32 bytes each, from the SSH form of an ECDSA signature: `mpint r | mpint s` (RFC 5656 §3.1.2).
    private static func ecdsaRS(_ signature: [UInt8]) throws -> [UInt8] {
        let bad = SigningError.malformedSignature("the ECDSA signature is not two integers r and s below the P-256 order")
        var s = WireReader(signature, failure: bad)
        let rInt = try s.readPositiveMPInt(), sInt = try s.readPositiveMPInt()
        guard s.isAtEnd, rInt.count <= 32, sInt.count <= 32 else { throw bad }
        return [UInt8](repeating: 0, count: 32 - rInt.count) + rInt + [UInt8](repeating: 0, count: 32 - sInt.count) + sInt
    }

    /// Checks a raw signature over `message` in the form DSSE envelopes carry it: Ed25519's 64
    /// bytes; for ECDSA P-256, ASN.1 DER over SHA-256; for RSA, PKCS#1 v1.5 over SHA-512.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch algorithm {
        case .ed25519:
            guard signature.count == 64,
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
            return key.isValidSignature(signature, for: message)
        case .ecdsaP256:
            guard let key = try? P256.Signing.PublicKey(x963Representation: raw),
                  let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: message)
        case .rsa:
            guard signature.count == raw.count, let key = try? _RSA.Signing.PublicKey(n: raw, e: exponent) else { return false }
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA512.hash(data: message),
                                        padding: .insecurePKCS1v1_5)
        }
    }

    /// The raw signature (the form `isValidSignature` checks) inside an SSH signature blob made
    /// by this key, after checking that the blob verifies over `message`.
    public func rawSignature(fromBlob blob: [UInt8], for message: [UInt8]) throws -> [UInt8] {
        guard try isValid(signatureBlob: blob, for: message) else {
            throw SigningError.signingFailed("the signature made with \(fingerprint) does not verify")
        }
        var r = WireReader(blob, failure: SigningError.malformedSignature("truncated signature blob"))
        let sigType = try r.readText()
        let signature = try r.readString()
        switch algorithm {
        case .ed25519: return signature
        case .ecdsaP256:
            return Array(try P256.Signing.ECDSASignature(rawRepresentation: try Self.ecdsaRS(signature)).derRepresentation)
        case .rsa:
            guard sigType == KeyTypeName.rsaSHA512 else {
                throw SigningError.signingFailed("the RSA signature uses \(sigType), not rsa-sha2-512")
            }
            return signature
        }
    }
}

extension SSHPublicKey: CustomStringConvertible {
    public var description: String { "\(algorithm.rawValue) \(fingerprint)" }
}
