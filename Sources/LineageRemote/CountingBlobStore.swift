import Foundation

/// Forwards to a store and counts the requests made through it (for `TransferReport.requests`)
/// and the bytes that crossed it.
/// Thread safety: the counters are behind `lock`; `base` is a Sendable store.
final class CountingBlobStore: @unchecked Sendable {
    let base: any BlobStore
    private let lock = NSLock()
    private var count = 0
    private var sent: UInt64 = 0
    private var received: UInt64 = 0

    init(_ base: any BlobStore) { self.base = base }

    var requests: Int { lock.withLock { count } }
    /// Bytes of the objects written through this store (whether or not the store kept them).
    var bytesSent: UInt64 { lock.withLock { sent } }
    /// Bytes of the objects and ranges read through this store.
    var bytesReceived: UInt64 { lock.withLock { received } }
    var location: String { base.location }

    private func add(_ n: Int, sent s: UInt64 = 0, received r: UInt64 = 0) {
        lock.withLock { count += n; sent += s; received += r }
    }

    func put(_ key: String, bytes: [UInt8], ifAbsent: Bool) throws -> BlobPutOutcome {
        add(1, sent: UInt64(bytes.count)); return try base.put(key, bytes: bytes, ifAbsent: ifAbsent)
    }
    func put(_ key: String, file: String, ifAbsent: Bool) throws -> BlobPutOutcome {
        var st = stat()
        add(1, sent: stat(file, &st) == 0 ? UInt64(st.st_size) : 0)
        return try base.put(key, file: file, ifAbsent: ifAbsent)
    }
    func get(_ key: String) throws -> [UInt8] {
        add(1)
        let bytes = try base.get(key)
        add(0, received: UInt64(bytes.count))
        return bytes
    }
    func get(_ key: String, ranges: [Range<UInt64>]) throws -> [[UInt8]] {
        add(max(1, ranges.count))
        let parts = try base.get(key, ranges: ranges)
        add(0, received: parts.reduce(UInt64(0)) { $0 + UInt64($1.count) })
        return parts
    }
    func head(_ key: String) throws -> BlobInfo? { add(1); return try base.head(key) }
    func list(prefix: String, startAfter: String?) throws -> [BlobInfo] {
        add(1)
        let result = try base.list(prefix: prefix, startAfter: startAfter)
        add(max(0, (result.count - 1) / 1000))   // further pages of 1,000
        return result
    }
    /// One request per 1,000 keys (S3's DeleteObjects).
    func delete(_ keys: [String]) throws {
        guard !keys.isEmpty else { return }
        add((keys.count + 999) / 1000)
        try base.delete(keys)
    }
    func delete(_ key: String, ifMatch etag: String) throws -> Bool { add(1); return try base.delete(key, ifMatch: etag) }
    /// Counted as a delete per 1,000 keys; a versioned bucket's listing of versions is not seen here
    /// (the S3 store's own statistics have it).
    func purge(_ keys: [String]) throws -> Int {
        guard !keys.isEmpty else { return 0 }
        add((keys.count + 999) / 1000)
        return try base.purge(keys)
    }
}
