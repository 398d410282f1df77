import Foundation
import LineageCore
import LineageGraph
import Testing

@Suite struct StatCacheTests {
    func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString).sqlite").path
    }

    @Test func roundTripAndRemove() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = try LineageIndex(path: path)
        let f = CachedFile(stat: FileStat(size: 10, mtimeNs: 1, ctimeNs: 2, inode: 3), sha256: Digest.of(Data("a".utf8)), pointer: "ab", recordedNs: 5_000_000_000)
        try index.updateCache([("a/b", f), ("c", f)])
        #expect(try index.cachedFiles() == [PathKey("a/b"): f, PathKey("c"): f])
        try index.updateCache([], removed: ["c"])
        #expect(try LineageIndex(path: path).cachedFiles() == [PathKey("a/b"): f])
    }

    @Test func racyEntriesAreNeverTrusted() {
        let hashedAt: Int64 = 1_700_000_000_000_000_000
        let old = FileStat(size: 4, mtimeNs: hashedAt - 5_000_000_000, ctimeNs: hashedAt - 5_000_000_000, inode: 7)
        let trusted = CachedFile(stat: old, sha256: Digest.of(Data()), pointer: nil, recordedNs: hashedAt)
        #expect(trusted.isValid(for: old))
        // Any stat field moving invalidates the entry.
        var moved = old; moved.size = 5
        #expect(!trusted.isValid(for: moved))
        moved = old; moved.ctimeNs += 1
        #expect(!trusted.isValid(for: moved))
        // Modified in the same timestamp tick as it was hashed: identical stat proves nothing.
        let sameTick = FileStat(size: 4, mtimeNs: hashedAt, ctimeNs: hashedAt, inode: 7)
        let racy = CachedFile(stat: sameTick, sha256: Digest.of(Data()), pointer: nil, recordedNs: hashedAt)
        #expect(racy.isRacy)
        #expect(!racy.isValid(for: sameTick))
    }

    @Test func damagedIndexIsRebuiltWithAWarning() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        var warnings: [String] = []
        let index = try LineageIndex(path: path) { warnings.append($0) }
        #expect(warnings.count == 1 && warnings[0].contains("rebuilding"))
        #expect(try index.cachedFiles().isEmpty)
    }
}
