import Foundation
import LineageCore
import LineageValidators
import Yams

/// A params or metrics file that cannot be read, located by line where there is one.
public struct ValuesFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "\(path):\(line): \(message)" : "\(path): \(message)" }
}

/// Reads the values of a params file (YAML, JSON, TOML) or a metrics file (JSON, YAML, or a CSV/TSV
/// of one data row) into dotted keys: `{train: {lr: 0.1}}` becomes `train.lr = 0.1`.
enum ValuesFile {
    /// Largest params or metrics file read: 1 MiB (the YAML limit).
    static let maxBytes = YAMLLimits.maxBytes

    static func read(path: String, display: String) throws -> RecordValues {
        let bytes: [UInt8]
        do {
            guard let read = try BoundedYAML.read(path: path, limit: maxBytes) else {
                throw ValuesFileError(path: display, line: 0, message: "does not exist or cannot be opened")
            }
            bytes = read
        } catch let e as YAMLLimitError { throw ValuesFileError(path: display, line: 0, message: e.message) }
        return try parse(bytes, name: display)
    }

    static func parse(_ bytes: [UInt8], name: String) throws -> RecordValues {
        let ext = (name as NSString).pathExtension.lowercased()
        switch ext {
        case "json": return try json(bytes, name: name)
        case "toml": return try TOMLValues.parse(bytes, name: name)
        case "csv", "tsv": return try table(bytes, name: name, ext: ext)
        default: return try yaml(bytes, name: name)
        }
    }

    // MARK: JSON

    static func json(_ bytes: [UInt8], name: String) throws -> RecordValues {
        let value: SchemaJSON
        do { value = try SchemaJSON.parse(bytes) } catch let e as SchemaJSON.ParseError {
            let line = bytes.prefix(e.offset).filter { $0 == 10 }.count + 1
            throw ValuesFileError(path: name, line: line, message: "is not valid JSON: \(e.message)")
        }
        guard case .object = value else { throw ValuesFileError(path: name, line: 1, message: "must hold a JSON object of named values") }
        var out: RecordValues = [:]
        func convert(_ v: SchemaJSON) -> RecordValue? {
            switch v {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .number(let t): return Double(t).map { .number($0) } ?? .string(t)
            case .string(let s): return .string(s)
            case .array(let items):
                let converted = items.map(convert)
                return converted.allSatisfy({ $0 != nil }) ? .list(converted.map { $0! }) : nil
            case .object: return nil
            }
        }
        func walk(_ v: SchemaJSON, _ prefix: String) {
            if case .object(let members) = v {
                for (k, m) in members { walk(m, prefix.isEmpty ? k : prefix + "." + k) }
            } else if case .array(let items) = v, convert(v) == nil {
                for (i, item) in items.enumerated() { walk(item, prefix + ".\(i)") }
            } else if let c = convert(v) {
                out[prefix] = c
            }
        }
        walk(value, "")
        return out
    }

    // MARK: YAML

    static func yaml(_ bytes: [UInt8], name: String) throws -> RecordValues {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ValuesFileError(path: name, line: 0, message: "is not valid UTF-8") }
        let node: Node?
        do { node = try BoundedYAML.compose(text) } catch let e as YAMLLimitError {
            throw ValuesFileError(path: name, line: e.line ?? 0, message: e.message)
        } catch {
            let line: Int
            switch error as? YamlError {
            case let .scanner(_, _, mark, _)?, let .parser(_, _, mark, _)?, let .composer(_, _, mark, _)?: line = mark.line
            default: line = 0
            }
            throw ValuesFileError(path: name, line: line, message: "is not valid YAML")
        }
        guard let node else { return [:] }
        guard case .mapping = node else { throw ValuesFileError(path: name, line: node.mark?.line ?? 1, message: "must be a mapping of named values") }
        var out: RecordValues = [:]
        func scalar(_ n: Node) -> RecordValue? {
            switch n {
            case .scalar(let s):
                if s.style != .plain { return .string(s.string) }
                switch n.tag.rawValue {
                case Tag.Name.null.rawValue: return .null
                case Tag.Name.bool.rawValue: return n.bool.map { .bool($0) } ?? .string(s.string)
                case Tag.Name.int.rawValue: return n.int.map { .number(Double($0)) } ?? n.float.map { .number($0) } ?? .string(s.string)
                case Tag.Name.float.rawValue: return n.float.map { .number($0) } ?? .string(s.string)
                default: return .string(s.string)
                }
            case .sequence(let items):
                let converted = items.map(scalar)
                return converted.allSatisfy({ $0 != nil }) ? .list(converted.map { $0! }) : nil
            case .mapping, .alias: return nil
            }
        }
        func walk(_ n: Node, _ prefix: String) throws {
            switch n {
            case .mapping(let m):
                for (k, v) in m {
                    guard case .scalar(let key) = k else { throw ValuesFileError(path: name, line: k.mark?.line ?? 0, message: "keys must be plain names") }
                    try walk(v, prefix.isEmpty ? key.string : prefix + "." + key.string)
                }
            case .sequence(let items) where scalar(n) == nil:
                for (i, item) in items.enumerated() { try walk(item, prefix + ".\(i)") }
            default:
                if let v = scalar(n) { out[prefix] = v }
            }
        }
        try walk(node, "")
        return out
    }

    // MARK: CSV / TSV metrics

    /// A header and one data row (DVC's tabular metrics); numbers become numbers.
    static func table(_ bytes: [UInt8], name: String, ext: String) throws -> RecordValues {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-metrics-\(UUID().uuidString).\(ext)").path
        guard FileManager.default.createFile(atPath: temp, contents: Data(bytes)) else {
            throw ValuesFileError(path: name, line: 0, message: "cannot be copied for reading")
        }
        defer { try? FileManager.default.removeItem(atPath: temp) }
        do {
            let reader = try TableReader(path: temp)
            let header = reader.header
            guard try reader.next() else { throw ValuesFileError(path: name, line: 0, message: "has a header but no row of values") }
            let row = reader.fields
            if try reader.next() {
                throw ValuesFileError(path: name, line: reader.line, message: "has more than one row; a metrics table is a header and one row of values")
            }
            var out: RecordValues = [:]
            for (i, key) in header.enumerated() where i < row.count {
                let cell = row[i]
                out[key] = Double(cell).map { .number($0) } ?? .string(cell)
            }
            return out
        } catch let e as TableReadError {
            throw ValuesFileError(path: name, line: e.line, message: e.message)
        }
    }

    /// The values a declared key selects: the key itself, or every key below it (a whole section).
    static func select(_ key: String, in values: RecordValues) -> RecordValues? {
        if let v = values[key] { return [key: v] }
        let prefix = key + "."
        let below = values.filter { $0.key.hasPrefix(prefix) }
        return below.isEmpty ? nil : below
    }
}

/// A reader for the TOML that params files use: `[tables]`, `[a.b]`, `key = value` with dotted
/// keys, basic and literal strings, integers, floats, booleans, dates (kept as text), and
/// single-line arrays and inline tables. Multi-line strings and arrays of tables are refused with
/// the line (TOML 1.0 has them; params files rarely do).
enum TOMLValues {
    static func parse(_ bytes: [UInt8], name: String) throws -> RecordValues {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ValuesFileError(path: name, line: 0, message: "is not valid UTF-8") }
        var out: RecordValues = [:]
        var table = ""
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = n + 1
            func fail(_ m: String) -> ValuesFileError { ValuesFileError(path: name, line: lineNumber, message: m) }
            var s = Scanner(chars: Array(rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine), fail: fail)
            s.skipSpace()
            if s.atEnd || s.peek == "#" { continue }
            if s.peek == "[" {
                s.i += 1
                if s.peek == "[" { throw fail("arrays of tables ([[…]]) are not supported in params files") }
                let key = try s.dottedKey()
                s.skipSpace()
                guard s.peek == "]" else { throw fail("expected `]` after the table name") }
                s.i += 1
                try s.endOfLine()
                table = key.joined(separator: ".")
                continue
            }
            let key = try s.dottedKey()
            s.skipSpace()
            guard s.peek == "=" else { throw fail("expected `key = value`") }
            s.i += 1
            s.skipSpace()
            let full = (table.isEmpty ? [] : [table]) + [key.joined(separator: ".")]
            try s.value(into: &out, key: full.joined(separator: "."))
            try s.endOfLine()
        }
        return out
    }

    struct Scanner {
        let chars: [Character]
        let fail: (String) -> ValuesFileError
        var i = 0
        var atEnd: Bool { i >= chars.count }
        var peek: Character? { i < chars.count ? chars[i] : nil }

        mutating func skipSpace() { while let c = peek, c == " " || c == "\t" { i += 1 } }

        mutating func endOfLine() throws {
            skipSpace()
            if atEnd || peek == "#" { return }
            throw fail("unexpected text after the value: '\(String(chars[i...]))'")
        }

        mutating func dottedKey() throws -> [String] {
            var parts: [String] = []
            repeat {
                skipSpace()
                if peek == "\"" || peek == "'" { parts.append(try string()) } else {
                    let start = i
                    while let c = peek, c.isLetter || c.isNumber || c == "_" || c == "-" { i += 1 }
                    guard i > start else { throw fail("expected a key") }
                    parts.append(String(chars[start..<i]))
                }
                skipSpace()
                if peek == "." { i += 1 } else { break }
            } while true
            return parts
        }

        mutating func string() throws -> String {
            let quote = chars[i]
            if i + 2 < chars.count, chars[i + 1] == quote, chars[i + 2] == quote { throw fail("multi-line strings are not supported in params files") }
            i += 1
            var out = ""
            while let c = peek {
                i += 1
                if c == quote { return out }
                if c == "\\" && quote == "\"" {
                    guard let e = peek else { break }
                    i += 1
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "\\": out.append("\\")
                    case "\"": out.append("\"")
                    case "u", "U":
                        let count = e == "u" ? 4 : 8
                        guard i + count <= chars.count, let v = UInt32(String(chars[i..<i + count]), radix: 16), let scalar = Unicode.Scalar(v) else {
                            throw fail("bad \\\(e) escape")
                        }
                        out.unicodeScalars.append(scalar); i += count
                    default: throw fail("unknown escape \\\(e)")
                    }
                } else {
                    out.append(c)
                }
            }
            throw fail("the string is not closed")
        }

        mutating func scalar() throws -> RecordValue {
            guard let c = peek else { throw fail("a value is missing") }
            if c == "\"" || c == "'" { return .string(try string()) }
            if c == "[" {
                i += 1
                var items: [RecordValue] = []
                while true {
                    skipSpace()
                    if peek == "]" { i += 1; return .list(items) }
                    if atEnd { throw fail("the array is not closed on this line (multi-line arrays are not supported in params files)") }
                    items.append(try scalar())
                    skipSpace()
                    if peek == "," { i += 1 } else if peek != "]" { throw fail("expected `,` or `]` in the array") }
                }
            }
            let start = i
            while let d = peek, d != ",", d != "]", d != "}", d != "#" { i += 1 }
            let word = String(chars[start..<i]).trimmingCharacters(in: .whitespaces)
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "inf", "+inf": return .number(.infinity)
            case "-inf": return .number(-.infinity)
            case "nan", "+nan", "-nan": return .number(.nan)
            default: break
            }
            let plain = word.replacingOccurrences(of: "_", with: "")
            if plain.hasPrefix("0x"), let v = Int64(plain.dropFirst(2), radix: 16) { return .number(Double(v)) }
            if plain.hasPrefix("0o"), let v = Int64(plain.dropFirst(2), radix: 8) { return .number(Double(v)) }
            if plain.hasPrefix("0b"), let v = Int64(plain.dropFirst(2), radix: 2) { return .number(Double(v)) }
            if let d = Double(plain), plain.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true { return .number(d) }
            // Dates and times are kept as their text.
            if let f = word.first, f.isNumber, word.contains("-") || word.contains(":") { return .string(word) }
            throw fail("'\(word)' is not a TOML value (quote text: \"…\")")
        }

        mutating func value(into out: inout RecordValues, key: String) throws {
            if peek == "{" {
                i += 1
                while true {
                    skipSpace()
                    if peek == "}" { i += 1; return }
                    let inner = try dottedKey()
                    skipSpace()
                    guard peek == "=" else { throw fail("expected `key = value` in the inline table") }
                    i += 1; skipSpace()
                    try value(into: &out, key: key + "." + inner.joined(separator: "."))
                    skipSpace()
                    if peek == "," { i += 1 } else if peek != "}" { throw fail("expected `,` or `}` in the inline table") }
                }
            }
            guard out[key] == nil else { throw fail("the key '\(key)' is given twice") }
            out[key] = try scalar()
        }
    }
}
