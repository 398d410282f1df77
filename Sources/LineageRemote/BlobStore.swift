import Foundation
import LineageCore

/// One object of a remote store as a listing or a HEAD request reports it.
public struct BlobInfo: Sendable, Equatable {
    public let key: String
    public let size: UInt64
    /// The server's entity tag (S3 ETag, a directory store's content digest), used for conditional deletes.
    public let etag: String?
    /// When the object was written, by the server's clock (S3 LastModified, a file's mtime); nil
    /// when the store does not say. Remote gc measures objects' ages by it, so that a client whose
    /// clock is off does not make fresh objects look old.
    public let lastModified: Date?
    public init(key: String, size: UInt64, etag: String?, lastModified: Date? = nil) {
        self.key = key; self.size = size; self.etag = etag; self.lastModified = lastModified
    }
}

/// What a conditional write found.
public enum BlobPutOutcome: Sendable, Equatable {
    /// The object was written; its new entity tag when the server reports one.
    case written(etag: String?)
    /// `ifAbsent` was asked and the key already existed (S3's 412 to `If-None-Match: *`).
    case alreadyPresent
}

/// The object level of a remote (an S3 bucket and prefix, a directory, memory in tests): named
/// immutable blobs, written whole and read whole or by byte ranges. Content-addressed layouts
/// (packs, index objects) are built on top of it by `RemoteContent`; this protocol knows nothing of
/// chunks. Keys are relative to the store's root (`packs/<id>.pack`), `/`-separated.
///
/// Every method is synchronous and safe to call from several threads at once; implementations
/// retry transient failures themselves and throw `RemoteError` for what remains.
public protocol BlobStore: Sendable {
    /// Where the store is, for messages (`s3://bucket/prefix`, `/mnt/share/lineage`). Never a credential.
    var location: String { get }

    /// Writes `bytes` under `key`. With `ifAbsent`, an existing object is left alone and
    /// `.alreadyPresent` returned (a store that cannot do this atomically checks first).
    func put(_ key: String, bytes: [UInt8], ifAbsent: Bool) throws -> BlobPutOutcome

    /// Writes the file at `path` under `key` (large packs: multipart on S3, streamed, never read whole).
    func put(_ key: String, file path: String, ifAbsent: Bool) throws -> BlobPutOutcome

    /// The whole object. Throws `RemoteError.notFound` when there is none.
    func get(_ key: String) throws -> [UInt8]

    /// The bytes of each half-open range, in the order asked (S3: Range requests; callers merge
    /// nearby ranges first). Throws `RemoteError.notFound` when there is no such object.
    func get(_ key: String, ranges: [Range<UInt64>]) throws -> [[UInt8]]

    /// Size and entity tag, or nil when the key does not exist.
    func head(_ key: String) throws -> BlobInfo?

    /// Every object whose key starts with `prefix` and sorts after `startAfter` (byte order), all
    /// pages fetched (S3: ListObjectsV2 pages of at most 1,000).
    func list(prefix: String, startAfter: String?) throws -> [BlobInfo]

    /// Deletes the keys; a key that is already gone is not an error (S3: DeleteObjects batches of
    /// at most 1,000).
    func delete(_ keys: [String]) throws

    /// Deletes `key` only when its entity tag is still `etag`; false when it changed or is gone.
    func delete(_ key: String, ifMatch etag: String) throws -> Bool

    /// Removes the keys for good: deletes them and, where the store keeps earlier versions of what
    /// it deletes (an S3 bucket with versioning enabled or suspended), every version and delete
    /// marker of each key, then checks that none is left. Returns how many stored versions were
    /// removed beyond the current objects (0 for a store that keeps none). A key already gone is
    /// not an error. Throws `RemoteError.denied` when the store refuses, and
    /// `RemoteCleanupError.versionsRemain` when versions are left after deleting. Used by erasure,
    /// where an old version left behind is personal data kept.
    func purge(_ keys: [String]) throws -> Int
}

extension BlobStore {
    /// A store that keeps no versions: `delete`.
    public func purge(_ keys: [String]) throws -> Int {
        try delete(keys)
        return 0
    }
}

/// What went wrong talking to a remote, said so a user can act on it. Each case names the remote.
public enum RemoteError: Error, Equatable, CustomStringConvertible {
    /// The endpoint could not be reached (DNS, refused, TLS, timeouts after every retry).
    case unreachable(location: String, detail: String)
    /// The server refused the credentials or the operation (401/403).
    case denied(location: String, detail: String)
    /// The bucket or directory does not exist.
    case noSuchStore(location: String)
    /// The object does not exist.
    case notFound(location: String, key: String)
    /// The remote was written by a newer lineage.
    case newerFormat(location: String, found: Int, supported: Int)
    /// The remote's bytes are wrong (digest mismatch, truncated pack, index naming a missing pack).
    case damaged(location: String, key: String, detail: String)
    /// The server answered something this client does not understand or cannot use.
    case protocolError(location: String, detail: String)
    /// A local system call failed while transferring.
    case io(path: String, operation: String, errno: Int32)
    /// The remote URL or its settings are not usable as given.
    case badURL(String, detail: String)

    public var description: String {
        switch self {
        case .unreachable(let l, let d):
            return "cannot reach \(l): \(d); check the endpoint (AWS_ENDPOINT_URL, --endpoint) and the network, then run the command again"
        case .denied(let l, let d):
            return "\(l) refused the request (\(d)); check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials) and their permissions"
        case .noSuchStore(let l):
            return "\(l) does not exist; create the bucket or directory, or fix the remote's content URL"
        case .notFound(let l, let k):
            return "\(l) has no object \(k); the remote is incomplete — push again from a clone that has the data"
        case .newerFormat(let l, let found, let supported):
            return "\(l) was written by a newer lineage (format \(found), this one reads up to \(supported)); upgrade lineage"
        case .damaged(let l, let k, let d):
            return "\(l) serves damaged data in \(k): \(d); nothing was stored locally — push the data again from a clone that has it intact"
        case .protocolError(let l, let d):
            return "\(l) answered something lineage cannot use: \(d)"
        case .io(let p, let op, let e):
            return "\(op) \(p) failed: \(String(cString: strerror(e)))"
        case .badURL(let u, let d):
            return "\(u) is not a usable remote: \(d)"
        }
    }
}
