/// The ordered chunks that reassemble a file, stored in the content store under its own digest.
///
/// Binary form, chosen so a 4 GiB file's list stays a few MiB: magic `LCL1`,
/// then per chunk 32 raw digest bytes and a uint32 big-endian length.
public struct ChunkList: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var digest: Digest
        public var length: UInt32
        public init(digest: Digest, length: UInt32) { self.digest = digest; self.length = length }
    }
    public var entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }

    public static let magic: [UInt8] = Array("LCL1".utf8)

    public var totalSize: UInt64 { entries.reduce(0) { $0 + UInt64($1.length) } }

    public func encoded() -> [UInt8] {
        var out = ChunkList.magic
        out.reserveCapacity(4 + entries.count * 36)
        for e in entries {
            out.append(contentsOf: e.digest.bytes)
            out.append(UInt8(truncatingIfNeeded: e.length >> 24)); out.append(UInt8(truncatingIfNeeded: e.length >> 16))
            out.append(UInt8(truncatingIfNeeded: e.length >> 8)); out.append(UInt8(truncatingIfNeeded: e.length))
        }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws -> ChunkList {
        guard bytes.count >= 4, Array(bytes[0..<4]) == magic, (bytes.count - 4) % 36 == 0 else {
            throw CoreError.malformedRecord("chunk list is truncated or has a bad header")
        }
        var entries: [Entry] = []
        entries.reserveCapacity((bytes.count - 4) / 36)
        var i = 4
        while i < bytes.count {
            let d = Digest(bytes: Array(bytes[i..<i + 32]))!
            let l = UInt32(bytes[i + 32]) << 24 | UInt32(bytes[i + 33]) << 16 | UInt32(bytes[i + 34]) << 8 | UInt32(bytes[i + 35])
            entries.append(Entry(digest: d, length: l))
            i += 36
        }
        return ChunkList(entries: entries)
    }
}
