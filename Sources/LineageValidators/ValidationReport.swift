import Foundation

/// One problem a validator found: which check, where (file, column, rows), how many times.
public struct ValidationFinding: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable { case error, warning }

    /// The kind of problem, stable and machine-readable: `type-error`, `row-overlap`, `email`, …
    public var check: String
    public var severity: Severity
    /// One sentence a person reads, saying what is wrong and, where it helps, what to do.
    public var message: String
    /// The file (repository-relative path as the user wrote it) the finding is about.
    public var file: String?
    /// The column name, when the finding is about one column.
    public var column: String?
    /// 1-based column number (`frictionless`'s field number), when known.
    public var fieldNumber: Int?
    /// The first rows where it occurs (header = row 1, as `frictionless validate` counts).
    public var rows: [Int]
    /// How many times it occurs in all (rows, pairs, files…); at least `rows.count`.
    public var count: Int
    /// A few example values, masked where they may be personal data.
    public var examples: [String]

    public init(check: String, severity: Severity = .error, message: String, file: String? = nil, column: String? = nil,
                fieldNumber: Int? = nil, rows: [Int] = [], count: Int = 1, examples: [String] = []) {
        self.check = check; self.severity = severity; self.message = message; self.file = file
        self.column = column; self.fieldNumber = fieldNumber; self.rows = rows; self.count = max(count, rows.count)
        self.examples = examples
    }

    /// How many example rows a finding keeps.
    public static let exampleLimit = 5
}

/// What one validator concluded about the artifacts it was given.
public struct ValidationReport: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable { case passed, warned, failed }

    /// `schema`, `leakage`, `quality`, `pii`, `consent`, `command`.
    public var validator: String
    /// The validator's version; a change in what it checks changes this.
    public var version: String
    public var findings: [ValidationFinding]
    /// Figures worth recording even when nothing is wrong: `rows`, `bytes`, `overlap`, ….
    public var counts: [String: Int]

    public init(validator: String, version: String, findings: [ValidationFinding] = [], counts: [String: Int] = [:]) {
        self.validator = validator; self.version = version; self.findings = findings; self.counts = counts
    }

    public var outcome: Outcome {
        if findings.contains(where: { $0.severity == .error }) { return .failed }
        return findings.isEmpty ? .passed : .warned
    }
}

/// Collects findings of one check, keeping the first rows and examples and counting the rest.
public struct FindingAccumulator: Sendable {
    public private(set) var rows: [Int] = []
    public private(set) var examples: [String] = []
    public private(set) var count = 0

    public init() {}

    public mutating func add(row: Int, example: @autoclosure () -> String? = nil) {
        count += 1
        if rows.count < ValidationFinding.exampleLimit {
            rows.append(row)
            if let e = example() { examples.append(e) }
        }
    }

    public mutating func add(count n: Int) { count += n }
}
