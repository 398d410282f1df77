import Foundation
import LineageCore
import Testing

/// Rights records: canonical JSON, strict reading, facts from flags, validation, updates.
@Suite struct RightsTests {
    static let digest = Digest.of(Data("users".utf8))
    static func day(_ s: String) -> CalendarDay { CalendarDay(iso: s)! }

    static func fullFacts() throws -> RightsFacts {
        RightsFacts(
            source: RightsSource(url: "https://example.org/survey-2024", name: "2024 customer survey", issuer: "Example Ltd"),
            collected: try CollectionPeriod("2024-01/2024-06"), method: .survey, legalBasis: .consent,
            art9Condition: .explicitConsent,
            consent: ConsentFacts(status: .granted, scope: ["training", "evaluation"], evidence: "https://example.org/consent/v2.pdf"),
            license: "CC-BY-4.0", pii: ["email", "name"], specialCategory: [.health],
            retentionUntil: day("2030-12-31"), steward: "steward@example.org")
    }

    static func full() throws -> RightsRecord {
        RightsRecord(path: "data/users.csv", sha256: digest, facts: try fullFacts())
    }

    static func expectFieldError(_ field: String, containing text: String? = nil, _ body: () throws -> Void,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected an error for \(field)", sourceLocation: sourceLocation)
        } catch let e as RecordFieldError {
            #expect(e.field == field, "\(e)", sourceLocation: sourceLocation)
            if let text { #expect(e.message.contains(text), "\(e)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Encoding

    @Test func roundTripAndCanonicalBytes() throws {
        for record in [try Self.full(), RightsRecord(path: "data/x.csv", sha256: Self.digest)] {
            let bytes = try record.encoded()
            #expect(try RightsRecord.decode(bytes) == record)
            #expect(try RightsRecord.decode(bytes).encoded() == bytes)
            #expect(try CanonicalJSON.decode(RightsRecord.self, from: bytes) == record)
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains("null") && !text.contains("\n") && !text.contains("\\/"))
        }
        let minimal = String(decoding: try RightsRecord(path: "data/x.csv", sha256: Self.digest).encoded(), as: UTF8.self)
        #expect(minimal == "{\"path\":\"data/x.csv\",\"sha256\":\"\(Self.digest.prefixed)\",\"type\":\"lineage.rights\",\"version\":1}")
        let text = String(decoding: try Self.full().encoded(), as: UTF8.self)
        #expect(text.hasPrefix("{\"art9Condition\":\"explicit-consent\",\"collected\":\"2024-01/2024-06\",\"consent\":{\"evidence\":"))
        #expect(text.contains("\"retentionUntil\":\"2030-12-31\""))
        #expect(text.contains("\"specialCategory\":[\"health\"]"))
        #expect(text.contains("\"source\":{\"issuer\":\"Example Ltd\",\"name\":\"2024 customer survey\",\"url\":\"https://example.org/survey-2024\"}"))
    }

    @Test func dynamicMembersReadTheFacts() throws {
        var r = try Self.full()
        #expect(r.license == "CC-BY-4.0")
        r.license = "MIT"
        #expect(r.facts.license == "MIT")
        #expect(r.consent?.scope == ["training", "evaluation"])
    }

    // MARK: Strict reading

    func mutated(_ change: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var object = try JSONSerialization.jsonObject(with: Data(try Self.full().encoded())) as! [String: Any]
        change(&object)
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    @Test func decodeNamesTheBadField() throws {
        Self.expectFieldError("consent.scope", containing: "expected an array of strings") {
            _ = try RightsRecord.decode(try mutated { o in
                var c = o["consent"] as! [String: Any]; c["scope"] = "training"; o["consent"] = c
            })
        }
        Self.expectFieldError("consent.scope", containing: "expected an array of strings") {
            _ = try RightsRecord.decode(try mutated { o in
                var c = o["consent"] as! [String: Any]; c["scope"] = ["training", 3]; o["consent"] = c
            })
        }
        Self.expectFieldError("pii", containing: "expected an array of strings") {
            _ = try RightsRecord.decode(try mutated { $0["pii"] = ["email": true] })
        }
        Self.expectFieldError("consent.statuss", containing: "did you mean 'status'") {
            _ = try RightsRecord.decode(try mutated { o in
                var c = o["consent"] as! [String: Any]; c["statuss"] = "granted"; o["consent"] = c
            })
        }
        Self.expectFieldError("licence", containing: "did you mean 'license'") {
            _ = try RightsRecord.decode(try mutated { $0["licence"] = "MIT" })
        }
        Self.expectFieldError("legalBasis", containing: "legitimate-interests") {
            _ = try RightsRecord.decode(try mutated { $0["legalBasis"] = "legitimate interest" })
        }
        Self.expectFieldError("license", containing: "expected a string, found a number") {
            _ = try RightsRecord.decode(try mutated { $0["license"] = 4 })
        }
        Self.expectFieldError("steward", containing: "null") {
            _ = try RightsRecord.decode(try mutated { $0["steward"] = NSNull() })
        }
        Self.expectFieldError("retentionUntil", containing: "not a date that exists") {
            _ = try RightsRecord.decode(try mutated { $0["retentionUntil"] = "2030-02-30" })
        }
        Self.expectFieldError("collected", containing: "month 13") {
            _ = try RightsRecord.decode(try mutated { $0["collected"] = "2024-13/2025-01" })
        }
        Self.expectFieldError("source", containing: "expected an object") {
            _ = try RightsRecord.decode(try mutated { $0["source"] = "https://example.org" })
        }
        Self.expectFieldError("source.url", containing: "missing") {
            _ = try RightsRecord.decode(try mutated { $0["source"] = ["name": "x"] })
        }
        Self.expectFieldError("specialCategory", containing: "did you mean 'biometric'") {
            _ = try RightsRecord.decode(try mutated { $0["specialCategory"] = ["biometrics"] })
        }
        Self.expectFieldError("sha256", containing: "sha256:") {
            _ = try RightsRecord.decode(try mutated { $0["sha256"] = Self.digest.hex })
        }
        Self.expectFieldError("version", containing: "upgrade lineage") {
            _ = try RightsRecord.decode(try mutated { $0["version"] = 2 })
        }
        Self.expectFieldError("version", containing: "expected an integer") {
            _ = try RightsRecord.decode(try mutated { $0["version"] = "1" })
        }
        Self.expectFieldError("type", containing: "lineage.run") {
            _ = try RightsRecord.decode(try mutated { $0["type"] = "lineage.run" })
        }
        Self.expectFieldError("path", containing: "missing") {
            _ = try RightsRecord.decode(try mutated { $0["path"] = nil })
        }
        Self.expectFieldError("", containing: "not a JSON document") { _ = try RightsRecord.decode(Array("{".utf8)) }
        Self.expectFieldError("", containing: "expected an object") { _ = try RightsRecord.decode(Array("[]".utf8)) }
        // Records store canonical spellings only: no case folding when reading.
        Self.expectFieldError("method", containing: "did you mean 'survey'") {
            _ = try RightsRecord.decode(try mutated { $0["method"] = "Survey" })
        }
    }

    @Test func versionIsCheckedBeforeUnknownMembers() throws {
        // A newer record may have members this version does not know: say "upgrade", not "unknown member".
        Self.expectFieldError("version", containing: "upgrade lineage") {
            _ = try RightsRecord.decode(try mutated { $0["version"] = 2; $0["provenance"] = ["x": 1] })
        }
    }

    // MARK: Dates and periods

    @Test func calendarDays() throws {
        #expect(CalendarDay(iso: "1970-01-01")?.days == 0)
        #expect(CalendarDay(iso: "2024-02-29")?.iso == "2024-02-29")
        #expect(CalendarDay(date: Date(timeIntervalSince1970: 86_400 * 365 + 5)).iso == "1971-01-01")
        #expect(CalendarDay(date: Date(timeIntervalSince1970: -1)).iso == "1969-12-31")
        for bad in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "24-01-01", "2024/01/01", "", "2024-01-01T00:00:00Z", "0000-01-01"] {
            #expect(CalendarDay(iso: bad) == nil, "\(bad)")
        }
        Self.expectFieldError("retention-until", containing: "not a date that exists") { _ = try CalendarDay.parse("2023-02-29", field: "retention-until") }
        Self.expectFieldError("retention-until", containing: "YYYY-MM-DD") { _ = try CalendarDay.parse("31/12/2027", field: "retention-until") }
        #expect(try CalendarDay.parse(" 2027-12-31 ", field: "x").iso == "2027-12-31")
    }

    @Test func collectionPeriods() throws {
        let months = try CollectionPeriod("2024-01/2024-06")
        #expect(months.start.iso == "2024-01-01" && months.end?.iso == "2024-06-30")
        let days = try CollectionPeriod("2024-01-05/2024-02-01")
        #expect(days.start.iso == "2024-01-05" && days.end?.iso == "2024-02-01")
        let feb = try CollectionPeriod("2024-02")
        #expect(feb.start.iso == "2024-02-01" && feb.end?.iso == "2024-02-29")
        let year = try CollectionPeriod("2023")
        #expect(year.start.iso == "2023-01-01" && year.end?.iso == "2023-12-31")
        let open = try CollectionPeriod("2024-01/..")
        #expect(open.start.iso == "2024-01-01" && open.end == nil)
        let mixed = try CollectionPeriod("2024-01-15/2024-03")
        #expect(mixed.end?.iso == "2024-03-31")
        #expect(try CollectionPeriod("2024-01/2024-01").end?.iso == "2024-01-31")
        #expect(months.text == "2024-01/2024-06")
        for (bad, why) in [("2024-06/2024-01", "before it starts"), ("2024-13", "month 13"), ("2024-02-30/2024-03-01", "does not exist"),
                           ("2024-01/2024-06/2024-07", "not a collection period"), ("", "not a collection period"),
                           ("Jan 2024", "not YYYY"), ("2024-1/2024-6", "not YYYY"), ("2024-01/", "not YYYY"),
                           ("../2024-01", "not YYYY"), ("2024-01-01T00:00/2024-02", "not YYYY")] {
            Self.expectFieldError("collected", containing: why) { _ = try CollectionPeriod(bad) }
        }
    }

    // MARK: Facts from flags

    @Test func factsFromFlags() throws {
        let facts = try RightsFacts(fields: [
            .source: "https://example.org/survey-2024", .collected: "2024-01/2024-06", .method: "Survey",
            .legalBasis: "Legitimate interests", .consentStatus: "granted", .consentScope: "training, evaluation,training",
            .consentEvidence: "https://example.org/consent.pdf", .license: "cc-by-4.0", .pii: "email,Name, ip_address",
            .specialCategory: "Health", .retentionUntil: "2030-01-01", .steward: "s@example.org", .art9Condition: "explicit consent",
        ])
        #expect(facts.method == .survey)
        #expect(facts.legalBasis == .legitimateInterests)
        #expect(facts.consent == ConsentFacts(status: .granted, scope: ["training", "evaluation"], evidence: "https://example.org/consent.pdf"))
        #expect(facts.license == "CC-BY-4.0")  // canonical spelling
        #expect(facts.pii == ["email", "name", "ip-address"])
        #expect(facts.specialCategory == [.health])
        #expect(facts.art9Condition == .explicitConsent)
        #expect(facts.retentionUntil?.iso == "2030-01-01")
        var none = RightsFacts()
        try none.set(.pii, text: "")
        #expect(none.pii == [])  // recorded: no personal data
    }

    @Test func badFlagValuesNameTheFieldAndSuggest() throws {
        Self.expectFieldError("legal-basis", containing: "did you mean 'consent'") { _ = try RightsFacts(fields: [.legalBasis: "concent"]) }
        Self.expectFieldError("legal-basis", containing: "consent, contract, legal-obligation, vital-interests, public-task, legitimate-interests") {
            _ = try RightsFacts(fields: [.legalBasis: "because"])
        }
        Self.expectFieldError("license", containing: "did you mean 'CC-BY-4.0'") { _ = try RightsFacts(fields: [.license: "CC-BY-4"]) }
        Self.expectFieldError("license", containing: "GPL-3.0-only or GPL-3.0-or-later") { _ = try RightsFacts(fields: [.license: "GPL-3.0"]) }
        Self.expectFieldError("method", containing: "did you mean 'scraped'") { _ = try RightsFacts(fields: [.method: "scrapped"]) }
        Self.expectFieldError("consent.status", containing: "granted, withdrawn, not-required") { _ = try RightsFacts(fields: [.consentStatus: "yes"]) }
        Self.expectFieldError("special-category", containing: "did you mean 'health'") { _ = try RightsFacts(fields: [.specialCategory: "heath"]) }
        Self.expectFieldError("pii", containing: "not a category id") { _ = try RightsFacts(fields: [.pii: "e-mail!"]) }
        Self.expectFieldError("collected", containing: "before it starts") { _ = try RightsFacts(fields: [.collected: "2024-06/2024-01"]) }
        Self.expectFieldError("retention-until", containing: "YYYY-MM-DD") { _ = try RightsFacts(fields: [.retentionUntil: "next year"]) }
        Self.expectFieldError("steward", containing: "empty") { _ = try RightsFacts(fields: [.steward: "  "]) }
        Self.expectFieldError("art9-condition", containing: "9(2) condition") { _ = try RightsFacts(fields: [.art9Condition: "because"]) }
        Self.expectFieldError("source.name", containing: "source.url") {
            var f = RightsFacts(); try f.set(.sourceName, text: "survey")
        }
    }

    @Test func fieldNamesAndFlags() {
        #expect(RightsField(flag: "--legal-basis") == .legalBasis)
        #expect(RightsField(flag: "consent") == .consentStatus)
        #expect(RightsField(flag: "--consent-scope") == .consentScope)
        #expect(RightsField(flag: "--nope") == nil)
        #expect(RightsField.allCases.compactMap(\.flag).count == 13)
        #expect(RightsField.consentWithdrawnAt.jsonPath == "consent.withdrawnAt")
        #expect(RightsField.legalBasis.name == "legal-basis")
    }

    // MARK: Validation

    @Test func validFactsHaveNoIssues() throws {
        let v = try Self.fullFacts().validate(today: Self.day("2026-01-01"))
        #expect(v.isValid)
        #expect(v.errors.isEmpty && v.warnings.isEmpty, "\(v)")
        #expect(RightsFacts().validate(today: Self.day("2026-01-01")) == RightsValidation())
    }

    @Test func validationErrors() throws {
        var f = try Self.fullFacts()
        f.license = "CC-BY-4"
        f.steward = "not an address"
        f.source?.url = "example.org/data"
        f.consent?.evidence = "consent.pdf"
        f.consent?.withdrawnAt = Self.day("2025-01-01")  // while granted
        f.pii = ["email", "email", "Bad Id"]
        let v = f.validate(today: Self.day("2026-01-01"))
        let byField = Dictionary(grouping: v.errors, by: \.field)
        #expect(byField[.license]?.first?.message.contains("did you mean 'CC-BY-4.0'") == true, "\(v.errors)")
        #expect(byField[.steward]?.first?.message.contains("e-mail address") == true)
        #expect(byField[.source]?.first?.message.contains("absolute URL") == true)
        #expect(byField[.consentEvidence]?.first?.message.contains("absolute URL") == true)
        #expect(byField[.consentWithdrawnAt]?.first?.message.contains("consent.status is granted") == true)
        #expect(byField[.pii]?.count == 2)
        #expect(!v.isValid)
        #expect(v.errors.allSatisfy { $0.severity == .error })
        #expect(v.errors.first { $0.field == .steward }?.description.hasPrefix("error: steward: ") == true)

        var g = RightsFacts()
        g.consent = ConsentFacts(status: .withdrawn, withdrawalCommit: "abc")
        #expect(g.validate(today: Self.day("2026-01-01")).errors.map(\.field) == [.consentWithdrawalCommit])
        g.consent?.withdrawalCommit = String(repeating: "a", count: 40)
        #expect(g.validate(today: Self.day("2026-01-01")).isValid)
    }

    @Test func validationWarnings() throws {
        var f = try Self.fullFacts()
        f.retentionUntil = Self.day("2025-12-31")
        f.art9Condition = nil
        let v = f.validate(today: Self.day("2026-01-01"))
        #expect(v.isValid)
        #expect(v.warnings.map(\.field) == [.retentionUntil, .art9Condition], "\(v.warnings)")
        #expect(v.warnings[0].message.contains("2025-12-31 has already passed (today is 2026-01-01)"))
        #expect(v.warnings[1].message.contains("special-category data (health) needs a GDPR Art. 9(2) condition besides the legal basis (consent)"))
        // Retention on the day itself is not past.
        f.retentionUntil = Self.day("2026-01-01")
        #expect(f.validate(today: Self.day("2026-01-01")).warnings.map(\.field) == [.art9Condition])

        var g = RightsFacts(pii: ["emial"], specialCategory: [.genetic])
        g.consent = ConsentFacts(status: .withdrawn, scope: ["trainig"])
        let w = g.validate(today: Self.day("2026-01-01"))
        #expect(w.isValid)
        let fields = w.warnings.map(\.field)
        #expect(fields.contains(.pii) && fields.contains(.consentScope) && fields.contains(.consentWithdrawnAt) && fields.contains(.legalBasis))
        #expect(w.warnings.first { $0.field == .pii }?.message.contains("did you mean 'email'") == true)
        #expect(w.warnings.first { $0.field == .consentScope }?.message.contains("did you mean 'training'") == true)
        #expect(w.warnings.first { $0.field == .art9Condition }?.message.contains("needs a legal basis and") == true)

        // Custom categories far from any known one are fine.
        let custom = RightsFacts(legalBasis: .contract, pii: ["loyalty-card-number"])
        #expect(custom.validate(today: Self.day("2026-01-01")) == RightsValidation())
        // Art. 9 condition without special categories; consent basis but consent not required.
        let odd = RightsFacts(legalBasis: .consent, art9Condition: .research, consent: ConsentFacts(status: .notRequired))
        #expect(odd.validate(today: Self.day("2026-01-01")).warnings.map(\.field) == [.consentStatus, .specialCategory])
    }

    // MARK: Updates

    @Test func partialUpdates() throws {
        let base = try Self.fullFacts()
        let update = try RightsFacts(fields: [.license: "CC-BY-SA-4.0", .consentScope: "research"])
        let merged = base.applying(update)
        #expect(merged.license == "CC-BY-SA-4.0")
        #expect(merged.consent?.scope == ["research"])
        #expect(merged.consent?.status == .granted)  // untouched
        #expect(merged.consent?.evidence == base.consent?.evidence)
        #expect(merged.pii == base.pii && merged.source == base.source && merged.steward == base.steward)

        let cleared = base.applying(RightsFacts(), clearing: [.steward, .consentEvidence, .sourceIssuer])
        #expect(cleared.steward == nil && cleared.consent?.evidence == nil && cleared.source?.issuer == nil)
        #expect(cleared.source?.url == base.source?.url)
        #expect(RightsFacts(consent: ConsentFacts(status: .granted)).applying(RightsFacts(), clearing: [.consentStatus]).consent == nil)

        var sourceName = RightsFacts()
        try sourceName.set(.source, text: "https://example.org/a")
        try sourceName.set(.sourceName, text: "A")
        #expect(base.applying(sourceName).source == RightsSource(url: "https://example.org/a", name: "A", issuer: "Example Ltd"))
    }

    @Test func consentWithdrawal() throws {
        let base = try Self.fullFacts()
        let w = try base.withdrawingConsent(effective: Self.day("2026-02-01"), reason: "  subject asked  ")
        #expect(w.consent?.status == .withdrawn)
        #expect(w.consent?.withdrawnAt == Self.day("2026-02-01"))
        #expect(w.consent?.withdrawalReason == "subject asked")
        #expect(w.consent?.scope == base.consent?.scope)
        #expect(w.validate(today: Self.day("2026-01-01")).isValid)
        Self.expectFieldError("consent.status", containing: "already withdrawn on 2026-02-01") {
            _ = try w.withdrawingConsent(effective: Self.day("2026-03-01"), reason: "again")
        }
        Self.expectFieldError("consent.withdrawal-reason", containing: "say why") {
            _ = try base.withdrawingConsent(effective: Self.day("2026-03-01"), reason: " ")
        }
        // Data with no consent facts at all can still have consent withdrawn.
        #expect(try RightsFacts().withdrawingConsent(effective: Self.day("2026-03-01"), reason: "r").consent?.status == .withdrawn)
    }

    @Test func describeListsRecordedFacts() throws {
        let lines = try Self.fullFacts().describe()
        #expect(lines.contains { $0.hasPrefix("legal basis") && $0.contains("consent (GDPR Art. 6(1)(a))") })
        #expect(lines.contains { $0.hasPrefix("art. 9 condition") && $0.contains("9(2)(a)") })
        #expect(lines.contains { $0.hasPrefix("license") && $0.contains("CC-BY-4.0 (all use, attribution)") })
        #expect(RightsFacts().describe() == ["no facts recorded"])
        #expect(Art9Condition.research.article == "9(2)(j)")
        #expect(LegalBasis.legitimateInterests.article == "6(1)(f)")
    }

    // MARK: Schemas

    @Test func encodedRecordsMatchTheSchemas() throws {
        var f = try Self.fullFacts()
        f.consent = ConsentFacts(status: .withdrawn, scope: [], evidence: "https://example.org/c", withdrawnAt: Self.day("2026-01-02"),
                                 withdrawalReason: "asked", withdrawalCommit: String(repeating: "ab", count: 20))
        let good: [[UInt8]] = [
            try Self.full().encoded(),
            try RightsRecord(path: "data/x.csv", sha256: Self.digest).encoded(),
            try RightsRecord(path: "d/y.csv", sha256: Self.digest, facts: f).encoded(),
            try RightsRecord(path: "d/z.csv", sha256: Self.digest, facts: RightsFacts(collected: try CollectionPeriod("2024-01/.."))).encoded(),
        ]
        let base = String(decoding: try Self.full().encoded(), as: UTF8.self)
        let bad = [
            base.replacingOccurrences(of: "\"license\"", with: "\"licence\""),
            base.replacingOccurrences(of: "\"consent\",", with: "\"concent\","),
            base.replacingOccurrences(of: "\"2030-12-31\"", with: "\"31.12.2030\""),
            base.replacingOccurrences(of: "\"2024-01/2024-06\"", with: "\"Jan-Jun 2024\""),
            base.replacingOccurrences(of: "[\"health\"]", with: "[\"hobbies\"]"),
            base.replacingOccurrences(of: "sha256:", with: "sha1:"),
            base.replacingOccurrences(of: "\"version\":1", with: "\"version\":2"),
            base.replacingOccurrences(of: "[\"training\",\"evaluation\"]", with: "\"training\""),
        ]
        try SchemaCheck.run(schema: "rights.schema.json", good: good, bad: bad.map { Array($0.utf8) })
    }
}

/// Validates JSON documents against a schema in `Schemas/` with Python's `jsonschema` (draft 2020-12).
enum SchemaCheck {
    static func run(schema name: String, good: [[UInt8]], bad: [[UInt8]], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let schema = root.appendingPathComponent("Schemas/\(name)").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rightsschema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for (i, doc) in (good + bad).enumerated() {
            let file = dir.appendingPathComponent("\(i).json")
            try Data(doc).write(to: file)
            paths.append(file.path)
        }
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
            n = int(sys.argv[2])
            for path in sys.argv[3:3 + n]:
                v.validate(json.load(open(path)))
            for path in sys.argv[3 + n:]:
                if v.is_valid(json.load(open(path))):
                    sys.exit("accepted an invalid record: " + open(path).read())
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, schema, String(good.count)] + paths
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(message)", sourceLocation: sourceLocation)
    }
}
