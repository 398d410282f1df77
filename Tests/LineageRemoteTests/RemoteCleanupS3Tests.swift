import Foundation
import Testing
import LineageCore
import LineageStore
import LineageTestSupport
import Crypto
@testable import LineageRemote

/// Erasure and gc against a real S3 server (moto), with a client nobody here wrote (boto3) to
/// turn versioning on and to look at every version left afterwards.
@Suite(.enabled(if: motoAvailable, "needs moto_server (pip install 'moto[server]')"), .motoServer)
struct RemoteCleanupS3Tests {
    func store(_ server: MotoServer, bucket: String, endpoint: String? = nil) throws -> S3BlobStore {
        var extra: [String: String] = [:]
        if let endpoint { extra["AWS_ENDPOINT_URL"] = endpoint }
        return try S3BlobStore(url: "s3://\(bucket)/lineage data", environment: server.clientEnvironment(extra: extra),
                               options: S3Options(backoffBase: 0.01, backoffCap: 0.05))
    }

    /// Turns versioning on (boto3), lists every version and delete marker under the prefix, and
    /// says which versions' bytes contain any of the given digests.
    static let versionsScript = #"""
import json, sys, boto3
c = json.load(sys.stdin)
s3 = boto3.client("s3", endpoint_url=c["endpoint"], aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
if c["enable"]:
    s3.put_bucket_versioning(Bucket=c["bucket"], VersioningConfiguration={"Status": "Enabled"})
    print(json.dumps({"status": s3.get_bucket_versioning(Bucket=c["bucket"]).get("Status")}))
    sys.exit(0)
needles = [bytes.fromhex(h) for h in c["digests"]]
versions, markers, mentioning = 0, [], []
for page in s3.get_paginator("list_object_versions").paginate(Bucket=c["bucket"], Prefix=c["prefix"]):
    for v in page.get("Versions", []):
        versions += 1
        body = s3.get_object(Bucket=c["bucket"], Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
        if any(n in body for n in needles):
            mentioning.append(v["Key"])
    markers += [m["Key"] for m in page.get("DeleteMarkers", [])]
print(json.dumps({"versions": versions, "markers": markers, "mentioning": mentioning}))
"""#

    /// PutBucketVersioning with our own client (the boto3 test checks the same through boto3).
    func enableVersioning(_ s: S3BlobStore) throws {
        let xml = Array(#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#.utf8)
        let md5 = Data(Insecure.MD5.hash(data: xml)).base64EncodedString()
        let response = try #require(try s.execute(S3BlobStore.S3Call(method: "PUT", key: nil, query: [("versioning", nil)],
                                                                      headers: [("Content-MD5", md5)], body: .bytes(xml), sha256: SigV4.sha256Hex(xml))))
        try #require(response.status == 200, "PutBucketVersioning answered \(response.status)")
        #expect(try s.versioning() == .enabled)
    }

    func boto3(_ input: [String: Any]) throws -> [String: Any] {
        let result = Python.run(["-c", Self.versionsScript], input: String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self))
        try #require(result.status == 0, "boto3 failed: \(result.error)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    }

    @Test(.enabled(if: boto3Available, "needs python3 with boto3"))
    func erasureOnAVersionedBucketLeavesNoVersionOfWhatHeldTheErasedObjects() throws {
        let server = try moto()
        let bucket = try freshBucket(server)
        let enabled = try boto3(["endpoint": server.endpoint, "bucket": bucket, "enable": true])
        #expect(enabled["status"] as? String == "Enabled")
        let s = try store(server, bucket: bucket)
        #expect(try s.versioning() == .enabled)

        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir, seed: 80)
        try scenario.upload(to: s, cache: dir.path + "/cache")
        // An older version of a pack holding an erased object (written twice).
        let index = try s.list(prefix: "index/", startAfter: nil).flatMap { try RemoteIndex.decode(s.get($0.key), key: $0.key, location: "s3").packs }
        let holder = try #require(index.first { $0.entries.contains { scenario.mixed.contains($0.digest) } })
        _ = try s.put(holder.key, bytes: try s.get(holder.key), ifAbsent: false)
        #expect(try s.versions(of: holder.key).count == 2)

        let report = try RemoteContent(store: s, cacheDirectory: dir.path + "/cache", options: tinyPacks()).erase(scenario.erased, jobs: 3)
        #expect(report.objectsRemoved == scenario.erased.count)
        // Every version of every pack and index object deleted, the extra one included.
        let deletedKeys = report.packsRewritten + report.packsDropped + report.indexObjectsDeleted
        #expect(report.versionsDeleted == deletedKeys + 1)   // and the older version
        #expect(try s.versions(of: holder.key).isEmpty)

        let seen = try boto3(["endpoint": server.endpoint, "bucket": bucket, "enable": false, "prefix": "lineage data/",
                              "digests": scenario.erased.map(\.hex)])
        #expect((seen["mentioning"] as? [String]) == [])
        #expect((seen["versions"] as? Int ?? 0) > 0)
        // No delete marker of a pack or an index object hides a version (the lease's are harmless).
        #expect(((seen["markers"] as? [String]) ?? []).filter { !$0.hasPrefix("lineage data/gc/") } == [])
        try expectServes(s, kept: scenario.kept, gone: scenario.erased, fixture: scenario.all, dir: dir)
    }

    /// Deletes refused (403 AccessDenied on DeleteObjects): the erasure says so before rewriting
    /// anything and stays pending; on a versioned bucket it names the permission for versions.
    /// Once allowed, the next run finishes.
    @Test(arguments: [false, true])
    func erasureWhereDeletesAreDeniedStaysPending(versioned: Bool) throws {
        let server = try moto()
        let bucket = try freshBucket(server)
        if versioned { try enableVersioning(try store(server, bucket: bucket)) }
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir, seed: versioned ? 83 : 81)
        try scenario.upload(to: try store(server, bucket: bucket), cache: dir.path + "/cache")
        let proxy = try FaultProxy(upstreamPort: server.port)
        defer { proxy.stop() }
        let denied = try store(server, bucket: bucket, endpoint: proxy.endpoint)
        let before = try denied.list(prefix: "", startAfter: nil).map(\.key).filter { !$0.hasPrefix("gc/") }
        // DeleteObjects is a POST.
        proxy.inject(.respond(status: 403, code: "AccessDenied"), method: "POST")
        let remote = RemoteContent(store: denied, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        let error = remoteCleanupError { try remote.erase(scenario.erased) }
        guard case .cannotDelete(_, let detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(detail.contains("403") && detail.contains("AccessDenied"))
        #expect(detail.contains("s3:DeleteObjectVersion") == versioned)
        #expect(try denied.list(prefix: "", startAfter: nil).map(\.key).filter { !$0.hasPrefix("gc/") } == before)
        try expectServes(denied, kept: scenario.all.digests, gone: [], fixture: scenario.all, dir: dir)

        let report = try remote.erase(scenario.erased)
        #expect(report.objectsRemoved == scenario.erased.count)
        try expectServes(denied, kept: scenario.kept, gone: scenario.erased, fixture: scenario.all, dir: dir)
    }

    /// An erasure killed at points spread over its run leaves the bucket readable; a rerun finishes.
    @Test func aKilledErasureOnS3IsFinishedByARerun() throws {
        let server = try moto()
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir, seed: 84)
        let original = try store(server, bucket: try freshBucket(server))
        try scenario.upload(to: original, cache: dir.path + "/cache-upload")
        let counting = DyingBlobStore(try store(server, bucket: try freshBucket(server)), after: .max)
        try copyObjects(from: original, to: counting.base)
        _ = try RemoteContent(store: counting, cacheDirectory: dir.path + "/cache-count", options: tinyPacks()).erase(scenario.erased, jobs: 1)
        let total = counting.calls
        for n in stride(from: 1, to: total, by: max(1, total / 10)) {
            let s = try store(server, bucket: try freshBucket(server))
            try copyObjects(from: original, to: s)
            let cache = dir.path + "/cache-\(n)"
            #expect(throws: (any Error).self) {
                try RemoteContent(store: DyingBlobStore(s, after: n), cacheDirectory: cache, options: tinyPacks(leaseDuration: 0)).erase(scenario.erased, jobs: 1)
            }
            try expectServes(s, kept: scenario.kept, gone: [], fixture: scenario.all, dir: dir)
            _ = try RemoteContent(store: s, cacheDirectory: cache, options: tinyPacks()).erase(scenario.erased, jobs: 1)
            try expectServes(s, kept: scenario.kept, gone: scenario.erased, fixture: scenario.all, dir: dir)
            #expect(try objectsMentioning(scenario.mixed.min()!, in: s).isEmpty, "killed after \(n) calls")
            #expect(try unnamedPacks(in: s).isEmpty, "killed after \(n) calls")
        }
    }

    @Test func gcWithAnUploadBetweenMarkAndSweep() throws {
        let server = try moto()
        let s = try store(server, bucket: try freshBucket(server))
        let dir = ScratchDir()
        let scenario = try GCScenario.make(dir, on: s, seed: 82)
        let gc = RemoteContent(store: s, cacheDirectory: dir.path + "/cache-gc", options: tinyPacks())
        let mark = try gc.gcMark(reachable: scenario.reachable, grace: 0)
        #expect(mark.garbageObjects == scenario.garbage.count)

        let pusher = RemoteContent(store: s, cacheDirectory: dir.path + "/cache-upload", options: tinyPacks())
        let sent = try pusher.upload(scenario.alone, from: scenario.local)
        #expect(sent.objects == scenario.alone.count)

        // The pusher has not moved its ref yet: the marked packs go, its own stay.
        let sweep = try gc.gcSweep(reachable: scenario.reachable)
        #expect(sweep.marksSwept == [mark.markKey!])
        #expect(sweep.objectsRemoved == scenario.halfGone.count)
        try expectServes(s, kept: scenario.reachable.union(scenario.alone), gone: scenario.halfGone, fixture: scenario.all, dir: dir)
        #expect(try RemoteContent(store: s, cacheDirectory: dir.path + "/cache-check").check(readPacks: true).isEmpty)
        #expect(try s.list(prefix: "gc/", startAfter: nil).isEmpty)
    }
}
