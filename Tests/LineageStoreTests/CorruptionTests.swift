import Foundation
import LineageCore
import Testing
@testable import LineageStore
#if canImport(Glibc)
import Glibc
#endif

/// Damage packs and indexes on disk and check that reads and `verify` name it.
@Suite struct CorruptionTests {
    struct Fixture {
        let tmp = TempDir()
        let store: ContentStore
        let result: IngestResult
        let bytes: [UInt8]
        let pack: String
        let index: String
        init() throws {
            store = try tmp.makeStore()
            bytes = splitmixBytes(seed: 20, count: 200_000)
            let w = try store.beginWrite()
            result = try store.ingest(file: tmp.write("f", bytes), into: w, parameters: smallChunks)
            try w.finish()
            pack = packFiles(store, ext: "pack")[0]
            index = packFiles(store, ext: "idx")[0]
        }
        func reopen() throws -> ContentStore { try ContentStore(directory: store.directory) }
        /// The index entry of the n-th chunk.
        func entry(_ n: Int) -> PackEntry {
            let pack = store.snapshotForTests().first!
            return pack.find(result.chunkList.entries[n].digest)!
        }
    }

    @Test func flippedByteInChunkData() throws {
        let f = try Fixture()
        let e = f.entry(3)
        flipByte(f.pack, at: Int(e.offset) + PackFormat.entryHeaderSize + 100)
        let store = try f.reopen()
        let problems = store.verify()
        #expect(problems == [StoreProblem(kind: .corruptObject, file: f.pack, object: e.digest, detail: problems.first?.detail ?? "")])
        #expect(throws: StoreError.corruptObject(e.digest, file: f.pack)) { try store.read(e.digest) }
        #expect(throws: StoreError.corruptObject(e.digest, file: f.pack)) {
            try store.restore(chunkList: f.result.chunkListDigest, size: f.result.size, sha256: f.result.sha256, to: f.tmp.path + "/out")
        }
        #expect(StoreError.corruptObject(e.digest, file: f.pack).description.contains("is corrupt"))
        // gc refuses to drop or copy the damage silently.
        #expect(throws: StoreError.self) { _ = try store.gc(keep: Set(f.result.chunkList.entries.map(\.digest))) }
    }

    @Test func flippedByteInEntryHeader() throws {
        let f = try Fixture()
        let e = f.entry(2)
        flipByte(f.pack, at: Int(e.offset) + 2)  // a length byte
        let store = try f.reopen()
        let problems = store.verify()
        #expect(problems.contains { $0.kind == .corruptPack && $0.file == f.pack })
        #expect(throws: StoreError.corruptObject(e.digest, file: f.pack)) { try store.read(e.digest) }
    }

    @Test func flippedByteInPackHeader() throws {
        let f = try Fixture()
        flipByte(f.pack, at: 1)
        let problems = try f.reopen().verify()
        #expect(problems.contains { $0.kind == .corruptPack && $0.detail.contains("pack header") })
    }

    @Test func flippedByteInIndex() throws {
        let f = try Fixture()
        for offset in [5, PackFormat.indexHeaderSize + 100, PackFormat.indexHeaderSize + PackFormat.fanoutSize + 40, readFile(f.index).count - 1] {
            let original = readFile(f.index)
            flipByte(f.index, at: offset)
            let store = try f.reopen()  // opening does not fail
            let problems = store.verify()
            #expect(problems.count == 1)
            #expect(problems.first?.kind == .corruptPackIndex && problems.first?.file == f.index, "offset \(offset)")
            #expect(store.damagedIndexes.map(\.file) == [f.index])
            // Objects stay readable (found by scanning the pack, verified by digest).
            let out = f.tmp.path + "/out"
            try store.restore(chunkList: f.result.chunkListDigest, size: f.result.size, sha256: f.result.sha256, to: out)
            #expect(readFile(out) == f.bytes)
            _ = FileManager.default.createFile(atPath: f.index, contents: Data(original))
        }
    }

    @Test func truncatedGarbageAndMissingIndex() throws {
        let f = try Fixture()
        let original = readFile(f.index)
        for damaged in [Array(original.prefix(original.count / 2)), [UInt8](repeating: 0x41, count: 3000), []] {
            _ = FileManager.default.createFile(atPath: f.index, contents: Data(damaged))
            let store = try f.reopen()
            #expect(store.verify().map(\.kind) == [.corruptPackIndex])
            #expect(try store.read(f.result.chunkListDigest).count == f.result.chunkList.encoded().count)
        }
        unlink(f.index)
        let store = try f.reopen()
        #expect(store.verify().first?.detail.contains("missing") == true)
        // gc rewrites a healthy index.
        _ = try store.gc(keep: Set(store.allDigests()))
        #expect(try f.reopen().verify().isEmpty)
        #expect(StoreError.corruptPackIndex(file: f.index, detail: "x").description.contains("found by scanning the pack"))
    }

    @Test func deletedPackMeansMissingObject() throws {
        let f = try Fixture()
        unlink(f.pack)
        let store = try f.reopen()
        #expect(throws: StoreError.missingObject(f.result.chunkListDigest)) { try store.read(f.result.chunkListDigest) }
        #expect(store.verify().map(\.kind) == [.orphanIndex])
    }

    @Test func truncatedPack() throws {
        let f = try Fixture()
        truncate(f.pack, off_t(readFile(f.pack).count - 10))
        let store = try f.reopen()
        let kinds = Set(store.verify().map(\.kind))
        #expect(kinds.contains(.corruptPackIndex) || kinds.contains(.corruptPack))
        // The chunk list was the last object written: it is cut.
        #expect(throws: StoreError.self) { try store.read(f.result.chunkListDigest) }
        // Earlier objects still read.
        #expect(try store.read(f.result.chunkList.entries[0].digest).count == Int(f.result.chunkList.entries[0].length))
    }
}
