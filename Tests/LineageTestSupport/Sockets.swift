import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small blocking-socket helpers for test servers and proxies on 127.0.0.1.
public enum LoopbackSocket {
    /// A TCP port on 127.0.0.1 that was free a moment ago (bound with port 0, then released).
    public static func freePort() throws -> UInt16 {
        let fd = try listen(port: 0)
        defer { close(fd) }
        return try port(of: fd)
    }

    /// A listening socket on 127.0.0.1:`port` (0: any free port).
    public static func listen(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { let e = errno; close(fd); throw SocketError("bind 127.0.0.1:\(port)", e) }
        guard Glibc.listen(fd, 64) == 0 else { let e = errno; close(fd); throw SocketError("listen", e) }
        return fd
    }

    /// The local port a socket is bound to.
    public static func port(of fd: Int32) throws -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { throw SocketError("getsockname", errno) }
        return UInt16(bigEndian: address.sin_port)
    }

    /// A socket connected to 127.0.0.1:`port`.
    public static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", errno) }
        var address = loopback(port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { let e = errno; close(fd); throw SocketError("connect 127.0.0.1:\(port)", e) }
        return fd
    }

    /// Writes all of `bytes`; false when the peer went away.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var done = bytes.startIndex
        while done < bytes.endIndex {
            let n = bytes[done...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; return false }
            done += n
        }
        return true
    }

    /// Reads what is available (blocking for at least one byte); empty at end of stream or on error.
    public static func readSome(_ fd: Int32, max: Int = 1 << 16) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
            if n < 0 && errno == EINTR { continue }
            return n > 0 ? Array(buffer[0..<n]) : []
        }
    }

    /// One HTTP/1.1 request with `Connection: close`; the status code, or nil when nothing answered.
    public static func httpStatus(port: UInt16, method: String, path: String, body: [UInt8] = []) -> Int? {
        guard let fd = try? connect(port: port) else { return nil }
        defer { close(fd) }
        let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        guard writeAll(fd, Array(head.utf8)[...]), writeAll(fd, body[...]) else { return nil }
        var answer: [UInt8] = []
        while true {
            let chunk = readSome(fd)
            if chunk.isEmpty { break }
            answer += chunk
        }
        let text = String(decoding: answer.prefix(64), as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2)
        return parts.count > 1 ? Int(parts[1]) : nil
    }

    private static func loopback(_ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

public struct SocketError: Error, CustomStringConvertible {
    public let description: String
    init(_ call: String, _ code: Int32) { description = "\(call): \(String(cString: strerror(code)))" }
}
