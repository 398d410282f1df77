import Foundation

/// A signed tombstone: the bytes of one artifact version were erased from the store on purpose
/// (schema `Schemas/tombstone.schema.json`). History keeps the pointer; `verify` accounts for the
/// missing bytes by this record, and `checkout`/`cat` of the version name it.
///
/// Written as canonical JSON; every member is required.
public struct ErasureRecord: Sendable, Equatable, Hashable, Codable {
    public static let currentVersion = 1
    public static let typeTag = "lineage.erasure"
    /// Record type tag, always `"lineage.erasure"`.
    public var type: String = ErasureRecord.typeTag
    public var version: Int = ErasureRecord.currentVersion
    /// Path of the erased version, relative to the repository root.
    public var path: String
    /// Digest of the erased bytes (still in history's pointer).
    public var sha256: Digest
    /// Size in bytes of the erased version.
    public var size: UInt64
    /// When, RFC 3339 UTC with milliseconds (`Timestamp.rfc3339`).
    public var erasedAt: String
    /// Who: the principal the allowed-signers file names for the signing key.
    public var erasedBy: String
    /// Why (`erase --reason`).
    public var reason: String

    public init(path: String, sha256: Digest, size: UInt64, erasedAt: String, erasedBy: String, reason: String) {
        self.path = path; self.sha256 = sha256; self.size = size
        self.erasedAt = erasedAt; self.erasedBy = erasedBy; self.reason = reason
    }

    /// A tombstone dated `date` (millisecond precision, UTC).
    public init(path: String, sha256: Digest, size: UInt64, erasedAt date: Date, erasedBy: String, reason: String) {
        self.init(path: path, sha256: sha256, size: size, erasedAt: Timestamp.rfc3339(date), erasedBy: erasedBy, reason: reason)
    }

    public var artifact: ArtifactRef { ArtifactRef(path: path, sha256: sha256) }

    /// The record as canonical JSON: equal records are equal bytes.
    public func encoded() throws -> [UInt8] { try CanonicalJSON.encode(self) }

    /// Reads a tombstone strictly: other types, newer versions, unknown, missing or mistyped members,
    /// a malformed time and an empty reason are `RecordFieldError`s naming the member.
    public static func decode(_ bytes: [UInt8]) throws -> ErasureRecord {
        let value: StrictJSON
        do { value = try CanonicalJSON.decode(StrictJSON.self, from: bytes) } catch {
            throw RecordFieldError(field: "", message: "not an erasure record: the bytes are not a JSON document")
        }
        return try ErasureRecord(strict: value)
    }

    private enum CodingKeys: String, CodingKey { case type, version, path, sha256, size, erasedAt, erasedBy, reason }

    public init(from decoder: any Decoder) throws {
        self = try ErasureRecord(strict: try StrictJSON(from: decoder))
    }

    init(strict value: StrictJSON) throws {
        let o = try StrictObject(value, field: "")
        let type = try o.string("type") ?? ""
        guard type == ErasureRecord.typeTag else {
            throw RecordFieldError(field: "type", message: type.isEmpty ? "missing; not an erasure record" : "not an erasure record (type \(type))")
        }
        guard let version = try o.integer("version") else { throw RecordFieldError(field: "version", message: "missing") }
        guard version >= 1, version <= Int64(ErasureRecord.currentVersion) else {
            throw RecordFieldError(field: "version", message: "erasure record version \(version) is newer than this lineage understands; upgrade lineage")
        }
        try o.rejectUnknown(["type", "version", "path", "sha256", "size", "erasedAt", "erasedBy", "reason"])
        func required<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
            guard let v = try read(key) else { throw RecordFieldError(field: key, message: "missing") }
            return v
        }
        let path = try required("path", o.string)
        guard !path.isEmpty else { throw RecordFieldError(field: "path", message: "is empty") }
        let digestText = try required("sha256", o.string)
        guard digestText.hasPrefix("sha256:"), let digest = Digest(hex: digestText) else {
            throw RecordFieldError(field: "sha256", message: "'\(digestText)' is not sha256:<64 hex digits>")
        }
        let size = try required("size", o.unsigned)
        let erasedAt = try required("erasedAt", o.string)
        guard Timestamp.parse(erasedAt).map(Timestamp.rfc3339) == erasedAt else {
            throw RecordFieldError(field: "erasedAt", message: "'\(erasedAt)' is not an RFC 3339 date-time such as 2026-11-25T21:03:04.123Z")
        }
        let erasedBy = try required("erasedBy", o.string)
        guard !erasedBy.isEmpty else { throw RecordFieldError(field: "erasedBy", message: "is empty; name who erased the data") }
        let reason = try required("reason", o.string)
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw RecordFieldError(field: "reason", message: "is empty; an erasure must say why")
        }
        self.init(path: path, sha256: digest, size: size, erasedAt: erasedAt, erasedBy: erasedBy, reason: reason)
        self.version = Int(version)
    }
}
