import Foundation
import Testing
import LineageRemote
import LineageTestSupport

/// Transfers through a proxy that cuts connections, answers 503 and stalls: each ends with the
/// right bytes, having retried.
@Suite(.enabled(if: motoAvailable, "needs moto_server (pip install 'moto[server]')"), .motoServer)
struct S3FaultTests {
    /// A store that talks to the suite's moto through a fresh proxy, with quick back-off and a
    /// one-second stall limit so the tests do not wait long.
    func storeBehindProxy() throws -> (S3BlobStore, FaultProxy) {
        let server = try moto()
        let bucket = try freshBucket(server)
        let proxy = try FaultProxy(upstreamPort: server.port)
        let options = S3Options(maxAttempts: 5, backoffBase: 0.02, backoffCap: 0.1,
                                timeouts: HTTPTimeouts(connect: 5, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 1),
                                multipartThreshold: 8 << 20, partSize: 5 << 20)
        let store = try S3BlobStore(url: "s3://\(bucket)/pre",
                                    environment: server.clientEnvironment(extra: ["AWS_ENDPOINT_URL": proxy.endpoint]), options: options)
        return (store, proxy)
    }

    @Test func status503OnceThenSuccess() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        let bytes = pseudoRandomBytes(50_000, seed: 11)
        proxy.inject(.status503, method: "PUT")
        guard case .written = try s.put("packs/a.pack", bytes: bytes, ifAbsent: true) else { Issue.record("not written"); return }
        proxy.inject(.status503, method: "GET")
        #expect(digest(try s.get("packs/a.pack")) == digest(bytes))
        #expect(proxy.appliedFaults == [.status503, .status503])
        #expect(s.statistics.retries >= 2)
    }

    @Test func connectionDroppedMidResponseBodyThenSuccess() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        let bytes = pseudoRandomBytes(1 << 20, seed: 12)
        _ = try s.put("packs/b.pack", bytes: bytes, ifAbsent: false)
        proxy.inject(.dropResponse(afterBodyBytes: 300_000), method: "GET")
        #expect(digest(try s.get("packs/b.pack")) == digest(bytes))
        proxy.inject(.dropResponse(afterBodyBytes: 1000), method: "GET")
        #expect(try s.get("packs/b.pack", ranges: [1000..<900_000]).map(digest) == [digest(Array(bytes[1000..<900_000]))])
        #expect(proxy.appliedFaults.count == 2)
        #expect(proxy.pendingFaults == 0)
    }

    @Test func connectionDroppedMidRequestBodyThenSuccess() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        let bytes = pseudoRandomBytes(2 << 20, seed: 13)
        proxy.inject(.dropRequest(afterBodyBytes: 100_000), method: "PUT")
        guard case .written = try s.put("packs/c.pack", file: try writeScratchFile(bytes), ifAbsent: true) else {
            Issue.record("not written"); return
        }
        #expect(digest(try s.get("packs/c.pack")) == digest(bytes))
        #expect(proxy.appliedFaults == [.dropRequest(afterBodyBytes: 100_000)])
        // The conditional write looked before writing again.
        #expect((s.statistics.byMethod["HEAD"] ?? 0) >= 1)
    }

    @Test func lostAnswerOfAConditionalPutIsSettledByHead() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        let bytes = pseudoRandomBytes(10_000, seed: 14)
        // The write reaches the server, its answer never reaches the client.
        proxy.inject(.loseAnswer, method: "PUT")
        #expect(try s.put("index/x.idx", bytes: bytes, ifAbsent: true) == .written(etag: md5Hex(bytes)))
        #expect(s.statistics.byMethod["PUT"] == 1)
        #expect(s.statistics.byMethod["HEAD"] == 1)
        #expect(digest(try s.get("index/x.idx")) == digest(bytes))
    }

    @Test func stalledAnswerTimesOutAndIsRetried() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        let bytes = pseudoRandomBytes(300_000, seed: 16)
        _ = try s.put("packs/e.pack", bytes: bytes, ifAbsent: false)
        // Nothing arrives for longer than the one-second low-speed limit.
        proxy.inject(.delay(seconds: 3), method: "GET")
        #expect(digest(try s.get("packs/e.pack")) == digest(bytes))
        #expect(proxy.appliedFaults == [.delay(seconds: 3)])
        #expect(s.statistics.byMethod["GET"] == 2)
    }

    @Test func multipartPartDroppedThenSuccess() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        let bytes = pseudoRandomBytes((12 << 20) + 7, seed: 15)
        proxy.inject(.dropRequest(afterBodyBytes: 1 << 20), method: "PUT")
        proxy.inject(.status503, method: "POST")   // the creation of the upload
        guard case .written = try s.put("packs/d.pack", file: try writeScratchFile(bytes), ifAbsent: false) else {
            Issue.record("not written"); return
        }
        #expect(digest(try s.get("packs/d.pack")) == digest(bytes))
        #expect(proxy.appliedFaults.count == 2)
    }

    @Test func failedMultipartUploadIsAborted() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        let bytes = pseudoRandomBytes((10 << 20) + 1, seed: 17)
        proxy.inject(.respond(status: 403, code: "AccessDenied"), method: "PUT")
        guard case .denied? = remoteError({ try s.put("packs/f.pack", file: try writeScratchFile(bytes), ifAbsent: true) }) else {
            Issue.record("a refused part did not fail the upload"); return
        }
        let aborts = proxy.requestLines.filter { $0.hasPrefix("DELETE ") && $0.contains("/pre/packs/f.pack?uploadId=") }
        #expect(aborts.count == 1)
        #expect(try s.head("packs/f.pack") == nil)
    }

    @Test func listAndDeleteRetry() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        for i in 0..<5 { _ = try s.put("k/\(i)", bytes: [UInt8(i)], ifAbsent: false) }
        proxy.inject(.dropResponse(afterBodyBytes: 100), method: "GET")
        #expect(try s.list(prefix: "k/", startAfter: nil).map(\.key) == (0..<5).map { "k/\($0)" })
        proxy.inject(.status503, method: "POST")
        try s.delete(["k/0", "k/1"])
        #expect(try s.list(prefix: "k/", startAfter: nil).map(\.key) == ["k/2", "k/3", "k/4"])
        #expect(proxy.appliedFaults.count == 2)
    }

    @Test func refusedCredentialsAreDeniedWithoutRetrying() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        proxy.inject(.respond(status: 403, code: "InvalidAccessKeyId"))
        guard case .denied(let location, let detail)? = remoteError({ try s.put("k/x", bytes: [1], ifAbsent: true) }) else {
            Issue.record("a 403 was not denied"); return
        }
        #expect(location == s.location)
        #expect(detail.contains("403") && detail.contains("InvalidAccessKeyId"))
        #expect(s.statistics.requests == 1)
    }

    @Test func answersCutShortEveryTimeAreDamaged() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        _ = try s.put("packs/g.pack", bytes: pseudoRandomBytes(100_000, seed: 18), ifAbsent: false)
        for _ in 0..<5 { proxy.inject(.dropResponse(afterBodyBytes: 50_000), method: "GET") }
        guard case .damaged(_, let key, _)? = remoteError({ try s.get("packs/g.pack") }) else {
            Issue.record("five short answers were not damaged"); return
        }
        #expect(key == "packs/g.pack")
        #expect(proxy.pendingFaults == 0)
    }

    @Test func persistent503EndsUnreachable() throws {
        let (s, proxy) = try storeBehindProxy()
        defer { proxy.stop() }
        for _ in 0..<5 { proxy.inject(.status503, method: "GET") }
        guard case .unreachable(_, let detail)? = remoteError({ try s.get("k/none") }) else {
            Issue.record("five 503s did not end unreachable"); return
        }
        #expect(detail.contains("503"))
        #expect(s.statistics.requests == 5)
    }
}
