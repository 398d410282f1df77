import Foundation

/// What `TableSniffer` found in the start of a file.
public struct TableSniff: Sendable, Equatable {
    public var format: TableFormat
    /// The layout to declare: the delimiter that reads the sample most consistently, `#` comment
    /// lines at the start, narrower preamble lines before the header (`headerRows`), skipped
    /// initial spaces, no header when the first record is all numbers, and the encoding.
    public var layout: TableLayout
    /// Delimiters that read the sample equally well; more than one: the sniff is ambiguous and the
    /// first is only a guess.
    public var delimiterCandidates: [UInt8]
    /// Set when the file is not UTF-8: the probable legacy encoding and why.
    public var encodingNote: String?

    public var isAmbiguous: Bool { delimiterCandidates.count > 1 }

    /// True when the layout is RFC 4180 UTF-8 with the format's delimiter: nothing needs declaring.
    public var isDefault: Bool { layout.encoding == .utf8 && (format == .jsonl || layout.dialect.isDefault(for: format)) }
}

/// Guesses how a table file is written from its first `sampleBytes` (decompressed), for `schema
/// infer`, which writes the guess into the schema it outputs. Validation never sniffs: it reads
/// with the declared layout only, so a verdict never depends on a guess.
public enum TableSniffer {
    public static let sampleBytes = 64 << 10
    static let delimiters: [UInt8] = [0x2C, 0x3B, 0x09, 0x7C]   // , ; tab |

    public static func sniff(path: String, format: TableFormat? = nil) throws -> TableSniff {
        let format = format ?? TableFormat.guess(path: path) ?? .csv
        let sample = try TableInput.sample(path: path, limit: sampleBytes + 1)
        let complete = sample.count <= sampleBytes
        return sniff(sample: Array(sample.prefix(sampleBytes)), format: format, complete: complete)
    }

    /// Sniffs `sample`, the start of a file (`complete`: the whole file).
    public static func sniff(sample: [UInt8], format: TableFormat, complete: Bool) -> TableSniff {
        var (encoding, note, text) = detectEncoding(sample, complete: complete)
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text.removeFirst(3) }
        var result = TableSniff(format: format, layout: TableLayout(encoding: encoding), delimiterCandidates: [], encodingNote: note)
        guard format != .jsonl else { return result }
        var lines = splitLines(text)
        if !complete, lines.count > 1 { lines.removeLast() }   // cut mid-line
        // `#` lines before the first record are comments.
        var dialect = TableDialect()
        if let first = lines.firstIndex(where: { !$0.isEmpty }), lines[first].first == 0x23 {
            dialect.commentChar = 0x23
        }
        let body = lines.filter { !$0.isEmpty && (dialect.commentChar == nil || $0.first != dialect.commentChar) }
        let joined = Array(body.joined(separator: [0x0A]))

        struct Score { var delimiter: UInt8; var consistency: Double; var width: Int }
        var scores: [Score] = []
        for d in delimiters {
            let records = parse(joined, delimiter: d)
            guard !records.isEmpty else { continue }
            var counts: [Int: Int] = [:]
            for r in records { counts[r.count, default: 0] += 1 }
            let (width, hits) = counts.max { a, b in a.value != b.value ? a.value < b.value : a.key < b.key }!
            guard width >= 2 else { continue }
            scores.append(Score(delimiter: d, consistency: Double(hits) / Double(records.count), width: width))
        }
        let formatDelimiter = dialect.delimiter(for: format)
        if let best = scores.map(\.consistency).max() {
            let top = scores.filter { $0.consistency >= best - 1e-9 }
            let widest = top.map(\.width).max()!
            var candidates = top.filter { $0.width == widest }.map(\.delimiter)
            // The format's own delimiter first among equals.
            if let k = candidates.firstIndex(of: formatDelimiter) { candidates.swapAt(0, k) }
            dialect.delimiter = candidates[0]
            result.delimiterCandidates = candidates
        } else {
            dialect.delimiter = formatDelimiter
            result.delimiterCandidates = [formatDelimiter]
        }
        let chosen = dialect.delimiter!
        var records = parse(joined, delimiter: chosen)
        // Preamble: leading records narrower than the table (a title, an export date) before a
        // header as wide as the rest; the header is then the record after them.
        if let width = scores.first(where: { $0.delimiter == chosen })?.width {
            let lead = records.prefix { $0.count < width }.count
            if lead > 0 && lead <= 10 && records.count - lead >= 2 && records.dropFirst(lead).allSatisfy({ $0.count == width }) {
                dialect.headerRows = [lead + 1]
                records.removeFirst(lead)
            }
        }
        // Spaces after every delimiter: skipInitialSpace.
        var after = 0, spaced = 0
        for r in records { for f in r.dropFirst() { after += 1; if f.first == 0x20 { spaced += 1 } } }
        if after > 0 && spaced == after { dialect.skipInitialSpace = true }
        // A first record of numbers only is data: no header.
        if dialect.headerRows == [1], records.count >= 2, let first = records.first, first.allSatisfy({ isNumber($0) }) {
            dialect.header = false
            dialect.headerRows = []
        }
        if chosen == formatDelimiter { dialect.delimiter = nil }
        result.layout.dialect = dialect
        return result
    }

    // MARK: - Encoding

    /// The sample's encoding, a note when it is a guess, and the sample as UTF-8.
    static func detectEncoding(_ sample: [UInt8], complete: Bool) -> (TableEncoding, String?, [UInt8]) {
        if sample.count >= 2, (sample[0] == 0xFE && sample[1] == 0xFF) || (sample[0] == 0xFF && sample[1] == 0xFE) {
            let be = sample[0] == 0xFE
            var units: [UInt16] = []
            var i = 2
            while i + 1 < sample.count {
                units.append(be ? UInt16(sample[i]) << 8 | UInt16(sample[i + 1]) : UInt16(sample[i + 1]) << 8 | UInt16(sample[i]))
                i += 2
            }
            return (.utf16, "the file is UTF-16 (it starts with a byte-order mark)", Array(String(decoding: units, as: UTF16.self).utf8))
        }
        var valid = sample
        if !complete {
            // The sample may end inside a character.
            var k = valid.count
            while k > 0 && valid.count - k < 3 && valid[k - 1] & 0xC0 == 0x80 { k -= 1 }
            if k > 0 && valid[k - 1] >= 0xC0 { valid.removeSubrange((k - 1)...) }
        }
        if valid.withUnsafeBufferPointer({ UTF8Check.isValid($0) }) { return (.utf8, nil, sample) }
        let name = guessLegacy(sample)
        let table = LegacyEncodingTables.tables[name]!
        var text: [UInt8] = []
        text.reserveCapacity(sample.count + sample.count / 4)
        for b in sample {
            if b < 0x80 { text.append(b); continue }
            let cp = table[Int(b) - 0x80]
            if cp != 0xFFFF { text += Array(String(Unicode.Scalar(cp)!).utf8) }
        }
        return (.singleByte(name), "the file is not UTF-8; its bytes read best as \(name) (a guess from \(complete ? "the whole file" : "its first \(sample.count >> 10) KiB") — check a few accented values)", text)
    }

    /// The single-byte encoding whose letters best explain the sample's non-ASCII bytes.
    static func guessLegacy(_ sample: [UInt8]) -> String {
        let hasC1 = sample.contains { $0 >= 0x80 && $0 < 0xA0 }
        // Words made only of non-ASCII bytes are typical of Cyrillic or Greek, not of Latin scripts.
        var runs = 0, highRuns = 0, k = 0
        while k < sample.count {
            let isLetter = { (b: UInt8) in b >= 0x80 || (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
            guard isLetter(sample[k]) else { k += 1; continue }
            var allHigh = true, length = 0
            while k < sample.count && isLetter(sample[k]) { if sample[k] < 0x80 { allHigh = false }; length += 1; k += 1 }
            runs += 1
            if allHigh && length >= 3 { highRuns += 1 }
        }
        let nonLatin = runs > 0 && Double(highRuns) / Double(runs) > 0.3
        let candidates: [String] = nonLatin
            ? ["windows-1251", "iso-8859-5", "windows-1253", "iso-8859-7"]
            : (hasC1 ? ["windows-1252", "windows-1250", "windows-1257"] : ["iso-8859-1", "iso-8859-2", "iso-8859-15", "windows-1250"])
        var best = candidates[0], bestScore = -1.0
        for name in candidates {
            guard let table = LegacyEncodingTables.tables[name] else { continue }
            var letters = 0, high = 0, undefined = false
            for b in sample where b >= 0x80 {
                high += 1
                let cp = table[Int(b) - 0x80]
                if cp == 0xFFFF { undefined = true; break }
                if let scalar = Unicode.Scalar(cp), scalar.properties.isAlphabetic { letters += 1 }
            }
            if undefined || high == 0 { continue }
            let score = Double(letters) / Double(high)
            if score > bestScore + 1e-9 { best = name; bestScore = score }
        }
        return best
    }

    // MARK: - Records

    static func splitLines(_ text: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var current: [UInt8] = []
        var i = 0
        while i < text.count {
            let b = text[i]
            if b == 0x0A || b == 0x0D {
                out.append(current); current = []
                if b == 0x0D && i + 1 < text.count && text[i + 1] == 0x0A { i += 1 }
            } else {
                current.append(b)
            }
            i += 1
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Records of `text` read with `delimiter` and RFC 4180 quoting (quotes only at a field's start).
    static func parse(_ text: [UInt8], delimiter: UInt8) -> [[[UInt8]]] {
        var records: [[[UInt8]]] = []
        var record: [[UInt8]] = []
        var field: [UInt8] = []
        var i = 0, quoted = false, atStart = true
        while i < text.count {
            let b = text[i]
            if quoted {
                if b == 0x22 {
                    if i + 1 < text.count && text[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                    quoted = false
                } else {
                    field.append(b)
                }
                i += 1
                continue
            }
            if b == 0x22 && atStart { quoted = true; atStart = false; i += 1; continue }
            if b == delimiter { record.append(field); field = []; atStart = true; i += 1; continue }
            if b == 0x0A { record.append(field); records.append(record); record = []; field = []; atStart = true; i += 1; continue }
            field.append(b); atStart = false; i += 1
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    static func isNumber(_ field: [UInt8]) -> Bool {
        let s = String(decoding: field, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return !s.isEmpty && Double(s) != nil
    }
}
