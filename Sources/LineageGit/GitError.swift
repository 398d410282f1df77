internal import CLibGit2

/// An error reported by libgit2, naming the call that failed.
public struct GitError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case notFound, exists, ambiguous, unbornBranch, locked, modified, invalidSpec, other(Int32)
    }
    public let code: Code
    public let function: String
    public let message: String
    /// True when libgit2 blamed the operating system (`GIT_ERROR_OS`: disk full, permissions, I/O),
    /// not the repository's data.
    public var isOSError = false

    public var description: String { "\(function): \(message)" }

    init(rc: Int32, function: String) {
        let last = git_error_last()
        let text = last.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "error \(rc)"
        self.init(code: GitError.map(rc), function: function, message: text)
        isOSError = last.map { $0.pointee.klass == Int32(GIT_ERROR_OS.rawValue) } ?? false
    }

    public init(code: Code, function: String, message: String) {
        self.code = code; self.function = function; self.message = message
    }

    static func map(_ rc: Int32) -> Code {
        switch rc {
        case GIT_ENOTFOUND.rawValue: return .notFound
        case GIT_EEXISTS.rawValue: return .exists
        case GIT_EAMBIGUOUS.rawValue: return .ambiguous
        case GIT_EUNBORNBRANCH.rawValue: return .unbornBranch
        case GIT_ELOCKED.rawValue: return .locked
        case GIT_EMODIFIED.rawValue: return .modified
        case GIT_EINVALIDSPEC.rawValue: return .invalidSpec
        default: return .other(rc)
        }
    }

    /// Throws a `GitError` when a libgit2 call returned a negative code.
    @discardableResult
    static func check(_ rc: Int32, _ function: String) throws -> Int32 {
        if rc < 0 { throw GitError(rc: rc, function: function) }
        return rc
    }
}
