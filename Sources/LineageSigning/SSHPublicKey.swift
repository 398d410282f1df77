import Crypto
import Foundation

/// An Ed25519 public key in the forms OpenSSH uses: wire blob, `.pub` line, fingerprint.
public struct SSHPublicKey: Hashable, Sendable {
    /// The 32-byte Ed25519 public key.
    public let raw: [UInt8]

    public init(ed25519 raw: [UInt8]) throws {
        guard raw.count == 32 else {
            throw SigningError.invalidPublicKey("an Ed25519 public key is 32 bytes, got \(raw.count)")
        }
        self.raw = raw
    }

    /// Parses `ssh-ed25519 AAAAC3... [comment]`, the form of `.pub` files and authorized_keys lines
    /// (without leading options). The comment is ignored.
    public init(openSSH line: String) throws {
        let fields = line.split(whereSeparator: \.isWhitespace)
        guard let type = fields.first else { throw SigningError.invalidPublicKey("the line is empty") }
        guard type == KeyTypeName.ed25519 else {
            if KeyTypeName.looksLikeKeyType(type) {
                throw SigningError.unsupportedKeyType(found: String(type), path: nil)
            }
            throw SigningError.invalidPublicKey("it does not start with a key type such as ssh-ed25519")
        }
        guard fields.count >= 2 else { throw SigningError.invalidPublicKey("the base64 key after ssh-ed25519 is missing") }
        guard let wire = Base64.decode(String(fields[1])) else {
            throw SigningError.invalidPublicKey("the key after ssh-ed25519 is not valid base64")
        }
        try self.init(wire: wire)
    }

    /// Parses the wire form: string "ssh-ed25519" | string key(32).
    public init(wire: [UInt8]) throws {
        let bad = SigningError.invalidPublicKey("the key blob is truncated or has extra bytes")
        var reader = WireReader(wire, failure: bad)
        let type = try reader.readString()
        guard type == Array(KeyTypeName.ed25519.utf8) else {
            let name = String(decoding: type.prefix(64), as: UTF8.self)
            if KeyTypeName.looksLikeKeyType(name) { throw SigningError.unsupportedKeyType(found: name, path: nil) }
            throw SigningError.invalidPublicKey("the key blob does not hold an ssh-ed25519 key")
        }
        let key = try reader.readString()
        guard reader.isAtEnd else { throw bad }
        try self.init(ed25519: key)
    }

    /// The 51-byte wire form.
    public var wire: [UInt8] {
        var w = WireWriter()
        w.string(KeyTypeName.ed25519)
        w.string(raw)
        return w.bytes
    }

    public var base64: String { Base64.encode(wire) }

    /// `ssh-ed25519 <base64>`, without comment.
    public var openSSH: String { "\(KeyTypeName.ed25519) \(base64)" }

    /// `SHA256:<unpadded base64>`, as `ssh-keygen -lf` prints it.
    public var fingerprint: String {
        let digest = Array(SHA256.hash(data: wire))
        let b64 = Base64.encode(digest)
        return "SHA256:" + b64.replacingOccurrences(of: "=", with: "")
    }

    /// Checks a raw 64-byte Ed25519 signature over `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

extension SSHPublicKey: CustomStringConvertible {
    public var description: String { "ssh-ed25519 \(fingerprint)" }
}
