import Foundation
import LineageTestSupport
import Testing

/// Signing with the keys people have (issue 19): ssh-agent, passphrase-protected key files, a
/// signing program (git's gpg.ssh.program), ECDSA and RSA keys — each commit checked by stock
/// `git verify-commit` and by `lineage verify`.
@Suite("Key sources: agent, passphrase, signing program",
       .enabled(if: SSHAgentFixture.available, "needs ssh-agent, ssh-add and ssh-keygen (openssh-client; .ci/setup.sh installs it)"))
struct KeySourceTests {
    /// No agent at all: SSH_AUTH_SOCK set empty overrides whatever the test runner has.
    static let noAgent = ["SSH_AUTH_SOCK": ""]

    func gitVerify(_ p: Project, _ commit: String) throws -> CLI.Result {
        try p.git("-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=\(p.dir)/.lineage/allowed_signers", "verify-commit", commit)
    }

    func head(_ p: Project) throws -> String { try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines) }

    func commitChange(_ p: Project, _ name: String, env: [String: String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CLI.Result {
        try p.write("data/\(name).txt", "\(name)\n")
        let added = try p.run(["add", "data"], env: env)
        #expect(added.code == 0, "add: \(added.err)", sourceLocation: sourceLocation)
        return try p.run(["commit", "-m", "by \(name)"], env: env)
    }

    func expectRefused(_ r: CLI.Result, _ words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.code == 2, "exit \(r.code): \(r.err)", sourceLocation: sourceLocation)
        for w in words { #expect(r.err.contains(w), "expected '\(w)' in: \(r.err)", sourceLocation: sourceLocation) }
    }

    @Test func everyKeyTypeSignsThroughTheAgentAndTheHistoryVerifiesBothWays() throws {
        let p = try Project(); defer { p.remove() }
        let agent = try SSHAgentFixture()
        try p.write("data/start.txt", "start\n")
        try p.expectOK(["add", "data"]); try p.expectOK(["commit", "-m", "by the lineage key"])
        let ecdsa = try agent.keygen("ecdsa", type: "ecdsa")
        let rsa = try agent.keygen("rsa", type: "rsa", bits: 3072)
        let locked = try agent.keygen("locked", type: "ed25519", passphrase: "hunter2 but longer")
        for key in [ecdsa, rsa] { try agent.add(key) }
        try agent.add(locked, passphrase: "hunter2 but longer")
        // Proof that lineage never reads the key file of a key the agent holds: it is garbage now.
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: locked))
        chmod(locked, 0o600)
        for (who, key) in [("ecdsa", ecdsa), ("rsa", rsa), ("locked", locked)] {
            try p.expectOK(["trust", "add", "\(who)@example.org", key + ".pub"])
        }
        let rsaLine = try String(contentsOfFile: rsa + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        // The three forms git accepts for user.signingkey: the private key's path, its .pub, a key:: literal.
        for (who, setting) in [("ecdsa", ecdsa), ("locked", locked + ".pub"), ("rsa", "key::" + rsaLine)] {
            try p.expectOK(["config", "user.signingkey", setting])
            let r = try commitChange(p, who, env: agent.environment)
            #expect(r.code == 0, "\(who): \(r.err)")
            #expect(try gitVerify(p, "HEAD").err.contains("Good \"git\" signature for \(who)@example.org"), "\(who)")
        }
        // The whole mixed history (Ed25519 file, ECDSA, RSA, Ed25519 in the agent): stock git and lineage agree.
        let commits = try p.git("rev-list", "HEAD").out.split(separator: "\n").map(String.init)
        #expect(commits.count == 7)
        for c in commits {
            let r = try gitVerify(p, c)
            #expect(r.code == 0, "git verify-commit \(c): \(r.err)")
        }
        let verify = try p.run(["verify", "--json"], env: Self.noAgent)
        #expect(verify.code == 0, "\(verify.err)")
        let history = (try JSONSerialization.jsonObject(with: verify.outData) as? [String: Any])?["history"] as? [[String: Any]] ?? []
        #expect(history.count == 7 && history.allSatisfy { $0["status"] as? String == "good" }, "\(history)")
        // The RSA signature is rsa-sha2-512, and ssh-keygen -Y verify accepts it exported.
        let (payload, signature) = try p.signedPayload(ofCommit: "HEAD")
        #expect(signature.first == "-----BEGIN SSH SIGNATURE-----")
        try p.write("payload", payload)
        try p.write("payload.sig", signature.joined(separator: "\n") + "\n")
        let shell = try CLI.tool("/bin/sh", ["-c", "ssh-keygen -Y verify -f .lineage/allowed_signers -I rsa@example.org -n git -s payload.sig < payload"],
                                 in: p.dir)
        #expect(shell.code == 0, "ssh-keygen -Y verify: \(shell.err)")

        // clone and fetch verify the ECDSA and RSA commits as they verify Ed25519 ones.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("keys-remote-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try p.expectOK(["remote", "add", "origin", base + "/team.git"])
        try p.expectOK(["push"])
        let trusted = try JSONSerialization.jsonObject(with: try p.expectOK(["trust", "list", "--json"]).outData) as? [String: Any]
        let list = trusted?["keys"] as? [[String: Any]] ?? []
        // The root commit's signer: the key `init` trusted, listed first.
        let root = try #require(list.first?["fingerprint"] as? String)
        let cloned = try CLI.run(["clone", base + "/team.git", "bob", "--trust-root", root], in: base, env: Self.noAgent)
        #expect(cloned.code == 0, "\(cloned.err)")
        let bob = Project(existing: base + "/bob")
        #expect(try bob.run(["verify"], env: Self.noAgent).code == 0)
        try p.expectOK(["config", "user.signingkey", ecdsa])
        #expect(try commitChange(p, "ecdsa-again", env: agent.environment).code == 0)
        try p.expectOK(["push"])
        let fetched = try bob.run(["fetch", "--json"], env: Self.noAgent)
        #expect(fetched.code == 0 && fetched.out.contains("fast-forward"), "\(fetched.out) \(fetched.err)")
    }

    /// A project whose user signs with a new passphrase-protected Ed25519 key (trusted as
    /// locked@example.org), with a change staged; and the key's path.
    func projectSigningWithLockedKey(_ agent: SSHAgentFixture, passphrase: String) throws -> (Project, String) {
        let p = try Project()
        let locked = try agent.keygen("locked", type: "ed25519", passphrase: passphrase)
        try p.expectOK(["trust", "add", "locked@example.org", locked + ".pub"])
        try p.expectOK(["config", "user.signingkey", locked])
        try p.write("a.txt", "a\n")
        try p.expectOK(["add", "a.txt"])
        return (p, locked)
    }

    @Test func aPassphraseKeyWithoutAgentOffATerminalSaysSSHAddAndChangesNothing() throws {
        let agent = try SSHAgentFixture()
        let (p, locked) = try projectSigningWithLockedKey(agent, passphrase: "secret words"); defer { p.remove() }
        let before = try p.snapshot()
        for env in [Self.noAgent, agent.environment] {  // no agent; an agent that does not hold the key
            let r = try p.run(["commit", "-m", "x"], env: env)
            expectRefused(r, ["passphrase", "ssh-add \(locked)"])
            #expect(!r.err.contains("-N ''") && !r.err.contains("ssh-keygen -p"), "\(r.err)")
            #expect(try p.snapshot() == before)
        }
        // Once loaded into the agent, the same key signs.
        try agent.add(locked, passphrase: "secret words")
        try p.expectOK(["config", "user.signingkey", locked])
        #expect(try p.run(["commit", "-m", "x"], env: agent.environment).code == 0)
        #expect(try gitVerify(p, "HEAD").code == 0)
    }

    /// Runs lineage on a pseudo-terminal (`script`), answering its prompts (output that ends in
    /// ": ") with `answers`, in order.
    func onTerminal(_ p: Project, _ args: [String], answers: [String]) throws -> (code: Int32, output: String) {
        let quoted = ([CLI.binary] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        proc.arguments = ["-q", "-e", "-c", quoted, "/dev/null"]
        proc.currentDirectoryURL = URL(fileURLWithPath: p.dir)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"; env["XDG_CONFIG_HOME"] = CLI.configHome; env["SSH_AUTH_SOCK"] = ""
        proc.environment = env
        let input = Pipe(), output = Pipe()
        proc.standardInput = input
        proc.standardOutput = output
        proc.standardError = output
        try proc.run()
        var seen = Data()
        var pending = answers[...]
        while true {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
            if let answer = pending.first, String(decoding: seen, as: UTF8.self).hasSuffix(": ") {
                input.fileHandleForWriting.write(Data((answer + "\n").utf8))
                pending = pending.dropFirst()
            }
        }
        proc.waitUntilExit()
        try? input.fileHandleForWriting.close()
        return (proc.terminationStatus, String(decoding: seen, as: UTF8.self))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) to run lineage on a pty (bsdutils)"))
    func onATerminalThePassphraseIsAskedWithoutEcho() throws {
        let agent = try SSHAgentFixture()  // only for ssh-keygen; lineage runs with no agent
        let (p, _) = try projectSigningWithLockedKey(agent, passphrase: "tty secret"); defer { p.remove() }
        let before = try p.snapshot()

        let wrong = try onTerminal(p, ["commit", "-m", "typed wrong"], answers: ["tty secreT"])
        #expect(wrong.code == 2, "\(wrong.output)")
        #expect(wrong.output.contains("wrong passphrase"), "\(wrong.output)")
        #expect(!wrong.output.contains("tty secreT"), "the passphrase was echoed: \(wrong.output)")
        #expect(try p.snapshot() == before)

        let right = try onTerminal(p, ["commit", "-m", "typed right"], answers: ["tty secret"])
        #expect(right.code == 0, "\(right.output)")
        #expect(right.output.components(separatedBy: "Enter passphrase for").count == 2, "asked once: \(right.output)")
        #expect(!right.output.contains("tty secret"), "the passphrase was echoed: \(right.output)")
        #expect(try gitVerify(p, "HEAD").err.contains("Good \"git\" signature for locked@example.org"))

        // key generate offers a passphrase on a terminal; ssh-keygen opens the key it writes with it.
        let made = agent.directory + "/generated"
        let generated = try onTerminal(p, ["key", "generate", "--file", made], answers: ["gen pass", "gen pass"])
        #expect(generated.code == 0 && generated.output.contains("protected by a passphrase"), "\(generated.output)")
        let opened = try CLI.tool("/usr/bin/ssh-keygen", ["-y", "-P", "gen pass", "-f", made], in: p.dir)
        #expect(opened.code == 0, "\(opened.err)")
        #expect(try CLI.tool("/usr/bin/ssh-keygen", ["-y", "-P", "", "-f", made], in: p.dir).code != 0)
        let mismatch = try onTerminal(p, ["key", "generate", "--file", made + "2"], answers: ["one", "two"])
        #expect(mismatch.code == 2 && mismatch.output.contains("do not match"), "\(mismatch.output)")
        #expect(!FileManager.default.fileExists(atPath: made + "2"))
    }

    @Test func signingProgramDelegatesToSSHKeygen() throws {
        let p = try Project(); defer { p.remove() }
        let agent = try SSHAgentFixture()
        let ecdsa = try agent.keygen("ecdsa", type: "ecdsa")
        let rsa = try agent.keygen("rsa", type: "rsa", bits: 2048)
        let locked = try agent.keygen("locked", type: "ed25519", passphrase: "pw pw pw")
        for (who, key) in [("ecdsa", ecdsa), ("rsa", rsa), ("locked", locked)] {
            try p.expectOK(["trust", "add", "\(who)@example.org", key + ".pub"])
        }
        try p.expectOK(["config", "signing.program", "ssh-keygen"])
        #expect(try p.expectOK(["config", "signing.program"]).out == "ssh-keygen\n")

        // An ECDSA key file, no agent: ssh-keygen reads the file and signs.
        try p.expectOK(["config", "user.signingkey", ecdsa])
        let byFile = try commitChange(p, "ecdsa", env: Self.noAgent)
        #expect(byFile.code == 0, "\(byFile.err)")
        #expect(try gitVerify(p, "HEAD").err.contains("Good \"git\" signature for ecdsa@example.org"))

        // An RSA key given literally: ssh-keygen -U signs through the agent.
        try agent.add(rsa)
        let line = try String(contentsOfFile: rsa + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try p.expectOK(["config", "user.signingkey", "key::" + line])
        let byAgent = try commitChange(p, "rsa", env: agent.environment)
        #expect(byAgent.code == 0, "\(byAgent.err)")
        #expect(try gitVerify(p, "HEAD").err.contains("Good \"git\" signature for rsa@example.org"))
        #expect(try p.run(["verify"], env: Self.noAgent).code == 0)

        // ssh-keygen cannot ask for a passphrase off a terminal: its failure is reported, nothing written.
        try p.expectOK(["config", "user.signingkey", locked])
        try p.write("b.txt", "b\n")
        try p.expectOK(["add", "b.txt"])
        let before = try p.snapshot()
        let failed = try p.run(["commit", "-m", "x"], env: Self.noAgent)
        expectRefused(failed, ["ssh-keygen -Y sign -n git -f \(locked)", "failed", "nothing was written"])
        #expect(try p.snapshot() == before)
        // A program that does not exist.
        try p.expectOK(["config", "signing.program", "/nonexistent/signer"])
        expectRefused(try p.run(["commit", "-m", "x"], env: Self.noAgent), ["/nonexistent/signer"])
        #expect(try p.snapshot() == before)
        // A program named inside .lineage/config (it would travel with copies) is never run.
        try p.expectOK(["config", "--unset", "signing.program"])
        try p.expectOK(["config", "user.signingkey", ecdsa])
        let planted = try p.git("config", "signing.program", "/bin/false")
        #expect(planted.code == 0)
        let r = try p.run(["commit", "-m", "planted program ignored"], env: Self.noAgent)
        // Without the program, lineage itself reads only Ed25519 key files: the ECDSA file is refused by name.
        expectRefused(r, ["ignoring signing.program", "ecdsa-sha2-nistp256", "ssh-add"])
    }

    @Test func dsaKeysAreRefused() throws {
        let p = try Project(); defer { p.remove() }
        let agent = try SSHAgentFixture()
        let before = try p.snapshot()
        // An OpenSSH built without DSA cannot make one: a public key line naming the type is enough
        // for trust add (it refuses by type); signing needs a real DSA key file.
        guard let dsa = try? agent.keygen("dsa", type: "dsa") else {
            try p.write("dsa.pub", "ssh-dss AAAAB3NzaC1kc3M= old@example.org\n")
            expectRefused(try p.run(["trust", "add", "dsa@example.org", "dsa.pub"]), ["DSA", "ssh-keygen -t ed25519"])
            withKnownIssue("this ssh-keygen cannot make DSA keys: signing with a DSA key file is not checked here") { Issue.record("no DSA") }
            return
        }
        expectRefused(try p.run(["trust", "add", "dsa@example.org", dsa + ".pub"]), ["DSA", "ssh-keygen -t ed25519"])
        #expect(try p.snapshot() == before)
        try p.expectOK(["config", "user.signingkey", dsa])
        try p.write("a.txt", "a\n")
        try p.expectOK(["add", "a.txt"])
        let staged = try p.snapshot()
        expectRefused(try p.run(["commit", "-m", "x"], env: Self.noAgent), ["DSA"])
        #expect(try p.snapshot() == staged)
    }

    @Test func anAgentThatRefusesOrGoesAwayStopsTheCommitBeforeAnythingIsWritten() throws {
        let p = try Project(); defer { p.remove() }
        let agent = try SSHAgentFixture()
        let key = try agent.keygen("agentonly", type: "ecdsa")
        try p.expectOK(["trust", "add", "agent@example.org", key + ".pub"])
        // Only the public half is configured; the private file is gone.
        try FileManager.default.removeItem(atPath: key)
        try p.expectOK(["config", "user.signingkey", key + ".pub"])
        try p.write("a.txt", "a\n")
        try p.expectOK(["add", "a.txt"])
        let before = try p.snapshot()
        // The agent does not hold it.
        expectRefused(try p.run(["commit", "-m", "x"], env: agent.environment), ["not in ssh-agent", "does not hold it", "ssh-add"])
        // No agent at all.
        expectRefused(try p.run(["commit", "-m", "x"], env: Self.noAgent), ["SSH_AUTH_SOCK is not set", "ssh-add"])
        #expect(try p.snapshot() == before)

        // The agent goes away after the key was chosen: a pre-commit hook ends it.
        let second = try SSHAgentFixture()
        let key2 = try second.keygen("second", type: "ed25519")
        try second.add(key2)
        try p.expectOK(["trust", "add", "second@example.org", key2 + ".pub"])
        try p.expectOK(["config", "user.signingkey", key2 + ".pub"])
        try p.write("Hooks/end-agent.sh", "#!/bin/sh\nkill -9 \(second.pid)\n")
        chmod(p.dir + "/Hooks/end-agent.sh", 0o755)
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - command: { run: Hooks/end-agent.sh }\n")
        try p.expectOK(["hooks", "trust"])
        try p.expectOK(["add", "a.txt"])
        let staged = try p.snapshot()
        let headBefore = try head(p)
        let r = try p.run(["commit", "-m", "agent gone"], env: second.environment)
        expectRefused(r, ["ssh-agent: ", "nothing was written"])
        #expect(try head(p) == headBefore)
        #expect(try p.snapshot() == staged)
    }
}
