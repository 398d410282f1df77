internal import CLibGit2

/// A git object id (SHA-1, 20 bytes), as libgit2 1.5 uses for every repository.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible, Comparable {
    // 20 bytes as big-endian words: no heap allocation per id (status handles 100,000s of them).
    private let w0: UInt64, w1: UInt64, w2: UInt32

    /// The first word alone: it is already uniformly distributed (a cryptographic hash), and sets
    /// and dictionaries of ids are hot in `status` and `verify`.
    public func hash(into hasher: inout Hasher) { hasher.combine(w0) }

    public var bytes: [UInt8] {
        var out = [UInt8](); out.reserveCapacity(20)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w0 >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w1 >> UInt64(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w2 >> UInt32(shift))) }
        return out
    }

    init(bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { ObjectID(rawBytes: $0) }
    }

    /// From 20 bytes in memory.
    init(rawBytes raw: UnsafeRawBufferPointer) {
        var a: UInt64 = 0, b: UInt64 = 0, c: UInt32 = 0
        for i in 0..<8 { a = a << 8 | UInt64(raw[i]) }
        for i in 8..<16 { b = b << 8 | UInt64(raw[i]) }
        for i in 16..<20 { c = c << 8 | UInt32(raw[i]) }
        (w0, w1, w2) = (a, b, c)
    }

    public init?(hex: String) {
        guard hex.utf8.count == 40 else { return nil }
        var out = [UInt8](); out.reserveCapacity(20)
        var chars = Array(hex.utf8)[...]
        while !chars.isEmpty {
            guard let h = ObjectID.nibble(chars.removeFirst()), let l = ObjectID.nibble(chars.removeFirst()) else { return nil }
            out.append(h << 4 | l)
        }
        self.init(bytes: out)
    }

    init(_ oid: git_oid) {
        var copy = oid
        self = withUnsafeBytes(of: &copy.id) { ObjectID(rawBytes: $0) }
    }

    init(_ pointer: UnsafePointer<git_oid>) { self.init(pointer.pointee) }

    var raw: git_oid {
        var oid = git_oid()
        let b = bytes
        withUnsafeMutableBytes(of: &oid.id) { dst in
            for i in 0..<20 { dst[i] = b[i] }
        }
        return oid
    }

    /// Whether `hex` is this id in lowercase hex (what `hex` returns), without making a string.
    public func isEqual(toHex hex: String) -> Bool {
        var hex = hex
        return hex.withUTF8 { b in
            guard b.count == 40 else { return false }
            func word(_ from: Int, _ nibbles: Int) -> UInt64? {
                var v: UInt64 = 0
                for k in from..<from + nibbles {
                    let c = b[k]
                    let d: UInt8
                    switch c {
                    case 48...57: d = c - 48
                    case 97...102: d = c - 87
                    default: return nil
                    }
                    v = v << 4 | UInt64(d)
                }
                return v
            }
            return word(0, 16) == w0 && word(16, 16) == w1 && word(32, 8) == UInt64(w2)
        }
    }

    public var hex: String {
        String(unsafeUninitializedCapacity: 40) { buffer in
            ObjectID.putHex(w0, 16, buffer, 0); ObjectID.putHex(w1, 16, buffer, 16); ObjectID.putHex(UInt64(w2), 8, buffer, 32)
            return 40
        }
    }

    @inline(__always)
    private static func putHex(_ w: UInt64, _ nibbles: Int, _ buffer: UnsafeMutableBufferPointer<UInt8>, _ i: Int) {
        for k in 0..<nibbles {
            let v = UInt8(truncatingIfNeeded: (w >> UInt64(4 * (nibbles - 1 - k))) & 15)
            buffer[i + k] = v < 10 ? 48 + v : 87 + v
        }
    }

    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
    public static func < (a: ObjectID, b: ObjectID) -> Bool {
        if a.w0 != b.w0 { return a.w0 < b.w0 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        return a.w2 < b.w2
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
