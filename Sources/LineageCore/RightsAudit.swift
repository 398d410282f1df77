import Foundation

/// The kinds of problem `lineage audit` reports. The raw values are stable: scripts and CI match them.
public enum AuditCode: String, Codable, Sendable, CaseIterable {
    /// The artifact's own consent was withdrawn (on or before the audit date).
    case consentWithdrawn = "consent-withdrawn"
    /// Consent was withdrawn for data upstream of the artifact.
    case upstreamConsentWithdrawn = "upstream-consent-withdrawn"
    /// The consent scope (own or inherited) does not cover the declared use.
    case consentScopeExcludesUse = "consent-scope-excludes-use"
    /// The retention date (own or inherited) is before the audit date.
    case retentionPassed = "retention-passed"
    /// A licence (own or inherited) forbids the declared use.
    case licenceIncompatibleWithUse = "licence-incompatible-with-use"
    /// lineage cannot tell whether a licence allows the declared use (a warning).
    case licenceUnclearForUse = "licence-unclear-for-use"
    /// The licences that apply have terms that cannot all be met (a warning).
    case licenceConflict = "licence-conflict"
    /// The artifact, or a source it rests on, has no rights record.
    case inputWithoutRights = "input-without-rights"
    /// The PII scanner found personal data the rights do not declare.
    case undeclaredPII = "undeclared-pii"
}

/// One problem with one artifact.
public struct AuditFinding: Equatable, Sendable, Codable {
    public var code: AuditCode
    public var severity: RightsIssue.Severity
    /// A sentence that says what is wrong and what to do.
    public var message: String
    /// The upstream artifact the finding is about (nil: the artifact itself), with the inputs it came through.
    public var origin: FactOrigin
    /// The commit that recorded the fact (a consent withdrawal), when known.
    public var commit: String?
    /// The date that matters (withdrawal, retention), when there is one.
    public var date: CalendarDay?

    public init(code: AuditCode, severity: RightsIssue.Severity, message: String, origin: FactOrigin = .own,
                commit: String? = nil, date: CalendarDay? = nil) {
        self.code = code; self.severity = severity; self.message = message; self.origin = origin
        self.commit = commit; self.date = date
    }
}

/// One artifact in the audit, with its findings (possibly none).
public struct AuditEntry: Equatable, Sendable, Codable {
    public var path: String
    public var sha256: Digest
    public var kind: ArtifactKind
    public var findings: [AuditFinding]
    /// The tombstone of this version when it was erased (`lineage erase`): its bytes are gone, so
    /// nothing asks to erase it.
    public var erased: ErasureRecord? = nil
    /// For `audit --erase-derived`: true when it was built from an erased or withdrawn version.
    public var derivedFromErased: Bool? = nil

    public init(path: String, sha256: Digest, kind: ArtifactKind, findings: [AuditFinding]) {
        self.path = path; self.sha256 = sha256; self.kind = kind; self.findings = findings
    }

    public var artifact: ArtifactRef { ArtifactRef(path: path, sha256: sha256) }
}

/// The answer to `lineage audit`: every artifact, models first, with its findings.
public struct AuditReport: Equatable, Sendable, Codable {
    /// The date the rights were evaluated as of (`--at`).
    public var at: CalendarDay
    /// The declared use (`--use`), if any.
    public var use: DataUse?
    public var entries: [AuditEntry]

    public init(at: CalendarDay, use: DataUse?, entries: [AuditEntry]) {
        self.at = at; self.use = use; self.entries = entries
    }

    /// All findings, of every artifact.
    public var findingCount: Int { entries.reduce(0) { $0 + $1.findings.count } }
    /// Findings of severity error.
    public var errorCount: Int { entries.reduce(0) { $0 + $1.findings.filter { $0.severity == .error }.count } }
    /// `audit` exits 1 when this is true.
    public var hasFindings: Bool { findingCount > 0 }
}

/// Audits effective rights against a declared use and a date.
public enum RightsAudit {
    /// The order `audit` lists kinds in: models first (what ships), then the data they rest on.
    public static let kindOrder: [ArtifactKind] = [.model, .dataset, .report, .other, .environment, .code]

    /// Findings for every artifact in `artifacts` as of `at`, for `use` when given.
    ///
    /// - A consent withdrawal counts only when it took effect on or before `at` (or has no date).
    /// - Retention has passed when `at` is after the retention day; a retention date on or after `at` does not count.
    /// - Scope and licence findings need a `use`; licence conflicts are reported regardless.
    /// - `detectedPII` maps an artifact to the personal-data categories a scanner found in it; a category
    ///   its effective rights do not list (own or inherited) is `undeclared-pii`.
    public static func run(_ artifacts: [EffectiveRights], use: DataUse?, at: CalendarDay,
                           detectedPII: [ArtifactRef: [String]] = [:]) -> AuditReport {
        var entries: [AuditEntry] = []
        var seen = Set<ArtifactRef>()
        for e in artifacts where seen.insert(e.subject).inserted {
            entries.append(AuditEntry(path: e.subject.path, sha256: e.subject.sha256, kind: e.kind,
                                      findings: findings(e, use: use, at: at, detectedPII: detectedPII[e.subject] ?? [])))
        }
        entries.sort { a, b in
            let (x, y) = (rank(a.kind), rank(b.kind))
            if x != y { return x < y }
            return a.artifact < b.artifact
        }
        return AuditReport(at: at, use: use, entries: entries)
    }

    static func rank(_ kind: ArtifactKind) -> Int { kindOrder.firstIndex(of: kind) ?? kindOrder.count }

    /// The findings of one artifact, in a fixed order: consent, retention, licence, missing records, PII.
    public static func findings(_ e: EffectiveRights, use: DataUse?, at: CalendarDay, detectedPII: [String] = []) -> [AuditFinding] {
        var out: [AuditFinding] = []
        let me = e.subject

        for w in e.withdrawals where w.isEffective(on: at) {
            let when = w.withdrawnAt.map { " on \($0)" } ?? " (date not recorded)"
            let commit = w.commit.map { " in commit \($0.prefix(12))" } ?? ""
            let reason = w.reason.map { " (\($0))" } ?? ""
            if let from = w.origin.from {
                let via = w.origin.via.isEmpty ? "" : " via \(w.origin.via.map(\.description).joined(separator: ", "))"
                out.append(AuditFinding(
                    code: .upstreamConsentWithdrawn, severity: .error,
                    message: "consent for \(from) was withdrawn\(when)\(commit)\(reason); \(me) was built from it\(via) — rebuild it without that data, or erase it",
                    origin: w.origin, commit: w.commit, date: w.withdrawnAt))
            } else {
                out.append(AuditFinding(
                    code: .consentWithdrawn, severity: .error,
                    message: "consent for \(me) was withdrawn\(when)\(commit)\(reason) — stop using the data and erase it (`lineage erase \(me.path)`)",
                    origin: .own, commit: w.commit, date: w.withdrawnAt))
            }
        }

        if let use, let scope = e.consentScope, !use.isCovered(by: scope) {
            let narrowing = e.consentScopes.filter { !use.isCovered(by: $0.value) }
            for s in narrowing.isEmpty ? e.consentScopes : narrowing {
                let whose = s.origin.isOwn ? "\(me)'s consent" : "consent for \(s.origin.from!)"
                let scopeText = s.value.isEmpty ? "no use" : s.value.joined(separator: ", ")
                out.append(AuditFinding(
                    code: .consentScopeExcludesUse, severity: .error,
                    message: "\(whose) covers \(scopeText), not \(use.rawValue)\(s.origin.isOwn ? "" : " (\(s.origin))") — do not use \(me) for \(use.rawValue), or record a consent scope that covers it if the consent evidence does",
                    origin: s.origin))
            }
        }

        if let r = e.retentionUntil, r.value < at {
            let whose = r.origin.isOwn ? "\(me)" : "\(r.origin.from!) (\(r.origin))"
            out.append(AuditFinding(
                code: .retentionPassed, severity: .error,
                message: "the retention period of \(whose) ended on \(r.value) — erase \(r.origin.isOwn ? "it" : "the data and what was built from it") (`lineage erase`), or record an extended retention date",
                origin: r.origin, date: r.value))
        }

        if let use {
            if e.licences.isEmpty {
                out.append(AuditFinding(
                    code: .licenceUnclearForUse, severity: .warning,
                    message: "no licence is recorded for \(me) or its inputs, so lineage cannot tell whether \(use.rawValue) use is allowed — record one with `lineage rights set <path> --license SPDX-ID`"))
            }
            for l in e.licences {
                let whose = l.origin.isOwn ? "" : " (\(l.origin))"
                switch Licences.permits(l.value, use: use) {
                case .permitted: break
                case .forbidden(let why):
                    out.append(AuditFinding(
                        code: .licenceIncompatibleWithUse, severity: .error,
                        message: "\(why)\(whose), not \(use.rawValue) use — do not use \(me) for \(use.rawValue), or obtain other terms",
                        origin: l.origin))
                case .unclear(let why):
                    out.append(AuditFinding(code: .licenceUnclearForUse, severity: .warning, message: "\(why)\(whose)", origin: l.origin))
                }
            }
        }
        for c in e.licenceTerms.conflicts {
            out.append(AuditFinding(code: .licenceConflict, severity: .warning,
                                    message: "\(c) — check before sharing \(me)"))
        }

        for u in e.unrecorded {
            if u.isOwn {
                out.append(AuditFinding(
                    code: .inputWithoutRights, severity: .error,
                    message: "\(me) has no rights record (source, licence, consent) — record them with `lineage rights set \(me.path) --source URL --license SPDX-ID ...`"))
            } else {
                out.append(AuditFinding(
                    code: .inputWithoutRights, severity: .error,
                    message: "\(me) rests on \(u.from!), which has no rights record\(u.via.isEmpty ? "" : " (via \(u.via.map(\.description).joined(separator: ", ")))") — record them with `lineage rights set \(u.from!.path) ...`",
                    origin: u))
            }
        }

        let declared = Set(e.pii.map(\.value))
        let undeclared = Array(Set(detectedPII).subtracting(declared)).sorted()
        if !undeclared.isEmpty {
            let all = (Array(declared) + undeclared).sorted().joined(separator: ",")
            out.append(AuditFinding(
                code: .undeclaredPII, severity: .error,
                message: "the PII scan found \(undeclared.joined(separator: ", ")) in \(me), which its rights do not declare — declare it (`lineage rights set \(me.path) --pii \(all)`) or remove it from the data"))
        }
        return out
    }
}
