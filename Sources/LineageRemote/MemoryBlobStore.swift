import Foundation
import LineageCore

/// A `BlobStore` in memory, for tests: thread-safe, counting every request and every byte that
/// crosses it, and able to misbehave on purpose (fail the Nth matching call, serve flipped bytes
/// for a key, truncate an object) so the layer above can be tested against a damaged remote.
public final class MemoryBlobStore: BlobStore, @unchecked Sendable {
    /// The kinds of request, as a server would count them.
    public enum Operation: String, Sendable, CaseIterable {
        case put, get, rangeGet, head, list, delete
    }

    /// What crossed the store so far.
    public struct Counters: Sendable, Equatable {
        /// Requests by kind. A ranged read counts one request per range (as S3 Range GETs do);
        /// a delete of several keys counts one per 1,000 (S3's DeleteObjects).
        public var requests: [Operation: Int] = [:]
        /// Bytes received by `put` calls that stored them (not those refused as already present).
        public var bytesWritten: UInt64 = 0
        /// Bytes served by `get` calls (whole and ranged).
        public var bytesRead: UInt64 = 0
        public var totalRequests: Int { requests.values.reduce(0, +) }
        public subscript(_ op: Operation) -> Int { requests[op] ?? 0 }
    }

    private struct Object { var bytes: [UInt8]; var etag: String; var modified: Date }
    private struct Fault {
        var operations: Set<Operation>
        var keyPrefix: String
        var remaining: Int          // matching calls still to let through before failing
        var repeats: Bool           // fail every matching call from then on
        var error: RemoteError?
    }

    public let location: String
    private let lock = NSLock()
    private var objects: [String: Object] = [:]
    private var generation = 0
    private var counters = Counters()
    private var faults: [Fault] = []
    private var flipped: [String: [UInt64]] = [:]
    private var exists = true
    private var fixedTime: Date?
    private var conditional = true

    public init(location: String = "memory://test") {
        self.location = location
    }

    // MARK: - Test controls

    /// The counters so far.
    public var counts: Counters { lock.withLock { counters } }

    /// Zeroes the counters.
    public func resetCounts() { lock.withLock { counters = Counters() } }

    /// Makes the `n`th call (1-based, counted from now) among those of `operations` whose key starts
    /// with `keyPrefix` throw `error` (default: `.unreachable`); with `andAfter`, every later matching
    /// call fails too (a server gone away).
    public func failCall(_ n: Int, of operations: Set<Operation> = Set(Operation.allCases), keyPrefix: String = "",
                         andAfter: Bool = false, error: RemoteError? = nil) {
        precondition(n >= 1)
        lock.withLock {
            faults.append(Fault(operations: operations, keyPrefix: keyPrefix, remaining: n - 1, repeats: andAfter, error: error))
        }
    }

    /// Removes every pending `failCall`.
    public func clearFaults() { lock.withLock { faults = [] } }

    /// Serves the object at `key` with the byte at `offset` inverted, whole or ranged; the stored
    /// object stays intact (a bad disk or a lying proxy).
    public func flipByte(of key: String, at offset: UInt64) {
        lock.withLock { flipped[key, default: []].append(offset) }
    }

    /// Serves every object as stored again.
    public func clearFlips() { lock.withLock { flipped = [:] } }

    /// Cuts the stored object down to its first `length` bytes (a half-written upload).
    public func truncate(_ key: String, to length: Int) {
        lock.withLock {
            guard var o = objects[key] else { return }
            o.bytes = Array(o.bytes.prefix(length))
            o.etag = nextETag()
            o.modified = currentTime()
            objects[key] = o
        }
    }

    /// Makes the store's clock (objects' `lastModified`) read `date` from now on; nil: the real time.
    public func setTime(_ date: Date?) { lock.withLock { fixedTime = date } }

    /// With false, the store behaves like a server without conditional requests: `ifAbsent` writes
    /// overwrite and `delete(_:ifMatch:)` deletes whatever the tag.
    public func setConditionalRequests(_ supported: Bool) { lock.withLock { conditional = supported } }

    /// Makes the store vanish (every call throws `.noSuchStore`) or come back.
    public func setExists(_ value: Bool) { lock.withLock { exists = value } }

    /// The stored objects' keys, in byte order (uncounted).
    public var keys: [String] { lock.withLock { objects.keys.sorted(by: Self.bytesPrecede) } }

    /// An object's stored bytes (uncounted, no faults).
    public func object(_ key: String) -> [UInt8]? { lock.withLock { objects[key]?.bytes } }

    /// Stores `bytes` under `key` directly (uncounted, no faults): to plant what a foreign or broken
    /// writer would have left.
    public func setObject(_ key: String, _ bytes: [UInt8]) {
        lock.withLock { objects[key] = Object(bytes: bytes, etag: nextETag(), modified: currentTime()) }
    }

    // MARK: - BlobStore

    public func put(_ key: String, bytes: [UInt8], ifAbsent: Bool) throws -> BlobPutOutcome {
        try lock.withLock {
            try enter(.put, key: key)
            if ifAbsent && conditional && objects[key] != nil { return .alreadyPresent }
            let etag = nextETag()
            objects[key] = Object(bytes: bytes, etag: etag, modified: currentTime())
            counters.bytesWritten += UInt64(bytes.count)
            return .written(etag: etag)
        }
    }

    public func put(_ key: String, file path: String, ifAbsent: Bool) throws -> BlobPutOutcome {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RemoteError.io(path: path, operation: "read", errno: errno == 0 ? ENOENT : errno)
        }
        return try put(key, bytes: [UInt8](data), ifAbsent: ifAbsent)
    }

    public func get(_ key: String) throws -> [UInt8] {
        try lock.withLock {
            try enter(.get, key: key)
            guard let o = objects[key] else { throw RemoteError.notFound(location: location, key: key) }
            let served = serve(key, o.bytes, from: 0)
            counters.bytesRead += UInt64(served.count)
            return served
        }
    }

    /// Ranges past the end come back short or empty, as the directory store serves them.
    public func get(_ key: String, ranges: [Range<UInt64>]) throws -> [[UInt8]] {
        try lock.withLock {
            var out: [[UInt8]] = []
            for r in ranges {
                try enter(.rangeGet, key: key)
                guard let o = objects[key] else { throw RemoteError.notFound(location: location, key: key) }
                let lo = Int(min(r.lowerBound, UInt64(o.bytes.count))), hi = Int(min(r.upperBound, UInt64(o.bytes.count)))
                let served = serve(key, Array(o.bytes[lo..<hi]), from: UInt64(lo))
                counters.bytesRead += UInt64(served.count)
                out.append(served)
            }
            return out
        }
    }

    public func head(_ key: String) throws -> BlobInfo? {
        try lock.withLock {
            try enter(.head, key: key)
            return objects[key].map { BlobInfo(key: key, size: UInt64($0.bytes.count), etag: $0.etag, lastModified: $0.modified) }
        }
    }

    public func list(prefix: String, startAfter: String?) throws -> [BlobInfo] {
        try lock.withLock {
            try enter(.list, key: prefix)
            let matching = objects.filter { key, _ in
                key.hasPrefix(prefix) && (startAfter.map { Self.bytesPrecede($0, key) } ?? true)
            }.map { BlobInfo(key: $0.key, size: UInt64($0.value.bytes.count), etag: $0.value.etag, lastModified: $0.value.modified) }
            .sorted { Self.bytesPrecede($0.key, $1.key) }
            // One request per page of 1,000, as S3 would answer.
            counters.requests[.list, default: 0] += max(0, (matching.count - 1) / 1000)
            return matching
        }
    }

    public func delete(_ keys: [String]) throws {
        try lock.withLock {
            for (i, key) in keys.enumerated() {
                if i % 1000 == 0 { try enter(.delete, key: key) }
                objects[key] = nil
            }
        }
    }

    public func delete(_ key: String, ifMatch etag: String) throws -> Bool {
        try lock.withLock {
            try enter(.delete, key: key)
            guard let o = objects[key], o.etag == etag || !conditional else { return false }
            objects[key] = nil
            return true
        }
    }

    // MARK: - Internals (lock held)

    /// Counts the request and applies the faults.
    private func enter(_ op: Operation, key: String) throws {
        counters.requests[op, default: 0] += 1
        guard exists else { throw RemoteError.noSuchStore(location: location) }
        for i in faults.indices where faults[i].operations.contains(op) && key.hasPrefix(faults[i].keyPrefix) {
            if faults[i].remaining > 0 { faults[i].remaining -= 1; continue }
            let error = faults[i].error ?? .unreachable(location: location, detail: "injected failure of \(op.rawValue) \(key)")
            if !faults[i].repeats { faults.remove(at: i) }
            throw error
        }
    }

    private func serve(_ key: String, _ bytes: [UInt8], from start: UInt64) -> [UInt8] {
        guard let offsets = flipped[key] else { return bytes }
        var out = bytes
        for o in offsets where o >= start && o < start + UInt64(out.count) { out[Int(o - start)] ^= 0xFF }
        return out
    }

    private func currentTime() -> Date { fixedTime ?? Date() }

    private func nextETag() -> String {
        generation += 1
        return "\"\(generation)\""
    }

    static func bytesPrecede(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
