import Foundation

/// The kinds of personal data the PII scanner recognises. Names follow the rights record's
/// personal-data categories, except `ssn` (a US Social Security number), which a rights record
/// declares as `national-id` (or `ssn`).
public enum PIICategory: String, CaseIterable, Sendable, Codable, Comparable {
    case email
    case phone
    case creditCard = "credit-card"
    case iban
    case ssn
    case ipAddress = "ip-address"

    public static func < (a: PIICategory, b: PIICategory) -> Bool { a.index < b.index }
    var index: Int { PIICategory.allCases.firstIndex(of: self)! }

    /// The rights-record category to declare it under.
    public var rightsCategory: String { self == .ssn ? "national-id" : rawValue }

    /// The rights-record category names (lower-case, `-`-joined) that declare this category.
    public var declaredBy: Set<String> {
        switch self {
        case .email: return ["email", "e-mail", "email-address"]
        case .phone: return ["phone", "phone-number", "telephone", "telephone-number", "mobile"]
        case .creditCard: return ["credit-card", "card-number", "payment-card"]
        case .iban: return ["iban", "bank-account", "bank-account-number"]
        case .ssn: return ["ssn", "national-id", "social-security-number"]
        case .ipAddress: return ["ip-address", "ip", "online-identifier"]
        }
    }

    /// How one value of this category reads in a report (`email address`, `IBAN`, …).
    var noun: String {
        switch self {
        case .email: return "email address"
        case .phone: return "phone number"
        case .creditCard: return "credit-card number"
        case .iban: return "IBAN"
        case .ssn: return "US Social Security number"
        case .ipAddress: return "IP address"
        }
    }

    /// `count` values of this category: `1 email address`, `2 email addresses`.
    func counted(_ count: Int) -> String { count == 1 ? noun : plural }

    var plural: String { noun.hasSuffix("s") ? noun + "es" : noun + "s" }
}

/// What the PII scanner looks for and how.
public struct PIIOptions: Sendable, Equatable {
    /// Categories to look for (all by default).
    public var categories: Set<PIICategory>
    /// Table format; nil guesses from the extension. Files that are not CSV/TSV/JSONL are scanned as
    /// text, line by line; files with a NUL byte in their first 8 KiB are skipped as binary.
    public var format: TableFormat?
    /// How tables are written (dialect, encoding); RFC 4180 UTF-8 by default.
    public var layout: TableLayout = TableLayout()
    /// Worker threads for one file (CSV, TSV and text files are cut into that many pieces).
    public var threads: Int
    /// Let column names (`phone`, `mobile`, `ssn` …) admit bare digit strings that would otherwise not count.
    public var columnHints: Bool

    public init(categories: Set<PIICategory> = Set(PIICategory.allCases), format: TableFormat? = nil,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, columnHints: Bool = true) {
        self.categories = categories; self.format = format; self.threads = max(1, threads); self.columnHints = columnHints
    }
}

/// Occurrences of one category in one column (tables) or in a whole text file (`column` nil).
public struct PIIHits: Sendable, Equatable, Codable {
    public var category: PIICategory
    public var column: String?
    public var count: Int
    /// The first rows (tables; header = row 1) or lines (text) where it occurs.
    public var rows: [Int]
    /// Masked samples (`j***@e***.com`, `**** **** **** 1111`); never a raw value.
    public var samples: [String]
}

/// What scanning one file found.
public struct PIIScanResult: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case table, text, binary }
    public var path: String
    public var kind: Kind
    public var bytes: Int
    /// Records read (tables, header included) or lines (text).
    public var rows: Int
    /// Sorted by category, then column order.
    public var hits: [PIIHits]

    /// Categories found, in `PIICategory` order.
    public var categories: [PIICategory] { Array(Set(hits.map(\.category))).sorted() }
    public func count(_ category: PIICategory) -> Int { hits.filter { $0.category == category }.reduce(0) { $0 + $1.count } }
    /// Columns holding `category`, in column order.
    public func columns(_ category: PIICategory) -> [String] { hits.filter { $0.category == category }.compactMap(\.column) }
}

/// One match in a string (for callers and tests): its category, byte range and masked form.
public struct PIIMatch: Sendable, Equatable {
    public var category: PIICategory
    public var range: Range<Int>
    public var masked: String
}

/// Finds personal data — email addresses, phone numbers (E.164 and common national formats),
/// Luhn-valid credit-card numbers, mod-97-valid IBANs, US SSNs, IPv4 and IPv6 addresses — in tables
/// (per column) and text files (per line), and turns what it found and what a rights record
/// declares into findings. Reports carry masked samples only.
///
/// The scan works on bytes: it skips every byte that cannot start a match (letters, spaces,
/// punctuation) with one table look-up and tests the precise rules only at digits, `@`, `:`, `+`
/// and `(`. CSV/TSV and text files are memory-mapped and cut into pieces scanned on separate threads
/// (a CSV piece starts at a line break; if a quoted field turns out to span that break, the rest of
/// the file is rescanned in one piece, so results never depend on the cut).
public enum PIIValidator {
    public static let name = "pii"
    public static let version = "1"

    // MARK: Scanning

    /// Every match in `text`; `column` (a column name) enables column hints.
    public static func matches(in text: String, column: String? = nil, categories: Set<PIICategory> = Set(PIICategory.allCases)) -> [PIIMatch] {
        let bytes = Array(text.utf8)
        let matcher = PIIMatcher(categories: categories)
        let hint = column.map(ColumnHint.init(name:)) ?? ColumnHint()
        var raw: [RawMatch] = []
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            matcher.scan(base, 0, b.count, hint: hint, into: &raw)
        }
        return raw.map { m in
            PIIMatch(category: m.category, range: m.start..<m.end,
                     masked: bytes.withUnsafeBufferPointer { mask(UnsafeBufferPointer(rebasing: $0[m.start..<m.end]), as: m.category) })
        }
    }

    /// Scans one file. Throws `TableReadError` when it cannot be read (or, for JSON Lines, is malformed),
    /// and when a table's record is longer than `maxRecordBytes` (see `ReaderLimits`).
    public static func scan(path: String, options: PIIOptions = PIIOptions(), maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws -> PIIScanResult {
        let format = options.format ?? TableFormat.guess(path: path)
        if let format, format == .jsonl || !options.layout.isPlain(path: path, format: format) {
            // JSON Lines, and tables not read in place (compressed, another encoding or dialect): the shared streaming reader.
            return try scanRecords(path: path, format: format, options: options, maxRecordBytes: maxRecordBytes)
        }
        let file = try MappedFile(path: path)
        let bytes = UnsafeBufferPointer(start: file.base, count: file.count)
        if let base = bytes.baseAddress, memchr(base, 0, min(bytes.count, 8192)) != nil {
            return PIIScanResult(path: path, kind: .binary, bytes: bytes.count, rows: 0, hits: [])
        }
        if let format {
            return try scanDelimited(bytes, path: path, delimiter: format == .tsv ? 0x09 : 0x2C, options: options, maxRecordBytes: maxRecordBytes)
        }
        return scanText(bytes, path: path, options: options)
    }

    // MARK: Policy

    /// Normalises rights-record category names: lower-case, `_` and spaces as `-`.
    static func canonicalDeclared(_ declared: [String]) -> Set<String> {
        Set(declared.map { $0.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: " ", with: "-") })
    }

    /// Whether a rights record listing `declared` covers `category` (`national-id` covers `ssn`,
    /// `bank-account` covers `iban`).
    public static func isDeclared(_ category: PIICategory, in declared: [String]) -> Bool {
        !category.declaredBy.isDisjoint(with: canonicalDeclared(declared))
    }

    /// The failures the PII policy asks for: with no rights record (`declared` nil) and any category
    /// found, one `no-rights-record` error; otherwise one error per found category the record does not
    /// declare (check = the category name).
    public static func policyFindings(found: [PIICategory], declared: [String]?, file: String? = nil) -> [ValidationFinding] {
        let found = Array(Set(found)).sorted()
        guard !found.isEmpty else { return [] }
        let place = file.map { "\($0) " } ?? "the dataset "
        guard let declared else {
            return [ValidationFinding(
                check: "no-rights-record", severity: .error,
                message: "\(place)contains personal data (\(found.map(\.rawValue).joined(separator: ", "))) but has no rights record; add one that declares \(found.map(\.rightsCategory).joined(separator: ", ")) in its pii list",
                file: file, count: found.count)]
        }
        return found.filter { !isDeclared($0, in: declared) }.map { c in
            ValidationFinding(
                check: c.rawValue, severity: .error,
                message: "\(place)contains \(c.plural) but its rights record does not declare \(c.rightsCategory) (it declares: \(declared.isEmpty ? "none" : declared.joined(separator: ", "))); add \(c.rightsCategory) to its pii list or remove the data",
                file: file)
        }
    }

    /// A report over scanned files against one rights record (`declared` nil: there is none). Errors:
    /// per file, `no-rights-record` when it holds personal data and there is no record, and one finding
    /// per undeclared category and column with its count, first rows and masked samples. Declared
    /// categories are not findings; every category's total is in `counts` (plus `files`, `bytes`,
    /// `binary-files-skipped`).
    public static func report(scans: [PIIScanResult], declared: [String]?) -> ValidationReport {
        var report = ValidationReport(validator: name, version: version)
        report.counts["files"] = scans.count
        report.counts["bytes"] = scans.reduce(0) { $0 + $1.bytes }
        let skipped = scans.filter { $0.kind == .binary }.count
        if skipped > 0 { report.counts["binary-files-skipped"] = skipped }
        for c in PIICategory.allCases {
            let n = scans.reduce(0) { $0 + $1.count(c) }
            if n > 0 { report.counts[c.rawValue] = n }
        }
        for scan in scans {
            if declared == nil {
                report.findings += policyFindings(found: scan.categories, declared: nil, file: scan.path)
            }
            for h in scan.hits where declared.map({ !isDeclared(h.category, in: $0) }) ?? true {
                let whereText = h.column.map { "column \($0) of \(scan.path)" } ?? scan.path
                let unit = scan.kind == .text ? "line" : "row"
                let why = declared.map { "its rights record does not declare \(h.category.rightsCategory) (declared: \($0.isEmpty ? "none" : $0.joined(separator: ", ")))" }
                    ?? "there is no rights record"
                report.findings.append(ValidationFinding(
                    check: h.category.rawValue, severity: .error,
                    message: "\(h.count) \(h.category.counted(h.count)) in \(whereText) (first \(unit)s \(h.rows.map(String.init).joined(separator: ", "))) but \(why); declare \(h.category.rightsCategory) or remove them",
                    file: scan.path, column: h.column, rows: h.rows, count: h.count, examples: h.samples))
            }
        }
        return report
    }

    // MARK: Masking

    /// The masked form of a matched value: enough to recognise the kind and check a report, never the value.
    public static func mask(_ value: String, as category: PIICategory) -> String {
        Array(value.utf8).withUnsafeBufferPointer { mask($0, as: category) }
    }

    static func mask(_ v: UnsafeBufferPointer<UInt8>, as category: PIICategory) -> String {
        var out = [UInt8]()
        out.reserveCapacity(v.count)
        let star = UInt8(ascii: "*")
        func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
        func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 26 }
        switch category {
        case .email:
            guard let at = v.firstIndex(of: 0x40), let dot = v.lastIndex(of: 0x2E), dot > at else { return "***" }
            out.append(v[0]); out += Array("***@".utf8)
            out.append(v[at + 1]); out += Array("***".utf8)
            out += v[dot...]
        case .phone, .creditCard, .ssn:
            let keep = category == .phone ? 2 : 4
            var digitsLeft = v.filter(isDigit).count
            for b in v {
                if isDigit(b) { out.append(digitsLeft > keep ? star : b); digitsLeft -= 1 } else { out.append(b) }
            }
        case .iban:
            var alnumLeft = v.filter(isAlnum).count
            var seen = 0
            for b in v {
                if isAlnum(b) {
                    out.append(seen < 2 || alnumLeft <= 4 ? b : star)
                    seen += 1; alnumLeft -= 1
                } else {
                    out.append(b)
                }
            }
        case .ipAddress:
            if v.contains(0x3A) {
                // IPv6: the first group, then every hex digit masked.
                var inFirst = v.first != 0x3A
                for b in v {
                    if b == 0x3A { inFirst = false; out.append(b) } else { out.append(inFirst ? b : star) }
                }
            } else {
                var octet = 0
                for b in v {
                    if b == 0x2E { octet += 1; out += Array(".*".utf8) } else if octet == 0 { out.append(b) }
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Files

    private static func hints(_ header: [String], options: PIIOptions) -> [ColumnHint] {
        header.map { options.columnHints ? ColumnHint(name: $0) : ColumnHint() }
    }

    static func scanRecords(path: String, format: TableFormat, options: PIIOptions, maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws -> PIIScanResult {
        let reader = try TableReader(path: path, format: format, layout: options.layout, maxRecordBytes: maxRecordBytes)
        var tally = Tally()
        let matcher = PIIMatcher(categories: options.categories)
        var raw: [RawMatch] = []
        var hints = hints(reader.header, options: options)
        while try reader.next() {
            for c in 0..<reader.fieldCount {
                if c >= hints.count { hints.append(ColumnHint()) }
                reader.withField(c) { f in
                    guard let base = f.baseAddress else { return }
                    if !raw.isEmpty { raw.removeAll(keepingCapacity: true) }
                    matcher.scan(base, 0, f.count, hint: hints[c], into: &raw)
                    for m in raw { tally.add(m.category, column: c, row: reader.row, value: UnsafeBufferPointer(rebasing: f[m.start..<m.end])) }
                }
            }
        }
        return PIIScanResult(path: path, kind: .table, bytes: reader.bytesRead, rows: reader.row,
                             hits: tally.hits(header: reader.header))
    }

    /// Piece starts: 0 and, for each further piece, the byte after the first LF at or after its
    /// nominal offset (pieces of at least 1 MiB).
    private static func cuts(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, pieces: Int) -> [Int] {
        let n = bytes.count
        let k = max(1, min(pieces, (n - start) / (1 << 20)))
        var out = [start]
        guard k > 1, let base = bytes.baseAddress else { return out }
        for i in 1..<k {
            let nominal = start + (n - start) * i / k
            guard nominal > out.last!, let lf = memchr(base + nominal, 0x0A, n - nominal) else { break }
            let cut = base.distance(to: lf.assumingMemoryBound(to: UInt8.self)) + 1
            if cut < n, cut > out.last! { out.append(cut) }
        }
        return out
    }

    static func scanText(_ bytes: UnsafeBufferPointer<UInt8>, path: String, options: PIIOptions) -> PIIScanResult {
        let starts = cuts(bytes, from: 0, pieces: options.threads)
        let ends = Array(starts.dropFirst()) + [bytes.count]
        let categories = options.categories
        let shared = SharedBytes(bytes)
        let pieces = try! runConcurrently(starts.count) { i -> (Tally, Int) in
            var tally = Tally()
            let matcher = PIIMatcher(categories: categories)
            var raw: [RawMatch] = []
            let b = shared.bytes, base = b.baseAddress!
            var pos = starts[i], line = 0
            let end = ends[i]
            while pos < end {
                let nl = memchr(base + pos, 0x0A, end - pos)
                let lineEnd = nl.map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? end
                var contentEnd = lineEnd
                if contentEnd > pos, base[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                if !raw.isEmpty { raw.removeAll(keepingCapacity: true) }
                matcher.scan(base, pos, contentEnd, hint: ColumnHint(), into: &raw)
                for m in raw { tally.add(m.category, column: 0, row: line, value: UnsafeBufferPointer(start: base + m.start, count: m.end - m.start)) }
                line += 1
                pos = lineEnd + 1
            }
            return (tally, line)
        }
        var tally = Tally()
        var before = 1   // line numbers are 1-based
        for (t, lines) in pieces { tally.merge(t, rowOffset: before); before += lines }
        return PIIScanResult(path: path, kind: .text, bytes: bytes.count, rows: before - 1, hits: tally.hits(header: nil))
    }

    static func scanDelimited(_ bytes: UnsafeBufferPointer<UInt8>, path: String, delimiter: UInt8, options: PIIOptions,
                              maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws -> PIIScanResult {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return PIIScanResult(path: path, kind: .table, bytes: 0, rows: 0, hits: [])
        }
        var start = 0
        if bytes.count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { start = 3 }
        // The header record.
        let headerRecord = MappedRecord(base: base, count: bytes.count, delimiter: delimiter, maxRecordBytes: maxRecordBytes)
        let afterHeader = headerRecord.parse(at: start)
        if headerRecord.tooLong { throw TableReadError.recordTooLong(path: path, line: 1, limit: maxRecordBytes) }
        if let message = headerRecord.malformed { throw TableReadError(path: path, line: 1, message: message) }
        // Tables are UTF-8 (or declared otherwise and read by `TableReader`), as every validator reads them.
        if UTF8Check.firstInvalid(base, start, afterHeader) != nil {
            throw TableReadError(path: path, line: 1, message: TableReadError.invalidUTF8)
        }
        let header = (0..<headerRecord.fieldCount).map(headerRecord.string)
        let hints = hints(header, options: options)
        let categories = options.categories
        let shared = SharedBytes(bytes)
        let starts = cuts(bytes, from: afterHeader, pieces: options.threads)
        let ends = Array(starts.dropFirst()) + [bytes.count]

        enum Failure { case invalidUTF8, tooLong, malformed(String) }
        struct Piece { var tally: Tally; var records: Int; var next: Int; var failure: (at: Int, Failure)? }

        // Records are parsed by the parser every reader uses (`MappedRecord`); an unquoted field is
        // scanned for matches in the same pass that finds its end (`PIIFields`), a quoted one once
        // unquoted. A record is read no further than `maxRecordBytes + 1` bytes.
        @Sendable func piece(_ from: Int, _ to: Int) -> Piece {
            if let bad = UTF8Check.firstInvalid(shared.bytes.baseAddress!, from, to) { return Piece(tally: Tally(), records: 0, next: to, failure: (bad, .invalidUTF8)) }
            let b = shared.bytes, base = b.baseAddress!
            let record = MappedRecord(base: base, count: b.count, delimiter: delimiter, maxRecordBytes: maxRecordBytes)
            var fields = PIIFields(matcher: PIIMatcher(categories: categories), hints: hints, delimiter: delimiter)
            var pos = from
            while pos < to {
                let next = record.parse(at: pos, visitor: &fields)
                if record.tooLong { return Piece(tally: fields.tally, records: fields.row, next: pos, failure: (pos, .tooLong)) }
                if let message = record.malformed { return Piece(tally: fields.tally, records: fields.row, next: pos, failure: (pos, .malformed(message))) }
                fields.row += 1
                pos = next
            }
            return Piece(tally: fields.tally, records: fields.row, next: pos, failure: nil)
        }

        var results = try! runConcurrently(starts.count) { i in piece(starts[i], ends[i]) }
        // A piece is right only if the one before it ended exactly at its start (no quoted field
        // spanned the cut); otherwise rescan from where the previous piece really ended.
        for i in 1..<max(results.count, 1) where results[i - 1].next != starts[i] {
            results.removeLast(results.count - i)
            if results[i - 1].failure == nil { results.append(piece(results[i - 1].next, bytes.count)) }
            break
        }
        if let (at, failure) = results.lazy.compactMap(\.failure).first {
            let line = physicalLine(base, count: bytes.count, at: at)
            switch failure {
            case .invalidUTF8: throw TableReadError(path: path, line: line, message: TableReadError.invalidUTF8)
            case .tooLong: throw TableReadError.recordTooLong(path: path, line: line, limit: maxRecordBytes)
            case .malformed(let message): throw TableReadError(path: path, line: line, message: message)
            }
        }
        var tally = Tally()
        var before = 2   // the header is row 1
        for r in results { tally.merge(r.tally, rowOffset: before); before += r.records }
        return PIIScanResult(path: path, kind: .table, bytes: bytes.count, rows: before - 1, hits: tally.hits(header: header))
    }
}

/// The PII scan as a `DelimitedFieldVisitor`: the matcher runs over each field while the record is
/// parsed, tallying matches for record `row` (relative to the piece). A mapped record is parsed in
/// one attempt (its window is the file), so nothing is counted twice.
struct PIIFields: DelimitedFieldVisitor {
    let matcher: PIIMatcher
    let hints: [ColumnHint]
    let delimiter: UInt8
    let none = ColumnHint()
    var tally = Tally()
    var row = 0
    private var raw: [RawMatch] = []

    init(matcher: PIIMatcher, hints: [ColumnHint], delimiter: UInt8) {
        self.matcher = matcher; self.hints = hints; self.delimiter = delimiter
    }

    @inline(__always) mutating func beginRecord() {}

    @inline(__always)
    mutating func unquoted(_ p: UnsafePointer<UInt8>, from: Int, to: Int, column: Int) -> Int {
        let end = matcher.scanField(p, from, to, delimiter: delimiter, hint: column < hints.count ? hints[column] : none, into: &raw)
        if !raw.isEmpty { tallyMatches(p, column) }
        return end
    }

    @inline(__always)
    mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, column: Int) {
        guard let b = bytes.baseAddress else { return }
        matcher.scan(b, 0, bytes.count, hint: column < hints.count ? hints[column] : none, into: &raw)
        if !raw.isEmpty { tallyMatches(b, column) }
    }

    private mutating func tallyMatches(_ p: UnsafePointer<UInt8>, _ column: Int) {
        for m in raw { tally.add(m.category, column: column, row: row, value: UnsafeBufferPointer(start: p + m.start, count: m.end - m.start)) }
        raw.removeAll(keepingCapacity: true)
    }
}

// MARK: - Tallies

/// Counts, first rows and masked samples per (category, column), rows relative to a piece.
struct Tally {
    struct Bucket { var count = 0; var rows: [Int] = []; var samples: [String] = [] }
    var buckets: [Bucket] = []   // index: column * categories + category
    static let width = PIICategory.allCases.count

    mutating func add(_ category: PIICategory, column: Int, row: Int, value: UnsafeBufferPointer<UInt8>) {
        let i = column * Tally.width + category.index
        if i >= buckets.count { buckets += Array(repeating: Bucket(), count: i + 1 - buckets.count) }
        buckets[i].count += 1
        if buckets[i].rows.count < ValidationFinding.exampleLimit {
            buckets[i].rows.append(row)
            buckets[i].samples.append(PIIValidator.mask(value, as: category))
        }
    }

    mutating func merge(_ other: Tally, rowOffset: Int) {
        if other.buckets.count > buckets.count { buckets += Array(repeating: Bucket(), count: other.buckets.count - buckets.count) }
        for (i, b) in other.buckets.enumerated() where b.count > 0 {
            buckets[i].count += b.count
            let room = ValidationFinding.exampleLimit - buckets[i].rows.count
            if room > 0 {
                buckets[i].rows += b.rows.prefix(room).map { $0 + rowOffset }
                buckets[i].samples += b.samples.prefix(room)
            }
        }
    }

    func hits(header: [String]?) -> [PIIHits] {
        var out: [PIIHits] = []
        for c in PIICategory.allCases {
            for column in 0..<(buckets.count + Tally.width - 1) / Tally.width {
                let i = column * Tally.width + c.index
                guard i < buckets.count, buckets[i].count > 0 else { continue }
                let name = header.map { column < $0.count ? $0[column] : "field\(column + 1)" }
                out.append(PIIHits(category: c, column: name, count: buckets[i].count, rows: buckets[i].rows, samples: buckets[i].samples))
            }
        }
        return out
    }
}

// MARK: - The matcher

/// What a column's name says about its values.
struct ColumnHint: Sendable {
    var phone = false
    var ssn = false
    init() {}
    init(name: String) {
        let lower = name.lowercased()
        let words = Set(lower.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        phone = ["phone", "mobile", "msisdn", "fax", "telephone"].contains { lower.contains($0) } || !words.isDisjoint(with: ["tel", "cell"])
        ssn = !words.isDisjoint(with: ["ssn"]) || lower.contains("social_security") || lower.contains("socialsecurity") || lower.contains("social-security")
    }
}

struct RawMatch { var category: PIICategory; var start: Int; var end: Int }

/// Byte classes for the scan loop.
private enum Cls {
    static let digit: UInt8 = 1, at: UInt8 = 2, colon: UInt8 = 4, plusParen: UInt8 = 8
    static let alnum: UInt8 = 16, hex: UInt8 = 32, upper: UInt8 = 64, local: UInt8 = 128
    static let trigger: UInt8 = digit | at | colon | plusParen
    /// 256 class bytes, allocated once for the life of the process.
    nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for i in 0..<256 {
            let b = UInt8(i)
            var c: UInt8 = 0
            if b &- 0x30 < 10 { c |= digit | alnum | hex | local }
            if b &- 0x41 < 26 { c |= alnum | upper | local; if b <= 0x46 { c |= hex } }
            if b &- 0x61 < 26 { c |= alnum | local; if b <= 0x66 { c |= hex } }
            if b == 0x40 { c |= at }
            if b == 0x3A { c |= colon }
            if b == 0x2B || b == 0x28 { c |= plusParen }
            if b == 0x2E || b == 0x5F || b == 0x25 || b == 0x2B || b == 0x2D { c |= local }
            t[i] = c
        }
        return UnsafePointer(t)
    }()

    /// 1 for bytes that may start a match; `stopInField` adds field ends (comma, tab, LF, CR).
    nonisolated(unsafe) static let stopInText: UnsafePointer<UInt8> = stopTable(structure: [])
    nonisolated(unsafe) static let stopInField: UnsafePointer<UInt8> = stopTable(structure: [0x2C, 0x09, 0x0A, 0x0D])

    private static func stopTable(structure: [UInt8]) -> UnsafePointer<UInt8> {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for i in 0..<256 { t[i] = table[i] & trigger != 0 || structure.contains(UInt8(i)) ? 1 : 0 }
        return UnsafePointer(t)
    }
}

/// Full IBAN length by country (ISO 13616 registry), indexed by the two letters.
private let ibanLengths: [UInt8] = {
    var t = [UInt8](repeating: 0, count: 26 * 26)
    let table = "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30"
    for entry in table.split(separator: " ") {
        let u = Array(entry.utf8)
        t[Int(u[0] - 0x41) * 26 + Int(u[1] - 0x41)] = UInt8(Int(String(entry.dropFirst(2)))!)
    }
    return t
}()

/// Scratch for one matcher: the digit groups of a number token (at most `limit`).
final class NumberGroups {
    static let limit = 12
    let start = UnsafeMutablePointer<Int>.allocate(capacity: NumberGroups.limit)
    let end = UnsafeMutablePointer<Int>.allocate(capacity: NumberGroups.limit)
    /// separator[g] joins group g and g + 1.
    let separator = UnsafeMutablePointer<UInt8>.allocate(capacity: NumberGroups.limit)
    deinit { start.deallocate(); end.deallocate(); separator.deallocate() }
}

struct PIIMatcher {
    let categories: Set<PIICategory>
    let email, phone, card, iban, ssn, ip: Bool
    private let cls: UnsafePointer<UInt8> = Cls.table
    private let stopInText: UnsafePointer<UInt8> = Cls.stopInText
    private let stopInField: UnsafePointer<UInt8> = Cls.stopInField
    private let ibanLength: [UInt8] = ibanLengths
    private let groups = NumberGroups()

    init(categories: Set<PIICategory>) {
        self.categories = categories
        email = categories.contains(.email); phone = categories.contains(.phone); card = categories.contains(.creditCard)
        iban = categories.contains(.iban); ssn = categories.contains(.ssn); ip = categories.contains(.ipAddress)
    }

    /// Appends every match in `p[lo..<hi]` to `out`, left to right, without overlaps.
    @inline(__always)
    func scan(_ p: UnsafePointer<UInt8>, _ lo: Int, _ hi: Int, hint: ColumnHint, into out: inout [RawMatch]) {
        _ = run(p, lo, hi, hint: hint, field: false, delimiter: 0, into: &out)
    }

    /// Scans an unquoted CSV/TSV field starting at `lo` up to its end — the first `delimiter`, LF or
    /// CR, or `hi` — appending its matches to `out`; returns where the field ends. (No match can
    /// contain a delimiter, line break or quote, so the matchers never cross a field's end.)
    @inline(__always)
    func scanField(_ p: UnsafePointer<UInt8>, _ lo: Int, _ hi: Int, delimiter: UInt8, hint: ColumnHint, into out: inout [RawMatch]) -> Int {
        run(p, lo, hi, hint: hint, field: true, delimiter: delimiter, into: &out)
    }

    @inline(__always)
    private func run(_ p: UnsafePointer<UInt8>, _ lo: Int, _ hi: Int, hint: ColumnHint, field: Bool, delimiter: UInt8,
                     into out: inout [RawMatch]) -> Int {
        let cls = self.cls
        // What stops the skip loop: a possible match start, and in a field also a field end.
        let stop = field ? stopInField : stopInText
        var i = lo
        while i < hi {
            // The hot loop: skip bytes that cannot start anything, four at a time.
            while i + 4 <= hi, stop[Int(p[i])] | stop[Int(p[i + 1])] | stop[Int(p[i + 2])] | stop[Int(p[i + 3])] == 0 {
                i += 4
            }
            while i < hi, stop[Int(p[i])] == 0 { i += 1 }
            if i >= hi { break }
            let c = cls[Int(p[i])]
            if field && c & Cls.trigger == 0 {
                let b = p[i]
                if b == delimiter || b == 0x0A || b == 0x0D { return i }
                i += 1   // the other delimiter (a tab in a CSV field, a comma in a TSV one)
                continue
            }
            if c & Cls.digit != 0 {
                if i > lo, cls[Int(p[i - 1])] & Cls.alnum != 0 {
                    // Digits inside a word: only an IBAN (two capitals, then the check digits) starts here.
                    if iban, i - 2 >= lo, cls[Int(p[i - 1])] & Cls.upper != 0, cls[Int(p[i - 2])] & Cls.upper != 0,
                       i - 3 < lo || cls[Int(p[i - 3])] & Cls.alnum == 0,
                       let end = matchIBAN(p, i - 2, hi) {
                        out.append(RawMatch(category: .iban, start: i - 2, end: end)); i = end; continue
                    }
                    while i < hi, cls[Int(p[i])] & Cls.alnum != 0 { i += 1 }
                    continue
                }
                if i > lo, p[i - 1] == 0x2E, i - 1 > lo, cls[Int(p[i - 2])] & Cls.digit != 0 { i += 1; continue }
                let (category, end) = matchNumber(p, i, hi, hint)
                if let category { out.append(RawMatch(category: category, start: i, end: end)) }
                i = max(end, i + 1)
            } else if c & Cls.at != 0 {
                if email, let (s, e) = matchEmail(p, i, lo, hi) {
                    out.append(RawMatch(category: .email, start: s, end: e)); i = e
                } else {
                    i += 1
                }
            } else if c & Cls.colon != 0 {
                if ip {
                    let (s, e, matched) = matchIPv6(p, i, lo, hi)
                    if matched {
                        // An IPv6 address whose first group was digits may follow a match on those digits.
                        if let last = out.last, last.end > s { out.removeLast() }
                        out.append(RawMatch(category: .ipAddress, start: s, end: e))
                    }
                    i = max(e, i + 1)
                } else {
                    i += 1
                }
            } else {
                // '+' or '(' before digits, not inside a word.
                let next = i + 1 < hi ? p[i + 1] : 0
                if phone, next &- 0x30 < 10 || (p[i] == 0x2B && next == 0x28), i == lo || cls[Int(p[i - 1])] & Cls.alnum == 0 {
                    let (category, end) = matchNumber(p, i, hi, hint)
                    if let category { out.append(RawMatch(category: category, start: i, end: end)); i = end; continue }
                }
                i += 1
            }
        }
        return hi
    }

    // MARK: Numbers: phone, credit card, SSN, IPv4

    /// Reads a number token at `s` (a digit, `+` or `(`): digit groups joined by single separators
    /// (space, `-`, `.`) and at most one parenthesised group; classifies it. Returns the token end.
    private func matchNumber(_ p: UnsafePointer<UInt8>, _ s: Int, _ hi: Int, _ hint: ColumnHint) -> (PIICategory?, Int) {
        let cls = self.cls
        @inline(__always) func isDigit(_ i: Int) -> Bool { i < hi && p[i] &- 0x30 < 10 }
        // Fast path: a bare digit run followed by something that cannot continue a token.
        if p[s] &- 0x30 < 10 {
            var e = s
            while e < hi, p[e] &- 0x30 < 10 { e += 1 }
            let next = e < hi ? p[e] : 0
            let continues = (next == 0x20 || next == 0x2D || next == 0x2E || next == 0x28) && isDigit(e + 1)
            if !continues {
                if e < hi, cls[Int(next)] & Cls.alnum != 0 || next == 0x40 { return (nil, e) }
                let n = e - s
                if n < 7 { return (nil, e) }
                if card, n >= 13, n <= 19, isCardNumber(p, s, e) { return (.creditCard, e) }
                if ssn, hint.ssn, n == 9, isSSN(p, s, s + 3, s + 5) { return (.ssn, e) }
                if phone, hint.phone, n <= 15 { return (.phone, e) }
                return (nil, e)
            }
        }
        let gs = groups.start, ge = groups.end, sep = groups.separator
        var count = 0
        var i = s
        var plus = false, paren = false
        if p[i] == 0x2B { plus = true; i += 1; if i < hi, p[i] == 0x20 { i += 1 } }
        var digits = 0
        while i < hi, count < NumberGroups.limit {
            if p[i] == 0x28, !paren {
                // "(555)" or "(0)": one parenthesised group.
                var e = i + 1
                while isDigit(e) { e += 1 }
                guard e > i + 1, e < hi, p[e] == 0x29, e - i - 1 <= 4 else { break }
                paren = true
                gs[count] = i + 1; ge[count] = e; digits += e - i - 1
                i = e + 1
                if i < hi, p[i] == 0x20 || p[i] == 0x2D, isDigit(i + 1) { i += 1 }
                sep[count] = 0x29
                count += 1
                guard isDigit(i) else { break }
                continue
            }
            guard isDigit(i) else { break }
            let g = i
            while isDigit(i) { i += 1 }
            gs[count] = g; ge[count] = i; digits += i - g
            count += 1
            if digits > 24 { break }
            if i < hi, p[i] == 0x20 || p[i] == 0x2D || p[i] == 0x2E,
               isDigit(i + 1) || (p[i] != 0x2E && i + 1 < hi && p[i + 1] == 0x28) {
                sep[count - 1] = p[i]; i += 1
                continue
            }
            break
        }
        if count == 0 { return (nil, i + 1) }
        let end = ge[count - 1]
        if digits > 24 || digits < 4 { return (nil, end) }
        // Right boundary: not inside a word or an email address, not a longer dotted number.
        if end < hi {
            let b = p[end]
            if cls[Int(b)] & Cls.alnum != 0 || b == 0x40 { return (nil, end) }
            if b == 0x2E || b == 0x2D, isDigit(end + 1) { return (nil, end) }
        }
        @inline(__always) func len(_ g: Int) -> Int { ge[g] - gs[g] }
        var sameSeparator = true, dotted = false, allDots = true
        for g in 0..<(count - 1) {
            if sep[g] != sep[0] { sameSeparator = false }
            if sep[g] == 0x2E { dotted = true } else { allDots = false }
        }
        // IPv4: four dotted octets 0-255, no leading zeros.
        if !plus, !paren, count == 4, allDots {
            guard ip else { return (nil, end) }
            for g in 0..<4 {
                let n = len(g)
                if n > 3 || (n > 1 && p[gs[g]] == 0x30) { return (nil, end) }
                var v = 0
                for k in gs[g]..<ge[g] { v = v * 10 + Int(p[k] &- 0x30) }
                if v > 255 { return (nil, end) }
            }
            return (.ipAddress, end)
        }
        let nanp = count == 3 && len(0) == 3 && len(1) == 3 && len(2) == 4 && p[gs[0]] >= 0x32
        if dotted && !plus && !(nanp && sameSeparator) {
            return (nil, end)   // decimals, dotted versions and thousands separators
        }
        if digits < 7 { return (nil, end) }
        // SSN: AAA-GG-SSSS (or with spaces / bare in an SSN column).
        if ssn, !plus, !paren, count == 3, len(0) == 3, len(1) == 2, len(2) == 4, sameSeparator,
           sep[0] == 0x2D || (hint.ssn && sep[0] == 0x20) {
            return (isSSN(p, gs[0], gs[1], gs[2]) ? .ssn : nil, end)
        }
        // Credit card: 13-19 digits as one run, or in the usual groups (4-4-4-4…, Amex 4-6-5, Diners 4-6-4)
        // joined by one kind of separator (space or dash).
        if card, !plus, !paren, digits >= 13, digits <= 19, sameSeparator, count == 1 || sep[0] == 0x20 || sep[0] == 0x2D {
            var layout = count == 1
            if !layout {
                layout = (0..<(count - 1)).allSatisfy { len($0) == 4 } && len(count - 1) >= 1 && len(count - 1) <= 4
                layout = layout || (count == 3 && len(0) == 4 && len(1) == 6 && (len(2) == 5 || len(2) == 4))
            }
            if layout, isCardNumber(p, s, end) { return (.creditCard, end) }
        }
        guard phone else { return (nil, end) }
        if plus {
            // E.164: + country code (not 0) and 8-15 digits in all.
            return (digits >= 8 && digits <= 15 && p[gs[0]] != 0x30 ? .phone : nil, end)
        }
        if paren {
            return (digits >= 9 && digits <= 12 && count >= 2 && len(count - 1) >= 3 ? .phone : nil, end)
        }
        if hint.phone, digits <= 15 { return (.phone, end) }
        // National formats, one kind of separator: North American 3-3-4 (or 1-3-3-4) with an area code
        // starting 2-9, joined by '-' or '.' (with spaces they are too easily three numbers in prose),
        // or a trunk prefix 0 (not 00) with 9-12 digits in groups of 2+ (the first 2-5).
        guard count >= 2, sameSeparator else { return (nil, end) }
        if nanp, sep[0] != 0x20 { return (.phone, end) }
        if count == 4, sep[0] != 0x20, len(0) == 1, p[gs[0]] == 0x31, len(1) == 3, len(2) == 3, len(3) == 4, p[gs[1]] >= 0x32 {
            return (.phone, end)
        }
        if p[gs[0]] == 0x30, len(0) >= 2, len(0) <= 5, p[gs[0] + 1] != 0x30, digits >= 9, digits <= 12,
           (0..<count).allSatisfy({ len($0) >= 2 }) {
            return (.phone, end)
        }
        return (nil, end)
    }

    /// Luhn-valid with a known issuer prefix and length (Visa, Mastercard, Amex, Discover, JCB,
    /// Diners, UnionPay, Maestro), over the digits of `p[s..<e]`.
    private func isCardNumber(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            for k in s..<e where p[k] &- 0x30 < 10 { if n < 24 { d[n] = p[k] &- 0x30 }; n += 1 }
        }
        guard n >= 13, n <= 19 else { return false }
        return withUnsafeBytes(of: &digits) { d -> Bool in
            let p2 = Int(d[0]) * 10 + Int(d[1]), p4 = p2 * 100 + Int(d[2]) * 10 + Int(d[3])
            let p3 = p4 / 10, p6 = p4 * 100 + Int(d[4]) * 10 + Int(d[5])
            let brand: Bool
            switch d[0] {
            case 4: brand = n == 13 || n == 16 || n == 19
            case 5: brand = (p2 >= 51 && p2 <= 55 && n == 16) || ((p2 == 50 || p2 >= 56) && n >= 12)   // Mastercard, Maestro
            case 2: brand = p4 >= 2221 && p4 <= 2720 && n == 16
            case 3: brand = ((p2 == 34 || p2 == 37) && n == 15) || (p4 >= 3528 && p4 <= 3589 && n >= 16)
                || ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39 || p4 == 3095) && n >= 14
            case 6: brand = (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925) || p2 == 62 || p2 == 67) && n >= 16
            default: brand = false
            }
            guard brand else { return false }
            var sum = 0
            for k in 0..<n {
                var v = Int(d[n - 1 - k])
                if k & 1 == 1 { v *= 2; if v > 9 { v -= 9 } }
                sum += v
            }
            return sum % 10 == 0
        }
    }

    /// US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000.
    private func isSSN(_ p: UnsafePointer<UInt8>, _ a: Int, _ g: Int, _ s: Int) -> Bool {
        func value(_ i: Int, _ n: Int) -> Int { (i..<(i + n)).reduce(0) { $0 * 10 + Int(p[$1] &- 0x30) } }
        let area = value(a, 3), group = value(g, 2), serial = value(s, 4)
        return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
    }

    // MARK: IBAN

    /// An IBAN at `s` (two capitals): the country's length of capitals and digits, optionally in
    /// space-separated groups of four, passing ISO 7064 mod 97-10.
    private func matchIBAN(_ p: UnsafePointer<UInt8>, _ s: Int, _ hi: Int) -> Int? {
        let cls = self.cls
        let country = Int(p[s] - 0x41) * 26 + Int(p[s + 1] - 0x41)
        let length = Int(ibanLength[country])
        guard length > 0, s + 4 <= hi, p[s + 2] &- 0x30 < 10, p[s + 3] &- 0x30 < 10 else { return nil }
        var chars: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        var n = 0, i = s
        let end: Int? = withUnsafeMutableBytes(of: &chars) { c -> Int? in
            while n < length {
                guard i < hi else { return nil }
                let b = p[i]
                if b == 0x20, n % 4 == 0, n > 0, i + 1 < hi, cls[Int(p[i + 1])] & (Cls.digit | Cls.upper) != 0 { i += 1; continue }
                guard b &- 0x30 < 10 || b &- 0x41 < 26 else { return nil }
                c[n] = b; n += 1; i += 1
            }
            if i < hi, cls[Int(p[i])] & Cls.alnum != 0 { return nil }
            // Move the first four characters to the end; letters count as 10-35.
            var r = 0
            for k in 0..<length {
                let b = c[(k + 4) % length]
                r = b &- 0x30 < 10 ? (r * 10 + Int(b - 0x30)) % 97 : (r * 100 + Int(b - 0x41) + 10) % 97
            }
            return r == 1 ? i : nil
        }
        return end
    }

    // MARK: Email

    private func matchEmail(_ p: UnsafePointer<UInt8>, _ at: Int, _ lo: Int, _ hi: Int) -> (Int, Int)? {
        let cls = self.cls
        var s = at
        while s > lo, at - s < 64, cls[Int(p[s - 1])] & Cls.local != 0 { s -= 1 }
        while s < at, p[s] == 0x2E { s += 1 }
        guard s < at, p[at - 1] != 0x2E else { return nil }
        // Domain: labels of letters, digits and '-', joined by '.', ending in a 2+ letter TLD.
        var e = at + 1, labelStart = e, lastDot = -1
        while e < hi, e - at < 254 {
            let b = p[e]
            if cls[Int(b)] & Cls.alnum != 0 || b == 0x2D { e += 1; continue }
            if b == 0x2E, e > labelStart, e + 1 < hi, cls[Int(p[e + 1])] & Cls.alnum != 0 {
                lastDot = e; e += 1; labelStart = e; continue
            }
            break
        }
        while e > at + 1, p[e - 1] == 0x2D { e -= 1 }
        guard lastDot > at + 1, e - lastDot - 1 >= 2, p[at + 1] != 0x2D else { return nil }
        for k in (lastDot + 1)..<e where (p[k] | 0x20) &- 0x61 >= 26 { return nil }
        return (s, e)
    }

    // MARK: IPv6

    /// At a ':': the surrounding run of hex digits, colons and dots, if it is a valid IPv6 address
    /// (RFC 4291 text forms, one `::`, an IPv4 tail allowed). Returns the run and whether it matched.
    private func matchIPv6(_ p: UnsafePointer<UInt8>, _ colon: Int, _ lo: Int, _ hi: Int) -> (Int, Int, Bool) {
        let cls = self.cls
        var s = colon
        while s > lo, colon - s < 40, cls[Int(p[s - 1])] & Cls.hex != 0 || p[s - 1] == 0x3A { s -= 1 }
        var e = colon + 1
        while e < hi, e - s <= 46, cls[Int(p[e])] & Cls.hex != 0 || p[e] == 0x3A || p[e] == 0x2E { e += 1 }
        while e > colon + 1, p[e - 1] == 0x2E { e -= 1 }
        if s > lo, cls[Int(p[s - 1])] & Cls.alnum != 0 || p[s - 1] == 0x2E { return (s, e, false) }
        if e < hi, cls[Int(p[e])] & Cls.alnum != 0 { return (s, e, false) }
        if e - s > 45 || e - s < 3 { return (s, e, false) }
        // Cheap rejection (times, ratios): without "::" an address has 7 colons (6 before an IPv4 tail).
        var colons = 0, double = false
        for k in s..<e where p[k] == 0x3A { colons += 1; if k + 1 < e, p[k + 1] == 0x3A { double = true } }
        if !double && colons != 7 && colons != 6 { return (s, e, false) }
        // Parse groups.
        var groups = 0, compressed = false, i = s
        var nonEmpty = 0
        if p[i] == 0x3A {
            guard i + 1 < e, p[i + 1] == 0x3A else { return (s, e, false) }
            compressed = true; i += 2
        }
        while i < e {
            var j = i
            while j < e, cls[Int(p[j])] & Cls.hex != 0 { j += 1 }
            if j < e, p[j] == 0x2E {
                // An IPv4 tail: the rest must be a dotted quad, worth two groups.
                guard isIPv4(p, i, e) else { return (s, e, false) }
                groups += 2; nonEmpty += 1; i = e; break
            }
            let n = j - i
            guard n >= 1, n <= 4 else { return (s, e, false) }
            groups += 1; nonEmpty += 1
            i = j
            if i == e { break }
            // p[i] == ':'
            if i + 1 < e, p[i + 1] == 0x3A {
                guard !compressed else { return (s, e, false) }
                compressed = true; i += 2
            } else {
                i += 1
                guard i < e else { return (s, e, false) }   // a single trailing ':'
            }
        }
        // Compressed forms need a 3+ digit group (or are ::1), so slices like x[1::2] do not count.
        var longGroup = false
        var run = 0
        for k in s..<e { if cls[Int(p[k])] & Cls.hex != 0 { run += 1; if run >= 3 { longGroup = true } } else { run = 0 } }
        let loopback = e - s == 3 && p[s] == 0x3A && p[s + 1] == 0x3A && p[s + 2] == 0x31
        let valid = compressed ? groups <= 7 && nonEmpty >= 1 && (longGroup || loopback) : groups == 8
        return (s, e, valid)
    }

    private func isIPv4(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var parts = 0, v = 0, n = 0
        for k in s...e {
            if k == e || p[k] == 0x2E {
                guard n >= 1, n <= 3, v <= 255 else { return false }
                parts += 1; v = 0; n = 0
                continue
            }
            guard p[k] &- 0x30 < 10 else { return false }
            v = v * 10 + Int(p[k] &- 0x30); n += 1
        }
        return parts == 4
    }
}
