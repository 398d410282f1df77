import Foundation
import Testing

/// One shape for machine-readable output (issue 18, Schemas/README.md): every command that prints a
/// result takes `--json`; each document is an object whose `schema` member names its JSON Schema in
/// Schemas/, and it validates against that schema (Python's jsonschema, a real validator).
///
/// The commands are enumerated from the parser itself (`--experimental-dump-help`), so a new
/// command with `--json` and no step below fails `everyCommandWithJSONIsExercised`, and one whose
/// document names no schema (or a wrong one) fails `everyDocumentMatchesTheSchemaItNames`.
@Suite struct JSONOutputTests {
    /// Commands that print no --json document, and why.
    static let withoutJSON: [String: String] = [
        "cat": "writes a file's bytes",
        "completions": "writes a shell script",
        "help": "writes help text",
        "schema infer": "writes a Frictionless Table Schema, a standard format that `validate --schema` reads",
        "remote add": "changes only .lineage/config and prints one confirmation line; `remote list --json` reads the result",
        "remote remove": "changes only .lineage/config and prints one confirmation line; `remote list --json` reads the result",
        "remote set-content": "changes only .lineage/config and prints one confirmation line; `remote list --json` reads the result",
    ]

    /// One step of the scenario, run in order on a scratch project (`{base}` is the directory
    /// holding it, `{fp}` the fingerprint of the project's signing key).
    enum Step {
        /// A lineage command whose output is a --json document, and the exit code it must end with.
        case json([String], code: Int32 = 0)
        /// A lineage command run for its effect.
        case lineage([String])
        /// A file written into the project.
        case write(String, String)
        /// Another program (git), in the project.
        case tool([String])
    }

    static let steps: [Step] = [
        .tool(["git", "init", "-q", "."]),
        .write("train.py", "print('train')\n"),
        .tool(["git", "add", "train.py"]),
        .tool(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "code"]),
        .json(["init", "--json"]),
        .json(["config", "user.name", "Test User", "--json"]),
        .lineage(["config", "user.email", "test@example.org"]),
        .json(["config", "user.email", "--json"]),
        .json(["config", "no.such-key", "--json"], code: 1),
        .write("data/train.csv", "id,age\n1,30\n2,40\n"),
        .write("data/test.csv", "id,age\n3,50\n"),
        .write("data/bad.csv", "id,age\n4,old\n"),
        .lineage(["schema", "infer", "data/train.csv", "-o", "train.schema.json"]),
        .write("lineage.yaml", """
            hooks:
              pre-commit:
                - schema: { path: data/train.csv, schema: train.schema.json }
                - command: { run: "true", path: data/test.csv }
            stages:
              prep:
                cmd: sh stage/prep.sh
                deps: [stage/prep.sh, stage/in.txt]
                params: { params.yaml: [seed] }
                outs: [stage/out.txt]
                metrics: [stage/metrics.json]

            """),
        .write("stage/prep.sh", "cat stage/in.txt > stage/out.txt\nprintf '{\"acc\": 0.5}\\n' > stage/metrics.json\n"),
        .write("stage/in.txt", "one\n"),
        .write("params.yaml", "seed: 1\n"),
        .json(["add", "--json", "data/train.csv", "data/test.csv", "train.schema.json",
               "--license", "CC-BY-4.0", "--legal-basis", "consent", "--consent", "granted"]),
        .json(["status", "--json"]),
        .json(["hooks", "list", "--json"]),
        .json(["hooks", "trust", "--json"]),
        .json(["hooks", "run", "--json"]),
        .json(["commit", "-m", "data", "--json"]),
        // The command's own output goes to stderr: on stdout it would make the document not JSON.
        .json(["run", "--json", "--name", "train", "-i", "data/train.csv", "-i", "test=data/test.csv", "-o", "models/model.json", "--",
               "sh", "-c", "mkdir -p models && echo '{}' > models/model.json && echo not-json"]),
        // A command that fails commits nothing; the document says only how it ended.
        .json(["run", "--json", "--name", "broken", "-o", "models/none.bin", "--", "sh", "-c", "exit 3"], code: 3),
        .json(["log", "--json"]),
        .json(["ls-files", "--json"]),
        .json(["ls-files", "HEAD~1", "--json"]),
        .json(["show", "--json"]),
        .json(["show", "HEAD:data/train.csv", "--json"]),
        .json(["show", "HEAD:models/model.json", "--provenance", "--json"]),
        .json(["diff", "HEAD~1", "HEAD", "--json"]),
        .json(["diff", "HEAD~1", "--json"]),
        .json(["trace", "models/model.json", "--json"]),
        .json(["trace", "models/model.json", "--kind", "dataset", "--json"]),
        .json(["impact", "data/train.csv", "--json"]),
        .json(["reindex", "--json"]),
        .json(["report", "models/model.json", "-o", "report.html", "--json"]),
        .json(["attest", "models/model.json", "--json"]),
        .json(["attest", "models/model.json", "-o", "model.intoto.json", "--json"]),
        .json(["datasheet", "data/train.csv", "--json"]),
        .json(["datasheet", "data/train.csv", "--format", "croissant", "-o", "train.croissant.json", "--json"]),
        .json(["rights", "show", "data/train.csv", "--json"]),
        .json(["rights", "show", "models/model.json", "--json"]),
        .json(["rights", "set", "data/test.csv", "--license", "MIT", "--json"]),
        .json(["consent", "withdraw", "data/test.csv", "--reason", "request 7", "--json"]),
        .json(["audit", "--json"], code: 1),
        .json(["audit", "--use", "commercial", "--at", "2030-01-01", "--json"], code: 1),
        .json(["validate", "data/train.csv", "--schema", "train.schema.json", "--json"]),
        .json(["validate", "data/bad.csv", "--schema", "train.schema.json", "--json"], code: 1),
        .json(["verify", "--json"]),
        .json(["trust", "list", "--json"]),
        .json(["key", "generate", "--file", "{base}/bob_key", "--json"]),
        .json(["trust", "add", "bob@example.org", "{base}/bob_key.pub", "--valid-after", "2020-01-01", "--json"]),
        .json(["trust", "remove", "bob@example.org", "--json"]),
        // Hooks that fail block a commit: the report is the document.
        .write("data/train.csv", "id,age\n1,thirty\n"),
        .lineage(["add", "data/train.csv"]),
        .json(["commit", "-m", "blocked", "--json"], code: 1),
        .json(["restore", "--staged", "--json", "data/train.csv"]),
        .json(["checkout", "--json", "--force", "HEAD", "--", "data/train.csv"]),
        .json(["branch", "--json"]),
        .json(["branch", "feature", "--json"]),
        .json(["checkout", "feature", "--json"]),
        .json(["checkout", "main", "--json"]),
        .json(["merge", "feature", "--json"]),
        .lineage(["remote", "add", "origin", "{base}/team.git"]),
        .json(["remote", "list", "--json"]),
        .json(["push", "--json"]),
        .json(["fetch", "--json"]),
        .json(["pull", "--json"]),
        .json(["clone", "{base}/team.git", "{base}/clone", "--trust-root", "{fp}", "--json"]),
        .json(["erase", "data/test.csv", "--reason", "erasure request 7", "--json"]),
        .json(["erase", "--status", "--json"]),
        // The tombstone travels, then the bytes leave the remote's content location.
        .json(["push", "--json"]),
        .json(["erase", "--status", "--json"]),
        .json(["audit", "--json"], code: 1),
        .json(["audit", "--erase-derived", "--json"], code: 1),
        .json(["audit", "--erase-derived", "--yes", "--reason", "built from request 7", "--json"]),
        .json(["gc", "--json"]),
        .json(["stage", "list", "--json"]),
        .json(["dag", "--json"]),
        .json(["repro", "--dry-run", "--json"]),
        .json(["repro", "--json"]),
        .json(["repro", "--check", "prep", "--json"]),
        .json(["metrics", "show", "--json"]),
        .write("params.yaml", "seed: 2\n"),
        .json(["params", "diff", "--json"]),
        .json(["repro", "--json"]),
        .json(["metrics", "diff", "HEAD~1", "HEAD", "--all", "--json"]),
        .json(["branch", "--delete", "feature", "--json"]),
        .json(["gc", "--remote", "origin", "--dry-run", "--json"]),
        .json(["gc", "--remote", "origin", "--grace", "0s", "--json"]),
        .json(["verify", "--remote", "origin", "--json"]),
    ]

    /// Every leaf command (`trust list`) and whether it takes --json, from the parser's own description.
    static func commands() throws -> [String: Bool] {
        let dump = try CLI.run(["--experimental-dump-help"], in: "/")
        #expect(dump.code == 0, "\(dump.err)")
        let root = try #require(try JSONSerialization.jsonObject(with: dump.outData) as? [String: Any])
        var out: [String: Bool] = [:]
        func walk(_ command: [String: Any], _ path: [String]) {
            let subcommands = command["subcommands"] as? [[String: Any]] ?? []
            if subcommands.isEmpty, !path.isEmpty {
                let names = (command["arguments"] as? [[String: Any]] ?? []).flatMap { $0["names"] as? [[String: Any]] ?? [] }
                out[path.joined(separator: " ")] = names.contains { $0["kind"] as? String == "long" && $0["name"] as? String == "json" }
            }
            for s in subcommands { walk(s, path + [s["commandName"] as? String ?? "?"]) }
        }
        walk(try #require(root["command"] as? [String: Any]), [])
        return out
    }

    /// The command a step's arguments run: the longest run of leading words naming one.
    static func command(of args: [String], among known: some Collection<String>) -> String? {
        let words = args.prefix { !$0.hasPrefix("-") }
        return (1...max(1, min(2, words.count))).reversed().lazy.map { words.prefix($0).joined(separator: " ") }.first { known.contains($0) }
    }

    @Test func everyCommandWithJSONIsExercised() throws {
        let all = try Self.commands()
        #expect(all.count > 30 && all["trust list"] == true && all["cat"] == false, "\(all)")
        var exercised: Set<String> = []
        for case .json(let args, _) in Self.steps {
            let name = try #require(Self.command(of: args, among: all.keys), "no command in \(args)")
            #expect(all[name] == true, "the step \(args) runs `\(name)`, which has no --json")
            #expect(args.contains("--json"), "the step \(args) does not ask for --json")
            exercised.insert(name)
        }
        for (name, hasJSON) in all.sorted(by: { $0.key < $1.key }) {
            if hasJSON {
                #expect(exercised.contains(name), "`lineage \(name)` has --json but no step of JSONOutputTests.steps prints it: add one, and a schema in Schemas/")
                #expect(Self.withoutJSON[name] == nil, "`lineage \(name)` has --json now: take it out of JSONOutputTests.withoutJSON")
            } else {
                #expect(Self.withoutJSON[name] != nil, "`lineage \(name)` has no --json: give it one (Schemas/README.md) or say in JSONOutputTests.withoutJSON why it prints nothing a script reads")
            }
        }
        for name in Self.withoutJSON.keys { #expect(all[name] != nil, "JSONOutputTests.withoutJSON names `\(name)`, which is not a command") }
    }

    @Test(.enabled(if: pythonHasJSONSchema, "needs python3 with jsonschema (.ci/setup.sh installs it)"))
    func everyDocumentMatchesTheSchemaItNames() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-json-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base + "/p", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let p = Project(existing: base + "/p")
        let known = try Self.commands().keys
        var documents: [(command: String, args: [String], file: String)] = []

        func expand(_ args: [String]) throws -> [String] {
            try args.map { arg in
                var a = arg.replacingOccurrences(of: "{base}", with: base)
                if a.contains("{fp}") {
                    let list = try JSONSerialization.jsonObject(with: try p.expectOK(["trust", "list", "--json"]).outData) as? [String: Any]
                    let fp = ((list?["keys"] as? [[String: Any]])?.first?["fingerprint"] as? String) ?? "?"
                    a = a.replacingOccurrences(of: "{fp}", with: fp)
                }
                return a
            }
        }

        for step in Self.steps {
            switch step {
            case .write(let path, let text): try p.write(path, text)
            case .tool(let args):
                let r = try CLI.tool("/usr/bin/env", args, in: p.dir)
                #expect(r.code == 0, "\(args.joined(separator: " ")): \(r.err)")
            case .lineage(let args): try p.expectOK(try expand(args))
            case .json(let args, let code):
                let r = try p.run(try expand(args))
                #expect(r.code == code, "lineage \(args.joined(separator: " ")) exited \(r.code), not \(code): \(r.err)")
                let file = base + "/doc-\(documents.count).json"
                try r.outData.write(to: URL(fileURLWithPath: file))
                documents.append((Self.command(of: args, among: known) ?? "?", args, file))
            }
        }

        let problems = try schemaProblems(documents.map { (nil, $0.file) })
        for doc in documents {
            let found = problems[doc.file] ?? ["not validated"]
            let text = "lineage \(doc.args.joined(separator: " ")): \(found.joined(separator: "\n  "))"
            #expect(found.isEmpty, "\(text)")
        }
    }

    /// Every file of Schemas/ is a valid Draft 2020-12 schema whose `$id` ends in its file name, and a
    /// document schema's `schema` member can only be its own name.
    @Test(.enabled(if: pythonHasJSONSchema, "needs python3 with jsonschema (.ci/setup.sh installs it)"))
    func schemasNameThemselves() throws {
        let script = """
            import glob, json, os, sys, jsonschema
            bad = []
            for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
                name, s = os.path.basename(f), json.load(open(f))
                try:
                    jsonschema.Draft202012Validator.check_schema(s)
                except jsonschema.SchemaError as e:
                    bad.append("%s: %s" % (name, e.message))
                if not s.get("$id", "").endswith("/" + name): bad.append("%s: $id %r does not end in its name" % (name, s.get("$id")))
                member = s.get("properties", {}).get("schema")
                if member is not None and member != {"const": name}: bad.append("%s: its schema member is %r" % (name, member))
            print(json.dumps(bad))
            """
        let r = try CLI.tool("/usr/bin/env", ["python3", "-c", script, schemasDirectory], in: "/")
        #expect(r.code == 0, "\(r.err)")
        #expect((try? JSONSerialization.jsonObject(with: r.outData) as? [String]) == [], "\(r.out)")
    }
}
