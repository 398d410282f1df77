/// What an artifact is, as declared by `lineage add --kind`.
public enum ArtifactKind: String, Codable, Sendable, CaseIterable {
    case dataset, model, code, environment, report, other
}

/// The pointer blob a commit's tree holds for each tracked file (schema `Schemas/pointer.schema.json`).
///
/// It names the bytes by the SHA-256 of the whole file and by the id of the
/// chunk list that reassembles them from the content store.
public struct Pointer: Codable, Hashable, Sendable {
    public static let currentVersion = 1
    /// Record type tag, always `"lineage.pointer"`.
    public var type: String = "lineage.pointer"
    public var version: Int = Pointer.currentVersion
    public var size: UInt64
    public var sha256: Digest
    /// Digest of the chunk list (see `ChunkList`) in the content store.
    public var chunks: Digest
    public var kind: ArtifactKind
    public var mediaType: String

    public init(size: UInt64, sha256: Digest, chunks: Digest, kind: ArtifactKind, mediaType: String) {
        self.size = size; self.sha256 = sha256; self.chunks = chunks; self.kind = kind; self.mediaType = mediaType
    }

    /// Canonical JSON, written by hand: `add` makes one per file, and this is ~20x faster than
    /// `JSONEncoder`. A test pins it byte-for-byte to `CanonicalJSON.encode(self)`.
    public func encoded() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        func raw(_ s: String) { out.append(contentsOf: s.utf8) }
        raw("{\"chunks\":\""); raw(chunks.prefixed)
        raw("\",\"kind\":\""); raw(kind.rawValue)
        raw("\",\"mediaType\":"); CanonicalJSON.appendString(mediaType, to: &out)
        raw(",\"sha256\":\""); raw(sha256.prefixed)
        raw("\",\"size\":"); raw(String(size))
        raw(",\"type\":"); CanonicalJSON.appendString(type, to: &out)
        raw(",\"version\":"); raw(String(version))
        raw("}")
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws -> Pointer {
        if let p = decodeCanonical(bytes) { return p }
        let p = try CanonicalJSON.decode(Pointer.self, from: bytes)
        guard p.type == "lineage.pointer" else { throw CoreError.malformedRecord("not a pointer (type \(p.type))") }
        guard p.version <= Pointer.currentVersion else {
            throw CoreError.malformedRecord("pointer version \(p.version) is newer than this lineage understands; upgrade lineage")
        }
        return p
    }
}

extension Pointer {
    /// Reads a pointer in exactly the canonical form `encoded()` writes, without JSONDecoder
    /// (`verify` and `status` read 100,000s of them). Anything else — other spacing, key order,
    /// escapes, a newer version — returns nil and goes through the full decoder. The result is
    /// re-encoded and compared byte for byte, so a successful fast path is exactly the canonical form.
    static func decodeCanonical(_ b: [UInt8]) -> Pointer? {
        var i = 0
        func expect(_ s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            guard i + n <= b.count else { return false }
            let ok = s.withUTF8Buffer { lit in (0..<n).allSatisfy { b[i + $0] == lit[$0] } }
            if ok { i += n }
            return ok
        }
        func digest() -> Digest? {
            guard i + 64 <= b.count, let d = b.withUnsafeBytes({ Digest(hexBytes: UnsafeRawBufferPointer(rebasing: $0[i..<i + 64])) }) else { return nil }
            i += 64
            return d
        }
        func plainString() -> String? {            // up to the next quote; no escapes allowed here
            let start = i
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            defer { i += 1 }
            return String(decoding: b[start..<i], as: UTF8.self)
        }
        func number() -> UInt64? {
            let start = i
            var v: UInt64 = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(b[i] - 48))
                if o1 || o2 { return nil }
                v = a; i += 1
            }
            return i > start ? v : nil
        }
        guard expect("{\"chunks\":\"sha256:"), let chunks = digest(), expect("\",\"kind\":\""),
              let kindText = plainString(), let kind = ArtifactKind(rawValue: kindText),
              expect(",\"mediaType\":\""), let media = plainString(),
              expect(",\"sha256\":\"sha256:"), let sha = digest(), expect("\",\"size\":"), let size = number(),
              expect(",\"type\":\"lineage.pointer\",\"version\":"), let version = number(), version == UInt64(Pointer.currentVersion),
              expect("}"), i == b.count else { return nil }
        let p = Pointer(size: size, sha256: sha, chunks: chunks, kind: kind, mediaType: media)
        guard (try? p.encoded()) == b else { return nil }
        return p
    }
}

/// Errors of the value layer.
public enum CoreError: Error, Equatable, Sendable {
    case malformedRecord(String)
    case invalidPath(String, reason: String)
}

extension CoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .malformedRecord(let why): return "malformed record: \(why)"
        case .invalidPath(let p, let reason): return "invalid path '\(p)': \(reason)"
        }
    }
}
