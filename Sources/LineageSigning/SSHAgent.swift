import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A client of ssh-agent over its unix socket (draft-miller-ssh-agent): lists the keys the agent
/// holds and asks it to sign. The private keys never leave the agent, so keys on hardware (FIDO
/// `sk-` keys, PKCS#11 tokens) and keys whose files are protected by a passphrase sign alike.
///
/// Each request opens its own connection, as `ssh-add` and `ssh-keygen` do; nothing is cached.
public struct SSHAgent: Sendable {
    /// The socket path (`SSH_AUTH_SOCK`).
    public let socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// The agent named by `SSH_AUTH_SOCK`, or nil when it is unset or empty.
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["SSH_AUTH_SOCK"], !path.isEmpty else { return nil }
        self.init(socketPath: path)
    }

    // Message numbers (draft-miller-ssh-agent §6.1) and sign flags (§4.5.1).
    private static let failure: UInt8 = 5
    private static let requestIdentities: UInt8 = 11
    private static let identitiesAnswer: UInt8 = 12
    private static let signRequest: UInt8 = 13
    private static let signResponse: UInt8 = 14
    private static let rsaSHA2_512: UInt32 = 4
    /// OpenSSH's limit on an agent message (AGENT_MAX_LEN).
    private static let maximumMessage = 256 * 1024

    /// One key the agent holds: its wire blob and comment. `key` is nil for types lineage does not
    /// read (certificates, `sk-` keys, DSA); they are listed so that messages can count them.
    public struct Identity: Sendable {
        public let blob: [UInt8]
        public let comment: String
        public let key: SSHPublicKey?
    }

    /// The keys the agent holds (SSH_AGENTC_REQUEST_IDENTITIES).
    public func identities() throws -> [Identity] {
        let reply = try transact([Self.requestIdentities])
        let bad = SigningError.agent("the agent at \(socketPath) sent a malformed list of keys")
        var r = WireReader(reply, failure: bad)
        let type = try r.readBytes(1)[0]
        if type == Self.failure { throw SigningError.agent("the agent at \(socketPath) refused to list its keys") }
        guard type == Self.identitiesAnswer else { throw bad }
        let count = try r.readUInt32()
        var out: [Identity] = []
        for _ in 0..<count {
            let blob = try r.readString()
            let comment = String(decoding: try r.readString(), as: UTF8.self)
            out.append(Identity(blob: blob, comment: comment, key: try? SSHPublicKey(wire: blob)))
        }
        guard r.isAtEnd else { throw bad }
        return out
    }

    /// True when the agent holds `key`.
    public func holds(_ key: SSHPublicKey) throws -> Bool {
        try identities().contains { $0.key == key }
    }

    /// An SSH signature blob over `data` by `key` (SSH_AGENTC_SIGN_REQUEST), RSA with rsa-sha2-512.
    /// The agent may ask its user first (`ssh-add -c`, a touch on a hardware key); this waits.
    public func sign(_ data: [UInt8], with key: SSHPublicKey) throws -> [UInt8] {
        var w = WireWriter()
        w.raw([Self.signRequest])
        w.string(key.wire)
        w.string(data)
        w.uint32(key.algorithm == .rsa ? Self.rsaSHA2_512 : 0)
        let reply = try transact(w.bytes)
        let bad = SigningError.agent("the agent at \(socketPath) sent a malformed signature")
        var r = WireReader(reply, failure: bad)
        let type = try r.readBytes(1)[0]
        if type == Self.failure {
            throw SigningError.agent("the agent at \(socketPath) refused to sign with \(key.fingerprint) — the key was removed from it, or its confirmation (ssh-add -c) or touch was declined; check with `ssh-add -l` and load it again with `ssh-add KEYFILE`")
        }
        guard type == Self.signResponse else { throw bad }
        let signature = try r.readString()
        guard r.isAtEnd else { throw bad }
        return signature
    }

    /// Sends one request and reads its reply (both framed by a uint32 length).
    private func transact(_ request: [UInt8]) throws -> [UInt8] {
        let fd = try openConnection()
        defer { close(fd) }
        var framed = WireWriter()
        framed.string(request)
        try sendAll(fd, framed.bytes)
        let header = try receiveExactly(fd, count: 4)
        let length = Int(UInt32(header[0]) << 24 | UInt32(header[1]) << 16 | UInt32(header[2]) << 8 | UInt32(header[3]))
        guard length >= 1, length <= Self.maximumMessage else {
            throw SigningError.agent("the agent at \(socketPath) sent a reply of \(length) bytes, which is not an agent message")
        }
        return try receiveExactly(fd, count: length)
    }

    private func openConnection() throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else {
            throw SigningError.agent("SSH_AUTH_SOCK (\(socketPath)) is longer than a unix socket path may be (\(capacity - 1) bytes)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path)
            buffer[path.count] = 0
        }
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SigningError.agent("cannot create a socket: \(String(cString: strerror(errno)))") }
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let code = errno
            close(fd)
            throw SigningError.agent("cannot reach the agent at \(socketPath) (SSH_AUTH_SOCK): \(String(cString: strerror(code))) — start one with `eval $(ssh-agent)` and load your key with `ssh-add`, or unset SSH_AUTH_SOCK")
        }
        return fd
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: an agent that went away is an error here, not a SIGPIPE that ends lineage.
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, noSignal) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SigningError.agent("the agent at \(socketPath) went away: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    private func receiveExactly(_ fd: Int32, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = out[offset...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SigningError.agent("the agent at \(socketPath) went away: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw SigningError.agent("the agent at \(socketPath) closed the connection without answering") }
            offset += n
        }
        return out
    }
}

#if canImport(Glibc)
private let noSignal = Int32(MSG_NOSIGNAL)
#else
private let noSignal: Int32 = 0  // Darwin: SO_NOSIGPIPE is set on the socket instead
#endif

extension SSHAgent {
    /// A key held by an agent, as an `SSHSigner`.
    public struct Signer: SSHSigner {
        public let agent: SSHAgent
        public let publicKey: SSHPublicKey

        public init(agent: SSHAgent, publicKey: SSHPublicKey) {
            self.agent = agent
            self.publicKey = publicKey
        }

        public func signatureBlob(for data: [UInt8]) throws -> [UInt8] {
            try agent.sign(data, with: publicKey)
        }
    }
}
