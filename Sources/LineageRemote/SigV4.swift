import Foundation
import Crypto

/// AWS Signature Version 4 for S3 requests (header form), over swift-crypto's HMAC-SHA256.
///
/// The path is given already encoded (`SigV4.encodePath`) and used verbatim as the canonical
/// URI, as S3 wants (no normalisation, no double encoding); the query is given raw and
/// encoded here, so the URL sent (`SigV4.queryString`) and the string signed
/// (`SigV4.canonicalQuery`) always agree.
public struct SigV4: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials; self.region = region; self.service = service
    }

    /// Headers a signer never signs (proxies and clients may change them), as botocore does.
    static let unsignedHeaders: Set<String> = ["expect", "transfer-encoding", "user-agent", "x-amzn-trace-id", "authorization"]

    /// The headers to send: `headers` plus `X-Amz-Date`, `X-Amz-Content-SHA256`,
    /// `X-Amz-Security-Token` (session credentials) and `Authorization`. Any of those four in
    /// `headers` is replaced. `host` is the URL's host with its port when not the scheme's default.
    public func sign(method: String, host: String, encodedPath: String, query: [(name: String, value: String?)],
                     headers: [(name: String, value: String)], payloadSHA256: String, date: Date) -> [(name: String, value: String)] {
        let replaced: Set<String> = ["x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "authorization"]
        var out = headers.filter { !replaced.contains($0.name.lowercased()) }
        let stamp = Self.timestamp(date)
        out.append(("X-Amz-Date", stamp))
        out.append(("X-Amz-Content-SHA256", payloadSHA256))
        if let token = credentials.sessionToken { out.append(("X-Amz-Security-Token", token)) }

        // Canonical headers: lower-case names, values trimmed with inner runs of spaces folded,
        // several values of one name joined with commas, sorted by name.
        var byName: [String: [String]] = [:]
        var hasHost = false
        for (name, value) in out {
            let lower = name.lowercased()
            if Self.unsignedHeaders.contains(lower) { continue }
            if lower == "host" { hasHost = true }
            byName[lower, default: []].append(Self.foldSpaces(value))
        }
        if !hasHost { byName["host"] = [host] }
        let names = byName.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            method.uppercased(), encodedPath, Self.canonicalQuery(query), canonicalHeaders, signedHeaders, payloadSHA256,
        ].joined(separator: "\n")
        let day = String(stamp.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")

        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        out.append(("Authorization",
                    "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return out
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    /// Percent-encodes the UTF-8 bytes of `text` except the unreserved `A-Z a-z 0-9 - . _ ~`
    /// (and `/` when `keepSlash`), upper-case hex, as SigV4 requires.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let hexDigits = Array("0123456789ABCDEF")
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out.append("%")
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// An S3 path (`/bucket/key`) encoded segment by segment; slashes kept, never normalised.
    public static func encodePath(_ path: String) -> String { encode(path, keepSlash: true) }

    private static func encodedSorted(_ query: [(name: String, value: String?)]) -> [(name: String, value: String?)] {
        query.map { (encode($0.name, keepSlash: false), $0.value.map { encode($0, keepSlash: false) }) }
            .sorted { a, b in
                a.name != b.name ? a.name < b.name : (a.value ?? "") < (b.value ?? "")
            }
    }

    /// The canonical query string: names and values encoded, sorted by name then value,
    /// a parameter without value (`?uploads`) as `uploads=`.
    public static func canonicalQuery(_ query: [(name: String, value: String?)]) -> String {
        encodedSorted(query).map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&")
    }

    /// The query as sent in the URL (without `?`): the same order and encoding as the canonical
    /// query, a parameter without value written bare (`uploads`).
    public static func queryString(_ query: [(name: String, value: String?)]) -> String {
        encodedSorted(query).map { item in item.value.map { "\(item.name)=\($0)" } ?? item.name }.joined(separator: "&")
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    /// SHA-256 of the payload of an empty body.
    public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef")
        var out = ""
        for byte in digest {
            out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 0xF)])
        }
        return out
    }

    static func foldSpaces(_ value: String) -> String {
        value.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
