import Foundation
import LineageCore
import Testing
@testable import LineageStore
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ContentStoreTests {
    func addFile(_ store: ContentStore, _ path: String, _ parameters: ChunkerParameters = smallChunks) throws -> IngestResult {
        let writer = try store.beginWrite()
        let result = try store.ingest(file: path, into: writer, parameters: parameters)
        try writer.finish()
        return result
    }

    func restored(_ store: ContentStore, _ r: IngestResult, in tmp: TempDir) throws -> [UInt8] {
        let out = tmp.path + "/restored-\(randomHex())"
        try store.restore(chunkList: r.chunkListDigest, size: r.size, sha256: r.sha256, to: out, mode: 0o640)
        return readFile(out)
    }

    @Test func roundTripSmallEmptyAndLarge() throws {
        let tmp = TempDir()
        let store = try tmp.makeStore()
        let inputs: [(String, [UInt8], ChunkerParameters)] = [
            ("empty", [], smallChunks),
            ("small", Array("hello, lineage\n".utf8), smallChunks),
            ("random", splitmixBytes(seed: 3, count: 3 << 20), smallChunks),
            ("large", splitmixBytes(seed: 4, count: 9 << 20) + csvText(seed: 5, count: 3 << 20), .production),
            ("csv", csvText(seed: 6, count: 5 << 20), .v2020Test),
        ]
        for (name, bytes, params) in inputs {
            let path = tmp.write(name, bytes)
            let r = try addFile(store, path, params)
            #expect(r.size == UInt64(bytes.count))
            #expect(r.sha256.hex == sha256sum(path), "digest must equal sha256sum's")
            #expect(r.chunkList.totalSize == r.size)
            #expect(r.chunkListDigest == Digest.of(r.chunkList.encoded()))
            #expect(r.chunkList.entries.allSatisfy { Int($0.length) <= params.maxSize })
            #expect(try restored(store, r, in: tmp) == bytes, "\(name) round trip")
            // A second store instance sees the same objects.
            let reopened = try ContentStore(directory: store.directory)
            #expect(try reopened.chunkList(r.chunkListDigest) == r.chunkList)
        }
        #expect(store.verify().isEmpty)
        // Restore sets the mode even under a umask.
        let r = try addFile(store, tmp.write("m", [1, 2, 3]))
        try store.restore(chunkList: r.chunkListDigest, size: r.size, sha256: r.sha256, to: tmp.path + "/m2", mode: 0o600)
        var st = stat(); stat(tmp.path + "/m2", &st)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test func writeToFileDescriptorAndMismatch() throws {
        let tmp = TempDir()
        let store = try tmp.makeStore()
        let bytes = csvText(seed: 7, count: 100_000)
        let r = try addFile(store, tmp.write("a.csv", bytes))
        let outPath = tmp.path + "/out"
        let fd = open(outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try store.write(chunkList: r.chunkListDigest, size: r.size, sha256: r.sha256, toFileDescriptor: fd)
        close(fd)
        #expect(readFile(outPath) == bytes)
        // Wrong size: refused. (A wrong whole-file digest is refused where it is the one chunk's
        // address — RestoreTests.emptyAndOneChunkFiles; a many-chunk file is proven by its chunks.)
        #expect(throws: StoreError.self) {
            try store.restore(chunkList: r.chunkListDigest, size: r.size + 1, sha256: r.sha256, to: tmp.path + "/y")
        }
    }

    @Test func compressionDecision() throws {
        let text = csvText(seed: 8, count: 64 * 1024)
        let random = splitmixBytes(seed: 8, count: 64 * 1024)
        #expect(text.withUnsafeBytes { PackWriter.shouldCompress($0) })
        #expect(!random.withUnsafeBytes { PackWriter.shouldCompress($0) })
        let tmp = TempDir()
        let store = try tmp.makeStore()
        let w = try store.beginWrite()
        let textDigest = Digest.of(text), randomDigest = Digest.of(random)
        let textStored = try text.withUnsafeBytes { try w.put($0, digest: textDigest) }
        let randomStored = try random.withUnsafeBytes { try w.put($0, digest: randomDigest) }
        try w.finish()
        #expect(textStored < UInt64(text.count) / 2, "CSV is stored zlib-compressed")
        #expect(randomStored == UInt64(random.count + PackFormat.entryHeaderSize), "random bytes are stored raw")
        #expect(try store.read(textDigest) == text)
        #expect(try store.read(randomDigest) == random)
    }

    @Test func dedupAcrossWriters() throws {
        let tmp = TempDir()
        let store = try tmp.makeStore()
        let v1 = csvText(seed: 10, count: 4 << 20)
        var v2 = v1
        // Edit a block of rows in the middle and append rows.
        let mid = v2.count / 2
        for i in mid..<(mid + 20_000) where v2[i] >= UInt8(ascii: "0") && v2[i] <= UInt8(ascii: "9") { v2[i] = UInt8(ascii: "7") }
        v2 += csvText(seed: 11, count: 40_000)
        let r1 = try addFile(store, tmp.write("v1.csv", v1), .v2020Test)
        let again = try addFile(store, tmp.write("v1-copy.csv", v1), .v2020Test)
        #expect(again.newBytes == 0, "an identical file stores nothing new")
        #expect(again.chunkListDigest == r1.chunkListDigest)
        let r2 = try addFile(store, tmp.write("v2.csv", v2), .v2020Test)
        let shared = Set(r1.chunkList.entries.map(\.digest)).intersection(r2.chunkList.entries.map(\.digest))
        #expect(shared.count >= r1.chunkList.entries.count - 6)
        #expect(r2.newBytes < r1.newBytes / 5)
        #expect(try restored(store, r2, in: tmp) == v2)
        // Within one writer, a repeated chunk is written once.
        let w = try store.beginWrite()
        let blob = splitmixBytes(seed: 12, count: 1000)
        let d = Digest.of(blob)
        #expect(try blob.withUnsafeBytes { try w.put($0, digest: d) } > 0)
        #expect(try blob.withUnsafeBytes { try w.put($0, digest: d) } == 0)
        #expect(w.objectCount == 1)
        try w.finish()
    }

    @Test func fileChangedWhileReading() throws {
        let tmp = TempDir()
        let store = try tmp.makeStore()
        let path = tmp.write("growing", splitmixBytes(seed: 13, count: 10 << 20))
        let w = try store.beginWrite()
        defer { w.abandon() }
        #expect(throws: StoreError.fileChanged(path: path)) {
            _ = try store.ingest(file: path, into: w, parameters: smallChunks, progress: { _ in
                let fd = open(path, O_WRONLY | O_APPEND)
                _ = write(fd, "x", 1)
                close(fd)
            })
        }
    }

    @Test func missingObjectAndErrors() throws {
        let tmp = TempDir()
        let store = try tmp.makeStore()
        let d = Digest.of([9, 9, 9])
        #expect(throws: StoreError.missingObject(d)) { try store.read(d) }
        #expect(!store.contains(d))
        #expect(StoreError.missingObject(d).description.contains("fetch or re-add"))
        #expect(throws: StoreError.notAStore(path: tmp.path + "/nope")) { try ContentStore(directory: tmp.path + "/nope") }
        try AtomicFile.write(Array("99\n".utf8), to: store.directory + "/format")
        #expect(throws: StoreError.newerFormat(path: store.directory, found: 99, supported: 1)) { try ContentStore(directory: store.directory) }
    }

    @Test func abandonedAndInterruptedWritersLeaveStoreReadable() throws {
        let tmp = TempDir()
        let store = try tmp.makeStore()
        let good = try addFile(store, tmp.write("good", csvText(seed: 14, count: 300_000)))
        // A writer that never finishes (as if SIGKILLed): its temp pack is not visible.
        let w = try store.beginWrite()
        let blob = splitmixBytes(seed: 15, count: 5000)
        try blob.withUnsafeBytes { _ = try w.put($0, digest: Digest.of(blob)) }
        // A stale temp file of a dead process, and an index whose pack never got renamed.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run(); dead.waitUntilExit()
        let staleTemp = store.packsDirectory + "/tmp-\(dead.processIdentifier)-0123456789abcdef.pack"
        _ = FileManager.default.createFile(atPath: staleTemp, contents: Data([1, 2, 3]))
        let orphan = store.packsDirectory + "/pack-" + String(repeating: "ab", count: 32) + ".idx"
        _ = FileManager.default.createFile(atPath: orphan, contents: Data([1, 2, 3]))

        let reopened = try ContentStore(directory: store.directory)
        #expect(!reopened.contains(Digest.of(blob)))
        #expect(try restored(reopened, good, in: tmp).count == 300_000)
        let problems = reopened.verify()
        #expect(problems.map(\.kind) == [.orphanIndex])
        let stats = try reopened.gc(keep: Set(reopened.allDigests()))
        #expect(stats.objectsAfter == stats.objectsBefore)
        #expect(access(staleTemp, F_OK) != 0, "temp file of a dead process removed")
        #expect(access(w.tempPath, F_OK) == 0, "temp file of a live writer kept")
        #expect(access(orphan, F_OK) != 0)
        #expect(reopened.verify().isEmpty)
        w.abandon()
        #expect(access(w.tempPath, F_OK) != 0)
    }

    @Test func gcKeepsOnlyKeep() throws {
        let tmp = TempDir()
        let store = try tmp.makeStore()
        let a = try addFile(store, tmp.write("a", splitmixBytes(seed: 16, count: 200_000)))
        let b = try addFile(store, tmp.write("b", csvText(seed: 17, count: 200_000)))
        let c = try addFile(store, tmp.write("c", splitmixBytes(seed: 18, count: 100_000)))
        #expect(packFiles(store, ext: "pack").count == 3)
        let keep = Set(a.chunkList.entries.map(\.digest) + [a.chunkListDigest] + c.chunkList.entries.map(\.digest) + [c.chunkListDigest])
        let stats = try store.gc(keep: keep)
        #expect(Set(store.allDigests()) == keep)
        #expect(stats.objectsAfter == keep.count)
        #expect(stats.objectsBefore == keep.count + b.chunkList.entries.count + 1)
        #expect(stats.bytesAfter < stats.bytesBefore)
        #expect(packFiles(store, ext: "pack").count == 1)
        #expect(packFiles(store, ext: "idx").count == 1)
        #expect(try restored(store, a, in: tmp).count == 200_000)
        #expect(try restored(store, c, in: tmp).count == 100_000)
        #expect(throws: StoreError.missingObject(b.chunkListDigest)) { try store.read(b.chunkListDigest) }
        let fresh = try ContentStore(directory: store.directory)
        #expect(Set(fresh.allDigests()) == keep)
        #expect(fresh.verify().isEmpty)
        // Keeping nothing empties the store.
        _ = try fresh.gc(keep: [])
        #expect(fresh.allDigests().isEmpty)
        #expect(packFiles(fresh, ext: "pack").isEmpty)
    }
}
