import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `moto_server` (S3 and more, `pip install 'moto[server]'`) on 127.0.0.1 and a free
/// port, started for a test suite and stopped at its end. Its request log (one line per request)
/// is kept in `logPath`, so tests and benchmarks can count what reached the server.
public final class MotoServer: @unchecked Sendable {
    public let port: UInt16
    /// `http://127.0.0.1:<port>`.
    public let endpoint: String
    public let logPath: String
    private let process: Process

    /// The `moto_server` executable on PATH, or nil.
    public static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/moto_server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether `moto_server` can be started here (gate moto tests on it).
    public static let isAvailable: Bool = executable != nil

    /// An environment for a client of this server: endpoint, dummy credentials (moto accepts
    /// any), region; nothing from the user's own AWS set-up leaks in.
    public func clientEnvironment(extra: [String: String] = [:]) -> [String: String] {
        var env: [String: String] = [
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
            "AWS_CONFIG_FILE": "/nonexistent/config",
            "HOME": NSTemporaryDirectory(),
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Starts a server and waits until it answers HTTP (moto needs a few seconds).
    public static func start() throws -> MotoServer {
        guard let executable else { throw MotoError("moto_server is not on PATH; pip install 'moto[server]'") }
        var lastError = "did not start"
        // A port found free can be taken by someone else before moto binds it: try a few.
        for _ in 0..<3 {
            let port = try LoopbackSocket.freePort()
            let logPath = NSTemporaryDirectory() + "moto-\(port)-\(getpid()).log"
            FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            let process = Process()
            // A small shell watches this test process: when it dies without stopping the
            // server (a crash, a kill), the shell stops moto instead of leaving it behind.
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", Self.watchdog, "moto-watchdog", executable, String(port), String(getpid()), logPath + ".pid"]
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let server = MotoServer(port: port, logPath: logPath, process: process)
            for _ in 0..<600 {
                if !process.isRunning { break }
                if LoopbackSocket.httpStatus(port: port, method: "GET", path: "/moto-api/") != nil { return server }
                usleep(100_000)
            }
            lastError = (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.suffix(2000)) } ?? "no log"
            server.stop()
        }
        throw MotoError("moto_server did not answer: \(lastError)")
    }

    /// Starts moto in the background, writes its pid to "$4", and kills it (SIGKILL: moto
    /// started from a test process can inherit a mask that blocks SIGTERM) once the process "$3"
    /// is gone. The shell itself is killed by `stop()`.
    private static let watchdog = """
        "$1" -H 127.0.0.1 -p "$2" & m=$!
        echo $m > "$4"
        while kill -0 "$3" 2>/dev/null; do sleep 0.5; done
        kill -9 $m 2>/dev/null
        """

    private init(port: UInt16, logPath: String, process: Process) {
        self.port = port; self.endpoint = "http://127.0.0.1:\(port)"; self.logPath = logPath; self.process = process
    }

    /// Creates a bucket (moto checks no signature).
    public func createBucket(_ name: String) throws {
        let status = LoopbackSocket.httpStatus(port: port, method: "PUT", path: "/\(name)")
        guard status == 200 else { throw MotoError("creating bucket \(name) answered \(status.map(String.init) ?? "nothing")") }
    }

    /// Lines of the request log so far, such as `127.0.0.1 - - [..] "PUT /b/k HTTP/1.1" 200 -`.
    public func requestLog() -> [String] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { $0.contains("\" ") && $0.contains("HTTP/1.") }
    }

    /// Stops the server (SIGKILL: it keeps no state worth saving), waits for it and removes its log.
    public func stop() {
        let pidPath = logPath + ".pid"
        defer {
            try? FileManager.default.removeItem(atPath: logPath)
            try? FileManager.default.removeItem(atPath: pidPath)
        }
        guard process.isRunning else { return }
        if let text = try? String(contentsOfFile: pidPath, encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
            kill(pid, SIGKILL)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

public struct MotoError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
