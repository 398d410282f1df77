import Foundation

/// How an `S3BlobStore` transfers: retries, timeouts, multipart and page sizes. The defaults
/// suit real servers; tests shrink them.
public struct S3Options: Sendable, Equatable {
    /// Attempts per request, the first included, for 5xx, 429, resets and timeouts.
    public var maxAttempts: Int
    /// The first back-off in seconds; it doubles per attempt up to `backoffCap`, with full jitter.
    public var backoffBase: Double
    public var backoffCap: Double
    public var timeouts: HTTPTimeouts
    /// Files larger than this are sent as a multipart upload.
    public var multipartThreshold: UInt64
    /// Size of each part but the last (S3 wants at least 5 MiB).
    public var partSize: UInt64
    /// Parts of one multipart upload sent at the same time.
    public var partConcurrency: Int
    /// Keys asked for per ListObjectsV2 page (at most 1,000).
    public var listPageSize: Int
    /// Keys per DeleteObjects request (at most 1,000).
    public var deleteBatchSize: Int

    public init(maxAttempts: Int = 5, backoffBase: Double = 0.25, backoffCap: Double = 8,
                timeouts: HTTPTimeouts = HTTPTimeouts(),
                multipartThreshold: UInt64 = 64 << 20, partSize: UInt64 = 16 << 20, partConcurrency: Int = 4,
                listPageSize: Int = 1000, deleteBatchSize: Int = 1000) {
        self.maxAttempts = max(1, maxAttempts)
        self.backoffBase = max(0, backoffBase)
        self.backoffCap = max(0, backoffCap)
        self.timeouts = timeouts
        self.partSize = max(1, partSize)
        self.multipartThreshold = multipartThreshold
        self.partConcurrency = max(1, partConcurrency)
        self.listPageSize = min(1000, max(1, listPageSize))
        self.deleteBatchSize = min(1000, max(1, deleteBatchSize))
    }
}

/// What a store has sent over the wire since it was made; every attempt counts as a request.
public struct S3Statistics: Sendable, Equatable {
    public var requests = 0
    /// Attempts that were repeats of a failed one.
    public var retries = 0
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Requests per method (`GET`, `PUT`, …).
    public var byMethod: [String: Int] = [:]
    public init() {}
}
