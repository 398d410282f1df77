import Foundation
import Testing

/// Pipelines: `stages:` in lineage.yaml, `repro`, `stage list`, `dag`, `metrics`, `params`, through the binary.
@Suite("Pipelines")
struct PipelineTests {
    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static let lineageYAML = """
        stages:
          prepare:
            cmd: python3 prepare.py --seed ${prepare.seed}
            deps: [prepare.py, data/raw/patients.csv]
            params: { params.yaml: [prepare.seed, prepare.test_size] }
            outs: [data/prepared/train.csv, data/prepared/test.csv]
          train:
            cmd: python3 train.py
            deps: [train.py, data/prepared/train.csv]
            params: { params.yaml: [train] }
            outs: [models/model.pkl]
            metrics: [metrics.json]

        """

    /// A two-stage Python pipeline (standard library only) in a project that is also the code's git
    /// repository. Each script appends a line to a marker file outside the outputs when it runs.
    func pipelineProject() throws -> Project {
        let p = try Project()
        var rows = "id,age,weight,label\n"
        for i in 0..<60 { rows += "\(i),\(20 + (i * 7) % 50),\(50 + (i * 13) % 40),\(i % 3 == 0 ? 1 : 0)\n" }
        try p.write("data/raw/patients.csv", rows)
        try p.write("prepare.py", """
            import argparse, os, random
            p = argparse.ArgumentParser(); p.add_argument("--seed", type=int); a = p.parse_args()
            params = open("params.yaml").read()
            test_size = float([l.split(":")[1] for l in params.splitlines() if l.strip().startswith("test_size")][0])
            lines = open("data/raw/patients.csv").read().splitlines()
            header, rows = lines[0], lines[1:]
            random.Random(a.seed).shuffle(rows)
            n = int(len(rows) * (1 - test_size))
            os.makedirs("data/prepared", exist_ok=True)
            open("data/prepared/train.csv", "w").write("\\n".join([header] + rows[:n]) + "\\n")
            open("data/prepared/test.csv", "w").write("\\n".join([header] + rows[n:]) + "\\n")
            open("prepare.ran", "a").write("ran\\n")

            """)
        try p.write("train.py", """
            import json, os
            params = {}
            section = None
            for line in open("params.yaml").read().splitlines():
                if line and not line.startswith(" "): section = line.rstrip(":")
                elif section == "train" and ":" in line:
                    k, v = line.strip().split(":"); params[k] = float(v)
            rows = [r.split(",") for r in open("data/prepared/train.csv").read().splitlines()[1:]]
            # A one-feature threshold "model": predict 1 when age is above the threshold.
            threshold = params["threshold"]
            correct = sum(1 for r in rows if (float(r[1]) > threshold) == (r[3] == "1"))
            os.makedirs("models", exist_ok=True)
            json.dump({"threshold": threshold, "rows": len(rows)}, open("models/model.pkl", "w"), sort_keys=True)
            json.dump({"accuracy": round(correct / len(rows), 6), "train": {"rows": len(rows)}}, open("metrics.json", "w"), sort_keys=True)
            open("train.ran", "a").write("ran\\n")

            """)
        try p.write("params.yaml", "prepare:\n  seed: 7\n  test_size: 0.25\ntrain:\n  threshold: 40\n  epochs: 3\n")
        try p.write("lineage.yaml", Self.lineageYAML)
        try p.write(".gitignore", ".lineage/\n*.ran\n")
        let git = { (args: [String]) throws -> CLI.Result in
            try CLI.tool("/usr/bin/git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.org"] + args, in: p.dir)
        }
        try git(["init", "-q", "-b", "main"])
        try git(["add", "prepare.py", "train.py", ".gitignore", "lineage.yaml"])
        try git(["commit", "-qm", "code"])
        return p
    }

    func json(_ r: CLI.Result) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: r.outData) as! [String: Any]
    }

    func head(_ p: Project) throws -> String { try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines) }

    func lines(_ p: Project, _ file: String) -> Int {
        String(decoding: p.read(file) ?? Data(), as: UTF8.self).split(separator: "\n").count
    }

    func actions(_ r: CLI.Result) throws -> [String: String] {
        let stages = try json(r)["stages"] as! [[String: Any]]
        return Dictionary(uniqueKeysWithValues: stages.map { ($0["name"] as! String, $0["action"] as! String) })
    }

    @Test(.enabled(if: python != nil, "needs python3 for the pipeline's stages"))
    func prepareThenTrainRerunsOnlyWhatChangedAndReusesWhatItCan() throws {
        let p = try pipelineProject()
        defer { p.remove() }
        // Nothing has run: both stale, in dependency order.
        let listed = try json(try p.expectOK(["stage", "list", "--json"]))
        try validateAgainstSchema(try p.expectOK(["stage", "list", "--json"]).out, schema: "stage-list.schema.json")
        let stages = listed["stages"] as! [[String: Any]]
        #expect(stages.map { $0["name"] as! String } == ["prepare", "train"])
        #expect(stages.allSatisfy { $0["state"] as? String == "stale" })

        // First repro runs both: one signed commit each, hooks and all, verifiable with stock git.
        let first = try p.expectOK(["repro", "--json"])
        try validateAgainstSchema(first.out, schema: "repro.schema.json")
        #expect(try actions(first) == ["prepare": "ran", "train": "ran"])
        #expect(lines(p, "prepare.ran") == 1 && lines(p, "train.ran") == 1)
        #expect(try p.git("rev-list", "--count", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        let verify = try p.git("-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=\(p.dir)/.lineage/allowed_signers", "verify-commit", "HEAD")
        #expect(verify.code == 0, "\(verify.err)")
        let firstModel = try p.git("rev-parse", "HEAD:models/model.pkl").out
        let trainRun = ((try json(first)["stages"] as! [[String: Any]])[1]["run"] as! String)

        // The run record carries the stage, its parameters and its metrics, and is valid against run.schema.json.
        let prov = try json(try p.expectOK(["show", "HEAD:models/model.pkl", "--provenance", "--json"]))
        let record = prov["producedBy"] as! [String: Any]
        #expect(record["stage"] as? String == "train")
        let recordedParams = (record["params"] as? [String: Any])?["params.yaml"] as? [String: Any]
        #expect(Set(recordedParams?.keys.map { $0 } ?? []) == ["train.threshold", "train.epochs"])
        #expect((recordedParams?["train.threshold"] as? NSNumber)?.doubleValue == 40)
        #expect((((record["metrics"] as? [String: Any])?["metrics.json"] as? [String: Any])?["train.rows"] as? NSNumber)?.doubleValue == 45)
        #expect((record["code"] as? [String: Any])?["commit"] != nil, "the code commit is recorded")
        let recordPath = try p.git("ls-tree", "-r", "--name-only", "HEAD", ".lineage/runs/").out.split(separator: "\n")
            .first { try! p.git("cat-file", "blob", "HEAD:\($0)").out.contains(trainRun) }!
        try validateAgainstSchema(try p.git("cat-file", "blob", "HEAD:\(recordPath)").out, schema: "run.schema.json")

        // Nothing changed: nothing runs, and it says why.
        let before = try head(p)
        let again = try p.expectOK(["repro"])
        #expect(again.out.contains("Stage prepare is fresh") && again.out.contains("Stage train is fresh") && again.out.contains("nothing ran"), "\(again.out)")
        #expect(try head(p) == before)
        #expect(lines(p, "prepare.ran") == 1 && lines(p, "train.ran") == 1)

        // A training parameter changes: stage list says which, and only train reruns.
        try p.write("params.yaml", "prepare:\n  seed: 7\n  test_size: 0.25\ntrain:\n  threshold: 30\n  epochs: 3\n")
        let stale = try p.expectOK(["stage", "list"]).out
        #expect(stale.contains("fresh  prepare") && stale.contains("stale  train") && stale.contains("train.threshold changed: 40 → 30"), "\(stale)")
        let params = try json(try p.expectOK(["params", "diff", "--json"]))
        try validateAgainstSchema(try p.expectOK(["params", "diff", "--json"]).out, schema: "params-diff.schema.json")
        let paramChanges = params["changes"] as! [[String: Any]]
        #expect(paramChanges.count == 1 && paramChanges[0]["key"] as? String == "train.threshold" && paramChanges[0]["change"] as? Double == -10)
        let dry = try p.expectOK(["repro", "--dry-run", "--json"])
        #expect(try actions(dry) == ["prepare": "skipped", "train": "would-run"])
        #expect(try head(p) == before, "--dry-run records nothing")
        let second = try p.expectOK(["repro"])
        #expect(second.out.contains("Stage train ran because its parameter train.threshold changed: 40 → 30"), "\(second.out)")
        #expect(lines(p, "prepare.ran") == 1 && lines(p, "train.ran") == 2)
        #expect(try p.git("rev-list", "--count", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines) == "3")

        // metrics diff shows the change the parameter made.
        let diff = try p.expectOK(["metrics", "diff", "HEAD~1", "HEAD", "--json"])
        try validateAgainstSchema(diff.out, schema: "metrics-diff.schema.json")
        let changes = try json(diff)["changes"] as! [[String: Any]]
        let accuracy = changes.first { $0["key"] as? String == "accuracy" }
        #expect(accuracy != nil && accuracy?["old"] as? Double != accuracy?["new"] as? Double, "\(diff.out)")
        #expect(changes.allSatisfy { $0["key"] as? String != "train.rows" }, "unchanged metrics are left out")
        let text = try p.expectOK(["metrics", "diff", "HEAD~1", "HEAD"]).out
        #expect(text.contains("accuracy") && text.contains("HEAD~1"), "\(text)")
        try validateAgainstSchema(try p.expectOK(["metrics", "show", "--json"]).out, schema: "metrics-show.schema.json")

        // Reverting the parameter restores the first model from the run cache, without running it.
        try p.write("params.yaml", "prepare:\n  seed: 7\n  test_size: 0.25\ntrain:\n  threshold: 40\n  epochs: 3\n")
        let reverted = try p.expectOK(["repro", "--json"])
        #expect(try actions(reverted) == ["prepare": "skipped", "train": "reused"])
        let reusedEntry = (try json(reverted)["stages"] as! [[String: Any]])[1]
        #expect(reusedEntry["reusedFrom"] as? String == trainRun)
        #expect(lines(p, "train.ran") == 2, "the command did not run")
        #expect(try p.git("rev-parse", "HEAD:models/model.pkl").out == firstModel)
        // Provenance names the run that really made the bytes.
        let reusedProv = try json(try p.expectOK(["show", "HEAD:models/model.pkl", "--provenance", "--json"]))
        #expect((reusedProv["producedBy"] as! [String: Any])["id"] as? String == trainRun)

        // trace, the exports and the report carry the stage's parameters and metrics.
        let trace = try json(try p.expectOK(["trace", "models/model.pkl", "--json"]))
        let runNode = (trace["nodes"] as! [[String: Any]]).first { $0["kind"] as? String == "run" && ($0["attributes"] as? [String: Any])?["name"] as? String == "train" }
        let attributes = runNode?["attributes"] as? [String: Any] ?? [:]
        #expect(attributes["stage"] as? String == "train" && "\(attributes["metrics"] ?? "")".contains("accuracy") && "\(attributes["params"] ?? "")".contains("train.threshold"),
                "\(attributes)")
        let openlineage = try p.expectOK(["trace", "models/model.pkl", "--format", "openlineage"]).out
        let events = openlineage.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let trainEvent = events.first { ($0["job"] as? [String: Any])?["name"] as? String == "train" }
        let facets = (trainEvent?["run"] as? [String: Any])?["facets"] as? [String: Any]
        let metricsFacet = facets?["lineage_metrics"] as? [String: Any]
        #expect(metricsFacet?["_producer"] != nil && metricsFacet?["_schemaURL"] != nil)
        #expect((((metricsFacet?["metrics"] as? [String: Any])?["metrics.json"] as? [String: Any])?["train.rows"] as? NSNumber)?.doubleValue == 45, "\(openlineage)")
        #expect((facets?["lineage_params"] as? [String: Any]) != nil)
        #expect(try p.expectOK(["trace", "models/model.pkl", "--format", "prov-json"]).out.contains("lineage:metrics"))
        try p.expectOK(["report", "models/model.pkl", "-o", "report.html"])
        let html = String(decoding: p.read("report.html") ?? Data(), as: UTF8.self)
        #expect(html.contains("<h4>Metrics</h4>") && html.contains("class=\"metric-chart\"") && html.contains("Pipeline stage"), "the model card shows the metrics and a chart over the model's versions")

        // A deleted output makes the stage stale; the run cache puts it back.
        try FileManager.default.removeItem(atPath: p.dir + "/models/model.pkl")
        #expect(try p.expectOK(["stage", "list"]).out.contains("its output models/model.pkl is missing"))
        #expect(try actions(try p.expectOK(["repro", "--json"])) == ["prepare": "skipped", "train": "reused"])
        #expect(p.read("models/model.pkl") != nil && lines(p, "train.ran") == 2)

        // --force runs even fresh stages; --no-run-cache would too.
        #expect(try actions(try p.expectOK(["repro", "--force", "train", "--json"])) == ["prepare": "ran", "train": "ran"])
        #expect(lines(p, "prepare.ran") == 2 && lines(p, "train.ran") == 3)

        // The deterministic stage reproduces bit for bit in a scratch directory.
        let check = try p.expectOK(["repro", "--check", "train", "--json"])
        try validateAgainstSchema(check.out, schema: "repro-check.schema.json")
        #expect(try json(check)["reproducible"] as? Bool == true)
        #expect(try p.expectOK(["verify"]).code == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the pipeline's stages"))
    func aNonDeterministicStageIsAFindingNotACrash() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("seed.txt", "1\n")
        try p.write("lineage.yaml", """
            stages:
              noisy:
                cmd: python3 -c "import os; open('model.bin', 'wb').write(os.urandom(32))"
                deps: [seed.txt]
                outs: [model.bin]

            """)
        try p.expectOK(["repro"])
        let before = try p.snapshot()
        let model = p.read("model.bin")
        let r = try p.run(["repro", "--check", "noisy", "--json"])
        #expect(r.code == 1, "\(r.err)")
        try validateAgainstSchema(r.out, schema: "repro-check.schema.json")
        let doc = try json(r)
        #expect(doc["reproducible"] as? Bool == false)
        #expect((doc["finding"] as? String)?.contains("model.bin") == true)
        #expect(r.err.contains("not reproducible"))
        #expect(try p.snapshot() == before && p.read("model.bin") == model, "the check changes nothing")
        // A command that fails in the scratch directory is a finding too (it reads an undeclared file).
        try p.write("lineage.yaml", "stages:\n  undeclared:\n    cmd: cat seed.txt other.txt > out.txt\n    deps: [seed.txt]\n    outs: [out.txt]\n")
        try p.write("other.txt", "x\n")
        try p.expectOK(["repro"])
        let failed = try p.run(["repro", "--check", "undeclared"])
        #expect(failed.code == 1 && failed.err.contains("does it read a file it does not declare"), "\(failed.err)")
    }

    @Test func mistakesInStagesAreRefusedWithTheLineAndChangeNothing() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.txt", "a\n")
        try p.write("params.yaml", "train:\n  lr: 0.1\n")
        try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "a"])
        let before = try p.snapshot()
        let cases: [(String, [String])] = [
            ("stages:\n  a:\n    cmd: cp b.txt c.txt\n    deps: [b.txt]\n    outs: [c.txt]\n  b:\n    cmd: cp c.txt b.txt\n    deps: [c.txt]\n    outs: [b.txt]\n",
             ["lineage.yaml:", "cycle", "'a'", "'b'", "b.txt", "c.txt"]),
            ("stages:\n  a:\n    cmd: cp missing.txt out.txt\n    deps: [missing.txt]\n    outs: [out.txt]\n",
             ["lineage.yaml:4", "missing.txt", "no stage makes it"]),
            ("stages:\n  a:\n    cmd: cp a.txt out.txt\n    deps: [a.txt]\n    params: [train.momentum]\n    outs: [out.txt]\n",
             ["lineage.yaml:5", "'train.momentum' is not a key of params.yaml"]),
            ("stages:\n  a:\n    cmd: cp a.txt out.txt\n    deps: [a.txt]\n    outs: [out.txt]\n  b:\n    cmd: cp a.txt out.txt\n    deps: [a.txt]\n    outs: [out.txt]\n",
             ["lineage.yaml:9", "'out.txt' is an output of both stage 'a' (line 5) and stage 'b'"]),
            ("stages:\n  a:\n    cmd: cp a.txt a.txt\n    deps: [a.txt]\n    outs: [a.txt]\n",
             ["lineage.yaml:4", "'a.txt' is both a dependency and an output of stage 'a'"]),
            ("stages:\n  a:\n    cmd: cp a.txt out.txt\n    dep: [a.txt]\n    outs: [out.txt]\n",
             ["lineage.yaml:4", "stages.a.dep", "unknown key", "did you mean 'deps'"]),
            ("stages:\n  a:\n    cmd: echo ${train.momentum} > out.txt\n    outs: [out.txt]\n",
             ["lineage.yaml:3", "${train.momentum}", "names no value of params.yaml"]),
            ("stages:\n  a:\n    deps: [a.txt]\n    outs: [out.txt]\n", ["lineage.yaml:2", "`cmd:` is required"]),
            ("stages:\n  a:\n    cmd: cp a.txt out.txt\n    deps: [a.txt]\n", ["lineage.yaml:2", "outs:"]),
            ("stages:\n  a:\n    cmd: cp a.txt out.txt\n    deps: [../a.txt]\n    outs: [out.txt]\n", ["lineage.yaml:4", "inside the working directory"]),
            ("stages:\n  a:\n    cmd: cp a.txt out.txt\n    params: { nope.yaml: [x] }\n    outs: [out.txt]\n", ["lineage.yaml:4", "'nope.yaml' does not exist"]),
        ]
        for (yaml, expected) in cases {
            try p.write("lineage.yaml", yaml)
            for argv in [["repro"], ["stage", "list"], ["repro", "--dry-run"]] {
                let r = try p.run(argv)
                #expect(r.code == 2, "lineage \(argv.joined(separator: " ")) with\n\(yaml)\nexited \(r.code): \(r.err)")
                for e in expected { #expect(r.err.contains(e), "expected '\(e)' in: \(r.err)") }
            }
            #expect(try p.snapshot() == before)
            #expect(FileManager.default.fileExists(atPath: p.dir + "/out.txt") == false)
        }
        // An unknown stage name lists the stages; no stages at all says how to declare one.
        try p.write("lineage.yaml", "stages:\n  train:\n    cmd: cp a.txt out.txt\n    deps: [a.txt]\n    outs: [out.txt]\n")
        let unknown = try p.run(["repro", "trian"])
        #expect(unknown.code == 2 && unknown.err.contains("did you mean 'train'"), "\(unknown.err)")
        try p.write("lineage.yaml", "hooks:\n  pre-commit: []\n")
        let none = try p.run(["repro"])
        #expect(none.code == 2 && none.err.contains("declares no stages"), "\(none.err)")
        #expect(try p.snapshot() == before)
    }

    /// `repro` writes commits through `run`: a stage whose outputs fail a pre-commit hook is not
    /// committed, the stages after it do not run, and the one before it stays committed.
    @Test func aBlockedStageStopsReproAndCommitsNothingOfIt() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data/raw.csv", "id,x\n1,a\n2,b\n3,c\n4,d\n")
        try p.write("lineage.yaml", """
            hooks:
              pre-commit:
                - leakage: { splits: { train: data/train.csv, test: data/test.csv } }
            stages:
              copy:
                cmd: cp data/raw.csv data/copy.csv
                deps: [data/raw.csv]
                outs: [data/copy.csv]
              split:
                cmd: head -4 data/copy.csv > data/train.csv && (head -1 data/copy.csv; tail -2 data/copy.csv) > data/test.csv
                deps: [data/copy.csv]
                outs: [data/train.csv, data/test.csv]
              report:
                cmd: wc -l data/train.csv > report.txt; echo ran >> report.ran
                deps: [data/train.csv]
                outs: [report.txt]

            """)
        let r = try p.run(["repro"])
        #expect(r.code == 1, "\(r.out)\(r.err)")
        #expect(r.out.contains("leakage"), "the hook's finding is shown: \(r.out)")
        #expect(r.err.contains("blocked"), "\(r.err)")
        #expect(try p.git("rev-list", "--count", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "only the stage before is committed")
        #expect(try p.git("ls-tree", "-r", "--name-only", "HEAD").out.contains("data/copy.csv"))
        #expect(!(try p.git("ls-tree", "-r", "--name-only", "HEAD").out.contains("data/train.csv")))
        #expect(p.read("report.ran") == nil, "the stage after the blocked one did not run")
        let list = try p.expectOK(["stage", "list"]).out
        #expect(list.contains("fresh  copy") && list.contains("stale  split"), "\(list)")
    }

    @Test func dagShowsWhichStageFeedsWhich() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("raw.txt", "r\n")
        try p.write("lineage.yaml", """
            stages:
              a:
                cmd: cp raw.txt a.txt
                deps: [raw.txt]
                outs: [a.txt]
              b:
                cmd: cp a.txt b.txt
                deps: [a.txt]
                outs: [b.txt]
              c:
                cmd: cat a.txt b.txt > c.txt
                deps: [a.txt, b.txt]
                outs: [c.txt]

            """)
        #expect(try p.expectOK(["dag"]).out == "a\n├── b\n│   └── c\n└── c (see above)\n")
        let json = try p.expectOK(["dag", "--format", "json"])
        try validateAgainstSchema(json.out, schema: "dag.schema.json")
        let edges = (try self.json(json)["edges"] as! [[String: Any]]).map { "\($0["from"]!)->\($0["to"]!)" }
        #expect(Set(edges) == ["a->b", "a->c", "b->c"])
        let mermaid = try p.expectOK(["dag", "--format", "mermaid"]).out
        #expect(mermaid.hasPrefix("flowchart TD\n") && mermaid.contains("s0 --> s1") && mermaid.contains("s1 --> s2"))
        let dot = try p.expectOK(["dag", "--format", "dot"]).out
        #expect(dot.contains("\"a\" -> \"b\""))
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") {
            let file = p.dir + "/dag.dot"
            try Data(dot.utf8).write(to: URL(fileURLWithPath: file))
            #expect(try CLI.tool("/usr/bin/dot", ["-Tsvg", file], in: p.dir).code == 0, "graphviz reads the DOT output")
        }
        // b and c read a's output; changing raw.txt makes a stale, and b, c wait on it.
        try p.expectOK(["repro"])
        try p.write("raw.txt", "r2\n")
        let dry = try p.expectOK(["repro", "--dry-run", "--json"])
        #expect(try actions(dry) == ["a": "would-run", "b": "may-run", "c": "may-run"])
        #expect(try actions(try p.expectOK(["repro", "--json"])) == ["a": "ran", "b": "ran", "c": "ran"])
        // A run that writes the same bytes leaves the stages after it fresh.
        try p.write("raw.txt", "r2\n")
        try p.write("lineage.yaml", String(decoding: p.read("lineage.yaml")!, as: UTF8.self).replacingOccurrences(of: "cp raw.txt a.txt", with: "cat raw.txt > a.txt"))
        #expect(try actions(try p.expectOK(["repro", "--json"])) == ["a": "ran", "b": "skipped", "c": "skipped"])
    }

    @Test func tomlAndJSONParamsAndCSVMetrics() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("params.toml", "# model settings\n[model]\ndepth = 4\nname = \"tree\"\nlayers = [1, 2]\n[model.opt]\nlr = 1e-3\n")
        try p.write("conf.json", "{\"batch\": {\"size\": 32}, \"flag\": true}")
        try p.write("lineage.yaml", """
            stages:
              fit:
                cmd: printf 'auc,f1\\n0.91,0.8${model.depth}\\n' > scores.csv
                params:
                  - params.toml: [model]
                  - conf.json: [batch.size, flag]
                outs: [out.txt]
                metrics: [scores.csv]

            """)
        try p.write("lineage.yaml", String(decoding: p.read("lineage.yaml")!, as: UTF8.self).replacingOccurrences(of: "> scores.csv", with: "> scores.csv; echo ${batch.size} > out.txt"))
        try p.expectOK(["repro"])
        #expect(String(decoding: p.read("out.txt") ?? Data(), as: UTF8.self) == "32\n")
        let shown = try json(try p.expectOK(["metrics", "show", "HEAD", "--json"]))
        let metrics = Dictionary(uniqueKeysWithValues: (shown["metrics"] as! [[String: Any]]).map { ($0["key"] as! String, $0["value"] as! Double) })
        #expect(metrics == ["auc": 0.91, "f1": 0.84])
        let params = try json(try p.expectOK(["params", "diff", "--all", "--json"]))
        let keys = Set((params["changes"] as! [[String: Any]]).map { "\($0["file"]!):\($0["key"]!)" })
        #expect(keys == ["conf.json:batch.size", "conf.json:flag", "params.toml:model.depth", "params.toml:model.name", "params.toml:model.layers", "params.toml:model.opt.lr"])
        try p.write("params.toml", "[model]\ndepth = 5\nname = \"tree\"\nlayers = [1, 2]\n[model.opt]\nlr = 1e-3\n")
        let r = try p.expectOK(["repro"])
        #expect(r.out.contains("model.depth changed: 4 → 5"), "\(r.out)")
        let diff = try json(try p.expectOK(["metrics", "diff", "HEAD~1", "HEAD", "--json"]))
        let f1 = (diff["changes"] as! [[String: Any]]).first { $0["key"] as? String == "f1" }
        #expect(f1?["old"] as? Double == 0.84 && f1?["new"] as? Double == 0.85)
        // A params file TOML cannot parse names its line.
        try p.write("params.toml", "[model]\ndepth = = 5\n")
        let bad = try p.run(["stage", "list"])
        #expect(bad.code == 2 && bad.err.contains("params.toml:2"), "\(bad.err)")
    }

    @Test func singleCommitRecordsEveryStageTogetherOrNothing() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("raw.txt", "r\n")
        try p.expectOK(["add", "raw.txt"]); try p.expectOK(["commit", "-m", "raw"])
        try p.write("lineage.yaml", """
            stages:
              a:
                cmd: cp raw.txt a.txt
                deps: [raw.txt]
                outs: [a.txt]
              b:
                cmd: cat a.txt a.txt > b.txt
                deps: [a.txt]
                outs: [b.txt]

            """)
        let r = try p.expectOK(["repro", "--single-commit", "--json"])
        let stages = try json(r)["stages"] as! [[String: Any]]
        #expect(stages.map { $0["action"] as! String } == ["ran", "ran"])
        let commit = try head(p)
        #expect(stages.allSatisfy { $0["commit"] as? String == commit })
        #expect(try p.git("rev-list", "--count", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        let record = try p.git("cat-file", "blob", "HEAD:.lineage/commit.json").out
        let runs = (try JSONSerialization.jsonObject(with: Data(record.utf8)) as! [String: Any])["runs"] as! [String]
        #expect(runs.count == 2 && Set(runs) == Set(stages.map { $0["run"] as! String }))
        #expect(try p.expectOK(["stage", "list"]).out.contains("fresh  b"))

        // A failing stage: nothing is committed, nothing stays staged, and repro exits with its status.
        try p.write("raw.txt", "r2\n")
        try p.write("lineage.yaml", String(decoding: p.read("lineage.yaml")!, as: UTF8.self).replacingOccurrences(of: "cat a.txt a.txt > b.txt", with: "exit 3"))
        let failed = try p.run(["repro", "--single-commit"])
        #expect(failed.code == 3 && failed.err.contains("nothing was committed (--single-commit)"), "\(failed.err)")
        #expect(try head(p) == commit)
        let status = try json(try p.expectOK(["status", "--json"]))
        #expect((status["files"] as! [[String: Any]]).allSatisfy { $0["staged"] as? String == "unchanged" }, "the staging index is as it was")
    }
}
