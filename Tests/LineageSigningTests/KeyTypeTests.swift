import Foundation
import LineageSigning
import Testing

/// ECDSA P-256 and RSA public keys and signatures, against what ssh-keygen makes and checks;
/// DSA and SHA-1 refused.
@Suite struct KeyTypeTests {
    @Test(arguments: [("ecdsa", 256, SSHPublicKey.Algorithm.ecdsaP256), ("rsa", 2048, .rsa), ("rsa", 3072, .rsa)])
    func publicKeysAndSignaturesAgreeWithSSHKeygen(type: String, bits: Int, algorithm: SSHPublicKey.Algorithm) throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", type, "-b", String(bits), "-N", "", "-C", "c", "-f", "k", in: dir.path).status == 0)
        let line = try dir.read("k.pub")
        let pub = try SSHPublicKey(openSSH: line)
        #expect(pub.algorithm == algorithm)
        #expect(pub.bits == bits)
        #expect(line.hasPrefix(pub.openSSH + " "))
        #expect(try SSHPublicKey(wire: pub.wire) == pub)
        let listed = try Tool.sshKeygen("-lf", "k.pub", in: dir.path)
        #expect(listed.stdout.split(separator: " ").dropFirst().first.map(String.init) == pub.fingerprint)
        // The clear header of the private key file names the same key.
        #expect(try SSHPrivateKey.publicKey(ofFile: dir.file("k")) == pub)

        // ssh-keygen's signatures (rsa-sha2-512 for RSA) verify; altered ones do not.
        let message = Array("commit bytes\n".utf8)
        try dir.write("msg", message)
        try #require(Tool.sshKeygen("-Y", "sign", "-n", "git", "-f", "k", "msg", in: dir.path).status == 0)
        let armored = try dir.read("msg.sig")
        #expect(SSHSignature.verify(armored: armored, message: message, namespace: "git") == .good(pub))
        guard case .bad = SSHSignature.verify(armored: armored, message: message + [0], namespace: "git") else {
            Issue.record("an altered message verified"); return
        }
        guard case .bad = SSHSignature.verify(armored: armored, message: message, namespace: "file") else {
            Issue.record("another namespace verified"); return
        }
        // A single flipped bit anywhere in the signature bytes never verifies.
        let blob = unarmor(armored)
        for index in stride(from: blob.count - 40, to: blob.count, by: 3) {
            var mutated = blob
            mutated[index] ^= 0x04
            #expect(SSHSignature.verify(armored: armor(mutated, label: "SSH SIGNATURE"), message: message, namespace: "git") != .good(pub))
        }
        // Allowed-signers lines take the key, and stock ssh-keygen reads what we write.
        var trust = AllowedSigners()
        try trust.add(principal: "me@example.org", key: pub)
        try dir.write("signers", trust.serialized())
        #expect(try AllowedSigners(parsing: trust.serialized()).entries.map(\.key) == [pub])
        let verified = try Tool.sshKeygen("-Y", "verify", "-f", "signers", "-I", "me@example.org", "-n", "git", "-s", "msg.sig", in: dir.path,
                                          stdinFile: dir.file("msg"))
        #expect(verified.status == 0, "\(verified.stderr)")
    }

    @Test func rsaSignaturesWithSHA1AreRefused() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", "k", in: dir.path).status == 0)
        try dir.write("msg", "m")
        try #require(Tool.sshKeygen("-Y", "sign", "-n", "git", "-f", "k", "msg", in: dir.path).status == 0)
        // Relabel the rsa-sha2-512 signature as ssh-rsa (SHA-1): refused by name before any arithmetic.
        let blob = unarmor(try dir.read("msg.sig"))
        let from = [0, 0, 0, 12] + Array("rsa-sha2-512".utf8), to = [0, 0, 0, 7] + Array("ssh-rsa".utf8)
        let at = try #require((0...(blob.count - from.count)).first { Array(blob[$0..<$0 + from.count]) == from })
        var relabelled = Array(blob[..<at]) + to + Array(blob[(at + from.count)...])
        // The enclosing signature string is 5 bytes shorter now.
        let lengthAt = at - 4
        let old = Int(relabelled[lengthAt]) << 24 | Int(relabelled[lengthAt + 1]) << 16 | Int(relabelled[lengthAt + 2]) << 8 | Int(relabelled[lengthAt + 3])
        let new = old - 5
        relabelled.replaceSubrange(lengthAt..<lengthAt + 4, with: [UInt8(new >> 24 & 0xff), UInt8(new >> 16 & 0xff), UInt8(new >> 8 & 0xff), UInt8(new & 0xff)])
        let outcome = SSHSignature.verify(armored: armor(relabelled, label: "SSH SIGNATURE"), message: Array("m".utf8), namespace: "git")
        guard case .malformed(let why) = outcome else { Issue.record("expected malformed, got \(outcome)"); return }
        #expect(why.contains("ssh-rsa") && why.contains("SHA-1"), "\(why)")
    }

    @Test func shortRSAKeysAreRefused() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", "k", in: dir.path).status == 0)
        let error = SigningError.from { _ = try SSHPublicKey(openSSH: try dir.read("k.pub")) }
        #expect(error == .weakKey(bits: 1024))
        #expect(error?.description.contains("2048") == true)
        #expect(throws: SigningError.self) { try AllowedSigners(parsing: "a@b \(try dir.read("k.pub"))") }
    }

    /// DSA: OpenSSH builds without it now; when this ssh-keygen still makes DSA keys, they are refused by name.
    @Test func dsaIsRefusedByName() throws {
        let dir = try TempDir()
        guard try Tool.sshKeygen("-q", "-t", "dsa", "-N", "", "-f", "k", in: dir.path).status == 0 else {
            // Still refused by name from its type string alone.
            let error = SigningError.from { _ = try SSHPublicKey(openSSH: "ssh-dss AAAAB3NzaC1kc3M=") }
            #expect(error == .unsupportedKeyType(found: "ssh-dss", path: nil))
            #expect(error?.description.contains("DSA") == true)
            return
        }
        let error = SigningError.from { _ = try SSHPublicKey(openSSH: try dir.read("k.pub")) }
        #expect(error == .unsupportedKeyType(found: "ssh-dss", path: nil))
        #expect(error?.description.contains("DSA") == true)
        #expect(error?.description.contains("ssh-keygen -t ed25519") == true)
        try dir.write("msg", "m")
        if try Tool.sshKeygen("-Y", "sign", "-n", "git", "-f", "k", "msg", in: dir.path).status == 0 {
            guard case .malformed(let why) = SSHSignature.verify(armored: try dir.read("msg.sig"), message: Array("m".utf8), namespace: "git") else {
                Issue.record("a DSA signature was not refused"); return
            }
            #expect(why.contains("DSA"))
        }
        #expect(SigningError.from { _ = try SSHPrivateKey.load(path: dir.file("k")) } == .unsupportedKeyType(found: "ssh-dss", path: dir.file("k")))
    }

    /// An ECDSA or RSA private key file is not read by lineage itself; the error says how to sign with it.
    @Test func ecdsaAndRSAKeyFilesPointToTheAgent() throws {
        let dir = try TempDir()
        for (type, name) in [("ecdsa", "ecdsa-sha2-nistp256"), ("rsa", "ssh-rsa")] {
            try #require(Tool.sshKeygen("-q", "-t", type, "-N", "", "-f", type, in: dir.path).status == 0)
            let error = SigningError.from { _ = try SSHPrivateKey.load(path: dir.file(type)) }
            #expect(error == .unsupportedKeyType(found: name, path: dir.file(type)))
            #expect(error?.description.contains("ssh-add \(dir.file(type))") == true)
            #expect(error?.description.contains("signing.program ssh-keygen") == true)
        }
    }
}
