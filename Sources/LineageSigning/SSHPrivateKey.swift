import Crypto
import _CryptoExtras
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An Ed25519 private key in OpenSSH's `openssh-key-v1` file format (what `ssh-keygen -t ed25519`
/// writes), unencrypted or protected by a passphrase (bcrypt KDF with AES-CTR or AES-GCM); once
/// loaded, the key is held decrypted in memory only.
public struct SSHPrivateKey: SSHSigner {
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

    /// Reads a key file, refusing files other users could read (as ssh does). For a key protected
    /// by a passphrase, `passphrase` is asked (once); it returns nil when none can be had (no
    /// terminal), and the load fails with `encryptedKey`.
    public static func load(path: String, passphrase: (() throws -> String?)? = nil) throws -> SSHPrivateKey {
        let text = try readKeyFile(path)
        do {
            return try SSHPrivateKey(openSSHPrivateKey: text, passphrase: passphrase)
        } catch let error as SigningError {
            throw error.at(path: path)
        }
    }

    /// The public key of a private key file, read from its unencrypted header without decrypting
    /// anything (OpenSSH stores it in clear). The file's permissions are checked as by `load`.
    public static func publicKey(ofFile path: String) throws -> SSHPublicKey {
        let text = try readKeyFile(path)
        do {
            let blob = try unarmored(text)
            let corrupt = SigningError.corruptPrivateKey(path: nil)
            var r = WireReader(blob, failure: corrupt)
            guard try r.readBytes(Self.magic.count) == Self.magic else { throw corrupt }
            _ = try r.readString(); _ = try r.readString(); _ = try r.readString()
            guard try r.readUInt32() == 1 else { throw corrupt }
            return try SSHPublicKey(wire: try r.readString())
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

    /// Parses the text of an OpenSSH private key file holding one ssh-ed25519 key; everything
    /// else throws a specific `SigningError`. An encrypted key is decrypted with what
    /// `passphrase` returns (nil: `encryptedKey`; a wrong one: `wrongPassphrase`).
    public init(openSSHPrivateKey text: String, passphrase: (() throws -> String?)? = nil) throws {
        try self.init(blob: try Self.unarmored(text), passphrase: passphrase)
    }

    private static func unarmored(_ text: String) throws -> [UInt8] {
        // Surrounding blank space and CRLF line ends (a file copied through Windows) are harmless;
        // inside the armor everything else must be exact.
        let trimmed = text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix(Self.beginLine) else { throw Self.classifyForeign(Substring(trimmed)) }
        guard let blob = Armor.unwrap(trimmed, label: Self.label) else {
            throw SigningError.corruptPrivateKey(path: nil)
        }
        return blob
    }

    private init(blob: [UInt8], passphrase: (() throws -> String?)?) throws {
        let corrupt = SigningError.corruptPrivateKey(path: nil)
        var r = WireReader(blob, failure: corrupt)
        guard try r.readBytes(Self.magic.count) == Self.magic else { throw corrupt }
        let cipherName = try r.readText()
        let kdf = try r.readText()
        let kdfOptions = try r.readString()
        guard try r.readUInt32() == 1 else { throw corrupt }  // ssh-keygen writes exactly one key
        let outerPublic = try r.readString()

        // Name the key type before anything else: the public part is in clear.
        var pub = WireReader(outerPublic, failure: corrupt)
        let type = try pub.readText()
        guard type == KeyTypeName.ed25519 else {
            throw KeyTypeName.looksLikeKeyType(type) ? SigningError.unsupportedKeyType(found: type, path: nil) : corrupt
        }
        let publicKey = try SSHPublicKey(wire: outerPublic)

        var section = try r.readString()
        let encrypted = cipherName != "none"
        if encrypted {
            guard let cipher = KeyCipher(name: cipherName) else { throw SigningError.unsupportedEncryption("cipher \(cipherName)", path: nil) }
            guard kdf == "bcrypt" else { throw SigningError.unsupportedEncryption("key derivation \(kdf)", path: nil) }
            var options = WireReader(kdfOptions, failure: corrupt)
            let salt = try options.readString()
            let rounds = try options.readUInt32()
            guard options.isAtEnd, !salt.isEmpty, rounds >= 1 else { throw corrupt }
            let tag = r.readRest()
            guard tag.count == cipher.tagLength, section.count % cipher.blockSize == 0 else { throw corrupt }
            guard let phrase = try passphrase?() else { throw SigningError.encryptedKey(path: nil) }
            // bcrypt_pbkdf refuses an empty passphrase; no key ssh-keygen wrote has one.
            guard !phrase.isEmpty else { throw SigningError.wrongPassphrase(path: nil) }
            let derived = BcryptPBKDF.derive(passphrase: Array(phrase.utf8), salt: salt, rounds: Int(rounds),
                                             keyLength: cipher.keyLength + cipher.ivLength)
            section = try cipher.decrypt(section, tag: tag, keyAndIV: derived)
        } else {
            guard kdf == "none", kdfOptions.isEmpty, r.isAtEnd, section.count % Self.blockSize == 0 else { throw corrupt }
        }

        var p = WireReader(section, failure: corrupt)
        let check1 = try p.readUInt32(), check2 = try p.readUInt32()
        // For an encrypted key the check words are how a wrong passphrase shows (CTR has no tag).
        guard check1 == check2 else { throw encrypted ? SigningError.wrongPassphrase(path: nil) : corrupt }
        guard try p.readText() == KeyTypeName.ed25519 else { throw corrupt }
        let innerPublic = try p.readString()
        let secret = try p.readString()  // seed(32) | public(32)
        let commentBytes = try p.readString()
        let padding = p.readRest()
        guard innerPublic == publicKey.raw, secret.count == 64,
              Array(secret[32...]) == publicKey.raw,
              padding.count < (encrypted ? 16 : Self.blockSize),
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

    /// The key file text, laid out as ssh-keygen writes it; ends with "\n". With a passphrase, the
    /// private part is encrypted as `ssh-keygen -N` does by default: bcrypt with a random 16-byte
    /// salt and `rounds` rounds, then aes256-ctr.
    public func openSSHPrivateKey(passphrase: String? = nil, rounds: Int = 16) -> String {
        let cipher = passphrase == nil ? nil : KeyCipher(name: "aes256-ctr")!
        let blockSize = cipher?.blockSize ?? Self.blockSize
        var section = WireWriter()
        section.uint32(checkint)
        section.uint32(checkint)
        section.string(KeyTypeName.ed25519)
        section.string(publicKey.raw)
        section.string(seed + publicKey.raw)
        section.string(comment)
        var pad: UInt8 = 1
        while section.bytes.count % blockSize != 0 {
            section.raw([pad])
            pad += 1
        }

        var w = WireWriter()
        w.raw(Self.magic)
        var sealed = section.bytes
        if let passphrase, let cipher {
            precondition(!passphrase.isEmpty && rounds >= 1, "a passphrase must not be empty")
            let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
            let keyAndIV = BcryptPBKDF.derive(passphrase: Array(passphrase.utf8), salt: salt, rounds: rounds,
                                              keyLength: cipher.keyLength + cipher.ivLength)
            sealed = cipher.encryptCTR(section.bytes, keyAndIV: keyAndIV)
            var options = WireWriter()
            options.string(salt)
            options.uint32(UInt32(rounds))
            w.string(cipher.name)
            w.string("bcrypt")
            w.string(options.bytes)
        } else {
            w.string("none")
            w.string("none")
            w.string([UInt8]())
        }
        w.uint32(1)
        w.string(publicKey.wire)
        w.string(sealed)
        return Armor.wrap(w.bytes, label: Self.label)
    }

    /// The `.pub` file line: `ssh-ed25519 AAAA... comment\n`.
    public func publicKeyLine() -> String {
        comment.isEmpty ? publicKey.openSSH + "\n" : "\(publicKey.openSSH) \(comment)\n"
    }

    /// The SSH signature blob: `string "ssh-ed25519" | string signature(64)`.
    public func signatureBlob(for data: [UInt8]) throws -> [UInt8] {
        var w = WireWriter()
        w.string(KeyTypeName.ed25519)
        w.string(try sign(data))
        return w.bytes
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
        try! self.init(ed25519: raw)
    }
}

/// The ciphers OpenSSH encrypts private keys with that lineage reads (cipher.c's table):
/// AES in counter mode, and AES-GCM whose 16-byte tag follows the encrypted section.
struct KeyCipher {
    let name: String
    let keyLength: Int
    let ivLength: Int
    let tagLength: Int
    let blockSize = 16

    init?(name: String) {
        switch name {
        case "aes128-ctr": (keyLength, ivLength, tagLength) = (16, 16, 0)
        case "aes192-ctr": (keyLength, ivLength, tagLength) = (24, 16, 0)
        case "aes256-ctr": (keyLength, ivLength, tagLength) = (32, 16, 0)
        case "aes128-gcm@openssh.com": (keyLength, ivLength, tagLength) = (16, 12, 16)
        case "aes256-gcm@openssh.com": (keyLength, ivLength, tagLength) = (32, 12, 16)
        default: return nil
        }
        self.name = name
    }

    /// The plaintext of `section`; a GCM tag that does not match means a wrong passphrase.
    func decrypt(_ section: [UInt8], tag: [UInt8], keyAndIV: [UInt8]) throws -> [UInt8] {
        let key = SymmetricKey(data: keyAndIV[..<keyLength])
        let iv = Array(keyAndIV[keyLength...])
        if tagLength == 0 { return encryptCTR(section, keyAndIV: keyAndIV) }
        do {
            let box = try AES.GCM.SealedBox(nonce: try AES.GCM.Nonce(data: iv), ciphertext: section, tag: tag)
            return Array(try AES.GCM.open(box, using: key))
        } catch {
            throw SigningError.wrongPassphrase(path: nil)
        }
    }

    /// AES-CTR with the whole 16-byte IV as the initial counter (CTR is its own inverse).
    func encryptCTR(_ bytes: [UInt8], keyAndIV: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: keyAndIV[..<keyLength])
        // Key and nonce sizes are fixed by the table above, so neither call can fail.
        let nonce = try! AES._CTR.Nonce(nonceBytes: keyAndIV[keyLength...])
        return Array(try! AES._CTR.encrypt(bytes, using: key, nonce: nonce))
    }
}
