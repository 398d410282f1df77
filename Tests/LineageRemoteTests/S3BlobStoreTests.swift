import Foundation
import Testing
import LineageRemote
import LineageTestSupport

let boto3Available: Bool = Python.run(["-c", "import boto3"]).status == 0

@Suite(.enabled(if: motoAvailable, "needs moto_server (pip install 'moto[server]')"), .motoServer)
struct S3BlobStoreTests {
    func store(_ server: MotoServer, bucket: String, prefix: String = "team data/ünï", options: S3Options = S3Options()) throws -> S3BlobStore {
        try S3BlobStore(url: "s3://\(bucket)/\(prefix)", environment: server.clientEnvironment(), options: options)
    }

    @Test func putGetHeadAndRanges() throws {
        let server = try moto()
        let s = try store(server, bucket: try freshBucket(server))
        let bytes = pseudoRandomBytes(100_000, seed: 1)
        let key = "packs/a b+c=é~(x).pack"
        guard case .written(let etag) = try s.put(key, bytes: bytes, ifAbsent: false) else { Issue.record("not written"); return }
        #expect(etag == md5Hex(bytes))
        #expect(digest(try s.get(key)) == digest(bytes))
        let info = try #require(try s.head(key))
        #expect(info.key == key && info.size == 100_000 && info.etag == etag)
        // The server's time of the write (moto runs here: the same clock, to the second).
        #expect(try #require(info.lastModified).timeIntervalSinceNow.magnitude < 120)
        let ranges: [Range<UInt64>] = [0..<3, 10..<20, 5..<5, 99_999..<100_000, 4096..<70_000]
        let parts = try s.get(key, ranges: ranges)
        #expect(parts.count == ranges.count)
        for (range, part) in zip(ranges, parts) {
            #expect(part == Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
        // Bytes past the end: the object is shorter than the caller believes.
        guard case .damaged(_, let k, _)? = remoteError({ try s.get(key, ranges: [99_990..<100_010]) }) else {
            Issue.record("a range past the end was not reported as damaged"); return
        }
        #expect(k == key)
        #expect(remoteError { try s.get("packs/missing.pack") } == .notFound(location: s.location, key: "packs/missing.pack"))
        #expect(remoteError { try s.get("packs/missing.pack", ranges: [0..<1]) } == .notFound(location: s.location, key: "packs/missing.pack"))
        #expect(try s.head("packs/missing.pack") == nil)
        // The empty object.
        _ = try s.put("empty", bytes: [], ifAbsent: false)
        #expect(try s.get("empty") == [])
        #expect(try s.head("empty")?.size == 0)
    }

    @Test func conditionalPutLeavesTheFirstWrite() throws {
        let server = try moto()
        let s = try store(server, bucket: try freshBucket(server))
        guard case .written = try s.put("index/1.idx", bytes: [1, 2, 3], ifAbsent: true) else { Issue.record("not written"); return }
        #expect(try s.put("index/1.idx", bytes: [9, 9], ifAbsent: true) == .alreadyPresent)
        #expect(try s.get("index/1.idx") == [1, 2, 3])
        let path = try writeScratchFile([7, 7, 7])
        #expect(try s.put("index/1.idx", file: path, ifAbsent: true) == .alreadyPresent)
        guard case .written = try s.put("index/1.idx", bytes: [4], ifAbsent: false) else { Issue.record("overwrite refused"); return }
        #expect(try s.get("index/1.idx") == [4])
    }

    @Test func fileIsStreamedInOnePutBelowTheThreshold() throws {
        let server = try moto()
        let s = try store(server, bucket: try freshBucket(server))
        let bytes = pseudoRandomBytes(3 << 20, seed: 2)
        let path = try writeScratchFile(bytes)
        guard case .written = try s.put("packs/one.pack", file: path, ifAbsent: true) else { Issue.record("not written"); return }
        #expect(digest(try s.get("packs/one.pack")) == digest(bytes))
        #expect(s.statistics.byMethod["PUT"] == 1)
        #expect(s.statistics.byMethod["POST"] == nil)
    }

    @Test func multipartUploadOfTwentyMiB() throws {
        let server = try moto()
        let options = S3Options(multipartThreshold: 8 << 20, partSize: 5 << 20)
        let s = try store(server, bucket: try freshBucket(server), options: options)
        let bytes = pseudoRandomBytes((20 << 20) + 123, seed: 3)
        let path = try writeScratchFile(bytes)
        guard case .written(let etag) = try s.put("packs/big.pack", file: path, ifAbsent: true) else { Issue.record("not written"); return }
        #expect(etag?.hasSuffix("-5") == true)
        #expect(s.statistics.byMethod["PUT"] == 5)   // five parts: 4 x 5 MiB + 123 bytes
        #expect(try s.head("packs/big.pack")?.size == UInt64(bytes.count))
        #expect(digest(try s.get("packs/big.pack")) == digest(bytes))
        #expect(try s.get("packs/big.pack", ranges: [(5 << 20) - 10..<(5 << 20) + 10]) == [Array(bytes[(5 << 20) - 10..<(5 << 20) + 10])])
        let before = s.statistics.byMethod["PUT"]
        #expect(try s.put("packs/big.pack", file: path, ifAbsent: true) == .alreadyPresent)
        #expect(s.statistics.byMethod["PUT"] == before)
    }

    @Test func listingPagesThroughMoreThanAThousandKeysAndDeletesInBatches() throws {
        let server = try moto()
        let bucket = try freshBucket(server)
        let s = try store(server, bucket: bucket, prefix: "p")
        let keys = (0..<1_105).map { String(format: "k/%05d", $0) }
        for key in keys { _ = try s.put(key, bytes: Array(key.utf8), ifAbsent: false) }
        _ = try s.put("other/x", bytes: [1], ifAbsent: false)
        // An object outside the store's prefix is never listed.
        _ = try S3BlobStore(url: "s3://\(bucket)/q", environment: server.clientEnvironment()).put("k/00001", bytes: [1], ifAbsent: false)

        let gets = s.statistics.byMethod["GET"] ?? 0
        let listed = try s.list(prefix: "k/", startAfter: nil)
        #expect(listed.map(\.key) == keys)
        #expect(listed[7].key == "k/00007" && listed[7].size == 7 && listed[7].etag == md5Hex(Array("k/00007".utf8)))
        #expect(try #require(listed[7].lastModified).timeIntervalSinceNow.magnitude < 600)
        #expect((s.statistics.byMethod["GET"] ?? 0) - gets == 2)
        #expect(try s.list(prefix: "k/", startAfter: "k/00999").map(\.key) == Array(keys[1000...]))
        #expect(try s.list(prefix: "", startAfter: nil).count == 1_106)
        // Smaller pages page more, and every page asked for at most 1,000 keys.
        let small = try store(server, bucket: bucket, prefix: "p", options: S3Options(listPageSize: 300))
        #expect(try small.list(prefix: "k/", startAfter: nil).map(\.key) == keys)
        #expect(small.statistics.byMethod["GET"] == 4)
        let listRequests = server.requestLog().filter { $0.contains("GET /\(bucket)?") && $0.contains("list-type=2") }
        #expect(!listRequests.isEmpty)
        #expect(listRequests.allSatisfy { $0.contains("max-keys=1000") || $0.contains("max-keys=300") })

        let posts = s.statistics.byMethod["POST"] ?? 0
        try s.delete(keys + ["k/never-was"])
        #expect((s.statistics.byMethod["POST"] ?? 0) - posts == 2)
        #expect(try s.list(prefix: "k/", startAfter: nil).isEmpty)
        #expect(try s.list(prefix: "", startAfter: nil).map(\.key) == ["other/x"])
        try s.delete([])
    }

    @Test func conditionalDeleteFollowsTheEntityTag() throws {
        let server = try moto()
        let s = try store(server, bucket: try freshBucket(server))
        _ = try s.put("gc/lock", bytes: [1], ifAbsent: false)
        let etag = try #require(try s.head("gc/lock")?.etag)
        #expect(try s.delete("gc/lock", ifMatch: "0123456789abcdef0123456789abcdef") == false)
        #expect(try s.head("gc/lock") != nil)
        #expect(try s.delete("gc/lock", ifMatch: etag) == true)
        #expect(try s.head("gc/lock") == nil)
        #expect(try s.delete("gc/lock", ifMatch: etag) == false)
    }

    @Test func missingBucketIsNoSuchStore() throws {
        let server = try moto()
        let s = try store(server, bucket: "never-created-\(UUID().uuidString.prefix(8).lowercased())")
        let expected = RemoteError.noSuchStore(location: s.location)
        #expect(remoteError { try s.get("x") } == expected)
        #expect(remoteError { try s.head("x") } == expected)
        #expect(remoteError { try s.list(prefix: "", startAfter: nil) } == expected)
        #expect(remoteError { try s.put("x", bytes: [1], ifAbsent: true) } == expected)
        #expect(remoteError { try s.delete(["x"]) } == expected)
        #expect(remoteError { try s.delete("x", ifMatch: "abc") } == expected)
    }

    @Test func closedPortIsUnreachable() throws {
        let server = try moto()
        let port = try LoopbackSocket.freePort()
        let s = try S3BlobStore(url: "s3://bucket/p", environment: server.clientEnvironment(extra: ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)"]),
                                options: S3Options(maxAttempts: 3, backoffBase: 0.01))
        guard case .unreachable(let location, let detail)? = remoteError({ try s.get("x") }) else {
            Issue.record("a closed port was not unreachable"); return
        }
        #expect(location == "s3://bucket/p")
        #expect(detail.contains("127.0.0.1:\(port)") && detail.lowercased().contains("connect"))
        #expect(s.statistics.requests == 3)
    }

    static let boto3Script = #"""
import hashlib, json, sys, boto3
c = json.load(sys.stdin)
s3 = boto3.client("s3", endpoint_url=c["endpoint"], aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
out = {}
for key in c["keys"]:
    body = s3.get_object(Bucket=c["bucket"], Key=key)["Body"].read()
    out[key] = hashlib.sha256(body).hexdigest()
listed = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=c["bucket"]) for o in p.get("Contents", [])]
s3.put_object(Bucket=c["bucket"], Key=c["theirs"], Body=b"written by boto3 \xc3\xa9")
print(json.dumps({"sha256": out, "listed": listed}))
"""#

    @Test(.enabled(if: boto3Available, "needs python3 with boto3")) func boto3SeesWhatWeWroteAndWeReadWhatItWrote() throws {
        let server = try moto()
        let bucket = try freshBucket(server)
        let s = try store(server, bucket: bucket, prefix: "x/y", options: S3Options(multipartThreshold: 6 << 20, partSize: 5 << 20))
        let small = pseudoRandomBytes(1234, seed: 5)
        let big = pseudoRandomBytes(11 << 20, seed: 6)
        _ = try s.put("packs/small é.pack", bytes: small, ifAbsent: true)
        _ = try s.put("packs/big.pack", file: try writeScratchFile(big), ifAbsent: true)
        let input: [String: Any] = ["endpoint": server.endpoint, "bucket": bucket,
                                    "keys": ["x/y/packs/small é.pack", "x/y/packs/big.pack"], "theirs": "x/y/theirs/ü.txt"]
        let result = Python.run(["-c", Self.boto3Script], input: String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self))
        try #require(result.status == 0, "boto3 failed: \(result.error)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let digests = try #require(answer["sha256"] as? [String: String])
        #expect(digests["x/y/packs/small é.pack"] == SigV4.sha256Hex(small))
        #expect(digests["x/y/packs/big.pack"] == SigV4.sha256Hex(big))
        #expect((answer["listed"] as? [String])?.sorted() == ["x/y/packs/big.pack", "x/y/packs/small é.pack"])
        #expect(try s.get("theirs/ü.txt") == Array("written by boto3 é".utf8))
    }
}
