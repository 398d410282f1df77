import ArgumentParser
import Foundation
import Lineage
import LineageCore
import LineageGit
import LineageGraph
import LineageRemote
import LineageStore

/// Flags every command accepts.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .customShort("C"), help: ArgumentHelp("Run as if lineage was started in <dir>.", valueName: "dir"))
    public var directory: String?

    @Flag(name: [.short, .long], help: "Print only errors and the essential result.")
    public var quiet = false

    public init() {}

    /// The directory the command acts in.
    public var cwd: String {
        let base = FileManager.default.currentDirectoryPath
        guard let directory else { return base }
        return directory.hasPrefix("/") ? directory : base + "/" + directory
    }
}

/// `--json` for read commands.
public struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON (schemas in Schemas/).")
    public var json = false
    public init() {}
}

/// `-j/--jobs` for commands that move content.
public struct TransferOptions: ParsableArguments {
    @Option(name: [.customShort("j"), .long], help: "Parallel transfers to or from the content location (1-64).")
    public var jobs: Int = 8
    public init() {}
    public func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
    }
}

/// A command that opens the repository once (checking its format) before its body runs.
protocol RepositoryCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func run(in repository: Repository) throws
}

extension RepositoryCommand {
    public func run() throws {
        let repository = try Repository.open(from: global.cwd)
        repository.warn = { Output.warn($0) }
        try run(in: repository)
    }
}

/// Everything commands print goes through here, so one place knows about terminals.
enum Output {
    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Standard output is buffered (64 KiB, like stdio's): listing 100,000 files is then a few
    /// dozen writes instead of one system call per line. Flushed before anything goes to
    /// standard error, so the two stay in order on a terminal, and when the command ends.
    nonisolated(unsafe) private static var pending: [UInt8] = []
    private static let pendingLock = NSLock()

    static func line(_ text: String = "") {
        write(text + "\n")
    }

    /// Text as it is (no newline added).
    static func write(_ text: String) {
        pendingLock.lock()
        defer { pendingLock.unlock() }
        pending.append(contentsOf: text.utf8)
        if pending.count >= 1 << 16 { flushLocked() }
    }

    static func flush() {
        pendingLock.lock()
        defer { pendingLock.unlock() }
        flushLocked()
    }

    private static func flushLocked() {
        guard !pending.isEmpty else { return }
        FileHandle.standardOutput.write(Data(pending))
        pending.removeAll(keepingCapacity: true)
    }

    /// A command's `--json` document: `value`'s members (it must encode as an object) and
    /// `schema`, the file name of its JSON Schema in Schemas/ (the convention of Schemas/README.md).
    static func json<T: Encodable>(_ value: T, schema: String) throws {
        line(try CanonicalJSON.pretty(JSONDocument(schema: schema, value: value)))
    }

    /// A list printed as `{"schema": ..., "<member>": [...]}`: the top level is always an object.
    static func json<T: Encodable>(_ items: [T], as member: String, schema: String) throws {
        line(try CanonicalJSON.pretty(JSONDocument(schema: schema, value: [member: items])))
    }

    static func warn(_ text: String) {
        flush()
        FileHandle.standardError.write(Data(("warning: " + text + "\n").utf8))
    }

    static func error(_ text: String) {
        flush()
        FileHandle.standardError.write(Data(("error: " + text + "\n").utf8))
    }

    /// Colours only on a terminal, and never when NO_COLOR is set.
    static func color(_ text: String, _ code: String) -> String {
        guard isTerminal, ProcessInfo.processInfo.environment["NO_COLOR"] == nil else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}

/// `value`'s members plus `schema`. JSONEncoder hands the same keyed container to every request at
/// one level, so the member joins the object `value` wrote.
private struct JSONDocument<Value: Encodable>: Encodable {
    let schema: String
    let value: Value
    private enum Key: String, CodingKey { case schema }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(schema, forKey: .schema)
    }
}

/// Draws progress on stderr when it is a terminal; silent otherwise.
final class TerminalProgress: ProgressReporter {
    private let enabled: Bool
    private var lastDraw: Double = 0
    private var drew = false
    /// When the current phase started and its name, for the transfer rate.
    private var phaseStart: Double = 0
    private var phaseName = ""

    init(quiet: Bool) { enabled = !quiet && Output.stderrIsTerminal }

    static func make(quiet: Bool) -> ProgressReporter { TerminalProgress(quiet: quiet) }

    func update(phase: String, done: UInt64, total: UInt64, unit: ProgressUnit) {
        guard enabled else { return }
        let now = Date().timeIntervalSince1970
        if phase != phaseName { phaseName = phase; phaseStart = now }
        guard now - lastDraw > 0.1 || done == total else { return }
        lastDraw = now
        let percent = total == 0 ? 100 : Int(Double(done) * 100 / Double(total))
        var amount = unit == .bytes ? "\(formatBytes(done)) / \(formatBytes(total))" : "\(done) / \(total)"
        // The rate, once there is enough of it to mean something.
        if unit == .bytes, now - phaseStart >= 0.5 { amount += ", \(formatBytes(UInt64(Double(done) / (now - phaseStart))))/s" }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(phase): \(percent)% (\(amount))".utf8))
        drew = true
    }

    func finish() {
        guard enabled, drew else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drew = false
    }
}

func formatBytes(_ n: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(n), i = 0
    while value >= 1024 && i < units.count - 1 { value /= 1024; i += 1 }
    return i == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[i])
}

/// Documented exit codes (README "Exit codes").
public enum ExitCode32 {
    public static let ok: Int32 = 0
    /// A check found problems (`verify`), or there was nothing to do where something was expected (`commit`).
    public static let findings: Int32 = 1
    /// The input was wrong: a path, a revision, an argument; or not a repository.
    public static let userError: Int32 = 2
    /// The repository is busy, newer than this lineage, or local changes block the operation.
    public static let conflict: Int32 = 3
    /// Stored data is damaged or missing.
    public static let damaged: Int32 = 4
    /// An operating-system error (permissions, disk full).
    public static let system: Int32 = 5
    /// Bad command-line usage.
    public static let usage: Int32 = 64
    /// An error no layer classified: a bug in lineage (EX_SOFTWARE).
    public static let bug: Int32 = 70
}

/// The exit code of each failure category (README "Exit codes").
func exitCode(for category: FailureCategory) -> Int32 {
    switch category {
    case .usage: return ExitCode32.usage
    case .input: return ExitCode32.userError
    case .conflict: return ExitCode32.conflict
    case .damaged: return ExitCode32.damaged
    case .system: return ExitCode32.system
    case .findings: return ExitCode32.findings
    case .bug: return ExitCode32.bug
    }
}

/// Maps lineage's errors to the message and exit code the user sees: every layer's errors carry a
/// category (`CategorizedError`); nil for errors of the argument parser (and unclassified ones,
/// which the caller reports as bugs).
func describe(_ error: Error) -> (message: String, code: Int32)? {
    switch error {
    case let e as GitError:
        let code = exitCode(for: e.category)
        if e.code == .locked { return ("another process holds a lock in .lineage (\(e.message)); wait for it to finish and retry", code) }
        if e.isOSError { return ("\(e.message) (\(e.function)) — the operating system refused a write or read in .lineage: free disk space or fix permissions, then retry; nothing was changed", code) }
        return ("\(e.description) — run `lineage verify` to check the repository", code)
    case let e as CocoaError:
        // Foundation's file operations: the operating system refused (permissions, space, a missing directory).
        return ("\(e.localizedDescription) — fix the file system problem and retry", ExitCode32.system)
    case let e as CategorizedError:
        return (String(describing: e) + (hint(for: e).map { " — " + $0 } ?? ""), exitCode(for: e.category))
    default:
        return nil
    }
}
