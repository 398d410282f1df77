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
        // One pass over the bytes (this runs for every path of every tree `verify` reads).
        var component: [UInt8] = []
        var first: [UInt8]? = nil
        func checkComponent() throws {
            if component.isEmpty || component == [46] || component == [46, 46] {
                throw CoreError.invalidPath(raw, reason: "empty, '.' or '..' component")
            }
            if first == nil { first = component }
        }
        for b in raw.utf8 {
            if b == 0 || b == 10 || b == 92 { throw CoreError.invalidPath(raw, reason: "contains NUL, newline or backslash") }
            if b == 47 {
                try checkComponent(); component.removeAll(keepingCapacity: true)
            } else {
                component.append(b)
            }
        }
        try checkComponent()
        if let first, first == Array(".lineage".utf8) || first == Array(".git".utf8) {
            throw CoreError.invalidPath(raw, reason: "'\(String(decoding: first, as: UTF8.self))' is reserved and cannot be tracked")
        }
        string = raw
    }

    /// True when `bytes` are well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
    public static func isValidUTF8<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// A name for messages: bytes that are not UTF-8 shown as `\\xNN` (as git quotes them), the rest as is.
    public static func escaped<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let bytes = Array(bytes)
        var out = ""
        var i = 0
        while i < bytes.count {
            // The longest valid UTF-8 sequence starting here (at most 4 bytes), else one escaped byte.
            var end = i
            for j in stride(from: min(bytes.count, i + 4), to: i, by: -1) where isValidUTF8(bytes[i..<j]) { end = j; break }
            if end > i { out += String(decoding: bytes[i..<end], as: UTF8.self); i = end; continue }
            let hex = String(bytes[i], radix: 16)
            out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            i += 1
        }
        return out
    }

    /// True when one path component (a tree entry's name) could be part of a `TrackedPath`: not
    /// empty, `.`, `..`, nor holding `/`, NUL, newline or backslash; at the root not `.git` or
    /// `.lineage`. Checking every name of every tree this way equals checking every full path.
    public static func isValidComponent(_ name: UnsafeRawBufferPointer, atRoot: Bool) -> Bool {
        if name.isEmpty || (name.count == 1 && name[0] == 46) || (name.count == 2 && name[0] == 46 && name[1] == 46) { return false }
        for b in name where b == 0 || b == 10 || b == 92 || b == 47 { return false }
        // Records are JSON (UTF-8 text): a name that is not valid UTF-8 could not be named in them.
        if name.contains(where: { $0 >= 0x80 }) && !isValidUTF8(name) { return false }
        if atRoot && (name.elementsEqual(".git".utf8) || name.elementsEqual(".lineage".utf8)) { return false }
        return true
    }

    public var description: String { string }
    public var components: [Substring] { string.split(separator: "/") }
    // Paths are bytes: canonically equivalent names (NFC and NFD `café`) are different files.
    public static func == (a: TrackedPath, b: TrackedPath) -> Bool { a.string.bytesEqual(b.string) }
    public static func < (a: TrackedPath, b: TrackedPath) -> Bool { a.string.bytesPrecede(b.string) }
    public func hash(into hasher: inout Hasher) { PathKey(string).hash(into: &hasher) }

    /// True when `self` is `prefix` or lies below it (comparing bytes).
    public func isWithin(_ prefix: String) -> Bool { string.isPath(within: prefix) }
}
