import Foundation

/// The string formats (`email`, `uri`, `uuid`, `binary`) and the structured types (`duration`,
/// `geopoint`, `geojson`, `object`, `array`), each checked as frictionless checks it.
enum SchemaFormats {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    // MARK: - uri: rfc3986 `uri_reference` with a scheme required

    /// A scheme `[A-Za-z][A-Za-z0-9+.-]*` followed by `:` — all rfc3986's validator requires.
    static func isURI(_ s: Bytes) -> Bool {
        guard let first = s.first, (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A else { return false }
        var i = 1
        while i < s.count {
            let c = s[i]
            if c == UInt8(ascii: ":") { return true }
            let alnum = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || (c >= 0x30 && c <= 0x39)
            guard alnum || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") else { return false }
            i += 1
        }
        return false
    }

    // MARK: - uuid: Python's uuid.UUID(text)

    /// `uuid.UUID(hex)`: optional `urn:` / `uuid:` prefixes and braces, hyphens anywhere, 32 hex digits.
    static func isUUID(_ s: Bytes) -> Bool {
        var t = Array(s)
        func dropPrefix(_ p: String) {
            let pb = Array(p.utf8)
            if t.count >= pb.count, Array(t[0..<pb.count]) == pb { t.removeFirst(pb.count) }
        }
        dropPrefix("urn:")
        dropPrefix("uuid:")
        // hex.strip('{}')
        while let f = t.first, f == UInt8(ascii: "{") || f == UInt8(ascii: "}") { t.removeFirst() }
        while let l = t.last, l == UInt8(ascii: "{") || l == UInt8(ascii: "}") { t.removeLast() }
        t.removeAll { $0 == UInt8(ascii: "-") }
        guard t.count == 32 else { return false }
        return t.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x66) }
    }

    // MARK: - binary: base64.b64decode (not strict)

    /// `base64.b64decode(text)`: characters outside the alphabet are skipped; the data must end on
    /// a quantum boundary or be padded.
    static func isBase64(_ s: Bytes) -> Bool {
        var quad = 0, pads = 0
        for c in s {
            if c >= 0x80 { return false }   // str → ASCII bytes fails
            if c == UInt8(ascii: "=") {
                if quad >= 2 {
                    pads += 1
                    if quad + pads >= 4 { return true }
                }
                continue
            }
            let valid = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "+") || c == UInt8(ascii: "/")
            if !valid { continue }
            pads = 0
            quad = (quad + 1) % 4
        }
        return quad == 0
    }

    // MARK: - email: validators.email (as frictionless calls it)

    static func isEmail(_ s: Bytes) -> Bool {
        let text = String(decoding: s, as: UTF8.self)
        guard !text.isEmpty, text.filter({ $0 == "@" }).count == 1 else { return false }
        let at = text.lastIndex(of: "@")!
        let user = Array(text[..<at].unicodeScalars), domain = String(text[text.index(after: at)...])
        guard user.count <= 64, domain.unicodeScalars.count <= 253 else { return false }
        return isEmailUser(user) && isDomain(domain)
    }

    private static func isLatinExtra(_ u: Unicode.Scalar) -> Bool {
        (0x100...0x17F).contains(u.value) || (0x180...0x24F).contains(u.value) || (0xA0...0xFF).contains(u.value)
    }

    private static func isAtomChar(_ u: Unicode.Scalar) -> Bool {
        if isLatinExtra(u) { return true }
        guard u.isASCII else { return false }
        let c = UInt8(u.value) | 0x20
        if (c >= 0x61 && c <= 0x7A) || (u.value >= 0x30 && u.value <= 0x39) { return true }
        return "!#$%&'*+/=?^_`{}|~-".unicodeScalars.contains(u)
    }

    /// The local part: one Latin-1/Latin-Extended character, a dot-atom, or a quoted string.
    private static func isEmailUser(_ u: [Unicode.Scalar]) -> Bool {
        if let f = u.first, isLatinExtra(f) { return true }   // `^[\u0100-…]` alternative (matches a prefix)
        // Dot-atom: atom(.atom)*
        var ok = !u.isEmpty
        var prevDot = true
        for c in u {
            if c == "." { if prevDot { ok = false; break }; prevDot = true; continue }
            if !isAtomChar(c) { ok = false; break }
            prevDot = false
        }
        if ok && !prevDot { return true }
        // Quoted: "( [\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f] | latin | \\[\t -~] )*"
        guard u.count >= 2, u.first == "\"", u.last == "\"" else { return false }
        var i = 1
        while i < u.count - 1 {
            let c = u[i]
            if c == "\\" {
                // `\\[\011.]`: a backslash, then a TAB or a dot (the dot is literal in the class).
                guard i + 1 < u.count - 1, u[i + 1] == "\t" || u[i + 1] == "." else { return false }
                i += 2
                continue
            }
            let v = c.value
            let allowed = isLatinExtra(c) || (0x01...0x08).contains(v) || v == 0x0B || v == 0x0C || (0x0E...0x1F).contains(v)
                || v == 0x21 || (0x23...0x5B).contains(v) || (0x5D...0x7F).contains(v)
            if !allowed { return false }
            i += 1
        }
        return i == u.count - 1
    }

    /// validators.domain: labels of letters, digits and inner hyphens; a top-level label of at
    /// least two characters ending with a letter; no whitespace, no `__`. Non-ASCII labels are
    /// taken as their IDNA (punycode) form would be: letters.
    static func isDomain(_ value: String) -> Bool {
        if value.isEmpty || value.unicodeScalars.contains(where: { SchemaNumberParser.isPythonSpace($0) }) || value.contains("__") { return false }
        var labels = value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard labels.count >= 2 else { return false }
        let tld = labels.removeLast()
        func alnum(_ u: Unicode.Scalar) -> Bool {
            !u.isASCII || (u.value >= 0x30 && u.value <= 0x39) || ((u.value | 0x20) >= 0x61 && (u.value | 0x20) <= 0x7A)
        }
        for label in labels {
            let u = Array(label.unicodeScalars)
            guard !u.isEmpty, u.count <= 63, alnum(u.first!), alnum(u.last!) else { return false }
            guard u.allSatisfy({ alnum($0) || $0 == "-" }) else { return false }
        }
        let t = Array(tld.unicodeScalars)
        if t.contains(where: { !$0.isASCII }) {
            // An IDNA top-level label becomes `xn--…`, which ends with a letter or digit: accept
            // it when it is made of letters.
            return t.allSatisfy { alnum($0) || $0 == "-" } && t.count >= 1
        }
        guard t.count >= 2, t.count <= 63, let first = t.first, let last = t.last else { return false }
        let isLetter = { (u: Unicode.Scalar) in (u.value | 0x20) >= 0x61 && (u.value | 0x20) <= 0x7A }
        return alnum(first) && first != "-" && isLetter(last) && t.allSatisfy({ alnum($0) || $0 == "-" })
    }

    // MARK: - duration: isodate.parse_duration

    /// `^[+-]?P(?!\b)(nY)?(nM)?(nW)?(nD)?(T(nH)?(nM)?(nS)?)?$` with n = `[0-9]+([,.][0-9]+)?`,
    /// or the alternative `PYYYY-MM-DDThh:mm:ss` form. Returns (months, microseconds) or nil.
    static func duration(_ s: Bytes) -> (months: Double, micros: Double)? {
        var t = Array(s)
        if t.last == 0x0A { t.removeLast() }   // `$` also matches before a final newline
        let n = t.count
        var i = 0
        var negative = false
        if i < n, t[i] == UInt8(ascii: "+") || t[i] == UInt8(ascii: "-") { negative = t[i] == UInt8(ascii: "-"); i += 1 }
        guard i < n, t[i] == UInt8(ascii: "P") else { return nil }
        i += 1
        // (?!\b): a word character must follow P.
        guard i < n, isWordByte(t[i]) else { return alternative(t) }
        var values: [UInt8: Double] = [:]
        func component(_ designators: [UInt8]) -> Bool {
            for d in designators {
                var k = i
                var digits = 0
                while k < n, t[k] >= 0x30, t[k] <= 0x39 { k += 1; digits += 1 }
                guard digits > 0 else { return false }
                var end = k
                if k < n, t[k] == UInt8(ascii: ",") || t[k] == UInt8(ascii: ".") {
                    var f = k + 1
                    var fd = 0
                    while f < n, t[f] >= 0x30, t[f] <= 0x39 { f += 1; fd += 1 }
                    if fd > 0 { end = f }
                }
                guard end < n, t[end] == d else { return false }
                let text = String(decoding: t[i..<end], as: UTF8.self).replacingOccurrences(of: ",", with: ".")
                values[d] = Double(text) ?? 0
                i = end + 1
                return true
            }
            return false
        }
        // Date part.
        var dateValues: [UInt8: Double] = [:]
        for d in [UInt8(ascii: "Y"), UInt8(ascii: "M"), UInt8(ascii: "W"), UInt8(ascii: "D")] {
            let save = i
            if component([d]) { dateValues[d] = values[d]; values[d] = nil } else { i = save }
        }
        var timeValues: [UInt8: Double] = [:]
        if i < n, t[i] == UInt8(ascii: "T") {
            i += 1
            for d in [UInt8(ascii: "H"), UInt8(ascii: "M"), UInt8(ascii: "S")] {
                let save = i
                if component([d]) { timeValues[d] = values[d]; values[d] = nil } else { i = save }
            }
        }
        guard i == n else { return alternative(t) }
        let months = (dateValues[UInt8(ascii: "Y")] ?? 0) * 12 + (dateValues[UInt8(ascii: "M")] ?? 0)
        var micros = ((dateValues[UInt8(ascii: "W")] ?? 0) * 7 + (dateValues[UInt8(ascii: "D")] ?? 0)) * 86_400e6
        micros += (timeValues[UInt8(ascii: "H")] ?? 0) * 3600e6 + (timeValues[UInt8(ascii: "M")] ?? 0) * 60e6 + (timeValues[UInt8(ascii: "S")] ?? 0) * 1e6
        guard micros.isFinite, abs(micros) < 86_400e6 * 999_999_999 else { return nil }
        micros = micros.rounded(.toNearestOrEven)
        return negative ? (-months, -micros) : (months, micros)
    }

    private static func isWordByte(_ b: UInt8) -> Bool {
        b >= 0x80 || (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) || b == UInt8(ascii: "_")
    }

    /// `P` + an ISO datetime (`PYYYY-MM-DDThh:mm:ss` or `PYYYYMMDDThhmmss`).
    private static func alternative(_ t: [UInt8]) -> (months: Double, micros: Double)? {
        guard t.first == UInt8(ascii: "P"), t.count > 1 else { return nil }
        let body = Array(t.dropFirst())
        // Years, months and days may be 0 here, unlike a calendar date: read the fields directly.
        func num(_ a: Int, _ b: Int) -> Int? {
            guard b <= body.count else { return nil }
            var v = 0
            for k in a..<b { guard body[k] >= 0x30 && body[k] <= 0x39 else { return nil }; v = v * 10 + Int(body[k] - 0x30) }
            return v
        }
        var y, mo, d, h, mi, s: Int?
        if body.count == 19, body[4] == UInt8(ascii: "-"), body[7] == UInt8(ascii: "-"), body[10] == UInt8(ascii: "T"), body[13] == UInt8(ascii: ":"), body[16] == UInt8(ascii: ":") {
            (y, mo, d, h, mi, s) = (num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19))
        } else if body.count == 15, body[8] == UInt8(ascii: "T") {
            (y, mo, d, h, mi, s) = (num(0, 4), num(4, 6), num(6, 8), num(9, 11), num(11, 13), num(13, 15))
        }
        guard let y, let mo, let d, let h, let mi, let s, mo <= 12, d <= 31, h < 24, mi < 60, s < 60 else { return nil }
        return (Double(y * 12 + mo), Double(((d * 24 + h) * 60 + mi) * 60 + s) * 1e6)
    }

    // MARK: - geopoint

    /// `lon, lat` for format default (`"lon, lat"`), `array` (`[lon, lat]`) or `object`
    /// (`{"lon": …, "lat": …}`), each read with Decimal and range-checked.
    static func geopoint(_ s: Bytes, format: String) -> (SchemaDecimal, SchemaDecimal)? {
        var lon: SchemaDecimal?, lat: SchemaDecimal?
        switch format {
        case "array":
            guard let json = try? SchemaJSON.parse(s) else { return nil }
            switch json {
            case let .array(items) where items.count == 2:
                lon = decimal(of: items[0]); lat = decimal(of: items[1])
            case let .object(members) where Set(members.map { $0.0 }).count == 2:
                // Unpacking a dict yields its keys.
                var seen: [String] = []
                for (k, _) in members where !seen.contains(k) { seen.append(k) }
                lon = seen[0].utf8.withContiguousStorageIfAvailable { SchemaNumberParser.pythonDecimal($0) } ?? nil
                lat = seen[1].utf8.withContiguousStorageIfAvailable { SchemaNumberParser.pythonDecimal($0) } ?? nil
            case let .string(text) where text.count == 2:
                lon = decimal(of: .string(String(text.first!))); lat = decimal(of: .string(String(text.last!)))
            default: return nil
            }
        case "object":
            guard let json = try? SchemaJSON.parse(s), case let .object(members) = json else { return nil }
            guard Set(members.map { $0.0 }).count == 2, let lo = json["lon"], let la = json["lat"] else { return nil }
            lon = decimal(of: lo); lat = decimal(of: la)
        default:
            var comma = -1
            for (k, b) in s.enumerated() where b == UInt8(ascii: ",") {
                if comma >= 0 { return nil }
                comma = k
            }
            guard comma >= 0 else { return nil }
            lon = SchemaNumberParser.pythonDecimal(UnsafeBufferPointer(rebasing: s[0..<comma]))
            lat = SchemaNumberParser.pythonDecimal(UnsafeBufferPointer(rebasing: s[(comma + 1)...]))
        }
        guard let lon, let lat, !lon.isNaN, !lat.isNaN else { return nil }
        let bound = { (v: SchemaDecimal, b: Int) -> Bool in
            (SchemaDecimal.compare(v, .integer(b)) ?? 1) <= 0 && (SchemaDecimal.compare(v, .integer(-b)) ?? -1) >= 0
        }
        guard bound(lon, 180), bound(lat, 90) else { return nil }
        return (lon, lat)
    }

    /// `Decimal(value)` for a JSON value: numbers, numeric strings, booleans (an int subclass).
    private static func decimal(of json: SchemaJSON) -> SchemaDecimal? {
        switch json {
        case .bool(let b): return .integer(b ? 1 : 0)
        case .number:
            if json.isIntegerLiteral { return SchemaNumberParser.decimal(json: json) }
            // Decimal(float) is the float's exact binary value; the shortest repr is as good for
            // range checks and keys.
            return SchemaNumberParser.decimal(json: json)
        case .string(let s): return Array(s.utf8).withUnsafeBufferPointer { SchemaNumberParser.pythonDecimal($0) }
        default: return nil
        }
    }

    // MARK: - geojson

    /// The structure frictionless's GeoJSON profile asks for (geometry, GeometryCollection, Feature,
    /// FeatureCollection; positions of exactly two numbers); `topojson` wants a Topology.
    static func isGeoJSON(_ v: SchemaJSON, format: String) -> Bool {
        guard case .object = v else { return false }
        if format == "topojson" {
            guard case .string("Topology") = v["type"] ?? .null, case .object = v["objects"] ?? .null else { return false }
            if let arcs = v["arcs"] { guard case .array = arcs else { return false } }
            return true
        }
        guard format == "default" else { return true }
        guard v["type"] != nil else { return false }
        if let bbox = v["bbox"] {
            guard case let .array(items) = bbox, items.allSatisfy(isNumber) else { return false }
        }
        if let crs = v["crs"] {
            switch crs {
            case .null: break
            case .object:
                guard case .string = crs["type"] ?? .null, case .object = crs["properties"] ?? .null else { return false }
            default: return false
            }
        }
        let matches = [isGeometry(v), isGeometryCollection(v), isFeature(v), isFeatureCollection(v)].filter { $0 }.count
        return matches == 1
    }

    private static func isNumber(_ v: SchemaJSON) -> Bool { if case .number = v { return true }; return false }

    private static func typeIs(_ v: SchemaJSON, _ name: String) -> Bool {
        guard let t = v["type"] else { return true }   // `properties.type` only applies when present
        return t == .string(name)
    }

    private static func isPosition(_ v: SchemaJSON) -> Bool {
        guard case let .array(items) = v, items.count == 2 else { return false }
        return items.allSatisfy(isNumber)
    }

    private static func isPositionArray(_ v: SchemaJSON, min: Int = 0) -> Bool {
        guard case let .array(items) = v, items.count >= min else { return false }
        return items.allSatisfy(isPosition)
    }

    private static func isPolygon(_ v: SchemaJSON) -> Bool {
        guard case let .array(rings) = v else { return false }
        return rings.allSatisfy { isPositionArray($0, min: 4) }
    }

    static func isGeometry(_ v: SchemaJSON) -> Bool {
        guard case .object = v, v["type"] != nil, let coords = v["coordinates"] else { return false }
        let kinds: [(String, (SchemaJSON) -> Bool)] = [
            ("Point", isPosition),
            ("MultiPoint", { isPositionArray($0) }),
            ("LineString", { isPositionArray($0, min: 2) }),
            ("MultiLineString", { if case let .array(ls) = $0 { return ls.allSatisfy { isPositionArray($0, min: 2) } }; return false }),
            ("Polygon", isPolygon),
            ("MultiPolygon", { if case let .array(ps) = $0 { return ps.allSatisfy(isPolygon) }; return false }),
        ]
        return kinds.filter { typeIs(v, $0.0) && $0.1(coords) }.count == 1
    }

    private static func isGeometryCollection(_ v: SchemaJSON) -> Bool {
        guard typeIs(v, "GeometryCollection"), let g = v["geometries"], case let .array(items) = g else { return false }
        return items.allSatisfy(isGeometry)
    }

    private static func isFeature(_ v: SchemaJSON) -> Bool {
        guard typeIs(v, "Feature"), let geometry = v["geometry"], let properties = v["properties"] else { return false }
        let geometryOK: Bool
        if case .null = geometry { geometryOK = true } else { geometryOK = isGeometry(geometry) }
        switch properties {
        case .object, .null: return geometryOK
        default: return false
        }
    }

    private static func isFeatureCollection(_ v: SchemaJSON) -> Bool {
        guard typeIs(v, "FeatureCollection"), let f = v["features"], case let .array(items) = f else { return false }
        return items.allSatisfy { if case .object = $0 { return isFeature($0) }; return false }
    }

    // MARK: - JSON values as Python compares them

    /// Canonical key of a JSON value under Python equality: object members sorted (last duplicate
    /// wins), `1 == 1.0 == true`. Returns false when the value contains NaN (never equal).
    static func appendKey(_ v: SchemaJSON, to out: inout [UInt8]) -> Bool {
        switch v {
        case .null: out.append(UInt8(ascii: "z")); return true
        case let .bool(b): SchemaDecimal.integer(b ? 1 : 0).appendKey(to: &out); return true
        case .number:
            if v.isIntegerLiteral, let d = SchemaNumberParser.decimal(json: v) { d.appendKey(to: &out); return true }
            guard let d = v.doubleValue, !d.isNaN else { return false }
            if d.isInfinite || d.rounded() != d || abs(d) >= 9.2e18 {
                out.append(UInt8(ascii: "F"))
                withUnsafeBytes(of: d.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            } else {
                SchemaDecimal.integer(Int(d)).appendKey(to: &out)
            }
            return true
        case let .string(s):
            out.append(UInt8(ascii: "S"))
            withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: s.utf8)
            return true
        case let .array(items):
            out.append(UInt8(ascii: "["))
            withUnsafeBytes(of: UInt32(items.count).littleEndian) { out.append(contentsOf: $0) }
            for item in items { if !appendKey(item, to: &out) { return false } }
            return true
        case let .object(members):
            var last: [String: SchemaJSON] = [:]
            for (k, value) in members { last[k] = value }
            out.append(UInt8(ascii: "{"))
            withUnsafeBytes(of: UInt32(last.count).littleEndian) { out.append(contentsOf: $0) }
            for k in last.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                if !appendKey(.string(k), to: &out) { return false }
                if !appendKey(last[k]!, to: &out) { return false }
            }
            return true
        }
    }

    /// `len(value)` of a parsed object (distinct keys) or array.
    static func length(_ v: SchemaJSON) -> Int {
        switch v {
        case let .array(items): return items.count
        case let .object(members): return Set(members.map { $0.0 }).count
        default: return 0
        }
    }
}
