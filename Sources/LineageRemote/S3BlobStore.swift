import Foundation
import Crypto

/// A `BlobStore` in an S3 bucket under a prefix (`s3://bucket/prefix`), spoken to with our own
/// SigV4-signed requests over libcurl, path-style (`<endpoint>/bucket/key`), so it works with
/// AWS and with S3-compatible servers (MinIO, Ceph RGW, R2, moto).
///
/// Conditional writes send `If-None-Match: *`; a server that ignores the header overwrites
/// instead of answering 412 (harmless for content-named keys, which is what lineage writes).
/// Transient failures (5xx, 429, resets, timeouts) are retried with exponential back-off and
/// jitter; a conditional request whose answer was lost is settled by a HEAD before retrying.
/// Thread safety: the configuration is immutable, `HTTPClient` is safe from several threads (a pool
/// of easy handles), and the statistics and versioning state are behind `lock`.
public final class S3BlobStore: BlobStore, @unchecked Sendable {
    public let location: String
    public let bucket: String
    /// The key prefix inside the bucket, empty or ending in `/`.
    public let keyPrefix: String
    public let settings: AWSSettings
    public let options: S3Options

    let client: HTTPClient
    let signer: SigV4
    /// `http(s)://host[:port]` plus the endpoint's own path, without a trailing slash.
    let baseURL: String
    /// The endpoint's path, already encoded as written (`""` for most endpoints).
    let basePath: String
    /// The Host header sent and signed.
    let hostHeader: String

    private let lock = NSLock()
    private var stats = S3Statistics()
    private var bucketSeen = false
    private var versioningSeen: Versioning?

    /// Opens `url` (`s3://bucket[/prefix]`). The endpoint is `endpoint`, else `AWS_ENDPOINT_URL_S3`,
    /// `AWS_ENDPOINT_URL`, the profile's `endpoint_url`, else AWS's own for the region; credentials
    /// and region as `AWSSettings.resolve` finds them in `environment`. Makes no request.
    public init(url: String, endpoint: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                options: S3Options = S3Options()) throws {
        guard url.hasPrefix("s3://") else {
            throw RemoteError.badURL(url, detail: "an S3 content URL has the form s3://bucket/prefix")
        }
        let rest = url.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
        guard (1...255).contains(bucket.count), bucket.allSatisfy({ allowed.contains($0) }) else {
            throw RemoteError.badURL(url, detail: "the bucket name must be 3 to 63 letters, digits, dots and hyphens, as in s3://my-bucket/prefix")
        }
        var prefix = String(rest.dropFirst(bucket.count))
        while prefix.hasPrefix("/") { prefix.removeFirst() }
        while prefix.hasSuffix("/") { prefix.removeLast() }
        self.bucket = bucket
        self.keyPrefix = prefix.isEmpty ? "" : prefix + "/"
        self.location = prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)"
        self.options = options

        let settings = try AWSSettings.resolve(environment: environment, explicitEndpoint: endpoint, location: location)
        self.settings = settings
        let endpointURL = settings.endpoint ?? "https://s3.\(settings.region).amazonaws.com"
        guard let schemeEnd = endpointURL.range(of: "://") else {
            throw RemoteError.badURL(location, detail: "the endpoint \(endpointURL) is not a URL")
        }
        let scheme = endpointURL[..<schemeEnd.lowerBound].lowercased()
        let afterScheme = endpointURL[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        var authority = String(afterScheme[..<authorityEnd])
        if let at = authority.lastIndex(of: "@") {
            throw RemoteError.badURL(location, detail: "the endpoint \(endpointURL[..<schemeEnd.upperBound])…\(authority[authority.index(after: at)...]) has credentials in it; give them in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY instead")
        }
        // The Host header as curl would write it: without the scheme's default port.
        if scheme == "http", authority.hasSuffix(":80") { authority.removeLast(3) }
        if scheme == "https", authority.hasSuffix(":443") { authority.removeLast(4) }
        var path = String(afterScheme[authorityEnd...].prefix { $0 != "?" && $0 != "#" })
        while path.hasSuffix("/") { path.removeLast() }
        self.hostHeader = authority
        self.basePath = path
        self.baseURL = "\(scheme)://\(authority)\(path)"
        self.client = HTTPClient(timeouts: options.timeouts)
        self.signer = SigV4(credentials: settings.credentials, region: settings.region)
    }

    /// What this store has sent so far.
    public var statistics: S3Statistics { lock.withLock { stats } }
    /// Requests sent so far, every retry included (for requests-per-GiB figures).
    public var requestCount: Int { statistics.requests }

    // MARK: - BlobStore

    public func put(_ key: String, bytes: [UInt8], ifAbsent: Bool) throws -> BlobPutOutcome {
        let md5 = Array(Insecure.MD5.hash(data: bytes))
        return try putObject(key, body: .bytes(bytes), sha256: SigV4.sha256Hex(bytes), md5: md5, ifAbsent: ifAbsent)
    }

    public func put(_ key: String, file path: String, ifAbsent: Bool) throws -> BlobPutOutcome {
        var info = stat()
        guard stat(path, &info) == 0 else { throw RemoteError.io(path: path, operation: "stat", errno: errno) }
        let size = UInt64(info.st_size)
        if size <= options.multipartThreshold {
            let digests = try Self.digests(of: path, offset: 0, length: size)
            return try putObject(key, body: .file(path: path, offset: 0, length: size), sha256: digests.sha256, md5: digests.md5, ifAbsent: ifAbsent)
        }
        return try multipartPut(key, path: path, size: size, ifAbsent: ifAbsent)
    }

    public func get(_ key: String) throws -> [UInt8] {
        let response = try execute(S3Call(method: "GET", key: key))!
        guard response.status == 200 else { throw failure(response, key: key) }
        if let length = response.header("Content-Length").flatMap(UInt64.init), length != UInt64(response.body.count) {
            throw RemoteError.damaged(location: location, key: key, detail: "the server announced \(length) bytes and sent \(response.body.count)")
        }
        return response.body
    }

    public func get(_ key: String, ranges: [Range<UInt64>]) throws -> [[UInt8]] {
        try ranges.map { range in
            if range.isEmpty { return [] }
            let asked = "bytes=\(range.lowerBound)-\(range.upperBound - 1)"
            let response = try execute(S3Call(method: "GET", key: key, headers: [("Range", asked)]))!
            switch response.status {
            case 206:
                let contentRange = response.header("Content-Range") ?? ""
                let expected = "bytes \(range.lowerBound)-\(range.upperBound - 1)/"
                guard contentRange.hasPrefix(expected) else {
                    throw RemoteError.damaged(location: location, key: key, detail: "asked for \(asked), the server sent range \(contentRange.isEmpty ? "(none)" : contentRange)")
                }
                guard UInt64(response.body.count) == UInt64(range.count) else {
                    throw RemoteError.damaged(location: location, key: key, detail: "asked for \(range.count) bytes at \(range.lowerBound), got \(response.body.count)")
                }
                return response.body
            case 200:
                // The server ignored Range and sent the whole object.
                guard UInt64(response.body.count) >= range.upperBound else {
                    throw RemoteError.damaged(location: location, key: key, detail: "the object has \(response.body.count) bytes, bytes up to \(range.upperBound) were asked for")
                }
                return Array(response.body[Int(range.lowerBound)..<Int(range.upperBound)])
            case 416:
                let size = response.header("Content-Range").map { " (\($0))" } ?? ""
                throw RemoteError.damaged(location: location, key: key, detail: "bytes \(range.lowerBound)..<\(range.upperBound) are past the object's end\(size): the object is truncated")
            default:
                throw failure(response, key: key)
            }
        }
    }

    public func head(_ key: String) throws -> BlobInfo? {
        let response = try execute(S3Call(method: "HEAD", key: key))!
        switch response.status {
        case 200:
            noteBucketSeen()
            guard let size = response.header("Content-Length").flatMap(UInt64.init) else {
                throw RemoteError.protocolError(location: location, detail: "HEAD \(key) answered without Content-Length")
            }
            return BlobInfo(key: key, size: size, etag: response.header("ETag").map(Self.unquote),
                            lastModified: response.header("Last-Modified").flatMap(Self.parseHTTPDate))
        case 404:
            // A HEAD answer has no body to tell a missing key from a missing bucket.
            try checkBucketExists()
            return nil
        default:
            throw failure(response, key: key)
        }
    }

    public func list(prefix: String, startAfter: String?) throws -> [BlobInfo] {
        let fullPrefix = keyPrefix + prefix
        let prefixBytes = Array(fullPrefix.utf8)
        let afterBytes = startAfter.map { Array((keyPrefix + $0).utf8) }
        var out: [BlobInfo] = []
        var token: String? = nil
        var seenTokens = Set<String>()
        repeat {
            var query: [(name: String, value: String?)] = [
                ("list-type", "2"), ("prefix", fullPrefix), ("max-keys", String(options.listPageSize)), ("encoding-type", "url"),
            ]
            if let token { query.append(("continuation-token", token)) }
            else if let startAfter { query.append(("start-after", keyPrefix + startAfter)) }
            let response = try execute(S3Call(method: "GET", key: nil, query: query))!
            guard response.status == 200 else { throw failure(response, key: nil) }
            noteBucketSeen()
            let body = response.body
            let urlEncoded = S3XML.text("EncodingType", in: body) == "url"
            for entry in S3XML.elements("Contents", in: body) {
                guard let rawKey = S3XML.text("Key", in: entry), let size = S3XML.text("Size", in: entry).flatMap(UInt64.init) else {
                    throw RemoteError.protocolError(location: location, detail: "a ListObjectsV2 entry without Key or Size")
                }
                let key = urlEncoded ? Self.formDecode(rawKey) : rawKey
                let keyBytes = Array(key.utf8)
                guard keyBytes.starts(with: prefixBytes) else { continue }
                if let afterBytes, !afterBytes.lexicographicallyPrecedes(keyBytes) { continue }
                out.append(BlobInfo(key: String(decoding: keyBytes.dropFirst(keyPrefix.utf8.count), as: UTF8.self),
                                    size: size, etag: S3XML.text("ETag", in: entry).map(Self.unquote),
                                    lastModified: S3XML.text("LastModified", in: entry).flatMap(Self.parseISODate)))
            }
            if S3XML.text("IsTruncated", in: body) == "true" {
                guard let next = S3XML.text("NextContinuationToken", in: body), !next.isEmpty, seenTokens.insert(next).inserted else {
                    throw RemoteError.protocolError(location: location, detail: "a truncated ListObjectsV2 page without a new continuation token")
                }
                token = next
            } else {
                token = nil
            }
        } while token != nil
        // Pages arrive in key order; a server that mixes them up still gives one sorted, unique list.
        var seen = Set<[UInt8]>()
        return out.filter { seen.insert(Array($0.key.utf8)).inserted }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    }

    public func delete(_ keys: [String]) throws {
        try deleteObjects(keys.map { ($0, nil) })
    }

    /// DeleteObjects in batches of at most `deleteBatchSize`: the current object of each key, or the
    /// version named.
    private func deleteObjects(_ objects: [(key: String, versionID: String?)]) throws {
        var start = 0
        while start < objects.count {
            let batch = objects[start..<min(objects.count, start + options.deleteBatchSize)]
            start += batch.count
            var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            for (key, version) in batch {
                xml += "<Object><Key>\(S3XML.escape(keyPrefix + key))</Key>"
                if let version { xml += "<VersionId>\(S3XML.escape(version))</VersionId>" }
                xml += "</Object>"
            }
            xml += "</Delete>"
            let body = Array(xml.utf8)
            let md5 = Data(Insecure.MD5.hash(data: body)).base64EncodedString()
            let response = try execute(S3Call(method: "POST", key: nil, query: [("delete", nil)],
                                              headers: [("Content-MD5", md5), ("Content-Type", "application/xml")],
                                              body: .bytes(body), sha256: SigV4.sha256Hex(body)))!
            guard response.status == 200 else { throw failure(response, key: nil) }
            noteBucketSeen()
            for error in S3XML.elements("Error", in: response.body) {
                let code = S3XML.text("Code", in: error) ?? "unknown"
                if code == "NoSuchKey" { continue }
                let key = S3XML.text("Key", in: error).map { String($0.dropFirst(keyPrefix.count)) } ?? "?"
                let message = S3XML.text("Message", in: error) ?? ""
                if code == "AccessDenied" {
                    throw RemoteError.denied(location: location, detail: "deleting \(key): \(code) \(message)")
                }
                throw RemoteError.protocolError(location: location, detail: "deleting \(key) failed: \(code) \(message)")
            }
        }
    }

    public func delete(_ key: String, ifMatch etag: String) throws -> Bool {
        var settled: Bool? = nil
        let call = S3Call(method: "DELETE", key: key, headers: [("If-Match", Self.quote(etag))])
        let response = try execute(call) {
            // The answer was lost: see what the object is now before trying again.
            guard let info = try self.head(key) else { settled = true; return true }
            if info.etag != Self.unquote(etag) { settled = false; return true }
            return false
        }
        if let settled { return settled }
        switch response!.status {
        case 200, 204: return true
        case 412: return false
        case 404:
            if S3XML.text("Code", in: response!.body) == "NoSuchBucket" { throw RemoteError.noSuchStore(location: location) }
            return false
        default: throw failure(response!, key: key)
        }
    }

    // MARK: - Versions

    /// Whether the bucket keeps versions (GetBucketVersioning), asked once per store.
    public enum Versioning: String, Sendable, Equatable {
        /// Versioning was never turned on: a delete removes the object.
        case unversioned
        /// Every write and delete keeps the previous version.
        case enabled
        /// No new versions are made, but those made while it was enabled are kept.
        case suspended
    }

    /// The bucket's versioning state (GetBucketVersioning; cached). Throws `RemoteError.denied`
    /// without `s3:GetBucketVersioning`.
    public func versioning() throws -> Versioning {
        if let known = lock.withLock({ versioningSeen }) { return known }
        let response = try execute(S3Call(method: "GET", key: nil, query: [("versioning", nil)]))!
        guard response.status == 200 else { throw failure(response, key: nil) }
        let state: Versioning
        switch S3XML.text("Status", in: response.body) {
        case "Enabled": state = .enabled
        case "Suspended": state = .suspended
        case nil, "": state = .unversioned
        case let other?:
            throw RemoteError.protocolError(location: location, detail: "GetBucketVersioning answered the status \(other)")
        }
        lock.withLock { versioningSeen = state }
        return state
    }

    /// Every version and delete marker the bucket keeps of exactly `key` (ListObjectVersions, all pages).
    public func versions(of key: String) throws -> [String] {
        let fullKey = keyPrefix + key
        var out: [String] = []
        var keyMarker: String? = nil, versionMarker: String? = nil
        var seenMarkers = Set<String>()
        repeat {
            var query: [(name: String, value: String?)] = [
                ("versions", nil), ("prefix", fullKey), ("max-keys", String(options.listPageSize)), ("encoding-type", "url"),
            ]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let versionMarker { query.append(("version-id-marker", versionMarker)) }
            let response = try execute(S3Call(method: "GET", key: nil, query: query))!
            guard response.status == 200 else { throw failure(response, key: nil) }
            let body = response.body
            let urlEncoded = S3XML.text("EncodingType", in: body) == "url"
            for entry in S3XML.elements("Version", in: body) + S3XML.elements("DeleteMarker", in: body) {
                guard let rawKey = S3XML.text("Key", in: entry), let version = S3XML.text("VersionId", in: entry) else {
                    throw RemoteError.protocolError(location: location, detail: "a ListObjectVersions entry without Key or VersionId")
                }
                if (urlEncoded ? Self.formDecode(rawKey) : rawKey) == fullKey { out.append(version) }
            }
            if S3XML.text("IsTruncated", in: body) == "true" {
                let nextKey = S3XML.text("NextKeyMarker", in: body).map { urlEncoded ? Self.formDecode($0) : $0 }
                let nextVersion = S3XML.text("NextVersionIdMarker", in: body)
                guard let nextKey, seenMarkers.insert(nextKey + "\u{0}" + (nextVersion ?? "")).inserted else {
                    throw RemoteError.protocolError(location: location, detail: "a truncated ListObjectVersions page without new markers")
                }
                keyMarker = nextKey; versionMarker = nextVersion
            } else {
                keyMarker = nil
            }
        } while keyMarker != nil
        return out
    }

    /// Deletes the keys; on a bucket that keeps versions (enabled or suspended), deletes every
    /// version and delete marker of each by its version id (ListObjectVersions per key, then
    /// DeleteObjects), then lists again and throws `RemoteCleanupError.versionsRemain` when any is
    /// left (Object Lock, a concurrent writer). Returns the versions and markers deleted.
    public func purge(_ keys: [String]) throws -> Int {
        guard try versioning() != .unversioned else {
            try delete(keys)
            return 0
        }
        var objects: [(key: String, versionID: String?)] = []
        for key in keys { objects += try versions(of: key).map { (key, $0) } }
        do { try deleteObjects(objects) } catch RemoteError.denied(let l, let d) {
            throw RemoteError.denied(location: l, detail: "\(d) — deleting old versions of a versioned bucket needs s3:DeleteObjectVersion and s3:ListBucketVersions")
        }
        var left: [String] = []
        for key in keys where try !versions(of: key).isEmpty { left.append(key) }
        guard left.isEmpty else {
            throw RemoteCleanupError.versionsRemain(location: location, keys: left,
                detail: "the bucket keeps versions, and versions of these objects are still listed after deleting each by its version id (Object Lock or a retention rule may protect them)")
        }
        return objects.count
    }

    // MARK: - Writing

    private func putObject(_ key: String, body: HTTPBody, sha256: String, md5: [UInt8], ifAbsent: Bool) throws -> BlobPutOutcome {
        var headers: [(name: String, value: String)] = [
            ("Content-MD5", Data(md5).base64EncodedString()), ("Content-Type", "application/octet-stream"),
        ]
        if ifAbsent { headers.append(("If-None-Match", "*")) }
        var settled: BlobPutOutcome? = nil
        let md5Hex = SigV4.hex(md5)
        let response = try execute(S3Call(method: "PUT", key: key, headers: headers, body: body, sha256: sha256)) {
            guard ifAbsent else { return false }
            // A conditional write whose answer was lost may have happened: look before writing again.
            guard let info = try self.head(key) else { return false }
            settled = info.etag == md5Hex ? .written(etag: info.etag) : .alreadyPresent
            return true
        }
        if let settled { return settled }
        switch response!.status {
        case 200:
            noteBucketSeen()
            return .written(etag: response!.header("ETag").map(Self.unquote))
        case 412 where ifAbsent:
            return .alreadyPresent
        default:
            throw failure(response!, key: key)
        }
    }

    private func multipartPut(_ key: String, path: String, size: UInt64, ifAbsent: Bool) throws -> BlobPutOutcome {
        // Where the server cannot refuse the completion (older S3-compatible servers), this
        // saves the upload; where it can, If-None-Match on the completion decides.
        if ifAbsent, try head(key) != nil { return .alreadyPresent }

        let created = try execute(S3Call(method: "POST", key: key, query: [("uploads", nil)],
                                         headers: [("Content-Type", "application/octet-stream")]))!
        guard created.status == 200 else { throw failure(created, key: key) }
        guard let uploadID = S3XML.text("UploadId", in: created.body), !uploadID.isEmpty else {
            throw RemoteError.protocolError(location: location, detail: "CreateMultipartUpload for \(key) answered without an UploadId")
        }
        do {
            let parts = try uploadParts(key, path: path, size: size, uploadID: uploadID)
            var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            for part in parts { xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag></Part>" }
            xml += "</CompleteMultipartUpload>"
            let body = Array(xml.utf8)
            // The entity tag S3 gives a multipart object: MD5 of the parts' MD5s, "-", the count.
            let expectedETag = SigV4.hex(Insecure.MD5.hash(data: parts.flatMap(\.md5))) + "-\(parts.count)"
            var headers: [(name: String, value: String)] = [("Content-Type", "application/xml")]
            if ifAbsent { headers.append(("If-None-Match", "*")) }
            var settled: BlobPutOutcome? = nil
            let response = try execute(S3Call(method: "POST", key: key, query: [("uploadId", uploadID)], headers: headers,
                                              body: .bytes(body), sha256: SigV4.sha256Hex(body))) {
                // The completion's answer was lost; a retry would find the upload gone.
                guard let info = try self.head(key) else { return false }
                settled = info.etag == expectedETag ? .written(etag: info.etag) : .alreadyPresent
                return true
            }
            if let settled { return settled }
            let r = response!
            if r.status == 412 && ifAbsent {
                abort(key, uploadID: uploadID)
                return .alreadyPresent
            }
            guard r.status == 200 else { throw failure(r, key: key) }
            // S3 can answer 200 and put the error in the body.
            if S3XML.text("Code", in: r.body) != nil, S3XML.elements("Error", in: r.body).count > 0 {
                let code = S3XML.text("Code", in: r.body) ?? ""
                if code == "PreconditionFailed" && ifAbsent { abort(key, uploadID: uploadID); return .alreadyPresent }
                throw RemoteError.protocolError(location: location, detail: "CompleteMultipartUpload of \(key) failed: \(code) \(S3XML.text("Message", in: r.body) ?? "")")
            }
            return .written(etag: S3XML.text("ETag", in: r.body).map(Self.unquote) ?? expectedETag)
        } catch {
            abort(key, uploadID: uploadID)
            throw error
        }
    }

    /// Uploads the parts of `path`, `options.partConcurrency` at a time, each streamed from its
    /// slice of the file; the first failure stops the others from starting and is thrown.
    private func uploadParts(_ key: String, path: String, size: UInt64, uploadID: String) throws -> [(number: Int, etag: String, md5: [UInt8])] {
        let partSize = options.partSize
        let count = Int((size + partSize - 1) / partSize)
        let work = PartWork(count: count)
        let upload: @Sendable (Int) throws -> (etag: String, md5: [UInt8]) = { [self] index in
            let offset = UInt64(index) * partSize
            let length = min(partSize, size - offset)
            let digests = try Self.digests(of: path, offset: offset, length: length)
            let response = try execute(S3Call(method: "PUT", key: key,
                                              query: [("partNumber", String(index + 1)), ("uploadId", uploadID)],
                                              headers: [("Content-MD5", Data(digests.md5).base64EncodedString())],
                                              body: .file(path: path, offset: offset, length: length), sha256: digests.sha256))!
            guard response.status == 200 else { throw failure(response, key: key) }
            guard let etag = response.header("ETag") else {
                throw RemoteError.protocolError(location: location, detail: "UploadPart \(index + 1) of \(key) answered without an ETag")
            }
            return (etag, digests.md5)
        }
        let group = DispatchGroup()
        for _ in 0..<min(options.partConcurrency, count) {
            group.enter()
            Thread {
                while let index = work.next() {
                    do { work.finish(index, with: try upload(index)) } catch { work.fail(error) }
                }
                group.leave()
            }.start()
        }
        group.wait()
        return try work.results().enumerated().map { (number: $0.offset + 1, etag: $0.element.etag, md5: $0.element.md5) }
    }

    /// Best effort: a failed abort leaves parts that a bucket lifecycle rule cleans up.
    private func abort(_ key: String, uploadID: String) {
        _ = try? execute(S3Call(method: "DELETE", key: key, query: [("uploadId", uploadID)]))
    }

    /// SHA-256 (hex) and MD5 of a slice of a file, read in pieces.
    static func digests(of path: String, offset: UInt64, length: UInt64) throws -> (sha256: String, md5: [UInt8]) {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw RemoteError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var sha = SHA256()
        var md5 = Insecure.MD5()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var done: UInt64 = 0
        while done < length {
            let want = Int(min(UInt64(buffer.count), length - done))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RemoteError.io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { throw RemoteError.io(path: path, operation: "read (file shorter than its size)", errno: EIO) }
            buffer.withUnsafeBytes { sha.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            buffer.withUnsafeBytes { md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            done += UInt64(n)
        }
        return (SigV4.hex(sha.finalize()), Array(md5.finalize()))
    }

    // MARK: - Requests

    struct S3Call {
        var method: String
        /// The key relative to the store's prefix, or nil for a request on the bucket.
        var key: String?
        var query: [(name: String, value: String?)] = []
        var headers: [(name: String, value: String)] = []
        var body: HTTPBody = .empty
        /// Hex SHA-256 of the body; nil for an empty body.
        var sha256: String? = nil
    }

    /// Sends `call`, retrying 5xx, 429 and transient transport failures up to `maxAttempts`
    /// with exponential back-off and full jitter. Before each retry `beforeRetry` (if any) may
    /// settle the outcome by returning true; then the answer is nil. Returns the last answer
    /// otherwise (which may be an error status for the caller to map); throws
    /// `RemoteError.unreachable` with curl's message when no answer came at all.
    func execute(_ call: S3Call, beforeRetry: (() throws -> Bool)? = nil) throws -> HTTPResponse? {
        let fullPath = "/\(bucket)" + (call.key.map { "/" + keyPrefix + $0 } ?? "")
        let encodedPath = basePath + SigV4.encodePath(fullPath)
        let query = SigV4.queryString(call.query)
        let url = baseURL.dropLast(basePath.count) + encodedPath + (query.isEmpty ? "" : "?" + query)
        var attempt = 0
        while true {
            attempt += 1
            let headers = signer.sign(method: call.method, host: hostHeader, encodedPath: encodedPath, query: call.query,
                                      headers: [("Host", hostHeader)] + call.headers,
                                      payloadSHA256: call.sha256 ?? SigV4.emptyPayloadSHA256, date: Date())
            lock.withLock {
                stats.requests += 1
                if attempt > 1 { stats.retries += 1 }
                stats.byMethod[call.method, default: 0] += 1
                stats.bytesSent += call.body.length
            }
            do {
                let response = try client.send(HTTPRequest(method: call.method, url: String(url), headers: headers, body: call.body))
                lock.withLock { stats.bytesReceived += UInt64(response.body.count) }
                guard response.status >= 500 || response.status == 429 else { return response }
                guard attempt < options.maxAttempts else { return response }
            } catch let error as HTTPTransportError {
                guard error.isTransient, attempt < options.maxAttempts else {
                    if error.isShortBody, call.method == "GET", let key = call.key {
                        // Every attempt ended short of the length the server announced.
                        throw RemoteError.damaged(location: location, key: key, detail: "the server sent fewer bytes than it announced, \(attempt) times: \(error.message)")
                    }
                    let after = attempt > 1 ? " (after \(attempt) attempts)" : ""
                    throw RemoteError.unreachable(location: location, detail: "\(call.method) \(baseURL): \(error.message)\(after)")
                }
            }
            let ceiling = min(options.backoffCap, options.backoffBase * pow(2, Double(attempt - 1)))
            if ceiling > 0 { Thread.sleep(forTimeInterval: Double.random(in: 0...ceiling)) }
            if let beforeRetry, try beforeRetry() { return nil }
        }
    }

    /// The error an unwanted answer means.
    func failure(_ response: HTTPResponse, key: String?) -> RemoteError {
        let code = S3XML.text("Code", in: response.body) ?? response.header("x-amz-error-code")
        let message = S3XML.text("Message", in: response.body) ?? ""
        var detail = "HTTP \(response.status)"
        if let code { detail += " \(code)" }
        if !message.isEmpty { detail += ": \(message)" }
        switch response.status {
        case 401, 403:
            return .denied(location: location, detail: detail)
        case 404:
            if code == "NoSuchBucket" || key == nil { return .noSuchStore(location: location) }
            return .notFound(location: location, key: key!)
        case 429, 500...:
            return .unreachable(location: location, detail: "\(detail) (after \(options.maxAttempts) attempts)")
        case 301, 307:
            let region = response.header("x-amz-bucket-region").map { " (the bucket is in \($0); set AWS_REGION)" } ?? "; check AWS_REGION and the endpoint"
            return .protocolError(location: location, detail: detail + region)
        case 400 where code == "AuthorizationHeaderMalformed":
            let region = response.header("x-amz-bucket-region").map { " (the bucket is in \($0); set AWS_REGION)" } ?? "; check AWS_REGION and the endpoint"
            return .protocolError(location: location, detail: detail + region)
        default:
            return .protocolError(location: location, detail: detail)
        }
    }

    private func noteBucketSeen() { lock.withLock { bucketSeen = true } }

    /// Throws `.noSuchStore` when the bucket is missing; asks the server once per store.
    private func checkBucketExists() throws {
        if lock.withLock({ bucketSeen }) { return }
        let response = try execute(S3Call(method: "HEAD", key: nil))!
        switch response.status {
        case 200: noteBucketSeen()
        case 404: throw RemoteError.noSuchStore(location: location)
        default: throw failure(response, key: nil)
        }
    }

    static func unquote(_ etag: String) -> String {
        var e = Substring(etag)
        if e.hasPrefix("W/") { e = e.dropFirst(2) }
        if e.count >= 2, e.hasPrefix("\""), e.hasSuffix("\"") { e = e.dropFirst().dropLast() }
        return String(e)
    }

    static func quote(_ etag: String) -> String { "\"\(unquote(etag))\"" }

    /// `2009-10-12T17:50:30.000Z` (ListObjectsV2's LastModified), fractions optional.
    static func parseISODate(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b.last == UInt8(ascii: "Z"),
              let whole = UTCTime.date(b, year: 0..<4, month: 5..<7, day: 8..<10, hour: 11..<13, minute: 14..<16, second: 17..<19)
        else { return nil }
        guard b.count > 20 else { return whole }
        guard b[19] == UInt8(ascii: "."), b.count > 21, b.count <= 30, let fraction = UTCTime.number(b, 20..<(b.count - 1)) else { return nil }
        return whole.addingTimeInterval(Double(fraction) / pow(10, Double(b.count - 21)))
    }

    /// `Wed, 21 Oct 2015 07:28:00 GMT` (the Last-Modified header, RFC 7231's IMF-fixdate).
    static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let d = Int32(parts[1]), let mo = months.firstIndex(of: String(parts[2])),
              let y = Int32(parts[3]) else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let h = Int32(clock[0]), let mi = Int32(clock[1]), let se = Int32(clock[2]) else { return nil }
        return UTCTime.date(year: y, month: Int32(mo + 1), day: d, hour: h, minute: mi, second: se)
    }

    /// Decodes S3's `encoding-type=url` text: `+` is a space, `%XX` a byte.
    static func formDecode(_ text: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " ")); i += 1
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.count,
                      let v = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v); i += 3
            } else {
                out.append(b); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The shared state of a multipart upload's worker threads.
private final class PartWork: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int
    private var done: [(etag: String, md5: [UInt8])?]
    private var error: Error?

    init(count: Int) { self.count = count; done = Array(repeating: nil, count: count) }

    /// The next part to send, or nil when all are taken or one failed.
    func next() -> Int? {
        lock.withLock {
            guard error == nil, nextIndex < count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    func finish(_ index: Int, with result: (etag: String, md5: [UInt8])) { lock.withLock { done[index] = result } }
    func fail(_ e: Error) { lock.withLock { if error == nil { error = e } } }

    func results() throws -> [(etag: String, md5: [UInt8])] {
        try lock.withLock {
            if let error { throw error }
            return done.map { $0! }
        }
    }
}
