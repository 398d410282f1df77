import Foundation

/// A decimal number as Python's `decimal.Decimal` holds it, normalised so that equal values are
/// equal structs: `1`, `1.0`, `1e0` and `+1.00` are the same number, as they are to frictionless
/// (which keys `unique`, `primaryKey` and `enum` on Python values).
struct SchemaDecimal: Hashable, Sendable {
    enum Kind: UInt8, Sendable { case finite, infinity, nan }
    var kind: Kind = .finite
    var negative = false
    /// value = coefficient × 10^exponent, coefficient without trailing zeros (0 for zero).
    var coefficient: UInt64 = 0
    var exponent: Int = 0
    /// Digits (0…9) of a coefficient too large for UInt64; no leading or trailing zeros.
    var bigDigits: [UInt8]? = nil

    static let zero = SchemaDecimal()
    static func integer(_ v: Int) -> SchemaDecimal {
        var d = SchemaDecimal()
        d.negative = v < 0
        d.coefficient = UInt64(v.magnitude)
        d.normalise()
        return d
    }

    var isNaN: Bool { kind == .nan }

    /// The exact value as an Int64 when it is a finite integer that fits (1.0 and 1e2 included).
    @inline(__always)
    var exactInt: Int64? {
        guard kind == .finite, bigDigits == nil else { return nil }
        if coefficient == 0 { return 0 }
        var c = coefficient
        if exponent >= 0 {
            if exponent > 18 { return nil }
            for _ in 0..<exponent {
                let (m, o) = c.multipliedReportingOverflow(by: 10)
                if o { return nil }
                c = m
            }
        } else {
            if exponent < -19 { return nil }
            for _ in 0..<(-exponent) {
                if c % 10 != 0 { return nil }
                c /= 10
            }
        }
        guard c <= UInt64(Int64.max) else { return nil }
        return negative ? -Int64(c) : Int64(c)
    }
    var isZero: Bool { kind == .finite && bigDigits == nil && coefficient == 0 }

    /// The value as an Int, when it is a finite integer that fits.
    var intValue: Int? {
        guard kind == .finite, bigDigits == nil, exponent >= 0, exponent < 19 else { return nil }
        var v = coefficient
        for _ in 0..<exponent {
            let (m, o) = v.multipliedReportingOverflow(by: 10)
            if o { return nil }
            v = m
        }
        guard v <= UInt64(Int.max) else { return nil }
        return negative ? -Int(v) : Int(v)
    }

    var doubleValue: Double {
        switch kind {
        case .nan: return .nan
        case .infinity: return negative ? -.infinity : .infinity
        case .finite:
            let text = (negative ? "-" : "") + digitString + "e" + String(exponent)
            return Double(text) ?? .nan
        }
    }

    var digitString: String {
        if let big = bigDigits { return String(decoding: big.map { $0 + 0x30 }, as: UTF8.self) }
        return String(coefficient)
    }

    /// Python's `str(Decimal)` closely enough for messages.
    var description: String {
        switch kind {
        case .nan: return "NaN"
        case .infinity: return negative ? "-Infinity" : "Infinity"
        case .finite:
            let digits = digitString
            var s: String
            if exponent >= 0 {
                s = exponent > 6 ? digits + "E+" + String(exponent) : digits + String(repeating: "0", count: exponent)
            } else if -exponent < digits.count {
                let cut = digits.index(digits.endIndex, offsetBy: exponent)
                s = digits[..<cut] + "." + digits[cut...]
            } else {
                s = "0." + String(repeating: "0", count: -exponent - digits.count) + digits
            }
            if isZero { s = "0" }
            return (negative ? "-" : "") + s
        }
    }

    /// Strips trailing zeros; moves a big coefficient that fits back into `coefficient`.
    mutating func normalise() {
        guard kind == .finite else { coefficient = 0; exponent = 0; bigDigits = nil; return }
        if var big = bigDigits {
            while let first = big.first, first == 0 { big.removeFirst() }
            while let last = big.last, last == 0 { big.removeLast(); exponent += 1 }
            if big.isEmpty { bigDigits = nil; coefficient = 0 }
            else if big.count <= 19 {
                var v: UInt64 = 0
                var fits = true
                for d in big {
                    let (m, o1) = v.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(UInt64(d))
                    if o1 || o2 { fits = false; break }
                    v = a
                }
                if fits { coefficient = v; bigDigits = nil } else { bigDigits = big }
            } else {
                bigDigits = big
            }
        }
        if bigDigits == nil {
            if coefficient == 0 { exponent = 0; negative = false; return }
            while coefficient % 10 == 0 { coefficient /= 10; exponent += 1 }
        }
    }

    private var digits: [UInt8] {
        if let big = bigDigits { return big }
        return Array(String(coefficient).utf8).map { $0 - 0x30 }
    }

    /// Number of coefficient digits.
    private var digitCount: Int {
        if let big = bigDigits { return big.count }
        var n = 1
        var v = coefficient
        while v >= 10 { v /= 10; n += 1 }
        return n
    }

    /// Total order of Python's Decimal; nil when either is NaN (every comparison with NaN is false).
    static func compare(_ a: SchemaDecimal, _ b: SchemaDecimal) -> Int? {
        if a.kind == .nan || b.kind == .nan { return nil }
        func signum(_ x: SchemaDecimal) -> Int { x.isZero ? 0 : (x.negative ? -1 : 1) }
        let sa = signum(a), sb = signum(b)
        if sa != sb { return sa < sb ? -1 : 1 }
        if sa == 0 { return 0 }
        // Common case: both coefficients small, exponents close — compare in 128 bits.
        if a.kind == .finite, b.kind == .finite, a.bigDigits == nil, b.bigDigits == nil, abs(a.exponent - b.exponent) <= 19 {
            let k = abs(a.exponent - b.exponent)
            var p: UInt64 = 1
            for _ in 0..<k { p &*= 10 }
            let magnitude: Int
            if a.exponent >= b.exponent {
                let (hi, lo) = a.coefficient.multipliedFullWidth(by: p)
                magnitude = hi != 0 || lo > b.coefficient ? 1 : (lo == b.coefficient ? 0 : -1)
            } else {
                let (hi, lo) = b.coefficient.multipliedFullWidth(by: p)
                magnitude = hi != 0 || lo > a.coefficient ? -1 : (lo == a.coefficient ? 0 : 1)
            }
            return sa > 0 ? magnitude : -magnitude
        }
        let magnitude: Int
        switch (a.kind, b.kind) {
        case (.infinity, .infinity): magnitude = 0
        case (.infinity, _): magnitude = 1
        case (_, .infinity): magnitude = -1
        default:
            let ea = a.exponent + a.digitCount, eb = b.exponent + b.digitCount
            if ea != eb {
                magnitude = ea < eb ? -1 : 1
            } else {
                let da = a.digits, db = b.digits
                var m = 0
                for k in 0..<max(da.count, db.count) {
                    let x = k < da.count ? da[k] : 0, y = k < db.count ? db[k] : 0
                    if x != y { m = x < y ? -1 : 1; break }
                }
                magnitude = m
            }
        }
        return sa > 0 ? magnitude : -magnitude
    }

    /// The canonical key bytes of a number (shared by integer, number, year and boolean cells,
    /// since Python's `1 == Decimal("1.0") == True`).
    func appendKey(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "N"))
        switch kind {
        case .nan: out.append(UInt8(ascii: "?"))
        case .infinity: out.append(negative ? UInt8(ascii: "-") : UInt8(ascii: "+")); out.append(UInt8(ascii: "i"))
        case .finite:
            out.append(negative ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            withUnsafeBytes(of: Int64(exponent).littleEndian) { out.append(contentsOf: $0) }
            if let big = bigDigits { out.append(UInt8(big.count)); out.append(contentsOf: big) }
            else { withUnsafeBytes(of: coefficient.littleEndian) { out.append(contentsOf: $0) } }
        }
    }
}

/// A finite decimal with a coefficient of at most 19 digits: a plain value (no allocation, no
/// reference counting) for the hot path. Same semantics as `SchemaDecimal`; not normalised.
struct SchemaSmallDecimal {
    var negative: Bool
    var coefficient: UInt64
    var exponent: Int

    @inline(__always)
    var decimal: SchemaDecimal {
        var d = SchemaDecimal()
        d.negative = negative
        d.coefficient = coefficient
        d.exponent = exponent
        return d
    }

    /// `SchemaDecimal.compare` for two small values.
    @inline(__always)
    static func compare(_ a: SchemaSmallDecimal, _ b: SchemaSmallDecimal) -> Int {
        let sa = a.coefficient == 0 ? 0 : (a.negative ? -1 : 1)
        let sb = b.coefficient == 0 ? 0 : (b.negative ? -1 : 1)
        if sa != sb { return sa < sb ? -1 : 1 }
        if sa == 0 { return 0 }
        let k = a.exponent - b.exponent
        var magnitude: Int
        if k == 0 {
            magnitude = a.coefficient == b.coefficient ? 0 : (a.coefficient < b.coefficient ? -1 : 1)
        } else if abs(k) <= 19 {
            var p: UInt64 = 1
            for _ in 0..<abs(k) { p &*= 10 }
            if k > 0 {
                let (hi, lo) = a.coefficient.multipliedFullWidth(by: p)
                magnitude = hi != 0 || lo > b.coefficient ? 1 : (lo == b.coefficient ? 0 : -1)
            } else {
                let (hi, lo) = b.coefficient.multipliedFullWidth(by: p)
                magnitude = hi != 0 || lo > a.coefficient ? -1 : (lo == a.coefficient ? 0 : 1)
            }
        } else {
            return SchemaDecimal.compare(a.decimal, b.decimal) ?? 0
        }
        return sa > 0 ? magnitude : -magnitude
    }

    /// The key hash, equal to `SchemaHasher.hash(decimal)`.
    @inline(__always)
    var keyHash: UInt64 {
        var c = coefficient, e = exponent
        if c == 0 { return SchemaHasher.hashFinite(negative: false, coefficient: 0, exponent: 0) }
        while c % 10 == 0 { c /= 10; e += 1 }
        return SchemaHasher.hashFinite(negative: negative, coefficient: c, exponent: e)
    }

    /// The exact value as an Int64 when it is an integer that fits.
    @inline(__always)
    var exactInt: Int64? {
        if exponent == 0 { return coefficient <= UInt64(Int64.max) ? (negative ? -Int64(coefficient) : Int64(coefficient)) : nil }
        return decimal.exactInt
    }
}

/// Parsers with Python's semantics for the text of integer and number cells.
enum SchemaNumberParser {
    // MARK: - Python's str.strip() and int()

    /// Python's `str.isspace()` for one scalar (what `str.strip()` removes).
    @inline(__always)
    static func isPythonSpace(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Python's `str.strip()` (frictionless strips header labels with it).
    static func pythonStrip(_ s: String) -> String {
        let u = Array(s.unicodeScalars)
        var lo = 0, hi = u.count
        while lo < hi, isPythonSpace(u[lo]) { lo += 1 }
        while hi > lo, isPythonSpace(u[hi - 1]) { hi -= 1 }
        return String(String.UnicodeScalarView(u[lo..<hi]))
    }

    @inline(__always)
    static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x1F) }

    /// The cell with Python's `str.strip()` applied, non-ASCII digits mapped to ASCII (as `int()` and
    /// `Decimal()` read them) — or nil when the cell holds a non-ASCII character other than a digit
    /// or space (no number can contain one). ASCII-only cells come back unchanged but stripped.
    static func asciiNumberText(_ cell: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var hasHigh = false
        for b in cell where b >= 0x80 { hasHigh = true; break }
        if !hasHigh {
            var lo = 0, hi = cell.count
            while lo < hi, isASCIISpace(cell[lo]) { lo += 1 }
            while hi > lo, isASCIISpace(cell[hi - 1]) { hi -= 1 }
            return Array(cell[lo..<hi])
        }
        let scalars = Array(String(decoding: cell, as: UTF8.self).unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi, isPythonSpace(scalars[lo]) { lo += 1 }
        while hi > lo, isPythonSpace(scalars[hi - 1]) { hi -= 1 }
        var out: [UInt8] = []
        for u in scalars[lo..<hi] {
            if u.isASCII { out.append(UInt8(u.value)); continue }
            if u.properties.generalCategory == .decimalNumber, let v = u.properties.numericValue, v >= 0, v <= 9 {
                out.append(0x30 + UInt8(v))
                continue
            }
            return nil
        }
        return out
    }

    /// Python's `int(text)` on a cell: surrounding spaces, a sign, digits with single underscores
    /// between them, non-ASCII decimal digits. Exact for any size.
    static func pythonInt(_ cell: UnsafeBufferPointer<UInt8>) -> SchemaDecimal? {
        // Fast path: [+-]?[0-9]{1,18}
        let n = cell.count
        if n > 0 && n <= 19 {
            var i = 0
            var negative = false
            if cell[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if cell[0] == UInt8(ascii: "+") { i = 1 }
            if i < n && n - i <= 18 {
                var v: UInt64 = 0
                var ok = true
                while i < n {
                    let d = cell[i] &- 0x30
                    if d > 9 { ok = false; break }
                    v = v &* 10 &+ UInt64(d)
                    i += 1
                }
                if ok {
                    var r = SchemaDecimal()
                    r.negative = negative
                    r.coefficient = v
                    // Normalised lazily (hashing normalises; comparisons do not need it).
                    return r
                }
            }
        }
        guard let text = asciiNumberText(cell) else { return nil }
        return text.withUnsafeBufferPointer { pythonIntASCII($0) }
    }

    /// `int()` on already-stripped ASCII text.
    static func pythonIntASCII(_ t: UnsafeBufferPointer<UInt8>) -> SchemaDecimal? {
        var i = 0
        var r = SchemaDecimal()
        if i < t.count, t[i] == UInt8(ascii: "-") || t[i] == UInt8(ascii: "+") { r.negative = t[i] == UInt8(ascii: "-"); i += 1 }
        var digits: [UInt8] = []
        var lastWasDigit = false
        while i < t.count {
            let c = t[i]
            if c >= 0x30 && c <= 0x39 { digits.append(c - 0x30); lastWasDigit = true }
            else if c == UInt8(ascii: "_") && lastWasDigit && i + 1 < t.count && t[i + 1] >= 0x30 && t[i + 1] <= 0x39 { lastWasDigit = false }
            else { return nil }
            i += 1
        }
        guard !digits.isEmpty else { return nil }
        r.bigDigits = digits
        r.normalise()
        return r
    }

    /// `int()` on bytes of a `bytes` object (dateutil's isoparser calls it on 2- and 4-byte
    /// slices): ASCII whitespace, sign, digits and underscores. Small values only.
    @inline(__always)
    static func pythonSmallInt(_ t: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int? {
        // Fast path: all digits.
        if hi > lo {
            var v = 0
            var k = lo
            while k < hi {
                let d = t[k] &- 0x30
                if d > 9 { break }
                v = v * 10 + Int(d)
                k += 1
            }
            if k == hi { return v }
        }
        guard hi > lo else { return nil }
        var a = lo, b = hi
        while a < b, isASCIISpace(t[a]) { a += 1 }
        while b > a, isASCIISpace(t[b - 1]) { b -= 1 }
        guard let d = pythonIntASCII(UnsafeBufferPointer(rebasing: t[a..<b])) else { return nil }
        return d.intValue
    }

    // MARK: - Decimal()

    /// Python's `Decimal(text.strip())`: sign, digits with an optional point and exponent, `Inf`,
    /// `Infinity`, `NaN` (any case), underscores ignored, non-ASCII digits read.
    static func pythonDecimal(_ cell: UnsafeBufferPointer<UInt8>) -> SchemaDecimal? {
        if let fast = decimalFast(cell) { return fast }
        guard let text = asciiNumberText(cell) else { return nil }
        let cleaned = text.filter { $0 != UInt8(ascii: "_") }
        return cleaned.withUnsafeBufferPointer { decimalGrammar($0) }
    }

    @inline(__always)
    static func decimalFast(_ t: UnsafeBufferPointer<UInt8>) -> SchemaDecimal? {
        smallDecimal(t)?.decimal
    }

    /// `[+-]?[0-9]{1,18}`: an integer cell in its common shape. Nil means "take the general path".
    @inline(__always)
    static func smallInt(_ cell: UnsafeBufferPointer<UInt8>) -> SchemaSmallDecimal? {
        let n = cell.count
        guard n > 0 && n <= 19 else { return nil }
        var i = 0
        var negative = false
        if cell[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if cell[0] == UInt8(ascii: "+") { i = 1 }
        guard i < n && n - i <= 18 else { return nil }
        var v: UInt64 = 0
        while i < n {
            let d = cell[i] &- 0x30
            if d > 9 { return nil }
            v = v &* 10 &+ UInt64(d)
            i += 1
        }
        return SchemaSmallDecimal(negative: negative, coefficient: v, exponent: 0)
    }

    /// The common shape `[+-]?[0-9]*(\.[0-9]*)?([eE][+-]?[0-9]+)?` with at most 19 significant
    /// digits, parsed without allocating. Nil means "take the general path", not "invalid".
    @inline(__always)
    static func smallDecimal(_ t: UnsafeBufferPointer<UInt8>) -> SchemaSmallDecimal? {
        let n = t.count
        var i = 0
        var r = SchemaDecimal()
        guard n > 0 else { return nil }
        if t[0] == UInt8(ascii: "-") { r.negative = true; i = 1 } else if t[0] == UInt8(ascii: "+") { i = 1 }
        var coefficient: UInt64 = 0
        var significant = 0
        var anyDigit = false
        var exponent = 0
        // Integer part.
        while i < n {
            let d = t[i] &- 0x30
            if d > 9 { break }
            anyDigit = true
            if coefficient != 0 || d != 0 {
                significant += 1
                if significant > 19 { return nil }
                coefficient = coefficient &* 10 &+ UInt64(d)
            }
            i += 1
        }
        if i < n && t[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = t[i] &- 0x30
                if d > 9 { break }
                anyDigit = true
                if coefficient != 0 || d != 0 {
                    significant += 1
                    if significant > 19 { return nil }
                    coefficient = coefficient &* 10 &+ UInt64(d)
                }
                exponent -= 1
                i += 1
            }
        }
        guard anyDigit else { return nil }
        if i < n && (t[i] == UInt8(ascii: "e") || t[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < n && (t[i] == UInt8(ascii: "-") || t[i] == UInt8(ascii: "+")) { expNegative = t[i] == UInt8(ascii: "-"); i += 1 }
            var e = 0, count = 0
            while i < n {
                let d = t[i] &- 0x30
                if d > 9 { break }
                e = e &* 10 &+ Int(d)
                count += 1
                if count > 17 { return nil }
                i += 1
            }
            guard count > 0 else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return nil }
        if significant > 19 { return nil }
        // 19 digits always fit in a UInt64 (< 1.8e19). Not normalised: hashing normalises,
        // comparisons do not need it.
        return SchemaSmallDecimal(negative: r.negative, coefficient: coefficient, exponent: exponent)
    }

    /// The full grammar on stripped ASCII text without underscores.
    static func decimalGrammar(_ t: UnsafeBufferPointer<UInt8>) -> SchemaDecimal? {
        let n = t.count
        var i = 0
        var r = SchemaDecimal()
        if i < n, t[i] == UInt8(ascii: "-") || t[i] == UInt8(ascii: "+") { r.negative = t[i] == UInt8(ascii: "-"); i += 1 }
        func lower(_ k: Int) -> UInt8 { t[k] | 0x20 }
        func matches(_ word: String, at k: Int) -> Bool {
            let w = Array(word.utf8)
            guard k + w.count <= n else { return false }
            for j in 0..<w.count where lower(k + j) != w[j] { return false }
            return true
        }
        if i < n, lower(i) == UInt8(ascii: "i") {
            if (n - i == 3 && matches("inf", at: i)) || (n - i == 8 && matches("infinity", at: i)) {
                r.kind = .infinity
                return r
            }
            return nil
        }
        if i < n, lower(i) == UInt8(ascii: "n") || lower(i) == UInt8(ascii: "s") {
            var k = i
            if lower(k) == UInt8(ascii: "s") { k += 1 }
            guard matches("nan", at: k) else { return nil }
            k += 3
            while k < n { guard t[k] >= 0x30 && t[k] <= 0x39 else { return nil }; k += 1 }
            r.kind = .nan
            r.negative = false
            return r
        }
        var digits: [UInt8] = []
        var exponent = 0
        var anyDigit = false
        while i < n, t[i] >= 0x30, t[i] <= 0x39 { digits.append(t[i] - 0x30); anyDigit = true; i += 1 }
        if i < n, t[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, t[i] >= 0x30, t[i] <= 0x39 { digits.append(t[i] - 0x30); anyDigit = true; exponent -= 1; i += 1 }
        }
        guard anyDigit else { return nil }
        if i < n, lower(i) == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < n, t[i] == UInt8(ascii: "-") || t[i] == UInt8(ascii: "+") { expNegative = t[i] == UInt8(ascii: "-"); i += 1 }
            var e = 0, count = 0
            while i < n, t[i] >= 0x30, t[i] <= 0x39 {
                e = e * 10 + Int(t[i] - 0x30)
                count += 1
                if count > 18 { return nil }
                i += 1
            }
            guard count > 0 else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return nil }
        r.bigDigits = digits
        r.exponent = exponent
        r.normalise()
        return r
    }

    /// Decimal for a number given in the schema (JSON), as frictionless reads it: an int exactly, a
    /// float through Python's `str(float)`, a string through `Decimal(str)`.
    static func decimal(json: SchemaJSON) -> SchemaDecimal? {
        switch json {
        case .number:
            if json.isIntegerLiteral, case let .number(text) = json {
                return Array(text.utf8).withUnsafeBufferPointer { pythonIntASCII($0) }
            }
            guard let d = json.doubleValue else { return nil }
            if d.isNaN { var r = SchemaDecimal(); r.kind = .nan; return r }
            if d.isInfinite { var r = SchemaDecimal(); r.kind = .infinity; r.negative = d < 0; return r }
            return Array("\(d)".utf8).withUnsafeBufferPointer { decimalGrammar($0) }
        case let .string(s):
            return Array(s.utf8).withUnsafeBufferPointer { pythonDecimal($0) }
        default:
            return nil
        }
    }
}
