/// A path relative to the working directory root, in `/`-separated canonical form.
///
/// The invariant — no empty, `.` or `..` components, not absolute, not inside
/// `.lineage` or `.git`, no NUL or newline — is checked once at construction, so
/// a pointer met in history can never write outside the working directory.
public struct TrackedPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String

    public init(_ raw: String) throws {
        if raw.isEmpty { throw CoreError.invalidPath(raw, reason: "empty path") }
        if raw.hasPrefix("/") { throw CoreError.invalidPath(raw, reason: "absolute paths are not allowed in a repository") }
        if raw.utf8.contains(0) || raw.contains("\n") || raw.contains("\\") {
            throw CoreError.invalidPath(raw, reason: "contains NUL, newline or backslash")
        }
        let parts = raw.split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            if part.isEmpty || part == "." || part == ".." {
                throw CoreError.invalidPath(raw, reason: "empty, '.' or '..' component")
            }
        }
        if let first = parts.first, first == ".lineage" || first == ".git" {
            throw CoreError.invalidPath(raw, reason: "'\(first)' is reserved and cannot be tracked")
        }
        string = raw
    }

    public var description: String { string }
    public var components: [Substring] { string.split(separator: "/") }
    public static func < (a: TrackedPath, b: TrackedPath) -> Bool { a.string < b.string }

    /// True when `self` is `prefix` or lies below it.
    public func isWithin(_ prefix: String) -> Bool {
        let p = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        return p.isEmpty || string == p || string.hasPrefix(p + "/")
    }
}
