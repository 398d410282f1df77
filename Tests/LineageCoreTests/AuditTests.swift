import Foundation
import LineageCore
import Testing

/// `lineage audit`'s findings from effective rights, a declared use and a date.
@Suite struct AuditTests {
    static func ref(_ path: String) -> ArtifactRef { ArtifactRef(path: path, sha256: Digest.of(Data(path.utf8))) }
    static func day(_ s: String) -> CalendarDay { CalendarDay(iso: s)! }
    static let commit = String(repeating: "d", count: 40)

    static let users = ref("data/users.csv"), clicks = ref("data/clicks.csv"), raw = ref("data/raw.bin")
    static let features = ref("data/features.csv"), model = ref("models/model.bin"), code = ref("train.py"), report = ref("reports/r.html")

    /// users (granted training+evaluation, CC-BY-4.0, retention 2027), clicks (withdrawn 2026-03-01, CC-BY-NC-4.0,
    /// scope research, retention 2026-06-30), raw (no record) → features → model (+ train.py).
    static func artifacts() -> [EffectiveRights] {
        let u = EffectiveRights.compute(subject: users, kind: .dataset, own: RightsFacts(
            legalBasis: .consent, consent: ConsentFacts(status: .granted, scope: ["training", "evaluation"]), license: "CC-BY-4.0",
            pii: ["email"], retentionUntil: day("2027-01-01")), inputs: [])
        let c = EffectiveRights.compute(subject: clicks, kind: .dataset, own: RightsFacts(
            consent: ConsentFacts(status: .withdrawn, scope: ["research", "training"], withdrawnAt: day("2026-03-01"),
                                  withdrawalReason: "user request", withdrawalCommit: commit),
            license: "CC-BY-NC-4.0", pii: ["ip-address"], retentionUntil: day("2026-06-30")), inputs: [])
        let r = EffectiveRights.compute(subject: raw, kind: .dataset, own: nil, inputs: [])
        let py = EffectiveRights.compute(subject: code, kind: .code, own: nil, inputs: [])
        let f = EffectiveRights.compute(subject: features, kind: .dataset, own: nil, inputs: [u, c])
        let m = EffectiveRights.compute(subject: model, kind: .model, own: nil, inputs: [f, r, py])
        let rep = EffectiveRights.compute(subject: report, kind: .report, own: RightsFacts(license: "CC0-1.0"), inputs: [])
        return [py, u, c, r, f, rep, m]
    }

    func codes(_ report: AuditReport, _ artifact: ArtifactRef) -> [AuditCode] {
        report.entries.first { $0.artifact == artifact }!.findings.map(\.code)
    }

    @Test func modelsFirstThenDataThenCode() {
        let report = RightsAudit.run(Self.artifacts(), use: nil, at: Self.day("2026-01-01"))
        #expect(report.entries.map(\.path) == ["models/model.bin", "data/clicks.csv", "data/features.csv", "data/raw.bin", "data/users.csv",
                                               "reports/r.html", "train.py"])
        #expect(report.entries.map(\.kind) == [.model, .dataset, .dataset, .dataset, .dataset, .report, .code])
        // Every artifact is listed, with or without findings.
        #expect(codes(report, Self.users).isEmpty && codes(report, Self.code).isEmpty && codes(report, Self.report).isEmpty)
        // Duplicates are listed once.
        #expect(RightsAudit.run(Self.artifacts() + Self.artifacts(), use: nil, at: Self.day("2026-01-01")).entries.count == 7)
    }

    @Test func withdrawalsCountOnlyOnceEffective() throws {
        let before = RightsAudit.run(Self.artifacts(), use: nil, at: Self.day("2026-02-28"))
        #expect(!codes(before, Self.model).contains(.upstreamConsentWithdrawn))
        #expect(!codes(before, Self.clicks).contains(.consentWithdrawn))

        for at in ["2026-03-01", "2026-04-01"] {
            let after = RightsAudit.run(Self.artifacts(), use: nil, at: Self.day(at))
            #expect(codes(after, Self.clicks).contains(.consentWithdrawn))
            let finding = try #require(after.entries.first { $0.artifact == Self.model }!.findings.first { $0.code == .upstreamConsentWithdrawn })
            #expect(finding.commit == Self.commit)
            #expect(finding.date == Self.day("2026-03-01"))
            #expect(finding.origin == FactOrigin(from: Self.clicks, via: [Self.features]))
            #expect(finding.severity == .error)
            #expect(finding.message.hasPrefix("consent for \(Self.clicks) was withdrawn on 2026-03-01 in commit dddddddddddd (user request); \(Self.model) was built from it via \(Self.features)"))
            #expect(codes(after, Self.features).contains(.upstreamConsentWithdrawn))
            #expect(!codes(after, Self.users).contains(.upstreamConsentWithdrawn))
        }
        // A withdrawal without a date counts on every date.
        let undated = EffectiveRights.compute(subject: Self.users, kind: .dataset,
                                              own: RightsFacts(consent: ConsentFacts(status: .withdrawn)), inputs: [])
        #expect(RightsAudit.findings(undated, use: nil, at: Self.day("1999-01-01")).map(\.code) == [.consentWithdrawn])
    }

    @Test func retentionPassedOnlyAfterTheDate() throws {
        let onTheDay = RightsAudit.run(Self.artifacts(), use: nil, at: Self.day("2026-06-30"))
        #expect(!codes(onTheDay, Self.clicks).contains(.retentionPassed))
        #expect(!codes(onTheDay, Self.model).contains(.retentionPassed))
        let after = RightsAudit.run(Self.artifacts(), use: nil, at: Self.day("2026-07-01"))
        #expect(codes(after, Self.clicks).contains(.retentionPassed))
        let m = try #require(after.entries.first { $0.artifact == Self.model }!.findings.first { $0.code == .retentionPassed })
        #expect(m.date == Self.day("2026-06-30"))
        #expect(m.message.contains("the retention period of \(Self.clicks)"))
        #expect(!codes(after, Self.users).contains(.retentionPassed))  // 2027 is in the future
    }

    @Test func scopeAndLicenceAgainstTheUse() throws {
        let at = Self.day("2026-01-01")
        // Commercial: the NC licence upstream forbids it; scope (training ∩ {research, training}) excludes it.
        let commercial = RightsAudit.run(Self.artifacts(), use: .commercial, at: at)
        let m = commercial.entries.first { $0.artifact == Self.model }!.findings
        let licence = try #require(m.first { $0.code == .licenceIncompatibleWithUse })
        #expect(licence.origin == FactOrigin(from: Self.clicks, via: [Self.features]))
        #expect(licence.message.hasPrefix("CC-BY-NC-4.0 allows non-commercial use only (inherited from \(Self.clicks) via \(Self.features)), not commercial use"))
        let scopes = m.filter { $0.code == .consentScopeExcludesUse }
        #expect(scopes.count == 2)  // both upstream scopes leave commercial out
        #expect(scopes.allSatisfy { $0.message.contains("not commercial") })
        #expect(codes(commercial, Self.users).contains(.consentScopeExcludesUse))
        #expect(!codes(commercial, Self.users).contains(.licenceIncompatibleWithUse))
        #expect(!codes(commercial, Self.report).contains(.licenceIncompatibleWithUse))

        // Training: covered by both scopes, allowed by both licences.
        let training = RightsAudit.run(Self.artifacts(), use: .training, at: at)
        #expect(!codes(training, Self.model).contains(.consentScopeExcludesUse))
        #expect(!codes(training, Self.model).contains(.licenceIncompatibleWithUse))
        // Fine-tuning is a kind of training.
        #expect(!codes(RightsAudit.run(Self.artifacts(), use: .fineTuning, at: at), Self.model).contains(.consentScopeExcludesUse))

        // Evaluation: users allows it, clicks does not; only clicks' scope is named.
        let evaluation = RightsAudit.run(Self.artifacts(), use: .evaluation, at: at)
        let eval = evaluation.entries.first { $0.artifact == Self.model }!.findings.filter { $0.code == .consentScopeExcludesUse }
        #expect(eval.map(\.origin) == [FactOrigin(from: Self.clicks, via: [Self.features])])
        #expect(eval[0].message.hasPrefix("consent for \(Self.clicks) covers research, training, not evaluation"))

        // No use declared: no scope or licence findings.
        let plain = RightsAudit.run(Self.artifacts(), use: nil, at: at)
        #expect(!plain.entries.flatMap(\.findings).contains { [.consentScopeExcludesUse, .licenceIncompatibleWithUse, .licenceUnclearForUse].contains($0.code) })
    }

    @Test func unclearAndConflictingLicencesAreWarnings() {
        let at = Self.day("2026-01-01")
        let nd = EffectiveRights.compute(subject: Self.ref("d/nd.csv"), kind: .dataset, own: RightsFacts(license: "CC-BY-ND-4.0"), inputs: [])
        let sa = EffectiveRights.compute(subject: Self.ref("d/sa.csv"), kind: .dataset, own: RightsFacts(license: "CC-BY-SA-4.0"), inputs: [])
        let none = EffectiveRights.compute(subject: Self.ref("d/none.csv"), kind: .dataset, own: RightsFacts(pii: []), inputs: [])
        let m = EffectiveRights.compute(subject: Self.ref("m.bin"), kind: .model, own: nil, inputs: [nd, sa])
        let f = RightsAudit.findings(m, use: .training, at: at)
        #expect(f.map(\.code) == [.licenceUnclearForUse, .licenceConflict])
        #expect(f.allSatisfy { $0.severity == .warning })
        #expect(RightsAudit.findings(none, use: .research, at: at).map(\.code) == [.licenceUnclearForUse])
        #expect(RightsAudit.findings(none, use: nil, at: at).isEmpty)
        let report = RightsAudit.run([m], use: .training, at: at)
        #expect(report.hasFindings && report.findingCount == 2 && report.errorCount == 0)
    }

    @Test func inputsWithoutRights() {
        let report = RightsAudit.run(Self.artifacts(), use: nil, at: Self.day("2026-01-01"))
        let raw = report.entries.first { $0.artifact == Self.raw }!.findings
        #expect(raw.map(\.code) == [.inputWithoutRights])
        #expect(raw[0].origin == .own)
        #expect(raw[0].message.contains("lineage rights set data/raw.bin"))
        let m = report.entries.first { $0.artifact == Self.model }!.findings.filter { $0.code == .inputWithoutRights }
        #expect(m.map(\.origin) == [FactOrigin(from: Self.raw)])
        #expect(m[0].message.hasPrefix("\(Self.model) rests on \(Self.raw), which has no rights record"))
        // Code needs no rights record; a derived artifact without one inherits.
        #expect(!codes(report, Self.code).contains(.inputWithoutRights))
        #expect(!codes(report, Self.features).contains(.inputWithoutRights))
    }

    @Test func undeclaredPersonalData() {
        let at = Self.day("2026-01-01")
        let report = RightsAudit.run(Self.artifacts(), use: nil, at: at, detectedPII: [
            Self.users: ["email", "phone"],          // email declared, phone not
            Self.features: ["ip-address", "email"],  // both inherited: declared
            Self.raw: ["name"],                      // nothing declared
        ])
        let users = report.entries.first { $0.artifact == Self.users }!.findings
        #expect(users.map(\.code) == [.undeclaredPII])
        #expect(users[0].message.contains("found phone in \(Self.users)"))
        #expect(users[0].message.contains("--pii email,phone"))
        #expect(!codes(report, Self.features).contains(.undeclaredPII))
        #expect(codes(report, Self.raw) == [.inputWithoutRights, .undeclaredPII])
    }

    @Test func reportEncodesStableCodes() throws {
        let report = RightsAudit.run(Self.artifacts(), use: .commercial, at: Self.day("2026-07-01"))
        let text = String(decoding: try CanonicalJSON.encode(report), as: UTF8.self)
        #expect(text.contains("\"at\":\"2026-07-01\""))
        #expect(text.contains("\"use\":\"commercial\""))
        for code in ["upstream-consent-withdrawn", "consent-withdrawn", "retention-passed", "licence-incompatible-with-use",
                     "consent-scope-excludes-use", "input-without-rights"] {
            #expect(text.contains("\"code\":\"\(code)\""), "\(code)")
        }
        #expect(try CanonicalJSON.decode(AuditReport.self, from: Array(text.utf8)) == report)
        #expect(AuditCode.allCases.count == 9)
        #expect(report.errorCount > 0)
    }
}
