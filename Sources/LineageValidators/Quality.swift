import Foundation

/// Thresholds of the quality validator (`lineage.yaml`'s `quality:` entry). A nil threshold turns its
/// check into a figure in `counts` only.
public struct QualityOptions: Sendable, Equatable {
    /// Largest tolerated share (0…1) of missing values in any column (`max-missing`).
    public var maxMissing: Double?
    /// Largest tolerated number of rows equal to an earlier row after normalisation (`max-duplicate-rows`).
    public var maxDuplicateRows: Int?
    /// Largest tolerated relative change of the row count against the previous version (`max-row-change`, 0.2 = 20 %).
    public var maxRowChange: Double?
    /// Population Stability Index of a numeric column against the previous version: warn at or above…
    public var psiWarn: Double
    /// …and fail at or above.
    public var psiFail: Double
    /// Bins for the PSI, cut at the previous version's quantiles.
    public var psiBins: Int
    /// Cell texts that count as missing (Table Schema's `missingValues`; default: the empty string).
    public var missingValues: [String]
    /// Columns checked; nil checks all.
    public var columns: [String]?
    /// Compare text case-insensitively when looking for duplicate rows.
    public var caseFold: Bool
    /// Values kept per numeric column for the PSI quantiles (a seeded reservoir sample beyond this).
    public var sampleLimit: Int
    public var format: TableFormat?

    public init(maxMissing: Double? = nil, maxDuplicateRows: Int? = nil, maxRowChange: Double? = nil, psiWarn: Double = 0.1,
                psiFail: Double = 0.25, psiBins: Int = 10, missingValues: [String] = [""], columns: [String]? = nil,
                caseFold: Bool = false, sampleLimit: Int = 1_000_000, format: TableFormat? = nil) {
        self.maxMissing = maxMissing; self.maxDuplicateRows = maxDuplicateRows; self.maxRowChange = maxRowChange
        self.psiWarn = psiWarn; self.psiFail = psiFail; self.psiBins = max(2, psiBins); self.missingValues = missingValues
        self.columns = columns; self.caseFold = caseFold; self.sampleLimit = max(100, sampleLimit); self.format = format
    }
}

/// Figures for one column of the current version.
public struct QualityColumnProfile: Sendable, Equatable, Codable {
    public var name: String
    public var missing: Int
    public var missingRatio: Double
    /// Every non-missing value is a decimal number.
    public var numeric: Bool
    /// PSI against the previous version (numeric in both, the column present in both), else nil.
    public var psi: Double?
}

/// What the quality validator measured on a file (and its previous version).
public struct QualityProfile: Sendable, Equatable, Codable {
    public var path: String
    public var rows: Int
    public var previousRows: Int?
    public var duplicateRows: Int
    /// First duplicate rows (header = row 1) and the earlier row each repeats.
    public var duplicateExamples: [DuplicateExample]
    public var columns: [QualityColumnProfile]

    public struct DuplicateExample: Sendable, Equatable, Codable { public var row: Int; public var firstRow: Int }

    /// Relative change of the row count, |rows − previous| / previous (infinity from an empty previous version).
    public var rowChange: Double? {
        guard let p = previousRows else { return nil }
        if p == 0 { return rows == 0 ? 0 : .infinity }
        return Double(abs(rows - p)) / Double(p)
    }
}

/// Data quality of one table file: missing values per column, duplicate rows, row-count change and
/// numeric drift (PSI) against the previous committed version. Blank lines are not rows; a row
/// whose width differs from the header's is an error (thrown, with its line).
public enum QualityValidator {
    public static let name = "quality"
    public static let version = "1"

    /// Measures `path` (and `previous`, read at the same time on a second thread).
    public static func profile(path: String, previous: String?, options: QualityOptions = QualityOptions()) throws -> QualityProfile {
        let paths = [path] + (previous.map { [$0] } ?? [])
        let stats = try runConcurrently(paths.count) { i in try TableStats.read(path: paths[i], options: options, current: i == 0) }
        let current = stats[0], prior = stats.count > 1 ? stats[1] : nil
        var columns: [QualityColumnProfile] = []
        for (i, name) in current.header.enumerated() where current.checked[i] {
            let nonHeader = current.rows
            var column = QualityColumnProfile(name: name, missing: current.missing[i],
                                              missingRatio: nonHeader == 0 ? 0 : Double(current.missing[i]) / Double(nonHeader),
                                              numeric: current.numeric[i] && current.samples[i].seen > 0, psi: nil)
            if column.numeric, let prior, let j = prior.header.firstIndex(of: name), prior.checked[j], prior.numeric[j], prior.samples[j].seen > 0 {
                column.psi = populationStabilityIndex(expected: prior.samples[j].values, actual: current.samples[i].values, bins: options.psiBins)
            }
            columns.append(column)
        }
        return QualityProfile(path: path, rows: current.rows, previousRows: prior?.rows, duplicateRows: current.duplicates.count,
                              duplicateExamples: current.duplicateExamples, columns: columns)
    }

    /// Checks `path` against the thresholds; `previous` is the file of the previous committed version (or nil).
    /// Throws `TableReadError` or `MissingColumnError`.
    public static func validate(path: String, previous: String?, options: QualityOptions = QualityOptions()) throws -> ValidationReport {
        let p = try profile(path: path, previous: previous, options: options)
        return report(p, options: options)
    }

    /// The report for a profile.
    public static func report(_ p: QualityProfile, options: QualityOptions) -> ValidationReport {
        var report = ValidationReport(validator: name, version: version)
        report.counts["rows"] = p.rows
        report.counts["duplicate-rows"] = p.duplicateRows
        if let prev = p.previousRows { report.counts["previous-rows"] = prev }
        for (i, c) in p.columns.enumerated() {
            report.counts["missing:\(c.name)"] = c.missing
            if let limit = options.maxMissing, c.missingRatio > limit {
                report.findings.append(ValidationFinding(
                    check: "missing-values", severity: .error,
                    message: "column \(c.name) of \(p.path) is \(percent(c.missingRatio)) missing (\(c.missing) of \(p.rows) rows), above max-missing \(percent(limit)); fill or drop the missing values, or raise max-missing",
                    file: p.path, column: c.name, fieldNumber: i + 1, count: c.missing))
            }
            if let psi = c.psi {
                report.counts["psi-milli:\(c.name)"] = Int((psi * 1000).rounded())
                if psi >= options.psiWarn {
                    let fail = psi >= options.psiFail
                    report.findings.append(ValidationFinding(
                        check: "drift-psi", severity: fail ? .error : .warning,
                        message: "column \(c.name) of \(p.path) drifted from the previous version: PSI \(String(format: "%.3f", psi)) (warn at \(options.psiWarn), fail at \(options.psiFail))\(fail ? "; check the data source, or raise the threshold if the change is intended" : "")",
                        file: p.path, column: c.name, fieldNumber: i + 1))
                }
            }
        }
        if p.duplicateRows > 0, let limit = options.maxDuplicateRows, p.duplicateRows > limit {
            report.findings.append(ValidationFinding(
                check: "duplicate-rows", severity: .error,
                message: "\(p.duplicateRows) row\(p.duplicateRows == 1 ? "" : "s") of \(p.path) repeat\(p.duplicateRows == 1 ? "s" : "") an earlier row (after normalisation), above max-duplicate-rows \(limit); remove the duplicates",
                file: p.path, rows: p.duplicateExamples.map(\.row), count: p.duplicateRows,
                examples: p.duplicateExamples.map { "row \($0.row) = row \($0.firstRow)" }))
        }
        if let change = p.rowChange, let prev = p.previousRows {
            report.counts["row-change-permille"] = change.isFinite ? Int((change * 1000).rounded()) : Int.max
            if let limit = options.maxRowChange, change > limit {
                let sign = p.rows >= prev ? "+" : "-"
                report.findings.append(ValidationFinding(
                    check: "row-count-change", severity: .error,
                    message: "\(p.path) has \(p.rows) rows, \(prev) in the previous version (\(change.isFinite ? sign + percent(change) : "from none")), above max-row-change \(percent(limit)); check for lost or duplicated data, or raise max-row-change",
                    file: p.path, count: abs(p.rows - prev)))
            }
        }
        return report
    }

    /// PSI = Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over `bins` bins cut at the quantiles of `expected` (equal cut
    /// points merged); empty bins count as 0.0001 of the values.
    public static func populationStabilityIndex(expected: [Double], actual: [Double], bins: Int = 10) -> Double {
        guard !expected.isEmpty, !actual.isEmpty else { return 0 }
        let sorted = expected.sorted()
        var edges: [Double] = []
        for k in 1..<bins {
            let q = sorted[min(sorted.count - 1, k * sorted.count / bins)]
            if edges.last.map({ q > $0 }) ?? true { edges.append(q) }
        }
        // Values above the top cut point land in the last bin (empty in `expected` when the top cut
        // point is its maximum, which is how a constant column that moves shows).
        func histogram(_ values: [Double]) -> [Double] {
            var counts = [Int](repeating: 0, count: edges.count + 1)
            for v in values {
                var lo = 0, hi = edges.count   // first edge >= v
                while lo < hi { let mid = (lo + hi) / 2; if edges[mid] < v { lo = mid + 1 } else { hi = mid } }
                counts[lo] += 1
            }
            return counts.map { max(Double($0) / Double(values.count), 0.0001) }
        }
        let e = histogram(expected), a = histogram(actual)
        return zip(a, e).reduce(0) { $0 + ($1.0 - $1.1) * log($1.0 / $1.1) }
    }

    private static func percent(_ x: Double) -> String {
        var text = String(format: "%.1f", x * 100)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text + "%"
    }
}

/// One pass over a table: rows, missing values, numeric samples and (for the current version) duplicates.
struct TableStats {
    struct Reservoir {
        var values: [Double] = []
        var seen = 0
        mutating func add(_ v: Double, limit: Int, rng: inout SplitMix64) {
            seen += 1
            if values.count < limit { values.append(v); return }
            let j = Int(rng.next() % UInt64(seen))
            if j < limit { values[j] = v }
        }
    }

    var header: [String] = []
    var checked: [Bool] = []
    var rows = 0
    var missing: [Int] = []
    var numeric: [Bool] = []
    var samples: [Reservoir] = []
    var duplicates = FindingAccumulator()
    var duplicateExamples: [QualityProfile.DuplicateExample] = []

    /// `current`: the version checked (named columns must exist; duplicates are looked for), else
    /// the previous version (named columns it lacks are skipped). CSV and TSV are memory-mapped and
    /// read with the leakage validator's record reader; JSON Lines with `TableReader`.
    static func read(path: String, options: QualityOptions, current: Bool, maxRecordBytes: Int = ReaderLimits.maxRecordBytes) throws -> TableStats {
        let format = options.format ?? TableFormat.guess(path: path) ?? .csv
        if format == .jsonl {
            let reader = try TableReader(path: path, format: .jsonl, maxRecordBytes: maxRecordBytes)
            var pass = try Pass(header: reader.header, path: path, options: options, current: current)
            while try reader.next() {
                try pass.add(reader, row: reader.row, blank: reader.fieldCount == 0) { TableReadError(path: path, line: reader.line, message: $0(reader.row)) }
            }
            return pass.stats
        }
        let split = try LeakageValidator.MappedSplit(name: path, path: path, delimiter: format == .tsv ? 0x09 : 0x2C, maxRecordBytes: maxRecordBytes)
        var pass = try Pass(header: split.header, path: path, options: options, current: current)
        guard let base = split.file.base else { return pass.stats }
        let record = MappedRecord(base: base, count: split.file.count, delimiter: split.delimiter, maxRecordBytes: split.maxRecordBytes)
        var pos = split.dataStart, row = 2
        while pos < split.file.count {
            let next = record.parse(at: pos)
            if record.tooLong { throw TableReadError.recordTooLong(path: path, line: split.line(at: pos), limit: split.maxRecordBytes) }
            if record.unclosedQuote { throw split.error(at: pos) { _ in "a quoted field is never closed (missing \")" } }
            if let bad = firstInvalidUTF8(base, pos, next) {
                throw TableReadError(path: path, line: split.line(at: bad), message: "invalid UTF-8; re-encode the file as UTF-8 (for example with iconv)")
            }
            let start = pos
            try pass.add(record, row: row, blank: record.isBlank) { split.error(at: start, $0) }
            row += 1
            pos = next
        }
        return pass.stats
    }

    /// One pass's state.
    struct Pass {
        var stats = TableStats()
        let width: Int
        let checkedColumns: [Int]
        let all: [Int]
        let missingValues: [[UInt8]]
        let onlyEmptyIsMissing: Bool
        let limit: Int
        let checkDuplicates: Bool
        var rng = SplitMix64(seed: 0x51_7CC1_B727_220A)
        let printer: RowFingerprinter
        var table: Fingerprint128Table

        init(header: [String], path: String, options: QualityOptions, current: Bool) throws {
            stats.header = header
            width = header.count
            if let names = options.columns {
                let idx = Set(try requireColumns(current ? names : names.filter(header.contains), in: header, path: path))
                stats.checked = (0..<width).map { idx.contains($0) }
            } else {
                stats.checked = Array(repeating: true, count: width)
            }
            stats.missing = Array(repeating: 0, count: width)
            stats.numeric = Array(repeating: true, count: width)
            stats.samples = Array(repeating: Reservoir(), count: width)
            missingValues = options.missingValues.map { Array($0.utf8) }
            onlyEmptyIsMissing = missingValues == [[]]
            limit = options.sampleLimit
            checkDuplicates = current
            printer = RowFingerprinter(normalizer: ValueNormalizer(caseFold: options.caseFold))
            table = Fingerprint128Table(expected: current ? 1 << 16 : 0)
            all = Array(0..<width)
            checkedColumns = all.filter { [checked = stats.checked] in checked[$0] }
        }

        /// Adds a record (row `row`, header = 1) unless blank; `fail` locates an error at it.
        mutating func add<R: FieldRecord>(_ r: R, row: Int, blank: Bool, fail: ((Int) -> String) -> Error) throws {
            if blank { return }   // an empty line is not a row
            let n = r.fieldCount
            if n != width {
                if n == 0 { return }
                let width = self.width
                throw fail { "row \($0) has \(n) field\(n == 1 ? "" : "s") but the header has \(width); fix the row (a missing or extra delimiter, or an unclosed quote above it)" }
            }
            stats.rows += 1
            for c in checkedColumns {
                r.withField(c) { f in
                    let isMissing = onlyEmptyIsMissing ? f.isEmpty : missingValues.contains { $0.elementsEqual(f) }
                    if isMissing { stats.missing[c] += 1; return }
                    guard stats.numeric[c] else { return }
                    if let v = parseDecimal(f) {
                        stats.samples[c].add(v, limit: limit, rng: &rng)
                    } else {
                        stats.numeric[c] = false
                        stats.samples[c] = Reservoir()
                    }
                }
            }
            if checkDuplicates {
                let fp = printer.fingerprint(r, columns: all)
                let (slot, inserted) = table.insert(fp, value: UInt32(truncatingIfNeeded: row))
                if !inserted {
                    if stats.duplicates.rows.count < ValidationFinding.exampleLimit {
                        stats.duplicateExamples.append(.init(row: row, firstRow: Int(table.value(at: slot))))
                    }
                    stats.duplicates.add(row: row)
                }
            }
        }
    }
}

/// A decimal number (optional sign, digits with at most one point, optional exponent; surrounding
/// spaces allowed) as a Double; nil for anything else (including `inf`, `nan`, hex).
func parseDecimal(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
    guard let p = f.baseAddress else { return nil }
    var lo = 0, hi = f.count
    while lo < hi, p[lo] == 0x20 || p[lo] == 0x09 { lo += 1 }
    while hi > lo, p[hi - 1] == 0x20 || p[hi - 1] == 0x09 || p[hi - 1] == 0x0D { hi -= 1 }
    guard lo < hi else { return nil }
    var i = lo
    var negative = false
    if p[i] == 0x2B || p[i] == 0x2D { negative = p[i] == 0x2D; i += 1 }
    var mantissa: UInt64 = 0, significant = 0, scale = 0, digits = 0
    var point = false
    while i < hi {
        let c = p[i]
        if c &- 0x30 < 10 {
            digits += 1
            if significant < 19 {
                if mantissa != 0 || c != 0x30 { significant += 1 }
                mantissa = mantissa * 10 + UInt64(c &- 0x30)
                if point { scale -= 1 }
            } else if !point {
                scale += 1
            }
        } else if c == 0x2E, !point {
            point = true
        } else {
            break
        }
        i += 1
    }
    guard digits > 0 else { return nil }
    var exponent = 0
    if i < hi {
        guard p[i] == 0x65 || p[i] == 0x45 else { return nil }
        i += 1
        var expNegative = false
        if i < hi, p[i] == 0x2B || p[i] == 0x2D { expNegative = p[i] == 0x2D; i += 1 }
        guard i < hi else { return nil }
        while i < hi {
            guard p[i] &- 0x30 < 10 else { return nil }
            if exponent < 100_000 { exponent = exponent * 10 + Int(p[i] &- 0x30) }
            i += 1
        }
        if expNegative { exponent = -exponent }
    }
    let e = scale + exponent
    var v = Double(mantissa)
    if significant > 15 || e < -22 || e > 22 {
        // Beyond what one multiply keeps exact: let the standard library round it.
        guard let d = Double(String(decoding: UnsafeBufferPointer(start: p + lo, count: hi - lo), as: UTF8.self)) else { return nil }
        return d
    }
    if e < 0 { v /= pow10[-e] } else if e > 0 { v *= pow10[e] }
    return negative ? -v : v
}

private let pow10: [Double] = (0...22).map { pow(10.0, Double($0)) }
