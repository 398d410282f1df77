import Crypto
import Foundation

/// What the leakage validator checks and how much it tolerates (`lineage.yaml`'s `leakage:` entry).
public struct LeakageOptions: Sendable, Equatable {
    /// Key columns naming an entity (e.g. `patient_id`): the same key in two splits is `key-overlap`.
    public var key: [String]?
    /// Columns compared for `row-overlap`; nil compares every column of the first split's header.
    public var columns: [String]?
    /// The label column: checked for `target-leakage` in `targetSplit`.
    public var label: String?
    /// A time column (ISO 8601 dates/date-times, or plain numbers): rows of a later split must be
    /// strictly after every row of an earlier one (`temporal-order`).
    public var time: String?
    /// Compare text case-insensitively.
    public var caseFold: Bool
    /// The most overlap tolerated by every check (`max-overlap`); more is an error, less a warning.
    public var maxOverlap: Int
    /// Per-check thresholds overriding `maxOverlap`, keyed by check name (`row-overlap`, `key-overlap`,
    /// `temporal-order`, `target-leakage`, `file-overlap`).
    public var thresholds: [String: Int]
    /// Whether to run the exact row-overlap check (on by default).
    public var rowOverlap: Bool
    /// The split checked for target leakage; nil means the first declared split (the training split).
    public var targetSplit: String?
    /// A column that maps one-to-one onto the label is leakage once it has at least this many values.
    public var minOneToOneValues: Int
    /// The format of every split; nil guesses from each file's extension.
    public var format: TableFormat?
    /// How every split is written (dialect, encoding); RFC 4180 UTF-8 by default.
    public var layout: TableLayout = TableLayout()
    /// Bytes per piece when reading CSV/TSV splits in parallel (small in tests, to exercise the cuts).
    var pieceBytes = 16 << 20

    public init(key: [String]? = nil, columns: [String]? = nil, label: String? = nil, time: String? = nil,
                caseFold: Bool = false, maxOverlap: Int = 0, thresholds: [String: Int] = [:], rowOverlap: Bool = true,
                targetSplit: String? = nil, minOneToOneValues: Int = 20, format: TableFormat? = nil) {
        self.key = key; self.columns = columns; self.label = label; self.time = time; self.caseFold = caseFold
        self.maxOverlap = maxOverlap; self.thresholds = thresholds; self.rowOverlap = rowOverlap
        self.targetSplit = targetSplit; self.minOneToOneValues = minOneToOneValues; self.format = format
    }

    public func threshold(_ check: String) -> Int { thresholds[check] ?? maxOverlap }

    /// The lineage.yaml option that governs a check's threshold, with the value in force — for the
    /// finding's message (`max-temporal 0`, or `max-overlap 0` when the check's own option is unset).
    public func governing(_ check: String) -> String {
        let own = LeakageOptions.checkOptions[check]
        if thresholds[check] != nil, let own { return "\(own) \(threshold(check))" }
        return "max-overlap \(maxOverlap)" + (own.map { "; \($0) sets this check alone" } ?? "")
    }

    /// Each check's own threshold option in lineage.yaml (file and row overlap have only `max-overlap`).
    public static let checkOptions = ["key-overlap": "max-key-overlap", "temporal-order": "max-temporal", "target-leakage": "max-target"]
}

/// Options that cannot work together or splits that cannot be compared.
public struct LeakageError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One split of a directory dataset: its files with their SHA-256 digests (hex, as `sha256sum` prints).
public struct FileSplit: Sendable, Equatable {
    public var name: String
    /// The directory, as the user wrote it (reported as the finding's file).
    public var path: String
    public var files: [(path: String, sha256: String)]
    public init(name: String, path: String, files: [(path: String, sha256: String)]) {
        self.name = name; self.path = path; self.files = files
    }
    public static func == (a: FileSplit, b: FileSplit) -> Bool {
        a.name == b.name && a.path == b.path && a.files.elementsEqual(b.files, by: { $0.path == $1.path && $0.sha256 == $1.sha256 })
    }
}

/// Leakage between the declared splits of a dataset (train/validation/test …), in declaration order:
///
/// - `row-overlap`: rows of a later split equal, after normalisation (`ValueNormalizer`), to a row of
///   an earlier one, over all columns or `columns`;
/// - `key-overlap`: rows of a later split whose `key` also occurs in an earlier one (empty keys never match);
/// - `temporal-order`: rows of a later split whose `time` is not strictly after every time in an earlier one;
/// - `target-leakage`: in the training split, a column equal to the label in every row, or mapping one-to-one
///   onto it over at least `minOneToOneValues` values (a column and a label that are both unique in every
///   row are not flagged: every identifier would be);
/// - `file-overlap`: for directories, files with the same content digest in two splits.
///
/// Each check reports a count, the first examples as row numbers in both files (never values), and
/// is an error above its threshold. Rows are fingerprinted (128 bits) while reading, each split on
/// its own thread; memory is about 16 bytes per row per check plus a table for the smaller split.
public enum LeakageValidator {
    public static let name = "leakage"
    public static let version = "1"

    /// Checks table splits (CSV, TSV or JSON Lines). When every split is a directory, compares
    /// their files by digest instead (`fileDigests(directory:)`).
    /// Throws `MissingColumnError`, `TableReadError` (unreadable file, ragged row, bad time value,
    /// naming file and line) or `LeakageError`.
    public static func validate(splits: [(name: String, path: String)], options: LeakageOptions = LeakageOptions()) throws -> ValidationReport {
        try checkSplitNames(splits.map(\.name))
        var isDirectory = [Bool]()
        for split in splits {
            var dir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: split.path, isDirectory: &dir) else {
                throw TableReadError(path: split.path, line: 0, message: "split \"\(split.name)\" does not exist")
            }
            isDirectory.append(dir.boolValue)
        }
        if isDirectory.allSatisfy({ $0 }) {
            return try validateFiles(splits: splits.map { FileSplit(name: $0.name, path: $0.path, files: try fileDigests(directory: $0.path)) }, options: options)
        }
        if let i = isDirectory.firstIndex(of: true) {
            throw LeakageError("split \"\(splits[i].name)\" (\(splits[i].path)) is a directory but other splits are files; declare all splits as files or all as directories")
        }
        return try validateTables(splits: splits, options: options)
    }

    /// Compares directory splits by content digest: a later split's file with the digest of an earlier
    /// split's file is `file-overlap`. The digests usually come from the store.
    public static func validateFiles(splits: [FileSplit], options: LeakageOptions = LeakageOptions()) throws -> ValidationReport {
        try checkSplitNames(splits.map(\.name))
        var report = ValidationReport(validator: name, version: version)
        for s in splits { report.counts["files:\(s.name)"] = s.files.count }
        for a in 0..<splits.count {
            var byDigest: [String: String] = [:]
            for f in splits[a].files where byDigest[f.sha256.lowercased()] == nil { byDigest[f.sha256.lowercased()] = f.path }
            for b in (a + 1)..<max(splits.count, a + 1) {
                let (ea, eb) = (splits[a], splits[b])
                var count = 0
                var examples: [String] = []
                for f in eb.files {
                    guard let match = byDigest[f.sha256.lowercased()] else { continue }
                    count += 1
                    if examples.count < ValidationFinding.exampleLimit { examples.append("\(eb.name) \(f.path) = \(ea.name) \(match)") }
                }
                let pair = "\(ea.name)/\(eb.name)"
                report.counts["file-overlap:\(pair)"] = count
                if count > 0 {
                    let limit = options.threshold("file-overlap")
                    report.findings.append(ValidationFinding(
                        check: "file-overlap", severity: count > limit ? .error : .warning,
                        message: "\(count) file\(count == 1 ? "" : "s") of \(eb.name) (\(eb.path)) \(count == 1 ? "has" : "have") the same content as a file of \(ea.name) (\(ea.path)) (\(options.governing("file-overlap"))); remove the copies from one split",
                        file: eb.path, count: count, examples: examples))
                }
            }
        }
        return report
    }

    /// Every regular file under `directory` (recursively, hidden files included, symbolic links not
    /// followed) with its SHA-256 in hex, paths relative to `directory`, sorted. Hashes with swift-crypto.
    public static func fileDigests(directory: String) throws -> [(path: String, sha256: String)] {
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: []) else {
            throw LeakageError("\(directory): cannot list the directory")
        }
        var out: [(path: String, sha256: String)] = []
        let prefix = root.standardizedFileURL.path.hasSuffix("/") ? root.standardizedFileURL.path : root.standardizedFileURL.path + "/"
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let full = url.standardizedFileURL.path
            let rel = full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : url.lastPathComponent
            out.append((rel, try sha256Hex(path: full)))
        }
        return out.sorted { $0.path < $1.path }
    }

    /// SHA-256 of a file's bytes in hex (what `sha256sum` prints).
    public static func sha256Hex(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TableReadError(path: path, line: 0, message: "cannot open for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func checkSplitNames(_ names: [String]) throws {
        guard names.count >= 2 else { throw LeakageError("leakage needs at least two splits (e.g. train and test); \(names.count) declared") }
        var seen = Set<String>()
        for n in names where !seen.insert(n).inserted { throw LeakageError("split \"\(n)\" is declared twice") }
    }

    // MARK: - Tables

    static func validateTables(splits: [(name: String, path: String)], options: LeakageOptions) throws -> ValidationReport {
        let targetIndex: Int?
        if options.label != nil {
            if let t = options.targetSplit {
                guard let i = splits.firstIndex(where: { $0.name == t }) else {
                    throw LeakageError("target-split \"\(t)\" is not one of the declared splits (\(splits.map(\.name).joined(separator: ", ")))")
                }
                targetIndex = i
            } else {
                targetIndex = 0
            }
        } else {
            targetIndex = nil
        }
        // The compared columns: named, or the first split's header (every split must have them).
        let columns: [String]
        if let c = options.columns {
            guard !c.isEmpty else { throw LeakageError("columns is empty; name at least one column or leave it out to compare all") }
            columns = c
        } else {
            let first = try TableReader(path: splits[0].path, format: options.format, layout: options.layout)
            columns = first.header
        }
        let scans = try readSplits(splits, plan: ScanPlan(columns: columns, options: options), targetIndex: targetIndex)

        var report = ValidationReport(validator: name, version: version)
        for s in scans { report.counts["rows:\(s.name)"] = s.rowNumbers.count }
        if Set(scans.compactMap(\.timeKind)).count > 1 {
            let detail = scans.filter { $0.timeKind != nil }.map { "\($0.name): \($0.timeKind! == .instant ? "dates" : "numbers")" }
            throw LeakageError("time column \"\(options.time ?? "")\" holds dates in one split and plain numbers in another (\(detail.joined(separator: ", "))); use one kind")
        }

        // Every pair's row and key overlaps, computed in parallel.
        var tasks: [(a: Int, b: Int, key: Bool)] = []
        for a in 0..<scans.count {
            for b in (a + 1)..<max(scans.count, a + 1) {
                if options.rowOverlap { tasks.append((a, b, false)) }
                if options.key != nil { tasks.append((a, b, true)) }
            }
        }
        let frozenTasks = tasks, frozenScans = scans
        let results = try runConcurrently(tasks.count) { i -> Overlap in
            let t = frozenTasks[i], ea = frozenScans[t.a], eb = frozenScans[t.b]
            return t.key ? overlap(earlier: ea.keyFP, earlierRows: ea.rowNumbers, later: eb.keyFP, laterRows: eb.rowNumbers)
                : overlap(earlier: ea.rowFP, earlierRows: ea.rowNumbers, later: eb.rowFP, laterRows: eb.rowNumbers)
        }
        func overlapResult(_ a: Int, _ b: Int, key: Bool) -> Overlap {
            results[tasks.firstIndex { $0.a == a && $0.b == b && $0.key == key }!]
        }

        for a in 0..<scans.count {
            for b in (a + 1)..<max(scans.count, a + 1) {
                let (ea, eb) = (scans[a], scans[b])
                let pair = "\(ea.name)/\(eb.name)"
                if options.rowOverlap {
                    let o = overlapResult(a, b, key: false)
                    report.counts["row-overlap:\(pair)"] = o.count
                    if o.count > 0 {
                        let limit = options.threshold("row-overlap")
                        let over = options.columns.map { "columns \($0.joined(separator: ", "))" } ?? "all columns"
                        report.findings.append(ValidationFinding(
                            check: "row-overlap", severity: o.count > limit ? .error : .warning,
                            message: "\(o.count) row\(o.count == 1 ? "" : "s") of \(eb.name) (\(eb.path)) also occur\(o.count == 1 ? "s" : "") in \(ea.name) (\(ea.path)) (\(over), after normalisation; \(options.governing("row-overlap"))); remove them from one split",
                            file: eb.path, rows: o.examples.map(\.later), count: o.count,
                            examples: o.examples.map { "\(eb.name) row \($0.later) = \(ea.name) row \($0.earlier)" }))
                    }
                }
                if let key = options.key {
                    let o = overlapResult(a, b, key: true)
                    report.counts["key-overlap:\(pair)"] = o.count
                    report.counts["key-overlap-keys:\(pair)"] = o.distinct
                    if o.count > 0 {
                        let limit = options.threshold("key-overlap")
                        report.findings.append(ValidationFinding(
                            check: "key-overlap", severity: o.count > limit ? .error : .warning,
                            message: "\(o.count) row\(o.count == 1 ? "" : "s") of \(eb.name) (\(eb.path)) share\(o.count == 1 ? "s" : "") a \(key.joined(separator: "+")) with \(ea.name) (\(ea.path)) (\(o.distinct) distinct key\(o.distinct == 1 ? "" : "s"); \(options.governing("key-overlap"))); keep each entity in one split",
                            file: eb.path, column: key.joined(separator: ","), rows: o.examples.map(\.later), count: o.count,
                            examples: o.examples.map { "\(eb.name) row \($0.later) ~ \(ea.name) row \($0.earlier)" }))
                    }
                }
                if let time = options.time, let latest = ea.latestTime {
                    var acc = FindingAccumulator()
                    let maxT = latest.value
                    eb.times.withUnsafeBufferPointer { t in
                        for j in 0..<t.count where t[j] <= maxT {   // NaN (missing) compares false
                            acc.add(row: Int(eb.rowNumbers[j]))
                        }
                    }
                    report.counts["temporal-order:\(pair)"] = acc.count
                    if acc.count > 0 {
                        let limit = options.threshold("temporal-order")
                        report.findings.append(ValidationFinding(
                            check: "temporal-order", severity: acc.count > limit ? .error : .warning,
                            message: "\(acc.count) row\(acc.count == 1 ? "" : "s") of \(eb.name) (\(eb.path)) \(acc.count == 1 ? "is" : "are") not after the latest \(time) of \(ea.name) (\(ea.path), row \(latest.row)) (\(options.governing("temporal-order"))); split by time",
                            file: eb.path, column: time, rows: acc.rows, count: acc.count,
                            examples: acc.rows.map { "\(eb.name) row \($0) <= \(ea.name) row \(latest.row)" }))
                    }
                }
            }
        }
        for s in scans where options.time != nil && s.missingTimes > 0 {
            report.counts["time-missing:\(s.name)"] = s.missingTimes
        }

        if let t = targetIndex, let target = scans[t].target, let label = options.label {
            let split = scans[t]
            let leaks = target.leakingColumns(minValues: options.minOneToOneValues)
            report.counts["target-leakage:\(split.name)"] = leaks.count
            let limit = options.threshold("target-leakage")
            for leak in leaks {
                let what = leak.identical
                    ? "is identical to the label \(label) in all \(target.rows) labelled rows"
                    : "determines the label \(label) one-to-one (\(leak.values) distinct values over \(target.rows) labelled rows)"
                report.findings.append(ValidationFinding(
                    check: "target-leakage", severity: leaks.count > limit ? .error : .warning,
                    message: "column \(leak.column) of \(split.name) (\(split.path)) \(what) (\(options.governing("target-leakage"))); drop it from the features",
                    file: split.path, column: leak.column, fieldNumber: leak.fieldNumber, count: 1))
            }
        }
        return report
    }

    /// The columns each check needs, resolved per file.
    struct ScanPlan: Sendable {
        var columns: [String]
        var options: LeakageOptions
        init(columns: [String], options: LeakageOptions) { self.columns = columns; self.options = options }
    }

    struct Overlap { var count = 0; var distinct = 0; var examples: [(earlier: Int, later: Int)] = [] }

    /// Rows of `later` whose fingerprint occurs in `earlier` (`.none` never matches), with the first
    /// examples in `later`'s order. The table is built on the smaller side.
    static func overlap(earlier: [Fingerprint128], earlierRows: [UInt32], later: [Fingerprint128], laterRows: [UInt32]) -> Overlap {
        var result = Overlap()
        let limit = ValidationFinding.exampleLimit
        if earlier.count <= later.count {
            let index = FingerprintIndex(earlier)
            var seen = [Bool](repeating: false, count: index.capacity)
            for (j, fp) in later.enumerated() where !fp.isNone {
                guard let slot = index.find(fp, in: earlier) else { continue }
                result.count += 1
                if !seen[slot] { seen[slot] = true; result.distinct += 1 }
                if result.examples.count < limit {
                    result.examples.append((Int(earlierRows[Int(index.row(at: slot))]), Int(laterRows[j])))
                }
            }
        } else {
            let index = FingerprintIndex(later)
            var firstEarlier = [UInt32](repeating: .max, count: index.capacity)
            for (i, fp) in earlier.enumerated() where !fp.isNone {
                guard let slot = index.find(fp, in: later), firstEarlier[slot] == .max else { continue }
                firstEarlier[slot] = UInt32(i)
                result.distinct += 1
            }
            if result.distinct == 0 { return result }
            for j in later.indices {
                let slot = index.slotOf[j]
                guard slot != .max, firstEarlier[Int(slot)] != .max else { continue }
                result.count += 1
                if result.examples.count < limit {
                    result.examples.append((Int(earlierRows[Int(firstEarlier[Int(slot)])]), Int(laterRows[j])))
                }
            }
        }
        return result
    }
}

/// A read-only hash index over an array of fingerprints: open addressing with 8-byte keys (the
/// fingerprint's high half) and 4-byte positions in separate arrays, so the probed memory is a
/// third of a table of whole fingerprints; a key match is confirmed against the source array.
struct FingerprintIndex {
    private var keys: [UInt64]
    private var rows: [UInt32]
    /// The slot of each source element (of its first occurrence); `.max` for `.none`.
    private(set) var slotOf: [UInt32]
    private let mask: Int

    init(_ source: [Fingerprint128]) {
        var capacity = 16
        while capacity < source.count * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: 0, count: capacity)
        rows = [UInt32](repeating: 0, count: capacity)
        slotOf = [UInt32](repeating: .max, count: source.count)
        let m = capacity - 1
        mask = m
        keys.withUnsafeMutableBufferPointer { keys in
            rows.withUnsafeMutableBufferPointer { rows in
                slotOf.withUnsafeMutableBufferPointer { slotOf in
                    source.withUnsafeBufferPointer { src in
                        for (n, fp) in src.enumerated() where !fp.isNone {
                            let key = fp.hi == 0 ? 1 : fp.hi
                            var i = Int(truncatingIfNeeded: fp.hi) & m
                            while true {
                                let k = keys[i]
                                if k == 0 { keys[i] = key; rows[i] = UInt32(n); break }
                                if k == key, src[Int(rows[i])].lo == fp.lo, src[Int(rows[i])].hi == fp.hi { break }
                                i = (i + 1) & m
                            }
                            slotOf[n] = UInt32(i)
                        }
                    }
                }
            }
        }
    }

    var capacity: Int { keys.count }

    /// The slot of `fp` when `source` (the array the index was built on) holds it.
    @inline(__always)
    func find(_ fp: Fingerprint128, in source: [Fingerprint128]) -> Int? {
        let key = fp.hi == 0 ? 1 : fp.hi
        let m = mask
        return keys.withUnsafeBufferPointer { keys in
            var i = Int(truncatingIfNeeded: fp.hi) & m
            while true {
                let k = keys[i]
                if k == 0 { return nil }
                if k == key {
                    let r = Int(rows[i])
                    if source[r].lo == fp.lo && source[r].hi == fp.hi { return i }
                }
                i = (i + 1) & m
            }
        }
    }

    /// The source position stored in `slot`.
    @inline(__always) func row(at slot: Int) -> UInt32 { rows[slot] }
}

// MARK: - Target leakage

/// Per feature column of the training split: how often it equals the label, and whether it maps
/// one-to-one onto it (each label value seen with one feature value, and no feature value shared by
/// two labels). Rows with an empty label are left out.
struct TargetAnalysis {
    let labelIndex: Int
    let featureIndexes: [Int]
    let header: [String]
    private(set) var rows = 0
    private var identical: [Int]
    private var labelIDs: [UInt64: UInt32] = [:]
    /// Per feature: label id → hash of the feature value seen with it (0 = none yet); emptied once
    /// the feature is seen with two values for one label.
    private var featureOfLabel: [[UInt64]]
    private var oneToOne: [Bool]
    private var buffer: [UInt8] = []

    init(labelIndex: Int, featureIndexes: [Int], header: [String]) {
        self.labelIndex = labelIndex; self.featureIndexes = featureIndexes; self.header = header
        identical = Array(repeating: 0, count: featureIndexes.count)
        featureOfLabel = Array(repeating: [], count: featureIndexes.count)
        oneToOne = Array(repeating: true, count: featureIndexes.count)
    }

    private mutating func hash<R: FieldRecord>(_ reader: R, _ column: Int, _ normalizer: ValueNormalizer) -> (UInt64, empty: Bool) {
        buffer.removeAll(keepingCapacity: true)
        reader.withField(column) { normalizer.append($0, to: &buffer) }
        let h = buffer.withUnsafeBytes { wyhash($0, seed: 0x5851_F42D_4C95_7F2D) }
        return (h == 0 ? 1 : h, buffer.isEmpty)
    }

    mutating func add<R: FieldRecord>(_ reader: R, normalizer: ValueNormalizer) {
        let (label, empty) = hash(reader, labelIndex, normalizer)
        if empty { return }
        rows += 1
        let id: Int
        if let known = labelIDs[label] {
            id = Int(known)
        } else {
            id = labelIDs.count
            labelIDs[label] = UInt32(id)
            for f in featureOfLabel.indices where oneToOne[f] { featureOfLabel[f].append(0) }
        }
        for (f, column) in featureIndexes.enumerated() {
            let (h, _) = hash(reader, column, normalizer)
            if h == label { identical[f] += 1 }
            guard oneToOne[f] else { continue }
            let seen = featureOfLabel[f][id]
            if seen == 0 {
                featureOfLabel[f][id] = h
            } else if seen != h {
                oneToOne[f] = false
                featureOfLabel[f] = []
            }
        }
    }

    struct Leak { var column: String; var fieldNumber: Int; var identical: Bool; var values: Int }

    func leakingColumns(minValues: Int) -> [Leak] {
        guard rows > 0 else { return [] }
        var out: [Leak] = []
        let labels = labelIDs.count
        for (f, column) in featureIndexes.enumerated() {
            if identical[f] == rows {
                out.append(Leak(column: header[column], fieldNumber: column + 1, identical: true, values: labels))
            } else if oneToOne[f], labels >= minValues, labels < rows, Set(featureOfLabel[f]).count == labels {
                out.append(Leak(column: header[column], fieldNumber: column + 1, identical: false, values: labels))
            }
        }
        return out
    }
}

// MARK: - Time values

enum TimeKind: Sendable, Hashable { case number, instant }

enum ParsedTime { case missing, invalid, value(Double, TimeKind) }

/// A time cell: an ISO 8601 date (`2024-03-01`), date-time (`2024-03-01T12:30`, seconds, fractions,
/// `Z` or `±hh:mm` optional; a space may replace `T`) as seconds since 1970 UTC, or a plain decimal
/// number as itself. Whitespace around it is ignored; an empty cell is missing.
func parseTimeValue(_ field: UnsafeBufferPointer<UInt8>) -> ParsedTime {
    guard let p = field.baseAddress else { return .missing }
    var lo = 0, hi = field.count
    @inline(__always) func space(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
    while lo < hi, space(p[lo]) { lo += 1 }
    while hi > lo, space(p[hi - 1]) { hi -= 1 }
    if lo == hi { return .missing }
    @inline(__always) func digit(_ i: Int) -> Int? { i < hi && p[i] &- 0x30 < 10 ? Int(p[i] &- 0x30) : nil }
    @inline(__always) func digits(_ i: Int, _ n: Int) -> Int? {
        guard i + n <= hi else { return nil }
        var v = 0
        for k in i..<(i + n) { guard let d = digit(k) else { return nil }; v = v * 10 + d }
        return v
    }
    // ISO date: YYYY-MM-DD
    if hi - lo >= 10, p[lo + 4] == 0x2D, p[lo + 7] == 0x2D, let y = digits(lo, 4), let m = digits(lo + 5, 2), let d = digits(lo + 8, 2) {
        guard (1...12).contains(m), d >= 1, d <= daysInMonth(y, m) else { return .invalid }
        var seconds = Double(daysFromCivil(y, m, d)) * 86_400
        var i = lo + 10
        if i == hi { return .value(seconds, .instant) }
        guard p[i] == 0x54 || p[i] == 0x74 || p[i] == 0x20 else { return .invalid }
        i += 1
        guard let hh = digits(i, 2), i + 2 < hi, p[i + 2] == 0x3A, let mm = digits(i + 3, 2), hh <= 24, mm <= 59 else { return .invalid }
        seconds += Double(hh * 3600 + mm * 60)
        i += 5
        if i < hi, p[i] == 0x3A {
            guard let ss = digits(i + 1, 2), ss <= 60 else { return .invalid }
            seconds += Double(ss)
            i += 3
            if i < hi, p[i] == 0x2E || p[i] == 0x2C {
                i += 1
                var scale = 0.1, any = false
                while let d = digit(i) { seconds += Double(d) * scale; scale /= 10; i += 1; any = true }
                guard any else { return .invalid }
            }
        }
        if i < hi {
            if p[i] == 0x5A || p[i] == 0x7A {
                i += 1
            } else if p[i] == 0x2B || p[i] == 0x2D {
                let sign: Double = p[i] == 0x2B ? 1 : -1
                i += 1
                guard let oh = digits(i, 2) else { return .invalid }
                i += 2
                var om = 0
                if i < hi, p[i] == 0x3A { i += 1 }
                if i < hi { guard let v = digits(i, 2) else { return .invalid }; om = v; i += 2 }
                seconds -= sign * Double(oh * 3600 + om * 60)
            }
            guard i == hi else { return .invalid }
        }
        return .value(seconds, .instant)
    }
    // A plain decimal number.
    var i = lo
    if p[i] == 0x2B || p[i] == 0x2D { i += 1 }
    var sawDigit = false, sawPoint = false
    while i < hi {
        if p[i] &- 0x30 < 10 { sawDigit = true } else if p[i] == 0x2E, !sawPoint { sawPoint = true } else { break }
        i += 1
    }
    guard sawDigit else { return .invalid }
    if i < hi {
        guard p[i] == 0x65 || p[i] == 0x45 else { return .invalid }
        i += 1
        if i < hi, p[i] == 0x2B || p[i] == 0x2D { i += 1 }
        guard i < hi else { return .invalid }
        while i < hi { guard p[i] &- 0x30 < 10 else { return .invalid }; i += 1 }
    }
    guard let v = Double(String(decoding: UnsafeBufferPointer(start: p + lo, count: hi - lo), as: UTF8.self)) else { return .invalid }
    return .value(v, .number)
}

private func daysInMonth(_ y: Int, _ m: Int) -> Int {
    switch m {
    case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
private func daysFromCivil(_ year: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (m + 9) % 12
    let doy = (153 * mp + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}
