import Foundation
import Lineage
import LineageCore
import Testing

/// Rights meta files (`lineage add --meta users.meta.yaml`): YAML → facts, errors with file, line and field.
@Suite struct RightsMetaTests {
    static let full = """
        # users.meta.yaml
        source:
          url: https://example.org/survey-2024
          name: 2024 customer survey
          issuer: Example Ltd
        collected: 2024-01/2024-06
        method: survey
        legal-basis: consent
        art9-condition: explicit-consent
        consent:
          status: granted
          scope: [training, evaluation]
          evidence: https://example.org/consent/v2.pdf
        license: cc-by-4.0
        pii:
          - email
          - name
        special-category: health
        retention-until: 2030-12-31
        steward: steward@example.org
        """

    static func expectMetaError(_ yaml: String, line: Int?, field: String?, containing text: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try RightsMeta.parse(yaml, file: "users.meta.yaml")
            Issue.record("accepted:\n\(yaml)", sourceLocation: sourceLocation)
        } catch let e as RightsMetaError {
            #expect(e.file == "users.meta.yaml", sourceLocation: sourceLocation)
            #expect(e.line == line, "\(e)", sourceLocation: sourceLocation)
            #expect(e.field == field, "\(e)", sourceLocation: sourceLocation)
            #expect(e.message.contains(text), "\(e)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func fullFile() throws {
        let doc = try RightsMeta.parse(Self.full, file: "users.meta.yaml")
        let f = doc.facts
        #expect(f.source == RightsSource(url: "https://example.org/survey-2024", name: "2024 customer survey", issuer: "Example Ltd"))
        #expect(f.collected?.text == "2024-01/2024-06")
        #expect(f.method == .survey && f.legalBasis == .consent && f.art9Condition == .explicitConsent)
        #expect(f.consent == ConsentFacts(status: .granted, scope: ["training", "evaluation"], evidence: "https://example.org/consent/v2.pdf"))
        #expect(f.license == "CC-BY-4.0")
        #expect(f.pii == ["email", "name"])
        #expect(f.specialCategory == [.health])
        #expect(f.retentionUntil == CalendarDay(iso: "2030-12-31"))
        #expect(f.steward == "steward@example.org")
        #expect(doc.lines[.legalBasis] == 8)
        #expect(doc.lines[.consentScope] == 12)
        #expect(doc.lines[.retentionUntil] == 19)
        #expect(f.validate(today: CalendarDay(iso: "2026-01-01")!) == RightsValidation())
    }

    @Test func shortForms() throws {
        let f = try RightsMeta.parse("""
            source: https://example.org/a
            consent: not-required
            pii: "email, phone"
            special-category: []
            """).facts
        #expect(f.source == RightsSource(url: "https://example.org/a"))
        #expect(f.consent == ConsentFacts(status: .notRequired))
        #expect(f.pii == ["email", "phone"])
        #expect(f.specialCategory == [])
        let withdrawn = try RightsMeta.parse("""
            consent:
              status: withdrawn
              withdrawn-at: 2025-05-01
              withdrawal-reason: data subject asked
            """).facts
        #expect(withdrawn.consent == ConsentFacts(status: .withdrawn, withdrawnAt: CalendarDay(iso: "2025-05-01"), withdrawalReason: "data subject asked"))
    }

    @Test func errorsNameFileLineAndField() {
        Self.expectMetaError("license: MIT\nlegal-basis: concent\n", line: 2, field: "legal-basis", containing: "did you mean 'consent'")
        Self.expectMetaError("licence: MIT\n", line: 1, field: "licence", containing: "did you mean 'license'")
        Self.expectMetaError("legalBasis: consent\n", line: 1, field: "legalBasis", containing: "did you mean 'legal-basis'")
        Self.expectMetaError("retention: 2030-01-01\n", line: 1, field: "retention", containing: "did you mean 'retention-until'")
        Self.expectMetaError("colour: blue\n", line: 1, field: "colour", containing: "Known keys: source, collected")
        Self.expectMetaError("consent:\n  status: granted\n  scopes: [training]\n", line: 3, field: "consent.scopes", containing: "did you mean 'consent.scope'")
        Self.expectMetaError("source:\n  name: x\n", line: 2, field: "source.url", containing: "missing")
        Self.expectMetaError("license: CC-BY-4\n", line: 1, field: "license", containing: "did you mean 'CC-BY-4.0'")
        Self.expectMetaError("collected: 2024-06/2024-01\n", line: 1, field: "collected", containing: "before it starts")
        Self.expectMetaError("retention-until: 31.12.2030\n", line: 1, field: "retention-until", containing: "YYYY-MM-DD")
        Self.expectMetaError("\n\nmethod: [survey]\n", line: 3, field: "method", containing: "expected a single value, not a list")
        Self.expectMetaError("pii: {email: true}\n", line: 1, field: "pii", containing: "expected a list")
        Self.expectMetaError("pii:\n  - email\n  - [name]\n", line: 3, field: "pii", containing: "found a list in it")
        Self.expectMetaError("special-category: [heath]\n", line: 1, field: "special-category", containing: "did you mean 'health'")
        Self.expectMetaError("steward:\n", line: 1, field: "steward", containing: "has no value")
        Self.expectMetaError("consent:\n  status: maybe\n", line: 2, field: "consent.status", containing: "granted, withdrawn, not-required")
        Self.expectMetaError("- license: MIT\n", line: 1, field: nil, containing: "must be a mapping")
        Self.expectMetaError("", line: nil, field: nil, containing: "is empty")
        Self.expectMetaError("license: [MIT\n", line: 2, field: nil, containing: "not valid YAML")
    }

    @Test func duplicateKeysAreErrors() {
        do {
            _ = try RightsMeta.parse("license: MIT\nlicense: CC0-1.0\n", file: "m.yaml")
            Issue.record("accepted a duplicate key")
        } catch let e as RightsMetaError {
            #expect(e.field == "license")
            #expect(e.description.hasPrefix("m.yaml:"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func warningsPointAtTheirLine() throws {
        let doc = try RightsMeta.parse("legal-basis: consent\nspecial-category: [health]\nretention-until: 2020-01-01\n")
        let v = doc.facts.validate(today: CalendarDay(iso: "2026-01-01")!)
        let located = v.warnings.map { doc.locate($0, file: "users.meta.yaml") }
        #expect(located.contains { $0.hasPrefix("users.meta.yaml:3: retention-until: 2020-01-01 has already passed") })
        #expect(located.contains { $0.hasPrefix("users.meta.yaml: art9-condition:") })
    }

    @Test func loadReadsAFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meta-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("users.meta.yaml")
        try Data(Self.full.utf8).write(to: file)
        #expect(try RightsMeta.load(contentsOf: file).facts.license == "CC-BY-4.0")
        #expect(throws: RightsMetaError.self) { try RightsMeta.load(contentsOf: dir.appendingPathComponent("missing.yaml")) }
    }

    /// The flags' flat names work in a meta file too (`consent-scope:` as `--consent-scope`).
    @Test func flagNamesWorkAsKeys() throws {
        let doc = try RightsMeta.parse("consent: granted\nconsent-scope: [training]\nconsent-evidence: https://example.org/c.pdf\nlicense: CC0-1.0\n",
                                       file: "users.meta.yaml")
        #expect(doc.facts.consent?.status == .granted)
        #expect(doc.facts.consent?.scope == ["training"])
        #expect(doc.facts.consent?.evidence == "https://example.org/c.pdf")
        Self.expectMetaError("consent:\n  status: granted\n  scope: [training]\nconsent-scope: [evaluation]\n", line: 4, field: "consent.scope",
                             containing: "given twice")
    }
}
