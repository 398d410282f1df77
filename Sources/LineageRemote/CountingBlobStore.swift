import Foundation

/// Forwards to a store and counts the requests made through it (for `TransferReport.requests`).
final class CountingBlobStore: @unchecked Sendable {
    let base: any BlobStore
    private let lock = NSLock()
    private var count = 0

    init(_ base: any BlobStore) { self.base = base }

    var requests: Int { lock.withLock { count } }
    var location: String { base.location }

    private func add(_ n: Int) { lock.withLock { count += n } }

    func put(_ key: String, bytes: [UInt8], ifAbsent: Bool) throws -> BlobPutOutcome {
        add(1); return try base.put(key, bytes: bytes, ifAbsent: ifAbsent)
    }
    func put(_ key: String, file: String, ifAbsent: Bool) throws -> BlobPutOutcome {
        add(1); return try base.put(key, file: file, ifAbsent: ifAbsent)
    }
    func get(_ key: String) throws -> [UInt8] { add(1); return try base.get(key) }
    func get(_ key: String, ranges: [Range<UInt64>]) throws -> [[UInt8]] {
        add(max(1, ranges.count)); return try base.get(key, ranges: ranges)
    }
    func head(_ key: String) throws -> BlobInfo? { add(1); return try base.head(key) }
    func list(prefix: String, startAfter: String?) throws -> [BlobInfo] {
        add(1)
        let result = try base.list(prefix: prefix, startAfter: startAfter)
        add(max(0, (result.count - 1) / 1000))   // further pages of 1,000
        return result
    }
}
