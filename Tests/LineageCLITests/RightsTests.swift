import Foundation
import Testing

/// Consent and rights through the CLI: records in signed commits, inheritance through runs,
/// withdrawal and audit, erasure with tombstones, datasheets, and the bad inputs.
@Suite struct RightsTests {
    static let usersMeta = """
    source: https://example.org/survey-2024
    collected: 2024-01/2024-06
    method: survey
    legal-basis: consent
    consent:
      status: granted
      scope: [training, evaluation]
      evidence: https://example.org/consent-v2.pdf
    license: CC-BY-4.0
    pii: [email, name]
    retention-until: 2031-12-31
    steward: steward@example.org
    """

    /// users.csv (consented, CC-BY) and clicks.csv (CC-BY-NC, phone), trained into model.onnx by a recorded run.
    func trainedProject() throws -> Project {
        let p = try Project()
        try p.write("data/users.csv", "email,name\na@example.org,Ann\nb@example.org,Bob\n")
        try p.write("data/clicks.csv", "phone,clicks\n+44 20 7946 0958,3\n")
        try p.write("users.meta.yaml", RightsTests.usersMeta)
        try p.expectOK(["add", "data/users.csv", "--meta", "users.meta.yaml"])
        try p.expectOK(["add", "data/clicks.csv", "--source", "https://example.org/clicks", "--license", "cc-by-nc-4.0",
                        "--pii", "phone", "--legal-basis", "legitimate-interests", "--consent-scope", "training,research",
                        "--retention-until", "2029-06-30"])
        try p.expectOK(["commit", "-m", "data with rights"])
        try p.expectOK(["run", "--name", "train", "-i", "data/users.csv", "-i", "data/clicks.csv", "-o", "model.onnx", "--",
                        "sh", "-c", "cat data/users.csv data/clicks.csv > model.onnx"])
        return p
    }

    @Test func recordsAreSignedAndInheritedThroughRuns() throws {
        let p = try trainedProject(); defer { p.remove() }
        // The record is in the signed commit and matches its schema; the licence id was canonicalised.
        let record = try p.git("show", "HEAD:.lineage/rights/data/clicks.csv.json").out
        #expect(record.contains("\"license\":\"CC-BY-NC-4.0\""))
        try validateAgainstSchema(record, schema: "rights.schema.json")
        try validateAgainstSchema(try p.git("show", "HEAD:.lineage/rights/data/users.csv.json").out, schema: "rights.schema.json")

        // The model inherits: union of personal data, every licence, intersection of scopes, earliest retention.
        let shown = try p.expectOK(["rights", "show", "model.onnx"]).out
        #expect(shown.contains("own record: none"))
        #expect(shown.contains("email (inherited from data/users.csv@"))
        #expect(shown.contains("phone (inherited from data/clicks.csv@"))
        #expect(shown.contains("CC-BY-NC-4.0 (inherited from data/clicks.csv@"))
        #expect(shown.contains("use: non-commercial"))
        #expect(shown.contains("consent scope    training ("))
        #expect(shown.contains("retention until  2029-06-30 (inherited from data/clicks.csv@"))
        let json = try p.expectOK(["rights", "show", "model.onnx", "--json"]).out
        let view = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let effective = view["effective"] as! [String: Any]
        #expect((effective["consentScope"] as? [String]) == ["training"])

        // A new version of a dataset keeps its rights, moved to the new digest.
        try p.write("data/users.csv", "email,name\na@example.org,Ann\n")
        try p.expectOK(["add", "data/users.csv"])
        try p.expectOK(["commit", "-m", "fewer users"])
        let moved = try p.git("show", "HEAD:.lineage/rights/data/users.csv.json").out
        let sha = try CLI.tool("/usr/bin/sha256sum", [p.dir + "/data/users.csv"], in: p.dir).out.prefix(64)
        #expect(moved.contains("\"sha256\":\"sha256:\(sha)\""))
        #expect(moved.contains("\"license\":\"CC-BY-4.0\""))

        // rights set is its own signed commit.
        try p.expectOK(["rights", "set", "data/users.csv", "--steward", "dpo@example.org"])
        #expect(try p.git("log", "-1", "--format=%s").out == "rights: set data/users.csv\n")
        #expect(try p.git("show", "HEAD:.lineage/rights/data/users.csv.json").out.contains("dpo@example.org"))
        #expect(try p.run("verify").code == 0)
    }

    @Test func withdrawalIsAuditedAndBlocksNewOutputs() throws {
        let p = try trainedProject(); defer { p.remove() }
        #expect(try p.run("audit", "--use", "training").code == 0)
        // The model's consent scope is the intersection (training): research is not covered.
        let research = try p.run("audit", "--use", "research")
        #expect(research.code == 1 && research.out.contains("consent-scope-excludes-use"))

        let withdraw = try p.expectOK(["consent", "withdraw", "data/users.csv", "--reason", "request #42", "--effective", "2026-01-15"])
        #expect(withdraw.out.contains("withdrawn as of 2026-01-15"))
        let commit = try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let audit = try p.run("audit", "--at", "2026-02-01")
        #expect(audit.code == 1)
        #expect(audit.out.contains("upstream-consent-withdrawn: consent for data/users.csv@"))
        #expect(audit.out.contains("withdrawn on 2026-01-15 in commit \(commit.prefix(12))"))
        // Models first.
        #expect(audit.out.split(separator: "\n").first?.hasPrefix("model") == true)
        // trace and the report carry the rights summary of each version.
        let traced = try p.expectOK(["trace", "model.onnx", "--json"]).out
        #expect(traced.contains("CONSENT WITHDRAWN upstream (data/users.csv@"))
        try p.expectOK(["report", "model.onnx", "-o", "report.html"])
        #expect(String(decoding: p.read("report.html")!, as: UTF8.self).contains("CONSENT WITHDRAWN"))
        // Before the withdrawal took effect there is nothing to say about it.
        #expect(!(try p.run("audit", "--at", "2026-01-10").out.contains("withdrawn")))
        // Retention passed, and a licence that does not allow the use.
        let later = try p.run("audit", "--at", "2030-01-01", "--use", "commercial", "--json").out
        #expect(later.contains("\"retention-passed\""))
        #expect(later.contains("\"licence-incompatible-with-use\"") || later.contains("licence"))

        // The consent hook refuses an output built on withdrawn data.
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - consent: { require-rights: [dataset] }\n")
        let blocked = try p.run("run", "--name", "retrain", "-i", "data/users.csv", "-o", "model2.onnx", "--",
                                "sh", "-c", "cat data/users.csv > model2.onnx")
        #expect(blocked.code == 1)
        #expect(blocked.out.contains("consent-withdrawn"))
        // A dataset without rights is refused too; with them it passes.
        try p.write("data/new.csv", "a\n1\n")
        try p.expectOK(["add", "data/new.csv"])
        let norights = try p.run("commit", "-m", "new data")
        #expect(norights.code == 1 && norights.out.contains("no-rights-record"))
        try p.expectOK(["add", "data/new.csv", "--license", "CC0-1.0", "--source", "https://example.org/new"])
        try p.expectOK(["commit", "-m", "new data"])

        // Bad inputs: untracked path, second withdrawal.
        #expect(try p.run("consent", "withdraw", "data/nope.csv", "--reason", "x").code == 2)
        let again = try p.run("consent", "withdraw", "data/users.csv", "--reason", "again")
        #expect(again.code == 2 && again.err.contains("already withdrawn"))
    }

    @Test func badRightsInputChangesNothing() throws {
        let p = try Project(); defer { p.remove() }
        try p.write("d.csv", "a\n1\n")
        let before = try p.snapshot()
        let cases: [([String], String)] = [
            (["--license", "CC-BY-4"], "did you mean"),
            (["--legal-basis", "consented"], "consent"),
            (["--collected", "2024-13/2024-06"], "collected"),
            (["--retention-until", "2024-02-30"], "retention-until"),
            (["--consent", "maybe"], "consent"),
        ]
        for (flags, needle) in cases {
            let r = try p.run(["add", "d.csv"] + flags)
            #expect(r.code == 2, "\(flags): \(r.err)")
            #expect(r.err.contains(needle), "\(flags): \(r.err)")
            #expect(try p.snapshot() == before, "\(flags) changed the repository")
        }
        try p.write("bad.meta.yaml", "source: https://x.org\nlicence: MIT\n")
        let meta = try p.run("add", "d.csv", "--meta", "bad.meta.yaml")
        #expect(meta.code == 2 && meta.err.contains("licence") && meta.err.contains(":2"))
        try p.write("bad2.meta.yaml", "consent:\n  scope: { a: 1 }\n")
        #expect(try p.run("add", "d.csv", "--meta", "bad2.meta.yaml").code == 2)
        #expect(try p.snapshot() == before)

        // Warnings, not errors: retention already past; special category without an Art. 9 condition.
        let warned = try p.run("add", "d.csv", "--retention-until", "2020-01-01", "--special-category", "health", "--legal-basis", "consent")
        #expect(warned.code == 0)
        #expect(warned.err.contains("retention") && warned.err.contains("Art. 9"))
    }

    @Test func eraseKeepsSharedChunksAndHistoryVerifiable() throws {
        let p = try Project(); defer { p.remove() }
        let base = randomData(3_000_000, seed: 7)
        try p.write("a.bin", base)
        var longer = base; longer.append(randomData(200_000, seed: 8))
        try p.write("b.bin", longer)
        try p.expectOK(["add", "a.bin", "b.bin"])
        try p.expectOK(["commit", "-m", "two versions sharing chunks"])
        let erased = try p.expectOK(["erase", "a.bin", "--reason", "erasure request 17", "--json"]).out
        #expect(erased.contains("\"chunksShared\""))
        // The other version still reads back byte for byte.
        #expect(try p.expectOK(["cat", "HEAD:b.bin"]).outData == longer)
        // Reading the erased version names the tombstone; so does checkout.
        let cat = try p.run("cat", "HEAD:a.bin")
        #expect(cat.code != 0 && cat.err.contains("erased") && cat.err.contains("erasure request 17"))
        try FileManager.default.removeItem(atPath: p.dir + "/a.bin")
        #expect(try p.run("checkout", "--force", "HEAD", "--", "a.bin").err.contains("tombstone"))
        // History is intact and signed; verify passes and lists the erasure.
        let verify = try p.run("verify")
        #expect(verify.code == 0, "\(verify.out)")
        #expect(verify.out.contains("erased: a.bin"))
        let tombstone = try p.git("ls-tree", "-r", "--name-only", "HEAD", "--", ".lineage/erasures").out.trimmingCharacters(in: .whitespacesAndNewlines)
        try validateAgainstSchema(try p.git("show", "HEAD:" + tombstone).out, schema: "tombstone.schema.json")
        #expect(try p.git("fsck", "--strict").code == 0)
        // Erasing it again is refused; gc still works.
        let again = try p.run("erase", "a.bin", "--reason", "again")
        #expect(again.code == 2 && again.err.contains("already erased"))
        try p.expectOK(["gc"])
        #expect(try p.expectOK(["cat", "HEAD:b.bin"]).outData == longer)
    }

    @Test func datasheetFromRecordedFacts() throws {
        let p = try trainedProject(); defer { p.remove() }
        let md = try p.expectOK(["datasheet", "data/users.csv"]).out
        for section in ["## Motivation", "## Composition", "## Collection process", "## Preprocessing", "## Uses", "## Distribution", "## Maintenance"] {
            #expect(md.contains(section), "missing \(section)")
        }
        #expect(md.contains("2 rows"))
        #expect(md.contains("model.onnx"))
        #expect(md.contains("Not recorded"))
        let croissant = try p.expectOK(["datasheet", "data/users.csv", "--format", "croissant", "-o", "users.croissant.json"])
        #expect(croissant.code == 0)
        let doc = try JSONSerialization.jsonObject(with: p.read("users.croissant.json")!) as! [String: Any]
        #expect(doc["@type"] as? String == "sc:Dataset")
        #expect(doc["conformsTo"] as? String == "http://mlcommons.org/croissant/1.0")
        for key in ["@context", "name", "description", "license", "distribution"] { #expect(doc[key] != nil, "missing \(key)") }
        #expect(doc.keys.contains { $0.hasPrefix("rai:") })
        // version and citeAs are present; column types come from the inferred schema.
        #expect(doc["version"] as? String == "1.0.0")
        let cite = try #require(doc["citeAs"] as? String)
        #expect(cite.hasPrefix("@misc{") && cite.contains("title = {data/users.csv}") && cite.contains("sha256:"), "\(cite)")
        let records = try #require((doc["recordSet"] as? [[String: Any]])?.first)
        let types = (records["field"] as? [[String: Any]] ?? []).map { $0["dataType"] as? String }
        #expect(types == ["sc:Text", "sc:Text"], "\(types)")

        // contentUrl resolves from where the JSON-LD is written.
        try p.write("data/ages.csv", "id,age,born\n1,30,1994-05-01\n2,41,1983-01-09\n")
        try p.expectOK(["add", "data/ages.csv"])
        try p.expectOK(["commit", "-m", "ages"])
        try FileManager.default.createDirectory(atPath: p.dir + "/docs/cards", withIntermediateDirectories: true)
        try p.expectOK(["datasheet", "data/ages.csv", "--format", "croissant", "-o", "docs/cards/ages.json"])
        let ages = try JSONSerialization.jsonObject(with: p.read("docs/cards/ages.json")!) as! [String: Any]
        let file = try #require((ages["distribution"] as? [[String: Any]])?.first)
        let url = try #require(file["contentUrl"] as? String)
        #expect(url == "../../data/ages.csv")
        #expect(FileManager.default.contents(atPath: p.dir + "/docs/cards/" + url) == p.read("data/ages.csv"))
        let ageTypes = (((ages["recordSet"] as? [[String: Any]])?.first?["field"]) as? [[String: Any]] ?? []).map { $0["dataType"] as? String }
        #expect(ageTypes == ["sc:Integer", "sc:Integer", "sc:Date"], "\(ageTypes)")
    }

    /// The report names each input by the role the run gave it (`-i test=...`), and a withdrawn
    /// consent upstream is a banner at the top, not only a word in a rights line.
    @Test func reportUsesInputRolesAndShowsAWithdrawalFirst() throws {
        let p = try Project(); defer { p.remove() }
        try p.write("data/train.csv", "id,x\n1,2\n")
        try p.write("data/test.csv", "id,x\n3,4\n")
        try p.expectOK(["add", "data", "--legal-basis", "consent", "--consent", "granted"])
        try p.expectOK(["commit", "-m", "data"])
        try p.expectOK(["run", "--name", "train", "-i", "data/train.csv", "-i", "test=data/test.csv", "-o", "models/model.onnx", "--",
                        "sh", "-c", "mkdir -p models && cat data/train.csv data/test.csv > models/model.onnx"])
        let record = try p.git("show", "HEAD:" + (try p.git("ls-tree", "-r", "--name-only", "HEAD", "--", ".lineage/runs").out
            .split(separator: "\n").map(String.init).first { $0.hasSuffix(".json") } ?? "")).out
        try validateAgainstSchema(record, schema: "run.schema.json")
        #expect(record.contains("\"role\":\"test\""), "\(record)")
        try p.expectOK(["report", "models/model.onnx", "-o", "report.html"])
        let html = String(decoding: p.read("report.html")!, as: UTF8.self)
        let training = try #require(html.range(of: "<h4>Training data</h4>"))
        let evaluation = try #require(html.range(of: "<h4>Evaluation data (test)</h4>"))
        #expect(training.lowerBound < evaluation.lowerBound)
        let between = html[training.upperBound..<evaluation.lowerBound]
        #expect(between.contains("data/train.csv") && !between.contains("data/test.csv"))
        #expect(!html.contains("banner withdrawn"))

        try p.expectOK(["consent", "withdraw", "data/train.csv", "--reason", "request 9"])
        try p.expectOK(["report", "models/model.onnx", "-o", "report.html"])
        let after = String(decoding: p.read("report.html")!, as: UTF8.self)
        let banner = try #require(after.range(of: "banner withdrawn"))
        #expect(banner.lowerBound < (after.range(of: "<h2>")?.lowerBound ?? after.endIndex), "the banner comes before the first section")
    }
}
