import Foundation
import Lineage
import LineageCore
import LineageGit
import Testing

let sshdAvailable = FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen")

/// A real OpenSSH server on 127.0.0.1 and a free port, run as the current user from a scratch
/// directory: its own host key, an authorized_keys file with one client key, StrictModes off.
final class ScratchSSHD {
    let dir: String
    let port: Int
    let clientKey: String
    let hostPublicKey: String
    let user: String

    init(dir: String) throws {
        self.dir = dir
        user = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, comment) in [("host_ed25519", "host"), ("client_ed25519", "client")] {
            let r = try tool(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", dir + "/" + name])
            guard r.code == 0 else { throw StoreTestError("ssh-keygen failed: \(r.err)") }
        }
        clientKey = dir + "/client_ed25519"
        hostPublicKey = try String(contentsOfFile: dir + "/host_ed25519.pub", encoding: .utf8)
        try FileManager.default.copyItem(atPath: dir + "/client_ed25519.pub", toPath: dir + "/authorized_keys")
        port = try ScratchSSHD.freePort()
        let config = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(dir)/host_ed25519
            AuthorizedKeysFile \(dir)/authorized_keys
            PidFile \(dir)/sshd.pid
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            AllowUsers \(user)
            LogLevel ERROR

            """
        try config.write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
        // sshd refuses to start as root without its privilege-separation directory.
        if getuid() == 0 { try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }
        // Started as a daemon (it detaches and writes its pid file), so no child of this test
        // process outlives the call; stopped by that pid in deinit.
        let started = try tool(["/usr/sbin/sshd", "-f", dir + "/sshd_config", "-E", dir + "/sshd.log"])
        guard started.code == 0 else { throw StoreTestError("sshd did not start: \(started.err)") }
        var ready = false
        for _ in 0..<200 {
            if ScratchSSHD.canConnect(port) { ready = true; break }
            usleep(50_000)
        }
        guard ready else {
            let log = (try? String(contentsOfFile: dir + "/sshd.log", encoding: .utf8)) ?? ""
            throw StoreTestError("sshd did not accept connections: \(log)")
        }
    }

    deinit {
        if let text = try? String(contentsOfFile: dir + "/sshd.pid", encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(pid, SIGTERM) }
    }

    /// `[127.0.0.1]:port <type> <key>`, as ssh writes it.
    var knownHostsLine: String {
        let parts = hostPublicKey.split(separator: " ")
        return "[127.0.0.1]:\(port) \(parts[0]) \(parts[1])\n"
    }

    func url(_ path: String) -> String { "ssh://\(user)@127.0.0.1:\(port)\(path)" }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw StoreTestError("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

struct StoreTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

@Suite(.serialized) struct RemoteSSHTests {
    @Test(.enabled(if: sshdAvailable, "needs /usr/sbin/sshd (openssh-server)"))
    func pushAndCloneOverSSHAndRefuseAnUnknownOrChangedHostKey() throws {
        let w = try RemoteWorld()
        let sshd = try ScratchSSHD(dir: w.base + "/sshd")
        let knownHosts = w.base + "/known_hosts"
        try sshd.knownHostsLine.write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let settings = SSHSettings(identityFiles: [sshd.clientKey], knownHosts: knownHosts, useAgent: false)

        let bare = w.base + "/over-ssh.git"
        #expect(try tool(["git", "init", "-q", "--bare", bare]).code == 0)
        let transfer = DirectoryTransfer(w.base + "/ssh-content")
        let alice = try w.newRepository("alice")
        let first = try w.commit(alice, "data/a.csv", Data("a,b\n1,2\n".utf8), "first")
        try alice.remoteAdd(name: "origin", url: sshd.url(bare), content: transfer.location, cwd: alice.root)
        let pushed = try alice.push(remote: "origin", transfer: transfer, ssh: settings)
        #expect(pushed.new == first)
        #expect(try w.rev(bare, "refs/lineage/heads/main") == first)

        let clone = try Repository.clone(url: sshd.url(bare), into: w.base + "/bob", cwd: w.base, trustRoot: try w.defaultFingerprint,
                                         transfer: transfer, ssh: settings)
        #expect(clone.commit == first && clone.filesWritten == 1)
        #expect(FileManager.default.contents(atPath: w.base + "/bob/data/a.csv") == Data("a,b\n1,2\n".utf8))
        let bob = try Repository.open(from: w.base + "/bob")
        #expect(try bob.fetch(remote: "origin", ssh: settings).branches.map(\.change) == [.upToDate])

        // No known_hosts entry: refused, naming the host and its fingerprint; nothing local moves.
        let emptyKnown = w.base + "/known_hosts_empty"
        _ = FileManager.default.createFile(atPath: emptyKnown, contents: Data())
        let unknown = SSHSettings(identityFiles: [sshd.clientKey], knownHosts: emptyKnown, useAgent: false)
        try w.commit(alice, "data/b.csv", Data("c\n3\n".utf8), "second")
        let refsBefore = try w.refs(bare)
        do {
            _ = try alice.push(remote: "origin", transfer: transfer, ssh: unknown)
            Issue.record("an unknown host key was accepted")
        } catch let e as TransportError {
            guard case .unknownHostKey(let remote, let host, let fp, _) = e else { Issue.record("unexpected \(e)"); return }
            #expect(remote == "origin" && host == "[127.0.0.1]:\(sshd.port)" && fp.hasPrefix("SHA256:"))
        }
        #expect(try w.refs(bare) == refsBefore)

        // Another key on file for the host: a changed host key, refused.
        let other = w.base + "/other_host"
        #expect(try tool(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other]).code == 0)
        let otherKey = try String(contentsOfFile: other + ".pub", encoding: .utf8).split(separator: " ")
        let changedFile = w.base + "/known_hosts_changed"
        try "[127.0.0.1]:\(sshd.port) \(otherKey[0]) \(otherKey[1])\n".write(toFile: changedFile, atomically: true, encoding: .utf8)
        let changed = SSHSettings(identityFiles: [sshd.clientKey], knownHosts: changedFile, useAgent: false)
        do {
            _ = try bob.fetch(remote: "origin", ssh: changed)
            Issue.record("a changed host key was accepted")
        } catch let e as TransportError {
            guard case .changedHostKey = e else { Issue.record("unexpected \(e)"); return }
        }

        // A key the server does not accept: a clear authentication error after a bounded number of attempts.
        let stranger = w.base + "/stranger"
        #expect(try tool(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger]).code == 0)
        let denied = SSHSettings(identityFiles: [stranger], knownHosts: knownHosts, useAgent: false)
        do {
            _ = try bob.fetch(remote: "origin", ssh: denied)
            Issue.record("an unauthorised key was accepted")
        } catch let e as TransportError {
            guard case .authentication = e else { Issue.record("unexpected \(e)"); return }
        }
    }
}
