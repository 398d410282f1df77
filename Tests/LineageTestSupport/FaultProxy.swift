import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on 127.0.0.1 in front of an HTTP/1.1 server (moto) that misbehaves on command:
/// each queued fault applies to the next request that matches it, in order; other requests pass
/// through unchanged. Every request is forwarded on its own upstream connection with
/// `Connection: close`, so one client connection carries one request.
public final class FaultProxy: @unchecked Sendable {
    public enum Fault: Sendable, Equatable {
        /// Answer with this status and S3 error code without forwarding the request.
        case respond(status: Int, code: String)
        /// Forward the request, then cut the connection after this many bytes of the response body.
        case dropResponse(afterBodyBytes: Int)
        /// Read this many bytes of the request body, then cut the connection (nothing is forwarded).
        case dropRequest(afterBodyBytes: Int)
        /// Forward the request, let the server answer, and cut the connection without passing
        /// on a byte of the answer (the write happened, the client never learns it).
        case loseAnswer
        /// Wait this long before forwarding the answer.
        case delay(seconds: Double)
    }

    public let port: UInt16
    public let endpoint: String
    private let upstreamPort: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var faults: [(fault: Fault, method: String?)] = []
    private var applied: [Fault] = []
    private var requests: [String] = []
    private var stopped = false

    /// Listens on a free port and forwards to 127.0.0.1:`upstreamPort`.
    public init(upstreamPort: UInt16) throws {
        self.upstreamPort = upstreamPort
        listener = try LoopbackSocket.listen(port: 0)
        port = try LoopbackSocket.port(of: listener)
        endpoint = "http://127.0.0.1:\(port)"
        let thread = Thread { [unowned self] in self.acceptLoop() }
        thread.start()
    }

    /// Queues `fault` for the next request with `method` (any method when nil).
    public func inject(_ fault: Fault, method: String? = nil) {
        lock.withLock { faults.append((fault, method?.uppercased())) }
    }

    /// Faults that have been applied so far, in order.
    public var appliedFaults: [Fault] { lock.withLock { applied } }
    /// Faults still waiting for a request.
    public var pendingFaults: Int { lock.withLock { faults.count } }
    /// Request lines seen (`PUT /bucket/key HTTP/1.1`), faulted ones included.
    public var requestLines: [String] { lock.withLock { requests } }

    public func stop() {
        let first = lock.withLock { () -> Bool in defer { stopped = true }; return !stopped }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            if lock.withLock({ stopped }) { close(client); return }
            Thread { [self] in self.serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        // The request head.
        var buffer: [UInt8] = []
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int? = nil
        while headEnd == nil {
            let chunk = LoopbackSocket.readSome(client)
            if chunk.isEmpty { return }
            buffer += chunk
            headEnd = Self.find(separator, in: buffer)
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.first ?? ""
        let method = String(requestLine.split(separator: " ").first ?? "").uppercased()
        var contentLength = 0
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        var body = Array(buffer[(headEnd! + 4)...])
        let fault: Fault? = lock.withLock {
            requests.append(requestLine)
            guard let i = faults.firstIndex(where: { $0.method == nil || $0.method == method }) else { return nil }
            let f = faults.remove(at: i).fault
            applied.append(f)
            return f
        }
        if case .dropRequest(let n) = fault {
            while body.count < min(n, contentLength) {
                let chunk = LoopbackSocket.readSome(client)
                if chunk.isEmpty { break }
                body += chunk
            }
            shutdown(client, Int32(SHUT_RDWR))
            return
        }
        while body.count < contentLength {
            let chunk = LoopbackSocket.readSome(client)
            if chunk.isEmpty { return }
            body += chunk
        }
        if case .respond(let status, let code) = fault {
            let xml = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>injected by FaultProxy</Message></Error>".utf8)
            let head = "HTTP/1.1 \(status) Injected\r\nContent-Type: application/xml\r\nContent-Length: \(xml.count)\r\nConnection: close\r\n\r\n"
            LoopbackSocket.writeAll(client, Array(head.utf8)[...])
            LoopbackSocket.writeAll(client, xml[...])
            return
        }
        // Forward on a fresh upstream connection that closes after its answer.
        lines = lines.filter { !$0.lowercased().hasPrefix("connection:") }
        lines.append("Connection: close")
        guard let upstream = try? LoopbackSocket.connect(port: upstreamPort) else { return }
        defer { close(upstream) }
        guard LoopbackSocket.writeAll(upstream, Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)[...]),
              LoopbackSocket.writeAll(upstream, body[...]) else { return }
        if case .delay(let seconds) = fault { usleep(useconds_t(seconds * 1_000_000)) }
        if fault == .loseAnswer {
            // Wait for the server's whole answer, so the request has surely taken effect.
            while !LoopbackSocket.readSome(upstream).isEmpty {}
            shutdown(client, Int32(SHUT_RDWR))
            return
        }
        var limit: Int? = nil
        if case .dropResponse(let n) = fault { limit = n }
        var answerHeadEnd: Int? = nil
        var pending: [UInt8] = []
        var forwardedBody = 0
        while true {
            let chunk = LoopbackSocket.readSome(upstream)
            if chunk.isEmpty { return }
            guard let limit else {
                if !LoopbackSocket.writeAll(client, chunk[...]) { return }
                continue
            }
            if answerHeadEnd == nil {
                pending += chunk
                guard let end = Self.find(separator, in: pending) else { continue }
                answerHeadEnd = end
                let bodyStart = end + 4
                let take = min(pending.count - bodyStart, limit)
                LoopbackSocket.writeAll(client, pending[0..<(bodyStart + take)])
                forwardedBody = take
            } else {
                let take = min(chunk.count, limit - forwardedBody)
                LoopbackSocket.writeAll(client, chunk[0..<take])
                forwardedBody += take
            }
            if forwardedBody >= limit {
                shutdown(client, Int32(SHUT_RDWR))
                return
            }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

extension FaultProxy.Fault {
    /// `503 SlowDown`, what S3 answers when it is overloaded.
    public static var status503: Self { .respond(status: 503, code: "SlowDown") }
}
