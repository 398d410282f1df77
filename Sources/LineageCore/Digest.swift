import Crypto
import Foundation

/// A SHA-256 digest: the address of every byte sequence lineage stores.
///
/// The hex form of a file's digest equals what `sha256sum` prints for the file.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    // The 32 bytes as four big-endian words: no heap allocation per digest, and word order is byte order.
    private let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The 32 raw bytes, most significant first.
    /// The first word alone: it is already uniformly distributed (a cryptographic hash), and sets
    /// and dictionaries of ids are hot in `status` and `verify`.
    public func hash(into hasher: inout Hasher) { hasher.combine(w0) }

    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            Digest.store(w0, buffer, 0); Digest.store(w1, buffer, 8); Digest.store(w2, buffer, 16); Digest.store(w3, buffer, 24)
            count = 32
        }
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.init(unchecked: bytes, at: 0)
    }

    public init?(bytes: ArraySlice<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self.init(unchecked: Array(bytes), at: 0)
    }

    private init(unchecked bytes: [UInt8], at start: Int) {
        w0 = Digest.load(bytes, start); w1 = Digest.load(bytes, start + 8)
        w2 = Digest.load(bytes, start + 16); w3 = Digest.load(bytes, start + 24)
    }

    @inline(__always)
    private static func load(_ b: [UInt8], _ i: Int) -> UInt64 {
        var w: UInt64 = 0
        for k in i..<i + 8 { w = w << 8 | UInt64(b[k]) }
        return w
    }

    @inline(__always)
    private static func store(_ w: UInt64, _ buffer: UnsafeMutableBufferPointer<UInt8>, _ i: Int) {
        for k in 0..<8 { buffer[i + k] = UInt8(truncatingIfNeeded: w >> UInt64(56 - 8 * k)) }
    }

    /// Parses 64 lowercase or uppercase hex characters; an optional `sha256:` prefix is accepted.
    public init?(hex: String) {
        var text = hex
        let parsed: Digest? = text.withUTF8 { utf8 in
            var b = UnsafeRawBufferPointer(utf8)
            if b.count == 71, b.starts(with: "sha256:".utf8) { b = UnsafeRawBufferPointer(rebasing: b[7...]) }
            return Digest(hexBytes: b)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses exactly 64 hex characters (no prefix) from memory, without making a string: pointer
    /// and record decoding read 100,000s of digests.
    public init?(hexBytes b: UnsafeRawBufferPointer) {
        guard b.count == 64, let p = b.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var bad: UInt8 = 0
        Digest.nibbleTable.withUnsafeBufferPointer { table in
            func word(_ from: Int) -> UInt64 {
                var w: UInt64 = 0
                for k in from..<from + 16 {
                    let v = table[Int(p[k])]
                    bad |= v
                    w = w << 4 | UInt64(v & 0x0F)
                }
                return w
            }
            words = (word(0), word(16), word(32), word(48))
        }
        guard bad & 0x80 == 0 else { return nil }
        (w0, w1, w2, w3) = words
    }

    /// Hex digit values by byte; 0x80 marks a byte that is not a hex digit.
    private static let nibbleTable: [UInt8] = (0..<256).map { nibble(UInt8($0)) ?? 0x80 }

    /// The digest of `data`, computed in one call.
    public static func of<D: DataProtocol>(_ data: D) -> Digest {
        Digest(SHA256.hash(data: data))
    }

    public init(_ sha: SHA256.Digest) {
        self.init(bytes: Array(sha))!
    }

    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { buffer in
            Digest.putHex(w0, buffer, 0); Digest.putHex(w1, buffer, 16); Digest.putHex(w2, buffer, 32); Digest.putHex(w3, buffer, 48)
            return 64
        }
    }

    @inline(__always)
    private static func putHex(_ w: UInt64, _ buffer: UnsafeMutableBufferPointer<UInt8>, _ i: Int) {
        for k in 0..<16 {
            let v = UInt8(truncatingIfNeeded: (w >> UInt64(60 - 4 * k)) & 15)
            buffer[i + k] = v < 10 ? 48 + v : 87 + v
        }
    }

    /// Appends the 64 hex digits to `out`, without making a String.
    public func appendHex(to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            Digest.putHex(w0, buffer, 0); Digest.putHex(w1, buffer, 16); Digest.putHex(w2, buffer, 32); Digest.putHex(w3, buffer, 48)
            out.append(contentsOf: buffer)
        }
    }

    /// `sha256:<hex>`, the form used in records.
    public var prefixed: String { "sha256:" + hex }
    public var description: String { hex }

    public static func < (a: Digest, b: Digest) -> Bool {
        if a.w0 != b.w0 { return a.w0 < b.w0 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        if a.w2 != b.w2 { return a.w2 < b.w2 }
        return a.w3 < b.w3
    }

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
