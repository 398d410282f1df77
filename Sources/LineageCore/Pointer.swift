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
        let p = try CanonicalJSON.decode(Pointer.self, from: bytes)
        guard p.type == "lineage.pointer" else { throw CoreError.malformedRecord("not a pointer (type \(p.type))") }
        guard p.version <= Pointer.currentVersion else {
            throw CoreError.malformedRecord("pointer version \(p.version) is newer than this lineage understands; upgrade lineage")
        }
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
