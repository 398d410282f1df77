import Foundation

/// 64-bit hashing of cell keys (unique, primary and foreign keys, enum membership). Keys are
/// compared by these hashes only: two different values collide with probability ~2⁻⁶⁴ per pair.
enum SchemaHasher {
    static let seedString: UInt64 = 0x9E37_79B9_7F4A_7C15
    static let seedNumber: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let seedBytes: UInt64 = 0x1656_67B1_9E37_79F9
    static let none: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        let n = p.count
        var h = seed ^ mix(UInt64(truncatingIfNeeded: n) ^ 0xA076_1D64_78BD_642F, 0xE703_7ED1_A0B4_28DB)
        guard n > 0, let base = p.baseAddress else { return mix(h, 0x8EBC_6AF0_9C88_C6E3) }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = mix(w ^ 0x8EBC_6AF0_9C88_C6E3, h ^ 0x5899_65CC_7537_4CC3)
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { w |= UInt64(base[i]) << shift; shift += 8; i += 1 }
            h = mix(w ^ 0x1D8E_4E27_C47D_124F, h ^ 0x5899_65CC_7537_4CC3)
        }
        return mix(h ^ 0xA076_1D64_78BD_642F, 0xE703_7ED1_A0B4_28DB)
    }

    static func hash(_ bytes: [UInt8], seed: UInt64) -> UInt64 { bytes.withUnsafeBufferPointer { hash($0, seed: seed) } }

    @inline(__always)
    static func combine(_ h: UInt64, _ v: UInt64) -> UInt64 { mix(h ^ 0x8EBC_6AF0_9C88_C6E3, v ^ 0xE703_7ED1_A0B4_28DB) }

    /// The key of a number: Python's `1 == 1.0 == Decimal("1.00") == True`.
    @inline(__always)
    static func hash(_ d0: SchemaDecimal) -> UInt64 {
        var d = d0
        if d.bigDigits != nil || d.coefficient == 0 || d.coefficient % 10 == 0 { d.normalise() }
        switch d.kind {
        case .nan: return 0   // never used: NaN is never equal to anything
        case .infinity: return d.negative ? 0x1111 : 0x2222
        case .finite:
            if let big = d.bigDigits {
                let head = mix(seedNumber ^ (d.negative ? 1 : 0), UInt64(bitPattern: Int64(d.exponent)) ^ 0x5899_65CC_7537_4CC3)
                return hash(big, seed: head)
            }
            return hashFinite(negative: d.negative, coefficient: d.coefficient, exponent: d.exponent)
        }
    }

    /// The key of a normalised finite number with a small coefficient.
    @inline(__always)
    static func hashFinite(negative: Bool, coefficient: UInt64, exponent: Int) -> UInt64 {
        let head = mix(seedNumber ^ (negative ? 1 : 0), UInt64(bitPattern: Int64(exponent)) ^ 0x5899_65CC_7537_4CC3)
        return mix(head ^ coefficient, 0x1D8E_4E27_C47D_124F ^ coefficient)
    }
}

/// An open-addressing set of 64-bit key hashes: 8 bytes a slot, load at most 1/2.
struct SchemaHashSet {
    private var slots: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [UInt64](repeating: 0, count: n)
        mask = n - 1
    }

    /// Inserts `h`; returns true when it was already there.
    @inline(__always)
    mutating func insert(_ h0: UInt64) -> Bool {
        let h = h0 == 0 ? 1 : h0
        if (count + 1) * 2 > slots.count { grow() }
        var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        return slots.withUnsafeMutableBufferPointer { s in
            while true {
                let v = s[i]
                if v == h { return true }
                if v == 0 { s[i] = h; count += 1; return false }
                i = (i + 1) & mask
            }
        }
    }

    @inline(__always)
    func contains(_ h0: UInt64) -> Bool {
        let h = h0 == 0 ? 1 : h0
        var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        while true {
            let v = slots[i]
            if v == h { return true }
            if v == 0 { return false }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for v in old where v != 0 { _ = insert(v) }
    }

    /// Bytes held.
    var memory: Int { slots.count * 8 }
}

/// A parsed cell (or constraint value): the Python value frictionless would compare.
enum SchemaValue {
    case decimal(SchemaDecimal)
    case temporal(SchemaTemporal)
    case yearmonth(Int, Int)
    /// A string-like value (string, any, email…): the text itself.
    case text([UInt8])
    case json(SchemaJSON)
    case duration(months: Double, micros: Double)
    case geopoint(SchemaDecimal, SchemaDecimal)
    case boolean(Bool)

    /// The key hash; nil when the value is never equal to anything (NaN).
    var keyHash: UInt64? {
        switch self {
        case let .decimal(d): return d.isNaN ? nil : SchemaHasher.hash(d)
        case let .boolean(b): return SchemaHasher.hash(SchemaDecimal.integer(b ? 1 : 0))
        case let .temporal(t): return SchemaHasher.mix(UInt64(bitPattern: Int64(t.ordinal)) ^ 0x7465_6D70, t.offset == nil ? 0x6E61_6976 : 0x6177_6172)
        case let .yearmonth(y, m): return SchemaHasher.mix(UInt64(bitPattern: Int64(y)) ^ 0x796D, UInt64(m) ^ 0x1234_5678_9ABC)
        case let .text(bytes): return SchemaHasher.hash(bytes, seed: SchemaHasher.seedString)
        case let .json(j):
            var out: [UInt8] = []
            guard SchemaFormats.appendKey(j, to: &out) else { return nil }
            return SchemaHasher.hash(out, seed: SchemaHasher.seedBytes)
        case let .duration(months, micros):
            return SchemaHasher.mix(months.bitPattern ^ 0x6475, micros.bitPattern ^ 0x7261_7469)
        case let .geopoint(lon, lat):
            guard !lon.isNaN, !lat.isNaN else { return nil }
            return SchemaHasher.combine(SchemaHasher.hash(lon) ^ 0x6765_6F, SchemaHasher.hash(lat))
        }
    }

    /// Python's ordering for bounds; nil when not comparable (NaN, or different kinds).
    static func compare(_ a: SchemaValue, _ b: SchemaValue) -> Int? {
        switch (a, b) {
        case let (.decimal(x), .decimal(y)): return SchemaDecimal.compare(x, y)
        case let (.temporal(x), .temporal(y)):
            let ox = x.ordinal, oy = y.ordinal
            return ox == oy ? 0 : (ox < oy ? -1 : 1)
        case let (.yearmonth(y1, m1), .yearmonth(y2, m2)):
            if y1 != y2 { return y1 < y2 ? -1 : 1 }
            return m1 == m2 ? 0 : (m1 < m2 ? -1 : 1)
        default: return nil
        }
    }
}

/// Reads the cells of one field as frictionless's field classes do.
final class SchemaCellReader {
    enum Kind {
        case string, email, uri, uuid, binary, any
        case number, integer, boolean, object, array
        case date, time, datetime, year, yearmonth, duration, geopoint, geojson
    }

    enum DateMode { case iso, any, pattern(SchemaStrptime) }

    let field: SchemaField
    let kind: Kind
    let dateMode: DateMode
    /// Number/integer text needs the Python processing (bareNumber false, decimal or group char).
    let numberProcessing: Bool
    let booleans: [([UInt8], Bool)]

    init(field: SchemaField) {
        self.field = field
        switch field.type {
        case .string:
            switch field.format {
            case "email": kind = .email
            case "uri": kind = .uri
            case "uuid": kind = .uuid
            case "binary": kind = .binary
            default: kind = .string
            }
        case .any: kind = .any
        case .number: kind = .number
        case .integer: kind = .integer
        case .boolean: kind = .boolean
        case .object: kind = .object
        case .array: kind = .array
        case .date: kind = .date
        case .time: kind = .time
        case .datetime: kind = .datetime
        case .year: kind = .year
        case .yearmonth: kind = .yearmonth
        case .duration: kind = .duration
        case .geopoint: kind = .geopoint
        case .geojson: kind = .geojson
        }
        switch field.format {
        case "default": dateMode = .iso
        case "any": dateMode = .any
        default: dateMode = (try? SchemaStrptime(format: field.format)).map { .pattern($0) } ?? .iso
        }
        numberProcessing = !field.bareNumber || (field.type == .number && (field.decimalChar != "." || !field.groupChar.isEmpty))
        var map: [([UInt8], Bool)] = []
        for v in field.trueValues { map.removeAll { $0.0 == Array(v.utf8) }; map.append((Array(v.utf8), true)) }
        for v in field.falseValues { map.removeAll { $0.0 == Array(v.utf8) }; map.append((Array(v.utf8), false)) }
        booleans = map
    }

    // MARK: - Values

    /// The integer of an integer cell (Python `int(cell.strip())`, after the bareNumber pattern).
    @inline(__always)
    func integer(_ s: UnsafeBufferPointer<UInt8>) -> SchemaDecimal? {
        if !numberProcessing { return SchemaNumberParser.pythonInt(s) }
        guard let text = processNumberText(s, forInteger: true) else { return nil }
        return text.withUnsafeBufferPointer { SchemaNumberParser.pythonInt($0) }
    }

    /// The number of a number cell (Python `Decimal(cell.strip())` after frictionless's processing).
    @inline(__always)
    func number(_ s: UnsafeBufferPointer<UInt8>) -> SchemaDecimal? {
        if !numberProcessing {
            if let d = SchemaNumberParser.decimalFast(s) { return d }
            return SchemaNumberParser.pythonDecimal(s)
        }
        guard let text = processNumberText(s, forInteger: false) else { return nil }
        return text.withUnsafeBufferPointer { SchemaNumberParser.pythonDecimal($0) }
    }

    /// frictionless's number processor: strip; with bareNumber false drop leading characters other
    /// than `-` and digits and trailing non-digits; remove groupChar; refuse a `.` when decimalChar
    /// is something else; then decimalChar → `.`.
    private func processNumberText(_ s: UnsafeBufferPointer<UInt8>, forInteger: Bool) -> [UInt8]? {
        var scalars = Array(String(decoding: s, as: UTF8.self).unicodeScalars)
        while let f = scalars.first, SchemaNumberParser.isPythonSpace(f) { scalars.removeFirst() }
        while let l = scalars.last, SchemaNumberParser.isPythonSpace(l) { scalars.removeLast() }
        func isDigit(_ u: Unicode.Scalar) -> Bool { u.properties.generalCategory == .decimalNumber }
        if !field.bareNumber {
            while let f = scalars.first, f != "-", !isDigit(f) { scalars.removeFirst() }
            while let l = scalars.last, !isDigit(l) { scalars.removeLast() }
        }
        var text = String(String.UnicodeScalarView(scalars))
        if forInteger { return Array(text.utf8) }
        if !field.groupChar.isEmpty { text = text.replacingOccurrences(of: field.groupChar, with: "") }
        if field.decimalChar != "." {
            if text.contains(".") { return nil }
            text = text.replacingOccurrences(of: field.decimalChar, with: ".")
        }
        return Array(text.utf8)
    }

    @inline(__always)
    func boolean(_ s: UnsafeBufferPointer<UInt8>) -> Bool? {
        for (bytes, value) in booleans where bytes.count == s.count {
            if s.count == 0 { return value }
            if bytes.withUnsafeBufferPointer({ b in memcmp(b.baseAddress!, s.baseAddress!, s.count) == 0 }) { return value }
        }
        return nil
    }

    @inline(__always)
    func date(_ s: UnsafeBufferPointer<UInt8>) -> SchemaTemporal? {
        switch dateMode {
        case .iso: return SchemaISOParser.defaultDate(s).map { SchemaTemporal(days: $0, micros: 0, offset: nil) }
        case .any: return SchemaAnyDate.datetime(s).map { SchemaTemporal(days: $0.days, micros: 0, offset: nil) }
        case let .pattern(p): return p.parse(s).map { SchemaTemporal(days: $0.days, micros: 0, offset: nil) }
        }
    }

    /// A valid date cell (no day count needed).
    @inline(__always)
    func isDate(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        if case .iso = dateMode, s.count == 10, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-") {
            let d0 = s[0] &- 0x30, d1 = s[1] &- 0x30, d2 = s[2] &- 0x30, d3 = s[3] &- 0x30
            let m0 = s[5] &- 0x30, m1 = s[6] &- 0x30, a0 = s[8] &- 0x30, a1 = s[9] &- 0x30
            if d0 <= 9 && d1 <= 9 && d2 <= 9 && d3 <= 9 && m0 <= 9 && m1 <= 9 && a0 <= 9 && a1 <= 9 {
                let y = Int(d0) * 1000 + Int(d1) * 100 + Int(d2) * 10 + Int(d3)
                return SchemaCalendar.isValid(y, Int(m0) * 10 + Int(m1), Int(a0) * 10 + Int(a1))
            }
        }
        return date(s) != nil
    }

    /// A valid datetime cell (no instant needed).
    @inline(__always)
    func isDatetime(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        if case .iso = dateMode { return SchemaISOParser.isDefaultDatetime(s) }
        return datetime(s) != nil
    }

    @inline(__always)
    func datetime(_ s: UnsafeBufferPointer<UInt8>) -> SchemaTemporal? {
        switch dateMode {
        case .iso: return SchemaISOParser.defaultDatetime(s)
        case .any: return SchemaAnyDate.datetime(s)
        case let .pattern(p): return p.parse(s)
        }
    }

    func time(_ s: UnsafeBufferPointer<UInt8>) -> SchemaTemporal? {
        switch dateMode {
        case .iso: return SchemaISOParser.defaultTime(s)
        case .any: return SchemaAnyDate.time(s)
        case let .pattern(p): return p.parse(s).map { SchemaTemporal(days: 0, micros: $0.micros, offset: $0.offset) }
        }
    }

    /// `year`: four characters, then Python `int()`, within 0…9999.
    func year(_ s: UnsafeBufferPointer<UInt8>) -> Int? {
        if s.count == 4 {
            let a = s[0] &- 0x30, b = s[1] &- 0x30, c = s[2] &- 0x30, d = s[3] &- 0x30
            if a <= 9 && b <= 9 && c <= 9 && d <= 9 { return Int(a) * 1000 + Int(b) * 100 + Int(c) * 10 + Int(d) }
        }
        guard String(decoding: s, as: UTF8.self).unicodeScalars.count == 4, let v = SchemaNumberParser.pythonInt(s)?.intValue,
              v >= 0, v <= 9999 else { return nil }
        return v
    }

    /// `yearmonth`: `year, month = cell.split("-")`, Python `int()` each, month 1…12.
    func yearmonth(_ s: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        var dash = -1
        for (k, b) in s.enumerated() where b == UInt8(ascii: "-") {
            if dash >= 0 { return nil }
            dash = k
        }
        guard dash >= 0,
              let y = SchemaNumberParser.pythonInt(UnsafeBufferPointer(rebasing: s[0..<dash]))?.intValue,
              let m = SchemaNumberParser.pythonInt(UnsafeBufferPointer(rebasing: s[(dash + 1)...]))?.intValue,
              m >= 1, m <= 12 else { return nil }
        return (y, m)
    }

    /// A string cell matches the field's string format.
    func hasFormat(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        switch kind {
        case .email: return SchemaFormats.isEmail(s)
        case .uri: return SchemaFormats.isURI(s)
        case .uuid: return SchemaFormats.isUUID(s)
        case .binary: return SchemaFormats.isBase64(s)
        default: return true
        }
    }

    /// The value of a non-missing cell; nil is a type error.
    func value(_ s: UnsafeBufferPointer<UInt8>) -> SchemaValue? {
        switch kind {
        case .string, .any: return .text(Array(s))
        case .email: return SchemaFormats.isEmail(s) ? .text(Array(s)) : nil
        case .uri: return SchemaFormats.isURI(s) ? .text(Array(s)) : nil
        case .uuid: return SchemaFormats.isUUID(s) ? .text(Array(s)) : nil
        case .binary: return SchemaFormats.isBase64(s) ? .text(Array(s)) : nil
        case .number: return number(s).map { .decimal($0) }
        case .integer: return integer(s).map { .decimal($0) }
        case .boolean: return boolean(s).map { .boolean($0) }
        case .year: return year(s).map { .decimal(.integer($0)) }
        case .yearmonth: return yearmonth(s).map { .yearmonth($0.0, $0.1) }
        case .date: return date(s).map { .temporal($0) }
        case .time: return time(s).map { .temporal($0) }
        case .datetime: return datetime(s).map { .temporal($0) }
        case .duration: return SchemaFormats.duration(s).map { .duration(months: $0.months, micros: $0.micros) }
        case .geopoint: return SchemaFormats.geopoint(s, format: field.format).map { .geopoint($0.0, $0.1) }
        case .object:
            guard let j = try? SchemaJSON.parse(s), case .object = j else { return nil }
            return .json(j)
        case .array:
            guard let j = try? SchemaJSON.parse(s), case .array = j else { return nil }
            return .json(j)
        case .geojson:
            guard let j = try? SchemaJSON.parse(s), SchemaFormats.isGeoJSON(j, format: field.format) else { return nil }
            return .json(j)
        }
    }

    /// A bound or enum value from the schema, read as frictionless's value reader reads it.
    static func readConstraintValue(_ json: SchemaJSON, field: SchemaField) -> SchemaValue? {
        let reader = SchemaCellReader(field: field)
        if case let .string(text) = json {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBufferPointer { reader.value($0) }
        }
        switch field.type {
        case .integer:
            if case .bool = json { return nil }
            if json.isIntegerLiteral { return SchemaNumberParser.decimal(json: json).map { .decimal($0) } }
            guard let d = json.doubleValue, d.isFinite, d.rounded() == d else { return nil }
            return SchemaNumberParser.decimal(json: json).map { .decimal($0) }
        case .number:
            if case .bool = json { return nil }
            return SchemaNumberParser.decimal(json: json).map { .decimal($0) }
        case .year:
            guard json.isIntegerLiteral, let v = json.intValue, v >= 0, v <= 9999 else { return nil }
            return .decimal(.integer(v))
        case .boolean:
            if case let .bool(b) = json { return .boolean(b) }
            return nil
        case .yearmonth:
            guard case let .array(items) = json, items.count == 2, let y = items[0].intValue, let m = items[1].intValue else { return nil }
            return .yearmonth(y, m)
        case .object:
            if case .object = json { return .json(json) }
            return nil
        case .array:
            if case .array = json { return .json(json) }
            return nil
        case .geojson:
            return SchemaFormats.isGeoJSON(json, format: field.format) ? .json(json) : nil
        case .geopoint:
            guard case let .array(items) = json, items.count == 2,
                  let lon = SchemaNumberParser.decimal(json: items[0]), let lat = SchemaNumberParser.decimal(json: items[1]) else { return nil }
            return .geopoint(lon, lat)
        case .any:
            return .json(json)
        default:
            return nil
        }
    }
}
