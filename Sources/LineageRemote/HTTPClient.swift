import Foundation
internal import CCurl

/// The body of an HTTP request: nothing, bytes in memory, or a slice of a file read as it is sent
/// (never loaded whole), so a retry can send it again.
public enum HTTPBody: Sendable, Equatable {
    case empty
    case bytes([UInt8])
    /// `length` bytes of the file at `path` starting at `offset`.
    case file(path: String, offset: UInt64, length: UInt64)

    /// How many bytes the body has.
    public var length: UInt64 {
        switch self {
        case .empty: return 0
        case .bytes(let b): return UInt64(b.count)
        case .file(_, _, let length): return length
        }
    }
}

/// One HTTP request. Header names are sent as given; `Host` comes from the URL.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: HTTPBody

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: HTTPBody = .empty) {
        self.method = method; self.url = url; self.headers = headers; self.body = body
    }
}

/// What the server answered. `body` holds the response body unless it was handed to a sink
/// (then it holds only the body of a non-2xx answer, for its error message).
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    /// The first header of that name, compared without regard to ASCII case.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// A transfer that failed below HTTP (connection refused, reset, timed out, TLS, DNS), with
/// libcurl's code and message. `isTransient` says whether trying again can help.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// The `CURLcode`.
    public let code: Int
    public let message: String
    public let isTransient: Bool
    /// The request timed out (connect timeout or below the low-speed limit).
    public let isTimeout: Bool
    /// The answer ended before the length it announced (`CURLE_PARTIAL_FILE`).
    public var isShortBody = false
    public var description: String { message }
}

/// Limits that turn a dead peer into an error instead of a hang.
public struct HTTPTimeouts: Sendable, Equatable {
    /// Seconds to establish a connection (TCP and TLS).
    public var connect: Double
    /// A transfer slower than `lowSpeedBytesPerSecond` for `lowSpeedSeconds` is abandoned.
    public var lowSpeedBytesPerSecond: Int
    public var lowSpeedSeconds: Int

    public init(connect: Double = 10, lowSpeedBytesPerSecond: Int = 1, lowSpeedSeconds: Int = 30) {
        self.connect = connect; self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond; self.lowSpeedSeconds = lowSpeedSeconds
    }
}

/// libcurl is initialised once per process, before the first handle is made.
private let curlGlobalInit: Void = {
    _ = curl_global_init(lineage_curl_global_all())
}()

/// A synchronous HTTP client over libcurl's easy interface. Safe to use from several threads:
/// each request takes an idle easy handle from a small pool (so connections are reused) or
/// makes one. Proxies come from the environment as libcurl does by default (`http_proxy`,
/// `https_proxy`, `no_proxy`); signals are never used (`CURLOPT_NOSIGNAL`).
public final class HTTPClient: @unchecked Sendable {
    public let timeouts: HTTPTimeouts
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private static let maxIdle = 16

    public init(timeouts: HTTPTimeouts = HTTPTimeouts()) {
        _ = curlGlobalInit
        self.timeouts = timeouts
    }

    deinit {
        for handle in idle { curl_easy_cleanup(handle) }
    }

    /// Sends `request` and returns the whole answer in memory.
    /// Throws `HTTPTransportError` when no answer came, `RemoteError.io` when the body's file cannot be read.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        try perform(request, sink: nil)
    }

    /// Sends `request`; the body of a 2xx answer goes to `sink` piece by piece (return false to
    /// stop the transfer, which then throws), any other answer's body is kept in the response.
    public func send(_ request: HTTPRequest, sink: @escaping (UnsafeRawBufferPointer) -> Bool) throws -> HTTPResponse {
        try perform(request, sink: sink)
    }

    private func takeHandle() throws -> UnsafeMutableRawPointer {
        lock.lock()
        if let handle = idle.popLast() {
            lock.unlock()
            return handle
        }
        lock.unlock()
        guard let handle = curl_easy_init() else {
            throw HTTPTransportError(code: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed", isTransient: false, isTimeout: false)
        }
        return handle
    }

    /// Clears every option (and so every pointer into a finished transfer) but keeps the
    /// handle's live connections and caches for the next request.
    private func returnHandle(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        lock.lock()
        if idle.count < Self.maxIdle {
            idle.append(handle)
            lock.unlock()
        } else {
            lock.unlock()
            curl_easy_cleanup(handle)
        }
    }

    private func perform(_ request: HTTPRequest, sink: ((UnsafeRawBufferPointer) -> Bool)?) throws -> HTTPResponse {
        let context = try TransferContext(body: request.body, sink: sink)
        defer { context.finish() }
        let handle = try takeHandle()
        defer { returnHandle(handle) }

        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        var names = Set<String>()
        for header in request.headers {
            names.insert(header.name.lowercased())
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // No `Expect: 100-continue` round trip; no form content type curl would invent for POST.
        if !names.contains("expect") { headerList = curl_slist_append(headerList, "Expect:") }
        if !names.contains("content-type") { headerList = curl_slist_append(headerList, "Content-Type:") }

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let unmanaged = Unmanaged.passUnretained(context).toOpaque()
        let method = request.method.uppercased()
        let bodyLength = curl_off_t(request.body.length)

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            var rc = CURLE_OK
            func set(_ r: CURLcode) { if rc == CURLE_OK { rc = r } }
            set(lineage_curl_setopt_str(handle, CURLOPT_URL, request.url))
            set(lineage_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
            set(lineage_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress))
            set(lineage_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect * 1000)))
            set(lineage_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, timeouts.lowSpeedBytesPerSecond))
            set(lineage_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, timeouts.lowSpeedSeconds))
            set(lineage_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
            // Larger upload reads than the 64 KiB default: fewer callbacks and syscalls per pack.
            set(lineage_curl_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, 1 << 20))
            set(lineage_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
            set(lineage_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, transferWrite))
            set(lineage_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, unmanaged))
            set(lineage_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, transferHeader))
            set(lineage_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, unmanaged))
            set(lineage_curl_setopt_data_callback(handle, CURLOPT_READFUNCTION, transferRead))
            set(lineage_curl_setopt_ptr(handle, CURLOPT_READDATA, unmanaged))
            set(lineage_curl_setopt_seek_callback(handle, transferSeek))
            set(lineage_curl_setopt_ptr(handle, CURLOPT_SEEKDATA, unmanaged))
            switch method {
            case "GET":
                set(lineage_curl_setopt_long(handle, CURLOPT_HTTPGET, 1))
            case "HEAD":
                set(lineage_curl_setopt_long(handle, CURLOPT_NOBODY, 1))
            case "PUT":
                set(lineage_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
                set(lineage_curl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, bodyLength))
            case "POST":
                set(lineage_curl_setopt_long(handle, CURLOPT_POST, 1))
                set(lineage_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, bodyLength))
            default:
                if bodyLength > 0 {
                    set(lineage_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
                    set(lineage_curl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, bodyLength))
                }
                set(lineage_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method))
            }
            if rc != CURLE_OK { return rc }
            return curl_easy_perform(handle)
        }

        if let local = context.localError { throw local }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let summary = String(cString: curl_easy_strerror(code))
            throw HTTPTransportError(
                code: Int(code.rawValue),
                message: detail.isEmpty ? summary : "\(summary): \(detail)",
                isTransient: Self.transientCodes.contains(code.rawValue),
                isTimeout: code == CURLE_OPERATION_TIMEDOUT,
                isShortBody: code == CURLE_PARTIAL_FILE)
        }
        var status = 0
        _ = lineage_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: context.headers, body: context.received)
    }

    /// Failures where the same request may well succeed a moment later.
    private static let transientCodes: Set<UInt32> = [
        CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
        CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_SSL_CONNECT_ERROR,
        CURLE_COULDNT_RESOLVE_PROXY,
    ].reduce(into: Set<UInt32>()) { $0.insert($1.rawValue) }
}

/// State of one transfer that libcurl's callbacks reach through their user-data pointer.
/// Swift errors never unwind through libcurl: callbacks record them here and return an abort code.
private final class TransferContext {
    let bodyBytes: [UInt8]
    let bodyFile: (fd: Int32, path: String, offset: UInt64)?
    let bodyLength: UInt64
    var sent: UInt64 = 0
    let sink: ((UnsafeRawBufferPointer) -> Bool)?
    var status = 0
    var headers: [(name: String, value: String)] = []
    var received: [UInt8] = []
    var localError: Error?

    init(body: HTTPBody, sink: ((UnsafeRawBufferPointer) -> Bool)?) throws {
        self.sink = sink
        bodyLength = body.length
        switch body {
        case .empty:
            bodyBytes = []; bodyFile = nil
        case .bytes(let b):
            bodyBytes = b; bodyFile = nil
        case .file(let path, let offset, _):
            bodyBytes = []
            var fd: Int32
            repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
            guard fd >= 0 else { throw RemoteError.io(path: path, operation: "open", errno: errno) }
            bodyFile = (fd, path, offset)
        }
    }

    func finish() {
        if let file = bodyFile { closeDescriptor(file.fd) }
    }

    /// Fills `buffer` with the next request-body bytes; nil after recording a local error.
    func read(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        let wanted = Int(min(UInt64(capacity), bodyLength - sent))
        if wanted == 0 { return 0 }
        if let file = bodyFile {
            var n: Int
            repeat { n = pread(file.fd, buffer, wanted, off_t(file.offset + sent)) } while n < 0 && errno == EINTR
            if n < 0 {
                localError = RemoteError.io(path: file.path, operation: "read", errno: errno)
                return nil
            }
            if n == 0 {
                // The file shrank while it was being sent.
                localError = RemoteError.io(path: file.path, operation: "read (file changed while being sent)", errno: EIO)
                return nil
            }
            sent += UInt64(n)
            return n
        }
        bodyBytes.withUnsafeBytes { all in
            buffer.copyMemory(from: all.baseAddress! + Int(sent), byteCount: wanted)
        }
        sent += UInt64(wanted)
        return wanted
    }

    func header(line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            // A new status line (after `100 Continue` or an informational answer): start over.
            headers = []
            let parts = text.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = String(text[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespacesAndNewlines)
        headers.append((name, value))
    }

    /// Takes response-body bytes; false stops the transfer.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let sink, (200..<300).contains(status) {
            return sink(bytes)
        }
        received.append(contentsOf: bytes)
        return true
    }
}

private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

private func context(_ userdata: UnsafeMutableRawPointer?) -> TransferContext {
    Unmanaged<TransferContext>.fromOpaque(userdata!).takeUnretainedValue()
}

private let transferWrite: lineage_curl_data_callback = { buffer, size, count, userdata in
    let total = size * count
    guard total > 0, let buffer else { return 0 }
    return context(userdata).write(UnsafeRawBufferPointer(start: buffer, count: total)) ? total : 0
}

private let transferHeader: lineage_curl_data_callback = { buffer, size, count, userdata in
    let total = size * count
    guard let buffer else { return total }
    context(userdata).header(line: UnsafeRawBufferPointer(start: buffer, count: total))
    return total
}

private let transferRead: lineage_curl_data_callback = { buffer, size, count, userdata in
    guard let buffer else { return 0 }
    guard let n = context(userdata).read(into: buffer, capacity: size * count) else {
        return lineage_curl_readfunc_abort()
    }
    return n
}

private let transferSeek: lineage_curl_seek_callback = { userdata, offset, origin in
    let ctx = context(userdata)
    guard origin == SEEK_SET, offset >= 0, UInt64(offset) <= ctx.bodyLength else { return lineage_curl_seekfunc_cantseek() }
    ctx.sent = UInt64(offset)
    return lineage_curl_seekfunc_ok()
}
