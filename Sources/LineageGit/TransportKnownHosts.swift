import Crypto
import Foundation

/// OpenSSH's `known_hosts` (plain and hashed `|1|salt|hash` host names, `[host]:port` for ports
/// other than 22, `@revoked` markers), read to check an SSH server's host key.
public struct KnownHosts: Sendable {
    public enum Verdict: Sendable, Equatable { case match, unknown, changed }

    public let path: String
    public init(path: String) { self.path = path }

    /// Whether `key` (the raw SSH public-key blob) is a known key of `host` (and `port`).
    public func check(host: String, port: Int?, key: [UInt8]) -> Verdict {
        guard let data = FileManager.default.contents(atPath: path) else { return .unknown }
        let name = (port == nil || port == 22) ? host : "[\(host)]:\(port!)"
        let keyType = KnownHosts.keyType(of: key)
        var sawOtherKeyOfType = false
        for raw in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            var revoked = false
            if let marker = fields.first, marker.hasPrefix("@") {
                if marker == "@revoked" { revoked = true } else { continue }  // @cert-authority: not supported
                fields.removeFirst()
            }
            guard fields.count >= 3, KnownHosts.matches(patterns: fields[0], name: name),
                  let blob = Data(base64Encoded: fields[2]) else { continue }
            if revoked && Array(blob) == key { return .changed }
            if revoked { continue }
            if Array(blob) == key { return .match }
            if fields[1] == keyType { sawOtherKeyOfType = true }
        }
        return sawOtherKeyOfType ? .changed : .unknown
    }

    /// `SHA256:<base64>` as `ssh-keygen -l` prints it.
    public static func fingerprint(_ key: [UInt8]) -> String {
        var b64 = Data(SHA256.hash(data: key)).base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SHA256:" + b64
    }

    /// The key type string at the start of an SSH public-key blob (`ssh-ed25519`).
    static func keyType(of blob: [UInt8]) -> String {
        guard blob.count >= 4 else { return "" }
        let n = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard n > 0, blob.count >= 4 + n else { return "" }
        return String(decoding: blob[4..<(4 + n)], as: UTF8.self)
    }

    /// A comma-separated list of host patterns (`*`/`?` wildcards, `!` negation, hashed names).
    static func matches(patterns: String, name: String) -> Bool {
        if patterns.hasPrefix("|1|") {
            let parts = patterns.split(separator: "|", omittingEmptySubsequences: true)
            guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])),
                  let hash = Data(base64Encoded: String(parts[2])) else { return false }
            let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(name.utf8), using: SymmetricKey(data: salt))
            return Data(mac) == hash
        }
        var matched = false
        for pattern in patterns.split(separator: ",") {
            if pattern.hasPrefix("!") {
                if wildcard(String(pattern.dropFirst()), name) { return false }
            } else if wildcard(String(pattern), name) { matched = true }
        }
        return matched
    }

    static func wildcard(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.lowercased().utf8), t = Array(text.lowercased().utf8)
        func go(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == t.count }
            if p[i] == UInt8(ascii: "*") { return (j...t.count).contains { go(i + 1, $0) } }
            guard j < t.count else { return false }
            return (p[i] == UInt8(ascii: "?") || p[i] == t[j]) && go(i + 1, j + 1)
        }
        return go(0, 0)
    }
}
