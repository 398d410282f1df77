import Foundation
import LineageGit
import Testing

@Suite struct TransportTests {
    @Test func urlsAreClassifiedAsGitDoes() {
        #expect(GitURLKind.classify("/srv/h.git") == .local(path: "/srv/h.git"))
        #expect(GitURLKind.classify("file:///srv/h.git") == .local(path: "/srv/h.git"))
        #expect(GitURLKind.classify("../h.git") == .local(path: "../h.git"))
        #expect(GitURLKind.classify("ssh://me@example.org:2222/srv/h.git") == .ssh(user: "me", host: "example.org", port: 2222))
        #expect(GitURLKind.classify("ssh://example.org/srv/h.git") == .ssh(user: nil, host: "example.org", port: nil))
        #expect(GitURLKind.classify("git@github.com:team/h.git") == .ssh(user: "git", host: "github.com", port: nil))
        #expect(GitURLKind.classify("https://github.com/team/h.git") == .https(host: "github.com"))
        #expect(GitURLKind.classify("ftp://example.org/h.git") == nil)
        #expect(GitURLKind.classify("ssh://me@example.org:notaport/h") == nil)
    }

    /// known_hosts as OpenSSH writes it: plain, `[host]:port`, and hashed by `ssh-keygen -H`.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen"), "needs ssh-keygen"))
    func knownHostsPlainPortAndHashed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kh-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func keygen(_ name: String) throws -> (line: String, blob: [UInt8]) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
            p.arguments = ["-q", "-t", "ed25519", "-N", "", "-f", dir + "/" + name]
            try p.run(); p.waitUntilExit()
            let pub = try String(contentsOfFile: dir + "/" + name + ".pub", encoding: .utf8).split(separator: " ")
            return ("\(pub[0]) \(pub[1])", Array(Data(base64Encoded: String(pub[1]))!))
        }
        let a = try keygen("a"), b = try keygen("b")
        let file = dir + "/known_hosts"
        try "example.org \(a.line)\n[127.0.0.1]:2222 \(a.line)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let kh = KnownHosts(path: file)
        #expect(kh.check(host: "example.org", port: nil, key: a.blob) == .match)
        #expect(kh.check(host: "example.org", port: 22, key: a.blob) == .match)
        #expect(kh.check(host: "example.org", port: nil, key: b.blob) == .changed)
        #expect(kh.check(host: "other.org", port: nil, key: a.blob) == .unknown)
        #expect(kh.check(host: "127.0.0.1", port: 2222, key: a.blob) == .match)
        #expect(kh.check(host: "127.0.0.1", port: nil, key: a.blob) == .unknown)
        // Hashed by stock ssh-keygen: the same answers.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
        p.arguments = ["-q", "-H", "-f", file]
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("|1|"))
        #expect(kh.check(host: "example.org", port: nil, key: a.blob) == .match)
        #expect(kh.check(host: "example.org", port: nil, key: b.blob) == .changed)
        #expect(kh.check(host: "127.0.0.1", port: 2222, key: a.blob) == .match)
        #expect(kh.check(host: "other.org", port: nil, key: a.blob) == .unknown)
        // A revoked key is refused even when listed.
        try "@revoked * \(a.line)\nexample.org \(a.line)\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(kh.check(host: "example.org", port: nil, key: a.blob) == .changed)
    }
}
