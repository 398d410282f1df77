import Foundation

/// The streaming reader of CSV/TSV (every dialect) shared by `TableReader`, the schema validator
/// and `schema infer`: the file is read in large blocks (decompressed, decoded), each record is
/// parsed by `DelimitedParser` — the parser the memory-mapped readers use too — and its raw bytes
/// are checked by `UTF8Check`. Unquoted fields are not copied. Memory stays bounded by the block
/// size plus the largest record, and a record longer than `maxRecordBytes` is an error naming its line.
final class SchemaCSVScanner: SchemaRowSource {
    let path: String
    private(set) var header: [String] = []
    private(set) var row = 1
    private(set) var line = 1
    private(set) var bytesRead = 0
    /// Longest record accepted, line end included.
    let maxRecordBytes: Int

    private let stream: TableByteStream
    private let dialect: TableDialect
    private let parser: DelimitedParser
    private var pendingFirst = false
    /// Comment lines skipped so far.
    private(set) var commentLines = 0
    private let blockSize: Int
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var eof = false
    private var nextLine = 1

    /// Opens `path` as `format` (CSV or TSV) written in `layout`: decompressed by its extension,
    /// decoded from the layout's encoding, parsed with its dialect (header rows, comment lines, quoting).
    init(path: String, format: TableFormat = .csv, layout: TableLayout = TableLayout(), blockSize: Int = 4 << 20,
         maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws {
        self.path = path
        let dialect = layout.dialect
        self.dialect = dialect
        self.maxRecordBytes = max(maxRecordBytes, 1)
        self.blockSize = max(blockSize, 64)
        parser = DelimitedParser(format: format, dialect: dialect, scratchCapacity: min(4096, max(blockSize, 64)))
        stream = try TableInput.open(path: path, encoding: layout.encoding)
        capacity = max(blockSize, 64)
        buffer = .allocate(capacity: capacity)
        _ = try fill()
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF { start += 3 }
        row = 0
        if dialect.header {
            // Header rows joined column by column; records before the last that are not listed are skipped.
            let last = dialect.headerRows.last ?? 1
            var parts: [[String]] = []
            var r = 0
            row = 0
            while r < last, try readRecord() {
                r += 1
                if dialect.headerRows.contains(r) { parts.append((0..<fieldCount).map { String(decoding: field($0), as: UTF8.self) }) }
            }
            let width = parts.map(\.count).max() ?? 0
            header = (0..<width).map { c in
                parts.compactMap { c < $0.count && !$0[c].isEmpty ? $0[c] : nil }.joined(separator: dialect.headerJoin)
            }
            row = max(row + r, 1)
        } else {
            // No header: the first record is data, its width names the columns.
            if try readRecord() {
                header = (0..<max(fieldCount, 1)).map { "field\($0 + 1)" }
                pendingFirst = true
            }
            row = commentLines
        }
    }

    deinit { buffer.deallocate() }

    var fieldCount: Int { parser.fieldCount }

    @inline(__always)
    func field(_ i: Int) -> UnsafeBufferPointer<UInt8> { parser.field(i) }

    func next() throws -> Bool {
        if pendingFirst { pendingFirst = false; row += 1; return true }
        guard try readRecord() else { return false }
        row += 1
        return true
    }

    /// True when every field of the current record is empty (or it has none).
    var isBlank: Bool { parser.isBlank }

    /// Bytes the scanner holds for reading: its read window and the scratch copies of fields.
    var windowBytes: Int { capacity + parser.scratchBytes }

    // MARK: - Buffering

    /// Keeps the bytes from `start`, reads more. False at end of file.
    private func fill() throws -> Bool {
        if eof { return false }
        let live = end - start
        if start > 0 {
            if live > 0 { memmove(buffer, buffer + start, live) }
            start = 0
            end = live
        }
        if end == capacity {
            // Only a record in progress is kept, and `readRecord` refuses one past the limit.
            let grown = max(min(capacity * 2, maxRecordBytes + blockSize), capacity + blockSize)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            bigger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            capacity = grown
        }
        let n: Int
        do { n = try stream.read(into: buffer + end, count: capacity - end) } catch let e as TableStreamError {
            throw TableReadError(path: path, line: e.line ?? nextLine, message: e.message)
        }
        if n == 0 { eof = true; return false }
        end += n
        bytesRead += n
        return true
    }

    // MARK: - Records

    private func readRecord() throws -> Bool {
        while true {
            // A comment line is skipped but keeps its row number, as frictionless numbers rows.
            if let c = dialect.commentChar, try skipComment(c) { row += 1; continue }
            switch parser.parse(buffer, start: start, end: end, eof: eof) {
            case let .record(recordEnd, lines):
                if recordEnd - start > maxRecordBytes { throw TableReadError.recordTooLong(path: path, line: nextLine, limit: maxRecordBytes) }
                try checkUTF8(start, recordEnd, line: nextLine)
                line = nextLine
                nextLine += lines
                start = recordEnd
                return true
            case .needMore:
                if end - start > maxRecordBytes { throw TableReadError.recordTooLong(path: path, line: nextLine, limit: maxRecordBytes) }
                if try !fill() { eof = true }
            case .endOfInput:
                return false
            case .malformed(let problem):
                throw TableReadError(path: path, line: nextLine, message: problem.message)
            }
        }
    }

    /// Skips a comment line at `start` (through its line end); false when the record there is not one.
    private func skipComment(_ c: UInt8) throws -> Bool {
        while start == end {
            if eof { return false }
            if try !fill() { eof = true }
        }
        guard buffer[start] == c else { return false }
        while true {
            var p = start
            while p < end && buffer[p] != 0x0A && buffer[p] != 0x0D { p += 1 }
            if p - start > maxRecordBytes { throw TableReadError.recordTooLong(path: path, line: nextLine, limit: maxRecordBytes) }
            if p == end || (buffer[p] == 0x0D && p + 1 == end) {
                if !eof, try fill() { continue }
                eof = true
            }
            // A comment is text of the file: it must be UTF-8 like the rest (Python decodes the whole file).
            try checkUTF8(start, p, line: nextLine)
            if p < end { p += buffer[p] == 0x0D && p + 1 < end && buffer[p + 1] == 0x0A ? 2 : 1 }
            start = p
            nextLine += 1
            commentLines += 1
            return true
        }
    }

    // MARK: - UTF-8

    /// Refuses invalid UTF-8 in `buffer[lo..<hi]` (a record starting on `line`), at the line of the bad byte.
    @inline(__always)
    private func checkUTF8(_ lo: Int, _ hi: Int, line: Int) throws {
        guard let bad = UTF8Check.firstInvalid(buffer, lo, hi) else { return }
        let at = line + physicalLine(buffer + lo, count: hi - lo, at: bad - lo) - 1
        throw TableReadError(path: path, line: at, message: TableReadError.invalidUTF8)
    }
}

/// A growable byte buffer with a stable base address between appends.
final class SchemaByteBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    var count = 0
    var capacityBytes: Int { capacity }

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    private func reserve(_ extra: Int) {
        if count + extra <= capacity { return }
        var c = capacity * 2
        while c < count + extra { c *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = c
    }

    @inline(__always)
    func append(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in if let p = b.baseAddress { append(p, count: b.count) } }
    }

    func append(_ p: UnsafePointer<UInt8>, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (base + count).update(from: p, count: n)
        count += n
    }
}
