/// The one UTF-8 check of the validators (tables of every format, JSON Lines lines, Table Schema
/// files, the sniffer's sample): RFC 3629 — no overlong forms, no surrogates (U+D800…U+DFFF), nothing
/// past U+10FFFF, no truncated sequence. A table is checked on its raw bytes, as Python decodes a
/// file before its `csv` module parses it: quotes and delimiters are ASCII, so valid raw bytes make
/// valid fields, and invalid raw bytes are refused even where unquoting would join them into a
/// character (`"\xC3"\xA9`).
enum UTF8Check {
    /// The index of the first byte of `p[from..<to]` that is not part of valid UTF-8, or nil.
    @inline(__always)
    static func firstInvalid(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
        let raw = UnsafeRawPointer(p)
        var i = from
        // ASCII, 32 bytes at a time (the common case: one test per 32 bytes).
        while i + 32 <= to {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) | raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                | raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self) | raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)
            if w & 0x8080_8080_8080_8080 != 0 { break }
            i += 32
        }
        return i == to ? nil : slowPath(p, i, to)
    }

    /// True when all of `bytes` is valid UTF-8.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return firstInvalid(base, 0, bytes.count) == nil
    }

    static func isValid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { isValid($0) } }

    private static func slowPath(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
        let raw = UnsafeRawPointer(p)
        var i = from
        while i < to {
            while i + 8 <= to, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
            if i >= to { break }
            let b = p[i]
            if b < 0x80 { i += 1; continue }
            let need: Int, min: UInt32
            var cp: UInt32
            if b & 0xE0 == 0xC0 { need = 1; cp = UInt32(b & 0x1F); min = 0x80 }
            else if b & 0xF0 == 0xE0 { need = 2; cp = UInt32(b & 0x0F); min = 0x800 }
            else if b & 0xF8 == 0xF0 { need = 3; cp = UInt32(b & 0x07); min = 0x10000 }
            else { return i }
            if i + need >= to { return i }
            for k in 1...need {
                let c = p[i + k]
                guard c & 0xC0 == 0x80 else { return i }
                cp = (cp << 6) | UInt32(c & 0x3F)
            }
            if cp < min || cp > 0x10FFFF || (0xD800...0xDFFF).contains(cp) { return i }
            i += need + 1
        }
        return nil
    }
}

/// Physical line (1-based) of byte `pos` of `base[0..<count]`: the line ends before it (LF, CRLF
/// and a lone CR each count once, inside quoted fields too) plus one — how every reader numbers lines.
func physicalLine(_ base: UnsafePointer<UInt8>, count: Int, at pos: Int) -> Int {
    var lines = 1
    for i in 0..<min(pos, count) {
        let b = base[i]
        if b == 0x0A || (b == 0x0D && (i + 1 >= count || base[i + 1] != 0x0A)) { lines += 1 }
    }
    return lines
}
