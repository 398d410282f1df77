import Foundation

/// The tabular formats the validators read. Parquet is not read yet (see the README).
public enum TableFormat: String, Sendable, CaseIterable {
    case csv, tsv, jsonl

    /// By file extension: `.csv`, `.tsv`/`.tab`, `.jsonl`/`.ndjson`, each possibly followed by a
    /// compression extension (`.csv.gz`, `.tsv.zip`, …); nil for anything else.
    public static func guess(path: String) -> TableFormat? {
        var path = path
        if TableCompression.guess(path: path) != nil { path = (path as NSString).deletingPathExtension }
        switch (path as NSString).pathExtension.lowercased() {
        case "csv": return .csv
        case "tsv", "tab": return .tsv
        case "jsonl", "ndjson": return .jsonl
        default: return nil
        }
    }
}

/// Bounds on what the table readers hold in memory (README, "Readers").
public enum ReaderLimits {
    /// Longest record a reader accepts: a CSV/TSV record (with the line breaks inside its quoted
    /// fields) or a JSON Lines line, its line end included — 128 MiB. A longer one is a located
    /// `TableReadError`, found after reading at most this many bytes of it, so no reader holds more
    /// than this plus one read block, however long the file's lines are.
    public static let maxRecordBytes = 128 << 20

    /// `128 MiB`, or the byte count when it is not a whole number of MiB.
    static func describe(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}

/// Malformed input, located: the physical line (1-based) where the bad record starts (for invalid
/// UTF-8, the line of the first bad byte; 0 when the file cannot be opened).
public struct TableReadError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var line: Int
    public var message: String
    public init(path: String, line: Int, message: String) { self.path = path; self.line = line; self.message = message }
    public var description: String { "\(path):\(line): \(message)" }

    /// What an invalid-UTF-8 error says, wherever it is found.
    static let invalidUTF8 = "invalid UTF-8; if the file is in another encoding, declare it (`encoding: iso-8859-1`, `windows-1252`, … in the hook, "
        + "or in the schema's resource description — `lineage schema infer` names a probable one), or re-encode the file as UTF-8"

    /// A record longer than `limit` bytes starts on `line`.
    static func recordTooLong(path: String, line: Int, limit: Int) -> TableReadError {
        TableReadError(path: path, line: line, message: "a record (line) longer than \(ReaderLimits.describe(limit)) starts here, more than the readers hold; "
                       + "a table's record is never this long — check that this is the right file and format, and for a quote that is never closed")
    }
}

/// A streaming reader of CSV/TSV and JSON Lines (one flat object per line; values of nested
/// objects or arrays are kept as their JSON text, `null` reads as an empty field), for the
/// validators that want fields one record at a time.
///
/// CSV and TSV are read by the streaming scanner (`SchemaCSVScanner`) with the one record parser
/// every validator shares (`DelimitedParser`: the file's dialect, RFC 4180 by default — quoted
/// fields, embedded newlines, doubled quotes, a UTF-8 BOM, LF/CRLF/CR line ends); JSON Lines from
/// the same byte stream, each line parsed by the one JSON parser (`SchemaJSON.Parser`). Both read the file
/// decompressed by its extension and decoded from the layout's encoding, in blocks.
///
/// Memory stays bounded by the largest record plus one read block. A record longer than
/// `maxRecordBytes` (`ReaderLimits.maxRecordBytes` by default) is an error naming its line. Every
/// field is checked to be valid UTF-8; invalid bytes are an error naming the line.
///
/// Numbering follows `frictionless validate`: the header is row 1, the first data record row 2
/// (with header rows declared, the first data record follows the last of them; without a header,
/// it is row 1). `line` is the physical line a record starts on.
public final class TableReader {
    public let path: String
    public let format: TableFormat
    public let layout: TableLayout
    /// Column names: the header record(s), or the keys of the first JSON object in their order.
    public private(set) var header: [String] = []

    /// Row number of the current record (header = 1).
    public var row: Int { scanner?.row ?? jsonRow }
    /// Physical line the current record starts on.
    public var line: Int { scanner?.line ?? jsonLine }
    /// Bytes of (decompressed, decoded) text consumed so far.
    public var bytesRead: Int { scanner?.bytesRead ?? jsonBytesRead }
    /// Longest record accepted, line end included.
    public let maxRecordBytes: Int

    private let scanner: SchemaCSVScanner?

    // JSON Lines.
    private var stream: TableByteStream?
    private var jsonRow = 1
    private var jsonLine = 1
    private var jsonBytesRead = 0
    private let blockSize: Int
    private var buffer: [UInt8] = []
    private var start = 0          // first unconsumed byte in buffer
    private var end = 0            // one past the last valid byte in buffer
    private var eof = false
    private var nextLine = 1       // physical line the next record starts on

    // The current JSON record: fields in `fieldBytes`, field i spans fieldStart[i]..<fieldStart[i+1].
    private let fieldBytes = SchemaByteBuffer(capacity: 256)
    private var fieldStart: [Int] = [0]
    private var jsonKeyIndex: [String: Int] = [:]

    /// Opens `path`. `format` defaults to the guess from the extension (CSV when there is none);
    /// `layout` says how the file is written (dialect and encoding; default RFC 4180 UTF-8).
    /// `hasHeader: false` is the dialect's `header: false`.
    public init(path: String, format: TableFormat? = nil, layout: TableLayout = TableLayout(), hasHeader: Bool = true,
                blockSize: Int = 1 << 20, maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws {
        self.path = path
        self.maxRecordBytes = max(maxRecordBytes, 1)
        let format = format ?? TableFormat.guess(path: path) ?? .csv
        self.format = format
        var layout = layout
        if !hasHeader { layout.dialect.header = false; layout.dialect.headerRows = [] }
        self.layout = layout
        self.blockSize = max(blockSize, 64)
        switch format {
        case .csv, .tsv:
            let scanner = try SchemaCSVScanner(path: path, format: format, layout: layout, blockSize: self.blockSize, maxRecordBytes: self.maxRecordBytes)
            self.scanner = scanner
            header = scanner.header
        case .jsonl:
            scanner = nil
            stream = try TableInput.open(path: path, encoding: layout.encoding)
            buffer = [UInt8](repeating: 0, count: self.blockSize)
            try readJSONHeader()
        }
    }

    /// Number of fields in the current record.
    public var fieldCount: Int { scanner?.fieldCount ?? fieldStart.count - 1 }

    /// Bytes the reader holds for reading: its read window and the current record's fields.
    var windowBytes: Int { scanner?.windowBytes ?? buffer.count + fieldBytes.capacityBytes }

    /// The bytes of field `i` of the current record (valid UTF-8, quotes removed).
    @inline(__always)
    public func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(field(i))
    }

    /// The bytes of field `i` of the current record, valid until `next()`.
    @inline(__always)
    func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        if let scanner { return scanner.field(i) }
        let lo = fieldStart[i], hi = fieldStart[i + 1]
        return UnsafeBufferPointer(start: fieldBytes.base + lo, count: hi - lo)
    }

    /// Field `i` of the current record as a String.
    public func string(_ i: Int) -> String {
        withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// All fields of the current record.
    public var fields: [String] { (0..<fieldCount).map(string) }

    /// True when every field of the current record is empty (or it has none).
    public var isBlank: Bool { scanner?.isBlank ?? (fieldBytes.count == 0) }

    /// Advances to the next record; false at the end of the file.
    public func next() throws -> Bool {
        if let scanner { return try scanner.next() }
        guard try readJSONRecord(collectKeys: false) else { return false }
        jsonRow += 1
        return true
    }

    // MARK: - JSON Lines

    private var pendingFirstJSON = false

    private func readJSONHeader() throws {
        try fill()
        // A UTF-8 byte-order mark is not part of the first key.
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
            start += 3
        }
        // Columns are the first object's keys; the object is data, kept as the current record for next().
        guard try readJSONRecord(collectKeys: true) else { return }
        pendingFirstJSON = true
    }

    /// Makes more bytes available, keeping those from `start`. Returns false at end of file.
    @discardableResult
    private func fill() throws -> Bool {
        if eof { return false }
        if start > 0 {
            let live = end - start
            if live > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    let base = raw.baseAddress!
                    memmove(base, base + start, live)
                }
            }
            end = live
            start = 0
        }
        if end == buffer.count {
            // Only a record in progress is kept, and `readJSONRecord` refuses one past the limit.
            let grown = min(buffer.count * 2, maxRecordBytes + blockSize)
            buffer.append(contentsOf: repeatElement(0, count: max(grown - buffer.count, blockSize)))
        }
        let n: Int
        do {
            n = try buffer.withUnsafeMutableBufferPointer { raw in try stream!.read(into: raw.baseAddress! + end, count: raw.count - end) }
        } catch let e as TableStreamError {
            throw TableReadError(path: path, line: e.line ?? nextLine, message: e.message)
        }
        if n == 0 { eof = true; return false }
        end += n
        jsonBytesRead += n
        return true
    }

    private enum Parse { case record(consumed: Int, lines: Int), needMore, endOfInput }

    private func readJSONRecord(collectKeys: Bool) throws -> Bool {
        if pendingFirstJSON { pendingFirstJSON = false; return true }
        while true {
            switch try parseJSONLine(collectKeys: collectKeys) {
            case let .record(consumed, lines):
                if consumed > maxRecordBytes { throw TableReadError.recordTooLong(path: path, line: nextLine, limit: maxRecordBytes) }
                jsonLine = nextLine
                nextLine += lines
                start += consumed
                if fieldCount == 0, fieldBytes.count == 0, !collectKeys, isEmptyJSONLine {
                    isEmptyJSONLine = false
                    continue   // blank lines between JSON objects are skipped
                }
                return true
            case .needMore:
                if end - start > maxRecordBytes { throw TableReadError.recordTooLong(path: path, line: nextLine, limit: maxRecordBytes) }
                if try !fill() {
                    // End of file inside a record: parse what there is as the last record.
                    eof = true
                    continue
                }
            case .endOfInput:
                return false
            }
        }
    }

    private var isEmptyJSONLine = false

    /// Parses one JSON Lines record: a flat object whose values are placed by column.
    private func parseJSONLine(collectKeys: Bool) throws -> Parse {
        if start == end { return eof ? .endOfInput : .needMore }
        let lf = UInt8(ascii: "\n")
        return try buffer.withUnsafeBufferPointer { buf -> Parse in
            var p = start
            while p < end, buf[p] != lf { p += 1 }
            if p == end && !eof { return .needMore }
            let lineEnd = p
            let consumed = (p < end ? p + 1 : p) - start
            var slice = UnsafeBufferPointer(rebasing: buf[start..<lineEnd])
            if let last = slice.last, last == UInt8(ascii: "\r") { slice = UnsafeBufferPointer(rebasing: slice.dropLast()) }
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                fieldBytes.count = 0
                fieldStart.removeAll(keepingCapacity: true); fieldStart.append(0)
                isEmptyJSONLine = true
                return .record(consumed: consumed, lines: 1)
            }
            try decodeJSONObject(slice, collectKeys: collectKeys)
            return .record(consumed: consumed, lines: 1)
        }
    }

    private func decodeJSONObject(_ bytes: UnsafeBufferPointer<UInt8>, collectKeys: Bool) throws {
        // The raw line must be UTF-8 (keys included); escapes cannot make it invalid (lone surrogates are refused).
        if let base = bytes.baseAddress, UTF8Check.firstInvalid(base, 0, bytes.count) != nil {
            throw TableReadError(path: path, line: nextLine, message: TableReadError.invalidUTF8)
        }
        var values: [(key: String, value: [UInt8])] = []
        do {
            var parser = SchemaJSON.Parser(bytes: bytes)
            values = try parser.flatObject()
        } catch let error as SchemaJSON.ParseError {
            throw TableReadError(path: path, line: nextLine, message: "not a JSON object: \(error.message) at byte \(error.offset + 1)")
        }
        if collectKeys {
            header = []
            for (key, _) in values where jsonKeyIndex[key] == nil {
                jsonKeyIndex[key] = header.count
                header.append(key)
            }
        }
        var columns = [[UInt8]?](repeating: nil, count: header.count)
        var extras: [[UInt8]] = []
        for (key, value) in values {
            if let i = jsonKeyIndex[key] { columns[i] = value } else { extras.append(value) }
        }
        fieldBytes.count = 0
        fieldStart.removeAll(keepingCapacity: true)
        fieldStart.append(0)
        for column in columns {
            if let column { fieldBytes.append(column) }
            fieldStart.append(fieldBytes.count)
        }
        // Keys the first object did not have become extra cells, as in a too-long CSV row.
        for extra in extras {
            fieldBytes.append(extra)
            fieldStart.append(fieldBytes.count)
        }
    }
}
