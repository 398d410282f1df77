internal import CLibGit2

/// A git object id (SHA-1, 20 bytes), as libgit2 1.5 uses for every repository.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let bytes: [UInt8]

    public init?(hex: String) {
        guard hex.utf8.count == 40 else { return nil }
        var out = [UInt8](); out.reserveCapacity(20)
        var chars = Array(hex.utf8)[...]
        while !chars.isEmpty {
            guard let h = ObjectID.nibble(chars.removeFirst()), let l = ObjectID.nibble(chars.removeFirst()) else { return nil }
            out.append(h << 4 | l)
        }
        bytes = out
    }

    init(_ oid: git_oid) {
        var copy = oid
        bytes = withUnsafeBytes(of: &copy.id) { Array($0) }
    }

    init(_ pointer: UnsafePointer<git_oid>) { self.init(pointer.pointee) }

    var raw: git_oid {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { dst in
            for i in 0..<20 { dst[i] = bytes[i] }
        }
        return oid
    }

    public var hex: String {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8](); out.reserveCapacity(40)
        for b in bytes { out.append(table[Int(b >> 4)]); out.append(table[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
    public static func < (a: ObjectID, b: ObjectID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
