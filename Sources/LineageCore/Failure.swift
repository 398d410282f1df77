/// What kind of failure an error is, whatever layer raised it. The CLI maps each category to one
/// documented exit code; an error that carries no category is a bug in lineage (exit 70).
public enum FailureCategory: String, Sendable, CaseIterable {
    /// The command line itself is wrong (64).
    case usage
    /// A path, revision, argument, file or configuration the user gave is wrong (2).
    case input
    /// Something blocks the operation: a lock, local changes, a remote that moved, untrusted history (3).
    case conflict
    /// Stored data is damaged or missing (4).
    case damaged
    /// The operating system or the network refused (permissions, disk full, unreachable) (5).
    case system
    /// A check found problems, or there was nothing to do (1).
    case findings
    /// lineage itself went wrong (70).
    case bug
}

/// An error that says which kind of failure it is. Every public error type of every layer conforms
/// (a test reads the sources to make sure).
public protocol CategorizedError: Error {
    var category: FailureCategory { get }
}

extension CoreError: CategorizedError {
    public var category: FailureCategory {
        switch self {
        case .malformedRecord: return .damaged
        case .invalidPath: return .input
        }
    }
}

extension RecordFieldError: CategorizedError {
    public var category: FailureCategory { .input }
}
