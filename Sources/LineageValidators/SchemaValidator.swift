import Foundation

/// One error as `frictionless validate` reports it: its type (`type-error`, `constraint-error`,
/// `unique-error`, `primary-key`, `foreign-key`, `blank-row`, `extra-cell`, `missing-cell`,
/// `blank-label`, `duplicate-label`, `incorrect-label`, `extra-label`, `missing-label`,
/// `source-error`, `encoding-error`), the row (header = 1) and the 1-based field number.
public struct SchemaViolation: Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var row: Int?
    public var fieldNumber: Int?
    public var fieldName: String?
    /// The cell (or label) text, when the error is about one.
    public var cell: String?
    /// frictionless's note, e.g. `constraint "minimum" is "0"`.
    public var note: String

    public init(type: String, row: Int?, fieldNumber: Int? = nil, fieldName: String? = nil, cell: String? = nil, note: String = "") {
        self.type = type; self.row = row; self.fieldNumber = fieldNumber; self.fieldName = fieldName; self.cell = cell; self.note = note
    }

    public var description: String {
        "\(type) row \(row.map(String.init) ?? "-") field \(fieldNumber.map(String.init) ?? "-")" + (note.isEmpty ? "" : ": \(note)")
    }
}

/// What a validation run saw.
public struct SchemaValidationStats: Sendable, Equatable {
    /// Data rows read (the header not counted).
    public var rows = 0
    public var bytes = 0
    public var violations = 0
    /// Bytes held by the unique, primary-key and foreign-key sets at the end.
    public var keyMemory = 0
}

/// Validates tables against a Table Schema, reporting what `frictionless validate` reports — the
/// same error types with the same row and field numbers — in one streaming pass.
///
/// CSV and TSV are read by `SchemaCSVScanner` (the streaming reader behind `TableReader`, records
/// parsed by the one `DelimitedParser`, no copy of unquoted fields); JSON Lines through `TableReader`. Cells are parsed from their bytes.
/// Memory is bounded by one read block and the largest record, plus what the keys need: about 16
/// bytes per distinct value of a `unique` field, of the primary key and of a foreign key's
/// referenced fields (kept as 64-bit hashes), except integer keys arriving in increasing order —
/// the usual id column — which are kept exactly as runs (1…10,000,000 is one run). Keys are
/// compared by value as Python compares them (`1 == 1.0`, NaN equal to nothing), as frictionless does.
public struct SchemaValidator: Sendable {
    public let schema: TableSchema
    /// Goes into every report; bump it when what is checked changes.
    public static let version = "1"

    public init(schema: TableSchema) {
        self.schema = schema
    }

    /// Reads and checks the schema file, then builds a validator.
    public init(schemaPath: String) throws {
        self.init(schema: try TableSchema(contentsOf: schemaPath))
    }

    /// Validates the table at `path` and summarises the errors as findings: one per error type and
    /// column, with the first rows, a count and example values.
    ///
    /// - Parameters:
    ///   - format: the table format; by default guessed from the extension (CSV when unknown).
    ///   - displayPath: the path findings name (defaults to `path`).
    /// - Throws: `TableReadError` only when the file cannot be opened; malformed content (invalid
    ///   UTF-8, an unclosed quote, a bad JSON line) is a finding (`encoding-error`, `source-error`).
    ///   - layout: how the file is written (dialect, encoding); nil: the schema's resource
    ///     description's, else RFC 4180 UTF-8.
    public func validate(path: String, format: TableFormat? = nil, layout: TableLayout? = nil, displayPath: String? = nil) throws -> ValidationReport {
        var summary = SchemaFindingSummary(file: displayPath ?? path)
        let stats = try validate(path: path, format: format, layout: layout) { summary.add($0) }
        var report = ValidationReport(validator: "schema", version: SchemaValidator.version, findings: summary.findings())
        report.counts = ["rows": stats.rows, "bytes": stats.bytes, "errors": stats.violations, "fields": schema.fields.count]
        return report
    }

    /// Validates the table at `path`, calling `onViolation` for every error in row order (foreign-key
    /// errors come last, once the whole table has been seen).
    @discardableResult
    public func validate(path: String, format: TableFormat? = nil, layout: TableLayout? = nil, onViolation: (SchemaViolation) -> Void) throws -> SchemaValidationStats {
        let fmt = format ?? TableFormat.guess(path: path) ?? .csv
        let layout = layout ?? schema.layout ?? TableLayout()
        return try withoutActuallyEscaping(onViolation) { sink in
            do {
                switch fmt {
                case .csv, .tsv:
                    // One pass on one thread: reading on a second thread (tried) cost more CPU in
                    // copies and hand-offs than it saved on this shared 2-core machine.
                    let source = try SchemaCSVScanner(path: path, format: fmt, layout: layout)
                    return SchemaRun(schema: schema, source: source, onViolation: sink).run()
                case .jsonl:
                    let source = try TableReader(path: path, format: .jsonl, layout: layout)
                    return SchemaRun(schema: schema, source: source, onViolation: sink).run()
                }
            } catch let e as TableReadError where e.line > 0 {
                // The first record (the header) is malformed; a file that cannot be opened throws.
                let isEncoding = e.message.contains("UTF-8")
                sink(SchemaViolation(type: isEncoding ? "encoding-error" : "source-error", row: 1,
                                     note: "line \(e.line): \(e.message); validation stopped here"))
                return SchemaValidationStats(violations: 1)
            }
        }
    }
}

/// Failed constraints of one cell, in frictionless's order.
struct SchemaConstraintBits: OptionSet {
    let rawValue: UInt16
    static let required = SchemaConstraintBits(rawValue: 1)
    static let minLength = SchemaConstraintBits(rawValue: 2)
    static let maxLength = SchemaConstraintBits(rawValue: 4)
    static let minimum = SchemaConstraintBits(rawValue: 8)
    static let maximum = SchemaConstraintBits(rawValue: 16)
    static let exclusiveMinimum = SchemaConstraintBits(rawValue: 32)
    static let exclusiveMaximum = SchemaConstraintBits(rawValue: 64)
    static let pattern = SchemaConstraintBits(rawValue: 128)
    static let enumeration = SchemaConstraintBits(rawValue: 256)

    static let ordered: [(SchemaConstraintBits, String)] = [
        (.required, "required"), (.minLength, "minLength"), (.maxLength, "maxLength"), (.minimum, "minimum"), (.maximum, "maximum"),
        (.exclusiveMinimum, "exclusiveMinimum"), (.exclusiveMaximum, "exclusiveMaximum"), (.pattern, "pattern"), (.enumeration, "enum"),
    ]
}

/// A few hashes (enum values), searched without hashing them again.
struct SchemaSmallSet {
    private let sorted: [UInt64]
    init(_ values: [UInt64]) { sorted = Array(Set(values)).sorted() }

    @inline(__always)
    func contains(_ h: UInt64) -> Bool {
        if sorted.count <= 16 {
            for v in sorted where v == h { return true }
            return false
        }
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if sorted[mid] < h { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == h
    }
}

/// The set of keys of one unique field or of the primary key. Integer keys that arrive in
/// increasing order (the usual id column) are kept exactly, as runs of consecutive values —
/// 1, 2, …, 10,000,000 is one run — appended to without random memory access; every other key
/// goes into a set of 64-bit hashes.
struct SchemaKeySet {
    private var runStarts: [Int64] = []
    private var runEnds: [Int64] = []
    private var hashes = SchemaHashSet(capacity: 64)

    /// Inserts an integer key; true when it was there already.
    @inline(__always)
    mutating func insert(int v: Int64) -> Bool {
        guard let last = runEnds.last else {
            runStarts.append(v); runEnds.append(v)
            return false
        }
        if v > last {
            if v == last &+ 1 { runEnds[runEnds.count - 1] = v } else { runStarts.append(v); runEnds.append(v) }
            return false
        }
        // Out of order: look in the runs, then in the hash set (where every integer key not larger
        // than the last run's end goes).
        var lo = 0, hi = runStarts.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if runEnds[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        if lo < runStarts.count && runStarts[lo] <= v { return true }
        return hashes.insert(SchemaHasher.hash(SchemaDecimal.integer(Int(v))))
    }

    /// Inserts any other key by its hash; true when it was there already.
    @inline(__always)
    mutating func insert(hash h: UInt64) -> Bool { hashes.insert(h) }

    var memory: Int { runStarts.capacity * 16 + hashes.memory }
}

/// Checks the cells of one expected field; the outcome of the last cell is kept in `failed`,
/// `keyState`, `hash` and `int` for the row-level checks.
struct SchemaFieldChecker {
    enum Result { case missing, typeError, ok }
    enum KeyState { case none, value, unmatchable }

    let field: SchemaField
    let number: Int
    let reader: SchemaCellReader
    let kind: SchemaCellReader.Kind
    let missingOnlyEmpty: Bool
    let missingValues: [[UInt8]]
    let required: Bool
    let unique: Bool
    /// A key hash is needed for this field's cells (unique, enum, primary or foreign key).
    var needsHash: Bool
    let hasChecks: Bool
    let needsLength: Bool
    let minLength: Int?, maxLength: Int?
    let minimum: SchemaValue?, maximum: SchemaValue?, exclusiveMinimum: SchemaValue?, exclusiveMaximum: SchemaValue?
    let decimalBounds: [(SchemaConstraintBits, SchemaDecimal, Int)]
    /// The same bounds as plain values, when they all are finite with small coefficients.
    let smallBounds: [(SchemaConstraintBits, SchemaSmallDecimal, Int)]?
    /// Number and integer cells are read without frictionless's text processing.
    let plainNumbers: Bool
    let hasBounds: Bool
    let regex: NSRegularExpression?
    let enumHashes: SchemaSmallSet?
    var uniqueKeys = SchemaKeySet()

    // The last cell.
    var failed = SchemaConstraintBits()
    var keyState = KeyState.none
    var hash: UInt64 = 0
    /// The cell's exact integer value, when it has one (keys of integer-valued cells).
    var int: Int64? = nil

    init(field: SchemaField, number: Int, schemaMissing: [String]) {
        self.field = field
        self.number = number
        reader = SchemaCellReader(field: field)
        kind = reader.kind
        let mv = field.missingValues ?? schemaMissing
        missingOnlyEmpty = mv == [""]
        missingValues = mv.map { Array($0.utf8) }
        let c = field.constraints
        required = c.required
        unique = c.unique
        minLength = c.minLength
        maxLength = c.maxLength
        needsLength = c.minLength != nil || c.maxLength != nil
        func bound(_ j: SchemaJSON?) -> SchemaValue? { j.flatMap { SchemaCellReader.readConstraintValue($0, field: field) } }
        minimum = bound(c.minimum)
        maximum = bound(c.maximum)
        exclusiveMinimum = bound(c.exclusiveMinimum)
        exclusiveMaximum = bound(c.exclusiveMaximum)
        // Decimal bounds as (bit, bound, failing comparison results): c < 0 fails a minimum, etc.
        var db: [(SchemaConstraintBits, SchemaDecimal, Int)] = []
        for (bit, value, sign) in [(SchemaConstraintBits.minimum, minimum, -1), (.maximum, maximum, 1),
                                   (.exclusiveMinimum, exclusiveMinimum, -2), (.exclusiveMaximum, exclusiveMaximum, 2)] {
            if case let .decimal(d)? = value { db.append((bit, d, sign)) }
        }
        decimalBounds = db
        let small = db.compactMap { b -> (SchemaConstraintBits, SchemaSmallDecimal, Int)? in
            guard b.1.kind == .finite, b.1.bigDigits == nil else { return nil }
            return (b.0, SchemaSmallDecimal(negative: b.1.negative, coefficient: b.1.coefficient, exponent: b.1.exponent), b.2)
        }
        smallBounds = small.count == db.count ? small : nil
        plainNumbers = !reader.numberProcessing
        hasBounds = minimum != nil || maximum != nil || exclusiveMinimum != nil || exclusiveMaximum != nil
        regex = c.pattern.flatMap { try? NSRegularExpression(pattern: "^" + $0 + "$") }
        if let values = c.enumValues {
            enumHashes = SchemaSmallSet(values.compactMap { SchemaCellReader.readConstraintValue($0, field: field)?.keyHash })
        } else {
            enumHashes = nil
        }
        needsHash = unique || enumHashes != nil
        hasChecks = needsLength || hasBounds || regex != nil || enumHashes != nil
    }

    @inline(__always)
    func isMissing(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        if missingOnlyEmpty { return s.count == 0 }
        for m in missingValues where m.count == s.count {
            if s.count == 0 { return true }
            if m.withUnsafeBufferPointer({ memcmp($0.baseAddress!, s.baseAddress!, s.count) == 0 }) { return true }
        }
        return false
    }

    /// A cell absent from a short row: only `required` can fail.
    @inline(__always)
    mutating func checkAbsent() {
        failed = required ? .required : []
        keyState = .none
    }

    /// Reads and checks one present cell.
    @inline(__always)
    mutating func check(_ s: UnsafeBufferPointer<UInt8>) -> Result {
        failed = []
        if isMissing(s) {
            if required { failed = .required }
            keyState = .none
            return .missing
        }
        switch kind {
        case .string, .any:
            if hasChecks { checkText(s) }
            if needsHash { finishText(s) }
            return .ok
        case .integer:
            if plainNumbers, let d = SchemaNumberParser.smallInt(s) { finishSmall(d); return .ok }
            guard let d = reader.integer(s) else { keyState = .none; return .typeError }
            finishDecimal(d)
            return .ok
        case .number:
            if plainNumbers, let d = SchemaNumberParser.smallDecimal(s) { finishSmall(d); return .ok }
            guard let d = reader.number(s) else { keyState = .none; return .typeError }
            finishDecimal(d)
            return .ok
        case .year:
            guard let y = reader.year(s) else { keyState = .none; return .typeError }
            finishDecimal(.integer(y))
            return .ok
        case .boolean:
            guard let b = reader.boolean(s) else { keyState = .none; return .typeError }
            if needsHash { finishHash(SchemaHasher.hash(SchemaDecimal.integer(b ? 1 : 0)), int: b ? 1 : 0) }
            return .ok
        case .date:
            if !hasBounds && !needsHash {
                guard reader.isDate(s) else { keyState = .none; return .typeError }
                return .ok
            }
            guard let t = reader.date(s) else { keyState = .none; return .typeError }
            finishValue(.temporal(t))
            return .ok
        case .datetime:
            if !hasBounds && !needsHash {
                guard reader.isDatetime(s) else { keyState = .none; return .typeError }
                return .ok
            }
            guard let t = reader.datetime(s) else { keyState = .none; return .typeError }
            finishValue(.temporal(t))
            return .ok
        case .email, .uri, .uuid, .binary:
            guard reader.hasFormat(s) else { keyState = .none; return .typeError }
            if hasChecks { checkText(s) }
            if needsHash { finishText(s) }
            return .ok
        default:
            guard let v = reader.value(s) else { keyState = .none; return .typeError }
            if needsLength, case let .json(j) = v {
                let n = SchemaFormats.length(j)
                if let m = minLength, n < m { failed.insert(.minLength) }
                if let m = maxLength, n > m { failed.insert(.maxLength) }
            }
            finishValue(v)
            return .ok
        }
    }

    private mutating func checkText(_ s: UnsafeBufferPointer<UInt8>) {
        if needsLength {
            var n = 0
            for b in s where b & 0xC0 != 0x80 { n += 1 }
            if let m = minLength, n < m { failed.insert(.minLength) }
            if let m = maxLength, n > m { failed.insert(.maxLength) }
        }
        if let regex {
            let text = String(decoding: s, as: UTF8.self)
            let range = NSRange(text.startIndex..., in: text)
            if regex.firstMatch(in: text, options: [.anchored], range: range) == nil { failed.insert(.pattern) }
        }
    }

    @inline(__always)
    private mutating func finishText(_ s: UnsafeBufferPointer<UInt8>) {
        finishHash(SchemaHasher.hash(s, seed: SchemaHasher.seedString), int: nil)
    }

    @inline(__always)
    private mutating func finishHash(_ h: UInt64, int v: Int64?) {
        hash = h
        int = v
        keyState = .value
        if let e = enumHashes, !e.contains(h) { failed.insert(.enumeration) }
    }

    /// `finishDecimal` for a plain value.
    @inline(__always)
    private mutating func finishSmall(_ d: SchemaSmallDecimal) {
        if hasBounds {
            guard let bounds = smallBounds else { finishDecimal(d.decimal); return }
            for (bit, bound, sign) in bounds {
                let c = SchemaSmallDecimal.compare(d, bound)
                switch sign {
                case -1: if c < 0 { failed.insert(bit) }
                case 1: if c > 0 { failed.insert(bit) }
                case -2: if c <= 0 { failed.insert(bit) }
                default: if c >= 0 { failed.insert(bit) }
                }
            }
        }
        if needsHash { finishHash(d.keyHash, int: d.exactInt) }
    }

    @inline(__always)
    private mutating func finishDecimal(_ d: SchemaDecimal) {
        if hasBounds {
            for (bit, bound, sign) in decimalBounds {
                guard let c = SchemaDecimal.compare(d, bound) else { failed.insert(bit); continue }
                switch sign {
                case -1: if c < 0 { failed.insert(bit) }
                case 1: if c > 0 { failed.insert(bit) }
                case -2: if c <= 0 { failed.insert(bit) }
                default: if c >= 0 { failed.insert(bit) }
                }
            }
        }
        if needsHash {
            if d.isNaN {
                keyState = .unmatchable
                if enumHashes != nil { failed.insert(.enumeration) }
            } else {
                finishHash(SchemaHasher.hash(d), int: d.exactInt)
            }
        }
    }

    private mutating func finishValue(_ v: SchemaValue) {
        if hasBounds { checkBounds(v) }
        if needsHash {
            if let h = v.keyHash { finishHash(h, int: nil) } else {
                keyState = .unmatchable
                if enumHashes != nil { failed.insert(.enumeration) }
            }
        }
    }

    private mutating func checkBounds(_ v: SchemaValue) {
        // Python: NaN fails every bound; incomparable values fail too.
        if let m = minimum { if let c = SchemaValue.compare(v, m) { if c < 0 { failed.insert(.minimum) } } else { failed.insert(.minimum) } }
        if let m = maximum { if let c = SchemaValue.compare(v, m) { if c > 0 { failed.insert(.maximum) } } else { failed.insert(.maximum) } }
        if let m = exclusiveMinimum { if let c = SchemaValue.compare(v, m) { if c <= 0 { failed.insert(.exclusiveMinimum) } } else { failed.insert(.exclusiveMinimum) } }
        if let m = exclusiveMaximum { if let c = SchemaValue.compare(v, m) { if c >= 0 { failed.insert(.exclusiveMaximum) } } else { failed.insert(.exclusiveMaximum) } }
    }

    /// frictionless's note for a failed constraint.
    func constraintNote(_ name: String) -> String {
        let c = field.constraints
        let value: String
        switch name {
        case "required": value = c.required ? "True" : "False"
        case "minLength": value = c.minLength.map(String.init) ?? ""
        case "maxLength": value = c.maxLength.map(String.init) ?? ""
        case "minimum": value = c.minimum?.plainText ?? ""
        case "maximum": value = c.maximum?.plainText ?? ""
        case "exclusiveMinimum": value = c.exclusiveMinimum?.plainText ?? ""
        case "exclusiveMaximum": value = c.exclusiveMaximum?.plainText ?? ""
        case "pattern": value = c.pattern ?? ""
        default: value = c.enumValues.map { "[" + $0.map(\.plainText).joined(separator: ", ") + "]" } ?? ""
        }
        return "constraint \"\(name)\" is \"\(value)\""
    }
}

extension SchemaJSON {
    /// The value as a note shows it: strings bare, everything else as JSON.
    var plainText: String {
        if case let .string(s) = self { return s }
        return pretty()
    }
}

/// One validation pass over one table.
final class SchemaRun<Source: SchemaRowSource> {
    let schema: TableSchema
    let source: Source
    let emit: (SchemaViolation) -> Void
    var stats = SchemaValidationStats()

    /// The expected fields' checkers (unsafe storage: mutated in place for every cell).
    var checkers: UnsafeMutablePointer<SchemaFieldChecker>
    var nFields = 0
    var anyUnique = false
    /// Primary key field indexes; `primaryFromUnique` when the key is one unique field (its
    /// duplicates are that field's unique errors).
    var primaryKey: [Int] = []
    var hasPrimaryKey = false
    var primaryFromUnique = -1
    var primaryKeys = SchemaKeySet()
    struct ForeignKey {
        var fields: [Int]
        var referenceFields: [Int?]
        var names: [String]
        var referenceNames: [String]
        var sources = SchemaHashSet()
        var pending: [(row: Int, hash: UInt64, values: String)] = []
    }
    var foreignKeys: [ForeignKey] = []

    init(schema: TableSchema, source: Source, onViolation: @escaping (SchemaViolation) -> Void) {
        self.schema = schema
        self.source = source
        self.emit = onViolation
        checkers = .allocate(capacity: 1)
    }

    deinit {
        checkers.deinitialize(count: nFields)
        checkers.deallocate()
    }

    private func report(_ v: SchemaViolation) {
        stats.violations += 1
        emit(v)
    }

    func run() -> SchemaValidationStats {
        let labels = source.header.map { SchemaNumberParser.pythonStrip($0) }
        if labels.isEmpty {
            // No header record: the file is empty (or starts with an empty line).
            if (try? source.next()) != true {
                report(SchemaViolation(type: "source-error", row: nil, note: "the source is empty"))
                stats.bytes = source.bytesRead
                return stats
            }
            setUp(expected: schema.fields)
            process()
            readAll()
            return finish()
        }
        checkHeader(labels)
        // Expected fields: schema fields paired with labels by position; labels beyond the schema
        // get an `any` field named after them; fields beyond the labels are not expected.
        var expected: [SchemaField] = []
        for (j, label) in labels.enumerated() {
            expected.append(j < schema.fields.count ? schema.fields[j] : SchemaField(name: label, type: .any))
        }
        setUp(expected: expected)
        readAll()
        return finish()
    }

    private func readAll() {
        do {
            while try source.next() { process() }
        } catch let e as TableReadError {
            readFailed(e)
        } catch {
            readFailed(TableReadError(path: "", line: source.line, message: "\(error)"))
        }
    }

    private func readFailed(_ e: TableReadError) {
        let isEncoding = e.message.contains("UTF-8")
        report(SchemaViolation(type: isEncoding ? "encoding-error" : "source-error", row: source.row + 1,
                               note: "line \(e.line): \(e.message); validation stopped here"))
    }

    private func finish() -> SchemaValidationStats {
        // Foreign keys: a target seen before its referenced row is resolved now.
        for fk in foreignKeys {
            for p in fk.pending where p.hash == 0 || !fk.sources.contains(p.hash) {
                report(SchemaViolation(type: "foreign-key", row: p.row, fieldNumber: nil, fieldName: fk.names.joined(separator: ", "),
                                       cell: p.values,
                                       note: "for \"\(fk.names.joined(separator: ", "))\": values \"\(p.values)\" not found in the lookup table \"\" as \"\(fk.referenceNames.joined(separator: ", "))\""))
            }
        }
        stats.bytes = source.bytesRead
        var memory = primaryKeys.memory
        for j in 0..<nFields { memory += checkers[j].uniqueKeys.memory }
        for fk in foreignKeys { memory += fk.sources.memory + fk.pending.count * 40 }
        stats.keyMemory = memory
        return stats
    }

    private func checkHeader(_ labels: [String]) {
        let fields = schema.fields
        for (k, label) in labels.enumerated() where k >= fields.count {
            report(SchemaViolation(type: "extra-label", row: 1, fieldNumber: k + 1, fieldName: "", cell: label))
        }
        if fields.count > labels.count {
            for k in labels.count..<fields.count {
                report(SchemaViolation(type: "missing-label", row: 1, fieldNumber: k + 1, fieldName: fields[k].name, cell: ""))
            }
        }
        for (k, (field, label)) in zip(fields, labels).enumerated() {
            if label.isEmpty {
                report(SchemaViolation(type: "blank-label", row: 1, fieldNumber: k + 1, fieldName: field.name, cell: ""))
                continue
            }
            let earlier = labels[0..<k].enumerated().filter { $0.element == label }.map { $0.offset + 1 }
            if !earlier.isEmpty {
                report(SchemaViolation(type: "duplicate-label", row: 1, fieldNumber: k + 1, fieldName: field.name, cell: label,
                                       note: "at position \"\(earlier.map(String.init).joined(separator: ", "))\""))
                continue
            }
            if label != field.name {
                report(SchemaViolation(type: "incorrect-label", row: 1, fieldNumber: k + 1, fieldName: field.name, cell: label))
            }
        }
    }

    private func setUp(expected: [SchemaField]) {
        checkers.deallocate()
        nFields = expected.count
        checkers = .allocate(capacity: max(nFields, 1))
        for (k, f) in expected.enumerated() {
            (checkers + k).initialize(to: SchemaFieldChecker(field: f, number: k + 1, schemaMissing: schema.missingValues))
        }
        var index: [String: Int] = [:]
        for (k, f) in expected.enumerated() where index[f.name] == nil { index[f.name] = k }
        anyUnique = expected.contains { $0.constraints.unique }
        if !schema.primaryKey.isEmpty, schema.primaryKey.allSatisfy({ index[$0] != nil }) {
            primaryKey = schema.primaryKey.map { index[$0]! }
            hasPrimaryKey = true
            for k in primaryKey { checkers[k].needsHash = true }
            if primaryKey.count == 1, checkers[primaryKey[0]].unique { primaryFromUnique = primaryKey[0] }
        }
        for fk in schema.foreignKeys where fk.fields.allSatisfy({ index[$0] != nil }) {
            let own = fk.fields.map { index[$0]! }
            let refs = fk.referenceFields.map { index[$0] }
            for k in own { checkers[k].needsHash = true }
            for case let k? in refs { checkers[k].needsHash = true }
            foreignKeys.append(ForeignKey(fields: own, referenceFields: refs, names: fk.fields, referenceNames: fk.referenceFields))
        }
    }

    private func cellText(_ k: Int) -> String {
        k < source.fieldCount ? String(decoding: source.field(k), as: UTF8.self) : ""
    }

    /// Validates the current record.
    @inline(__always)
    private func process() {
        stats.rows += 1
        let row = source.row
        let nFields = self.nFields
        let nCells = source.fieldCount
        let checkers = self.checkers

        // Blank row: every expected cell is absent or a missing value. Its only errors are
        // blank-row and, with a primary key, primary-key (all cells None).
        var blank = true
        let present = min(nFields, nCells)
        var j = 0
        while j < present {
            if !checkers[j].isMissing(source.field(j)) { blank = false; break }
            j += 1
        }
        if blank {
            report(SchemaViolation(type: "blank-row", row: row))
            if hasPrimaryKey {
                report(SchemaViolation(type: "primary-key", row: row, note: "cells composing the primary keys are all \"None\""))
            }
            return
        }

        j = 0
        while j < nFields {
            if j < nCells {
                let cell = source.field(j)
                if checkers[j].check(cell) == .typeError {
                    reportTypeError(j, row: row, cell: cell)
                    j += 1
                    continue
                }
            } else {
                checkers[j].checkAbsent()
            }
            if !checkers[j].failed.isEmpty { reportConstraints(j, row: row, nCells: nCells) }
            j += 1
        }
        if nCells != nFields { reportWidth(row: row, nCells: nCells) }

        // Unique fields.
        var primaryDuplicate = false
        if anyUnique {
            for k in 0..<nFields where checkers[k].unique && checkers[k].keyState == .value {
                let duplicate = checkers[k].int.map { checkers[k].uniqueKeys.insert(int: $0) } ?? checkers[k].uniqueKeys.insert(hash: checkers[k].hash)
                if duplicate {
                    report(SchemaViolation(type: "unique-error", row: row, fieldNumber: k + 1, fieldName: checkers[k].field.name, cell: cellText(k),
                                           note: "the same as in an earlier row"))
                    if k == primaryFromUnique { primaryDuplicate = true }
                }
            }
        }
        // Primary key.
        if hasPrimaryKey {
            var allNone = true
            var unmatchable = false
            var h: UInt64 = 0x5052_494D
            for k in primaryKey {
                switch checkers[k].keyState {
                case .none: h = SchemaHasher.combine(h, SchemaHasher.none)
                case .value: allNone = false; h = SchemaHasher.combine(h, checkers[k].hash)
                case .unmatchable: allNone = false; unmatchable = true
                }
            }
            if allNone {
                report(SchemaViolation(type: "primary-key", row: row, note: "cells composing the primary keys are all \"None\""))
            } else if !unmatchable {
                let duplicate: Bool
                if primaryFromUnique >= 0 {
                    duplicate = primaryDuplicate
                } else if primaryKey.count == 1, let v = checkers[primaryKey[0]].int {
                    duplicate = primaryKeys.insert(int: v)
                } else {
                    duplicate = primaryKeys.insert(hash: h)
                }
                if duplicate { report(SchemaViolation(type: "primary-key", row: row, note: "the same as in an earlier row")) }
            }
        }
        if !foreignKeys.isEmpty { checkForeignKeys(row: row) }
    }

    private func reportTypeError(_ j: Int, row: Int, cell: UnsafeBufferPointer<UInt8>) {
        let field = checkers[j].field
        report(SchemaViolation(type: "type-error", row: row, fieldNumber: j + 1, fieldName: field.name,
                               cell: String(decoding: cell, as: UTF8.self), note: "type is \"\(field.type.rawValue)/\(field.format)\""))
    }

    private func reportWidth(row: Int, nCells: Int) {
        if nCells > nFields {
            for k in nFields..<nCells {
                report(SchemaViolation(type: "extra-cell", row: row, fieldNumber: k + 1, fieldName: "", cell: cellText(k)))
            }
        } else {
            for k in nCells..<nFields {
                report(SchemaViolation(type: "missing-cell", row: row, fieldNumber: k + 1, fieldName: checkers[k].field.name, cell: ""))
            }
        }
    }

    /// The referenced values of this row join the lookup; this row's values are looked up now, and
    /// again at the end when not found yet.
    private func checkForeignKeys(row: Int) {
        for f in 0..<foreignKeys.count {
            var sourceHash: UInt64 = 0x464B
            var sourceAllNone = true, sourceUnmatchable = false
            for r in foreignKeys[f].referenceFields {
                guard let r else { sourceHash = SchemaHasher.combine(sourceHash, SchemaHasher.none); continue }
                switch checkers[r].keyState {
                case .none: sourceHash = SchemaHasher.combine(sourceHash, SchemaHasher.none)
                case .value: sourceAllNone = false; sourceHash = SchemaHasher.combine(sourceHash, checkers[r].hash)
                case .unmatchable: sourceAllNone = false; sourceUnmatchable = true
                }
            }
            if !sourceAllNone && !sourceUnmatchable { _ = foreignKeys[f].sources.insert(sourceHash) }

            var targetHash: UInt64 = 0x464B
            var targetAllNone = true, targetUnmatchable = false
            for k in foreignKeys[f].fields {
                switch checkers[k].keyState {
                case .none: targetHash = SchemaHasher.combine(targetHash, SchemaHasher.none)
                case .value: targetAllNone = false; targetHash = SchemaHasher.combine(targetHash, checkers[k].hash)
                case .unmatchable: targetAllNone = false; targetUnmatchable = true
                }
            }
            if targetAllNone { continue }
            if targetUnmatchable || !foreignKeys[f].sources.contains(targetHash) {
                // The values are kept for the first rows only: the pending list stays small.
                let values = foreignKeys[f].pending.count >= 1000 ? ""
                    : foreignKeys[f].fields.map { k in checkers[k].keyState == .none ? "None" : cellText(k) }.joined(separator: ", ")
                foreignKeys[f].pending.append((row, targetUnmatchable ? 0 : targetHash, values))   // hash 0: never found
            }
        }
    }

    private func reportConstraints(_ j: Int, row: Int, nCells: Int) {
        for (bit, name) in SchemaConstraintBits.ordered where checkers[j].failed.contains(bit) {
            report(SchemaViolation(type: "constraint-error", row: row, fieldNumber: j + 1, fieldName: checkers[j].field.name,
                                   cell: j < nCells ? String(decoding: source.field(j), as: UTF8.self) : "None",
                                   note: checkers[j].constraintNote(name)))
        }
    }
}

/// Groups violations into findings: one per error type and column, in order of first occurrence.
struct SchemaFindingSummary {
    let file: String
    private var order: [String] = []
    private var groups: [String: (first: SchemaViolation, acc: FindingAccumulator, notes: [String])] = [:]

    init(file: String) { self.file = file }

    mutating func add(_ v: SchemaViolation) {
        let key = "\(v.type)|\(v.fieldNumber ?? 0)"
        if groups[key] == nil {
            order.append(key)
            groups[key] = (v, FindingAccumulator(), [])
        }
        let example = v.cell.map { $0.count > 40 ? String($0.prefix(40)) + "…" : $0 }
        groups[key]!.acc.add(row: v.row ?? 0, example: example)
        if groups[key]!.notes.count < 3, !v.note.isEmpty, !groups[key]!.notes.contains(v.note) { groups[key]!.notes.append(v.note) }
    }

    func findings() -> [ValidationFinding] {
        order.map { key in
            let (first, acc, notes) = groups[key]!
            let column = first.fieldName.flatMap { $0.isEmpty ? nil : $0 }
            return ValidationFinding(check: first.type, severity: .error,
                                     message: SchemaFindingSummary.message(first, count: acc.count, rows: acc.rows, notes: notes),
                                     file: file, column: column, fieldNumber: first.fieldNumber,
                                     rows: first.row == nil ? [] : acc.rows, count: acc.count, examples: acc.examples)
        }
    }

    static func message(_ v: SchemaViolation, count: Int, rows: [Int], notes: [String]) -> String {
        let column = v.fieldName.flatMap { $0.isEmpty ? nil : "column \"\($0)\"" } ?? "column"
        let field = v.fieldNumber.map { " (field \($0))" } ?? ""
        let rowsText = count == 1 ? "1 row" : "\(count) rows"
        let values = count == 1 ? "1 value" : "\(count) values"
        let first = rows.isEmpty ? "" : ", first at row\(rows.count > 1 ? "s" : "") \(rows.map(String.init).joined(separator: ", "))"
        let detail = notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))"
        switch v.type {
        case "type-error":
            let type = notes.first.map { $0.replacingOccurrences(of: "type is ", with: "").replacingOccurrences(of: "\"", with: "") } ?? "its type"
            return "\(column)\(field) has \(values) that are not valid \(type)\(first); fix the values or the field's type or format in the schema"
        case "constraint-error":
            return "\(column)\(field) breaks a constraint in \(rowsText)\(first)\(detail); fix the values or the constraint"
        case "unique-error":
            return "\(column)\(field) must be unique but \(values) repeat an earlier row's\(first)"
        case "primary-key":
            return "the primary key is empty or repeats an earlier row's in \(rowsText)\(first)\(detail)"
        case "foreign-key":
            return "foreign key \(v.fieldName ?? "") has \(values) found in no row of the referenced fields\(first)"
        case "blank-row":
            return "\(rowsText) \(count == 1 ? "is" : "are") completely blank\(first); remove \(count == 1 ? "it" : "them") or fill \(count == 1 ? "it" : "them") in"
        case "extra-cell":
            return "\(rowsText) \(count == 1 ? "has" : "have") more cells than the header has labels (an extra cell at field \(v.fieldNumber ?? 0))\(first)"
        case "missing-cell":
            return "\(rowsText) \(count == 1 ? "has" : "have") no cell for \(column)\(field)\(first); each row needs as many cells as the header has labels"
        case "blank-label":
            return "the header label of field \(v.fieldNumber ?? 0) is blank; name the column \"\(v.fieldName ?? "")\" as in the schema"
        case "duplicate-label":
            return "the header label \"\(v.cell ?? "")\"\(field) repeats an earlier label\(detail); rename the column \"\(v.fieldName ?? "")\" as in the schema"
        case "incorrect-label":
            return "the header label \"\(v.cell ?? "")\"\(field) does not match the schema's field \"\(v.fieldName ?? "")\"; rename the column or the field"
        case "extra-label":
            return "the header label \"\(v.cell ?? "")\"\(field) has no field in the schema; add a field for it or drop the column"
        case "missing-label":
            return "the schema's field \"\(v.fieldName ?? "")\"\(field) has no column in the file; add the column or remove the field"
        case "encoding-error":
            return "the file is not valid UTF-8\(detail)"
        case "source-error":
            return "the file cannot be read as a table\(detail)"
        default:
            return "\(v.type) in \(rowsText)\(first)\(detail)"
        }
    }
}
