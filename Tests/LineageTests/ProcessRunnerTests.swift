#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Lineage
import LineageCore
import Testing

/// Running commands for `lineage run`. Serialized: a signal forwarded to "the running commands" would
/// reach the commands of the suite's other tests too.
@Suite(.serialized) struct ProcessRunnerTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Calls `action` on another thread once the file `running` exists in `dir` (the command runs, so
    /// our handler is installed), then creates `done` there. Never acts when `running` does not appear.
    func whenRunning(in dir: String, _ action: @escaping @Sendable () -> Void) {
        Thread.detachNewThread {
            let deadline = Date().addingTimeInterval(10)
            while !FileManager.default.fileExists(atPath: dir + "/running") && Date() < deadline { usleep(10_000) }
            guard FileManager.default.fileExists(atPath: dir + "/running") else { return }
            action()
            FileManager.default.createFile(atPath: dir + "/done", contents: nil)
        }
    }

    /// A shell script that traps `signal` (exit `code`), announces itself, and waits (at most ~10 s)
    /// for `done`; then exits 3. It cannot end before the test thread has acted.
    func waiter(trapping signal: String, exit code: Int) -> [String] {
        ["sh", "-c", "trap 'exit \(code)' \(signal); touch running; i=0; while [ ! -e done ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; exit 3"]
    }

    @Test func exitCodesPassThrough() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try ProcessRunner.run(["sh", "-c", "exit 7"], in: dir) == ProcessOutcome(exitCode: 7, signal: nil))
        #expect(try ProcessRunner.run(["true"], in: dir) == ProcessOutcome(exitCode: 0, signal: nil))
        #expect(try ProcessRunner.run(["/bin/sh", "-c", "exit 255"], in: dir).exitCode == 255)
    }

    @Test func runsInTheDirectoryWithTheEnvironment() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        let outcome = try ProcessRunner.run(["sh", "-c", "pwd -P > where.txt; echo \"$FOO|$HOME\" > env.txt", "ignored-arg0"],
                                            in: dir + "/sub", environment: ["FOO": "bar baz", "PATH": "/usr/bin:/bin"])
        #expect(outcome.exitCode == 0)
        let real = URL(fileURLWithPath: dir + "/sub").resolvingSymlinksInPath().path
        #expect(read(dir + "/sub/where.txt") == real)
        #expect(read(dir + "/sub/env.txt") == "bar baz|")
        // A relative command path is taken relative to the directory.
        try Data("#!/bin/sh\nexit 5\n".utf8).write(to: URL(fileURLWithPath: dir + "/sub/script.sh"))
        chmod(dir + "/sub/script.sh", 0o755)
        #expect(try ProcessRunner.run(["./script.sh"], in: dir + "/sub").exitCode == 5)
    }

    @Test func missingCommandsFailBeforeSpawning() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: RunSupportError.commandNotFound("no-such-command-lineage-test")) {
            try ProcessRunner.run(["no-such-command-lineage-test", "x"], in: dir)
        }
        #expect(throws: RunSupportError.commandNotFound("./absent.sh")) { try ProcessRunner.run(["./absent.sh"], in: dir) }
        try Data("#!/bin/sh\nexit 0\n".utf8).write(to: URL(fileURLWithPath: dir + "/plain.sh"))
        #expect(throws: RunSupportError.notExecutable("./plain.sh")) { try ProcessRunner.run(["./plain.sh"], in: dir) }
        #expect(throws: RunSupportError.notExecutable("/tmp")) { try ProcessRunner.run(["/tmp"], in: dir) }
        #expect(throws: RunSupportError.commandNotFound("")) { try ProcessRunner.run([], in: dir) }
        // On PATH but not executable.
        #expect(throws: RunSupportError.notExecutable(dir + "/plain.sh")) {
            try ProcessRunner.run(["plain.sh"], in: dir, environment: ["PATH": dir])
        }
        let message = RunSupportError.commandNotFound("pyhton").description
        #expect(message.contains("pyhton") && message.contains("PATH"))
    }

    @Test func deathBySignalIs128PlusSignal() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try ProcessRunner.run(["sh", "-c", "kill -9 $$"], in: dir) == ProcessOutcome(exitCode: 137, signal: 9))
        #expect(try ProcessRunner.run(["sh", "-c", "kill -TERM $$"], in: dir) == ProcessOutcome(exitCode: 143, signal: SIGTERM))
    }

    @Test func sigtermSentToUsIsForwarded() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        whenRunning(in: dir) { kill(getpid(), SIGTERM) }
        let outcome = try ProcessRunner.run(waiter(trapping: "TERM", exit: 42), in: dir)
        #expect(outcome == ProcessOutcome(exitCode: 42, signal: nil))
    }

    @Test func sigintSentToUsIsForwarded() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        whenRunning(in: dir) { kill(getpid(), SIGINT) }
        #expect(try ProcessRunner.run(waiter(trapping: "INT", exit: 41), in: dir).exitCode == 41)
    }

    /// A signal not sent with kill() (here raise(), si_code SI_TKILL; a terminal's Ctrl-C is SI_KERNEL)
    /// is not forwarded: the child, in our foreground process group, already received it.
    @Test func signalsNotFromKillAreNotForwarded() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        whenRunning(in: dir) { raise(SIGTERM) }
        #expect(try ProcessRunner.run(waiter(trapping: "TERM", exit: 42), in: dir).exitCode == 3)
    }

    @Test func environmentCapture() throws {
        let env = ["OMP_NUM_THREADS": "4", "CUDA_VISIBLE_DEVICES": "0,1", "AWS_SECRET_ACCESS_KEY": "nope", "PATH": "/bin",
                   "HOME": "/root", "GITHUB_TOKEN": "nope", "LANG": "C.UTF-8"]
        let info = RunEnvironment.capture(environment: env)
        #expect(!info.os.isEmpty && !info.kernel.isEmpty && !info.architecture.isEmpty)
        #expect(info.cpuCount >= 1)
        #expect(info.variables == ["OMP_NUM_THREADS": "4", "CUDA_VISIBLE_DEVICES": "0,1", "LANG": "C.UTF-8"])
        #expect(info.captures.isEmpty)
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(info.architecture == machine)
        for name in RunEnvironment.allowedVariables {
            #expect(!["PATH", "HOME", "USER", "LOGNAME", "HOSTNAME"].contains(name))
            #expect(!["TOKEN", "SECRET", "PASSWORD", "KEY", "CREDENTIAL"].contains { name.contains($0) }, "\(name)")
        }
        #if os(Linux)
        if FileManager.default.fileExists(atPath: "/etc/os-release") { #expect(info.os != "Linux") }
        #endif
    }

    /// True when `python3 -m pip` runs here (.ci/setup.sh installs pip).
    static let pipAvailable: Bool = {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-m", "pip", "--version"]
        check.standardOutput = FileHandle.nullDevice; check.standardError = FileHandle.nullDevice
        guard (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }()

    @Test(.enabled(if: pipAvailable, "needs python3 with pip (.ci/setup.sh installs it)"))
    func pipFreeze() throws {
        let env = ProcessInfo.processInfo.environment
        let frozen = try RunEnvironment.pipFreeze(environment: env)
        let text = String(decoding: frozen, as: UTF8.self)
        #expect(text.isEmpty || text.contains("==") || text.contains(" @ "))
        // Neither python3 nor pip on PATH: a clear error.
        #expect(throws: RunSupportError.self) { try RunEnvironment.pipFreeze(environment: ["PATH": "/nonexistent"]) }
    }
}
