import Foundation
import Testing
import LineageCore
@testable import LineageRemote
#if canImport(Glibc)
import Glibc
#endif

@Suite struct DirectoryBlobStoreTests {
    @Test func aMissingRootIsNoSuchStore() throws {
        let dir = ScratchDir()
        let store = DirectoryBlobStore(root: dir.path + "/not-there")
        let expected = RemoteError.noSuchStore(location: dir.path + "/not-there")
        #expect(throws: expected) { try store.put("a/b", bytes: [1], ifAbsent: false) }
        #expect(throws: expected) { try store.put("a/b", bytes: [1], ifAbsent: true) }
        #expect(throws: expected) { try store.get("a/b") }
        #expect(throws: expected) { try store.get("a/b", ranges: [0..<1]) }
        #expect(throws: expected) { try store.head("a/b") }
        #expect(throws: expected) { try store.list(prefix: "", startAfter: nil) }
        #expect(throws: expected) { try store.delete(["a/b"]) }
        #expect(throws: expected) { try store.delete("a/b", ifMatch: "x") }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/not-there"))
    }

    @Test func writesReadsAndRanges() throws {
        let dir = ScratchDir()
        let store = DirectoryBlobStore(root: dir.subdirectory("remote") + "/")
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        #expect(try store.put("packs/x.pack", bytes: bytes, ifAbsent: false) != .alreadyPresent)
        #expect(try store.get("packs/x.pack") == bytes)
        let parts = try store.get("packs/x.pack", ranges: [10..<20, 0..<1, 990..<1000, 995..<1010, 2000..<2001])
        #expect(parts == [Array(bytes[10..<20]), [bytes[0]], Array(bytes[990..<1000]), Array(bytes[995..<1000]), []])
        let info = try #require(try store.head("packs/x.pack"))
        #expect(info.size == 1000 && info.key == "packs/x.pack" && info.etag != nil)
        #expect(try store.head("packs/y.pack") == nil)
        #expect(throws: RemoteError.notFound(location: store.location, key: "packs/y.pack")) { try store.get("packs/y.pack") }
        #expect(throws: RemoteError.notFound(location: store.location, key: "nope/y.pack")) { try store.get("nope/y.pack", ranges: [0..<1]) }
        // Replacing a key makes a new object (and a new entity tag).
        _ = try store.put("packs/x.pack", bytes: [9], ifAbsent: false)
        #expect(try store.get("packs/x.pack") == [9])
        #expect(try store.head("packs/x.pack")?.etag != info.etag)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/remote/packs") == ["x.pack"])
    }

    @Test func ifAbsentKeepsTheFirstObject() throws {
        let dir = ScratchDir()
        let store = DirectoryBlobStore(root: dir.subdirectory("remote"))
        guard case .written = try store.put("k", bytes: [1, 2], ifAbsent: true) else { Issue.record("not written"); return }
        #expect(try store.put("k", bytes: [3], ifAbsent: true) == .alreadyPresent)
        let source = dir.path + "/source"
        try Data([7, 7, 7]).write(to: URL(fileURLWithPath: source))
        #expect(try store.put("k", file: source, ifAbsent: true) == .alreadyPresent)
        #expect(try store.get("k") == [1, 2])
        guard case .written = try store.put("dir/k2", file: source, ifAbsent: true) else { Issue.record("not written"); return }
        #expect(try store.get("dir/k2") == [7, 7, 7])
    }

    /// Many threads race to create the same key: exactly one wins, and its bytes are whole.
    @Test func ofRacingWritersExactlyOneWins() throws {
        let dir = ScratchDir()
        let store = DirectoryBlobStore(root: dir.subdirectory("remote"))
        for round in 0..<20 {
            let key = "race/\(round)"
            let wins = ResultSlots<Bool>(count: 8)
            try ParallelJobs().run(count: 8, jobs: 8, work: { i in
                let payload = [UInt8](repeating: UInt8(i), count: 100_000)
                if case .written = try store.put(key, bytes: payload, ifAbsent: true) { wins.set(i, true) } else { wins.set(i, false) }
            }, onProgress: {})
            let winners = wins.values.enumerated().filter { $0.element == true }.map(\.offset)
            #expect(winners.count == 1)
            #expect(try store.get(key) == [UInt8](repeating: UInt8(winners.first ?? 99), count: 100_000))
        }
    }

    @Test func listingIsSortedByBytesAndHonoursPrefixAndStartAfter() throws {
        let dir = ScratchDir()
        let store = DirectoryBlobStore(root: dir.subdirectory("remote"))
        // "é" precomposed (C3 A9) and decomposed (65 CC 81) are different keys, sorted as bytes.
        let keys = ["index/b", "index/a", "index/Z", "index/\u{E9}", "index/e\u{301}", "index/sub/x", "packs/p", "lineage/format.json", "indexes"]
        for k in keys { _ = try store.put(k, bytes: Array(k.utf8), ifAbsent: false) }
        // A writer's temporary file is never listed.
        FileManager.default.createFile(atPath: dir.path + "/remote/index/.tmp-123-abc", contents: Data([1]))
        // Compared as bytes: Swift's String equality would take the two "é" for one.
        let listed = try store.list(prefix: "index/", startAfter: nil).map { Array($0.key.utf8) }
        #expect(listed == ["index/Z", "index/a", "index/b", "index/e\u{301}", "index/sub/x", "index/\u{E9}"].map { Array($0.utf8) })
        #expect(try store.list(prefix: "index/", startAfter: "index/b").map { Array($0.key.utf8) }
                == ["index/e\u{301}", "index/sub/x", "index/\u{E9}"].map { Array($0.utf8) })
        #expect(try store.list(prefix: "index/", startAfter: "index/e\u{301}").map { Array($0.key.utf8) }
                == ["index/sub/x", "index/\u{E9}"].map { Array($0.utf8) })
        #expect(try store.list(prefix: "index", startAfter: nil).count == 7)
        #expect(try store.list(prefix: "", startAfter: nil).count == keys.count)
        #expect(try store.list(prefix: "nothing/", startAfter: nil).isEmpty)
        #expect(try store.list(prefix: "index/", startAfter: nil).allSatisfy { $0.size == UInt64($0.key.utf8.count) })
    }

    @Test func deletesAndConditionalDeletes() throws {
        let dir = ScratchDir()
        let store = DirectoryBlobStore(root: dir.subdirectory("remote"))
        _ = try store.put("a/1", bytes: [1], ifAbsent: false)
        _ = try store.put("a/2", bytes: [2], ifAbsent: false)
        try store.delete(["a/1", "a/never"])
        #expect(try store.head("a/1") == nil)
        let tag = try #require(try store.head("a/2")?.etag)
        #expect(try store.delete("a/2", ifMatch: "wrong") == false)
        #expect(try store.get("a/2") == [2])
        // Rewritten since the tag was read: the conditional delete leaves the new object alone.
        _ = try store.put("a/2", bytes: [3], ifAbsent: false)
        #expect(try store.delete("a/2", ifMatch: tag) == false)
        #expect(try store.get("a/2") == [3])
        let newTag = try #require(try store.head("a/2")?.etag)
        #expect(try store.delete("a/2", ifMatch: newTag) == true)
        #expect(try store.head("a/2") == nil)
        #expect(try store.delete("a/2", ifMatch: newTag) == false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/remote/a").isEmpty)
    }

    @Test func keysThatEscapeTheRootAreRefused() throws {
        let dir = ScratchDir()
        let store = DirectoryBlobStore(root: dir.subdirectory("remote"))
        for key in ["../x", "a/../../x", "/abs", "a//b", "", "a/.tmp-1", "a/."] {
            #expect(throws: RemoteError.self, "\(key)") { try store.put(key, bytes: [1], ifAbsent: false) }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/x"))
    }
}
