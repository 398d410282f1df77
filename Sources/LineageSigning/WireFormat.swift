import Foundation

/// Reads SSH wire-format values (RFC 4251 §5) from untrusted bytes.
///
/// Every read is bounds-checked and throws the error given at creation
/// instead of trapping, so callers decide how a short or bad buffer is reported.
struct WireReader {
    private let bytes: [UInt8]
    private var offset = 0
    private let failure: SigningError

    init(_ bytes: [UInt8], failure: SigningError) {
        self.bytes = bytes
        self.failure = failure
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= remaining else { throw failure }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func readUInt32() throws -> UInt32 {
        let b = try readBytes(4)
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    /// A `string`: uint32 length, then that many bytes.
    mutating func readString() throws -> [UInt8] {
        let length = try readUInt32()
        guard length <= UInt32(remaining) else { throw failure }
        return try readBytes(Int(length))
    }

    /// A `string` that must be valid UTF-8 (names such as key types and namespaces).
    mutating func readText() throws -> String {
        guard let text = String(validating: try readString(), as: UTF8.self) else { throw failure }
        return text
    }

    /// An `mpint` that must not be negative, as its magnitude without leading zero bytes
    /// (OpenSSH accepts redundant leading zeros; they are dropped here so keys compare canonically).
    mutating func readPositiveMPInt() throws -> [UInt8] {
        let bytes = try readString()
        if let first = bytes.first, first & 0x80 != 0 { throw failure }
        return Array(bytes.drop { $0 == 0 })
    }

    mutating func readRest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}

/// Builds SSH wire-format values.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw(_ b: [UInt8]) { bytes += b }

    mutating func uint32(_ v: UInt32) {
        bytes += [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }

    mutating func string(_ b: [UInt8]) {
        uint32(UInt32(b.count))
        bytes += b
    }

    mutating func string(_ s: String) { string(Array(s.utf8)) }

    /// A non-negative `mpint` from its big-endian magnitude: minimal, with a zero byte in front
    /// when the top bit is set (RFC 4251 §5).
    mutating func positiveMPInt(_ magnitude: [UInt8]) {
        let trimmed = Array(magnitude.drop { $0 == 0 })
        string(trimmed.first.map { $0 & 0x80 != 0 } == true ? [0] + trimmed : trimmed)
    }
}

enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// Strict standard base64 with padding; nil for anything else.
    static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { Array($0) }
    }

    /// Standard or URL-safe alphabet, padding optional (DSSE allows either).
    static func decodeLenient(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let rest = s.utf8.count % 4
        if rest == 1 { return nil }
        if rest > 0 { s += String(repeating: "=", count: 4 - rest) }
        return decode(s)
    }
}

/// PEM-like armor as OpenSSH writes it: BEGIN line, base64 wrapped at 70 columns, END line.
enum Armor {
    static let width = 70

    static func wrap(_ bytes: [UInt8], label: String) -> String {
        let b64 = Array(Base64.encode(bytes).utf8)
        var out = "-----BEGIN \(label)-----\n"
        var start = 0
        while start < b64.count {
            let end = min(start + width, b64.count)
            out += String(decoding: b64[start..<end], as: UTF8.self) + "\n"
            start = end
        }
        return out + "-----END \(label)-----\n"
    }

    /// The bytes inside armor whose first line is exactly the BEGIN line and last the END line.
    /// A missing final newline is accepted (git strips it from commit signatures); nothing else is.
    static func unwrap(_ text: String, label: String) -> [UInt8]? {
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.count >= 3,
              lines.first == "-----BEGIN \(label)-----",
              lines.last == "-----END \(label)-----" else { return nil }
        let body = lines.dropFirst().dropLast()
        guard body.allSatisfy({ !$0.isEmpty }) else { return nil }
        return Base64.decode(body.joined())
    }
}

/// The SSH key type names lineage reads, and the shape of those it refuses by name.
enum KeyTypeName {
    static let ed25519 = "ssh-ed25519"
    static let ecdsaP256 = "ecdsa-sha2-nistp256"
    static let rsa = "ssh-rsa"
    static let dsa = "ssh-dss"
    /// The signature algorithms of RSA keys: SHA-2 only (`ssh-rsa` signatures are SHA-1).
    static let rsaSHA512 = "rsa-sha2-512"
    static let rsaSHA256 = "rsa-sha2-256"

    /// True for anything shaped like an OpenSSH key type (ssh-rsa, ecdsa-sha2-nistp256, sk-…, …-cert-v01@openssh.com).
    static func looksLikeKeyType(_ token: some StringProtocol) -> Bool {
        token.hasPrefix("ssh-") || token.hasPrefix("ecdsa-") || token.hasPrefix("sk-")
            || token.hasPrefix("rsa-") || token.contains("-cert-v01@")
    }
}
