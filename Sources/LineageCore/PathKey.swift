/// A path as a dictionary key, set member or sort key: compared, hashed and ordered by its UTF-8
/// bytes, never by Swift `String` semantics.
///
/// Swift's `String` equality is canonical equivalence, so `"café"` (NFC, `c3 a9`) and `"café"`
/// (NFD, `65 cc 81`) are equal strings — but they are two different files on every Linux file
/// system and two different names in a git tree. Every collection keyed by a path uses this type
/// (or `TrackedPath`, which follows the same rules), so two such files can never be merged into one.
public struct PathKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String

    @inlinable public init(_ string: String) { self.string = string }

    @inlinable public static func == (a: PathKey, b: PathKey) -> Bool { a.string.bytesEqual(b.string) }
    @inlinable public static func < (a: PathKey, b: PathKey) -> Bool { a.string.bytesPrecede(b.string) }
    public func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(string.utf8.count)
    }
    public var description: String { string }
}

extension String {
    /// Byte equality of the UTF-8 forms (not canonical equivalence, as `==` is).
    @inlinable public func bytesEqual(_ other: String) -> Bool { utf8.elementsEqual(other.utf8) }

    /// Byte order of the UTF-8 forms: git's order of tree entries and file names (`memcmp`).
    @inlinable public func bytesPrecede(_ other: String) -> Bool { utf8.lexicographicallyPrecedes(other.utf8) }

    /// True when `self`'s bytes begin with `prefix`'s bytes.
    @inlinable public func bytesHavePrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    /// True when this path is `directory` itself or lies below it, comparing bytes (`""` holds everything).
    @inlinable public func isPath(within directory: String) -> Bool {
        if directory.isEmpty { return true }
        let d = directory.utf8.last == 0x2F ? Substring(directory).dropLast() : Substring(directory)
        guard utf8.starts(with: d.utf8) else { return false }
        let rest = utf8.dropFirst(d.utf8.count)
        return rest.isEmpty || rest.first == 0x2F
    }
}

extension Sequence where Element == String {
    /// Sorted by UTF-8 bytes (git's order), keeping canonically equivalent names apart.
    public func sortedAsPaths() -> [String] { sorted { $0.bytesPrecede($1) } }
}
