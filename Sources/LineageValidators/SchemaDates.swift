import Foundation

/// A parsed date, time or datetime, as Python's `datetime` objects compare: aware values (with a
/// UTC offset) by their instant, naive ones by their fields; aware and naive are never equal.
struct SchemaTemporal: Hashable, Sendable {
    /// Days since 1970-01-01 (0 for a time of day).
    var days: Int
    /// Microseconds since midnight.
    var micros: Int
    /// UTC offset in seconds for an aware value.
    var offset: Int?

    /// Microseconds on one scale: UTC for aware values, local fields for naive ones.
    var ordinal: Int { days * 86_400_000_000 + micros - (offset ?? 0) * 1_000_000 }

    func appendKey(tag: UInt8, to out: inout [UInt8]) {
        out.append(tag)
        out.append(offset == nil ? 0 : 1)
        withUnsafeBytes(of: Int64(ordinal).littleEndian) { out.append(contentsOf: $0) }
    }
}

/// Calendar arithmetic (proleptic Gregorian, as Python's `datetime`).
enum SchemaCalendar {
    static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        default: return isLeap(y) ? 29 : 28
        }
    }

    /// Python's `date(y, m, d)` accepts it.
    @inline(__always)
    static func isValid(_ y: Int, _ m: Int, _ d: Int) -> Bool {
        y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func days(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// ISO weekday, Monday = 1.
    static func isoWeekday(days: Int) -> Int { ((days % 7) + 7 + 3) % 7 + 1 }
}

/// dateutil's `isoparse` (what frictionless uses for default `datetime` and `time`), ported
/// step for step onto bytes: the same accepted forms and the same quirks.
enum SchemaISOParser {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// Full datetime: date, then optionally any one separator character and a time.
    static func datetime(_ s: Bytes) -> SchemaTemporal? {
        for b in s where b >= 0x80 { return nil }   // isoparse takes ASCII only
        guard let (y, m, d, pos) = isodate(s) else { return nil }
        var hour = 0, minute = 0, second = 0, micro = 0
        var offset: Int? = nil
        if s.count > pos {
            guard let t = isotime(s, from: pos + 1) else { return nil }
            (hour, minute, second, micro, offset) = t
        }
        var extraDay = 0
        if hour == 24 { hour = 0; extraDay = 1 }
        guard SchemaCalendar.isValid(y, m, d), hour < 24, minute < 60, second < 60 else { return nil }
        let days = SchemaCalendar.days(y, m, d) + extraDay
        if extraDay == 1 && days > SchemaCalendar.days(9999, 12, 31) { return nil }
        return SchemaTemporal(days: days, micros: ((hour * 60 + minute) * 60 + second) * 1_000_000 + micro, offset: offset)
    }

    /// `_parse_isodate`: the common forms, else the uncommon (week and ordinal dates).
    static func isodate(_ s: Bytes) -> (Int, Int, Int, Int)? {
        if let r = isodateCommon(s) { return r }
        return isodateUncommon(s)
    }

    private static func isodateCommon(_ s: Bytes) -> (Int, Int, Int, Int)? {
        let n = s.count
        guard n >= 4, let year = SchemaNumberParser.pythonSmallInt(s, 0, 4) else { return nil }
        var pos = 4
        if pos >= n { return (year, 1, 1, pos) }
        let hasSep = s[pos] == UInt8(ascii: "-")
        if hasSep { pos += 1 }
        guard n - pos >= 2, let month = SchemaNumberParser.pythonSmallInt(s, pos, pos + 2) else { return nil }
        pos += 2
        if pos >= n { return hasSep ? (year, month, 1, pos) : nil }
        if hasSep {
            guard s[pos] == UInt8(ascii: "-") else { return nil }
            pos += 1
        }
        guard n - pos >= 2, let day = SchemaNumberParser.pythonSmallInt(s, pos, pos + 2) else { return nil }
        return (year, month, day, pos + 2)
    }

    private static func isodateUncommon(_ s: Bytes) -> (Int, Int, Int, Int)? {
        let n = s.count
        guard n >= 4, let year = SchemaNumberParser.pythonSmallInt(s, 0, 4) else { return nil }
        let hasSep = n > 4 && s[4] == UInt8(ascii: "-")
        var pos = 4 + (hasSep ? 1 : 0)
        let base: Int
        if pos < n && s[pos] == UInt8(ascii: "W") {
            pos += 1
            guard let week = SchemaNumberParser.pythonSmallInt(s, pos, min(pos + 2, n)) else { return nil }
            pos += 2
            var day = 1
            if n > pos {
                if (s[pos] == UInt8(ascii: "-")) != hasSep { return nil }
                pos += hasSep ? 1 : 0
                guard let d = SchemaNumberParser.pythonSmallInt(s, min(pos, n), min(pos + 1, n)) else { return nil }
                day = d
                pos += 1
            }
            guard week > 0 && week < 54, day > 0 && day < 8, year >= 1 && year <= 9999 else { return nil }
            let jan4 = SchemaCalendar.days(year, 1, 4)
            let week1 = jan4 - (SchemaCalendar.isoWeekday(days: jan4) - 1)
            base = week1 + (week - 1) * 7 + (day - 1)
        } else {
            guard n - pos >= 3, let ordinal = SchemaNumberParser.pythonSmallInt(s, pos, pos + 3) else { return nil }
            pos += 3
            guard ordinal >= 1, ordinal <= 365 + (SchemaCalendar.isLeap(year) ? 1 : 0), year >= 1 && year <= 9999 else { return nil }
            base = SchemaCalendar.days(year, 1, 1) + ordinal - 1
        }
        let c = SchemaCalendar.civil(base)
        guard c.year >= 1 && c.year <= 9999 else { return nil }
        return (c.year, c.month, c.day, pos)
    }

    /// `_parse_isotime` on `s[from...]`: (hour, minute, second, microsecond, offset).
    static func isotime(_ s: Bytes, from start: Int) -> (Int, Int, Int, Int, Int?)? {
        let n = s.count
        guard n - start >= 2 else { return nil }
        var comps = [0, 0, 0, 0]
        var offset: Int? = nil
        var pos = start
        var comp = -1
        var hasSep = false
        while pos < n && comp < 5 {
            comp += 1
            let c = s[pos]
            if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                guard let tz = tzstr(s, pos, n) else { return nil }
                offset = tz
                pos = n
                break
            }
            if comp == 1 && c == UInt8(ascii: ":") {
                hasSep = true
                pos += 1
            } else if comp == 2 && hasSep {
                guard c == UInt8(ascii: ":") else { return nil }
                pos += 1
            }
            if comp < 3 {
                guard pos < n, let v = SchemaNumberParser.pythonSmallInt(s, pos, min(pos + 2, n)) else { return nil }
                comps[comp] = v
                pos += 2
            }
            if comp == 3 {
                // [.,]([0-9]+)
                guard pos < n, s[pos] == UInt8(ascii: ".") || s[pos] == UInt8(ascii: ","), pos + 1 < n, s[pos + 1] >= 0x30, s[pos + 1] <= 0x39 else { continue }
                var k = pos + 1
                var us = 0, digits = 0
                while k < n, s[k] >= 0x30, s[k] <= 0x39 {
                    if digits < 6 { us = us * 10 + Int(s[k] - 0x30); digits += 1 }
                    k += 1
                }
                for _ in digits..<6 { us *= 10 }
                comps[3] = us
                pos = k
            }
        }
        if pos < n { return nil }
        if comps[0] == 24 && (comps[1] != 0 || comps[2] != 0 || comps[3] != 0) { return nil }
        if comps[0] < 0 || comps[1] < 0 || comps[2] < 0 { return nil }
        return (comps[0], comps[1], comps[2], comps[3], offset)
    }

    /// `_parse_tzstr`: Z, ±HH, ±HHMM, ±HH:MM → seconds east of UTC.
    static func tzstr(_ s: Bytes, _ lo: Int, _ hi: Int) -> Int? {
        let len = hi - lo
        if len == 1 && (s[lo] == UInt8(ascii: "Z") || s[lo] == UInt8(ascii: "z")) { return 0 }
        guard len == 3 || len == 5 || len == 6 else { return nil }
        let mult: Int
        if s[lo] == UInt8(ascii: "-") { mult = -1 } else if s[lo] == UInt8(ascii: "+") { mult = 1 } else { return nil }
        guard let hours = SchemaNumberParser.pythonSmallInt(s, lo + 1, lo + 3) else { return nil }
        var minutes = 0
        if len > 3 {
            let from = s[lo + 3] == UInt8(ascii: ":") ? lo + 4 : lo + 3
            guard let m = SchemaNumberParser.pythonSmallInt(s, from, hi) else { return nil }
            minutes = m
        }
        if hours == 0 && minutes == 0 { return 0 }
        guard minutes <= 59, hours <= 23, hours >= 0, minutes >= 0 else { return nil }
        return mult * (hours * 60 + minutes) * 60
    }

    /// frictionless `date` default: `strptime(cell, "%Y-%m-%d")`. The plain `YYYY-MM-DD` shape is
    /// read directly; anything else goes through the strptime matcher.
    @inline(__always)
    static func defaultDate(_ s: Bytes) -> Int? {
        if s.count == 10, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-") {
            let d0 = s[0] &- 0x30, d1 = s[1] &- 0x30, d2 = s[2] &- 0x30, d3 = s[3] &- 0x30
            let m0 = s[5] &- 0x30, m1 = s[6] &- 0x30, a0 = s[8] &- 0x30, a1 = s[9] &- 0x30
            if d0 <= 9 && d1 <= 9 && d2 <= 9 && d3 <= 9 && m0 <= 9 && m1 <= 9 && a0 <= 9 && a1 <= 9 {
                let y = Int(d0) * 1000 + Int(d1) * 100 + Int(d2) * 10 + Int(d3)
                let m = Int(m0) * 10 + Int(m1), d = Int(a0) * 10 + Int(a1)
                guard SchemaCalendar.isValid(y, m, d) else { return nil }
                return SchemaCalendar.days(y, m, d)
            }
        }
        return SchemaStrptime.defaultDate.parse(s)?.days
    }

    /// frictionless `datetime` default: `cell[16] == ":"`, at least 19 characters, then isoparse.
    @inline(__always)
    static func defaultDatetime(_ s: Bytes) -> SchemaTemporal? {
        guard s.count >= 19, s[16] == UInt8(ascii: ":") else { return nil }
        switch commonDatetime(s) {
        case let .value(y, m, d, h, mi, sec, us, offset):
            guard SchemaCalendar.isValid(y, m, d) else { return nil }
            var days = SchemaCalendar.days(y, m, d)
            var hour = h
            if hour == 24 {
                guard mi == 0 && sec == 0 && us == 0, days < SchemaCalendar.days(9999, 12, 31) else { return nil }
                hour = 0
                days += 1
            }
            guard hour < 24, mi < 60, sec < 60 else { return nil }
            return SchemaTemporal(days: days, micros: ((hour * 60 + mi) * 60 + sec) * 1_000_000 + us, offset: offset)
        case .invalid: return nil
        case .other: return datetime(s)
        }
    }

    /// A valid default datetime, without computing its instant.
    @inline(__always)
    static func isDefaultDatetime(_ s: Bytes) -> Bool {
        guard s.count >= 19, s[16] == UInt8(ascii: ":") else { return false }
        switch commonDatetime(s) {
        case let .value(y, m, d, h, mi, sec, us, _):
            guard SchemaCalendar.isValid(y, m, d) else { return false }
            if h == 24 { return mi == 0 && sec == 0 && us == 0 && !(y == 9999 && m == 12 && d == 31) }
            return h < 24 && mi < 60 && sec < 60
        case .invalid: return false
        case .other: return datetime(s) != nil
        }
    }

    enum CommonDatetime {
        case value(Int, Int, Int, Int, Int, Int, Int, Int?)
        case invalid
        /// Not the common shape: use the general parser.
        case other
    }

    /// `YYYY-MM-DD?HH:MM:SS[.f…][Z|±HH[[:]MM]]` with ASCII digits, read directly; the result is the
    /// one the general isoparse port gives for this shape (any one-character separator, fraction
    /// truncated to microseconds, zero offsets as UTC).
    @inline(__always)
    static func commonDatetime(_ s: Bytes) -> CommonDatetime {
        let n = s.count
        @inline(__always) func d(_ k: Int) -> Int { Int(s[k] &- 0x30) }
        @inline(__always) func isDigit(_ k: Int) -> Bool { s[k] &- 0x30 <= 9 }
        guard n >= 19, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"), s[13] == UInt8(ascii: ":"),
              isDigit(0), isDigit(1), isDigit(2), isDigit(3), isDigit(5), isDigit(6), isDigit(8), isDigit(9),
              isDigit(11), isDigit(12), isDigit(14), isDigit(15), isDigit(17), isDigit(18), s[10] < 0x80 else { return .other }
        let y = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3)
        let m = d(5) * 10 + d(6), day = d(8) * 10 + d(9)
        let h = d(11) * 10 + d(12), mi = d(14) * 10 + d(15), sec = d(17) * 10 + d(18)
        var p = 19
        var us = 0
        if p < n, s[p] == UInt8(ascii: ".") || s[p] == UInt8(ascii: ",") {
            guard p + 1 < n, isDigit(p + 1) else { return .other }
            var k = p + 1, digits = 0
            while k < n, isDigit(k) {
                if digits < 6 { us = us * 10 + d(k); digits += 1 }
                k += 1
            }
            for _ in digits..<6 { us *= 10 }
            p = k
        }
        if p == n { return .value(y, m, day, h, mi, sec, us, nil) }
        let c = s[p]
        if (c == UInt8(ascii: "Z") || c == UInt8(ascii: "z")) && p + 1 == n { return .value(y, m, day, h, mi, sec, us, 0) }
        guard c == UInt8(ascii: "+") || c == UInt8(ascii: "-") else { return .other }
        let len = n - p
        var oh = 0, om = 0
        if len == 3, isDigit(p + 1), isDigit(p + 2) {
            oh = d(p + 1) * 10 + d(p + 2)
        } else if len == 5, isDigit(p + 1), isDigit(p + 2), isDigit(p + 3), isDigit(p + 4) {
            oh = d(p + 1) * 10 + d(p + 2); om = d(p + 3) * 10 + d(p + 4)
        } else if len == 6, isDigit(p + 1), isDigit(p + 2), s[p + 3] == UInt8(ascii: ":"), isDigit(p + 4), isDigit(p + 5) {
            oh = d(p + 1) * 10 + d(p + 2); om = d(p + 4) * 10 + d(p + 5)
        } else {
            return .other
        }
        if oh == 0 && om == 0 { return .value(y, m, day, h, mi, sec, us, 0) }
        guard oh <= 23, om <= 59 else { return .invalid }
        let offset = (c == UInt8(ascii: "-") ? -1 : 1) * (oh * 60 + om) * 60
        return .value(y, m, day, h, mi, sec, us, offset)
    }

    /// frictionless `time` default: `cell[5] == ":"`, at least 8 characters, then
    /// `isoparse("2000-01-01T" + cell).timetz()`.
    static func defaultTime(_ s: Bytes) -> SchemaTemporal? {
        guard s.count >= 8, s[5] == UInt8(ascii: ":") else { return nil }
        for b in s where b >= 0x80 { return nil }
        guard let (h0, m, sec, us, offset) = isotime(s, from: 0) else { return nil }
        let h = h0 == 24 ? 0 : h0
        guard h < 24, m < 60, sec < 60 else { return nil }
        return SchemaTemporal(days: 0, micros: ((h * 60 + m) * 60 + sec) * 1_000_000 + us, offset: offset)
    }
}

/// Python's `datetime.strptime`, for the directives people use in schemas: `%Y %y %m %d %H %I %p
/// %M %S %f %z %b %B %a %A %j %%`. Matching follows the regular expressions of Python's
/// `_strptime` (English month and day names, case-insensitive), including which alternative wins.
struct SchemaStrptime: Sendable {
    enum Token: Sendable {
        case literal(UInt8)
        case whitespace
        case directive(UInt8)
    }

    let tokens: [Token]
    let format: String

    static let supported = Set("YymdHIpMSfzbBaAj%".utf8)
    static let defaultDate = try! SchemaStrptime(format: "%Y-%m-%d")

    struct FormatError: Error { var message: String }

    init(format: String) throws {
        self.format = format
        var tokens: [Token] = []
        let bytes = Array(format.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "%") {
                guard i + 1 < bytes.count else { throw FormatError(message: "the format ends with a lone '%'") }
                let d = bytes[i + 1]
                guard SchemaStrptime.supported.contains(d) else {
                    throw FormatError(message: "the directive %\(Character(Unicode.Scalar(d))) is not supported (supported: %Y %y %m %d %H %I %p %M %S %f %z %b %B %a %A %j %%)")
                }
                tokens.append(d == UInt8(ascii: "%") ? .literal(c) : .directive(d))
                i += 2
                continue
            }
            if SchemaNumberParser.isASCIISpace(c) && c != 0x1C && c != 0x1D && c != 0x1E && c != 0x1F {
                while i < bytes.count, SchemaNumberParser.isASCIISpace(bytes[i]) { i += 1 }
                tokens.append(.whitespace)
                continue
            }
            tokens.append(.literal(c))
            i += 1
        }
        self.tokens = tokens
    }

    private static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
    private static let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// Alternatives of one directive, in the order Python's regex tries them; each alternative is a
    /// list of byte ranges, one per character.
    private static func alternatives(_ d: UInt8) -> [[ClosedRange<UInt8>]] {
        let D: ClosedRange<UInt8> = 0x30...0x39
        func c(_ s: String) -> ClosedRange<UInt8> { let b = s.utf8.first!; return b...b }
        func r(_ a: String, _ b: String) -> ClosedRange<UInt8> { a.utf8.first!...b.utf8.first! }
        switch d {
        case UInt8(ascii: "d"): return [[c("3"), r("0", "1")], [r("1", "2"), D], [c("0"), r("1", "9")], [r("1", "9")], [c(" "), r("1", "9")]]
        case UInt8(ascii: "f"): return (1...6).reversed().map { Array(repeating: D, count: $0) }
        case UInt8(ascii: "H"): return [[c("2"), r("0", "3")], [r("0", "1"), D], [D]]
        case UInt8(ascii: "I"): return [[c("1"), r("0", "2")], [c("0"), r("1", "9")], [r("1", "9")]]
        case UInt8(ascii: "j"): return [[c("3"), c("6"), r("0", "6")], [c("3"), r("0", "5"), D], [r("1", "2"), D, D], [c("0"), r("1", "9"), D],
                                        [c("0"), c("0"), r("1", "9")], [r("1", "9"), D], [c("0"), r("1", "9")], [r("1", "9")]]
        case UInt8(ascii: "m"): return [[c("1"), r("0", "2")], [c("0"), r("1", "9")], [r("1", "9")]]
        case UInt8(ascii: "M"): return [[r("0", "5"), D], [D]]
        case UInt8(ascii: "S"): return [[c("6"), r("0", "1")], [r("0", "5"), D], [D]]
        case UInt8(ascii: "y"): return [[D, D]]
        case UInt8(ascii: "Y"): return [[D, D, D, D]]
        default: return []
        }
    }

    private static func words(_ d: UInt8) -> [String] {
        switch d {
        case UInt8(ascii: "B"): return months.sorted { $0.count > $1.count }
        case UInt8(ascii: "b"): return months.map { String($0.prefix(3)) }
        case UInt8(ascii: "A"): return weekdays.sorted { $0.count > $1.count }
        case UInt8(ascii: "a"): return weekdays.map { String($0.prefix(3)) }
        case UInt8(ascii: "p"): return ["am", "pm"]
        default: return []
        }
    }

    /// End positions of `%z` at `pos`, in the order the regex tries them:
    /// `[+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|Z`.
    private static func zEnds(_ s: UnsafeBufferPointer<UInt8>, _ pos: Int) -> [Int] {
        let n = s.count
        func digit(_ k: Int) -> Bool { k < n && s[k] >= 0x30 && s[k] <= 0x39 }
        func d05(_ k: Int) -> Bool { k < n && s[k] >= 0x30 && s[k] <= 0x35 }
        var out: [Int] = []
        if pos < n, s[pos] == UInt8(ascii: "+") || s[pos] == UInt8(ascii: "-"), digit(pos + 1), digit(pos + 2) {
            var k = pos + 3
            var starts: [Int] = []
            if k < n, s[k] == UInt8(ascii: ":") { starts.append(k + 1) }
            starts.append(k)
            for m in starts where d05(m) && digit(m + 1) {
                k = m + 2
                // Optional seconds group (greedy: tried first).
                var secStarts: [Int] = []
                if k < n, s[k] == UInt8(ascii: ":") { secStarts.append(k + 1) }
                secStarts.append(k)
                for sec in secStarts where d05(sec) && digit(sec + 1) {
                    let e = sec + 2
                    if e < n, s[e] == UInt8(ascii: "."), digit(e + 1) {
                        var f = e + 1
                        var count = 0
                        while digit(f) && count < 6 { f += 1; count += 1 }
                        while f > e + 1 { out.append(f); f -= 1 }
                    }
                    out.append(e)
                }
                out.append(m + 2)
            }
        }
        if pos < n, s[pos] == UInt8(ascii: "Z") { out.append(pos + 1) }
        return out
    }

    private struct Captures {
        var values: [UInt8: (Int, Int)] = [:]
    }

    /// The first match in regex priority order; returns the end position.
    private func match(_ s: UnsafeBufferPointer<UInt8>, _ t: Int, _ pos: Int, _ caps: inout Captures) -> Int? {
        if t == tokens.count { return pos }
        let n = s.count
        switch tokens[t] {
        case let .literal(c):
            guard pos < n else { return nil }
            let b = s[pos]
            let fold: (UInt8) -> UInt8 = { ($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0 }
            guard fold(b) == fold(c) else { return nil }
            return match(s, t + 1, pos + 1, &caps)
        case .whitespace:
            var end = pos
            while end < n, SchemaNumberParser.isASCIISpace(s[end]) { end += 1 }
            guard end > pos else { return nil }
            var e = end
            while e > pos {
                if let r = match(s, t + 1, e, &caps) { return r }
                e -= 1
            }
            return nil
        case let .directive(d):
            var ends: [Int] = []
            if d == UInt8(ascii: "z") {
                ends = SchemaStrptime.zEnds(s, pos)
            } else if let ws = Optional(SchemaStrptime.words(d)), !ws.isEmpty {
                for w in ws {
                    let wb = Array(w.utf8)
                    guard pos + wb.count <= n else { continue }
                    var ok = true
                    for k in 0..<wb.count {
                        let b = s[pos + k]
                        let folded = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
                        if folded != wb[k] { ok = false; break }
                    }
                    if ok { ends.append(pos + wb.count) }
                }
            } else {
                for alt in SchemaStrptime.alternatives(d) {
                    guard pos + alt.count <= n else { continue }
                    var ok = true
                    for (k, range) in alt.enumerated() where !range.contains(s[pos + k]) { ok = false; break }
                    if ok { ends.append(pos + alt.count) }
                }
            }
            let saved = caps.values[d]
            for e in ends {
                caps.values[d] = (pos, e)
                if let r = match(s, t + 1, e, &caps) { return r }
            }
            caps.values[d] = saved
            return nil
        }
    }

    /// `datetime.strptime(cell, format)`: nil when Python raises.
    func parse(_ s: UnsafeBufferPointer<UInt8>) -> SchemaTemporal? {
        for b in s where b >= 0x80 { return nil }
        var caps = Captures()
        guard let end = match(s, 0, 0, &caps), end == s.count else { return nil }
        func int(_ d: Character) -> Int? {
            guard let (lo, hi) = caps.values[UInt8(ascii: Unicode.Scalar(String(d))!)] else { return nil }
            var a = lo
            while a < hi, s[a] == 0x20 { a += 1 }
            var v = 0
            for k in a..<hi { v = v * 10 + Int(s[k] - 0x30) }
            return v
        }
        func text(_ d: Character) -> String? {
            guard let (lo, hi) = caps.values[UInt8(ascii: Unicode.Scalar(String(d))!)] else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: s[lo..<hi]), as: UTF8.self).lowercased()
        }
        var year: Int? = nil
        if let y = int("y") { year = y <= 68 ? y + 2000 : y + 1900 }
        if let y = int("Y") { year = y }
        var month = 1, day = 1, hour = 0, minute = 0, second = 0, micro = 0
        if let m = int("m") { month = m }
        if let b = text("B"), let k = SchemaStrptime.months.firstIndex(of: b) { month = k + 1 }
        if let b = text("b"), let k = SchemaStrptime.months.firstIndex(where: { $0.hasPrefix(b) }) { month = k + 1 }
        if let d = int("d") { day = d }
        if let h = int("H") { hour = h }
        if let h = int("I") {
            hour = h
            let ampm = text("p") ?? ""
            if ampm == "" || ampm == "am" { if hour == 12 { hour = 0 } } else if ampm == "pm" { if hour != 12 { hour += 12 } }
        }
        if let m = int("M") { minute = m }
        if let sec = int("S") { second = sec }
        if let (lo, hi) = caps.values[UInt8(ascii: "f")] {
            var v = 0
            for k in lo..<hi { v = v * 10 + Int(s[k] - 0x30) }
            for _ in (hi - lo)..<6 { v *= 10 }
            micro = v
        }
        var offset: Int? = nil
        if let (lo, hi) = caps.values[UInt8(ascii: "z")] {
            if hi - lo == 1 && s[lo] == UInt8(ascii: "Z") {
                offset = 0
            } else {
                var z = Array(s[lo..<hi])
                if z[3] == UInt8(ascii: ":") {
                    z.remove(at: 3)
                    if z.count > 5 {
                        guard z[5] == UInt8(ascii: ":") else { return nil }
                        z.remove(at: 5)
                    }
                }
                func num(_ a: Int, _ b: Int) -> Int { var v = 0; for k in a..<min(b, z.count) { v = v * 10 + Int(z[k] - 0x30) }; return v }
                let hours = num(1, 3), minutes = num(3, 5), seconds = z.count >= 7 ? num(5, 7) : 0
                var off = hours * 3600 + minutes * 60 + seconds
                if z[0] == UInt8(ascii: "-") { off = -off }
                guard abs(off) < 86_400 else { return nil }
                offset = off
            }
        }
        var leapFix = false
        if year == nil && month == 2 && day == 29 { year = 1904; leapFix = true } else if year == nil { year = 1900 }
        guard var y = year else { return nil }
        if let j = int("j") {
            guard y >= 1 && y <= 9999 else { return nil }
            let c = SchemaCalendar.civil(SchemaCalendar.days(y, 1, 1) + j - 1)
            (y, month, day) = (c.year, c.month, c.day)
        } else {
            guard SchemaCalendar.isValid(y, month, day) else { return nil }
        }
        if leapFix { y = 1900 }
        guard SchemaCalendar.isValid(y, month, day), hour < 24, minute < 60, second < 60 else { return nil }
        return SchemaTemporal(days: SchemaCalendar.days(y, month, day), micros: ((hour * 60 + minute) * 60 + second) * 1_000_000 + micro, offset: offset)
    }
}

/// `format: any` for date, time and datetime. frictionless hands these to dateutil's free-form
/// parser; lineage accepts the ISO forms plus the common written forms below (month first when
/// ambiguous, as dateutil), which covers what such columns usually hold.
enum SchemaAnyDate {
    static let formats: [SchemaStrptime] = {
        let dates = ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%d.%m.%Y", "%Y%m%d", "%d %b %Y", "%d %B %Y",
                     "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%a, %d %b %Y", "%A, %B %d, %Y"]
        let times = ["", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", " %I:%M %p", " %I:%M:%S %p", " %H:%M:%S %z", "T%H:%M:%S", "T%H:%M"]
        return dates.flatMap { d in times.map { try! SchemaStrptime(format: d + $0) } }
    }()
    static let timeFormats: [SchemaStrptime] = ["%H:%M", "%H:%M:%S", "%H:%M:%S.%f", "%I:%M %p", "%I:%M:%S %p", "%I %p", "%H:%M:%S%z", "%H:%M%z"]
        .map { try! SchemaStrptime(format: $0) }

    static func datetime(_ s: UnsafeBufferPointer<UInt8>) -> SchemaTemporal? {
        if let v = SchemaISOParser.datetime(s) { return v }
        for f in formats { if let v = f.parse(s) { return v } }
        return nil
    }

    static func time(_ s: UnsafeBufferPointer<UInt8>) -> SchemaTemporal? {
        for f in timeFormats { if let v = f.parse(s) { return SchemaTemporal(days: 0, micros: v.micros, offset: v.offset) } }
        if let v = datetime(s) { return SchemaTemporal(days: 0, micros: v.micros, offset: v.offset) }
        return nil
    }
}
