import Foundation
import LineageCore

// Value normalisation, row fingerprints and the compact fingerprint table shared by the leakage
// and quality validators.

/// A column the options name is not in a file's header.
public struct MissingColumnError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var column: String
    public var header: [String]
    public init(path: String, column: String, header: [String]) { self.path = path; self.column = column; self.header = header }
    public var description: String {
        "\(path): no column named \"\(column)\" (the header has: \(header.joined(separator: ", "))); fix the name in lineage.yaml"
    }
}

/// Index of every named column in `header`; throws `MissingColumnError` for the first one not found.
func requireColumns(_ names: [String], in header: [String], path: String) throws -> [Int] {
    var index: [String: Int] = [:]
    for (i, name) in header.enumerated() where index[name] == nil { index[name] = i }
    return try names.map { name in
        guard let i = index[name] else { throw MissingColumnError(path: path, column: name, header: header) }
        return i
    }
}

// MARK: - Normalisation

/// How cell values are made comparable: surrounding whitespace (space, tab, CR, LF, VT, FF) is
/// trimmed; decimal numbers are rewritten to one canonical form, so `1`, `01`, `1.0`, `+1`, `1e0` and
/// `0.1E1` are equal (exactly, without floating-point rounding); with `caseFold`, text is
/// lower-cased (ASCII directly, other text with Unicode lower-casing).
public struct ValueNormalizer: Sendable {
    public var caseFold: Bool
    public init(caseFold: Bool = false) { self.caseFold = caseFold }

    /// The normalised form of `text` (canonical numbers start with the byte 0xFE, which never occurs
    /// in UTF-8 text, so a number can never equal a string).
    public func normalized(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { append($0, to: &out) }
        return out
    }

    /// Appends the normalised form of `field` to `out`.
    public func append(_ field: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var buffer = ByteBuffer(capacity: field.count + 32)
        defer { buffer.free() }
        append(field, to: &buffer)
        out.append(contentsOf: UnsafeBufferPointer(start: buffer.base, count: buffer.count))
    }

    /// Appends the normalised form of `field` to `out`.
    @inline(__always)
    func append(_ field: UnsafeBufferPointer<UInt8>, to out: inout ByteBuffer) {
        guard let base = field.baseAddress, field.count > 0 else { return }
        var lo = 0, hi = field.count
        while lo < hi, isSpace(base[lo]) { lo += 1 }
        while hi > lo, isSpace(base[hi - 1]) { hi -= 1 }
        if lo == hi { return }
        let first = base[lo]
        if first &- 0x30 < 10 || first == 0x2B || first == 0x2D || first == 0x2E {
            if appendCanonicalNumber(base, lo, hi, to: &out) { return }
        }
        if !caseFold { out.append(base + lo, hi - lo); return }
        var ascii = true, upper = false
        for k in lo..<hi {
            let b = base[k]
            if b >= 0x80 { ascii = false; break }
            if b &- 0x41 < 26 { upper = true }
        }
        if ascii {
            if !upper { out.append(base + lo, hi - lo); return }
            for k in lo..<hi { let b = base[k]; out.append(b &- 0x41 < 26 ? b | 0x20 : b) }
        } else {
            let lower = Array(String(decoding: UnsafeBufferPointer(start: base + lo, count: hi - lo), as: UTF8.self).lowercased().utf8)
            lower.withUnsafeBufferPointer { out.append($0.baseAddress!, $0.count) }
        }
    }

    @inline(__always) private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
}

/// A growable byte buffer for one worker's scratch: no copy-on-write, uniqueness or exclusivity
/// checks. The owner calls `free()`.
struct ByteBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    func free() { base.deallocate() }

    @inline(__always) mutating func removeAll() { count = 0 }

    @inline(__always) mutating func append(_ b: UInt8) {
        if count == capacity { grow(count + 1) }
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if count + n > capacity { grow(count + n) }
        let d = base + count
        if n <= 16 {
            for k in 0..<n { d[k] = p[k] }   // short cells: cheaper than a call to memmove
        } else {
            d.update(from: p, count: n)
        }
        count += n
    }

    /// Makes room for `n` more bytes, for `appendUnchecked`.
    @inline(__always) mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    /// Appends without a capacity check, after `reserve`.
    @inline(__always) mutating func appendUnchecked(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    private mutating func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = c
    }
}

/// Appends the canonical form of the decimal number in `b[lo..<hi]` — tag 0xFE, `-` when negative,
/// the significant digits D and `e` E such that the value is 0.D × 10^E (zero is `0`) — or returns
/// false, appending nothing, when the text is not a number.
@inline(__always)
func appendCanonicalNumber(_ b: UnsafePointer<UInt8>, _ lo: Int, _ hi: Int, to out: inout ByteBuffer) -> Bool {
    var i = lo
    var negative = false
    if b[i] == 0x2B || b[i] == 0x2D { negative = b[i] == 0x2D; i += 1 }
    // Fast path: a plain integer without leading zeros, e.g. 718780385 -> 71878038 5 e 9 (trailing zeros dropped).
    if i < hi, b[i] &- 0x31 < 9 {
        var j = i + 1
        while j < hi, b[j] &- 0x30 < 10 { j += 1 }
        if j == hi {
            var last = hi - 1
            while b[last] == 0x30 { last -= 1 }
            out.reserve(hi - lo + 24)
            out.appendUnchecked(0xFE)
            if negative { out.appendUnchecked(0x2D) }
            out.append(b + i, last - i + 1)
            out.appendUnchecked(0x65)
            var e = hi - i
            if e < 10 { out.appendUnchecked(UInt8(0x30 + e)); return true }
            var divisor = 1
            while divisor <= e / 10 { divisor *= 10 }
            while divisor > 0 { out.appendUnchecked(UInt8(0x30 + e / divisor % 10)); e %= divisor; divisor /= 10 }
            return true
        }
    }
    // Mantissa: digits, at most one point, at least one digit.
    var digits = 0, pointPos = -1, firstNonZero = -1, lastNonZero = -1
    let digitsStart = i
    while i < hi {
        let c = b[i]
        if c &- 0x30 < 10 {
            if c != 0x30 { if firstNonZero < 0 { firstNonZero = digits }; lastNonZero = digits }
            digits += 1
        } else if c == 0x2E, pointPos < 0 {
            pointPos = digits
        } else {
            break
        }
        i += 1
    }
    if digits == 0 { return false }
    var exponent = 0
    if i < hi {
        guard b[i] == 0x65 || b[i] == 0x45 else { return false }
        i += 1
        var expNegative = false
        if i < hi, b[i] == 0x2B || b[i] == 0x2D { expNegative = b[i] == 0x2D; i += 1 }
        guard i < hi else { return false }
        while i < hi {
            let d = b[i] &- 0x30
            guard d < 10 else { return false }
            if exponent < 1_000_000_000 { exponent = exponent * 10 + Int(d) }
            i += 1
        }
        if expNegative { exponent = -exponent }
    }
    out.reserve(hi - lo + 24)
    out.appendUnchecked(0xFE)
    if firstNonZero < 0 { out.appendUnchecked(0x30); return true }
    if negative { out.appendUnchecked(0x2D) }
    // The significant digits (digit indexes firstNonZero...lastNonZero), skipping the point: digit
    // index k sits at byte digitsStart + k, plus one when the point comes before it.
    @inline(__always) func byte(ofDigit k: Int) -> Int { digitsStart + k + (pointPos >= 0 && pointPos <= k ? 1 : 0) }
    let sigStart = byte(ofDigit: firstNonZero), sigEnd = byte(ofDigit: lastNonZero) + 1
    if pointPos > firstNonZero && pointPos <= lastNonZero {
        let dot = digitsStart + pointPos
        out.append(b + sigStart, dot - sigStart)
        out.append(b + dot + 1, sigEnd - dot - 1)
    } else {
        out.append(b + sigStart, sigEnd - sigStart)
    }
    let point = pointPos < 0 ? digits : pointPos
    var e = point - firstNonZero + exponent
    out.appendUnchecked(0x65)
    if e < 0 { out.appendUnchecked(0x2D); e = -e }
    if e < 10 { out.appendUnchecked(UInt8(0x30 + e)); return true }
    var divisor = 1
    while divisor <= e / 10 { divisor *= 10 }
    while divisor > 0 { out.appendUnchecked(UInt8(0x30 + e / divisor % 10)); divisor /= 10 }
    return true
}

// MARK: - Fingerprints

/// A 128-bit fingerprint of a normalised value or row (two independent 64-bit wyhash values).
/// (0, 0) is reserved as "no value" and never produced by `RowFingerprinter`.
public struct Fingerprint128: Hashable, Sendable {
    public var lo: UInt64
    public var hi: UInt64
    public init(lo: UInt64, hi: UInt64) { self.lo = lo; self.hi = hi }
    public static let none = Fingerprint128(lo: 0, hi: 0)
    public var isNone: Bool { lo == 0 && hi == 0 }

    /// The fingerprint of `bytes`.
    @inline(__always)
    public static func of(_ bytes: UnsafeRawBufferPointer) -> Fingerprint128 {
        var f = wyhash128(bytes)
        if f.isNone { f.lo = 1 }
        return f
    }
}

/// Builds a row's fingerprint from its normalised fields: each field is followed by the byte 0xFF,
/// which never occurs in UTF-8, so field boundaries cannot shift between rows.
final class RowFingerprinter {
    let normalizer: ValueNormalizer
    @exclusivity(unchecked) private var buffer = ByteBuffer(capacity: 512)
    init(normalizer: ValueNormalizer) { self.normalizer = normalizer }
    deinit { buffer.free() }

    /// The fingerprint of `columns` of the record; `.none` when `skipEmpty` and every one of those
    /// fields is empty after normalisation.
    @inline(__always)
    func fingerprint<R: FieldRecord>(_ reader: R, columns: [Int], skipEmpty: Bool = false) -> Fingerprint128 {
        buffer.removeAll()
        var content = 0
        for c in columns {
            let before = buffer.count
            reader.withField(c) { normalizer.append($0, to: &buffer) }
            content += buffer.count - before
            buffer.append(0xFF)
        }
        if skipEmpty && content == 0 { return .none }
        return Fingerprint128.of(buffer.bytes)
    }
}

@inline(__always)
private func wymix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let r = a.multipliedFullWidth(by: b)
    return r.high ^ r.low
}

/// wyhash (final version 4) of `bytes` with `seed`.
@inline(__always)
func wyhash(_ bytes: UnsafeRawBufferPointer, seed s: UInt64) -> UInt64 {
    let p0: UInt64 = 0x2d35_8dcc_aa6c_78a5, p1: UInt64 = 0x8bb8_4b93_962e_acc9
    let p2: UInt64 = 0x4b33_a62e_d433_d4a3, p3: UInt64 = 0x4d5a_2da5_1de1_aa47
    let len = bytes.count
    var seed = s ^ wymix(s ^ p0, p1)
    var a: UInt64 = 0, b: UInt64 = 0
    guard let base = bytes.baseAddress else { return wymix(p1 ^ 0, wymix(p1, seed)) }
    @inline(__always) func r8(_ o: Int) -> UInt64 { base.loadUnaligned(fromByteOffset: o, as: UInt64.self) }
    @inline(__always) func r4(_ o: Int) -> UInt64 { UInt64(base.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
    if len <= 16 {
        if len >= 4 {
            let q = (len >> 3) << 2
            a = (r4(0) << 32) | r4(q)
            b = (r4(len - 4) << 32) | r4(len - 4 - q)
        } else if len > 0 {
            let p = base.assumingMemoryBound(to: UInt8.self)
            a = (UInt64(p[0]) << 16) | (UInt64(p[len >> 1]) << 8) | UInt64(p[len - 1])
        }
    } else {
        var i = len, o = 0
        if i >= 48 {
            var see1 = seed, see2 = seed
            repeat {
                seed = wymix(r8(o) ^ p1, r8(o + 8) ^ seed)
                see1 = wymix(r8(o + 16) ^ p2, r8(o + 24) ^ see1)
                see2 = wymix(r8(o + 32) ^ p3, r8(o + 40) ^ see2)
                o += 48; i -= 48
            } while i >= 48
            seed ^= see1 ^ see2
        }
        while i > 16 {
            seed = wymix(r8(o) ^ p1, r8(o + 8) ^ seed)
            i -= 16; o += 16
        }
        a = r8(o + i - 16)
        b = r8(o + i - 8)
    }
    a ^= p1; b ^= seed
    let r = a.multipliedFullWidth(by: b)
    return wymix(r.low ^ p0 ^ UInt64(len), r.high ^ p1)
}

/// Two wyhash lanes in one pass over `bytes`: the same loads, independent seeds and secrets.
@inline(__always)
func wyhash128(_ bytes: UnsafeRawBufferPointer) -> Fingerprint128 {
    let p0: UInt64 = 0x2d35_8dcc_aa6c_78a5, p1: UInt64 = 0x8bb8_4b93_962e_acc9
    let q0: UInt64 = 0x4b33_a62e_d433_d4a3, q1: UInt64 = 0x4d5a_2da5_1de1_aa47
    let len = bytes.count
    let s1: UInt64 = 0x9E37_79B9_7F4A_7C15, s2: UInt64 = 0xD1B5_4A32_D192_ED03
    var seed1 = s1 ^ wymix(s1 ^ p0, p1), seed2 = s2 ^ wymix(s2 ^ q0, q1)
    var a: UInt64 = 0, b: UInt64 = 0
    if let base = bytes.baseAddress {
        @inline(__always) func r8(_ o: Int) -> UInt64 { base.loadUnaligned(fromByteOffset: o, as: UInt64.self) }
        @inline(__always) func r4(_ o: Int) -> UInt64 { UInt64(base.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        if len <= 16 {
            if len >= 4 {
                let q = (len >> 3) << 2
                a = (r4(0) << 32) | r4(q)
                b = (r4(len - 4) << 32) | r4(len - 4 - q)
            } else if len > 0 {
                let p = base.assumingMemoryBound(to: UInt8.self)
                a = (UInt64(p[0]) << 16) | (UInt64(p[len >> 1]) << 8) | UInt64(p[len - 1])
            }
        } else {
            var i = len, o = 0
            while i > 16 {
                let x = r8(o), y = r8(o + 8)
                seed1 = wymix(x ^ p1, y ^ seed1)
                seed2 = wymix(x ^ q1, y ^ seed2)
                i -= 16; o += 16
            }
            a = r8(o + i - 16)
            b = r8(o + i - 8)
        }
    }
    let r1 = (a ^ p1).multipliedFullWidth(by: b ^ seed1)
    let r2 = (a ^ q1).multipliedFullWidth(by: b ^ seed2)
    return Fingerprint128(lo: wymix(r1.low ^ p0 ^ UInt64(len), r1.high ^ p1), hi: wymix(r2.low ^ q0 ^ UInt64(len), r2.high ^ q1))
}

// MARK: - Fingerprint table

/// A compact open-addressing set of fingerprints, each with a 32-bit value (a row index). Linear
/// probing over 24-byte slots; the table doubles when 5/8 full. (0, 0) marks an empty slot.
struct Fingerprint128Table {
    struct Slot { var lo: UInt64; var hi: UInt64; var value: UInt32 }
    private(set) var slots: [Slot]
    private(set) var count = 0
    private var mask: Int

    /// A table sized for `expected` entries without growing.
    init(expected: Int) {
        var capacity = 16
        while capacity * 5 < expected * 8 { capacity <<= 1 }
        slots = [Slot](repeating: Slot(lo: 0, hi: 0, value: 0), count: capacity)
        mask = capacity - 1
    }

    var capacity: Int { slots.count }

    /// Inserts `fp` with `value` unless present. Returns the slot and whether it was inserted.
    @inline(__always)
    mutating func insert(_ fp: Fingerprint128, value: UInt32) -> (slot: Int, inserted: Bool) {
        if (count + 1) * 8 > slots.count * 5 { grow() }
        let m = mask
        let result: (Int, Bool) = slots.withUnsafeMutableBufferPointer { s in
            var i = Int(truncatingIfNeeded: fp.hi) & m
            while true {
                let e = s[i]
                if e.lo == 0 && e.hi == 0 {
                    s[i] = Slot(lo: fp.lo, hi: fp.hi, value: value)
                    return (i, true)
                }
                if e.lo == fp.lo && e.hi == fp.hi { return (i, false) }
                i = (i + 1) & m
            }
        }
        if result.1 { count += 1 }
        return (result.0, result.1)
    }

    /// The slot holding `fp`, or nil.
    @inline(__always)
    func find(_ fp: Fingerprint128) -> Int? {
        let m = mask
        return slots.withUnsafeBufferPointer { s -> Int? in
            var i = Int(truncatingIfNeeded: fp.hi) & m
            while true {
                let e = s[i]
                if e.lo == fp.lo && e.hi == fp.hi { return i }
                if e.lo == 0 && e.hi == 0 { return nil }
                i = (i + 1) & m
            }
        }
    }

    @inline(__always) func value(at slot: Int) -> UInt32 { slots[slot].value }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(lo: 0, hi: 0, value: 0), count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for e in old where !(e.lo == 0 && e.hi == 0) {
            _ = insert(Fingerprint128(lo: e.lo, hi: e.hi), value: e.value)
        }
    }
}

// MARK: - Small shared helpers

/// Runs `body(i)` for i in 0..<count on up to `count` threads and returns the results in order,
/// rethrowing the first error (by index): LineageCore's `parallelMap`, one thread per piece.
func runConcurrently<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
    try parallelMap(count, workers: count) { i, _ in try body(i) }
}

/// A deterministic 64-bit generator (SplitMix64), for reservoir sampling that repeats exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Mapped files

/// A read-only memory map of a whole file.
final class MappedFile {
    let base: UnsafePointer<UInt8>?
    let count: Int
    private let mapping: UnsafeMutableRawPointer?

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TableReadError(path: path, line: 0, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TableReadError(path: path, line: 0, message: "cannot stat: \(String(cString: strerror(errno)))") }
        count = Int(st.st_size)
        if count == 0 { base = nil; mapping = nil; return }
        guard let m = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), m != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw TableReadError(path: path, line: 0, message: "cannot map: \(String(cString: strerror(errno)))")
        }
        madvise(m, count, MADV_SEQUENTIAL)
        mapping = m
        base = UnsafePointer(m.assumingMemoryBound(to: UInt8.self))
    }

    deinit { if let mapping { munmap(mapping, count) } }
}

/// Read-only bytes shared by scanning threads (the owner keeps them alive for the scan).
struct SharedBytes: @unchecked Sendable {
    let bytes: UnsafeBufferPointer<UInt8>
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }
}
