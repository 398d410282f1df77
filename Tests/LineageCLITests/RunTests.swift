import Foundation
import Testing

/// `lineage run`, `show --provenance` and `attest`, through the binary.
@Suite("Provenance runs and attestations")
struct RunTests {
    func head(_ p: Project) throws -> String { try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines) }

    func sha256sum(_ p: Project, _ path: String) throws -> String {
        String(try CLI.tool("/usr/bin/sha256sum", [path], in: p.dir).out.prefix(64))
    }

    /// A project that is also a git repository holding the training code.
    func codeProject() throws -> Project {
        let p = try Project()
        try p.write("data/train.csv", "x,y\n1,2\n3,4\n")
        try p.write("train.sh", "#!/bin/sh\nmkdir -p models\ntr 0-9 a-j < data/train.csv > models/model.bin\necho trained\n")
        try p.write(".gitignore", ".lineage/\n")
        let git = { (args: [String]) throws -> CLI.Result in
            try CLI.tool("/usr/bin/git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.org"] + args, in: p.dir)
        }
        try git(["init", "-q", "-b", "main"])
        try git(["remote", "add", "origin", "https://alice:s3cret@example.com/team/project.git"])
        try git(["add", "train.sh", ".gitignore"])
        try git(["commit", "-qm", "code"])
        return p
    }

    @Test func aRunCommitsItsOutputsInputsAndRecordInOneSignedCommit() throws {
        let p = try codeProject()
        defer { p.remove() }
        let before = try p.git("rev-list", "--all", "--count").out
        let r = try p.run(["run", "--name", "train", "-i", "data/train.csv", "-o", "models/model.bin", "--", "sh", "train.sh"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == "trained\n", "the command's stdout passes through")
        #expect(Int(try p.git("rev-list", "--all", "--count").out.trimmingCharacters(in: .whitespacesAndNewlines))! ==
                Int(before.trimmingCharacters(in: .whitespacesAndNewlines))! + 1)
        // One commit holds the output, the input and the run record, and it verifies with stock git.
        let tree = try p.git("ls-tree", "-r", "--name-only", "HEAD").out
        #expect(tree.contains("models/model.bin") && tree.contains("data/train.csv") && tree.contains(".lineage/runs/"))
        let verify = try p.git("-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=\(p.dir)/.lineage/allowed_signers", "verify-commit", "HEAD")
        #expect(verify.code == 0, "\(verify.err)")

        let json = try p.expectOK(["show", "HEAD:models/model.bin", "--provenance", "--json"])
        let doc = try JSONSerialization.jsonObject(with: json.outData) as! [String: Any]
        #expect((doc["signature"] as! [String: Any])["status"] as? String == "good")
        let run = doc["producedBy"] as! [String: Any]
        #expect(run["name"] as? String == "train")
        #expect(run["argv"] as? [String] == ["sh", "train.sh"])
        #expect(run["exitStatus"] as? Int == 0)
        let inputs = run["inputs"] as! [[String: Any]]
        #expect(inputs.count == 1 && inputs[0]["path"] as? String == "data/train.csv")
        #expect(inputs[0]["sha256"] as? String == "sha256:" + (try sha256sum(p, "data/train.csv")))
        let outputs = run["outputs"] as! [[String: Any]]
        #expect(outputs.first?["sha256"] as? String == "sha256:" + (try sha256sum(p, "models/model.bin")))
        let code = run["code"] as! [String: Any]
        let gitHead = try CLI.tool("/usr/bin/git", ["rev-parse", "HEAD"], in: p.dir).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(code["commit"] as? String == gitHead)
        #expect(code["branch"] as? String == "main")
        #expect(code["remoteURL"] as? String == "https://example.com/team/project.git", "credentials stripped")
        #expect(code["dirty"] as? Bool == false)
        let env = run["environment"] as! [String: Any]
        #expect(!(env["os"] as! String).isEmpty && !(env["kernel"] as! String).isEmpty && !(env["architecture"] as! String).isEmpty)
        #expect((run["agent"] as! [String: Any])["keyFingerprint"] as? String != nil)
        #expect(UUID(uuidString: run["id"] as! String) != nil)

        // The stored record is canonical JSON valid against Schemas/run.schema.json.
        let recordPath = tree.split(separator: "\n").first { $0.hasPrefix(".lineage/runs/") }!
        let record = try p.git("cat-file", "blob", "HEAD:\(recordPath)").out
        try validate(record, schema: "run", in: p)

        // A dirty tree is recorded as such, with the digest of the diff.
        try p.write("train.sh", "#!/bin/sh\nmkdir -p models\ntr 0-9 k-t < data/train.csv > models/model.bin\n")
        try p.expectOK(["run", "--name", "train", "-i", "data/train.csv", "-o", "models/model.bin", "--", "sh", "train.sh"])
        let second = try JSONSerialization.jsonObject(with: try p.expectOK(["show", "HEAD:models/model.bin", "--provenance", "--json"]).outData) as! [String: Any]
        let dirty = (second["producedBy"] as! [String: Any])["code"] as! [String: Any]
        #expect(dirty["dirty"] as? Bool == true)
        let diff = try CLI.tool("/bin/sh", ["-c", "git -c core.quotepath=on diff HEAD --no-color --no-renames --full-index --no-ext-diff --no-textconv | sha256sum"], in: p.dir)
        #expect(dirty["diffSHA256"] as? String == "sha256:" + diff.out.prefix(64))
        // The first model still traces to its own run: versions are exact.
        let first = try JSONSerialization.jsonObject(with: try p.expectOK(["show", "HEAD~1:models/model.bin", "--provenance", "--json"]).outData) as! [String: Any]
        #expect(((first["producedBy"] as! [String: Any])["code"] as! [String: Any])["dirty"] as? Bool == false)
        #expect(try p.expectOK(["verify"]).code == 0)
    }

    @Test func aFailingCommandCommitsNothingAndPassesItsStatusOn() throws {
        let p = try codeProject()
        defer { p.remove() }
        try p.expectOK(["add", "data"]); try p.expectOK(["commit", "-m", "data"])
        let before = try p.snapshot()
        let failed = try p.run(["run", "--name", "t", "-i", "data/train.csv", "-o", "out.bin", "--", "sh", "-c", "echo partial > out.bin; exit 7"])
        #expect(failed.code == 7)
        #expect(failed.err.contains("nothing was committed"))
        #expect(try p.snapshot() == before)

        let missing = try p.run(["run", "--name", "t", "-i", "data/train.csv", "-o", "never.bin", "--", "true"])
        #expect(missing.code == 2 && missing.err.contains("did not produce the declared output 'never.bin'"))
        #expect(try p.snapshot() == before)

        let changed = try p.run(["run", "--name", "t", "-i", "data/train.csv", "-o", "o.bin", "--", "sh", "-c", "echo 9,9 >> data/train.csv; echo > o.bin"])
        #expect(changed.code == 2 && changed.err.contains("input 'data/train.csv' changed while the command ran"))
        #expect(try p.snapshot() == before)
        try p.write("data/train.csv", "x,y\n1,2\n3,4\n")

        let notFound = try p.run(["run", "--name", "t", "-o", "o.bin", "--", "no-such-command-xyz"])
        #expect(notFound.code == 2 && notFound.err.contains("no-such-command-xyz"))
        let outside = try p.run(["run", "--name", "t", "-o", "../escape.bin", "--", "true"])
        #expect(outside.code == 2 && outside.err.contains("outside the working directory"))
        _ = mkfifo(p.dir + "/data/pipe", 0o644)
        let fifo = try p.run(["run", "--name", "t", "-i", "data/pipe", "-o", "o.bin", "--", "true"])
        #expect(fifo.code == 2 && fifo.err.contains("not a regular file"), "\(fifo.err)")
        let noInput = try p.run(["run", "--name", "t", "-i", "data/none.csv", "-o", "o.bin", "--", "true"])
        #expect(noInput.code == 2 && noInput.err.contains("does not exist"))
        let noName = try p.run(["run", "--name", " ", "-o", "o.bin", "--", "true"])
        #expect(noName.code == 2)
        let noCommand = try p.run(["run", "--name", "t", "-o", "o.bin"])
        #expect(noCommand.code == 2 && noCommand.err.contains("no command"))
        #expect(try p.snapshot() == before)
    }

    @Test func signalsAreForwardedAndTheStatusReturned() throws {
        let p = try Project()
        defer { p.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["run", "--name", "wait", "-o", "o.bin", "--", "sh", "-c", "trap 'exit 42' TERM; touch started; sleep 20 & wait"]
        process.currentDirectoryURL = URL(fileURLWithPath: p.dir)
        var env = ProcessInfo.processInfo.environment
        env["XDG_CONFIG_HOME"] = CLI.configHome
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: p.dir + "/started") && Date() < deadline { usleep(20_000) }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 42)
        #expect(try p.git("rev-list", "--all").out.isEmpty)
    }

    @Test(.enabled(if: (try? CLI.tool("/usr/bin/env", ["python3", "-m", "pip", "--version"], in: "/").code) == 0,
                   "needs python3 with pip (.ci/setup.sh installs it)"))
    func pipFreezeIsStoredAsAnEnvironmentRecord() throws {
        let p = try Project()
        defer { p.remove() }
        try p.expectOK(["run", "--name", "env", "-o", "o.txt", "--env-capture", "pip", "--", "sh", "-c", "echo hi > o.txt"])
        let doc = try JSONSerialization.jsonObject(with: try p.expectOK(["show", "HEAD:o.txt", "--provenance", "--json"]).outData) as! [String: Any]
        let captures = ((doc["producedBy"] as! [String: Any])["environment"] as! [String: Any])["captures"] as! [[String: Any]]
        #expect(captures.count == 1 && captures[0]["kind"] as? String == "pip")
        let stored = try p.git("cat-file", "blob", "HEAD:" + (captures[0]["record"] as! String))
        #expect(stored.code == 0)
        let expected = try CLI.tool("/usr/bin/env", ["python3", "-m", "pip", "freeze"], in: p.dir).out
        #expect(stored.out == expected)
        #expect(try p.run("run", "--name", "x", "-o", "o.txt", "--env-capture", "conda", "--", "true").code == 2)
    }

    @Test func attestWritesASignedInTotoStatementOfTheRun() throws {
        let p = try codeProject()
        defer { p.remove() }
        try p.expectOK(["run", "--name", "train", "-i", "data/train.csv", "-o", "models", "--", "sh", "train.sh"])
        try p.expectOK(["attest", "models/model.bin", "-o", "model.intoto.json"])
        let envelope = try JSONSerialization.jsonObject(with: p.read("model.intoto.json")!) as! [String: Any]
        #expect(envelope["payloadType"] as? String == "application/vnd.in-toto+json")
        let payload = Data(base64Encoded: envelope["payload"] as! String)!
        let statement = try JSONSerialization.jsonObject(with: payload) as! [String: Any]
        #expect(statement["_type"] as? String == "https://in-toto.io/Statement/v1")
        #expect(statement["predicateType"] as? String == "https://slsa.dev/provenance/v1")
        let subject = (statement["subject"] as! [[String: Any]])[0]
        #expect(subject["name"] as? String == "models/model.bin")
        #expect((subject["digest"] as! [String: String])["sha256"] == (try sha256sum(p, "models/model.bin")))
        let predicate = statement["predicate"] as! [String: Any]
        let deps = (predicate["buildDefinition"] as! [String: Any])["resolvedDependencies"] as! [[String: Any]]
        #expect(deps.contains { ($0["digest"] as? [String: String])?["sha256"] == (try? sha256sum(p, "data/train.csv")) })
        let gitHead = try CLI.tool("/usr/bin/git", ["rev-parse", "HEAD"], in: p.dir).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(deps.contains { ($0["digest"] as? [String: String])?["gitCommit"] == gitHead })
        let metadata = (predicate["runDetails"] as! [String: Any])["metadata"] as! [String: Any]
        #expect(metadata["invocationId"] as? String != nil && metadata["startedOn"] as? String != nil)

        // The signature verifies independently (Python's cryptography over the DSSE PAE), with the
        // public key from the trust file.
        let fields = String(decoding: p.read(".lineage/allowed_signers")!, as: UTF8.self).split(separator: " ")
        let key = fields[fields.firstIndex(of: "ssh-ed25519")! + 1]
        let script = """
            import base64, json, struct, sys
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            env = json.load(open(sys.argv[1])); wire = base64.b64decode(sys.argv[2])
            n = struct.unpack(">I", wire[:4])[0]; raw = wire[4 + n + 4:]
            body = base64.b64decode(env["payload"]); t = env["payloadType"].encode()
            pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)
            Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(env["signatures"][0]["sig"]), pae)
            print("verified")
            """
        let py = try CLI.tool("/usr/bin/env", ["python3", "-c", script, "model.intoto.json", String(key)], in: p.dir)
        if !py.err.contains("No module named 'cryptography'") {
            #expect(py.out == "verified\n", "\(py.err) \(String(decoding: p.read("model.intoto.json")!, as: UTF8.self))")
        }
        // The in-toto-attestation package parses the statement, when installed.
        let probe = try CLI.tool("/usr/bin/env", ["python3", "-c", "import in_toto_attestation"], in: p.dir)
        if probe.code == 0 {
            let check = """
                import base64, json, sys
                from in_toto_attestation.v1 import statement_pb2
                from google.protobuf import json_format
                env = json.load(open(sys.argv[1]))
                st = json_format.Parse(base64.b64decode(env["payload"]), statement_pb2.Statement())
                assert st.predicate_type == "https://slsa.dev/provenance/v1", st.predicate_type
                assert st.subject[0].name == "models/model.bin"
                print("parsed")
                """
            let r = try CLI.tool("/usr/bin/env", ["python3", "-c", check, "model.intoto.json"], in: p.dir)
            #expect(r.out == "parsed\n", "\(r.err)")
        }

        // An artifact no run produced cannot be attested; the error says how to get one.
        try p.expectOK(["add", "train.sh"]); try p.expectOK(["commit", "-m", "code"])
        let manual = try p.run("attest", "train.sh")
        #expect(manual.code == 2 && manual.err.contains("lineage run"))
    }

    func validate(_ document: String, schema: String, in p: Project) throws {
        try validateAgainstSchema(document, schema: schema + ".schema.json")
    }
}
