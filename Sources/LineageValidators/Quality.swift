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
    /// Population Stability Index of a numeric column against the previous version (`psi-warn`): warn
    /// at or above, when the PSI is also beyond sampling noise (see `QualityValidator.measureDrift`).
    public var psiWarn: Double
    /// Fail at or above (`psi-fail`), when the PSI is also beyond sampling noise; a PSI at or above it
    /// but within the noise of two samples of these sizes only warns, saying so.
    public var psiFail: Double
    /// Most bins for the PSI (`psi-bins`), cut at the previous version's quantiles; fewer when the
    /// smaller sample has under 20 values per bin.
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
    /// How the tables are written (dialect, encoding); RFC 4180 UTF-8 by default.
    public var layout: TableLayout = TableLayout()

    /// Defaults of `psi-warn`, `psi-fail` and `psi-bins`. With 10 decile bins the PSI of a normal
    /// column whose mean moves by d standard deviations is about d² (0.3 sd → 0.09, 0.4 → 0.15,
    /// 0.5 → 0.24): the conventional 0.25 let a half-sd shift through, so fail at 0.15 (≈ 0.4 sd)
    /// and warn at 0.1 (≈ 0.33 sd).
    public static let defaultPSIWarn = 0.1, defaultPSIFail = 0.15, defaultPSIBins = 10

    public init(maxMissing: Double? = nil, maxDuplicateRows: Int? = nil, maxRowChange: Double? = nil, psiWarn: Double = defaultPSIWarn,
                psiFail: Double = defaultPSIFail, psiBins: Int = defaultPSIBins, missingValues: [String] = [""], columns: [String]? = nil,
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
    /// The PSI with its bins, sample sizes and sampling-noise limit (nil when `psi` is).
    public var drift: DriftMeasure?
}

/// A PSI and what chance alone reaches at its sample sizes.
public struct DriftMeasure: Sendable, Equatable, Codable {
    public var psi: Double
    /// Bins used: the bins asked for, cut at the previous version's quantiles, equal cut points merged
    /// (counting those that hold values of the previous version).
    public var bins: Int
    /// Values compared from the previous and the current version (a reservoir sample beyond `sampleLimit`).
    public var previousValues: Int
    public var currentValues: Int
    /// The PSI that two samples of these sizes drawn from one and the same distribution exceed
    /// about once in 10,000 comparisons: (1/n₁ + 1/n₂) · χ²₀.₉₉₉₉(bins − 1).
    public var noiseLimit: Double

    /// The PSI is larger than sampling noise explains.
    public var beyondNoise: Bool { psi > noiseLimit }
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
    /// 2: PSI with half-count smoothing, bins by sample size and the sampling-noise limit.
    public static let version = "2"

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
                let d = measureDrift(expected: prior.samples[j].values, actual: current.samples[i].values, maxBins: options.psiBins)
                column.psi = d.psi
                column.drift = d
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
            if let d = c.drift {
                report.counts["psi-milli:\(c.name)"] = Int((d.psi * 1000).rounded())
                report.counts["psi-noise-milli:\(c.name)"] = Int((d.noiseLimit * 1000).rounded())
                report.counts["psi-bins:\(c.name)"] = d.bins
                if let finding = driftFinding(d, column: c.name, fieldNumber: i + 1, path: p.path, options: options) {
                    report.findings.append(finding)
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

    /// The drift finding for a column's PSI, if any. Error: PSI ≥ `psi-fail` and beyond sampling
    /// noise. Warning: PSI ≥ `psi-warn` and beyond noise; or PSI ≥ `psi-fail` but within the noise of
    /// samples this small (reported, not failing, saying why). A PSI within noise and below
    /// `psi-fail` is only a count.
    static func driftFinding(_ d: DriftMeasure, column: String, fieldNumber: Int, path: String, options: QualityOptions) -> ValidationFinding? {
        let psi = String(format: "%.3f", d.psi), noise = String(format: "%.3f", d.noiseLimit)
        let sizes = "\(d.previousValues) previous and \(d.currentValues) current values in \(d.bins) bins"
        let settings = "psi-fail \(number(options.psiFail)), psi-warn \(number(options.psiWarn)), psi-bins \(options.psiBins)"
        let message: String, severity: ValidationFinding.Severity
        if d.beyondNoise, d.psi >= options.psiFail {
            severity = .error
            message = "column \(column) of \(path) drifted from the previous version: PSI \(psi), at or above psi-fail \(number(options.psiFail)) and beyond the \(noise) that chance reaches with \(sizes) (\(settings)); check the data source, or raise psi-fail if the change is intended"
        } else if d.beyondNoise, d.psi >= options.psiWarn {
            severity = .warning
            message = "column \(column) of \(path) drifted from the previous version: PSI \(psi), at or above psi-warn \(number(options.psiWarn)) and beyond the \(noise) that chance reaches with \(sizes), below psi-fail \(number(options.psiFail)) (\(settings))"
        } else if d.psi >= options.psiFail {
            severity = .warning
            message = "column \(column) of \(path): PSI \(psi) is at or above psi-fail \(number(options.psiFail)), but two samples of one distribution reach \(noise) by chance with \(sizes) (\(settings)); not failing: too few rows to tell drift from sampling noise"
        } else {
            return nil
        }
        return ValidationFinding(check: "drift-psi", severity: severity, message: message, file: path, column: column, fieldNumber: fieldNumber)
    }

    /// Values per bin of the smaller sample below which `measureDrift` uses fewer bins.
    public static let valuesPerBin = 20
    /// The standard normal quantile of the noise limit's confidence, 1 − 10⁻⁴.
    static let noiseZ = 3.719_016_485_455_709

    /// The PSI of `actual` against `expected` and what sampling noise alone reaches at these sizes.
    ///
    /// Between two independent samples of sizes n₁ and n₂ of one distribution, over b bins, the PSI
    /// is (for large counts) (1/n₁ + 1/n₂) · χ²(b − 1) distributed: its mean (b − 1)(1/n₁ + 1/n₂) is
    /// 0.18 for two 100-row samples in 10 bins, so a fixed threshold fails small tables by chance
    /// alone. Hence:
    /// - bins: `maxBins`, but no more than one per `valuesPerBin` values of the smaller sample (at
    ///   least 2), so each bin is well filled;
    /// - counts are smoothed by half a value per bin (no infinite logarithm from an empty bin);
    /// - `noiseLimit` is (1/n₁ + 1/n₂) times the 99.99 % quantile of χ²(b − 1) (Wilson–Hilferty), for
    ///   the bins actually used. A PSI above it is drift that chance explains about once in 10,000.
    /// Large samples make the limit negligible (0.0007 at 100,000 rows), so there the thresholds
    /// alone decide; small ones raise it (0.48 at 100 rows), so only a large drift fails.
    public static func measureDrift(expected: [Double], actual: [Double], maxBins: Int = QualityOptions.defaultPSIBins) -> DriftMeasure {
        let smaller = min(expected.count, actual.count)
        let wanted = min(max(2, maxBins), max(2, smaller / valuesPerBin))
        let (psi, bins) = stabilityIndex(expected: expected, actual: actual, bins: wanted)
        let noise = expected.isEmpty || actual.isEmpty ? 0
            : (1 / Double(expected.count) + 1 / Double(actual.count)) * chiSquareQuantile(degrees: max(1, bins - 1), z: noiseZ)
        return DriftMeasure(psi: psi, bins: bins, previousValues: expected.count, currentValues: actual.count, noiseLimit: noise)
    }

    /// The quantile of χ²(k) at the standard normal quantile `z` (Wilson–Hilferty). At z = 3.72 it
    /// is above the exact quantile by 7 % for k = 1, 2.7 % for k = 4, 1.3 % for k = 9: a little
    /// conservative.
    static func chiSquareQuantile(degrees k: Int, z: Double) -> Double {
        let k = Double(k), c = 2 / (9 * k)
        let t = 1 - c + z * c.squareRoot()
        return k * t * t * t
    }

    /// PSI = Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over `bins` bins cut at the quantiles of `expected` (equal cut
    /// points merged), with the shares smoothed by half a value per bin: xᵢ = (countᵢ + ½) / (n + b/2).
    public static func populationStabilityIndex(expected: [Double], actual: [Double], bins: Int = 10) -> Double {
        stabilityIndex(expected: expected, actual: actual, bins: bins).psi
    }

    /// The PSI and the number of bins used: those holding values of `expected` (the bin above the
    /// top cut point is empty when that cut point is `expected`'s maximum, and adds no freedom).
    static func stabilityIndex(expected: [Double], actual: [Double], bins: Int) -> (psi: Double, bins: Int) {
        guard !expected.isEmpty, !actual.isEmpty else { return (0, 0) }
        let bins = max(2, bins)
        let sorted = expected.sorted()
        var edges: [Double] = []
        for k in 1..<bins {
            let q = sorted[min(sorted.count - 1, k * sorted.count / bins)]
            if edges.last.map({ q > $0 }) ?? true { edges.append(q) }
        }
        // Values above the top cut point land in the last bin (empty in `expected` when the top cut
        // point is its maximum, which is how a constant column that moves shows).
        func counts(_ values: [Double]) -> [Int] {
            var counts = [Int](repeating: 0, count: edges.count + 1)
            for v in values {
                var lo = 0, hi = edges.count   // first edge >= v
                while lo < hi { let mid = (lo + hi) / 2; if edges[mid] < v { lo = mid + 1 } else { hi = mid } }
                counts[lo] += 1
            }
            return counts
        }
        func shares(_ counts: [Int], _ n: Int) -> [Double] {
            let total = Double(n) + 0.5 * Double(counts.count)
            return counts.map { (Double($0) + 0.5) / total }
        }
        let ce = counts(expected)
        let e = shares(ce, expected.count), a = shares(counts(actual), actual.count)
        return (zip(a, e).reduce(0) { $0 + ($1.0 - $1.1) * log($1.0 / $1.1) }, ce.filter { $0 > 0 }.count)
    }

    /// A threshold as written in lineage.yaml: 0.15, 1, 0.125.
    private static func number(_ x: Double) -> String {
        var text = String(format: "%.4f", x)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
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
        if format == .jsonl || !options.layout.isPlain(path: path, format: format) {
            // JSON Lines, and tables not read in place (compressed, another encoding or dialect): the shared streaming reader.
            let reader = try TableReader(path: path, format: format, layout: options.layout, maxRecordBytes: maxRecordBytes)
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
            if let message = record.malformed { throw split.error(at: pos) { _ in message } }
            if let bad = UTF8Check.firstInvalid(base, pos, next) {
                throw TableReadError(path: path, line: split.line(at: bad), message: TableReadError.invalidUTF8)
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
