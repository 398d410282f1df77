import Foundation
import LineageSigning
import LineageTestSupport
import Testing

/// lineage's ssh-agent client against a real `ssh-agent` started by the test.
@Suite(.enabled(if: SSHAgentFixture.available, "needs ssh-agent, ssh-add and ssh-keygen (openssh-client; .ci/setup.sh installs it)"))
struct AgentTests {
    @Test func listsKeysAndSignsWithEachTypeAsSSHKeygenVerifies() throws {
        let agent = try SSHAgentFixture()
        let keys = [try agent.keygen("ed", type: "ed25519"), try agent.keygen("ec", type: "ecdsa"),
                    try agent.keygen("rsa", type: "rsa", bits: 3072), try agent.keygen("locked", type: "ed25519", passphrase: "open sesame")]
        for key in keys.dropLast() { try agent.add(key) }
        try agent.add(keys[3], passphrase: "open sesame")
        let client = SSHAgent(socketPath: agent.socket)
        let listed = try client.identities()
        #expect(listed.count == 4)
        #expect(listed.map(\.comment).sorted() == ["ec", "ed", "locked", "rsa"])

        let dir = try TempDir()
        let message = Array("tree 0123\nauthor a <a@b> 0 +0000\n\nsigned through the agent\n".utf8)
        try dir.write("msg", message)
        for path in keys {
            let pub = try SSHPublicKey(openSSH: String(contentsOfFile: path + ".pub", encoding: .utf8))
            #expect(try client.holds(pub))
            let signer = SSHAgent.Signer(agent: client, publicKey: pub)
            let armored = try SSHSignature.sign(message, namespace: "git", key: signer)
            #expect(SSHSignature.verify(armored: armored, message: message, namespace: "git") == .good(pub))
            if pub.algorithm == .rsa {
                #expect(try SSHSignature.parse(armored: armored).signatureAlgorithm == "rsa-sha2-512")
            }
            try dir.write("msg.sig", armored)
            try dir.write("signers", "me@example.org \(pub.openSSH)\n")
            let r = try Tool.sshKeygen("-Y", "verify", "-f", "signers", "-I", "me@example.org", "-n", "git", "-s", "msg.sig", in: dir.path,
                                       stdinFile: dir.file("msg"))
            #expect(r.status == 0, "\(pub.algorithm): \(r.stderr)")

            // DSSE through the agent: our check, and for ECDSA and RSA an independent one.
            let envelope = try DSSE.sign(payload: Array("{}".utf8), payloadType: "application/vnd.in-toto+json", key: signer)
            #expect(DSSE.verify(envelope, key: pub))
            if pub.algorithm != .ed25519, Tool.hasPythonCryptography(in: dir.path) {
                let hash = pub.algorithm == .rsa ? "SHA512" : "SHA256"
                let check = pub.algorithm == .rsa ? "k.verify(sig, pae, padding.PKCS1v15(), hashes.\(hash)())" : "k.verify(sig, pae, ec.ECDSA(hashes.\(hash)()))"
                let script = """
                import base64, json, sys
                from cryptography.hazmat.primitives import hashes, serialization
                from cryptography.hazmat.primitives.asymmetric import ec, padding
                env = json.load(open(sys.argv[1])); k = serialization.load_ssh_public_key(open(sys.argv[2], 'rb').read())
                body = base64.b64decode(env['payload']); t = env['payloadType'].encode()
                pae = b'DSSEv1 %d %s %d %s' % (len(t), t, len(body), body)
                sig = base64.b64decode(env['signatures'][0]['sig'])
                \(check)
                """
                try dir.write("env.json", Array(try JSONEncoder().encode(envelope)))
                let py = try Tool.run(["python3", "-c", script, dir.file("env.json"), path + ".pub"], in: dir.path)
                #expect(py.status == 0, "\(pub.algorithm) DSSE: \(py.stderr)")
            }
        }
    }

    @Test func aKeyNotLoadedIsRefusedAndAGoneAgentIsNamed() throws {
        let agent = try SSHAgentFixture()
        let loaded = try agent.keygen("loaded", type: "ed25519"), absent = try agent.keygen("absent", type: "ecdsa")
        try agent.add(loaded)
        let client = SSHAgent(socketPath: agent.socket)
        let absentKey = try SSHPublicKey(openSSH: String(contentsOfFile: absent + ".pub", encoding: .utf8))
        #expect(try !client.holds(absentKey))
        let refused = SigningError.from { _ = try client.sign([1, 2, 3], with: absentKey) }
        guard case .agent(let why)? = refused else { Issue.record("expected an agent error, got \(String(describing: refused))"); return }
        #expect(why.contains("refused") && why.contains("ssh-add"))

        try agent.remove(loaded)
        #expect(try client.identities().isEmpty)

        agent.stop()
        let gone = SigningError.from { _ = try client.identities() }
        guard case .agent(let reason)? = gone else { Issue.record("expected an agent error, got \(String(describing: gone))"); return }
        #expect(reason.contains("cannot reach the agent at \(agent.socket)"))
        #expect(SSHAgent(environment: ["SSH_AUTH_SOCK": ""]) == nil)
        #expect(SSHAgent(environment: [:]) == nil)
    }
}
