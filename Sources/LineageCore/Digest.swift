import Crypto
import Foundation

/// A SHA-256 digest: the address of every byte sequence lineage stores.
///
/// The hex form of a file's digest equals what `sha256sum` prints for the file.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    // The 32 bytes as four big-endian words: no heap allocation per digest, and word order is byte order.
    private let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The 32 raw bytes, most significant first.
    public var bytes: [UInt8] {
        var out = [UInt8](); out.reserveCapacity(32)
        for w in [w0, w1, w2, w3] { for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w >> UInt64(shift))) } }
        return out
    }

    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 32 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (i, b) in bytes.enumerated() { words[i / 8] = words[i / 8] << 8 | UInt64(b) }
        (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3])
    }

    /// Parses 64 lowercase or uppercase hex characters; an optional `sha256:` prefix is accepted.
    public init?(hex: String) {
        var text = Substring(hex)
        if text.hasPrefix("sha256:") { text = text.dropFirst(7) }
        guard text.utf8.count == 64 else { return nil }
        var out = [UInt8](); out.reserveCapacity(32)
        var high: UInt8? = nil
        for c in text.utf8 {
            guard let v = Digest.nibble(c) else { return nil }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        self.init(bytes: out)
    }

    /// The digest of `data`, computed in one call.
    public static func of<D: DataProtocol>(_ data: D) -> Digest {
        Digest(SHA256.hash(data: data))
    }

    public init(_ sha: SHA256.Digest) {
        self.init(bytes: Array(sha))!
    }

    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { buffer in
            let table: StaticString = "0123456789abcdef"
            var i = 0
            for w in [w0, w1, w2, w3] {
                for shift in stride(from: 60, through: 0, by: -4) {
                    buffer[i] = table.utf8Start[Int((w >> UInt64(shift)) & 15)]
                    i += 1
                }
            }
            return 64
        }
    }

    /// `sha256:<hex>`, the form used in records.
    public var prefixed: String { "sha256:" + hex }
    public var description: String { hex }

    public static func < (a: Digest, b: Digest) -> Bool { (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let d = Digest(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a sha256 digest: \(text)"))
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(prefixed)
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Incremental SHA-256, for streams too large to hold in memory.
public struct DigestBuilder {
    private var hasher = SHA256()
    public init() {}
    public mutating func update(_ buffer: UnsafeRawBufferPointer) { hasher.update(bufferPointer: buffer) }
    public mutating func update<D: DataProtocol>(_ data: D) { hasher.update(data: data) }
    public func finalize() -> Digest { Digest(hasher.finalize()) }
}
