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
