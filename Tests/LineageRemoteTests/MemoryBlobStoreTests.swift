import Foundation
import Testing
@testable import LineageRemote

/// The test double itself: what the damage tests rely on must do what it says.
@Suite struct MemoryBlobStoreTests {
    @Test func countsRequestsAndBytes() throws {
        let store = MemoryBlobStore()
        _ = try store.put("a", bytes: [1, 2, 3], ifAbsent: false)
        #expect(try store.put("a", bytes: [9], ifAbsent: true) == .alreadyPresent)
        #expect(try store.get("a") == [1, 2, 3])
        #expect(try store.get("a", ranges: [0..<1, 2..<3, 2..<10]) == [[1], [3], [3]])
        #expect(try store.head("a")?.size == 3)
        #expect(try store.list(prefix: "", startAfter: nil).map(\.key) == ["a"])
        let c = store.counts
        #expect(c[.put] == 2 && c[.get] == 1 && c[.rangeGet] == 3 && c[.head] == 1 && c[.list] == 1)
        #expect(c.bytesWritten == 3 && c.bytesRead == 3 + 3)
    }

    @Test func failsTheNthMatchingCall() throws {
        let store = MemoryBlobStore()
        store.failCall(2, of: [.put], keyPrefix: "packs/")
        _ = try store.put("index/x", bytes: [], ifAbsent: false)   // does not match
        _ = try store.put("packs/1", bytes: [], ifAbsent: false)   // first match
        #expect(throws: RemoteError.self) { try store.put("packs/2", bytes: [], ifAbsent: false) }
        _ = try store.put("packs/3", bytes: [], ifAbsent: false)   // a single failure
        #expect(store.keys == ["index/x", "packs/1", "packs/3"])
        store.failCall(1, of: [.get], andAfter: true, error: .denied(location: "memory://test", detail: "403"))
        for _ in 0..<3 { #expect(throws: RemoteError.denied(location: "memory://test", detail: "403")) { try store.get("packs/1") } }
        store.clearFaults()
        #expect(try store.get("packs/1") == [])
    }

    @Test func servesFlippedAndTruncatedObjects() throws {
        let store = MemoryBlobStore()
        _ = try store.put("k", bytes: [0, 0, 0, 0], ifAbsent: false)
        store.flipByte(of: "k", at: 2)
        #expect(try store.get("k") == [0, 0, 0xFF, 0])
        #expect(try store.get("k", ranges: [2..<4, 0..<2]) == [[0xFF, 0], [0, 0]])
        #expect(store.object("k") == [0, 0, 0, 0])
        store.clearFlips()
        let tag = try store.head("k")!.etag!
        store.truncate("k", to: 1)
        #expect(try store.get("k") == [0])
        #expect(try store.delete("k", ifMatch: tag) == false)   // truncation made a new object
        #expect(try store.delete("k", ifMatch: try store.head("k")!.etag!) == true)
        store.setExists(false)
        #expect(throws: RemoteError.noSuchStore(location: "memory://test")) { try store.list(prefix: "", startAfter: nil) }
    }
}
