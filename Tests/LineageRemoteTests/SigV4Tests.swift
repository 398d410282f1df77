import Foundation
import Testing
import LineageRemote

/// python3 with botocore, the reference the signer is checked against.
let botocoreAvailable: Bool = Python.run(["-c", "import botocore.auth"]).status == 0

/// Runs python3 with `arguments`, feeding `input`; its status and standard output.
enum Python {
    static func run(_ arguments: [String], input: String = "", environment: [String: String]? = nil) -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        if let environment { process.environment = environment }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { return (-1, "", "\(error)") }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        // Read both pipes before waiting so a large output cannot block the child.
        let errorData = Locked<Data>(Data())
        let errorReader = Thread { errorData.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        errorReader.start()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.done { usleep(1000) }
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: errorData.value, as: UTF8.self))
    }
}

final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    private var isSet = false
    init(_ value: T) { stored = value }
    func set(_ value: T) { lock.withLock { stored = value; isSet = true } }
    var value: T { lock.withLock { stored } }
    var done: Bool { lock.withLock { isSet } }
}

@Suite struct SigV4Tests {
    /// AWS's own worked example ("Example: GET Object" in the SigV4 header documentation).
    @Test func awsDocumentationExampleGetObject() {
        let signer = SigV4(credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                       secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                           region: "us-east-1")
        let headers = signer.sign(method: "GET", host: "examplebucket.s3.amazonaws.com", encodedPath: "/test.txt", query: [],
                                  headers: [("Range", "bytes=0-9")], payloadSHA256: SigV4.emptyPayloadSHA256,
                                  date: Date(timeIntervalSince1970: 1_369_353_600))
        let authorization = headers.first { $0.name == "Authorization" }?.value
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers.contains { $0.name == "X-Amz-Date" && $0.value == "20130524T000000Z" })
    }

    @Test func encodingKeepsOnlyUnreservedBytes() {
        #expect(SigV4.encodePath("/b/a b+c=é~(x).pack") == "/b/a%20b%2Bc%3D%C3%A9~%28x%29.pack")
        #expect(SigV4.encode("1/x+y=", keepSlash: false) == "1%2Fx%2By%3D")
        #expect(SigV4.canonicalQuery([("uploads", nil)]) == "uploads=")
        #expect(SigV4.queryString([("uploads", nil)]) == "uploads")
        #expect(SigV4.canonicalQuery([("prefix", "a b"), ("list-type", "2"), ("max-keys", "1000")]) == "list-type=2&max-keys=1000&prefix=a%20b")
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var method: String
        var scheme = "http"
        var host = "127.0.0.1:9000"
        var path: String
        var query: [(name: String, value: String?)] = []
        var headers: [(name: String, value: String)] = []
        var body: [UInt8] = []
        var token: String? = nil
        var region = "us-east-1"
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "GET with query and range", method: "GET", path: "/bucket/packs/ab.pack",
             query: [("versionId", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"), ("response-content-type", "application/octet-stream")],
             headers: [("Range", "bytes=100-199")]),
        Case(name: "PUT with body", method: "PUT", path: "/bucket/prefix/packs/ab cd.pack",
             headers: [("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), ("If-None-Match", "*"), ("Content-Type", "application/octet-stream")],
             body: Array("hello, packs\n".utf8)),
        Case(name: "list with continuation token and unicode prefix", method: "GET", path: "/bucket",
             query: [("list-type", "2"), ("prefix", "dir with spaces/ünïcödé/"), ("max-keys", "1000"), ("encoding-type", "url"),
                     ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")]),
        Case(name: "value-less uploads on an odd key", method: "POST", path: "/bucket/a b+c=é~(x)/ü.pack",
             query: [("uploads", nil)], headers: [("Content-Type", "application/octet-stream")]),
        Case(name: "session token over https", method: "DELETE", scheme: "https", host: "s3.eu-west-1.amazonaws.com",
             path: "/bucket/gc/lock", headers: [("If-Match", "\"9b2cf535f27731c974343645a3985328\"")],
             token: "FwoGZXIvYXdzEBYaDH+session/token==", region: "eu-west-1"),
        Case(name: "delete batch with folded header spaces", method: "POST", path: "/bucket",
             query: [("delete", nil)], headers: [("Content-MD5", "abc=="), ("X-Amz-Meta-Note", "  two   spaces  ")],
             body: Array("<Delete><Object><Key>a</Key></Object></Delete>".utf8)),
    ]

    static let botocoreScript = #"""
import json, sys, datetime
from unittest import mock
from urllib.parse import quote
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
c = json.load(sys.stdin)
path = quote(c["path"], safe="/~")
query = "&".join(quote(k, safe="-_.~") + ("" if v is None else "=" + quote(v, safe="-_.~")) for k, v in c["query"])
url = c["scheme"] + "://" + c["host"] + path + ("?" + query if query else "")
request = AWSRequest(method=c["method"], url=url, headers=dict(c["headers"]), data=bytes.fromhex(c["body"]))
auth = S3SigV4Auth(Credentials(c["access"], c["secret"], c["token"]), "s3", c["region"])
with mock.patch("botocore.auth.get_current_datetime", return_value=datetime.datetime(2026, 12, 5, 12, 34, 56)):
    auth.add_auth(request)
print(path)
print(request.headers["Authorization"])
"""#

    @Test(.enabled(if: botocoreAvailable, "needs python3 with botocore"), arguments: cases)
    func authorizationMatchesBotocore(_ c: Case) throws {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: c.token)
        let input: [String: Any] = [
            "method": c.method, "scheme": c.scheme, "host": c.host, "path": c.path,
            "query": c.query.map { [$0.name, $0.value as Any] }, "headers": c.headers.map { [$0.name, $0.value] },
            "body": c.body.map { String(format: "%02x", $0) }.joined(), "access": credentials.accessKeyID,
            "secret": credentials.secretAccessKey, "token": c.token as Any, "region": c.region,
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self)
        let result = Python.run(["-c", Self.botocoreScript], input: json)
        try #require(result.status == 0, "botocore failed: \(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        try #require(lines.count == 2)

        let encodedPath = SigV4.encodePath(c.path)
        #expect(encodedPath == lines[0])
        let hostHeader = c.scheme == "https" && c.host.hasSuffix(":443") ? String(c.host.dropLast(4)) : c.host
        let signed = SigV4(credentials: credentials, region: c.region)
            .sign(method: c.method, host: hostHeader, encodedPath: encodedPath, query: c.query, headers: c.headers,
                  payloadSHA256: SigV4.sha256Hex(c.body), date: Date(timeIntervalSince1970: 1_796_474_096))
        #expect(SigV4.timestamp(Date(timeIntervalSince1970: 1_796_474_096)) == "20261205T123456Z")
        #expect(signed.first { $0.name == "Authorization" }?.value == lines[1])
    }
}
