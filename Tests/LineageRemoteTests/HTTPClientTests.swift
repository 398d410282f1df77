import Foundation
import Testing
import LineageRemote
import LineageTestSupport

/// The HTTP layer on its own, against moto (which accepts unsigned requests).
@Suite(.enabled(if: motoAvailable, "needs moto_server (pip install 'moto[server]')"), .motoServer)
struct HTTPClientTests {
    @Test func fileSliceIsStreamedAndAnswersGoToASink() throws {
        let server = try moto()
        let bucket = try freshBucket(server)
        let bytes = pseudoRandomBytes(3_000_000, seed: 21)
        let path = try writeScratchFile(bytes)
        let client = HTTPClient()
        // Readable without a signature, so this test needs nothing but the HTTP layer.
        let put = try client.send(HTTPRequest(method: "PUT", url: "\(server.endpoint)/\(bucket)/slice",
                                              headers: [("x-amz-acl", "public-read")],
                                              body: .file(path: path, offset: 1_000_000, length: 1_500_000)))
        #expect(put.status == 200)
        #expect(put.header("etag") == "\"\(md5Hex(Array(bytes[1_000_000..<2_500_000])))\"")

        let received = Locked<[UInt8]>([])
        let get = try client.send(HTTPRequest(method: "GET", url: "\(server.endpoint)/\(bucket)/slice")) { piece in
            received.set(received.value + Array(piece)); return true
        }
        #expect(get.status == 200)
        #expect(get.body.isEmpty)
        #expect(digest(received.value) == digest(Array(bytes[1_000_000..<2_500_000])))

        // A non-2xx answer stays in the response, for its error message.
        let missing = try client.send(HTTPRequest(method: "GET", url: "\(server.endpoint)/\(bucket)/none")) { _ in
            Issue.record("the sink got an error body"); return true
        }
        #expect(missing.status == 404)
        #expect(String(decoding: missing.body, as: UTF8.self).contains("NoSuchKey"))

        // A sink that stops the transfer makes it fail.
        #expect(throws: HTTPTransportError.self) {
            try client.send(HTTPRequest(method: "GET", url: "\(server.endpoint)/\(bucket)/slice")) { _ in false }
        }
    }

    @Test func unreadableBodyFileIsALocalError() throws {
        let server = try moto()
        let client = HTTPClient()
        do {
            _ = try client.send(HTTPRequest(method: "PUT", url: "\(server.endpoint)/b/x", body: .file(path: "/nonexistent/file", offset: 0, length: 10)))
            Issue.record("sent a body from a missing file")
        } catch let error as RemoteError {
            #expect(error == .io(path: "/nonexistent/file", operation: "open", errno: ENOENT))
        }
        // A file shorter than the length promised: the transfer is stopped, not padded.
        let path = try writeScratchFile([1, 2, 3])
        #expect(throws: RemoteError.self) {
            try client.send(HTTPRequest(method: "PUT", url: "\(server.endpoint)/b/x", body: .file(path: path, offset: 0, length: 10)))
        }
    }

    @Test func manyThreadsShareOneStore() throws {
        let server = try moto()
        let store = try S3BlobStore(url: "s3://\(try freshBucket(server))/c", environment: server.clientEnvironment())
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            let bytes = pseudoRandomBytes(10_000 + i, seed: UInt64(100 + i))
            do {
                _ = try store.put("k/\(i)", bytes: bytes, ifAbsent: true)
                if try store.get("k/\(i)") != bytes { failures.set(failures.value + ["k/\(i) differs"]) }
            } catch {
                failures.set(failures.value + ["k/\(i): \(error)"])
            }
        }
        #expect(failures.value.isEmpty)
        #expect(store.statistics.requests == 64)
        #expect(try store.list(prefix: "k/", startAfter: nil).count == 32)
    }
}
