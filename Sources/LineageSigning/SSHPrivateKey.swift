import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An unencrypted Ed25519 private key in OpenSSH's `openssh-key-v1` file format
/// (what `ssh-keygen -t ed25519 -N ''` writes).
public struct SSHPrivateKey: Sendable {
    public let publicKey: SSHPublicKey
    public var comment: String
    /// The 32-byte Ed25519 seed (RFC 8032's private key).
    private let seed: [UInt8]
    /// Kept from the file so that writing a loaded key back reproduces it byte for byte.
    private let checkint: UInt32

    private static let beginLine = "-----BEGIN OPENSSH PRIVATE KEY-----"
    private static let label = "OPENSSH PRIVATE KEY"
    private static let magic = Array("openssh-key-v1\0".utf8)
    /// Cipher block size for cipher "none"; the private section is padded to it.
    private static let blockSize = 8

    /// A new random key.
    public static func generate(comment: String) -> SSHPrivateKey {
        let key = Curve25519.Signing.PrivateKey()
        return SSHPrivateKey(seed: Array(key.rawRepresentation), publicKey: SSHPublicKey(libraryRaw: Array(key.publicKey.rawRepresentation)),
                             comment: comment, checkint: UInt32.random(in: .min ... .max))
    }

    private init(seed: [UInt8], publicKey: SSHPublicKey, comment: String, checkint: UInt32) {
        self.publicKey = publicKey
        self.seed = seed
        self.comment = comment
        self.checkint = checkint
    }

    /// Reads a key file, refusing files other users could read (as ssh does).
    public static func load(path: String) throws -> SSHPrivateKey {
        let text = try readKeyFile(path)
        do {
            return try SSHPrivateKey(openSSHPrivateKey: text)
        } catch let error as SigningError {
            throw error.at(path: path)
        }
    }

    /// Opens first and checks the open file, so the permissions checked are those of the bytes read.
    private static func readKeyFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw SigningError.keyFileMissing(path: path) }
            throw SigningError.keyFileUnreadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw SigningError.keyFileUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw SigningError.keyFileUnreadable(path: path, reason: "not a regular file")
        }
        let mode = Int(st.st_mode & 0o7777)
        if mode & 0o077 != 0 { throw SigningError.unprotectedKeyFile(path: path, mode: mode) }
        // An Ed25519 key file is about 400 bytes; anything far larger is not one.
        let limit = 64 * 1024
        guard st.st_size <= limit else { throw SigningError.corruptPrivateKey(path: path) }

        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SigningError.keyFileUnreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
            if bytes.count > limit { throw SigningError.corruptPrivateKey(path: path) }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw SigningError.corruptPrivateKey(path: path) }
        return text
    }

    /// Parses the text of an OpenSSH private key file. Only cipher "none" / kdf "none" keys of
    /// type ssh-ed25519 are accepted; everything else throws a specific `SigningError`.
    public init(openSSHPrivateKey text: String) throws {
        // Surrounding blank space and CRLF line ends (a file copied through Windows) are harmless;
        // inside the armor everything else must be exact.
        let trimmed = text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix(Self.beginLine) else { throw Self.classifyForeign(Substring(trimmed)) }
        guard let blob = Armor.unwrap(trimmed, label: Self.label) else {
            throw SigningError.corruptPrivateKey(path: nil)
        }
        try self.init(blob: blob)
    }

    private init(blob: [UInt8]) throws {
        let corrupt = SigningError.corruptPrivateKey(path: nil)
        var r = WireReader(blob, failure: corrupt)
        guard try r.readBytes(Self.magic.count) == Self.magic else { throw corrupt }
        let cipher = try r.readText()
        let kdf = try r.readText()
        _ = try r.readString()  // kdf options
        guard try r.readUInt32() == 1 else { throw corrupt }  // ssh-keygen writes exactly one key
        let outerPublic = try r.readString()

        // Name the key type before complaining about encryption: the public part is in clear.
        var pub = WireReader(outerPublic, failure: corrupt)
        let type = try pub.readText()
        guard type == KeyTypeName.ed25519 else {
            throw KeyTypeName.looksLikeKeyType(type) ? SigningError.unsupportedKeyType(found: type, path: nil) : corrupt
        }
        guard cipher == "none", kdf == "none" else { throw SigningError.encryptedKey(path: nil) }
        let publicKey = try SSHPublicKey(wire: outerPublic)

        let section = try r.readString()
        guard r.isAtEnd, section.count % Self.blockSize == 0 else { throw corrupt }
        var p = WireReader(section, failure: corrupt)
        let check1 = try p.readUInt32(), check2 = try p.readUInt32()
        guard check1 == check2 else { throw corrupt }
        guard try p.readText() == KeyTypeName.ed25519 else { throw corrupt }
        let innerPublic = try p.readString()
        let secret = try p.readString()  // seed(32) | public(32)
        let commentBytes = try p.readString()
        let padding = p.readRest()
        guard innerPublic == publicKey.raw, secret.count == 64,
              Array(secret[32...]) == publicKey.raw,
              padding.count < Self.blockSize,
              padding.enumerated().allSatisfy({ Int($0.element) == $0.offset + 1 }) else { throw corrupt }

        // The stored public key must be the one the seed derives, or signatures would not verify.
        let seed = Array(secret[..<32])
        guard let derived = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed),
              Array(derived.publicKey.rawRepresentation) == publicKey.raw else { throw corrupt }
        self.init(seed: seed, publicKey: publicKey, comment: String(decoding: commentBytes, as: UTF8.self), checkint: check1)
    }

    /// Names what a file that is not an OpenSSH-format private key holds.
    private static func classifyForeign(_ text: Substring) -> SigningError {
        let pem: [(String, String)] = [
            ("-----BEGIN RSA PRIVATE KEY-----", "RSA (PEM format)"),
            ("-----BEGIN EC PRIVATE KEY-----", "ECDSA (PEM format)"),
            ("-----BEGIN DSA PRIVATE KEY-----", "DSA (PEM format)"),
            ("-----BEGIN PRIVATE KEY-----", "PKCS#8"),
            ("-----BEGIN ENCRYPTED PRIVATE KEY-----", "encrypted PKCS#8"),
        ]
        for (begin, name) in pem where text.hasPrefix(begin) {
            return .unsupportedKeyType(found: name, path: nil)
        }
        if let first = text.split(separator: " ", maxSplits: 1).first, KeyTypeName.looksLikeKeyType(first) {
            return .notAPrivateKey(path: nil)
        }
        return .corruptPrivateKey(path: nil)
    }

    /// The key file text, laid out as ssh-keygen writes it; ends with "\n".
    public func openSSHPrivateKey() -> String {
        var section = WireWriter()
        section.uint32(checkint)
        section.uint32(checkint)
        section.string(KeyTypeName.ed25519)
        section.string(publicKey.raw)
        section.string(seed + publicKey.raw)
        section.string(comment)
        var pad: UInt8 = 1
        while section.bytes.count % Self.blockSize != 0 {
            section.raw([pad])
            pad += 1
        }

        var w = WireWriter()
        w.raw(Self.magic)
        w.string("none")
        w.string("none")
        w.string([UInt8]())
        w.uint32(1)
        w.string(publicKey.wire)
        w.string(section.bytes)
        return Armor.wrap(w.bytes, label: Self.label)
    }

    /// The `.pub` file line: `ssh-ed25519 AAAA... comment\n`.
    public func publicKeyLine() -> String {
        comment.isEmpty ? publicKey.openSSH + "\n" : "\(publicKey.openSSH) \(comment)\n"
    }

    /// A raw 64-byte Ed25519 signature (deterministic with BoringSSL, as on Linux).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        do {
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
            return Array(try key.signature(for: message))
        } catch {
            throw SigningError.signingFailed(String(describing: error))
        }
    }
}

/// Keeps key material out of logs, test failure messages and `dump`.
extension SSHPrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SSHPrivateKey(\(publicKey.fingerprint) \(comment))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey, "comment": comment]) }
}

extension SSHPublicKey {
    /// For key bytes produced by the crypto library itself, whose size it guarantees.
    init(libraryRaw raw: [UInt8]) {
        precondition(raw.count == 32, "Ed25519 public keys are 32 bytes")
        self.raw = raw
    }
}
