import Foundation

/// The tabular formats the validators read. Parquet is not read yet (see the README).
public enum TableFormat: String, Sendable, CaseIterable {
    case csv, tsv, jsonl

    /// By file extension: `.csv`, `.tsv`/`.tab`, `.jsonl`/`.ndjson`; nil for anything else.
    public static func guess(path: String) -> TableFormat? {
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

/// Malformed input, located: the physical line (1-based) where the bad record starts.
public struct TableReadError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var line: Int
    public var message: String
    public init(path: String, line: Int, message: String) { self.path = path; self.line = line; self.message = message }
    public var description: String { "\(path):\(line): \(message)" }

    /// A record longer than `limit` bytes starts on `line`.
    static func recordTooLong(path: String, line: Int, limit: Int) -> TableReadError {
        TableReadError(path: path, line: line, message: "a record (line) longer than \(ReaderLimits.describe(limit)) starts here, more than the readers hold; "
                       + "a table's record is never this long — check that this is the right file and format, and for a quote that is never closed")
    }
}

/// A streaming reader of CSV/TSV (RFC 4180: quoted fields, embedded newlines, doubled quotes, a
/// UTF-8 BOM, LF or CRLF line ends) and JSON Lines (one flat object per line; values of nested
/// objects or arrays are kept as their JSON text, `null` reads as an empty field).
///
/// Memory stays bounded by the largest record plus one read block: the file is read in blocks and
/// each record's fields are unescaped into one reusable byte buffer. A record longer than
/// `maxRecordBytes` (`ReaderLimits.maxRecordBytes` by default) is an error naming its line, so the
/// buffers never grow past that plus one block. Every field is checked to be
/// valid UTF-8; invalid bytes are an error naming the line.
///
/// Numbering follows `frictionless validate`: the header is row 1, the first data record row 2.
/// `line` is the physical line a record starts on (they differ once a quoted field spans lines).
public final class TableReader {
    public let path: String
    public let format: TableFormat
    /// Column names: the first CSV/TSV record, or the keys of the first JSON object in their order.
    public private(set) var header: [String] = []

    /// Row number of the current record (header = 1).
    public private(set) var row: Int = 1
    /// Physical line the current record starts on.
    public private(set) var line: Int = 1
    /// Bytes consumed so far (for progress and throughput).
    public private(set) var bytesRead: Int = 0
    /// Longest record accepted, line end included.
    public let maxRecordBytes: Int

    private let fd: Int32
    private let blockSize: Int
    private var buffer: [UInt8]
    private var start = 0          // first unconsumed byte in buffer
    private var end = 0            // one past the last valid byte in buffer
    private var eof = false
    private var nextLine = 1       // physical line the next record starts on

    // The current record: fields unescaped into `fieldBytes`, field i spans fieldStart[i]..<fieldStart[i+1].
    private var fieldBytes: [UInt8] = []
    private var fieldStart: [Int] = [0]
    private var jsonKeyIndex: [String: Int] = [:]
    private var jsonSeen: [Bool] = []

    /// Opens `path`. `format` defaults to the guess from the extension (CSV when there is none).
    /// `hasHeader: false` names columns `field1`, `field2`, … after the first record's width.
    public init(path: String, format: TableFormat? = nil, hasHeader: Bool = true, blockSize: Int = 1 << 20,
                maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws {
        self.path = path
        self.maxRecordBytes = max(maxRecordBytes, 1)
        self.format = format ?? TableFormat.guess(path: path) ?? .csv
        self.blockSize = max(blockSize, 64)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw TableReadError(path: path, line: 0, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        buffer = [UInt8](repeating: 0, count: self.blockSize)
        try readHeader(hasHeader: hasHeader)
    }

    deinit { close(fd) }

    /// Number of fields in the current record.
    public var fieldCount: Int { fieldStart.count - 1 }

    /// Bytes the reader holds for reading: its read window and the current record's fields.
    var windowBytes: Int { buffer.count + fieldBytes.capacity }

    /// The bytes of field `i` of the current record (valid UTF-8, quotes removed).
    @inline(__always)
    public func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let lo = fieldStart[i], hi = fieldStart[i + 1]
        return try fieldBytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[lo..<hi]))
        }
    }

    /// Field `i` of the current record as a String.
    public func string(_ i: Int) -> String {
        withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// All fields of the current record.
    public var fields: [String] { (0..<fieldCount).map(string) }

    /// True when every field of the current record is empty (or it has none).
    public var isBlank: Bool { fieldBytes.isEmpty }

    /// Advances to the next record; false at the end of the file.
    public func next() throws -> Bool {
        guard try readRecord() else { return false }
        row += 1
        return true
    }

    // MARK: - Header

    private func readHeader(hasHeader: Bool) throws {
        try fill()
        // A UTF-8 byte-order mark is not part of the first column's name.
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
            start += 3
        }
        switch format {
        case .jsonl:
            // Columns are the first object's keys; later objects are read against them.
            guard try readRecord(collectKeys: true) else { return }
            if hasHeader {
                // Re-read nothing: the first object is data; keep it as the current record for next().
                pendingFirstJSON = true
            }
        case .csv, .tsv:
            guard try readRecord() else { return }
            if hasHeader {
                header = fields
                row = 1
            } else {
                header = (1...max(fieldCount, 1)).map { "field\($0)" }
                pendingFirstCSV = true
            }
        }
    }

    private var pendingFirstJSON = false
    private var pendingFirstCSV = false

    // MARK: - Buffering

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
            // Only a record in progress is kept, and `readRecord` refuses one past the limit.
            let grown = min(buffer.count * 2, maxRecordBytes + blockSize)
            buffer.append(contentsOf: repeatElement(0, count: max(grown - buffer.count, blockSize)))
        }
        let n = buffer.withUnsafeMutableBytes { raw -> Int in
            while true {
                let r = read(fd, raw.baseAddress! + end, raw.count - end)
                if r < 0 && errno == EINTR { continue }
                return r
            }
        }
        if n < 0 {
            throw TableReadError(path: path, line: nextLine, message: "read failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 { eof = true; return false }
        end += n
        bytesRead += n
        return true
    }

    // MARK: - Records

    private enum Parse { case record(consumed: Int, lines: Int), needMore, endOfInput }

    private func readRecord(collectKeys: Bool = false) throws -> Bool {
        if pendingFirstJSON { pendingFirstJSON = false; return true }
        if pendingFirstCSV { pendingFirstCSV = false; return true }
        while true {
            let result: Parse
            switch format {
            case .csv: result = try parseDelimited(delimiter: UInt8(ascii: ","))
            case .tsv: result = try parseDelimited(delimiter: UInt8(ascii: "\t"))
            case .jsonl: result = try parseJSONLine(collectKeys: collectKeys)
            }
            switch result {
            case let .record(consumed, lines):
                if consumed > maxRecordBytes { throw TableReadError.recordTooLong(path: path, line: nextLine, limit: maxRecordBytes) }
                line = nextLine
                nextLine += lines
                start += consumed
                if format == .jsonl, fieldCount == 0, fieldBytes.isEmpty, lines > 0, !collectKeys, isEmptyJSONLine {
                    isEmptyJSONLine = false
                    continue   // blank lines between JSON objects are skipped
                }
                try checkUTF8()
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

    /// Parses one delimited record starting at `start`.
    private func parseDelimited(delimiter: UInt8) throws -> Parse {
        if start == end { return eof ? .endOfInput : .needMore }
        fieldBytes.removeAll(keepingCapacity: true)
        fieldStart.removeAll(keepingCapacity: true)
        fieldStart.append(0)
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        return try buffer.withUnsafeBufferPointer { buf -> Parse in
            var p = start
            var lines = 0
            while true {
                // One field.
                if p < end, buf[p] == quote {
                    p += 1
                    var closed = false
                    while p < end {
                        let b = buf[p]
                        if b == quote {
                            if p + 1 < end {
                                if buf[p + 1] == quote { fieldBytes.append(quote); p += 2; continue }
                                p += 1; closed = true; break
                            } else if eof {
                                p += 1; closed = true; break
                            } else {
                                return .needMore
                            }
                        }
                        if b == lf { lines += 1 }
                        fieldBytes.append(b)
                        p += 1
                    }
                    if !closed {
                        if eof {
                            throw TableReadError(path: path, line: nextLine, message: "a quoted field is never closed (missing \")")
                        }
                        return .needMore
                    }
                    // After the closing quote: a delimiter, a line end, or the end of input. Anything
                    // else is kept, as Python's csv module does (`"a"b` reads as `ab`).
                    while p < end, buf[p] != delimiter, buf[p] != lf, buf[p] != cr {
                        fieldBytes.append(buf[p]); p += 1
                    }
                } else {
                    let fieldBegin = p
                    while p < end {
                        let b = buf[p]
                        if b == delimiter || b == lf || b == cr { break }
                        p += 1
                    }
                    if p > fieldBegin {
                        fieldBytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[fieldBegin..<p]))
                    }
                }
                fieldStart.append(fieldBytes.count)
                if p == end {
                    if !eof { return .needMore }
                    return .record(consumed: p - start, lines: lines + 1)
                }
                let b = buf[p]
                if b == delimiter { p += 1; continue }
                // Line end: LF, CRLF or a lone CR.
                if b == cr {
                    if p + 1 == end && !eof { return .needMore }
                    p += (p + 1 < end && buf[p + 1] == lf) ? 2 : 1
                } else {
                    p += 1
                }
                // An empty line is a record with no fields (as Python's csv module reads it).
                if fieldStart.count == 2 && fieldBytes.isEmpty && p - start <= 2 {
                    fieldStart.removeAll(keepingCapacity: true)
                    fieldStart.append(0)
                }
                return .record(consumed: p - start, lines: lines + 1)
            }
        }
    }

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
                fieldBytes.removeAll(keepingCapacity: true)
                fieldStart.removeAll(keepingCapacity: true); fieldStart.append(0)
                isEmptyJSONLine = true
                return .record(consumed: consumed, lines: 1)
            }
            try decodeJSONObject(slice, collectKeys: collectKeys)
            return .record(consumed: consumed, lines: 1)
        }
    }

    private func decodeJSONObject(_ bytes: UnsafeBufferPointer<UInt8>, collectKeys: Bool) throws {
        var scanner = JSONScanner(bytes: bytes)
        let fail = { (message: String) in TableReadError(path: self.path, line: self.nextLine, message: message) }
        var values: [(key: String, value: [UInt8])] = []
        do {
            values = try scanner.flatObject()
        } catch let error as JSONScanner.Failure {
            throw fail("not a JSON object: \(error.message) at byte \(error.offset + 1)")
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
        fieldBytes.removeAll(keepingCapacity: true)
        fieldStart.removeAll(keepingCapacity: true)
        fieldStart.append(0)
        for column in columns {
            if let column { fieldBytes.append(contentsOf: column) }
            fieldStart.append(fieldBytes.count)
        }
        // Keys the first object did not have become extra cells, as in a too-long CSV row.
        for extra in extras {
            fieldBytes.append(contentsOf: extra)
            fieldStart.append(fieldBytes.count)
        }
    }

    // MARK: - UTF-8

    private func checkUTF8() throws {
        let ok = fieldBytes.withUnsafeBufferPointer { buf -> Bool in
            var i = 0
            let n = buf.count
            // Fast path: ASCII, eight bytes at a time.
            if let base = buf.baseAddress {
                let raw = UnsafeRawPointer(base)
                while i + 8 <= n {
                    if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
                    i += 8
                }
            }
            while i < n {
                let b = buf[i]
                if b < 0x80 { i += 1; continue }
                let need: Int, min: UInt32
                var cp: UInt32
                if b & 0xE0 == 0xC0 { need = 1; cp = UInt32(b & 0x1F); min = 0x80 }
                else if b & 0xF0 == 0xE0 { need = 2; cp = UInt32(b & 0x0F); min = 0x800 }
                else if b & 0xF8 == 0xF0 { need = 3; cp = UInt32(b & 0x07); min = 0x10000 }
                else { return false }
                if i + need >= n { return false }
                for k in 1...need {
                    let c = buf[i + k]
                    guard c & 0xC0 == 0x80 else { return false }
                    cp = (cp << 6) | UInt32(c & 0x3F)
                }
                if cp < min || cp > 0x10FFFF || (0xD800...0xDFFF).contains(cp) { return false }
                i += need + 1
            }
            return true
        }
        if !ok {
            throw TableReadError(path: path, line: line, message: "invalid UTF-8; re-encode the file as UTF-8 (for example with iconv)")
        }
    }
}

/// Just enough JSON to read one flat object per line, keeping key order.
struct JSONScanner {
    struct Failure: Error { var message: String; var offset: Int }
    let bytes: UnsafeBufferPointer<UInt8>
    var p = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func flatObject() throws -> [(key: String, value: [UInt8])] {
        skipSpace()
        try expect(UInt8(ascii: "{"))
        var out: [(key: String, value: [UInt8])] = []
        skipSpace()
        if peek() == UInt8(ascii: "}") { p += 1; return try finish(out) }
        while true {
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw Failure(message: "expected a key", offset: p) }
            let key = String(decoding: try string(), as: UTF8.self)
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            out.append((key, try value()))
            skipSpace()
            if peek() == UInt8(ascii: ",") { p += 1; continue }
            try expect(UInt8(ascii: "}"))
            return try finish(out)
        }
    }

    private mutating func finish(_ out: [(key: String, value: [UInt8])]) throws -> [(key: String, value: [UInt8])] {
        skipSpace()
        if p != bytes.count { throw Failure(message: "text after the object", offset: p) }
        return out
    }

    private func peek() -> UInt8? { p < bytes.count ? bytes[p] : nil }

    private mutating func skipSpace() {
        while p < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[p]) { p += 1 }
    }

    private mutating func expect(_ b: UInt8) throws {
        guard peek() == b else { throw Failure(message: "expected '\(Character(Unicode.Scalar(b)))'", offset: p) }
        p += 1
    }

    /// A value as field text: strings unescaped, null empty, everything else its JSON text.
    private mutating func value() throws -> [UInt8] {
        guard let c = peek() else { throw Failure(message: "expected a value", offset: p) }
        switch c {
        case UInt8(ascii: "\""): return try string()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let begin = p
            try skipNested()
            return Array(bytes[begin..<p])
        default:
            let begin = p
            while p < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), 0x20, 0x09, 0x0D, 0x0A].contains(bytes[p]) { p += 1 }
            let text = Array(bytes[begin..<p])
            if text.isEmpty { throw Failure(message: "expected a value", offset: begin) }
            if text == Array("null".utf8) { return [] }
            if text == Array("true".utf8) || text == Array("false".utf8) { return text }
            // A number: JSON's grammar, loosely (digits, sign, point, exponent).
            guard text.allSatisfy({ (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else {
                throw Failure(message: "not a JSON value", offset: begin)
            }
            return text
        }
    }

    private mutating func skipNested() throws {
        var depth = 0
        while p < bytes.count {
            let c = bytes[p]
            if c == UInt8(ascii: "\"") { _ = try string(); continue }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
            if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { depth -= 1; if depth == 0 { p += 1; return } }
            p += 1
        }
        throw Failure(message: "unclosed object or array", offset: p)
    }

    private mutating func string() throws -> [UInt8] {
        var out: [UInt8] = []
        do { try JSONString.read(bytes, at: &p, into: &out) } catch { throw Failure(message: error.message, offset: error.offset) }
        return out
    }
}
