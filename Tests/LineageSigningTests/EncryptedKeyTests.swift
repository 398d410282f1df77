import Foundation
import LineageSigning
import Testing

/// Passphrase-protected OpenSSH keys: what `ssh-keygen -N` writes is decrypted (bcrypt_pbkdf, AES)
/// and signs signatures `ssh-keygen -Y verify` accepts; what lineage writes, ssh-keygen reads.
@Suite struct EncryptedKeyTests {
    /// Checks a signature made by `key` with stock `ssh-keygen -Y verify`.
    func sshKeygenVerifies(_ key: SSHPrivateKey, in dir: TempDir, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let message = "signed after decryption\n"
        try dir.write("msg", message)
        try dir.write("msg.sig", try SSHSignature.sign(Array(message.utf8), namespace: "git", key: key))
        try dir.write("signers", "me@example.org \(key.publicKey.openSSH)\n")
        let r = try Tool.sshKeygen("-Y", "verify", "-f", "signers", "-I", "me@example.org", "-n", "git", "-s", "msg.sig", in: dir.path,
                                   stdinFile: dir.file("msg"))
        #expect(r.status == 0, "ssh-keygen -Y verify: \(r.stderr)", sourceLocation: sourceLocation)
    }

    /// Every cipher lineage reads, with ssh-keygen's default rounds and a few others: each key
    /// length makes bcrypt_pbkdf interleave its output differently (32, 40, 44, 48 bytes).
    @Test(arguments: [("aes256-ctr", 16), ("aes128-ctr", 4), ("aes192-ctr", 2), ("aes256-gcm@openssh.com", 16), ("aes128-gcm@openssh.com", 1)])
    func sshKeygenKeysDecryptAndSign(cipher: String, rounds: Int) throws {
        let dir = try TempDir()
        let passphrase = "correct horse — battery staple"
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", passphrase, "-Z", cipher, "-a", String(rounds), "-C", "enc", "-f", "k",
                                    in: dir.path).status == 0)
        let text = try dir.read("k")
        #expect(unarmor(text).count > 0)
        var asked = 0
        let key = try SSHPrivateKey.load(path: dir.file("k")) { asked += 1; return passphrase }
        #expect(asked == 1)
        #expect(key.publicKey == (try SSHPublicKey(openSSH: try dir.read("k.pub"))))
        #expect(key.comment == "enc")
        try sshKeygenVerifies(key, in: dir)

        // A wrong passphrase is told apart from damage: the check words (CTR) or the tag (GCM) disagree.
        let wrong = SigningError.from { _ = try SSHPrivateKey.load(path: dir.file("k")) { "Correct horse — battery staple" } }
        #expect(wrong == .wrongPassphrase(path: dir.file("k")))
        #expect(wrong?.description.contains("ssh-add \(dir.file("k"))") == true)
        #expect(SigningError.from { _ = try SSHPrivateKey.load(path: dir.file("k")) { "" } } == .wrongPassphrase(path: dir.file("k")))
    }

    @Test func withoutAPassphraseTheErrorSaysSSHAddNeverRemoveIt() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", "secret", "-f", "k", in: dir.path).status == 0)
        let path = dir.file("k")
        for provider: (() throws -> String?)? in [nil, { nil }] {
            let error = SigningError.from { _ = try SSHPrivateKey.load(path: path, passphrase: provider) }
            #expect(error == .encryptedKey(path: path))
            let text = error?.description ?? ""
            #expect(text.contains("ssh-add \(path)"))
            #expect(!text.contains("-N ''") && !text.contains("ssh-keygen -p"), "\(text)")
        }
        // The public half is read from the clear header without any passphrase.
        #expect(try SSHPrivateKey.publicKey(ofFile: path) == (try SSHPublicKey(openSSH: try dir.read("k.pub"))))
    }

    @Test func aNonASCIIPassphraseIsItsUTF8Bytes() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", "pässwörd ✓", "-f", "k", in: dir.path).status == 0)
        let key = try SSHPrivateKey.load(path: dir.file("k")) { "pässwörd ✓" }
        try sshKeygenVerifies(key, in: dir)
    }

    @Test func ciphersLineageDoesNotReadAreNamedWithAdvice() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", "secret", "-Z", "chacha20-poly1305@openssh.com", "-f", "k", in: dir.path).status == 0)
        let error = SigningError.from { _ = try SSHPrivateKey.load(path: dir.file("k")) { "secret" } }
        #expect(error == .unsupportedEncryption("cipher chacha20-poly1305@openssh.com", path: dir.file("k")))
        #expect(error?.description.contains("ssh-add") == true)
    }

    @Test func keysLineageEncryptsAreReadBySSHKeygen() throws {
        let dir = try TempDir()
        let key = SSHPrivateKey.generate(comment: "ours")
        let text = key.openSSHPrivateKey(passphrase: "s3cret", rounds: 8)
        #expect(text != key.openSSHPrivateKey())
        try dir.write("ours", text, mode: 0o600)

        let derived = try Tool.sshKeygen("-y", "-P", "s3cret", "-f", "ours", in: dir.path)
        #expect(derived.status == 0, "\(derived.stderr)")
        #expect(try SSHPublicKey(openSSH: derived.stdout) == key.publicKey)
        #expect(try Tool.sshKeygen("-y", "-P", "wrong", "-f", "ours", in: dir.path).status != 0)
        // ssh-keygen signs with it too (the passphrase given on the command line is for this test only).
        try dir.write("file", "data\n")
        let signed = try Tool.sshKeygen("-Y", "sign", "-n", "git", "-P", "s3cret", "-f", "ours", "file", in: dir.path)
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(SSHSignature.verify(armored: try dir.read("file.sig"), message: Array("data\n".utf8), namespace: "git") == .good(key.publicKey))

        let back = try SSHPrivateKey(openSSHPrivateKey: text) { "s3cret" }
        #expect(back.publicKey == key.publicKey && back.comment == "ours")
        #expect(SigningError.from { _ = try SSHPrivateKey(openSSHPrivateKey: text) { "S3cret" } } == .wrongPassphrase(path: nil))
    }

    /// Any damage to an encrypted key throws (a wrong-passphrase or corrupt error), never traps.
    @Test func everyTruncationOfAnEncryptedKeyThrows() throws {
        let key = SSHPrivateKey.generate(comment: "")
        let blob = unarmor(key.openSSHPrivateKey(passphrase: "pw", rounds: 1))
        for length in 0..<blob.count {
            #expect(throws: SigningError.self, "length \(length)") {
                try SSHPrivateKey(openSSHPrivateKey: armor(Array(blob.prefix(length)), label: "OPENSSH PRIVATE KEY")) { "pw" }
            }
        }
    }
}
