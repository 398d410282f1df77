import Foundation
import LineageCore
#if canImport(Glibc)
import Glibc
#endif

// Objects as packs store them (possibly zlib-compressed), so they can move between this store and a
// remote's packs without being inflated and recompressed: `storedObjects` plans, `readStored` reads
// one out (checked), `VerifiedObject.check` + `PackWriter.put(_:)` take one in (checked first).

/// Where and how big an object is in the store, as its pack index says.
public struct StoredObjectInfo: Sendable, Equatable {
    public let digest: Digest
    /// Length of the object itself.
    public let rawLength: UInt32
    /// Length of its bytes in the pack (smaller than `rawLength` when stored compressed).
    public let storedLength: UInt32
}

/// An object's bytes as a pack stores them, and how to read them.
public struct StoredObject: Sendable, Equatable {
    public let digest: Digest
    /// Whether `payload` is a zlib stream (else it is the object itself).
    public let compressed: Bool
    public let rawLength: UInt32
    public let payload: [UInt8]
}

/// An object in stored form whose bytes were checked against its digest: the only thing
/// `PackWriter.put(_:)` accepts, so nothing unchecked enters the store through that door.
public struct VerifiedObject: Sendable {
    public let digest: Digest
    public let compressed: Bool
    public let rawLength: UInt32
    public let payload: [UInt8]

    private init(digest: Digest, compressed: Bool, rawLength: UInt32, payload: [UInt8]) {
        self.digest = digest; self.compressed = compressed; self.rawLength = rawLength; self.payload = payload
    }

    /// Checks an object given in stored form (from a remote pack): a compressed payload must be
    /// shorter than the object and inflate to exactly `rawLength` bytes; a raw one must be
    /// `rawLength` bytes; either way the object's SHA-256 must be `digest`. A compressed payload
    /// that does not shrink the object is kept raw (the store's packs never hold such entries).
    /// Throws `StoreError.corruptObject(digest, file: source)` when any of this fails.
    /// Safe to call on many threads at once (this is where the hashing happens).
    public static func check<C: Collection>(payload: C, compressed: Bool, rawLength: Int, digest: Digest,
                                            source: String) throws -> VerifiedObject where C.Element == UInt8 {
        let bad = StoreError.corruptObject(digest, file: source)
        guard rawLength >= 0, rawLength <= PackFormat.maxObjectSize else { throw bad }
        let bytes = Array(payload)
        if compressed {
            guard let inflated = bytes.withUnsafeBytes({ Zlib.decompress($0, rawLength: rawLength) }),
                  inflated.withUnsafeBytes({ sha256($0) }) == digest else { throw bad }
            if bytes.count >= rawLength {
                return VerifiedObject(digest: digest, compressed: false, rawLength: UInt32(rawLength), payload: inflated)
            }
            return VerifiedObject(digest: digest, compressed: true, rawLength: UInt32(rawLength), payload: bytes)
        }
        guard bytes.count == rawLength, bytes.withUnsafeBytes({ sha256($0) }) == digest else { throw bad }
        return VerifiedObject(digest: digest, compressed: false, rawLength: UInt32(rawLength), payload: bytes)
    }
}

extension ContentStore {
    /// The objects among `digests` that the store holds, in the order they were written (pack by
    /// pack, by offset — a file's chunks next to each other and to its chunk list, so whoever packs
    /// them in this order keeps a file's bytes together), and the digests it lacks, sorted.
    public func storedObjects(_ digests: Set<Digest>) -> (present: [StoredObjectInfo], missing: [Digest]) {
        var located: [(pack: String, offset: UInt64, info: StoredObjectInfo)] = []
        var missing: [Digest] = []
        located.reserveCapacity(digests.count)
        for d in digests {
            if let (pack, entry) = locate(d) {
                located.append((pack.name, entry.offset,
                                StoredObjectInfo(digest: d, rawLength: entry.rawLength, storedLength: entry.storedLength)))
            } else {
                missing.append(d)
            }
        }
        located.sort { $0.pack != $1.pack ? $0.pack < $1.pack : $0.offset < $1.offset }
        return (located.map(\.info), missing.sorted())
    }

    /// An object as its pack stores it (compressed or not), checked like `read`: the entry header
    /// agrees with the index, and the bytes (inflated when compressed) hash to `digest`.
    /// Throws `missingObject` when no pack has it, `corruptObject` when it is damaged.
    public func readStored(_ digest: Digest) throws -> StoredObject {
        var found = locate(digest)
        if found == nil {
            try reload()
            found = locate(digest)
        }
        guard let (pack, entry) = found else { throw StoreError.missingObject(digest) }
        let corrupt = StoreError.corruptObject(digest, file: pack.packPath)
        let total = PackFormat.entryHeaderSize + Int(entry.storedLength)
        guard Int(entry.storedLength) <= PackFormat.maxObjectSize else { throw corrupt }
        var buffer = [UInt8](repeating: 0, count: total)
        let n = try buffer.withUnsafeMutableBytes { try preadFull(pack.fd, $0.baseAddress!, total, entry.offset, path: pack.packPath) }
        guard n == total else { throw corrupt }
        let (flags, rawLength, stored) = buffer.withUnsafeBytes { h in
            (h[0], loadBE(h.baseAddress!, 1, as: UInt32.self), loadBE(h.baseAddress!, 5, as: UInt32.self))
        }
        guard rawLength == entry.rawLength, stored == entry.storedLength, buffer[9..<41].elementsEqual(digest.bytes),
              flags == PackFormat.flagRaw || flags == PackFormat.flagZlib else { throw corrupt }
        let payload = Array(buffer[PackFormat.entryHeaderSize...])
        let checked = try VerifiedObject.check(payload: payload, compressed: flags == PackFormat.flagZlib,
                                               rawLength: Int(rawLength), digest: digest, source: pack.packPath)
        return StoredObject(digest: digest, compressed: checked.compressed, rawLength: rawLength, payload: checked.payload)
    }
}
