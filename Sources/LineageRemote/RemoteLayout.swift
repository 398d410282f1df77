import Foundation
import LineageCore

// The content layout on a remote (any BlobStore), format 1:
//
//   lineage/format.json                   {"format":1}   written by the first upload; a reader refuses a larger number
//   packs/<id>.pack                       immutable; the same bytes as a local pack file:
//                                           "LPK1" | uint32 version (1)
//                                           entries: uint8 flags (0 raw, 1 zlib) | uint32 raw length |
//                                                    uint32 stored length | 32-byte SHA-256 | stored bytes
//                                         <id> = hex SHA-256 of the pack's chunk table (below), so the same
//                                         objects packed the same way get the same name (a re-sent pack is a
//                                         no-op), and any pack under that name decodes to the same objects
//   index/<yyyyMMddTHHmmssZ>-<sha>.idx    one per upload, written after all its packs; <sha> = hex SHA-256 of
//                                         the object's bytes (checked on every read):
//                                           "LRX1" | uint32 version (1) | uint32 pack count
//                                           per pack: 32-byte id | uint64 pack size | uint32 entry count |
//                                                     entry count × chunk-table entry
//   chunk-table entry (49 bytes):         32-byte SHA-256 | uint64 offset of the entry header in the pack |
//                                         uint32 stored length | uint32 raw length | uint8 flags
//   gc/lease                              JSON {"holder","operation","acquired","expires"} (seconds since
//                                         1970): one gc or erasure at a time; taken with If-None-Match,
//                                         a lapsed one taken over with a conditional delete
//   gc/probe                              scratch object (under the lease) for probing the store
//   gc/marks/<yyyyMMddTHHmmssZ>-<sha>.json  a gc mark: JSON {"format":1,"markedAt","grace","holder",
//                                         "packs":[{"key","etag","size","garbage":[entry positions] or
//                                         null for all,"indexKeys":[index objects naming it]}]};
//                                         uploads do not rely on packs a pending mark names
//
// All integers big-endian. A pack's entries are contiguous from offset 8 to its size; flags 0 means
// stored length = raw length, flags 1 (zlib) means stored length < raw length. A reader ignores
// other keys in format.json and objects under index/ whose names are not index keys.
//
// Conventions of this writer (not needed to read): packs are cut at about 64 MiB; chunk lists go
// ahead of chunks, each in local storage order; the index object is written only after every pack
// it names was stored, so an index never names a pack that is not wholly there. Readers list index/
// from the newest index object they know, less 24 hours (writers' clocks), and all of it when an
// object they want is not found or the newest they know is gone.

/// Names and constants of the remote layout.
public enum RemoteLayout {
    /// The content layout version this lineage writes and reads.
    public static let formatVersion = 1
    public static let formatKey = "lineage/format.json"
    public static let packsPrefix = "packs/"
    public static let indexPrefix = "index/"
    public static let gcPrefix = "gc/"
    public static let leaseKey = "gc/lease"
    public static let marksPrefix = "gc/marks/"
    /// A scratch object gc and erasure write and delete to learn what the store allows.
    public static let probeKey = "gc/probe"

    static let packMagic: [UInt8] = Array("LPK1".utf8)
    static let packVersion: UInt32 = 1
    static let packHeaderSize = 8
    static let entryHeaderSize = 41
    static let tableEntrySize = 49
    static let indexMagic: [UInt8] = Array("LRX1".utf8)
    static let indexVersion: UInt32 = 1
    static let flagRaw: UInt8 = 0
    static let flagZlib: UInt8 = 1
    static let maxObjectSize: UInt32 = 1 << 30
    /// The 8 bytes every pack starts with.
    static let packHeader: [UInt8] = packMagic + packVersion.bigEndianBytes

    public static func packKey(id: String) -> String { packsPrefix + id + ".pack" }

    /// `index/<yyyyMMddTHHmmssZ>-<hex SHA-256 of bytes>.idx`.
    public static func indexKey(time: Date, bytes: [UInt8]) -> String {
        indexPrefix + utcStamp(time) + "-" + Digest.of(bytes).hex + ".idx"
    }

    /// `gc/marks/<yyyyMMddTHHmmssZ>-<hex SHA-256 of bytes>.json`.
    static func markKey(time: Date, bytes: [UInt8]) -> String {
        marksPrefix + utcStamp(time) + "-" + Digest.of(bytes).hex + ".json"
    }

    /// The digest an index key names, or nil when `key` is not an index key.
    static func indexDigest(key: String) -> Digest? {
        guard key.hasPrefix(indexPrefix), key.hasSuffix(".idx") else { return nil }
        let name = key.dropFirst(indexPrefix.count).dropLast(4)
        let parts = name.split(separator: "-")
        guard parts.count == 2, parts[0].utf8.count == 16, parseStamp(String(parts[0])) != nil else { return nil }
        return Digest(hex: String(parts[1]))
    }

    /// The key `hours` before an index key's time (for listing a little before the last one seen,
    /// in case a writer's clock was behind).
    static func indexKey(_ key: String, minusHours hours: Int) -> String? {
        guard indexDigest(key: key) != nil else { return nil }
        let stamp = String(key.dropFirst(indexPrefix.count).prefix(16))
        guard let date = parseStamp(stamp) else { return nil }
        return indexPrefix + utcStamp(date.addingTimeInterval(-Double(hours) * 3600))
    }

    static func utcStamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return pad(tm.tm_year + 1900, 4) + pad(tm.tm_mon + 1, 2) + pad(tm.tm_mday, 2) + "T" +
            pad(tm.tm_hour, 2) + pad(tm.tm_min, 2) + pad(tm.tm_sec, 2) + "Z"
    }

    static func parseStamp(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        return UTCTime.date(b, year: 0..<4, month: 4..<6, day: 6..<8, hour: 9..<11, minute: 11..<13, second: 13..<15)
    }

    /// `lineage/format.json`'s bytes.
    static func formatDocument() -> [UInt8] { Array("{\"format\":\(formatVersion)}\n".utf8) }

    /// The format number of a `lineage/format.json`, or nil when it is not one.
    static func parseFormat(_ bytes: [UInt8]) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let number = object["format"] as? NSNumber else { return nil }
        let value = number.doubleValue
        guard value >= 1, value == value.rounded(), value < 1e9 else { return nil }
        return Int(value)
    }
}

/// Calendar fields in ASCII digits to a time (UTC).
enum UTCTime {
    /// The decimal number in `b[r]`, or nil when a byte is not a digit.
    static func number(_ b: [UInt8], _ r: Range<Int>) -> Int32? {
        var v: Int32 = 0
        for i in r { guard b[i] >= 48 && b[i] <= 57 else { return nil }; v = v * 10 + Int32(b[i] - 48) }
        return v
    }

    /// The time whose fields are the digits at these places of `b`.
    static func date(_ b: [UInt8], year: Range<Int>, month: Range<Int>, day: Range<Int>, hour: Range<Int>, minute: Range<Int>,
                     second: Range<Int>) -> Date? {
        guard let y = number(b, year), let mo = number(b, month), let d = number(b, day), let h = number(b, hour),
              let mi = number(b, minute), let se = number(b, second) else { return nil }
        return date(year: y, month: mo, day: d, hour: h, minute: mi, second: se)
    }

    static func date(year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        var tm = tm()
        tm.tm_year = year - 1900; tm.tm_mon = month - 1; tm.tm_mday = day; tm.tm_hour = hour; tm.tm_min = minute; tm.tm_sec = second
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }
}

/// One object in a remote pack, as an index object lists it.
public struct RemotePackEntry: Sendable, Equatable {
    public let digest: Digest
    /// Offset of the object's entry header in the pack.
    public let offset: UInt64
    public let storedLength: UInt32
    public let rawLength: UInt32
    /// Whether the stored bytes are a zlib stream.
    public let compressed: Bool

    public init(digest: Digest, offset: UInt64, storedLength: UInt32, rawLength: UInt32, compressed: Bool) {
        self.digest = digest; self.offset = offset; self.storedLength = storedLength
        self.rawLength = rawLength; self.compressed = compressed
    }

    /// End of the entry (header and stored bytes) in the pack.
    public var end: UInt64 { offset + UInt64(RemoteLayout.entryHeaderSize) + UInt64(storedLength) }

    func append(to out: inout [UInt8]) {
        out += digest.bytes
        out += offset.bigEndianBytes
        out += storedLength.bigEndianBytes
        out += rawLength.bigEndianBytes
        out.append(compressed ? RemoteLayout.flagZlib : RemoteLayout.flagRaw)
    }

    /// The 41-byte entry header in the pack.
    var entryHeader: [UInt8] {
        var h: [UInt8] = [compressed ? RemoteLayout.flagZlib : RemoteLayout.flagRaw]
        h += rawLength.bigEndianBytes
        h += storedLength.bigEndianBytes
        h += digest.bytes
        return h
    }
}

/// A pack on the remote: its name and its chunk table.
public struct RemotePack: Sendable, Equatable {
    /// Hex SHA-256 of the encoded chunk table.
    public let id: String
    public let size: UInt64
    /// In pack order.
    public let entries: [RemotePackEntry]

    public var key: String { RemoteLayout.packKey(id: id) }

    /// A pack of these entries (in pack order); its id and size follow from them.
    public init(entries: [RemotePackEntry]) {
        self.entries = entries
        self.size = entries.last?.end ?? UInt64(RemoteLayout.packHeaderSize)
        self.id = RemotePack.id(of: entries)
    }

    static func id(of entries: [RemotePackEntry]) -> String {
        var table: [UInt8] = []
        table.reserveCapacity(entries.count * RemoteLayout.tableEntrySize)
        for e in entries { e.append(to: &table) }
        return Digest.of(table).hex
    }
}

/// Reads a pack's chunk table from its own entry headers, a piece at a time (for packs no index
/// object describes: those an interrupted upload left).
struct PackScanner {
    private(set) var entries: [RemotePackEntry] = []
    private var buffer: [UInt8] = []
    /// Pack offset of `buffer[0]`.
    private var bufferStart: UInt64 = 0
    /// Pack offset of the next entry header.
    private var next = UInt64(RemoteLayout.packHeaderSize)
    private(set) var failed = false
    private var headerChecked = false

    /// Feeds the next bytes of the pack (in order, from offset 0).
    mutating func feed(_ bytes: [UInt8]) {
        guard !failed else { return }
        buffer += bytes
        if !headerChecked {
            guard buffer.count >= RemoteLayout.packHeaderSize else { return }
            guard Array(buffer.prefix(RemoteLayout.packHeaderSize)) == RemoteLayout.packHeader else { failed = true; return }
            headerChecked = true
        }
        while true {
            let at = Int(next - bufferStart)
            guard at >= 0 else { failed = true; return }
            guard buffer.count >= at + RemoteLayout.entryHeaderSize else { break }
            let h = buffer[at..<(at + RemoteLayout.entryHeaderSize)]
            func u32(_ i: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(h[h.startIndex + i + $1]) } }
            let flags = h[h.startIndex], raw = u32(1), stored = u32(5)
            let sane = (flags == RemoteLayout.flagRaw && stored == raw) || (flags == RemoteLayout.flagZlib && stored < raw)
            guard sane, raw <= RemoteLayout.maxObjectSize, let d = Digest(bytes: Array(h[(h.startIndex + 9)...])) else { failed = true; return }
            let e = RemotePackEntry(digest: d, offset: next, storedLength: stored, rawLength: raw, compressed: flags == RemoteLayout.flagZlib)
            entries.append(e)
            next = e.end
        }
        // Keep only what the next header needs.
        let keepFrom = min(Int(next - bufferStart), buffer.count)
        if keepFrom > 0 { buffer.removeFirst(keepFrom); bufferStart += UInt64(keepFrom) }
    }

    /// Whether the bytes fed, `size` of them, were exactly a pack's entries.
    func complete(size: UInt64) -> Bool { !failed && next == size }
}

/// The packs one upload added, as its index object lists them.
public struct RemoteIndex: Sendable, Equatable {
    public let packs: [RemotePack]

    public init(packs: [RemotePack]) { self.packs = packs }

    public func encoded() -> [UInt8] {
        var out = RemoteLayout.indexMagic
        out += RemoteLayout.indexVersion.bigEndianBytes
        out += UInt32(packs.count).bigEndianBytes
        for p in packs {
            out += Digest(hex: p.id)!.bytes
            out += p.size.bigEndianBytes
            out += UInt32(p.entries.count).bigEndianBytes
            for e in p.entries { e.append(to: &out) }
        }
        return out
    }

    /// Parses and checks an index object: structure, every pack's id against its table, every table
    /// against the pack layout (contiguous entries from the header to the pack's size, sane lengths
    /// and flags). Throws `RemoteError.damaged` naming `key`, or `.newerFormat` for a newer version.
    public static func decode(_ bytes: [UInt8], key: String, location: String) throws -> RemoteIndex {
        func damaged(_ detail: String) -> RemoteError { .damaged(location: location, key: key, detail: detail) }
        var reader = LayoutReader(bytes)
        guard let magic = reader.bytes(4), magic == RemoteLayout.indexMagic, let version = reader.u32() else {
            throw damaged("not a lineage index object (bad header)")
        }
        guard version <= RemoteLayout.indexVersion else {
            throw RemoteError.newerFormat(location: location, found: Int(version), supported: Int(RemoteLayout.indexVersion))
        }
        guard version == RemoteLayout.indexVersion, let packCount = reader.u32() else { throw damaged("bad index version \(version)") }
        var packs: [RemotePack] = []
        for p in 0..<Int(packCount) {
            guard let idBytes = reader.bytes(32), let size = reader.u64(), let count = reader.u32(),
                  reader.remaining >= Int(count) * RemoteLayout.tableEntrySize else {
                throw damaged("truncated at pack \(p)")
            }
            var entries: [RemotePackEntry] = []
            entries.reserveCapacity(Int(count))
            var expected = UInt64(RemoteLayout.packHeaderSize)
            for i in 0..<Int(count) {
                let d = Digest(bytes: reader.bytes(32)!)!
                let offset = reader.u64()!, stored = reader.u32()!, raw = reader.u32()!, flags = reader.u8()!
                let sane = (flags == RemoteLayout.flagRaw && stored == raw) || (flags == RemoteLayout.flagZlib && stored < raw)
                guard sane, raw <= RemoteLayout.maxObjectSize, offset == expected else {
                    throw damaged("pack \(Digest(bytes: idBytes)!.hex): chunk table entry \(i) (object \(d.hex)) is inconsistent")
                }
                let e = RemotePackEntry(digest: d, offset: offset, storedLength: stored, rawLength: raw, compressed: flags == RemoteLayout.flagZlib)
                entries.append(e)
                expected = e.end
            }
            let pack = RemotePack(entries: entries)
            guard pack.id == Digest(bytes: idBytes)!.hex else {
                throw damaged("pack \(Digest(bytes: idBytes)!.hex): its name is not the SHA-256 of its chunk table")
            }
            guard pack.size == size else {
                throw damaged("pack \(pack.id): the index gives \(size) bytes but its chunk table ends at \(pack.size)")
            }
            packs.append(pack)
        }
        guard reader.remaining == 0 else { throw damaged("\(reader.remaining) stray bytes at the end") }
        return RemoteIndex(packs: packs)
    }
}

fileprivate struct LayoutReader {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var remaining: Int { bytes.count - position }
    mutating func bytes(_ n: Int) -> [UInt8]? {
        guard remaining >= n else { return nil }
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }
    mutating func u8() -> UInt8? { guard remaining >= 1 else { return nil }; defer { position += 1 }; return bytes[position] }
    mutating func u32() -> UInt32? { integer(4).map { UInt32(truncatingIfNeeded: $0) } }
    mutating func u64() -> UInt64? { integer(8) }
    private mutating func integer(_ n: Int) -> UInt64? {
        guard remaining >= n else { return nil }
        var v: UInt64 = 0
        for i in 0..<n { v = v << 8 | UInt64(bytes[position + i]) }
        position += n
        return v
    }
}

fileprivate extension FixedWidthInteger {
    var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: self.bigEndian) { Array($0) }
    }
}
