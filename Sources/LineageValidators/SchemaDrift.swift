import Foundation

/// How a schema change is reported: as a warning, or as an error that fails the check.
public enum SchemaDriftSeverity: String, Sendable, Codable, CaseIterable {
    case warn, fail

    var findingSeverity: ValidationFinding.Severity { self == .fail ? .error : .warning }
}

/// The column changes between the previous committed version of a table's schema (declared or
/// inferred) and the current one.
public struct SchemaDrift: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        /// A column of the previous schema is gone (1-based position in the previous schema).
        case removed(name: String, position: Int)
        /// A new column (1-based position in the current schema).
        case added(name: String, position: Int)
        /// Same position and type, different name.
        case renamed(from: String, to: String, position: Int)
        /// Same name, different type (position in the current schema).
        case retyped(name: String, from: SchemaFieldType, to: SchemaFieldType, position: Int)

        /// The finding check name: `field-removed`, `field-added`, `field-renamed`, `field-retyped`.
        public var check: String {
            switch self {
            case .removed: return "field-removed"
            case .added: return "field-added"
            case .renamed: return "field-renamed"
            case .retyped: return "field-retyped"
            }
        }
    }

    public var changes: [Change]

    public init(changes: [Change]) { self.changes = changes }

    public var isEmpty: Bool { changes.isEmpty }

    /// Compares two schemas. Columns are matched by name first (a type change is `retyped`); of
    /// the rest, a previous and a current column at the same position with the same type are a
    /// rename; what remains was removed or added.
    public static func compare(previous: TableSchema, current: TableSchema) -> SchemaDrift {
        let currentByName = Dictionary(current.fields.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let previousNames = Set(previous.fields.map(\.name))
        var changes: [Change] = []
        var unmatchedPrevious: [Int] = []
        for (k, field) in previous.fields.enumerated() {
            if let j = currentByName[field.name] {
                let now = current.fields[j]
                if now.type != field.type { changes.append(.retyped(name: field.name, from: field.type, to: now.type, position: j + 1)) }
            } else {
                unmatchedPrevious.append(k)
            }
        }
        var unmatchedCurrent = Set(current.fields.indices.filter { !previousNames.contains(current.fields[$0].name) })
        var removed: [Int] = []
        for k in unmatchedPrevious {
            if unmatchedCurrent.contains(k), current.fields[k].type == previous.fields[k].type {
                changes.append(.renamed(from: previous.fields[k].name, to: current.fields[k].name, position: k + 1))
                unmatchedCurrent.remove(k)
            } else {
                removed.append(k)
            }
        }
        for k in removed { changes.append(.removed(name: previous.fields[k].name, position: k + 1)) }
        for j in unmatchedCurrent.sorted() { changes.append(.added(name: current.fields[j].name, position: j + 1)) }
        return SchemaDrift(changes: changes)
    }

    /// One finding per change, with the severity the caller configured (`drift: warn | fail`).
    public func findings(severity: SchemaDriftSeverity, file: String? = nil) -> [ValidationFinding] {
        let s = severity.findingSeverity
        let then = "the previous committed version"
        return changes.map { change in
            switch change {
            case let .removed(name, position):
                return ValidationFinding(check: change.check, severity: s,
                                         message: "column \"\(name)\" (field \(position) in \(then)) was removed; consumers that read it will break — restore it or update them",
                                         file: file, column: name, fieldNumber: position)
            case let .added(name, position):
                return ValidationFinding(check: change.check, severity: s,
                                         message: "column \"\(name)\" (field \(position)) is new since \(then)",
                                         file: file, column: name, fieldNumber: position)
            case let .renamed(from, to, position):
                return ValidationFinding(check: change.check, severity: s,
                                         message: "column \"\(from)\" (field \(position)) was renamed to \"\(to)\" since \(then); update readers of \"\(from)\" or keep the old name",
                                         file: file, column: to, fieldNumber: position, examples: [from])
            case let .retyped(name, from, to, position):
                return ValidationFinding(check: change.check, severity: s,
                                         message: "column \"\(name)\" (field \(position)) changed type from \(from.rawValue) to \(to.rawValue) since \(then)",
                                         file: file, column: name, fieldNumber: position, examples: [from.rawValue, to.rawValue])
            }
        }
    }

    /// The drift as a `schema` validator report (passed when nothing changed).
    public func report(severity: SchemaDriftSeverity, file: String? = nil) -> ValidationReport {
        var counts: [String: Int] = [:]
        for c in changes { counts[c.check, default: 0] += 1 }
        return ValidationReport(validator: "schema", version: SchemaValidator.version, findings: findings(severity: severity, file: file), counts: counts)
    }
}
