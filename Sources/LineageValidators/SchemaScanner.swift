import Foundation

/// Records of a table, one at a time, for the schema validator. Field bytes stay valid until the
/// next call to `next()`.
protocol SchemaRowSource: AnyObject {
    /// The first record (CSV/TSV) or the first object's keys (JSONL).
    var header: [String] { get }
    /// Row number of the current record (header = 1).
    var row: Int { get }
    /// Physical line the current record starts on.
    var line: Int { get }
    var bytesRead: Int { get }
    var fieldCount: Int { get }
    func field(_ i: Int) -> UnsafeBufferPointer<UInt8>
    func next() throws -> Bool
}

/// A fast CSV/TSV record scanner with the same reading rules as `TableReader` (RFC 4180 quoting
/// with Python's leniency, embedded newlines, doubled quotes, BOM, LF/CRLF/CR, an empty line as a
/// record without fields, UTF-8 checked, line-located `TableReadError`s), built for throughput:
/// unquoted fields are not copied, the file is read in large blocks, and a record is parsed in
/// one pass over its bytes. Memory stays bounded by the block size plus the largest record, and a
/// record longer than `maxRecordBytes` is an error naming its line.
final class SchemaCSVScanner: SchemaRowSource {
    let path: String
    private(set) var header: [String] = []
    private(set) var row = 1
    private(set) var line = 1
    private(set) var bytesRead = 0
    /// Longest record accepted, line end included.
    let maxRecordBytes: Int

    private let stream: TableByteStream
    private let delimiter: UInt8
    private let dialect: TableDialect
    private let quote: UInt8
    private let quoteWord: UInt64
    /// The dialect needs the byte-by-byte parser (no quoting, an escape character, no doubled quotes, initial spaces).
    private let general: Bool
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

    // Field i: bytes at (inScratch ? scratch : buffer) + offset[i], length[i].
    private var offsets: UnsafeMutablePointer<Int>
    private var lengths: UnsafeMutablePointer<Int>
    private var inScratch: UnsafeMutablePointer<Bool>
    private var fieldCapacity = 64
    private(set) var fieldCount = 0
    private let scratch: SchemaByteBuffer
    private var usesScratch = false

    /// The delimiter in every byte of a word.
    private let delimiterWord: UInt64

    /// High bit set in the lowest byte of `x` that is zero (bits above it may be wrong).
    @inline(__always)
    static func zeroBytes(_ x: UInt64) -> UInt64 { (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 }

    /// Byte classes: 1 delimiter, 2 LF, 3 CR, 0 anything else.
    private let classes: UnsafeMutablePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        p.initialize(repeating: 0, count: 256)
        return p
    }()

    /// Opens `path` as `format` (CSV or TSV) written in `layout`: decompressed by its extension,
    /// decoded from the layout's encoding, parsed with its dialect (header rows, comment lines, quoting).
    init(path: String, format: TableFormat = .csv, layout: TableLayout = TableLayout(), blockSize: Int = 4 << 20,
         maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws {
        self.path = path
        let dialect = layout.dialect
        let delimiter = dialect.delimiter(for: format)
        self.delimiter = delimiter
        self.dialect = dialect
        quote = dialect.quoteChar ?? 0
        quoteWord = UInt64(dialect.quoteChar ?? 0) &* 0x0101_0101_0101_0101
        general = dialect.quoteChar == nil || !dialect.doubleQuote || dialect.escapeChar != nil || dialect.skipInitialSpace
        self.maxRecordBytes = max(maxRecordBytes, 1)
        self.blockSize = max(blockSize, 64)
        delimiterWord = UInt64(delimiter) &* 0x0101_0101_0101_0101
        scratch = SchemaByteBuffer(capacity: min(4096, max(blockSize, 64)))
        stream = try TableInput.open(path: path, encoding: layout.encoding)
        capacity = max(blockSize, 64)
        buffer = .allocate(capacity: capacity)
        offsets = .allocate(capacity: fieldCapacity)
        lengths = .allocate(capacity: fieldCapacity)
        inScratch = .allocate(capacity: fieldCapacity)
        classes[Int(delimiter)] = 1
        classes[0x0A] = 2
        classes[0x0D] = 3
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

    deinit {
        buffer.deallocate()
        offsets.deallocate()
        lengths.deallocate()
        inScratch.deallocate()
        classes.deallocate()
    }

    @inline(__always)
    func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        if inScratch[i] { return UnsafeBufferPointer(start: scratch.base + offsets[i], count: lengths[i]) }
        return UnsafeBufferPointer(start: buffer + offsets[i], count: lengths[i])
    }

    func next() throws -> Bool {
        if pendingFirst { pendingFirst = false; row += 1; return true }
        guard try readRecord() else { return false }
        row += 1
        return true
    }

    /// True when every field of the current record is empty (or it has none).
    var isBlank: Bool {
        for i in 0..<fieldCount where lengths[i] != 0 { return false }
        return true
    }

    /// Bytes the scanner holds for reading: its read window and the scratch copies of fields.
    var windowBytes: Int { capacity + scratch.capacityBytes }

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

    private func growFields() {
        let c = fieldCapacity * 2
        let o = UnsafeMutablePointer<Int>.allocate(capacity: c); o.update(from: offsets, count: fieldCapacity); offsets.deallocate(); offsets = o
        let l = UnsafeMutablePointer<Int>.allocate(capacity: c); l.update(from: lengths, count: fieldCapacity); lengths.deallocate(); lengths = l
        let s = UnsafeMutablePointer<Bool>.allocate(capacity: c); s.update(from: inScratch, count: fieldCapacity); inScratch.deallocate(); inScratch = s
        fieldCapacity = c
    }

    // MARK: - Records

    private enum Outcome { case record(end: Int, lines: Int), needMore, endOfInput }

    private func readRecord() throws -> Bool {
        while true {
            // A comment line is skipped but keeps its row number, as frictionless numbers rows.
            if let c = dialect.commentChar, try skipComment(c) { row += 1; continue }
            switch try (general ? parseGeneral() : parse()) {
            case let .record(recordEnd, lines):
                if recordEnd - start > maxRecordBytes { throw TableReadError.recordTooLong(path: path, line: nextLine, limit: maxRecordBytes) }
                let recordStart = start
                line = nextLine
                nextLine += lines
                start = recordEnd
                try checkUTF8(recordStart, recordEnd)
                return true
            case .needMore:
                if end - start > maxRecordBytes { throw TableReadError.recordTooLong(path: path, line: nextLine, limit: maxRecordBytes) }
                if try !fill() { eof = true }
            case .endOfInput:
                return false
            }
        }
    }

    /// Parses the record at `start` from the bytes in the buffer.
    @inline(__always)
    private func parse() throws -> Outcome {
        if start == end { return eof ? .endOfInput : .needMore }
        // Everything the loop touches in locals: stores through the field arrays could otherwise
        // make the compiler reload the object's properties on every field.
        let buf = buffer
        let end = self.end
        let eof = self.eof
        let cls = classes
        let delimiter = self.delimiter
        let delimiterWord = self.delimiterWord
        let quote = self.quote
        let quoteWord = self.quoteWord
        let raw = UnsafeRawPointer(buf)
        var offsets = self.offsets, lengths = self.lengths, inScratch = self.inScratch
        var capacity = fieldCapacity
        let recordStart = start
        var p = recordStart
        var lines = 0
        var n = 0
        if usesScratch { scratch.count = 0; usesScratch = false }
        while true {
            if n == capacity {
                growFields()
                offsets = self.offsets; lengths = self.lengths; inScratch = self.inScratch; capacity = fieldCapacity
            }
            if p < end && buf[p] == quote {
                // Quoted field: contiguous unless it holds a doubled quote or text after the closing quote.
                p += 1
                let contentStart = p
                var closed = false
                var simpleEnd = -1
                var copying = false
                var scratchStart = 0
                while p < end {
                    // Skip eight bytes at a time while there is no quote and no line feed.
                    if !copying {
                        while p + 8 <= end {
                            let w = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)
                            let m = SchemaCSVScanner.zeroBytes(w ^ quoteWord) | SchemaCSVScanner.zeroBytes(w ^ 0x0A0A_0A0A_0A0A_0A0A)
                            if m != 0 { p += m.trailingZeroBitCount >> 3; break }
                            p += 8
                        }
                        if p == end { break }
                    }
                    let b = buf[p]
                    if b == quote {
                        if p + 1 < end {
                            if buf[p + 1] == quote {
                                if !copying {
                                    copying = true
                                    usesScratch = true
                                    scratchStart = scratch.count
                                    scratch.append(buf + contentStart, count: p - contentStart)
                                }
                                scratch.append(quote)
                                p += 2
                                continue
                            }
                            simpleEnd = p; p += 1; closed = true; break
                        } else if eof {
                            simpleEnd = p; p += 1; closed = true; break
                        } else {
                            return .needMore
                        }
                    }
                    if b == 0x0A { lines += 1 }
                    if copying { scratch.append(b) }
                    p += 1
                }
                if !closed {
                    if eof {
                        throw TableReadError(path: path, line: nextLine, message: "a quoted field is never closed (missing \")")
                    }
                    return .needMore
                }
                // Text after the closing quote is kept (`"a"b` reads as `ab`).
                if p < end && cls[Int(buf[p])] == 0 {
                    if !copying {
                        copying = true
                        usesScratch = true
                        scratchStart = scratch.count
                        scratch.append(buf + contentStart, count: simpleEnd - contentStart)
                    }
                    while p < end && cls[Int(buf[p])] == 0 { scratch.append(buf[p]); p += 1 }
                }
                if copying {
                    offsets[n] = scratchStart; lengths[n] = scratch.count - scratchStart; inScratch[n] = true
                } else {
                    offsets[n] = contentStart; lengths[n] = simpleEnd - contentStart; inScratch[n] = false
                }
            } else {
                let fieldStart = p
                // Eight bytes at a time to the next delimiter or line end, then byte by byte.
                while p + 8 <= end {
                    let w = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)
                    let m = SchemaCSVScanner.zeroBytes(w ^ delimiterWord) | SchemaCSVScanner.zeroBytes(w ^ 0x0A0A_0A0A_0A0A_0A0A)
                        | SchemaCSVScanner.zeroBytes(w ^ 0x0D0D_0D0D_0D0D_0D0D)
                    if m != 0 { p += m.trailingZeroBitCount >> 3; break }
                    p += 8
                }
                while p < end && cls[Int(buf[p])] == 0 { p += 1 }
                offsets[n] = fieldStart; lengths[n] = p - fieldStart; inScratch[n] = false
            }
            n += 1
            if p == end {
                if !eof { return .needMore }
                fieldCount = n
                return .record(end: p, lines: lines + 1)
            }
            let b = buf[p]
            if b == delimiter { p += 1; continue }
            if b == 0x0D {
                if p + 1 == end && !eof { return .needMore }
                p += (p + 1 < end && buf[p + 1] == 0x0A) ? 2 : 1
            } else {
                p += 1
            }
            // An empty line is a record with no fields (as Python's csv module reads it).
            if n == 1 && lengths[0] == 0 && p - recordStart <= 2 { n = 0 }
            fieldCount = n
            return .record(end: p, lines: lines + 1)
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
                if p == end { start = end; nextLine += 1; commentLines += 1; return true }
            }
            p += buffer[p] == 0x0D && p + 1 < end && buffer[p + 1] == 0x0A ? 2 : 1
            start = p
            nextLine += 1
            commentLines += 1
            return true
        }
    }

    /// Parses the record at `start` byte by byte, every field copied: for dialects without quoting,
    /// with an escape character, without doubled quotes or with initial spaces skipped (Python's
    /// csv module's reading of them).
    private func parseGeneral() throws -> Outcome {
        if start == end { return eof ? .endOfInput : .needMore }
        let buf = buffer, end = self.end, eof = self.eof
        let q = dialect.quoteChar.map(Int.init) ?? -1
        let e = dialect.escapeChar.map(Int.init) ?? -1
        let d = delimiter, doubled = dialect.doubleQuote, skipSpace = dialect.skipInitialSpace
        let recordStart = start
        var p = recordStart, lines = 0, n = 0
        scratch.count = 0
        usesScratch = true
        while true {
            if n == fieldCapacity { growFields() }
            if skipSpace { while p < end && buf[p] == 0x20 { p += 1 } }
            let fieldStart = scratch.count
            var quoted = false
            if p < end && Int(buf[p]) == q { quoted = true; p += 1 }
            while true {
                if p >= end {
                    if !eof { return .needMore }
                    if quoted { throw TableReadError(path: path, line: nextLine, message: "a quoted field is never closed (missing \(Character(Unicode.Scalar(UInt8(q)))))") }
                    break
                }
                let b = buf[p]
                if Int(b) == e {
                    if p + 1 >= end {
                        if !eof { return .needMore }
                        throw TableReadError(path: path, line: nextLine, message: "the file ends right after an escape character")
                    }
                    if buf[p + 1] == 0x0A { lines += 1 }
                    scratch.append(buf[p + 1]); p += 2
                    continue
                }
                if quoted {
                    if Int(b) == q {
                        if doubled {
                            if p + 1 >= end && !eof { return .needMore }
                            if p + 1 < end && Int(buf[p + 1]) == q { scratch.append(b); p += 2; continue }
                        }
                        quoted = false; p += 1
                        // With doubled quotes, the character right after the closing quote is kept as
                        // it is, even an escape character (Python's csv module: QUOTE_IN_QUOTED_FIELD).
                        if doubled {
                            if p >= end && !eof { return .needMore }
                            if p < end, buf[p] != d, buf[p] != 0x0A, buf[p] != 0x0D { scratch.append(buf[p]); p += 1 }
                        }
                        continue
                    }
                    if b == 0x0A { lines += 1 }
                    scratch.append(b); p += 1
                    continue
                }
                if b == d || b == 0x0A || b == 0x0D { break }
                scratch.append(b); p += 1
            }
            offsets[n] = fieldStart; lengths[n] = scratch.count - fieldStart; inScratch[n] = true
            n += 1
            if p >= end {
                fieldCount = n
                return .record(end: p, lines: lines + 1)
            }
            let b = buf[p]
            if b == d { p += 1; continue }
            // An empty line (nothing before its line end, not even skipped spaces) is a record without fields.
            let blank = n == 1 && p == recordStart
            if b == 0x0D {
                if p + 1 == end && !eof { return .needMore }
                p += (p + 1 < end && buf[p + 1] == 0x0A) ? 2 : 1
            } else {
                p += 1
            }
            if blank { n = 0 }
            fieldCount = n
            return .record(end: p, lines: lines + 1)
        }
    }

    // MARK: - UTF-8

    private func checkUTF8(_ lo: Int, _ hi: Int) throws {
        // Fast path: the raw record is ASCII.
        var i = lo
        let raw = UnsafeRawPointer(buffer)
        var ascii = true
        while i + 8 <= hi {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { ascii = false; break }
            i += 8
        }
        if ascii {
            while i < hi { if buffer[i] >= 0x80 { ascii = false; break }; i += 1 }
        }
        if ascii { return }
        // Valid raw bytes make valid fields (quotes and delimiters are ASCII); otherwise check each
        // field, as TableReader does (`"\xC3"\xA9` unescapes to a valid `é`).
        if SchemaCSVScanner.isValidUTF8(UnsafeBufferPointer(start: buffer + i, count: hi - i)) { return }
        for f in 0..<fieldCount where !SchemaCSVScanner.isValidUTF8(field(f)) {
            throw TableReadError(path: path, line: line, message: TableReadError.invalidUTF8)
        }
    }

    static func isValidUTF8(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = buf.count
        guard let base = buf.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        while i < n {
            let b = buf[i]
            if b < 0x80 {
                i += 1
                while i + 8 <= n && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
                continue
            }
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

    func append(_ p: UnsafePointer<UInt8>, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (base + count).update(from: p, count: n)
        count += n
    }
}

/// JSON Lines (and anything else `TableReader` reads) as a row source: each record's fields are
/// copied into one buffer. Slower than `SchemaCSVScanner`, same rows.
final class SchemaTableReaderSource: SchemaRowSource {
    private let reader: TableReader
    private let bytes = SchemaByteBuffer()
    private var bounds: [Int] = [0]

    init(path: String, format: TableFormat, layout: TableLayout = TableLayout(), maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws {
        reader = try TableReader(path: path, format: format, layout: layout, maxRecordBytes: maxRecordBytes)
    }

    var header: [String] { reader.header }
    var row: Int { reader.row }
    var line: Int { reader.line }
    var bytesRead: Int { reader.bytesRead }
    var fieldCount: Int { bounds.count - 1 }

    func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes.base + bounds[i], count: bounds[i + 1] - bounds[i])
    }

    func next() throws -> Bool {
        guard try reader.next() else { return false }
        bytes.count = 0
        bounds.removeAll(keepingCapacity: true)
        bounds.append(0)
        for i in 0..<reader.fieldCount {
            reader.withField(i) { f in if let b = f.baseAddress { bytes.append(b, count: f.count) } }
            bounds.append(bytes.count)
        }
        return true
    }
}
