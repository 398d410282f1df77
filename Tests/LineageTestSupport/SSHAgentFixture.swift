import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `ssh-agent` for one test, listening on a socket in a scratch directory, and helpers
/// to make keys with `ssh-keygen` and load them with `ssh-add`. Stopped by `stop()` or when the
/// value goes away.
public final class SSHAgentFixture: @unchecked Sendable {
    /// Whether ssh-agent, ssh-add and ssh-keygen are installed (.ci/setup.sh installs openssh-client).
    public static let available: Bool = ["ssh-agent", "ssh-add", "ssh-keygen"].allSatisfy { SSHAgentFixture.which($0) != nil }

    public let directory: String
    public let socket: String
    private let process: Process

    /// `SSH_AUTH_SOCK` for processes that should use this agent.
    public var environment: [String: String] { ["SSH_AUTH_SOCK": socket] }

    public init() throws {
        // Short: a unix socket path must fit in 108 bytes.
        directory = "/tmp/lineage-agent-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        socket = directory + "/agent.sock"
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.require("ssh-agent"))
        process.arguments = ["-D", "-a", socket]  // foreground: this process owns it and ends it
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when the socket exists; the agent creates it before it serves anything.
        var waited = 0
        while !FileManager.default.fileExists(atPath: socket) {
            guard process.isRunning, waited < 2000 else { throw FixtureError("ssh-agent did not create \(socket)") }
            usleep(5_000); waited += 1
        }
    }

    deinit { stop(); try? FileManager.default.removeItem(atPath: directory) }

    /// Ends the agent (its socket stops answering). SIGKILL: a child of the test runner may start
    /// with SIGTERM blocked (inherited signal mask), and ssh-agent would then never see it.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The agent's process id (a hook can end it to simulate an agent that goes away).
    public var pid: Int32 { process.processIdentifier }

    /// Makes a key with ssh-keygen in the scratch directory: `type` ed25519, ecdsa, rsa or dsa.
    @discardableResult
    public func keygen(_ name: String, type: String, bits: Int? = nil, passphrase: String = "", extra: [String] = []) throws -> String {
        let path = directory + "/" + name
        var args = ["-q", "-t", type, "-N", passphrase, "-C", name, "-f", path] + extra
        if let bits { args += ["-b", String(bits)] }
        let r = try Self.run(try Self.require("ssh-keygen"), args, environment: [:])
        guard r.status == 0 else { throw FixtureError("ssh-keygen -t \(type): \(r.stderr)") }
        return path
    }

    /// Loads a key into the agent with ssh-add; a passphrase is given through SSH_ASKPASS.
    public func add(_ keyPath: String, passphrase: String? = nil) throws {
        var env = environment
        if let passphrase {
            let askpass = directory + "/askpass-\(UUID().uuidString.prefix(6)).sh"
            let quoted = passphrase.replacingOccurrences(of: "'", with: "'\\''")
            try Data("#!/bin/sh\nprintf '%s\\n' '\(quoted)'\n".utf8).write(to: URL(fileURLWithPath: askpass))
            chmod(askpass, 0o700)
            env["SSH_ASKPASS"] = askpass
            env["SSH_ASKPASS_REQUIRE"] = "force"
            env["DISPLAY"] = ":0"
        }
        let r = try Self.run(try Self.require("ssh-add"), [keyPath], environment: env)
        guard r.status == 0 else { throw FixtureError("ssh-add \(keyPath): \(r.stderr)") }
    }

    /// Removes a key from the agent (`ssh-add -d`, given the `.pub`).
    public func remove(_ keyPath: String) throws {
        let r = try Self.run(try Self.require("ssh-add"), ["-d", keyPath + ".pub"], environment: environment)
        guard r.status == 0 else { throw FixtureError("ssh-add -d \(keyPath): \(r.stderr)") }
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func require(_ tool: String) throws -> String {
        guard let path = which(tool) else { throw FixtureError("\(tool) is not installed (.ci/setup.sh installs openssh-client)") }
        return path
    }

    /// Runs a tool with stdin from /dev/null and the given variables on top of ours (SSH_AUTH_SOCK
    /// dropped unless given, so that only this agent is ever used).
    static func run(_ path: String, _ args: [String], environment extra: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SSH_AUTH_SOCK")
        for (k, v) in extra { env[k] = v }
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        let (status, outData, errData) = try ChildOutput.run(p)
        return (status, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

/// Running a child process with its output collected.
public enum ChildOutput {
    /// Starts `process` with stdout and stderr on pipes, reads both at once (so neither fills up
    /// and blocks the child), and waits for it: its status and the two outputs.
    public static func run(_ process: Process) throws -> (status: Int32, stdout: Data, stderr: Data) {
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = readToEnd(err.fileHandleForReading.fileDescriptor); group.leave() }
        let outData = readToEnd(out.fileHandleForReading.fileDescriptor)
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, outData, errData)
    }

    /// Everything until end of file, retrying reads a signal interrupted (FileHandle's
    /// readDataToEndOfFile traps on EINTR, and the signal-forwarding tests send signals to us).
    static func readToEnd(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { data.append(contentsOf: buffer[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            return data
        }
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
