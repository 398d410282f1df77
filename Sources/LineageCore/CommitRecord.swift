/// The record every lineage commit carries at `.lineage/commit.json` (schema
/// `Schemas/commit.schema.json`).
///
/// Git names objects by SHA-1. So that a commit's signature never rests on SHA-1, the record holds
/// a SHA-256 Merkle digest of the commit's whole tree except this record (`contentDigest`, see
/// `TreeDigester` in LineageGit): the signature covers the tree id, the tree covers this record,
/// and the record covers every pointer and record by SHA-256. Each pointer in turn names its
/// file's bytes by SHA-256.
public struct CommitRecord: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public static let path = "commit.json"

    public var type: String = "lineage.commit"
    public var version: Int = CommitRecord.currentVersion
    /// SHA-256 Merkle digest of the commit's tree without `.lineage/commit.json`.
    public var contentDigest: Digest
    /// Ids of the runs this commit records (their records are under `runs/`).
    public var runs: [String]
    /// True when the commit was made with `--no-verify` (pre-commit hooks skipped).
    public var noVerify: Bool?
    /// Ids (hex) of the check records (under `checks/`) that gated this commit; omitted when none.
    public var checks: [String]?

    public init(contentDigest: Digest, runs: [String] = [], noVerify: Bool? = nil, checks: [String]? = nil) {
        self.contentDigest = contentDigest; self.runs = runs; self.noVerify = noVerify
        self.checks = checks?.isEmpty == true ? nil : checks
    }

    public func encoded() throws -> [UInt8] { try CanonicalJSON.encode(self) }

    public static func decode(_ bytes: [UInt8]) throws -> CommitRecord {
        let r = try CanonicalJSON.decode(CommitRecord.self, from: bytes)
        guard r.type == "lineage.commit" else { throw CoreError.malformedRecord("not a commit record (type \(r.type))") }
        guard r.version <= currentVersion else {
            throw CoreError.malformedRecord("commit record version \(r.version) is newer than this lineage understands; upgrade lineage")
        }
        return r
    }
}
