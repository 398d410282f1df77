import Foundation
import LineageCore
import LineageGraph
import Testing

/// Datasheets: Markdown after "Datasheets for Datasets", Croissant 1.0 JSON-LD with RAI fields.
@Suite struct DatasheetTests {
    static func ref(_ path: String) -> ArtifactRef { ArtifactRef(path: path, sha256: Digest.of(Data(path.utf8))) }
    static let users = ref("data/users.csv"), clicks = ref("data/clicks.csv"), model = ref("models/model.bin")

    static func fullFacts() throws -> DatasheetFacts {
        let clicks = EffectiveRights.compute(subject: Self.clicks, kind: .dataset, own: RightsFacts(
            consent: ConsentFacts(status: .withdrawn, scope: ["training", "research"], withdrawnAt: CalendarDay(iso: "2026-03-01")!,
                                  withdrawalReason: "user request", withdrawalCommit: String(repeating: "e", count: 40)),
            license: "CC-BY-NC-4.0", pii: ["ip-address"]), inputs: [])
        let own = RightsFacts(
            source: RightsSource(url: "https://example.org/survey-2024", name: "2024 customer survey", issuer: "Example Ltd"),
            collected: try CollectionPeriod("2024-01/2024-06"), method: .survey, legalBasis: .consent, art9Condition: .explicitConsent,
            consent: ConsentFacts(status: .granted, scope: ["training", "evaluation"], evidence: "https://example.org/consent/v2.pdf"),
            license: "CC-BY-4.0", pii: ["email", "name"], specialCategory: [.health],
            retentionUntil: CalendarDay(iso: "2030-12-31")!, steward: "steward@example.org")
        let record = RightsRecord(path: users.path, sha256: users.sha256, facts: own)
        let effective = EffectiveRights.compute(subject: users, kind: .dataset, own: own, inputs: [clicks])
        return DatasheetFacts(
            path: users.path, sha256: users.sha256, size: 1_234, kind: .dataset, mediaType: "text/csv",
            columns: [DatasheetColumn(name: "email", type: "string"), DatasheetColumn(name: "age", type: "integer"),
                      DatasheetColumn(name: "joined", type: "date")],
            rowCount: 100, rights: record, effective: effective,
            commits: [DatasheetCommit(id: String(repeating: "a", count: 40), author: "alice@example.org", date: "2026-11-01T10:00:00.000Z", message: "add users"),
                      DatasheetCommit(id: String(repeating: "b", count: 40), author: "bob@example.org", date: "2026-11-02T10:00:00.000Z", message: "rights set\n\ndetails")],
            producedBy: [DatasheetRun(id: "0190aaaa-0000-7000-8000-000000000000", name: "join", argv: ["python", "join.py"],
                                      endedAt: "2026-11-01T09:00:00.000Z", inputs: [Self.clicks])],
            usedBy: [DatasheetUse(artifact: model, kind: .model, run: "train")],
            checks: [DatasheetCheck(name: "schema", passed: true), DatasheetCheck(name: "pii", passed: false, detail: "phone found in column notes")])
    }

    static let bare = DatasheetFacts(path: "data/raw.bin", sha256: Digest.of(Data("raw".utf8)), size: 9, kind: .dataset,
                                     mediaType: "application/octet-stream")

    /// The Markdown body of each `## ` section, by title.
    static func sections(_ markdown: String) -> [(String, String)] {
        markdown.components(separatedBy: "\n## ").dropFirst().map { chunk in
            let title = chunk.prefix { $0 != "\n" }
            return (String(title), String(chunk.dropFirst(title.count)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test func markdownHasEverySectionFilledFromTheFacts() throws {
        let md = Datasheet.markdown(try Self.fullFacts())
        #expect(md.hasPrefix("# Datasheet: data/users.csv\n"))
        let s = Self.sections(md)
        #expect(s.map(\.0) == Datasheet.sections)
        #expect(s.allSatisfy { !$0.1.contains(Datasheet.notRecorded) }, "\(md)")
        let body = Dictionary(uniqueKeysWithValues: s)
        #expect(body["Motivation"]!.contains("**Created by:** Example Ltd"))
        #expect(body["Motivation"]!.contains("**Purposes consented to:** training, evaluation"))
        #expect(body["Composition"]!.contains("**Instances:** 100 rows"))
        #expect(body["Composition"]!.contains("`age` (integer)"))
        #expect(body["Composition"]!.contains("ip-address (inherited from \(Self.clicks))"))
        #expect(body["Composition"]!.contains("health (own)"))
        #expect(body["Collection process"]!.contains("<https://example.org/survey-2024>"))
        #expect(body["Collection process"]!.contains("**Collected:** 2024-01/2024-06 (2024-01-01 to 2024-06-30)"))
        #expect(body["Collection process"]!.contains("consent (GDPR Art. 6(1)(a))"))
        #expect(body["Collection process"]!.contains("explicit-consent (GDPR Art. 9(2)(a))"))
        #expect(body["Preprocessing, cleaning and labeling"]!.contains("run `join`: `python join.py`, ended 2026-11-01T09:00:00.000Z, from \(Self.clicks)"))
        #expect(body["Uses"]!.contains("**Consent covers:** training"))
        #expect(body["Uses"]!.contains("**Licence allows:** non-commercial use"))
        #expect(body["Uses"]!.contains("withdrawn on 2026-03-01 (commit `eeeeeeeeeeee`) for \(Self.clicks): user request"))
        #expect(body["Uses"]!.contains("**Used by:** \(Self.model) (model), run `train`"))
        #expect(body["Distribution"]!.contains("CC-BY-4.0 — Creative Commons Attribution 4.0 (own)"))
        #expect(body["Distribution"]!.contains("CC-BY-NC-4.0 — Creative Commons Attribution-NonCommercial 4.0 (inherited from \(Self.clicks))"))
        #expect(body["Distribution"]!.contains("**Attribution required by:** CC-BY-4.0, CC-BY-NC-4.0"))
        #expect(body["Maintenance"]!.contains("**Steward:** <steward@example.org>"))
        #expect(body["Maintenance"]!.contains("**Retention until:** 2030-12-31"))
        #expect(body["Maintenance"]!.contains("bob@example.org: rights set"))
        #expect(!body["Maintenance"]!.contains("details"))
        #expect(body["Maintenance"]!.contains("**Check pii:** failed — phone found in column notes"))
        #expect(md.contains("| First recorded | 2026-11-01T10:00:00.000Z by alice@example.org (commit `aaaaaaaaaaaa`) |"))
    }

    @Test func markdownMarksEmptySections() {
        let s = Dictionary(uniqueKeysWithValues: Self.sections(Datasheet.markdown(Self.bare)))
        for title in ["Motivation", "Collection process", "Preprocessing, cleaning and labeling", "Uses", "Distribution", "Maintenance"] {
            #expect(s[title]?.hasPrefix(Datasheet.notRecorded) == true, "\(title): \(s[title] ?? "missing")")
        }
        #expect(s["Collection process"]!.contains("lineage rights set data/raw.bin"))
        #expect(s["Composition"]!.contains("**Instances:** not recorded"))
        #expect(s.count == 7)
    }

    func croissantObject(_ facts: DatasheetFacts) throws -> [String: Any] {
        let text = try Datasheet.croissant(facts)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func croissantHasTheRequiredProperties() throws {
        let facts = try Self.fullFacts()
        let doc = try croissantObject(facts)
        // Croissant 1.0, "Dataset-level Information / Required".
        let context = try #require(doc["@context"] as? [String: Any])
        #expect(context["@vocab"] as? String == "https://schema.org/")
        #expect(context["cr"] as? String == "http://mlcommons.org/croissant/")
        #expect(context["rai"] as? String == "http://mlcommons.org/croissant/RAI/")
        #expect(context["sc"] as? String == "https://schema.org/")
        #expect(context["dct"] as? String == "http://purl.org/dc/terms/")
        #expect(context["conformsTo"] as? String == "dct:conformsTo")
        #expect(doc["@type"] as? String == "sc:Dataset")
        #expect(doc["conformsTo"] as? String == "http://mlcommons.org/croissant/1.0")
        #expect(doc["name"] as? String == "data/users.csv")
        #expect((doc["description"] as? String)?.contains("2024 customer survey") == true)
        #expect(doc["license"] as? [String] == ["https://spdx.org/licenses/CC-BY-4.0.html", "https://spdx.org/licenses/CC-BY-NC-4.0.html"])
        #expect(doc["url"] as? String == "https://example.org/survey-2024")
        let creator = try #require(doc["creator"] as? [String: Any])
        #expect(creator["@type"] as? String == "sc:Organization" && creator["name"] as? String == "Example Ltd")
        #expect(doc["datePublished"] as? String == "2026-11-01T10:00:00.000Z")
        #expect(doc["dateModified"] as? String == "2026-11-02T10:00:00.000Z")
        let distribution = try #require(doc["distribution"] as? [[String: Any]])
        #expect(distribution.count == 1)
        let file = distribution[0]
        #expect(file["@type"] as? String == "cr:FileObject")
        #expect(file["@id"] as? String == "data/users.csv")
        #expect(file["contentUrl"] as? String == "data/users.csv")
        #expect(file["encodingFormat"] as? String == "text/csv")
        #expect(file["sha256"] as? String == facts.sha256.hex)
        #expect(file["contentSize"] as? String == "1234 B")
        // Columns become a record set whose fields read the file.
        let recordSet = try #require((doc["recordSet"] as? [[String: Any]])?.first)
        let fields = try #require(recordSet["field"] as? [[String: Any]])
        #expect(fields.map { $0["name"] as? String } == ["email", "age", "joined"])
        #expect(fields.map { $0["dataType"] as? String } == ["sc:Text", "sc:Integer", "sc:Date"])
        let source = try #require(fields[1]["source"] as? [String: Any])
        #expect((source["fileObject"] as? [String: Any])?["@id"] as? String == "data/users.csv")
        #expect((source["extract"] as? [String: Any])?["column"] as? String == "age")
        // Responsible AI.
        #expect((doc["rai:dataCollection"] as? String)?.contains("Collection method: survey.") == true)
        #expect(doc["rai:dataCollectionType"] as? [String] == ["Surveys"])
        #expect(doc["rai:dataCollectionTimeframe"] as? [String] == ["2024-01-01", "2024-06-30"])
        let sensitive = try #require(doc["rai:personalSensitiveInformation"] as? [String])
        #expect(sensitive == ["Personal data: email", "Personal data: ip-address", "Personal data: name", "Special-category data (GDPR Art. 9): health"])
        #expect(doc["rai:dataUseCases"] as? [String] == ["Consent covers: training.", "Licence allows non-commercial use."])
        #expect((doc["rai:dataReleaseMaintenancePlan"] as? String)?.contains("Steward: steward@example.org.") == true)
        #expect((doc["rai:dataPreprocessingProtocol"] as? [String])?.first?.hasPrefix("Run join: python join.py from data/clicks.csv@") == true)
        let limitations = try #require(doc["rai:dataLimitations"] as? [String])
        #expect(limitations == ["Consent withdrawn for \(Self.clicks) on 2026-03-01.", "Check pii failed: phone found in column notes."])
    }

    @Test func croissantOfBareFacts() throws {
        let doc = try croissantObject(Self.bare)
        #expect(doc["@type"] as? String == "sc:Dataset")
        #expect(doc["url"] as? String == "data/raw.bin")
        #expect(doc["license"] == nil && doc["creator"] == nil && doc["rai:dataCollection"] == nil)
        #expect((doc["description"] as? String)?.hasPrefix("Dataset data/raw.bin (application/octet-stream, 9 bytes)") == true)
        // A proprietary licence is a named CreativeWork, not a made-up URL.
        var f = Self.bare
        f.rights = RightsRecord(path: f.path, sha256: f.sha256, facts: RightsFacts(license: "proprietary", steward: "s@example.org"))
        let p = try croissantObject(f)
        #expect((p["license"] as? [String: Any])?["name"] as? String == "proprietary")
        #expect((p["creator"] as? [String: Any])?["email"] as? String == "s@example.org")
        // Output is stable: keys sorted, same facts, same bytes.
        #expect(try Datasheet.croissant(f) == Datasheet.croissant(f))
        #expect(try Datasheet.croissant(f).hasPrefix("{\n  \"@context\" : {"))
    }

    /// mlcroissant (MLCommons' reference implementation) loads the document without errors. Skipped when
    /// the Python package is not installed (`pip install mlcroissant`).
    @Test func mlcroissantAcceptsTheDocument() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("croissant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var docs: [String] = []
        for (i, facts) in [try Self.fullFacts(), Self.bare].enumerated() {
            let file = dir.appendingPathComponent("\(i).json")
            try Data(try Datasheet.croissant(facts).utf8).write(to: file)
            docs.append(file.path)
        }
        let script = """
            import sys
            try:
                import mlcroissant as mlc
            except ImportError:
                sys.exit(77)
            full = mlc.Dataset(jsonld=sys.argv[1])
            warnings = sorted(full.metadata.ctx.issues.warnings)
            for w in warnings:
                for prop in ("license", "url", "description", "creator", "datePublished", "distribution", "name"):
                    if '/' + prop + '"' in w:
                        sys.exit("warning about a required property: " + w)
            mlc.Dataset(jsonld=sys.argv[2])
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + docs
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 77 {
            print("mlcroissant is not installed; skipped its validation (pip install mlcroissant)")
            return
        }
        #expect(p.terminationStatus == 0, "\(message)")
    }
}
