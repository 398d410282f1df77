import Foundation

/// The one parser of delimited records (CSV, TSV and every declared dialect) in the validators.
/// The streaming reader (`SchemaCSVScanner`, behind `TableReader`, the schema validator and
/// `schema infer`) and the memory-mapped readers (`MappedRecord`: leakage, quality; the PII scan)
/// all parse a record here, so they cannot read a file differently. Its rules are Python's `csv`
/// module's (what frictionless reads with), with the differences the differential test names:
///
/// - RFC 4180 quoting: a field that starts with the quote character runs to the next single quote;
///   a doubled quote inside stands for one; line breaks inside are part of the field. Text right
///   after the closing quote is kept (`"a"b` reads `ab`); a quote inside an unquoted field is a
///   character (`a"b`).
/// - LF, CRLF and a lone CR each end a record (outside quotes); each counts as one line, inside
///   quoted fields too.
/// - An empty line is a record without fields (Python: `[]`); validators skip it as a row but it
///   keeps its row number.
/// - A quoted field never closed is refused at the line where its record starts (Python's
///   non-strict reader ends it at the end of the file; a validator must not guess a row's extent).
/// - A file ending right after an escape character is refused likewise.
/// - The byte-order mark and the UTF-8 check are the readers' (`UTF8Check`, on raw bytes).
///
/// The default dialect (a quote character, doubled quotes, no escape character, no initial spaces
/// skipped) takes the fast path: unquoted and plainly quoted fields are not copied, and the bytes
/// are scanned eight at a time; any other dialect takes the general path, every field copied.
final class DelimitedParser {
    /// What `parse` found at `start`.
    enum Outcome {
        /// A record ending at `end` (its line end included), spanning `lines` physical lines (in
        /// the fast path without `countLines`, line breaks inside quoted fields are not counted).
        case record(end: Int, lines: Int)
        /// The window ends inside the record and more input may come: call again with more.
        case needMore
        /// Nothing left (`start` is the end and the input has ended).
        case endOfInput
        /// The record is malformed (a quote never closed, an escape at the end).
        case malformed(Malformation)
    }

    /// What is wrong with a malformed record (a trivial value, so that `Outcome` is one too).
    enum Malformation: Equatable {
        case unclosedQuote(UInt8)
        case escapeAtEnd

        /// What to say.
        var message: String {
            switch self {
            case .unclosedQuote(let q): return "a quoted field is never closed (missing \(Character(Unicode.Scalar(q))))"
            case .escapeAtEnd: return "the file ends right after an escape character"
            }
        }
    }

    let dialect: TableDialect
    let delimiter: UInt8
    let quote: UInt8
    /// The dialect needs the byte-by-byte parser (no quoting, an escape character, no doubled
    /// quotes, initial spaces skipped).
    let general: Bool
    /// Line breaks inside quoted fields are counted (`Outcome.record`'s `lines`); the memory-mapped
    /// readers, which locate errors from the file's bytes instead, skip counting and find a quoted
    /// field's end with `memchr`.
    let countLines: Bool
    private let quoteWord: UInt64
    /// The delimiter in every byte of a word.
    let delimiterWord: UInt64
    /// Byte classes: 1 delimiter, 2 LF, 3 CR, 0 anything else.
    private let classes: UnsafeMutablePointer<UInt8>

    // Field i: lengths[i] bytes at base + offsets[i], or, when offsets[i] < 0, at scratch + ~offsets[i].
    private var offsets: UnsafeMutablePointer<Int>
    private var lengths: UnsafeMutablePointer<Int>
    private var fieldCapacity = 64
    private(set) var fieldCount = 0
    let scratch: SchemaByteBuffer
    private var usesScratch = false
    /// The bytes the current record was parsed from.
    private var base: UnsafePointer<UInt8>?

    init(format: TableFormat, dialect: TableDialect, countLines: Bool = true, scratchCapacity: Int = 4096) {
        self.dialect = dialect
        self.countLines = countLines
        let delimiter = dialect.delimiter(for: format)
        self.delimiter = delimiter
        quote = dialect.quoteChar ?? 0
        quoteWord = UInt64(dialect.quoteChar ?? 0) &* 0x0101_0101_0101_0101
        delimiterWord = UInt64(delimiter) &* 0x0101_0101_0101_0101
        general = dialect.quoteChar == nil || !dialect.doubleQuote || dialect.escapeChar != nil || dialect.skipInitialSpace
        scratch = SchemaByteBuffer(capacity: scratchCapacity)
        offsets = .allocate(capacity: fieldCapacity)
        lengths = .allocate(capacity: fieldCapacity)
        classes = .allocate(capacity: 256)
        classes.initialize(repeating: 0, count: 256)
        classes[Int(delimiter)] = 1
        classes[0x0A] = 2
        classes[0x0D] = 3
    }

    deinit {
        offsets.deallocate()
        lengths.deallocate()
        classes.deallocate()
    }

    /// Field `i` of the current record (quotes removed); valid until the next `parse`, and while
    /// the bytes it was parsed from stay where they are.
    @inline(__always)
    func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let o = offsets[i]
        if o < 0 { return UnsafeBufferPointer(start: scratch.base + ~o, count: lengths[i]) }
        return UnsafeBufferPointer(start: base! + o, count: lengths[i])
    }

    /// True when every field of the current record is empty (or it has none).
    var isBlank: Bool {
        for i in 0..<fieldCount where lengths[i] != 0 { return false }
        return true
    }

    /// Bytes held for copied fields.
    var scratchBytes: Int { scratch.capacityBytes }

    private func growFields() {
        let c = fieldCapacity * 2
        let o = UnsafeMutablePointer<Int>.allocate(capacity: c); o.update(from: offsets, count: fieldCapacity); offsets.deallocate(); offsets = o
        let l = UnsafeMutablePointer<Int>.allocate(capacity: c); l.update(from: lengths, count: fieldCapacity); lengths.deallocate(); lengths = l
        fieldCapacity = c
    }

    /// Index of the first `delimiter`, LF or CR in `p[from..<to]`, or `to`: the end of an unquoted
    /// field (and, given the quote character, the next stop inside a quoted one).
    @inline(__always)
    static func fieldEnd(_ p: UnsafePointer<UInt8>, from: Int, to: Int, delimiter: UInt8, delimiterWord: UInt64) -> Int {
        let raw = UnsafeRawPointer(p)
        var i = from
        while i + 8 <= to {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let m = zeroBytes(w ^ delimiterWord) | zeroBytes(w ^ 0x0A0A_0A0A_0A0A_0A0A) | zeroBytes(w ^ 0x0D0D_0D0D_0D0D_0D0D)
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < to {
            let b = p[i]
            if b == delimiter || b == 0x0A || b == 0x0D { return i }
            i += 1
        }
        return to
    }

    /// High bit set in the lowest byte of `x` that is zero (bits above it may be wrong).
    @inline(__always)
    static func zeroBytes(_ x: UInt64) -> UInt64 { (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 }

    /// Parses the record at `buf[start...]`, reading no further than `end`; `eof` says no input
    /// follows `end`.
    @inline(__always)
    func parse(_ buf: UnsafePointer<UInt8>, start: Int, end: Int, eof: Bool) -> Outcome {
        var plain = PlainFields(delimiter: delimiter, delimiterWord: delimiterWord)
        return parse(buf, start: start, end: end, eof: eof, visitor: &plain)
    }

    /// `parse`, showing each field to `visitor` as it is read (see `DelimitedFieldVisitor`).
    @inline(__always)
    func parse<V: DelimitedFieldVisitor>(_ buf: UnsafePointer<UInt8>, start: Int, end: Int, eof: Bool, visitor: inout V) -> Outcome {
        if start == end { return eof ? .endOfInput : .needMore }
        base = buf
        visitor.beginRecord()
        return general ? parseGeneral(buf, start: start, end: end, eof: eof, visitor: &visitor)
            : parseFast(buf, start: start, end: end, eof: eof, visitor: &visitor)
    }

    private var unclosed: Malformation { .unclosedQuote(quote) }

    @inline(__always)
    private func parseFast<V: DelimitedFieldVisitor>(_ buf: UnsafePointer<UInt8>, start recordStart: Int, end: Int, eof: Bool, visitor: inout V) -> Outcome {
        // Everything the loop touches in locals: stores through the field arrays could otherwise
        // make the compiler reload the object's properties on every field.
        let cls = classes
        let delimiter = self.delimiter
        let quote = self.quote
        let quoteWord = self.quoteWord
        let countLines = self.countLines
        let scratch = self.scratch
        var offsets = self.offsets, lengths = self.lengths
        var capacity = fieldCapacity
        var p = recordStart
        var lines = 0
        var n = 0
        if usesScratch { scratch.count = 0; usesScratch = false }
        while true {
            if n == capacity {
                growFields()
                offsets = self.offsets; lengths = self.lengths; capacity = fieldCapacity
            }
            if p < end && buf[p] == quote {
                // Quoted field: contiguous unless it holds a doubled quote or text after the closing quote.
                p += 1
                let contentStart = p
                var closed = false
                var simpleEnd = -1
                var copying = false
                var scratchStart = 0
                while true {
                    // The next quote — or, when lines are counted, the next quote or line break.
                    let stop: Int
                    if countLines {
                        stop = DelimitedParser.fieldEnd(buf, from: p, to: end, delimiter: quote, delimiterWord: quoteWord)
                    } else if let hit = memchr(buf + p, Int32(quote), end - p) {
                        stop = buf.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    } else {
                        stop = end
                    }
                    if copying { scratch.append(buf + p, count: stop - p) }
                    p = stop
                    if p == end { break }
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
                    if b == 0x0A {
                        lines += 1
                    } else {
                        // A lone CR is a line; a CRLF counts at its LF.
                        if p + 1 == end && !eof { return .needMore }
                        if p + 1 == end || buf[p + 1] != 0x0A { lines += 1 }
                    }
                    if copying { scratch.append(b) }
                    p += 1
                }
                if !closed { return eof ? .malformed(unclosed) : .needMore }
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
                    offsets[n] = ~scratchStart; lengths[n] = scratch.count - scratchStart
                    visitor.field(UnsafeBufferPointer(start: scratch.base + scratchStart, count: scratch.count - scratchStart), column: n)
                } else {
                    offsets[n] = contentStart; lengths[n] = simpleEnd - contentStart
                    visitor.field(UnsafeBufferPointer(start: buf + contentStart, count: simpleEnd - contentStart), column: n)
                }
            } else {
                let fieldStart = p
                p = visitor.unquoted(buf, from: p, to: end, column: n)
                offsets[n] = fieldStart; lengths[n] = p - fieldStart
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

    /// The record at `start` byte by byte, every field copied: for dialects without quoting, with
    /// an escape character, without doubled quotes or with initial spaces skipped (Python's csv
    /// module's reading of them).
    private func parseGeneral<V: DelimitedFieldVisitor>(_ buf: UnsafePointer<UInt8>, start recordStart: Int, end: Int, eof: Bool, visitor: inout V) -> Outcome {
        let q = dialect.quoteChar.map(Int.init) ?? -1
        let e = dialect.escapeChar.map(Int.init) ?? -1
        let d = delimiter, doubled = dialect.doubleQuote, skipSpace = dialect.skipInitialSpace
        var p = recordStart, lines = 0, n = 0
        scratch.count = 0
        usesScratch = true
        /// Counts a line break copied into a field: LF, or a CR not followed by LF. Nil: need more.
        @inline(__always) func countBreak(_ at: Int) -> Bool {
            let b = buf[at]
            if b == 0x0A { lines += 1 } else if b == 0x0D {
                if at + 1 == end && !eof { return false }
                if at + 1 == end || buf[at + 1] != 0x0A { lines += 1 }
            }
            return true
        }
        while true {
            if n == fieldCapacity { growFields() }
            if skipSpace { while p < end && buf[p] == 0x20 { p += 1 } }
            let fieldStart = scratch.count
            var quoted = false
            if p < end && Int(buf[p]) == q { quoted = true; p += 1 }
            while true {
                if p >= end {
                    if !eof { return .needMore }
                    if quoted { return .malformed(unclosed) }
                    break
                }
                let b = buf[p]
                if Int(b) == e {
                    if p + 1 >= end {
                        if !eof { return .needMore }
                        return .malformed(.escapeAtEnd)
                    }
                    if !countBreak(p + 1) { return .needMore }
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
                    if !countBreak(p) { return .needMore }
                    scratch.append(b); p += 1
                    continue
                }
                if b == d || b == 0x0A || b == 0x0D { break }
                scratch.append(b); p += 1
            }
            offsets[n] = ~fieldStart; lengths[n] = scratch.count - fieldStart
            visitor.field(UnsafeBufferPointer(start: scratch.base + fieldStart, count: scratch.count - fieldStart), column: n)
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
}

/// Sees the fields of a record while `DelimitedParser` reads it: the PII scan looks for matches in
/// an unquoted field in the same pass that finds its end. An attempt that ends in `.needMore` is
/// repeated from the record's start with more bytes (`beginRecord` is called again).
protocol DelimitedFieldVisitor {
    mutating func beginRecord()
    /// An unquoted field starts at `from`: returns the index of the first delimiter, LF or CR in
    /// `p[from..<to]`, or `to` (`DelimitedParser.fieldEnd`, plus whatever the visitor does on the way).
    mutating func unquoted(_ p: UnsafePointer<UInt8>, from: Int, to: Int, column: Int) -> Int
    /// Every other field (quoted, or any field of a dialect read by the general path), unquoted.
    mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, column: Int)
}

/// The visitor that only finds field ends.
struct PlainFields: DelimitedFieldVisitor {
    let delimiter: UInt8
    let delimiterWord: UInt64
    @inline(__always) mutating func beginRecord() {}
    @inline(__always) mutating func unquoted(_ p: UnsafePointer<UInt8>, from: Int, to: Int, column: Int) -> Int {
        DelimitedParser.fieldEnd(p, from: from, to: to, delimiter: delimiter, delimiterWord: delimiterWord)
    }
    @inline(__always) mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, column: Int) {}
}
