#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How a command run by `ProcessRunner` ended.
public struct ProcessOutcome: Sendable, Equatable {
    /// The status to exit with: the child's exit code, or 128 + signal number when a signal killed it.
    public let exitCode: Int32
    /// The signal that killed the child, if one did.
    public let signal: Int32?

    public init(exitCode: Int32, signal: Int32?) {
        self.exitCode = exitCode; self.signal = signal
    }
}

/// Errors of running a command and capturing its environment. Each message says what to do.
public enum RunSupportError: Error, Equatable, CustomStringConvertible {
    case commandNotFound(String)
    case notExecutable(String)
    case spawnFailed(String, errno: Int32)
    case captureFailed(String)

    public var description: String {
        switch self {
        case .commandNotFound(let command):
            return "command not found: '\(command)' — check the spelling, give its path, or add its directory to PATH"
        case .notExecutable(let path):
            return "'\(path)' is not an executable file — make it executable (chmod +x) or run it through its interpreter (e.g. python3 \(path))"
        case .spawnFailed(let command, let code):
            return "cannot start '\(command)': \(String(cString: strerror(code))) — check that it is a valid program for this machine"
        case .captureFailed(let why):
            return "environment capture failed: \(why)"
        }
    }
}

/// Runs a command in the foreground, as a shell would.
public enum ProcessRunner {
    /// Runs `argv[0]` (searched on PATH unless it contains "/") with `argv`, in `directory`, with
    /// stdin, stdout and stderr inherited (`posix_spawn`), and waits for it.
    ///
    /// While the child runs, SIGINT and SIGTERM sent to this process with `kill()` (`si_code`
    /// `SI_USER` or `SI_QUEUE`) are forwarded to it; signals from the terminal are not, since the
    /// child, in the same foreground process group, already received them. Signals this process
    /// ignores stay ignored (and the child inherits that, as from a shell). The previous dispositions
    /// are restored when the last concurrently running command ends.
    ///
    /// A missing or non-executable command is reported before anything is spawned.
    /// - Parameter environment: the child's environment (and the PATH searched); nil inherits ours.
    /// - Parameter stdoutToStderr: the child writes its standard output to our standard error, which
    ///   keeps our standard output for a document of our own (`lineage run --json`).
    public static func run(_ argv: [String], in directory: String, environment: [String: String]? = nil,
                           stdoutToStderr: Bool = false) throws -> ProcessOutcome {
        guard let command = argv.first, !command.isEmpty else { throw RunSupportError.commandNotFound("") }
        let path = try resolve(command, in: directory, environment: environment ?? ProcessInfo.processInfo.environment)

        SignalForwarding.acquire()
        defer { SignalForwarding.release() }
        // This thread may have inherited a mask blocking SIGINT/SIGTERM (a parent that spawned us
        // from a dispatch worker thread, which blocks signals); unblock them here while the command
        // runs, or a signal sent to us would wait pending and never be forwarded.
        var forwarded = sigset_t(), previousMask = sigset_t()
        sigemptyset(&forwarded)
        sigaddset(&forwarded, SIGINT); sigaddset(&forwarded, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &forwarded, &previousMask)
        defer { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }

        let pid = try spawn(path: path, argv: argv, in: directory, environment: environment, stdoutToStderr: stdoutToStderr)
        let slot = SignalForwarding.register(pid)
        // Wait without reaping first, so the pid cannot be reused while a forwarder may still signal it.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        SignalForwarding.unregister(slot)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw RunSupportError.spawnFailed(command, errno: errno) }
        }
        let low = status & 0x7f
        if low == 0 { return ProcessOutcome(exitCode: (status >> 8) & 0xff, signal: nil) }
        return ProcessOutcome(exitCode: 128 + low, signal: low)
    }

    /// Runs a command in the background of this process, as a hook: `input` on its stdin, stdout and
    /// stderr captured together (at most `outputLimit` bytes kept), in a process group of its own
    /// that is killed (SIGKILL) when `timeout` seconds pass. Returns nil as the outcome on timeout.
    public static func runCaptured(_ argv: [String], in directory: String, environment: [String: String]? = nil,
                                   input: [UInt8], timeout: Double, outputLimit: Int = 64 << 10) throws -> (outcome: ProcessOutcome?, output: [UInt8]) {
        // Files, not pipes: a child that leaves grandchildren holding its output open cannot block us.
        let (command, path, inFD) = try prepare(argv, in: directory, environment: environment, input: input)
        defer { close(inFD) }
        let outFD = try scratchFile(command)
        defer { close(outFD) }
        let pid = try spawn(path: path, argv: argv, in: directory, environment: environment, stdin: inFD, output: outFD, newGroup: true)
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var timedOut = false
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw RunSupportError.spawnFailed(command, errno: errno) }
            if Date() >= deadline {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                timedOut = true
                break
            }
            usleep(5_000)
        }
        // Whatever the group left behind goes with it.
        if !timedOut { kill(-pid, SIGKILL) }
        var output = [UInt8](repeating: 0, count: outputLimit)
        let n = output.withUnsafeMutableBytes { pread(outFD, $0.baseAddress, $0.count, 0) }
        output = Array(output.prefix(max(n, 0)))
        if timedOut { return (nil, output) }
        let low = status & 0x7f
        if low == 0 { return (ProcessOutcome(exitCode: (status >> 8) & 0xff, signal: nil), output) }
        return (ProcessOutcome(exitCode: 128 + low, signal: low), output)
    }

    /// Runs a command as a filter: `input` on its stdin, its stdout and stderr captured apart, in
    /// this process's group so that it can ask on the terminal (a passphrase, a touch of a security
    /// key) — hence no timeout. For programs lineage delegates work to, such as `ssh-keygen -Y sign`.
    public static func runFilter(_ argv: [String], in directory: String, input: [UInt8],
                                 environment: [String: String]? = nil) throws -> (outcome: ProcessOutcome, stdout: [UInt8], stderr: [UInt8]) {
        let (command, path, inFD) = try prepare(argv, in: directory, environment: environment, input: input)
        defer { close(inFD) }
        let outFD = try scratchFile(command)
        defer { close(outFD) }
        let errFD = try scratchFile(command)
        defer { close(errFD) }
        let pid = try spawn(path: path, argv: argv, in: directory, environment: environment, stdin: inFD, output: outFD, errors: errFD)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { throw RunSupportError.spawnFailed(command, errno: errno) }
        }
        func contents(_ fd: Int32) -> [UInt8] {
            let size = Int(lseek(fd, 0, SEEK_END))
            var bytes = [UInt8](repeating: 0, count: max(min(size, 1 << 20), 0))
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            return Array(bytes.prefix(max(n, 0)))
        }
        let low = status & 0x7f
        let outcome = low == 0 ? ProcessOutcome(exitCode: (status >> 8) & 0xff, signal: nil) : ProcessOutcome(exitCode: 128 + low, signal: low)
        return (outcome, contents(outFD), contents(errFD))
    }

    /// The command's name and executable (refused before anything runs when missing), and a
    /// scratch file holding `input` for its stdin.
    private static func prepare(_ argv: [String], in directory: String, environment: [String: String]?,
                                input: [UInt8]) throws -> (command: String, path: String, input: Int32) {
        guard let command = argv.first, !command.isEmpty else { throw RunSupportError.commandNotFound("") }
        let path = try resolve(command, in: directory, environment: environment ?? ProcessInfo.processInfo.environment)
        return (command, path, try inputFile(input, command: command))
    }

    /// An anonymous temporary file (already unlinked), open for reading and writing.
    private static func scratchFile(_ command: String) throws -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/lineage-child-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw RunSupportError.spawnFailed(command, errno: errno) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    /// A scratch file holding `input`, positioned at its start: a child's stdin.
    private static func inputFile(_ input: [UInt8], command: String) throws -> Int32 {
        let fd = try scratchFile(command)
        var offset = 0
        while offset < input.count {
            let n = input[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                throw RunSupportError.spawnFailed(command, errno: code)
            }
            offset += n
        }
        lseek(fd, 0, SEEK_SET)
        return fd
    }

    /// The executable `command` names: itself (relative to `directory`) when it contains "/",
    /// else the first executable regular file of that name on PATH.
    static func resolve(_ command: String, in directory: String, environment: [String: String]) throws -> String {
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : (directory as NSString).appendingPathComponent(p) }
        func kind(_ p: String) -> (exists: Bool, runnable: Bool) {
            var st = stat()
            guard stat(p, &st) == 0 else { return (false, false) }
            return (true, (st.st_mode & S_IFMT) == S_IFREG && access(p, X_OK) == 0)
        }
        if command.contains("/") {
            let p = absolute(command)
            let k = kind(p)
            guard k.exists else { throw RunSupportError.commandNotFound(command) }
            guard k.runnable else { throw RunSupportError.notExecutable(command) }
            return p
        }
        let searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var notRunnable: String? = nil
        for entry in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let dir = entry.isEmpty ? "." : String(entry)
            let p = absolute(dir + "/" + command)
            let k = kind(p)
            if k.runnable { return p }
            if k.exists, notRunnable == nil { notRunnable = p }
        }
        if let p = notRunnable { throw RunSupportError.notExecutable(p) }
        throw RunSupportError.commandNotFound(command)
    }

    /// Starts the child with `posix_spawn`: no file actions besides changing into `directory`, an
    /// empty signal mask, and SIGPIPE back at its default (runtimes often ignore it).
    /// With `stdin`/`output` descriptors, the child reads the first and writes stdout and stderr to
    /// the second (stderr to `errors` when given); with `newGroup`, it leads a process group of its own (so a timeout can end all of it);
    /// with `stdoutToStderr`, its standard output is our standard error.
    private static func spawn(path: String, argv: [String], in directory: String, environment: [String: String]?,
                              stdin: Int32? = nil, output: Int32? = nil, errors: Int32? = nil, newGroup: Bool = false,
                              stdoutToStderr: Bool = false) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else { throw RunSupportError.spawnFailed(argv[0], errno: errno) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        let rc = SpawnChdir.add(&actions, directory)
        guard rc == 0 else { throw RunSupportError.spawnFailed(argv[0], errno: rc) }
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) }
        if let output {
            posix_spawn_file_actions_adddup2(&actions, output, 1)
            posix_spawn_file_actions_adddup2(&actions, errors ?? output, 2)
        } else if stdoutToStderr {
            posix_spawn_file_actions_adddup2(&actions, 2, 1)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgv.forEach { free($0) } }
        var cEnv: [UnsafeMutablePointer<CChar>?]? = environment.map { env in
            env.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { cEnv?.forEach { free($0) } }

        var pid: pid_t = 0
        let spawned: Int32 = cArgv.withUnsafeMutableBufferPointer { args in
            if cEnv != nil {
                return cEnv!.withUnsafeMutableBufferPointer { env in
                    posix_spawn(&pid, path, &actions, &attributes, args.baseAddress!, env.baseAddress!)
                }
            }
            return posix_spawn(&pid, path, &actions, &attributes, args.baseAddress!, environ)
        }
        guard spawned == 0 else { throw RunSupportError.spawnFailed(argv[0], errno: spawned) }
        return pid
    }
}

/// `posix_spawn_file_actions_addchdir_np` (glibc 2.29+, macOS 10.15+), which Swift's Glibc module does
/// not import because it hides behind `_GNU_SOURCE`; looked up once with `dlsym`.
private enum SpawnChdir {
    typealias Function = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let function: Function? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()

    /// Adds a change into `directory` to `actions`; returns 0 or an errno value.
    static func add(_ actions: inout posix_spawn_file_actions_t, _ directory: String) -> Int32 {
        if let function { return function(&actions, directory) }
        // Without the call the child would start in our own directory; refuse unless that is the one asked for.
        let here = FileManager.default.currentDirectoryPath
        return (directory as NSString).standardizingPath == (here as NSString).standardizingPath ? 0 : ENOSYS
    }
}

/// Process-wide forwarding of SIGINT and SIGTERM to the children `ProcessRunner` is waiting for.
///
/// The handler is installed while at least one command runs (a count under a lock) and reads a
/// fixed table of child pids, so that it only calls `kill()`, which is async-signal-safe.
private enum SignalForwarding {
    static let signals: [Int32] = [SIGINT, SIGTERM]
    static let capacity = 64
    /// Child pids being waited for; 0 marks a free slot. Written under `lock`, read by the handler.
    nonisolated(unsafe) static let children: UnsafeMutablePointer<pid_t> = {
        let p = UnsafeMutablePointer<pid_t>.allocate(capacity: capacity)
        p.initialize(repeating: 0, count: capacity)
        return p
    }()
    /// A signal that arrived while no child was registered yet (0: none), delivered on registration.
    nonisolated(unsafe) static let pending: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    nonisolated(unsafe) static var users = 0
    nonisolated(unsafe) static var previous: [Int32: sigaction] = [:]
    static let lock = NSLock()

    static func acquire() {
        lock.lock(); defer { lock.unlock() }
        users += 1
        guard users == 1 else { return }
        _ = children; pending.pointee = 0  // initialise the tables before any handler can read them
        for sig in signals {
            var old = sigaction()
            sigaction(sig, nil, &old)
            if handlerAddress(old) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }  // stays ignored
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_sigaction = forward
            #else
            action.__sigaction_u.__sa_sigaction = forward
            #endif
            action.sa_flags = SA_SIGINFO | SA_RESTART
            sigemptyset(&action.sa_mask)
            if sigaction(sig, &action, nil) == 0 { previous[sig] = old }
        }
    }

    static func release() {
        lock.lock(); defer { lock.unlock() }
        users -= 1
        guard users == 0 else { return }
        for (sig, old) in previous {
            var action = old
            sigaction(sig, &action, nil)
        }
        previous = [:]
    }

    /// Records a running child; forwards a signal that arrived just before. Returns the slot (or -1).
    static func register(_ pid: pid_t) -> Int {
        lock.lock(); defer { lock.unlock() }
        for i in 0..<capacity where children[i] == 0 {
            children[i] = pid
            let sig = pending.pointee
            if sig != 0 { pending.pointee = 0; kill(pid, sig) }
            return i
        }
        return -1
    }

    static func unregister(_ slot: Int) {
        guard slot >= 0 else { return }
        lock.lock(); defer { lock.unlock() }
        children[slot] = 0
    }

    private static func handlerAddress(_ action: sigaction) -> Int {
        #if canImport(Glibc)
        return unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
        #else
        return unsafeBitCast(action.__sigaction_u.__sa_handler, to: Int.self)
        #endif
    }

    /// The handler: async-signal-safe (reads memory, calls `kill`, keeps `errno`).
    static let forward: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { sig, info, _ in
        guard let code = info?.pointee.si_code, code == SI_USER || code == SI_QUEUE else { return }
        let saved = errno
        var sent = false
        for i in 0..<SignalForwarding.capacity {
            let pid = SignalForwarding.children[i]
            if pid > 0 { kill(pid, sig); sent = true }
        }
        if !sent { SignalForwarding.pending.pointee = sig }
        errno = saved
    }
}
