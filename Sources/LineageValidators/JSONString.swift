/// The one reader of JSON string literals in the validators (JSON Lines records, Table Schema files,
/// `object`/`array`/`geojson` cells), so they agree on what a string is (RFC 8259):
/// the escapes `\" \\ \/ \b \f \n \r \t \uXXXX`, no raw control characters, and a `\uXXXX`
/// surrogate only as half of a high-low pair. A lone or reversed surrogate (`"\ud800A"`) is not a
/// character and cannot be written as UTF-8: it is a located error, never replaced or guessed at.
enum JSONString {
    struct Failure: Error, Equatable {
        var message: String
        /// 0-based byte offset of the problem.
        var offset: Int
    }

    /// Reads the string literal whose opening quote is at `bytes[i]`, appending its text as UTF-8 to
    /// `out`; `i` ends just after the closing quote.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, at i: inout Int, into out: inout [UInt8]) throws(Failure) {
        guard i < bytes.count, bytes[i] == 0x22 else { throw Failure(message: "expected a string", offset: i) }
        i += 1
        var runStart = i
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x22 {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                i += 1
                return
            }
            if c < 0x20 { throw Failure(message: "invalid control character in string (write it as \\u00\(hex2(c)))", offset: i) }
            guard c == 0x5C else { i += 1; continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            let escape = i
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(bytes, at: &i, escape: escape)
                if (0xDC00...0xDFFF).contains(scalar) {
                    throw Failure(message: "\\u\(hex(scalar)) is the second half of a UTF-16 surrogate pair without its first half; it is not a character", offset: escape)
                }
                if (0xD800...0xDBFF).contains(scalar) {
                    let high = scalar
                    guard i + 1 < bytes.count, bytes[i] == 0x5C, bytes[i + 1] == UInt8(ascii: "u") else {
                        throw Failure(message: "\\u\(hex(high)) is the first half of a UTF-16 surrogate pair without its second half; it is not a character", offset: escape)
                    }
                    i += 2
                    let low = try hex4(bytes, at: &i, escape: i - 2)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw Failure(message: "\\u\(hex(high)) is the first half of a UTF-16 surrogate pair but \\u\(hex(low)) is not its second half; it is not a character", offset: escape)
                    }
                    scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                }
                appendUTF8(scalar, to: &out)
            default:
                throw Failure(message: "invalid escape \\\(Character(Unicode.Scalar(e)))", offset: escape)
            }
            runStart = i
        }
        throw Failure(message: "unterminated string", offset: i)
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, at i: inout Int, escape: Int) throws(Failure) -> UInt32 {
        guard i + 4 <= bytes.count else { throw Failure(message: "invalid \\uXXXX escape", offset: escape) }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[i + k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw Failure(message: "invalid \\uXXXX escape", offset: escape)
            }
            v = v << 4 | d
        }
        i += 4
        return v
    }

    /// A Unicode scalar value (not a surrogate, at most U+10FFFF) as UTF-8.
    @inline(__always)
    private static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80: out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | v >> 6)); out.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | v >> 12)); out.append(UInt8(0x80 | v >> 6 & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        default:
            out.append(UInt8(0xF0 | v >> 18)); out.append(UInt8(0x80 | v >> 12 & 0x3F))
            out.append(UInt8(0x80 | v >> 6 & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        }
    }

    private static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    private static func hex2(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16) }
}
