import Foundation
import LineageSigning
import Testing

@Suite struct SSHSignatureInteropTests {
    static let message = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.org> 1700000000 +0000\n\ncommit body\n"

    /// Our signature is accepted by stock `ssh-keygen -Y verify` against our allowed-signers file,
    /// and is byte-identical to what ssh-keygen writes for the same key and message.
    @Test func ourSignatureVerifiesWithSSHKeygenAndMatchesItExactly() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", "k", in: dir.path).status == 0)
        let key = try SSHPrivateKey.load(path: dir.file("k"))
        let msg = try dir.write("msg", Self.message)

        let ours = try SSHSignature.sign(Array(Self.message.utf8), namespace: "git", key: key)
        try dir.write("ours.sig", ours)
        #expect(ours.hasPrefix("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH"))
        #expect(ours.hasSuffix("\n-----END SSH SIGNATURE-----\n"))

        var signers = AllowedSigners()
        try signers.add(principal: "alice@example.org", key: key.publicKey, namespaces: ["git"],
                        validAfter: utc(2020, 1, 1), comment: "alice's laptop")
        try dir.write("allowed_signers", signers.serialized())

        let verified = try Tool.sshKeygen("-Y", "verify", "-n", "git", "-f", "allowed_signers", "-I", "alice@example.org",
                                          "-s", "ours.sig", in: dir.path, stdinFile: msg)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("Good \"git\" signature for alice@example.org"))

        let novalidate = try Tool.sshKeygen("-Y", "check-novalidate", "-n", "git", "-s", "ours.sig", in: dir.path, stdinFile: msg)
        #expect(novalidate.status == 0, "\(novalidate.stderr)")

        let found = try Tool.sshKeygen("-Y", "find-principals", "-f", "allowed_signers", "-s", "ours.sig", in: dir.path)
        #expect(found.stdout == "alice@example.org\n", "\(found.stderr)")

        // Ed25519 is deterministic, so ssh-keygen's armor for the same input is the same bytes.
        try #require(Tool.sshKeygen("-Y", "sign", "-n", "git", "-f", "k", "msg", in: dir.path).status == 0)
        #expect(try dir.read("msg.sig") == ours)
    }

    @Test func sshKeygenRejectsOurSignatureForWrongNamespaceOrMessage() throws {
        let dir = try TempDir()
        let key = SSHPrivateKey.generate(comment: "bob")
        let msg = try dir.write("msg", Self.message)
        let other = try dir.write("other", Self.message + "x")
        try dir.write("sig", try SSHSignature.sign(Array(Self.message.utf8), namespace: "git", key: key))
        var signers = AllowedSigners()
        try signers.add(principal: "bob@example.org", key: key.publicKey)
        try dir.write("allowed", signers.serialized())

        #expect(try Tool.sshKeygen("-Y", "verify", "-n", "file", "-f", "allowed", "-I", "bob@example.org", "-s", "sig",
                                   in: dir.path, stdinFile: msg).status != 0)
        #expect(try Tool.sshKeygen("-Y", "verify", "-n", "git", "-f", "allowed", "-I", "bob@example.org", "-s", "sig",
                                   in: dir.path, stdinFile: other).status != 0)
        #expect(try Tool.sshKeygen("-Y", "verify", "-n", "git", "-f", "allowed", "-I", "eve@example.org", "-s", "sig",
                                   in: dir.path, stdinFile: msg).status != 0)
    }

    /// A signature made by ssh-keygen verifies with ours; tampering gives .bad; broken armor gives .malformed.
    @Test func sshKeygenSignatureVerifiesWithOurs() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", "", "-f", "k", in: dir.path).status == 0)
        let pub = try SSHPublicKey(openSSH: try dir.read("k.pub"))
        try dir.write("msg", Self.message)
        try #require(Tool.sshKeygen("-Y", "sign", "-n", "git", "-f", "k", "msg", in: dir.path).status == 0)
        let armored = try dir.read("msg.sig")
        let message = Array(Self.message.utf8)

        #expect(SSHSignature.verify(armored: armored, message: message, namespace: "git") == .good(pub))
        // git hands over the armor without its final newline.
        #expect(SSHSignature.verify(armored: String(armored.dropLast()), message: message, namespace: "git") == .good(pub))

        let parsed = try SSHSignature.parse(armored: armored)
        #expect(parsed.publicKey == pub)
        #expect(parsed.namespace == "git")
        #expect(parsed.hashAlgorithm == "sha512")
        #expect(parsed.signatureAlgorithm == "ssh-ed25519")
        #expect(parsed.signatureBlob.count == 4 + 11 + 4 + 64)

        for i in [0, message.count / 2, message.count - 1] {
            var tampered = message
            tampered[i] ^= 0x01
            guard case .bad = SSHSignature.verify(armored: armored, message: tampered, namespace: "git") else {
                Issue.record("flipping message byte \(i) was not reported as bad")
                continue
            }
        }
        guard case .bad(let why) = SSHSignature.verify(armored: armored, message: message, namespace: "file") else {
            Issue.record("wrong namespace was not reported as bad")
            return
        }
        #expect(why.contains("git"))
    }

    @Test func sha256SignaturesFromSSHKeygenVerify() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", "", "-f", "k", in: dir.path).status == 0)
        let pub = try SSHPublicKey(openSSH: try dir.read("k.pub"))
        try dir.write("msg", Self.message)
        try #require(Tool.sshKeygen("-Y", "sign", "-n", "file", "-O", "hashalg=sha256", "-f", "k", "msg", in: dir.path).status == 0)
        let armored = try dir.read("msg.sig")
        #expect(try SSHSignature.parse(armored: armored).hashAlgorithm == "sha256")
        #expect(SSHSignature.verify(armored: armored, message: Array(Self.message.utf8), namespace: "file") == .good(pub))
    }

    @Test func brokenArmorIsMalformedNeverACrash() throws {
        let key = SSHPrivateKey.generate(comment: "")
        let message = Array("m".utf8)
        let armored = try SSHSignature.sign(message, namespace: "git", key: key)
        #expect(SSHSignature.verify(armored: armored, message: message, namespace: "git") == .good(key.publicKey))

        func isMalformed(_ text: String) -> Bool {
            if case .malformed = SSHSignature.verify(armored: text, message: message, namespace: "git") { return true }
            return false
        }
        #expect(isMalformed(""))
        #expect(isMalformed("garbage"))
        #expect(isMalformed("-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n"))
        #expect(isMalformed("-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n"))
        #expect(isMalformed(armored.replacingOccurrences(of: "SSH SIGNATURE", with: "PGP SIGNATURE")))
        #expect(isMalformed(" " + armored))
        #expect(isMalformed(armored.replacingOccurrences(of: "\n", with: "\r\n")))

        // Every truncation of the blob, and of the text, is malformed.
        let blob = unarmor(armored)
        for length in 0..<blob.count {
            #expect(isMalformed(armor(Array(blob.prefix(length)), label: "SSH SIGNATURE")), "blob length \(length)")
        }
        let chars = Array(armored.utf8)
        for length in 0..<(chars.count - 1) {
            #expect(isMalformed(String(decoding: chars.prefix(length), as: UTF8.self)), "text length \(length)")
        }
        // No single-bit flip anywhere in the blob yields a good signature.
        for index in blob.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var mutated = blob
                mutated[index] ^= mask
                let outcome = SSHSignature.verify(armored: armor(mutated, label: "SSH SIGNATURE"), message: message, namespace: "git")
                #expect(outcome != .good(key.publicKey), "byte \(index) ^ \(mask)")
            }
        }
    }

    @Test func signatureFromAnRSAKeyVerifies() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", "k", in: dir.path).status == 0)
        try dir.write("msg", "m")
        try #require(Tool.sshKeygen("-Y", "sign", "-n", "git", "-f", "k", "msg", in: dir.path).status == 0)
        let outcome = SSHSignature.verify(armored: try dir.read("msg.sig"), message: Array("m".utf8), namespace: "git")
        #expect(outcome == .good(try SSHPublicKey(openSSH: try dir.read("k.pub"))))
        #expect(try SSHSignature.parse(armored: try dir.read("msg.sig")).signatureAlgorithm == "rsa-sha2-512")
    }
}
