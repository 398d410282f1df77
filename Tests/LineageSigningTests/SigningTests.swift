import Foundation
import LineageSigning
import Testing

/// SSHPublicKey forms, checked against ssh-keygen's own output.
@Suite struct PublicKeyTests {
    @Test func formsAgreeWithSSHKeygen() throws {
        let dir = try TempDir()
        try #require(Tool.sshKeygen("-q", "-t", "ed25519", "-N", "", "-C", "x y z", "-f", "k", in: dir.path).status == 0)
        let line = try dir.read("k.pub")
        let pub = try SSHPublicKey(openSSH: line)
        #expect(line.hasPrefix(pub.openSSH + " "))
        #expect(pub.wire.count == 51)
        #expect(pub.base64.hasPrefix("AAAAC3NzaC1lZDI1NTE5AAAAI"))
        #expect(try SSHPublicKey(wire: pub.wire) == pub)
        #expect(try SSHPublicKey(ed25519: pub.raw) == pub)
        let listed = try Tool.sshKeygen("-lf", "k.pub", in: dir.path)
        #expect(listed.stdout.split(separator: " ").dropFirst().first.map(String.init) == pub.fingerprint)
        #expect(!pub.fingerprint.hasSuffix("="))
        // Tabs and surrounding blanks are tolerated, the comment ignored.
        #expect(try SSHPublicKey(openSSH: "  ssh-ed25519\t\(pub.base64)\n") == pub)
    }

    @Test func badPublicKeysThrowClearly() {
        let pub = SSHPrivateKey.generate(comment: "").publicKey
        for text in ["", "ssh-ed25519", "ssh-ed25519 !!!", "hello world", "ssh-ed25519 " + Data(pub.wire.dropLast()).base64EncodedString()] {
            #expect(throws: SigningError.self, "\(text)") { try SSHPublicKey(openSSH: text) }
        }
        #expect(throws: SigningError.self) { try SSHPublicKey(ed25519: Array(repeating: 0, count: 31)) }
        #expect(throws: SigningError.self) { try SSHPublicKey(wire: pub.wire + [0]) }
        let error = SigningError.from { _ = try SSHPublicKey(openSSH: "ssh-dss AAAAB3NzaC1kc3M=") }
        #expect(error == .unsupportedKeyType(found: "ssh-dss", path: nil))
        #expect(error?.description.contains("DSA") == true)
        #expect(error?.description.contains("generate one with `ssh-keygen -t ed25519`") == true)
        // A wire blob whose inner type disagrees with the line's type.
        var w: [UInt8] = [0, 0, 0, 7] + Array("ssh-rsa".utf8)
        w += [0, 0, 0, 1, 1]
        #expect(throws: SigningError.self) { try SSHPublicKey(openSSH: "ssh-ed25519 " + Data(w).base64EncodedString()) }
    }
}
