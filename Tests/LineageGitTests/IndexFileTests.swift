import Crypto
import Foundation
import LineageCore
import LineageGit
import Testing

/// The direct reader of the staging index must agree with libgit2 on every file libgit2 writes,
/// and step aside (nil) for anything it does not fully understand.
@Suite struct IndexFileTests {
    func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)").path
    }

    /// Paths of many shapes: nested, one character, non-ASCII, with spaces, padding lengths 1–8,
    /// and longer than the 12-bit length field (0xFFF) can hold.
    static let paths: [String] = {
        var out = ["b", "a/b.txt", "c d/e f.csv", "données/été.parquet", "z/" + String(repeating: "y", count: 300)]
        for n in 1...9 { out.append("pad/" + String(repeating: "p", count: n)) }
        out.append(String(repeating: "d/", count: 60) + "deep.bin")     // 128 bytes, 61 levels
        out.append(String(repeating: "long-", count: 840) + ".bin")     // 4,204 bytes > 0xFFF
        return out
    }()

    @Test func agreesWithLibgit2() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try GitRepository.createBare(at: dir)
        let index = try repo.openIndex(at: dir + "/index")
        // No file yet: the reader declines and the caller uses libgit2.
        #expect(IndexFileSnapshot.read(path: dir + "/index") == nil)
        for (n, path) in Self.paths.enumerated() {
            try index.add(path: path, id: try repo.writeBlob(Array("content \(n)\n".utf8)), size: UInt64(n))
        }
        try index.write()
        // A tree extension is written once a tree has been computed from the index.
        _ = try index.writeTree()
        try index.write()

        let snapshot = try #require(IndexFileSnapshot.read(path: dir + "/index"))
        let reopened = try repo.openIndex(at: dir + "/index")
        #expect(snapshot.entries == reopened.entries)
        #expect(snapshot.entries.count == Self.paths.count)
        #expect(snapshot.checksum == reopened.checksum)
        #expect(Set(snapshot.entries.map(\.path)) == Set(Self.paths))

        // After a removal (a smaller file) the two still agree.
        try reopened.remove(path: "b")
        try reopened.write()
        let after = try #require(IndexFileSnapshot.read(path: dir + "/index"))
        #expect(after.entries == (try repo.openIndex(at: dir + "/index")).entries)
        #expect(after.checksum != snapshot.checksum)
    }

    @Test func declinesWhatItDoesNotUnderstand() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try GitRepository.createBare(at: dir)
        let index = try repo.openIndex(at: dir + "/index")
        try index.add(path: "x/y.csv", id: try repo.writeBlob(Array("1\n".utf8)))
        try index.add(path: "z.csv", id: try repo.writeBlob(Array("2\n".utf8)))
        try index.write()
        let good = try #require(FileManager.default.contents(atPath: dir + "/index"))
        #expect(IndexFileSnapshot.read(path: dir + "/index") != nil)

        func declines(_ bytes: Data, _ what: Comment) {
            let path = dir + "/bad-index"
            _ = FileManager.default.createFile(atPath: path, contents: bytes)
            #expect(IndexFileSnapshot.read(path: path) == nil, what)
        }
        // Any flipped byte breaks the SHA-1 trailer.
        for at in [0, 5, 11, 20, 70, good.count / 2, good.count - 1] {
            var bad = good
            bad[at] ^= 0x01
            declines(bad, "byte \(at) flipped")
        }
        declines(good.prefix(good.count - 1), "truncated")
        declines(Data(), "empty")
        // Version 4 (prefix-compressed paths), with a valid trailer: left to libgit2.
        var v4 = good.prefix(good.count - 20)
        v4[v4.startIndex + 7] = 4
        declines(v4 + sha1(v4), "version 4")
        // An entry count larger than the entries present, with a valid trailer.
        var more = good.prefix(good.count - 20)
        more[more.startIndex + 11] = 3
        declines(more + sha1(more), "entry count too large")
    }

    private func sha1(_ data: Data) -> Data { Data(Insecure.SHA1.hash(data: data)) }
}
