import Foundation

/// A JSON value with object keys in document order — what a Table Schema file and the `object`,
/// `array` and `geojson` cells are read into. Numbers keep their text, so an integer of any size
/// stays exact and a decimal converts the way Python's `json` module converts it.
public indirect enum SchemaJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's JSON text (or `NaN`, `Infinity`, `-Infinity`, which Python's `json` accepts).
    case number(String)
    case string(String)
    case array([SchemaJSON])
    /// Members in document order; a repeated key keeps every occurrence (the last one wins on lookup).
    case object([(String, SchemaJSON)])

    public static func == (a: SchemaJSON, b: SchemaJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member `key` of an object (the last one when repeated), nil otherwise.
    public subscript(key: String) -> SchemaJSON? {
        guard case let .object(members) = self else { return nil }
        return members.last(where: { $0.0 == key })?.1
    }

    /// True for a JSON number without a fraction or exponent (Python reads it as an `int`).
    var isIntegerLiteral: Bool {
        guard case let .number(text) = self else { return false }
        return !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" || $0 == "N" || $0 == "I" })
    }

    /// The value as a Swift Int when it is an integer literal that fits.
    var intValue: Int? {
        guard case let .number(text) = self else { return nil }
        if isIntegerLiteral { return Int(text) }
        // 5.0 is an integer to JSON Schema (and to Python's `float.is_integer`).
        if let d = Double(text), d.rounded() == d, abs(d) < 9e15 { return Int(d) }
        return nil
    }

    /// Python's `float(text)` for a JSON number.
    var doubleValue: Double? {
        guard case let .number(text) = self else { return nil }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(text)
        }
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: - Parsing

    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public var message: String
        /// 0-based byte offset.
        public var offset: Int
        public var description: String { "\(message) at byte \(offset + 1)" }
    }

    /// Parses one JSON document, as Python's `json.loads` does on text decoded strictly from UTF-8:
    /// surrounding whitespace allowed, `NaN`/`Infinity`/`-Infinity` accepted, nothing after the
    /// value; invalid UTF-8 and lone surrogate escapes refused (where Python differs, the
    /// differential test says so). The one JSON parser of the validators: Table Schema files,
    /// `object`/`array`/`geojson` cells and JSON Lines records (`Parser.flatObject`).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> SchemaJSON {
        if let base = bytes.baseAddress, let bad = UTF8Check.firstInvalid(base, 0, bytes.count) {
            throw ParseError(message: "invalid UTF-8", offset: bad)
        }
        var p = Parser(bytes: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != bytes.count { throw ParseError(message: "extra data after the JSON value", offset: p.i) }
        return v
    }

    public static func parse(_ bytes: [UInt8]) throws -> SchemaJSON {
        try bytes.withUnsafeBufferPointer { try parse($0) }
    }

    public static func parse(_ text: String) throws -> SchemaJSON { try parse(Array(text.utf8)) }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count {
                let c = bytes[i]
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 } else { break }
            }
        }

        private func fail(_ message: String) -> ParseError { ParseError(message: message, offset: i) }

        private mutating func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count else { return false }
            for k in 0..<w.count where bytes[i + k] != w[k] { return false }
            i += w.count
            return true
        }

        mutating func value(depth: Int) throws -> SchemaJSON {
            guard depth < 512 else { throw fail("JSON nested too deeply") }
            guard i < bytes.count else { throw fail("expected a value") }
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "{"):
                var members: [(String, SchemaJSON)] = []
                try object { p, key in members.append((key, try p.value(depth: depth + 1))) }
                return .object(members)
            case UInt8(ascii: "["):
                i += 1
                var items: [SchemaJSON] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < bytes.count else { throw fail("unterminated array") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                if literal("true") { return .bool(true) }
            case UInt8(ascii: "f"):
                if literal("false") { return .bool(false) }
            case UInt8(ascii: "n"):
                if literal("null") { return .null }
            case UInt8(ascii: "N"):
                if literal("NaN") { return .number("NaN") }
            case UInt8(ascii: "I"):
                if literal("Infinity") { return .number("Infinity") }
            default:
                if c == UInt8(ascii: "-") && literal("-Infinity") { return .number("-Infinity") }
                if c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) { return .number(try number()) }
            }
            throw fail("expected a value")
        }

        /// `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`
        private mutating func number() throws -> String {
            let begin = i
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            func digit(_ k: Int) -> Bool { k < bytes.count && bytes[k] >= 0x30 && bytes[k] <= 0x39 }
            guard digit(i) else { throw fail("expected a value") }
            if bytes[i] == 0x30 { i += 1 } else { while digit(i) { i += 1 } }
            if i < bytes.count, bytes[i] == UInt8(ascii: "."), digit(i + 1) {
                i += 1
                while digit(i) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                var k = i + 1
                if k < bytes.count, bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-") { k += 1 }
                if digit(k) {
                    i = k
                    while digit(i) { i += 1 }
                }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[begin..<i]), as: UTF8.self)
        }

        /// Reads the object whose `{` is at `i` up to its `}`, calling `member` with each key and
        /// `i` at the member's value, which `member` reads.
        mutating func object(_ member: (inout Parser, String) throws -> Void) throws {
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a property name in double quotes") }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                try member(&self, key)
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return }
                throw fail("expected ',' or '}'")
            }
        }

        /// A JSON Lines record: one object whose members' values are fields — a string unescaped,
        /// `null` empty, a number, `true`/`false`, an object or array as its JSON text (all checked
        /// by the same grammar as `value`). Members in order, repeated keys kept.
        mutating func flatObject() throws -> [(key: String, value: [UInt8])] {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { throw fail("expected '{'") }
            var out: [(key: String, value: [UInt8])] = []
            try object { p, key in
                let begin = p.i
                var field: [UInt8] = []
                if p.i < p.bytes.count, p.bytes[p.i] == UInt8(ascii: "\"") {
                    do { try JSONString.read(p.bytes, at: &p.i, into: &field) } catch let e as JSONString.Failure { throw ParseError(message: e.message, offset: e.offset) }
                } else if case .null = try p.value(depth: 1) {
                    field = []
                } else {
                    field = Array(p.bytes[begin..<p.i])
                }
                out.append((key, field))
            }
            skipSpace()
            if i != bytes.count { throw fail("extra data after the JSON value") }
            return out
        }

        mutating func string() throws -> String {
            var out: [UInt8] = []
            do { try JSONString.read(bytes, at: &i, into: &out) } catch { throw ParseError(message: error.message, offset: error.offset) }
            return String(decoding: out, as: UTF8.self)
        }
    }

    // MARK: - Writing

    /// Pretty JSON, two-space indent, members in their order (the layout `frictionless` writes).
    public func pretty(indent: Int = 0) -> String {
        var out = ""
        write(to: &out, indent: indent)
        return out
    }

    private func write(to out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        let inner = String(repeating: " ", count: indent + 2)
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n): out += n
        case let .string(s): out += SchemaJSON.quote(s)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            // Short arrays of scalars stay on one line.
            if items.allSatisfy({ if case .array = $0 { return false }; if case .object = $0 { return false }; return true }) {
                out += "[" + items.map { $0.pretty() }.joined(separator: ", ") + "]"
                return
            }
            out += "[\n"
            for (k, item) in items.enumerated() {
                out += inner
                item.write(to: &out, indent: indent + 2)
                out += k + 1 < items.count ? ",\n" : "\n"
            }
            out += pad + "]"
        case let .object(members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (k, (key, value)) in members.enumerated() {
                out += inner + SchemaJSON.quote(key) + ": "
                value.write(to: &out, indent: indent + 2)
                out += k + 1 < members.count ? ",\n" : "\n"
            }
            out += pad + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        let hex = Array("0123456789abcdef".utf8)
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20: out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }
}
