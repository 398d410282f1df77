import Foundation

// Reading splits for the leakage validator. CSV and TSV files are memory-mapped and cut into pieces
// of about 16 MiB that are read on every core at once (all splits' pieces share one work list);
// JSON Lines, compressed files and files in another encoding or dialect go through `TableReader`. A piece after the first starts after a line break, assuming
// no quoted field spans it; that holds when the piece before it ended exactly there, and where it
// does not, the rest of the file is read again in one piece, so the result never depends on the cut.
// Records are parsed by `DelimitedParser`, the parser of `TableReader` too (RFC 4180 quoting,
// LF/CRLF/CR, BOM), and checked by `UTF8Check`.


/// One CSV/TSV record of a mapped file (RFC 4180, the format's default dialect), parsed in place by
/// `DelimitedParser` — the parser of the streaming reader — so a mapped file reads as `TableReader`
/// reads it. The caller checks the raw bytes with `UTF8Check`.
final class MappedRecord: FieldRecord {
    let base: UnsafePointer<UInt8>
    let count: Int
    let delimiter: UInt8
    private let parser: DelimitedParser
    /// The record was an empty line (a record with no fields).
    private(set) var isBlank = false
    /// The record is malformed (a quoted field never closed): what to say, at the record's start.
    var malformed: String? { problem?.message }
    private var problem: DelimitedParser.Malformation?
    /// The record is longer than `maxRecordBytes` (line end included); it was read only that far,
    /// and its fields are not meaningful.
    private(set) var tooLong = false
    let maxRecordBytes: Int

    init(base: UnsafePointer<UInt8>, count: Int, delimiter: UInt8, maxRecordBytes: Int = ReaderLimits.maxRecordBytes) {
        self.base = base; self.count = count; self.delimiter = delimiter
        self.maxRecordBytes = max(maxRecordBytes, 1)
        parser = DelimitedParser(format: delimiter == 0x09 ? .tsv : .csv, dialect: TableDialect(delimiter: delimiter), countLines: false)
    }

    var fieldCount: Int { parser.fieldCount }

    /// Parses the record starting at `start` (< `count`); returns where the next one starts. Reads
    /// no further than `maxRecordBytes + 1` bytes: past that, `tooLong` is set.
    @inline(__always)
    func parse(at start: Int) -> Int {
        var plain = PlainFields(delimiter: parser.delimiter, delimiterWord: parser.delimiterWord)
        return parse(at: start, visitor: &plain)
    }

    /// `parse(at:)`, showing the fields to `visitor` as they are read.
    @inline(__always)
    func parse<V: DelimitedFieldVisitor>(at start: Int, visitor: inout V) -> Int {
        tooLong = false
        problem = nil
        let limit = count - start > maxRecordBytes ? start + maxRecordBytes + 1 : count
        switch parser.parse(base, start: start, end: limit, eof: limit == count, visitor: &visitor) {
        case let .record(end, _):
            tooLong = end - start > maxRecordBytes
            isBlank = parser.fieldCount == 0
            return end
        case .needMore:
            tooLong = true
            return limit
        case .endOfInput:
            isBlank = true
            return start
        case .malformed(let malformation):
            problem = malformation
            return count
        }
    }

    @inline(__always)
    func field(_ i: Int) -> UnsafeBufferPointer<UInt8> { parser.field(i) }

    func string(_ i: Int) -> String { withField(i) { String(decoding: $0, as: UTF8.self) } }
}

extension LeakageValidator {
    /// What a pass over a split keeps: per data row its row number and fingerprints.
    struct SplitScan {
        var name: String
        var path: String
        var rowNumbers: [UInt32] = []
        var rowFP: [Fingerprint128] = []
        var keyFP: [Fingerprint128] = []
        var times: [Double] = []
        var timeKind: TimeKind?
        var missingTimes = 0
        var latestTime: (value: Double, row: Int)?
        var target: TargetAnalysis?
    }

    /// The columns one split's checks read, resolved against its header.
    struct SplitColumns: Sendable {
        var width: Int
        var row: [Int]
        var key: [Int]?
        var time: Int?
        var targetLabel: Int?
        var targetFeatures: [Int]
        var header: [String]

        init(header: [String], path: String, plan: ScanPlan, analyseTarget: Bool) throws {
            let options = plan.options
            self.header = header
            width = header.count
            row = options.rowOverlap ? try requireColumns(plan.columns, in: header, path: path) : []
            key = try options.key.map { k -> [Int] in
                guard !k.isEmpty else { throw LeakageError("key is empty; name the column(s) identifying an entity") }
                return try requireColumns(k, in: header, path: path)
            }
            time = try options.time.map { try requireColumns([$0], in: header, path: path)[0] }
            targetFeatures = []
            if analyseTarget, let label = options.label {
                let l = try requireColumns([label], in: header, path: path)[0]
                targetLabel = l
                let excluded = Set(key ?? []).union([l])
                targetFeatures = header.indices.filter { !excluded.contains($0) }
            }
        }
    }

    /// Accumulates one piece (or one whole split) of rows.
    struct SplitAccumulator {
        let columns: SplitColumns
        let timeName: String
        var rowNumbers: [UInt32] = []
        var rowFP: [Fingerprint128] = []
        var keyFP: [Fingerprint128] = []
        var times: [Double] = []
        var timeKind: TimeKind?
        var missingTimes = 0
        var latestTime: (value: Double, row: Int)?
        var target: TargetAnalysis?
        private let rowPrint: RowFingerprinter
        private let keyPrint: RowFingerprinter
        private let normalizer: ValueNormalizer

        init(columns: SplitColumns, options: LeakageOptions, expectedRows: Int) {
            self.columns = columns
            timeName = options.time ?? ""
            normalizer = ValueNormalizer(caseFold: options.caseFold)
            rowPrint = RowFingerprinter(normalizer: normalizer)
            keyPrint = RowFingerprinter(normalizer: normalizer)
            if let l = columns.targetLabel {
                target = TargetAnalysis(labelIndex: l, featureIndexes: columns.targetFeatures, header: columns.header)
            }
            rowNumbers.reserveCapacity(expectedRows)
            if !columns.row.isEmpty { rowFP.reserveCapacity(expectedRows) }
            if columns.key != nil { keyFP.reserveCapacity(expectedRows) }
        }

        /// Adds the current record (row `row`, relative to the piece) unless it is blank. `fail` makes
        /// an error located at this record from a message given its absolute row number.
        @inline(__always)
        mutating func add<R: FieldRecord>(_ r: R, row: Int, blank: Bool, fail: ((Int) -> String) -> Error) throws {
            if blank { return }   // an empty line is not a row
            let n = r.fieldCount
            if n != columns.width {
                if n == 0 { return }
                let width = columns.width
                throw fail { "row \($0) has \(n) field\(n == 1 ? "" : "s") but the header has \(width); fix the row (a missing or extra delimiter, or an unclosed quote above it)" }
            }
            guard row < Int(UInt32.max) - 2 else { throw LeakageError("more than 4 billion rows in one split") }
            rowNumbers.append(UInt32(row))
            if !columns.row.isEmpty { rowFP.append(rowPrint.fingerprint(r, columns: columns.row)) }
            if let k = columns.key { keyFP.append(keyPrint.fingerprint(r, columns: k, skipEmpty: true)) }
            if let t = columns.time {
                switch r.withField(t, { parseTimeValue($0) }) {
                case .missing:
                    times.append(.nan); missingTimes += 1
                case let .value(v, kind):
                    if let k = timeKind, k != kind {
                        let text = r.withField(t) { String(decoding: $0, as: UTF8.self) }, name = timeName
                        throw fail { _ in "column \(name): \"\(text)\" is \(kind == .instant ? "a date" : "a plain number") but earlier rows hold \(k == .instant ? "dates" : "plain numbers"); use one kind" }
                    }
                    timeKind = kind
                    times.append(v)
                    if latestTime == nil || v > latestTime!.value { latestTime = (v, row) }
                case .invalid:
                    let text = r.withField(t) { String(decoding: $0, as: UTF8.self) }, name = timeName
                    throw fail { _ in "column \(name): \"\(text)\" is neither an ISO 8601 date or date-time nor a number" }
                }
            }
            if target != nil { target!.add(r, normalizer: normalizer) }
        }
    }

    /// A mapped CSV/TSV split: its header and where the data starts.
    final class MappedSplit {
        let name: String
        let path: String
        let file: MappedFile
        let delimiter: UInt8
        let header: [String]
        let dataStart: Int
        let maxRecordBytes: Int

        init(name: String, path: String, delimiter: UInt8, maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws {
            self.name = name; self.path = path; self.delimiter = delimiter; self.maxRecordBytes = maxRecordBytes
            file = try MappedFile(path: path)
            guard let base = file.base else { header = []; dataStart = 0; return }
            var start = 0
            if file.count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { start = 3 }
            let record = MappedRecord(base: base, count: file.count, delimiter: delimiter, maxRecordBytes: maxRecordBytes)
            dataStart = record.parse(at: start)
            if record.tooLong { throw TableReadError.recordTooLong(path: path, line: 1, limit: maxRecordBytes) }
            if let message = record.malformed { throw TableReadError(path: path, line: 1, message: message) }
            if UTF8Check.firstInvalid(base, start, dataStart) != nil {
                throw TableReadError(path: path, line: 1, message: TableReadError.invalidUTF8)
            }
            header = (0..<record.fieldCount).map(record.string)
        }

        /// Physical line (1-based) of byte `pos`: line ends before it (LF, CRLF, lone CR) plus one.
        func line(at pos: Int) -> Int {
            guard let base = file.base else { return 1 }
            return physicalLine(base, count: file.count, at: pos)
        }

        /// Row number (header = 1) of the record starting at `pos`, by reading the records before it.
        func row(at pos: Int) -> Int {
            guard let base = file.base else { return 1 }
            let record = MappedRecord(base: base, count: file.count, delimiter: delimiter, maxRecordBytes: maxRecordBytes)
            var p = dataStart, row = 2
            while p < pos { p = record.parse(at: p); row += 1 }
            return row
        }

        func error(at pos: Int, _ message: (Int) -> String) -> TableReadError {
            TableReadError(path: path, line: line(at: pos), message: message(row(at: pos)))
        }
    }

    struct PieceResult {
        var acc: SplitAccumulator
        var records = 0
        var next = 0
        var error: Error?
        /// Where the first record with a time value starts (to locate a dates-versus-numbers clash).
        var firstTimePos: Int?
    }

    /// Reads `split.file[from..<to]` (records starting there), rows numbered from 0.
    static func readPiece(_ split: MappedSplit, columns: SplitColumns, options: LeakageOptions, from: Int, to: Int) -> PieceResult {
        let expected = (to - from) / 64 + 16
        var result = PieceResult(acc: SplitAccumulator(columns: columns, options: options, expectedRows: expected))
        guard let base = split.file.base else { result.next = from; return result }
        let record = MappedRecord(base: base, count: split.file.count, delimiter: split.delimiter, maxRecordBytes: split.maxRecordBytes)
        var pos = from
        do {
            while pos < to {
                let next = record.parse(at: pos)
                if record.tooLong {
                    throw TableReadError.recordTooLong(path: split.path, line: split.line(at: pos), limit: split.maxRecordBytes)
                }
                if let message = record.malformed {
                    throw split.error(at: pos) { _ in message }
                }
                if let bad = UTF8Check.firstInvalid(base, pos, next) {
                    throw TableReadError(path: split.path, line: split.line(at: bad), message: TableReadError.invalidUTF8)
                }
                let start = pos
                let before = result.acc.times.count - result.acc.missingTimes
                try result.acc.add(record, row: result.records, blank: record.isBlank) { split.error(at: start, $0) }
                if result.firstTimePos == nil, result.acc.times.count - result.acc.missingTimes > before { result.firstTimePos = start }
                result.records += 1
                pos = next
            }
        } catch {
            result.error = error
        }
        result.next = pos
        // The piece's pages are not needed again (unless a rescan reads them): leave them to the page cache.
        let page = Int(getpagesize())
        let lo = (from + page - 1) / page * page, hi = pos / page * page
        if hi > lo { madvise(UnsafeMutableRawPointer(mutating: base + lo), hi - lo, MADV_DONTNEED) }
        return result
    }

    /// Reads a JSON Lines (or any) split with `TableReader`, rows numbered absolutely.
    static func readWithTableReader(name: String, path: String, plan: ScanPlan, analyseTarget: Bool) throws -> SplitScan {
        let reader = try TableReader(path: path, format: plan.options.format, layout: plan.options.layout)
        let columns = try SplitColumns(header: reader.header, path: path, plan: plan, analyseTarget: analyseTarget)
        var acc = SplitAccumulator(columns: columns, options: plan.options, expectedRows: 1024)
        while try reader.next() {
            try acc.add(reader, row: reader.row, blank: reader.fieldCount == 0) { TableReadError(path: path, line: reader.line, message: $0(reader.row)) }
        }
        return SplitScan(name: name, path: path, rowNumbers: acc.rowNumbers, rowFP: acc.rowFP, keyFP: acc.keyFP, times: acc.times,
                         timeKind: acc.timeKind, missingTimes: acc.missingTimes, latestTime: acc.latestTime, target: acc.target)
    }

    /// Reads every split, all pieces of all CSV/TSV splits in parallel.
    static func readSplits(_ splits: [(name: String, path: String)], plan: ScanPlan, targetIndex: Int?) throws -> [SplitScan] {
        let options = plan.options
        enum Source { case mapped(MappedSplit, SplitColumns, starts: [Int]), reader }
        var sources: [Source] = []
        struct Work: Sendable { var split: Int; var piece: Int; var from: Int; var to: Int }
        var work: [Work] = []
        let pieceSize = max(1, options.pieceBytes)
        for (i, s) in splits.enumerated() {
            let format = options.format ?? TableFormat.guess(path: s.path) ?? .csv
            // JSON Lines, and tables not read in place (compressed, another encoding or dialect): the shared streaming reader.
            guard format != .jsonl && options.layout.isPlain(path: s.path, format: format) else { sources.append(.reader); work.append(Work(split: i, piece: 0, from: 0, to: 0)); continue }
            let mapped = try MappedSplit(name: s.name, path: s.path, delimiter: format == .tsv ? 0x09 : 0x2C)
            let columns = try SplitColumns(header: mapped.header, path: s.path, plan: plan, analyseTarget: i == targetIndex)
            // Pieces start after a line break near each multiple of pieceSize (one piece for the target split).
            var starts = [mapped.dataStart]
            if let base = mapped.file.base, i != targetIndex {
                var nominal = mapped.dataStart + pieceSize
                while nominal < mapped.file.count {
                    guard let lf = memchr(base + nominal, 0x0A, mapped.file.count - nominal) else { break }
                    let cut = base.distance(to: lf.assumingMemoryBound(to: UInt8.self)) + 1
                    if cut >= mapped.file.count { break }
                    starts.append(cut)
                    nominal = cut + pieceSize
                }
            }
            for (k, from) in starts.enumerated() {
                work.append(Work(split: i, piece: k, from: from, to: k + 1 < starts.count ? starts[k + 1] : mapped.file.count))
            }
            sources.append(.mapped(mapped, columns, starts: starts))
        }
        // Largest pieces first, so the last ones to finish are small.
        let order = work.indices.sorted { (work[$0].to - work[$0].from) > (work[$1].to - work[$1].from) }
        let shared = SharedSources(sources.map { s -> (MappedSplit, SplitColumns)? in
            if case let .mapped(m, c, _) = s { return (m, c) } else { return nil }
        })
        let list = splits, plan = plan, frozenWork = work
        let outcomes = try runConcurrently(order.count) { j -> PieceOutcome in
            let w = frozenWork[order[j]]
            if let (split, columns) = shared.items[w.split] {
                return .piece(readPiece(split, columns: columns, options: plan.options, from: w.from, to: w.to))
            }
            return .whole(Result { try readWithTableReader(name: list[w.split].name, path: list[w.split].path, plan: plan, analyseTarget: w.split == targetIndex) })
        }
        var byWork = [PieceOutcome?](repeating: nil, count: work.count)
        for (j, w) in order.enumerated() { byWork[w] = outcomes[j] }

        var scans: [SplitScan] = []
        var w = 0
        for (i, source) in sources.enumerated() {
            switch source {
            case .reader:
                guard case let .whole(result) = byWork[w]! else { fatalError("work list out of order") }
                scans.append(try result.get())
                w += 1
            case let .mapped(split, columns, starts):
                var pieces: [PieceResult] = []
                for k in starts.indices {
                    guard case let .piece(p) = byWork[w + k]! else { fatalError("work list out of order") }
                    if k > 0, pieces[k - 1].next != starts[k] {
                        // A quoted field spanned the cut: read the rest in one piece.
                        pieces.append(readPiece(split, columns: columns, options: options, from: pieces[k - 1].next, to: split.file.count))
                        break
                    }
                    pieces.append(p)
                    if p.error != nil { break }
                }
                w += starts.count
                scans.append(try merge(pieces, split: split, name: splits[i].name))
            }
        }
        return scans
    }

    enum PieceOutcome { case piece(PieceResult), whole(Result<SplitScan, Error>) }

    final class SharedSources {
        let items: [(MappedSplit, SplitColumns)?]
        init(_ items: [(MappedSplit, SplitColumns)?]) { self.items = items }
    }

    /// Joins a split's pieces in order, numbering rows (header = 1) and checking time kinds agree.
    static func merge(_ pieces: [PieceResult], split: MappedSplit, name: String) throws -> SplitScan {
        var scan = SplitScan(name: name, path: split.path)
        let total = pieces.reduce(0) { $0 + $1.acc.rowNumbers.count }
        scan.rowNumbers.reserveCapacity(total)
        scan.rowFP.reserveCapacity(pieces.first?.acc.rowFP.isEmpty == false ? total : 0)
        scan.keyFP.reserveCapacity(pieces.first?.acc.keyFP.isEmpty == false ? total : 0)
        var base = 2
        for p in pieces {
            if let error = p.error { throw error }
            let offset = UInt32(base)
            scan.rowNumbers.append(contentsOf: p.acc.rowNumbers.lazy.map { $0 + offset })
            scan.rowFP.append(contentsOf: p.acc.rowFP)
            scan.keyFP.append(contentsOf: p.acc.keyFP)
            scan.times.append(contentsOf: p.acc.times)
            scan.missingTimes += p.acc.missingTimes
            if let kind = p.acc.timeKind {
                if let k = scan.timeKind, k != kind, let pos = p.firstTimePos {
                    throw split.error(at: pos) { _ in "column \(p.acc.timeName): this row holds \(kind == .instant ? "a date" : "a plain number") but earlier rows hold \(k == .instant ? "dates" : "plain numbers"); use one kind" }
                }
                scan.timeKind = kind
            }
            if let latest = p.acc.latestTime, scan.latestTime == nil || latest.value > scan.latestTime!.value {
                scan.latestTime = (latest.value, latest.row + base)
            }
            if let t = p.acc.target { scan.target = t }
            base += p.records
        }
        return scan
    }
}
