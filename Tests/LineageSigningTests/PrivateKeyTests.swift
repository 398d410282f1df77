import Foundation
import LineageSigning
import Testing

@Suite struct PrivateKeyInteropTests {
    @Test func loadsKeyMadeBySSHKeygen() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", "", "-C", "alice@example.org", "-f", "k", in: dir.path).status == 0)

        let key = try SSHPrivateKey.load(path: dir.file("k"))
        let pub = try SSHPublicKey(openSSH: try dir.read("k.pub"))
        #expect(key.publicKey == pub)
        #expect(key.comment == "alice@example.org")
        #expect(key.publicKeyLine() == (try dir.read("k.pub")))

        let listed = try Tool.sshKeygen("-lf", "k.pub", in: dir.path)
        let fields = listed.stdout.split(separator: " ")
        #expect(fields.count >= 2)
        #expect(pub.fingerprint == String(fields[1]))

        // Writing a loaded key back reproduces ssh-keygen's file exactly.
        #expect(key.openSSHPrivateKey() == (try dir.read("k")))
    }

    @Test func sshKeygenAcceptsOurKey() throws {
        let dir = try TempDir()
        let key = SSHPrivateKey.generate(comment: "lineage@example.org")
        let text = key.openSSHPrivateKey()
        #expect(text.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
        #expect(text.hasSuffix("-----END OPENSSH PRIVATE KEY-----\n"))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 70 })
        try dir.write("ours", text, mode: 0o600)

        let derived = try Tool.sshKeygen("-y", "-f", "ours", in: dir.path)
        #expect(derived.status == 0, "\(derived.stderr)")
        #expect(try SSHPublicKey(openSSH: derived.stdout) == key.publicKey)
        #expect(derived.stdout == key.publicKeyLine())

        try dir.write("file", "some data\n")
        let signed = try Tool.sshKeygen("-Y", "sign", "-n", "git", "-f", "ours", "file", in: dir.path)
        #expect(signed.status == 0, "\(signed.stderr)")
        let sig = try dir.read("file.sig")
        #expect(SSHSignature.verify(armored: sig, message: Array("some data\n".utf8), namespace: "git") == .good(key.publicKey))

        // Serialising twice gives the same text, and it parses back to the same key.
        #expect(key.openSSHPrivateKey() == text)
        let reparsed = try SSHPrivateKey(openSSHPrivateKey: text)
        #expect(reparsed.publicKey == key.publicKey)
        #expect(reparsed.comment == key.comment)
    }

    @Test func signaturesAreRawEd25519() throws {
        let key = SSHPrivateKey.generate(comment: "")
        let message = Array("message".utf8)
        let sig = try key.sign(message)
        #expect(sig.count == 64)
        #expect(try key.sign(message) == sig)  // deterministic
        #expect(key.publicKey.isValidSignature(sig, for: message))
        #expect(!key.publicKey.isValidSignature(sig, for: Array("massage".utf8)))
        #expect(!key.publicKey.isValidSignature(Array(sig.dropLast()), for: message))
        #expect(key.publicKeyLine() == key.publicKey.openSSH + "\n")
    }

    @Test func descriptionDoesNotLeakTheSecret() throws {
        let key = SSHPrivateKey.generate(comment: "c")
        let body = unarmor(key.openSSHPrivateKey())
        // The secret string is seed | public key, and it is the last place the public key appears.
        let raw = key.publicKey.raw
        let lastPublic = try #require((0...(body.count - 32)).last { Array(body[$0..<$0 + 32]) == raw })
        let seed = Array(body[(lastPublic - 32)..<lastPublic])
        let seedB64 = Data(seed).base64EncodedString()
        #expect(!String(describing: key).contains(seed.map { String($0) }.joined(separator: ", ")))
        #expect(!String(describing: key).contains(seedB64))
        #expect(!String(reflecting: key).contains(seedB64))
        #expect(String(describing: key).contains(key.publicKey.fingerprint))
    }
}

@Suite struct PrivateKeyRefusalTests {
    @Test func encryptedKeyIsRefused() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", "secret", "-f", "k", in: dir.path).status == 0)
        let path = dir.file("k")
        let error = SigningError.from { _ = try SSHPrivateKey.load(path: path) }
        #expect(error == .encryptedKey(path: path))
        // The advice is to load the key into ssh-agent, never to remove its passphrase.
        #expect(error?.description.contains("ssh-add \(path)") == true)
        #expect(error?.description.contains("-N ''") == false)
    }

    @Test func rsaKeyFileIsNamedWithAdvice() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", "k", in: dir.path).status == 0)
        let path = dir.file("k")
        let error = SigningError.from { _ = try SSHPrivateKey.load(path: path) }
        #expect(error == .unsupportedKeyType(found: "ssh-rsa", path: path))
        #expect(error?.description.contains("ssh-add \(path)") == true)

        // The legacy PEM format is named too.
        try #require(Tool.sshKeygen("-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", "pem", in: dir.path).status == 0)
        #expect(SigningError.from { _ = try SSHPrivateKey.load(path: dir.file("pem")) }
            == .unsupportedKeyType(found: "RSA (PEM format)", path: dir.file("pem")))

        // Its public key is one lineage verifies with (the agent or ssh-keygen sign with it).
        #expect(try SSHPublicKey(openSSH: try dir.read("k.pub")).algorithm == .rsa)
    }

    @Test func ecdsaKeyFileIsNamed() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ecdsa", "-N", "", "-f", "k", in: dir.path).status == 0)
        let path = dir.file("k")
        #expect(SigningError.from { _ = try SSHPrivateKey.load(path: path) }
            == .unsupportedKeyType(found: "ecdsa-sha2-nistp256", path: path))
    }

    @Test func encryptedRSAKeyIsNamedAsRSA() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "rsa", "-b", "2048", "-N", "secret", "-f", "k", in: dir.path).status == 0)
        #expect(SigningError.from { _ = try SSHPrivateKey.load(path: dir.file("k")) }
            == .unsupportedKeyType(found: "ssh-rsa", path: dir.file("k")))
    }

    @Test func groupOrWorldAccessibleFileIsRefused() throws {
        let dir = try TempDir()
        let key = SSHPrivateKey.generate(comment: "x")
        for mode in [0o644, 0o640, 0o604, 0o660] {
            let path = try dir.write("k\(mode)", key.openSSHPrivateKey(), mode: mode)
            let error = SigningError.from { _ = try SSHPrivateKey.load(path: path) }
            #expect(error == .unprotectedKeyFile(path: path, mode: mode))
            #expect(error?.description.contains("UNPROTECTED PRIVATE KEY FILE") == true)
            #expect(error?.description.contains("chmod 600 \(path)") == true)
        }
        for mode in [0o600, 0o400] {
            let path = try dir.write("ok\(mode)", key.openSSHPrivateKey(), mode: mode)
            #expect(try SSHPrivateKey.load(path: path).publicKey == key.publicKey)
        }
    }

    @Test func missingAndOddFiles() throws {
        let dir = try TempDir()
        let missing = dir.file("nope")
        #expect(SigningError.from { _ = try SSHPrivateKey.load(path: missing) } == .keyFileMissing(path: missing))

        if geteuid() != 0 {  // root reads anything
            let key = SSHPrivateKey.generate(comment: "x")
            let path = try dir.write("unreadable", key.openSSHPrivateKey(), mode: 0o000)
            let error = SigningError.from { _ = try SSHPrivateKey.load(path: path) }
            guard case .keyFileUnreadable(let p, _) = error else {
                Issue.record("expected keyFileUnreadable, got \(String(describing: error))")
                return
            }
            #expect(p == path)
        }

        let pub = try dir.write("k.pub", SSHPrivateKey.generate(comment: "x").publicKeyLine(), mode: 0o600)
        #expect(SigningError.from { _ = try SSHPrivateKey.load(path: pub) } == .notAPrivateKey(path: pub))

        try FileManager.default.createDirectory(atPath: dir.file("d"), withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        guard case .keyFileUnreadable = SigningError.from({ _ = try SSHPrivateKey.load(path: dir.file("d")) }) else {
            Issue.record("a directory was not refused as unreadable")
            return
        }
        let binary = try dir.write("binary", [0xff, 0xfe, 0x00, 0x80], mode: 0o600)
        #expect(SigningError.from { _ = try SSHPrivateKey.load(path: binary) } == .corruptPrivateKey(path: binary))

        let crlf = SSHPrivateKey.generate(comment: "windows")
        let crlfPath = try dir.write("crlf", crlf.openSSHPrivateKey().replacingOccurrences(of: "\n", with: "\r\n"), mode: 0o600)
        #expect(try SSHPrivateKey.load(path: crlfPath).publicKey == crlf.publicKey)

        let junk = try dir.write("junk", "hello\n", mode: 0o600)
        let error = SigningError.from { _ = try SSHPrivateKey.load(path: junk) }
        #expect(error == .corruptPrivateKey(path: junk))
        #expect(error?.description.contains("corrupt or truncated private key file \(junk)") == true)
    }

    @Test func mismatchedPublicKeyInsideIsCorrupt() throws {
        let a = SSHPrivateKey.generate(comment: ""), b = SSHPrivateKey.generate(comment: "")
        var blob = unarmor(a.openSSHPrivateKey())
        // Replace the outer public key (right after the header) with b's.
        let header = Array("openssh-key-v1\0".utf8).count + 8 + 8 + 4 + 4
        let outer = header + 4
        blob.replaceSubrange(outer + 19..<outer + 51, with: b.publicKey.raw)
        #expect(SigningError.from { _ = try SSHPrivateKey(openSSHPrivateKey: armor(blob, label: "OPENSSH PRIVATE KEY")) }
            == .corruptPrivateKey(path: nil))
    }
}

@Suite struct PrivateKeyCorruptionTests {
    static let label = "OPENSSH PRIVATE KEY"

    /// Every truncation of the decoded key must throw, never trap.
    @Test func everyTruncationThrows() throws {
        let key = SSHPrivateKey.generate(comment: "truncate me")
        let blob = unarmor(key.openSSHPrivateKey())
        #expect(throws: Never.self) { try SSHPrivateKey(openSSHPrivateKey: armor(blob, label: Self.label)) }
        for length in 0..<blob.count {
            let text = armor(Array(blob.prefix(length)), label: Self.label)
            #expect(throws: SigningError.self, "length \(length)") { try SSHPrivateKey(openSSHPrivateKey: text) }
        }
        // Truncating the text itself anywhere before the END line's last character also throws.
        let text = key.openSSHPrivateKey()
        let chars = Array(text.utf8)
        for length in 0..<(chars.count - 1) {
            let cut = String(decoding: chars.prefix(length), as: UTF8.self)
            #expect(throws: SigningError.self, "text length \(length)") { try SSHPrivateKey(openSSHPrivateKey: cut) }
        }
    }

    /// With an empty comment every byte of the blob is checked somewhere, so any single-bit flip throws.
    @Test func everyBitFlipThrows() throws {
        let key = SSHPrivateKey.generate(comment: "")
        let blob = unarmor(key.openSSHPrivateKey())
        for index in blob.indices {
            for mask: UInt8 in [0x01, 0x02, 0x10, 0x80] {
                var mutated = blob
                mutated[index] ^= mask
                let text = armor(mutated, label: Self.label)
                #expect(throws: SigningError.self, "byte \(index) ^ \(mask)") { try SSHPrivateKey(openSSHPrivateKey: text) }
            }
        }
    }

    /// Flipping characters of the file text (base64, armor lines) may or may not throw; it must not trap
    /// and must never yield a different key.
    @Test func textMutationsNeverTrapOrChangeTheKey() throws {
        let key = SSHPrivateKey.generate(comment: "comment")
        let chars = Array(key.openSSHPrivateKey().utf8)
        for index in chars.indices {
            for replacement in [UInt8(ascii: "A"), UInt8(ascii: "/"), UInt8(ascii: "-"), 0x00, 0xff, UInt8(ascii: "\n")] {
                var mutated = chars
                mutated[index] = replacement
                if let parsed = try? SSHPrivateKey(openSSHPrivateKey: String(decoding: mutated, as: UTF8.self)) {
                    #expect(parsed.publicKey == key.publicKey)
                }
            }
        }
    }

    @Test func randomBlobsNeverTrap() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<200, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) { bytes = Array("openssh-key-v1\0".utf8) + bytes }
            _ = try? SSHPrivateKey(openSSHPrivateKey: armor(bytes, label: Self.label))
            _ = try? SSHPublicKey(wire: bytes)
            _ = SSHSignature.verify(armored: armor(Array("SSHSIG".utf8) + bytes, label: "SSH SIGNATURE"),
                                    message: bytes, namespace: "git")
        }
    }
}
