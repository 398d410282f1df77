import Foundation
import Testing

/// lineage.yaml and pre-commit hooks through the CLI: command hooks, trust, check records,
/// --no-verify, and the bad inputs of the configuration.
@Suite struct HookTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Hooks/examples").path

    /// A project with the example hooks copied in.
    func project() throws -> Project {
        let p = try Project()
        try FileManager.default.createDirectory(atPath: p.dir + "/Hooks", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: HookTests.examples, toPath: p.dir + "/Hooks/examples")
        return p
    }

    func records(_ p: Project, _ rev: String = "HEAD") throws -> [String] {
        try p.git("ls-tree", "-r", "--name-only", rev, "--", ".lineage").out.split(separator: "\n").map(String.init)
    }

    @Test func commandHookNeedsTrustThenGatesCommits() throws {
        let p = try project(); defer { p.remove() }
        try p.write("lineage.yaml", """
        hooks:
          pre-commit:
            - command: { run: Hooks/examples/max-file-size.sh, args: ["1KB"], timeout: 30 }
        """)
        try p.write("data/small.csv", "a,b\n1,2\n")
        try p.expectOK(["add", "data/small.csv"])

        // Not trusted yet: blocked (exit 3), nothing written.
        let before = try p.snapshot()
        let untrusted = try p.run("commit", "-m", "first")
        #expect(untrusted.code == 3)
        #expect(untrusted.err.contains("lineage hooks trust"))
        #expect(try p.snapshot() == before)

        let listed = try p.expectOK(["hooks", "list"])
        #expect(listed.out.contains("not trusted"))
        try p.expectOK(["hooks", "trust"])
        let ok = try p.expectOK(["commit", "-m", "first"])
        #expect(ok.out.contains("command"))

        // The commit carries lineage.yaml and a check record that validates against its schema.
        let recs = try records(p)
        #expect(recs.contains(".lineage/lineage.yaml"))
        let checks = recs.filter { $0.hasPrefix(".lineage/checks/") }
        #expect(checks.count == 1)
        let record = try p.git("show", "HEAD:" + checks[0]).out
        #expect(record.contains("\"outcome\":\"passed\""))
        #expect(record.contains("\"validator\":\"command\""))
        try validateAgainstSchema(record, schema: "check.schema.json")
        let commitRecord = try p.git("show", "HEAD:.lineage/commit.json").out
        #expect(commitRecord.contains("\"checks\":[\""))
        try validateAgainstSchema(commitRecord, schema: "commit.schema.json")
        // `show` lists the checks that gated the commit, and those of a file's version.
        #expect(try p.expectOK(["show"]).out.contains("check: command passed on data/small.csv"))
        #expect(try p.expectOK(["show", "HEAD:data/small.csv", "--json"]).out.contains("\"validator\" : \"command\""))

        // A file over the limit blocks the commit: exit 1, the hook's output shown, staged state kept.
        try p.write("data/big.csv", String(repeating: "x,y\n", count: 1000))
        try p.expectOK(["add", "data/big.csv"])
        let staged = try p.snapshot()
        let blocked = try p.run("commit", "-m", "too big")
        #expect(blocked.code == 1)
        #expect(blocked.out.contains("data/big.csv: 4000 bytes"))
        #expect(blocked.out.contains("exited with status 1"))
        #expect(try p.snapshot() == staged)
        #expect(try p.run("status", "--json").out.contains("data/big.csv"))

        // Changing the hook's program needs trusting again.
        try p.write("Hooks/examples/max-file-size.sh", (String(data: p.read("Hooks/examples/max-file-size.sh")!, encoding: .utf8)!) + "\n# changed\n")
        #expect(try p.run("commit", "-m", "changed hook").code == 3)

        // --no-verify commits anyway and says so, signed, with who skipped.
        let skipped = try p.expectOK(["commit", "-m", "big anyway", "--no-verify"])
        #expect(skipped.out.contains("--no-verify"))
        let skipRecord = try records(p).filter { $0.hasPrefix(".lineage/checks/") }
        let bodies = try skipRecord.map { try p.git("show", "HEAD:" + $0).out }
        let skip = try #require(bodies.first { $0.contains("\"outcome\":\"skipped\"") })
        #expect(skip.contains("\"skippedBy\":\"Test User <test@example.org>\""))
        #expect(skip.contains("data/big.csv"))
        #expect(try p.git("show", "HEAD:.lineage/commit.json").out.contains("\"noVerify\":true"))
        #expect(try p.run("verify").code == 0)
    }

    @Test func commandHookTimeoutAndMissingProgram() throws {
        let p = try project(); defer { p.remove() }
        try p.write("Hooks/hang.sh", "#!/bin/sh\necho started\nsleep 30\n")
        chmod(p.dir + "/Hooks/hang.sh", 0o755)
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - command: { run: Hooks/hang.sh, timeout: 1 }\n")
        try p.write("a.csv", "x\n1\n")
        try p.expectOK(["add", "a.csv"])
        try p.expectOK(["hooks", "trust"])
        let started = Date()
        let r = try p.run("commit", "-m", "hangs")
        #expect(r.code == 1)
        #expect(r.out.contains("did not finish within 1"))
        #expect(r.out.contains("started"))
        #expect(Date().timeIntervalSince(started) < 20)

        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - command: { run: Hooks/nope.sh }\n")
        let missing = try p.run("commit", "-m", "missing")
        #expect(missing.code == 2)
        #expect(missing.err.contains("lineage.yaml:3"))
        #expect(missing.err.contains("Hooks/nope.sh"))
    }

    @Test func forbidPathsExample() throws {
        let p = try project(); defer { p.remove() }
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - command: { run: Hooks/examples/forbid-paths.sh, args: [\"*.pem\", \"secrets/*\"] }\n")
        try p.expectOK(["hooks", "trust"])
        try p.write("data/ok.csv", "a\n1\n")
        try p.expectOK(["add", "data/ok.csv"])
        try p.expectOK(["commit", "-m", "fine"])
        try p.write("secrets/token.txt", "hunter2\n")
        try p.expectOK(["add", "secrets/token.txt"])
        let r = try p.run("commit", "-m", "leak")
        #expect(r.code == 1)
        #expect(r.out.contains("secrets/token.txt (matches secrets/*)"))
    }

    @Test func stockConfigurationParses() throws {
        let p = try project(); defer { p.remove() }
        let stock = URL(fileURLWithPath: HookTests.examples).deletingLastPathComponent().appendingPathComponent("stock.lineage.yaml")
        try p.write("lineage.yaml", try Data(contentsOf: stock))
        let listed = try p.expectOK(["hooks", "list", "--json"]).out
        let hooks = (try JSONSerialization.jsonObject(with: Data(listed.utf8)) as! [String: Any])["hooks"] as! [[String: Any]]
        #expect(hooks.map { $0["validator"] as! String } == ["schema", "leakage", "quality", "pii", "consent", "command"])
    }

    @Test func malformedConfigurationIsNamedByLineAndKey() throws {
        let p = try project(); defer { p.remove() }
        try p.write("a.csv", "x\n1\n")
        try p.expectOK(["add", "a.csv"])
        let cases: [(yaml: String, expect: [String])] = [
            ("hooks:\n  pre-commit:\n    - schema: { path: a.csv, schema: s.json, drift: maybe }\n", ["lineage.yaml:3", "drift", "warn, fail"]),
            ("hooks:\n  pre-commit:\n    - shema: { path: a.csv }\n", ["lineage.yaml:3", "unknown validator 'shema'", "did you mean 'schema'"]),
            ("hooks:\n  pre-commit:\n    - pii: { pth: a.csv }\n", ["lineage.yaml:3", "pii.pth", "did you mean 'path'"]),
            ("hooks:\n  pre-commit:\n    - pii: {}\n", ["lineage.yaml:3", "`path` is required"]),
            ("hooks:\n  pre-comit:\n    - pii: { path: a.csv }\n", ["lineage.yaml:2", "unknown hook stage", "pre-commit"]),
            ("hooks:\n  pre-commit:\n    - pii: { path: a.csv\n", ["lineage.yaml:", "not valid YAML"]),
            ("hook:\n  pre-commit: []\n", ["lineage.yaml:1", "unknown key", "hooks"]),
            ("hooks:\n  pre-commit:\n    - quality: { path: a.csv, max-missing: lots }\n", ["lineage.yaml:3", "max-missing", "expected a number"]),
            ("hooks:\n  pre-commit:\n    - quality: { path: a.csv, psi-bins: 1 }\n", ["lineage.yaml:3", "psi-bins", "≥ 2"]),
            ("hooks:\n  pre-commit:\n    - quality: { path: a.csv, psi-bins: 5000 }\n", ["lineage.yaml:3", "psi-bins", "between 2 and 1000"]),
        ]
        let before = try p.snapshot()
        for c in cases {
            try p.write("lineage.yaml", c.yaml)
            let r = try p.run("commit", "-m", "x")
            #expect(r.code == 2, "\(c.yaml): \(r.err)")
            for needle in c.expect { #expect(r.err.contains(needle), "\(c.yaml): missing '\(needle)' in \(r.err)") }
            #expect(try p.snapshot() == before)
            #expect(try p.run("hooks", "list").code == 2)
        }
    }
}

/// The built-in validators as pre-commit hooks, end to end.
@Suite struct BuiltInHookTests {

    /// The quality hook's drift check: a shift of half a standard deviation in 1,000 rows blocks the
    /// commit at the defaults, the finding names psi-fail, psi-warn and psi-bins with the values in
    /// force, and psi-fail / psi-bins from lineage.yaml are the ones applied.
    @Test func qualityDriftHookNamesTheSettingsInForce() throws {
        let p = try Project(); defer { p.remove() }
        // Uniform on [0, 1) (sd 0.289); the shifted version moves it by 0.144, half a standard deviation.
        func uniform(_ shift: Double) -> String { "x\n" + (0..<1_000).map { "\(Double($0) / 1_000 + shift)\n" }.joined() }
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - quality: { path: data/x.csv }\n")
        try p.write("data/x.csv", uniform(0))
        try p.expectOK(["add", "data/x.csv"])
        try p.expectOK(["commit", "-m", "v1"])

        try p.write("data/x.csv", uniform(0.144))
        try p.expectOK(["add", "data/x.csv"])
        let before = try p.snapshot()
        let shifted = try p.run("commit", "-m", "shifted")
        #expect(shifted.code == 1)
        #expect(shifted.out.contains("drift-psi"), "\(shifted.out)")
        #expect(shifted.out.contains("psi-fail 0.15, psi-warn 0.1, psi-bins 10"), "\(shifted.out)")
        #expect(shifted.out.contains("1000 previous and 1000 current values in 10 bins"), "\(shifted.out)")
        #expect(try p.snapshot() == before)

        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - quality: { path: data/x.csv, psi-fail: 5, psi-bins: 4 }\n")
        let accepted = try p.expectOK(["commit", "-m", "shifted on purpose"])
        #expect(accepted.out.contains("below psi-fail 5 (psi-fail 5, psi-warn 0.1, psi-bins 4)"), "\(accepted.out)")
        #expect(accepted.out.contains("in 4 bins"), "\(accepted.out)")
    }
    @Test func schemaHookBlocksBadRowsAndRecordsTheCheck() throws {
        let p = try Project(); defer { p.remove() }
        try p.write("data/train.csv", "id,age,visit\n1,34,2024-01-02\n2,51,2024-02-03\n")
        try p.write("schemas/train.schema.json", """
        {"fields": [{"name": "id", "type": "integer", "constraints": {"required": true, "unique": true}},
                    {"name": "age", "type": "integer", "constraints": {"minimum": 0, "maximum": 130}},
                    {"name": "visit", "type": "date"}], "primaryKey": "id"}
        """)
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - schema: { path: data/train.csv, schema: schemas/train.schema.json, drift: fail }\n")
        try p.expectOK(["add", "data/train.csv"])
        let ok = try p.expectOK(["commit", "-m", "valid"])
        #expect(ok.out.contains("schema (lineage.yaml:3) passed"))
        // trace shows the checks of each version.
        #expect(try p.expectOK(["trace", "data/train.csv"]).out.contains("checks: schema passed"))

        // Bad rows: a type error and a constraint error, named by file, check, column and row.
        try p.write("data/train.csv", "id,age,visit\n1,34,2024-01-02\n2,old,2024-02-03\n3,200,2024-03-04\n")
        try p.expectOK(["add", "data/train.csv"])
        let before = try p.snapshot()
        let bad = try p.run("commit", "-m", "bad rows")
        #expect(bad.code == 1)
        #expect(bad.out.contains("type-error [data/train.csv, column \"age\" (field 2), row 3]"))
        #expect(bad.out.contains("constraint-error [data/train.csv, column \"age\" (field 2), row 4]"))
        #expect(try p.snapshot() == before)

        // Drift: a renamed column fails when drift is `fail`.
        try p.write("data/train.csv", "id,years,visit\n1,34,2024-01-02\n")
        try p.expectOK(["add", "data/train.csv"])
        let drift = try p.run("commit", "-m", "renamed")
        #expect(drift.code == 1)
        #expect(drift.out.contains("field-renamed") || drift.out.contains("incorrect-label"))

        // `lineage validate` ad hoc, and the unchanged check is reused rather than re-run.
        try p.write("data/train.csv", "id,age,visit\n1,34,2024-01-02\n2,51,2024-02-03\n")
        try p.expectOK(["add", "data/train.csv"])
        try p.write("notes.txt", "x")
        try p.expectOK(["add", "notes.txt"])
        let reused = try p.expectOK(["commit", "-m", "notes"])
        #expect(reused.out.contains("same check as HEAD"))
        let adhoc = try p.run("validate", "data/train.csv", "--schema", "schemas/train.schema.json", "--json")
        #expect(adhoc.code == 0 && adhoc.out.contains("\"validator\" : \"schema\""))

        // A schema that is not a Table Schema is a configuration error (exit 2).
        try p.write("schemas/train.schema.json", "{\"fields\": [{\"name\": \"id\", \"type\": \"integr\"}]}")
        try p.write("notes.txt", "y")
        try p.expectOK(["add", "notes.txt"])
        let badSchema = try p.run("commit", "-m", "x")
        #expect(badSchema.code == 2 && badSchema.err.contains("integr"))
    }

    @Test func leakageQualityAndPIIHooks() throws {
        let p = try Project(); defer { p.remove() }
        var train = "patient_id,visit_date,x,target\n"
        var test = "patient_id,visit_date,x,target\n"
        for i in 0..<50 { train += "p\(i),2024-01-\(String(format: "%02d", i % 28 + 1)),\(i),\(i % 2)\n" }
        for i in 50..<60 { test += "p\(i),2024-03-\(String(format: "%02d", i % 28 + 1)),\(i),\(i % 2)\n" }
        try p.write("data/train.csv", train)
        try p.write("data/test.csv", test)
        try p.write("lineage.yaml", """
        hooks:
          pre-commit:
            - leakage: { splits: { train: data/train.csv, test: data/test.csv }, key: [patient_id], label: target, time: visit_date }
            - quality: { path: "data/*.csv", max-missing: 0.05, max-duplicate-rows: 0 }
        """)
        try p.expectOK(["add", "data"])
        try p.expectOK(["commit", "-m", "clean splits"])

        // A patient in both splits, and a test row before the last train row.
        try p.write("data/test.csv", test + "p3,2023-12-01,3,1\n")
        try p.expectOK(["add", "data/test.csv"])
        let leak = try p.run("commit", "-m", "leaky")
        #expect(leak.code == 1)
        #expect(leak.out.contains("key-overlap"))
        #expect(leak.out.contains("temporal-order"))
        #expect(leak.out.contains("data/test.csv"))
        #expect(!leak.out.contains(".lineage/hooks-"))

        // Missing values over the limit.
        try p.write("data/test.csv", test + "p99,2024-03-30,,\n")
        try p.expectOK(["add", "data/test.csv"])
        let missing = try p.run("commit", "-m", "gaps")
        #expect(missing.code == 1 && missing.out.contains("missing"))

        // A split that is there but not tracked is a configuration error (one that exists nowhere
        // yet makes the hook wait: GateTests).
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - leakage: { splits: { train: data/train.csv, test: data/holdout.csv } }\n")
        try p.write("data/holdout.csv", "patient_id,target,visit_date\n")
        defer { unlink(p.dir + "/data/holdout.csv") }
        let untracked = try p.run("commit", "-m", "x")
        #expect(untracked.code == 2 && untracked.err.contains("data/holdout.csv") && untracked.err.contains("not tracked"))

        // PII: e-mails in a dataset without a rights record block; declaring them passes; samples are masked.
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - pii: { path: \"people/**\" }\n")
        try p.write("people/contacts.csv", "name,contact\nAnn,ann.smith@example.org\nBob,bob@example.com\n")
        try p.expectOK(["add", "people/contacts.csv"])
        let pii = try p.run("commit", "-m", "contacts")
        #expect(pii.code == 1)
        #expect(pii.out.contains("no rights record") || pii.out.contains("no-rights-record"))
        #expect(!pii.out.contains("ann.smith@example.org"))
        try p.expectOK(["add", "people/contacts.csv", "--pii", "name", "--source", "https://example.org/crm", "--legal-basis", "contract"])
        let undeclared = try p.run("commit", "-m", "contacts")
        #expect(undeclared.code == 1 && undeclared.out.contains("email"))
        try p.expectOK(["add", "people/contacts.csv", "--pii", "name,email"])
        try p.expectOK(["commit", "-m", "contacts, declared"])
        // audit sees what the scanner found, and that it is declared.
        #expect(!(try p.run("audit").out.contains("undeclared-pii")))
    }
}
