import Foundation

/// How a delimited file is written: a Frictionless Table Dialect
/// (https://specs.frictionlessdata.io/csv-dialect/). Every reader of every validator reads a file
/// with the dialect it is given and nothing else: nothing is guessed while validating
/// (`TableSniffer` guesses for `schema infer`, which writes what it found down).
public struct TableDialect: Sendable, Equatable {
    /// The field separator; nil: the format's own (`,` for CSV, a tab for TSV).
    public var delimiter: UInt8?
    /// The quote character; nil: fields are never quoted.
    public var quoteChar: UInt8? = UInt8(ascii: "\"")
    /// A doubled quote inside a quoted field stands for one quote.
    public var doubleQuote = true
    /// A character that makes the next one literal (inside or outside quotes).
    public var escapeChar: UInt8?
    /// Spaces right after a delimiter are not part of the field.
    public var skipInitialSpace = false
    /// Lines that begin with this character are skipped.
    public var commentChar: UInt8?
    /// False: the first record is data and columns are named field1, field2, ….
    public var header = true
    /// The records (1-based, comment lines not counted) that make up the header, their cells joined
    /// by `headerJoin`; records before the last of them that are not listed are skipped.
    public var headerRows: [Int] = [1]
    public var headerJoin = " "
    /// Recorded as declared; reading accepts LF, CRLF and a lone CR whatever it says.
    public var lineTerminator = "\r\n"

    public init(delimiter: UInt8? = nil, quoteChar: UInt8? = UInt8(ascii: "\""), doubleQuote: Bool = true, escapeChar: UInt8? = nil,
                skipInitialSpace: Bool = false, commentChar: UInt8? = nil, header: Bool = true, headerRows: [Int] = [1],
                headerJoin: String = " ", lineTerminator: String = "\r\n") {
        self.delimiter = delimiter; self.quoteChar = quoteChar; self.doubleQuote = doubleQuote; self.escapeChar = escapeChar
        self.skipInitialSpace = skipInitialSpace; self.commentChar = commentChar; self.header = header
        self.headerRows = headerRows; self.headerJoin = headerJoin; self.lineTerminator = lineTerminator
    }

    /// The delimiter this dialect reads `format` with.
    public func delimiter(for format: TableFormat) -> UInt8 { delimiter ?? (format == .tsv ? 0x09 : 0x2C) }

    /// True when this is RFC 4180 as the format reads it by default (what the memory-mapped
    /// parallel readers implement); any other dialect is read by the streaming scanner.
    public func isDefault(for format: TableFormat) -> Bool {
        delimiter(for: format) == (format == .tsv ? 0x09 : 0x2C) && quoteChar == 0x22 && doubleQuote && escapeChar == nil
            && !skipInitialSpace && commentChar == nil && header && headerRows == [1]
    }

    /// The keys a dialect description may have, in the spec's spelling.
    public static let keys = ["delimiter", "quoteChar", "doubleQuote", "escapeChar", "skipInitialSpace", "commentChar",
                              "header", "headerRows", "headerJoin", "lineTerminator", "caseSensitiveHeader", "csvddfVersion"]

    /// A value of a dialect description as read from JSON or YAML (YAML gives every scalar as text).
    public enum Value: Sendable, Equatable {
        case text(String), bool(Bool), number(Double), list([Value]), null
    }

    /// Reads a dialect description (`{"delimiter": ";", "commentChar": "#"}`), checking every key
    /// and value; mistakes are a `TableDialectError` naming the key and saying what is expected.
    public init(description: [(key: String, value: Value)]) throws {
        self.init()
        var seenQuoteNull = false
        for (key, value) in description {
            func fail(_ message: String) -> TableDialectError { TableDialectError(key: key, message: message) }
            func char(allowNull: Bool) throws -> UInt8? {
                if case .null = value, allowNull { return nil }
                guard case .text(let s) = value else { throw fail("expected one character in quotes, e.g. \";\"") }
                if s == "\\t" { return 0x09 }
                let bytes = Array(s.utf8)
                guard bytes.count == 1 else {
                    throw fail("expected exactly one character, not '\(s)'" + (bytes.count > 1 && s.unicodeScalars.count == 1 ? " (lineage reads one-byte ASCII characters here)" : ""))
                }
                guard bytes[0] != 0x0A && bytes[0] != 0x0D else { throw fail("a line break cannot be \(key)") }
                return bytes[0]
            }
            func bool() throws -> Bool {
                switch value {
                case .bool(let b): return b
                case .text(let s) where ["true", "yes", "on"].contains(s.lowercased()): return true
                case .text(let s) where ["false", "no", "off"].contains(s.lowercased()): return false
                default: throw fail("expected true or false")
                }
            }
            func int(_ v: Value) throws -> Int {
                switch v {
                case .number(let d) where d == d.rounded() && d >= 1 && d < 1e6: return Int(d)
                case .text(let s): if let n = Int(s), n >= 1, n < 1_000_000 { return n }
                default: break
                }
                throw fail("expected row numbers ≥ 1, e.g. [1] or [1, 2]")
            }
            switch key {
            case "delimiter":
                delimiter = try char(allowNull: false)
            case "quoteChar":
                quoteChar = try char(allowNull: true)
                seenQuoteNull = quoteChar == nil
            case "doubleQuote": doubleQuote = try bool()
            case "escapeChar": escapeChar = try char(allowNull: true)
            case "skipInitialSpace": skipInitialSpace = try bool()
            case "commentChar": commentChar = try char(allowNull: true)
            case "header": header = try bool()
            case "headerRows":
                switch value {
                case .list(let items): headerRows = try items.map(int)
                default: headerRows = [try int(value)]
                }
                guard !headerRows.isEmpty, headerRows == headerRows.sorted(), Set(headerRows).count == headerRows.count else {
                    throw fail("expected increasing row numbers ≥ 1, e.g. [1] or [1, 2]")
                }
            case "headerJoin":
                guard case .text(let s) = value else { throw fail("expected a text, e.g. \" \"") }
                headerJoin = s
            case "lineTerminator":
                guard case .text(let s) = value, ["\r\n", "\n", "\r", "\\r\\n", "\\n", "\\r"].contains(s) else {
                    throw fail("expected \"\\r\\n\", \"\\n\" or \"\\r\"")
                }
                lineTerminator = s.replacingOccurrences(of: "\\r", with: "\r").replacingOccurrences(of: "\\n", with: "\n")
            case "caseSensitiveHeader", "csvddfVersion":
                break   // accepted by the spec; they change nothing lineage reads
            default:
                let near = TableDialect.keys.min { TableDialect.distance($0, key) < TableDialect.distance($1, key) }
                    .flatMap { TableDialect.distance($0, key) <= max(2, key.count / 4) ? $0 : nil }
                throw fail("unknown dialect key" + (near.map { " (did you mean '\($0)'?)" } ?? "") + "; keys are \(TableDialect.keys.prefix(10).joined(separator: ", "))")
            }
        }
        _ = seenQuoteNull
        if let d = delimiter {
            if d == quoteChar { throw TableDialectError(key: "delimiter", message: "the delimiter and the quote character are both '\(Character(Unicode.Scalar(d)))'") }
            if d == escapeChar { throw TableDialectError(key: "delimiter", message: "the delimiter and the escape character are both '\(Character(Unicode.Scalar(d)))'") }
            if d == commentChar { throw TableDialectError(key: "delimiter", message: "the delimiter and the comment character are both '\(Character(Unicode.Scalar(d)))'") }
        }
        if let q = quoteChar, q == escapeChar, !doubleQuote {
            throw TableDialectError(key: "escapeChar", message: "the escape character is the quote character; say doubleQuote: true instead")
        }
        if !header { headerRows = [] }
    }

    /// The dialect's description, only the keys that differ from the spec's defaults (and always
    /// the delimiter), as JSON members.
    public func descriptor(for format: TableFormat) -> [(String, SchemaJSON)] {
        func s(_ b: UInt8) -> SchemaJSON { .string(String(Unicode.Scalar(b))) }
        var out: [(String, SchemaJSON)] = [("delimiter", s(delimiter(for: format)))]
        if quoteChar != 0x22 { out.append(("quoteChar", quoteChar.map(s) ?? .null)) }
        if !doubleQuote { out.append(("doubleQuote", .bool(false))) }
        if let e = escapeChar { out.append(("escapeChar", s(e))) }
        if skipInitialSpace { out.append(("skipInitialSpace", .bool(true))) }
        if let c = commentChar { out.append(("commentChar", s(c))) }
        if !header { out.append(("header", .bool(false))) }
        if header && headerRows != [1] { out.append(("headerRows", .array(headerRows.map { .number(String($0)) }))) }
        if headerJoin != " " { out.append(("headerJoin", .string(headerJoin))) }
        if lineTerminator != "\r\n" { out.append(("lineTerminator", .string(lineTerminator))) }
        return out
    }

    /// Words for messages: `delimiter ';', comment lines '#', spaces after delimiters skipped`.
    public func summary(for format: TableFormat) -> String {
        func c(_ b: UInt8) -> String { b == 0x09 ? "tab" : "'\(Character(Unicode.Scalar(b)))'" }
        var parts = ["delimiter \(c(delimiter(for: format)))"]
        if quoteChar != 0x22 { parts.append(quoteChar.map { "quote \(c($0))" } ?? "no quoting") }
        if let e = escapeChar { parts.append("escape \(c(e))") }
        if skipInitialSpace { parts.append("spaces after delimiters skipped") }
        if let k = commentChar { parts.append("comment lines \(c(k))") }
        if !header { parts.append("no header row") } else if headerRows != [1] { parts.append("header rows \(headerRows.map(String.init).joined(separator: ", "))") }
        return parts.joined(separator: ", ")
    }
}

extension TableDialect.Value {
    /// A JSON value as a dialect value.
    public init(json: SchemaJSON) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let t): self = Double(t).map { .number($0) } ?? .text(t)
        case .string(let s): self = .text(s)
        case .array(let items): self = .list(items.map(TableDialect.Value.init(json:)))
        case .object: self = .text("{…}")
        }
    }
}

extension TableDialect {
    /// Reads a dialect from a JSON object (a resource's `dialect`).
    public init(json: SchemaJSON) throws {
        guard case .object(let members) = json else {
            throw TableDialectError(key: "dialect", message: "expected an object, e.g. {\"delimiter\": \";\"}")
        }
        try self.init(description: members.map { ($0.0, Value(json: $0.1)) })
    }
}

extension TableDialect {
    /// Edit distance between two keys, case and `_`/`-` ignored (for "did you mean").
    static func distance(_ a: String, _ b: String) -> Int {
        func norm(_ s: String) -> [Character] { Array(s.lowercased().filter { $0 != "_" && $0 != "-" }) }
        let x = norm(a), y = norm(b)
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        var row = Array(0...y.count)
        for i in 1...x.count {
            var previous = row[0]
            row[0] = i
            for j in 1...y.count {
                let saved = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (x[i - 1] == y[j - 1] ? 0 : 1))
                previous = saved
            }
        }
        return row[y.count]
    }
}

/// A mistake in a dialect or encoding description.
public struct TableDialectError: Error, CustomStringConvertible, Sendable, Equatable {
    public var key: String
    public var message: String
    public init(key: String, message: String) { self.key = key; self.message = message }
    public var description: String { "\(key): \(message)" }
}

/// The character encoding of a table file. UTF-8 is the default; a declared legacy encoding is
/// decoded to UTF-8 as the file is read (never guessed while validating).
public enum TableEncoding: Sendable, Equatable, CustomStringConvertible {
    case utf8
    /// UTF-16 with a byte-order mark (the mark says which byte order).
    case utf16
    /// A single-byte encoding by its name (`iso-8859-1` … `iso-8859-16`, `windows-1250` … `windows-1258`).
    case singleByte(String)

    public var description: String {
        switch self { case .utf8: return "utf-8"; case .utf16: return "utf-16"; case .singleByte(let n): return n }
    }

    /// Every name accepted, canonical form.
    public static var names: [String] { ["utf-8", "utf-16"] + LegacyEncodingTables.tables.keys.sorted { a, b in
        a.count != b.count ? a.count < b.count : a < b } }

    /// Reads an encoding name as frictionless and Python spell them: `utf-8`, `utf8`, `UTF-16`,
    /// `latin-1`, `latin1`, `iso-8859-15`, `ISO8859_2`, `cp1252`, `windows-1252`.
    public init(name: String) throws {
        var n = name.lowercased().replacingOccurrences(of: "_", with: "-")
        if n.hasPrefix("iso8859") { n = "iso-8859" + n.dropFirst(7) }
        if n.hasPrefix("iso-8859") && !n.hasPrefix("iso-8859-") { n = "iso-8859-" + n.dropFirst(8) }
        if n.hasPrefix("cp125") { n = "windows-" + n.dropFirst(2) }
        if n.hasPrefix("windows125") { n = "windows-" + n.dropFirst(7) }
        switch n {
        case "utf-8", "utf8", "utf-8-sig": self = .utf8
        case "utf-16", "utf16": self = .utf16
        case "latin-1", "latin1", "l1", "iso-latin-1": self = .singleByte("iso-8859-1")
        case "latin-2", "latin2": self = .singleByte("iso-8859-2")
        case "latin-9", "latin9": self = .singleByte("iso-8859-15")
        default:
            guard LegacyEncodingTables.tables[n] != nil else {
                throw TableDialectError(key: "encoding", message: "unknown or unsupported encoding '\(name)'; lineage reads utf-8, utf-16 (with a byte-order mark), iso-8859-1 … iso-8859-16 and windows-1250 … windows-1258")
            }
            self = .singleByte(n)
        }
    }
}

/// How a table file is compressed, by its last extension (`.gz`, `.bz2`, `.xz`, `.zip`).
public enum TableCompression: String, Sendable, CaseIterable {
    case gzip = "gz", bzip2 = "bz2", xz = "xz", zip = "zip"

    public static func guess(path: String) -> TableCompression? {
        TableCompression(rawValue: (path as NSString).pathExtension.lowercased())
    }
}

/// What a reader needs besides the format to read a table file the way it is written: its dialect
/// and its encoding (compression follows the extension).
public struct TableLayout: Sendable, Equatable {
    public var dialect: TableDialect
    public var encoding: TableEncoding
    public init(dialect: TableDialect = TableDialect(), encoding: TableEncoding = .utf8) {
        self.dialect = dialect; self.encoding = encoding
    }

    /// True when the file can be read in place as RFC 4180 UTF-8 (memory-mapped, in parallel):
    /// not compressed, UTF-8, the format's default dialect.
    public func isPlain(path: String, format: TableFormat) -> Bool {
        TableCompression.guess(path: path) == nil && encoding == .utf8 && (format == .jsonl || dialect.isDefault(for: format))
    }
}
