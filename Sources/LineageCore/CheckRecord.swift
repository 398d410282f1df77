import Foundation

/// A validator's result on artifact versions, recorded in the commit it gated (schema
/// `Schemas/check.schema.json`), at `.lineage/checks/<xx>/<id>.json`.
///
/// The id is the SHA-256 of what was checked — validator, its version, the hook's configuration
/// and the artifact versions (with the previous versions compared against) — so the same check of
/// the same bytes under the same configuration has the same id in every commit, and a later commit
/// whose tree already holds that record need not run it again.
public struct CheckRecord: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public static let directory = "checks"

    public struct Artifact: Codable, Sendable, Equatable, Hashable {
        public var path: String
        public var sha256: Digest
        /// The role the artifact played: `checked`, a split name (`train`, `test`), or `previous`.
        public var role: String
        public init(path: String, sha256: Digest, role: String = "checked") { self.path = path; self.sha256 = sha256; self.role = role }
    }

    /// One kind of finding, counted, with its first row numbers (values are never recorded).
    public struct Finding: Codable, Sendable, Equatable {
        public var check: String
        public var severity: String
        public var message: String
        public var file: String?
        public var column: String?
        public var rows: [Int]
        public var count: Int
        public init(check: String, severity: String, message: String, file: String? = nil, column: String? = nil, rows: [Int] = [], count: Int) {
            self.check = check; self.severity = severity; self.message = message; self.file = file
            self.column = column; self.rows = rows; self.count = count
        }
    }

    public enum Outcome: String, Codable, Sendable { case passed, warned, failed, skipped }

    public var type: String = "lineage.check"
    public var version: Int = CheckRecord.currentVersion
    /// `schema`, `leakage`, `quality`, `pii`, `consent`, `command`, or `*` for a `--no-verify` record.
    public var validator: String
    public var validatorVersion: String
    /// The hook stage: `pre-commit`.
    public var hook: String
    /// SHA-256 of the hook's entry in lineage.yaml as canonical JSON (plus, for command hooks, the program's bytes).
    public var configDigest: Digest
    public var artifacts: [Artifact]
    public var outcome: Outcome
    public var counts: [String: Int]
    public var findings: [Finding]
    /// RFC 3339 UTC time the check ran.
    public var checkedAt: String
    /// Who skipped the checks (`Name <email>`), on `--no-verify` records only.
    public var skippedBy: String?

    public init(validator: String, validatorVersion: String, hook: String = "pre-commit", configDigest: Digest, artifacts: [Artifact],
                outcome: Outcome, counts: [String: Int] = [:], findings: [Finding] = [], checkedAt: String, skippedBy: String? = nil) {
        self.validator = validator; self.validatorVersion = validatorVersion; self.hook = hook; self.configDigest = configDigest
        self.artifacts = artifacts; self.outcome = outcome; self.counts = counts; self.findings = findings
        self.checkedAt = checkedAt; self.skippedBy = skippedBy
    }

    /// The identity of what was checked (not of when or with what result): equal ids = same check of the same bytes.
    public static func id(validator: String, validatorVersion: String, hook: String, configDigest: Digest, artifacts: [Artifact]) -> Digest {
        var text = "lineage.check\n\(validator)\n\(validatorVersion)\n\(hook)\n\(configDigest.hex)\n"
        for a in artifacts.sorted(by: { ($0.role, $0.path, $0.sha256.hex) < ($1.role, $1.path, $1.sha256.hex) }) {
            text += "\(a.role) \(a.sha256.hex) \(a.path)\n"
        }
        return Digest.of(Array(text.utf8))
    }

    public var id: Digest {
        CheckRecord.id(validator: validator, validatorVersion: validatorVersion, hook: hook, configDigest: configDigest, artifacts: artifacts)
    }

    /// Path of a check record below the records directory.
    public static func recordPath(_ id: Digest) -> String { "\(directory)/\(id.hex.prefix(2))/\(id.hex).json" }

    public func encoded() throws -> [UInt8] { try CanonicalJSON.encode(self) }

    public static func decode(_ bytes: [UInt8]) throws -> CheckRecord {
        let r = try CanonicalJSON.decode(CheckRecord.self, from: bytes)
        guard r.type == "lineage.check" else { throw CoreError.malformedRecord("not a check record (type \(r.type))") }
        guard r.version <= currentVersion else {
            throw CoreError.malformedRecord("check record version \(r.version) is newer than this lineage understands; upgrade lineage")
        }
        return r
    }
}

/// Glob patterns over repository paths, as lineage.yaml writes them: `*` and `?` within one path
/// component, `**` across components, `[abc]` sets; a pattern naming a directory also matches
/// every file below it.
public struct PathGlob: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    private let parts: [String]

    public init(_ pattern: String) {
        var p = pattern
        while p.hasPrefix("./") { p.removeFirst(2) }
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        self.pattern = p
        parts = p.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    public var description: String { pattern }

    /// True when the pattern has no wildcard (names one file or directory).
    public var isLiteral: Bool { !pattern.contains(where: { "*?[".contains($0) }) }

    public func matches(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        // A literal directory pattern matches what is below it.
        if isLiteral { return path.isPath(within: pattern) }
        return match(parts[...], components[...]) || matchPrefix(components)
    }

    /// A pattern matching a directory (`data/*` against `data/x/y.csv`) covers the files below it.
    private func matchPrefix(_ components: [String]) -> Bool {
        guard components.count > 1 else { return false }
        for n in stride(from: components.count - 1, through: 1, by: -1) where match(parts[...], components[..<n]) { return true }
        return false
    }

    private func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            var p = path
            while true {
                if match(rest, p) { return true }
                if p.isEmpty { return false }
                p = p.dropFirst()
            }
        }
        guard let component = path.first, PathGlob.component(Array(first.unicodeScalars)[...], Array(component.unicodeScalars)[...]) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    private static func component(_ p: ArraySlice<Unicode.Scalar>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let c = p.first else { return s.isEmpty }
        switch c {
        case "*":
            var rest = s
            while true {
                if component(p.dropFirst(), rest) { return true }
                if rest.isEmpty { return false }
                rest = rest.dropFirst()
            }
        case "?":
            return !s.isEmpty && component(p.dropFirst(), s.dropFirst())
        case "[":
            guard let close = p.dropFirst().firstIndex(of: "]"), let ch = s.first else { return false }
            var set = p[(p.startIndex + 1)..<close]
            let negate = set.first == "!" || set.first == "^"
            if negate { set = set.dropFirst() }
            var hit = false
            var i = set.startIndex
            while i < set.endIndex {
                if i + 2 < set.endIndex, set[i + 1] == "-" {
                    if set[i].value <= ch.value && ch.value <= set[i + 2].value { hit = true }
                    i += 3
                } else {
                    if set[i] == ch { hit = true }
                    i += 1
                }
            }
            return hit != negate && component(p[(close + 1)...], s.dropFirst())
        default:
            return s.first == c && component(p.dropFirst(), s.dropFirst())
        }
    }
}
