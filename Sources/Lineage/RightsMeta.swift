import Foundation
import LineageCore
import Yams

/// A rights meta file (`lineage add data/users.csv --meta users.meta.yaml`) that cannot be read.
/// Names the file, the line and the field, and says what to write instead.
public struct RightsMetaError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based line of the offending key or value, when known.
    public var line: Int?
    /// The field as the meta file names it (`legal-basis`, `consent.scope`); nil for the file as a whole.
    public var field: String?
    public var message: String

    public init(file: String, line: Int?, field: String?, message: String) {
        self.file = file; self.line = line; self.field = field; self.message = message
    }

    /// `users.meta.yaml:4: legal-basis: 'concent' is not a GDPR Art. 6(1) legal basis — did you mean 'consent'? ...`
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += ": "
        if let field { s += "\(field): " }
        return s + message
    }
}

/// A parsed meta file: the facts, and the line each fact was given on (to point warnings at it).
public struct RightsMetaDocument: Equatable, Sendable {
    public var facts: RightsFacts
    /// 1-based line of each field's value.
    public var lines: [RightsField: Int]

    /// `users.meta.yaml:9: retention-until: ...` — an issue of `facts.validate(today:)`, located in the
    /// file. The severity is not repeated: whoever prints it says `warning:` or `error:` once.
    public func locate(_ issue: RightsIssue, file: String) -> String {
        let line = lines[issue.field] ?? lines[parent(issue.field)]
        return "\(file)\(line.map { ":\($0)" } ?? ""): \(issue.field.name): \(issue.message)"
    }

    private func parent(_ f: RightsField) -> RightsField {
        switch f {
        case .sourceName, .sourceIssuer: return .source
        case .consentScope, .consentEvidence, .consentWithdrawnAt, .consentWithdrawalReason, .consentWithdrawalCommit: return .consentStatus
        default: return f
        }
    }
}

/// Reads rights meta files: YAML mappings of the facts of a rights record, keyed as the `add` flags are.
///
/// ```yaml
/// source: https://example.org/survey-2024        # or {url: ..., name: ..., issuer: ...}
/// collected: 2024-01/2024-06
/// method: survey
/// legal-basis: consent
/// art9-condition: explicit-consent
/// consent:                                       # or just `consent: granted`
///   status: granted
///   scope: [training, evaluation]
///   evidence: https://example.org/consent-form-v2.pdf
/// license: CC-BY-4.0
/// pii: [email, name]                             # or "email, name"
/// special-category: [health]
/// retention-until: 2027-12-31
/// steward: data-steward@example.org
/// ```
public enum RightsMeta {
    /// The keys a meta file may have at the top.
    public static let keys = ["source", "collected", "method", "legal-basis", "art9-condition", "consent", "consent-scope", "consent-evidence",
                              "license", "pii", "special-category", "retention-until", "steward"]
    /// The keys of a `source:` mapping.
    public static let sourceKeys = ["url", "name", "issuer"]
    /// The keys of a `consent:` mapping.
    public static let consentKeys = ["status", "scope", "evidence", "withdrawn-at", "withdrawal-reason"]

    /// Reads the meta file at `url`; errors name the file by `url`'s last path component.
    public static func load(contentsOf url: URL) throws -> RightsMetaDocument {
        let name = url.lastPathComponent
        let data: [UInt8]
        do {
            guard let bytes = try BoundedYAML.read(path: url.path) else { throw CocoaError(.fileReadNoPermission) }
            data = bytes
        } catch let e as YAMLLimitError {
            throw RightsMetaError(file: name, line: e.line, field: nil, message: e.message)
        } catch {
            throw RightsMetaError(file: url.path, line: nil, field: nil, message: "cannot be read (\(error.localizedDescription)); check the path given to --meta")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw RightsMetaError(file: name, line: nil, field: nil, message: "is not UTF-8 text; save it as UTF-8 YAML")
        }
        return try parse(text, file: name)
    }

    /// Reads a meta file's text. Unknown keys, wrong shapes and values the vocabularies do not have
    /// are `RightsMetaError`s that name the field and its line. Validation of the facts as a whole
    /// (`RightsFacts.validate(today:)`) is the caller's next step.
    public static func parse(_ text: String, file: String = "meta file") throws -> RightsMetaDocument {
        let root: Node?
        do { root = try BoundedYAML.compose(text) } catch let e as YamlError {
            throw yamlError(e, file: file)
        } catch let e as YAMLLimitError {
            throw RightsMetaError(file: file, line: e.line, field: nil, message: e.message)
        } catch {
            throw RightsMetaError(file: file, line: nil, field: nil, message: "is not valid YAML: \(error)")
        }
        guard let root else {
            throw RightsMetaError(file: file, line: nil, field: nil, message: "is empty; write the facts as `key: value` lines, e.g. `license: CC-BY-4.0`")
        }
        guard case .mapping(let top) = root else {
            throw RightsMetaError(file: file, line: root.mark?.line, field: nil,
                                  message: "must be a mapping of keys to values (e.g. `license: CC-BY-4.0`), not \(RightsMeta.shape(root))")
        }
        var reader = Reader(file: file)
        try reader.read(top)
        return RightsMetaDocument(facts: reader.facts, lines: reader.lines)
    }

    private struct Reader {
        let file: String
        var facts = RightsFacts()
        var lines: [RightsField: Int] = [:]

        func fail(_ node: Node, _ field: String?, _ message: String) -> RightsMetaError {
            RightsMetaError(file: file, line: node.mark?.line, field: field, message: message)
        }

        /// The mapping's entries as (key text, key node, value node); unknown and repeated keys are errors.
        func entries(_ mapping: Node.Mapping, known: [String], prefix: String) throws -> [(String, Node, Node)] {
            var seen: [String: Int] = [:]
            var out: [(String, Node, Node)] = []
            for (k, v) in mapping {
                guard case .scalar(let s) = k else { throw fail(k, nil, "keys must be plain words such as license, not \(RightsMeta.shape(k))") }
                let key = s.string
                let name = prefix + key
                guard known.contains(key) else {
                    let near = Suggest.closest(to: key, among: known, limit: 1, loose: true)
                    let hint = near.isEmpty ? "" : "did you mean '\(prefix + near[0])'? "
                    throw fail(k, name, "unknown key; \(hint)Known keys\(prefix.isEmpty ? "" : " under \(prefix.dropLast())"): \(known.joined(separator: ", "))")
                }
                if let first = seen[key] { throw fail(k, name, "is given twice (first on line \(first)); keep one") }
                seen[key] = k.mark?.line ?? 0
                out.append((key, k, v))
            }
            return out
        }

        /// The text of a scalar value; null and non-scalars are errors.
        func scalar(_ node: Node, _ field: String) throws -> String {
            switch node {
            case .scalar(let s):
                if s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) {
                    throw fail(node, field, "has no value; give one, or remove the line")
                }
                return s.string
            default:
                throw fail(node, field, "expected a single value, not \(RightsMeta.shape(node))")
            }
        }

        /// Items of a list value: a YAML sequence of scalars, or one comma-separated scalar.
        func items(_ node: Node, _ field: String) throws -> [String] {
            switch node {
            case .sequence(let seq):
                return try seq.map { item in
                    guard case .scalar(let s) = item else { throw fail(item, field, "expected a list of words, found \(RightsMeta.shape(item)) in it") }
                    return s.string
                }
            case .scalar(let s):
                if s.style == .plain, ["~", "null", "Null", "NULL"].contains(s.string) {
                    throw fail(node, field, "has no value; give a list such as [email, name], [] for none, or remove the line")
                }
                return s.string.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            default:
                throw fail(node, field, "expected a list such as [email, name], not \(RightsMeta.shape(node))")
            }
        }

        mutating func set(_ field: RightsField, _ node: Node) throws {
            do {
                if field.isList {
                    try facts.set(field, list: try items(node, field.name))
                } else {
                    try facts.set(field, text: try scalar(node, field.name))
                }
                lines[field] = node.mark?.line
            } catch let e as RecordFieldError {
                throw fail(node, e.field.isEmpty ? field.name : e.field, e.message)
            }
        }

        mutating func read(_ top: Node.Mapping) throws {
            let all = try entries(top, known: RightsMeta.keys, prefix: "")
            // Source first, so that its name and issuer have a URL to join.
            for (key, _, value) in all.sorted(by: { ($0.0 == "source" ? 0 : 1) < ($1.0 == "source" ? 0 : 1) }) {
                switch key {
                case "source":
                    if case .mapping(let m) = value {
                        let members = try entries(m, known: RightsMeta.sourceKeys, prefix: "source.")
                        guard let url = members.first(where: { $0.0 == "url" }) else {
                            throw fail(value, "source.url", "missing; a source needs its URL (source: {url: https://..., name: ...})")
                        }
                        try set(.source, url.2)
                        for (k, _, v) in members where k != "url" { try set(k == "name" ? .sourceName : .sourceIssuer, v) }
                    } else {
                        try set(.source, value)
                    }
                case "consent-scope", "consent-evidence":
                    // The flags' flat names (`--consent-scope`) work too; not both spellings at once.
                    let member = key == "consent-scope" ? "scope" : "evidence"
                    if let consent = all.first(where: { $0.0 == "consent" }), case .mapping(let m) = consent.2,
                       m.contains(where: { if case .scalar(let s) = $0.key { return s.string == member } else { return false } }) {
                        throw fail(value, "consent.\(member)", "is given twice (as \(key) and as consent: { \(member): ... }); keep one")
                    }
                    try set(key == "consent-scope" ? .consentScope : .consentEvidence, value)
                case "consent":
                    if case .mapping(let m) = value {
                        for (k, _, v) in try entries(m, known: RightsMeta.consentKeys, prefix: "consent.") {
                            let f: RightsField = ["status": .consentStatus, "scope": .consentScope, "evidence": .consentEvidence,
                                                  "withdrawn-at": .consentWithdrawnAt, "withdrawal-reason": .consentWithdrawalReason][k]!
                            try set(f, v)
                        }
                        if facts.consent == nil { facts.consent = ConsentFacts() }
                    } else {
                        try set(.consentStatus, value)
                    }
                default:
                    try set(RightsField(rawValue: key)!, value)
                }
            }
        }
    }

    private static func shape(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    private static func yamlError(_ e: YamlError, file: String) -> RightsMetaError {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let where_ = context.map { " (\($0.text))" } ?? ""
            return RightsMetaError(file: file, line: mark.line, field: nil, message: "is not valid YAML: \(problem)\(where_)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return RightsMetaError(file: file, line: context.mark.line, field: duplicates.sorted().first,
                                   message: "is given more than once; keep one")
        default:
            return RightsMetaError(file: file, line: nil, field: nil, message: "is not valid YAML: \(e)")
        }
    }
}
