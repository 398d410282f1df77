import Foundation
/// Receives progress of long operations; the CLI draws it on a terminal and stays silent when piped.
public protocol ProgressReporter: AnyObject {
    /// `done` of `total` units (bytes or items, named by `unit`) for a phase such as "Adding".
    func update(phase: String, done: UInt64, total: UInt64, unit: ProgressUnit)
    func finish()
}

public enum ProgressUnit: Sendable { case bytes, items }

/// Reports nothing.
public final class SilentProgress: ProgressReporter {
    public init() {}
    public func update(phase: String, done: UInt64, total: UInt64, unit: ProgressUnit) {}
    public func finish() {}
}

/// Prints how long each phase of a command took to stderr when `LINEAGE_TIMING` is set (for benchmarks).
final class PhaseClock {
    private let name: String
    /// Read once per process: a clock is made per command, and `environment` copies the whole environment.
    private static let enabled = ProcessInfo.processInfo.environment["LINEAGE_TIMING"] != nil
    private var last = Date()

    init(_ name: String) { self.name = name }

    func mark(_ phase: String) {
        guard PhaseClock.enabled else { return }
        let now = Date()
        FileHandle.standardError.write(Data(String(format: "%@: %@ %.3f s\n", name, phase, now.timeIntervalSince(last)).utf8))
        last = now
    }
}
