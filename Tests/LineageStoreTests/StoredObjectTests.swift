import Foundation
import Testing
import LineageCore
@testable import LineageStore

/// Objects leaving and entering the store in stored (possibly compressed) form, as remote packs carry them.
@Suite struct StoredObjectTests {
    @Test func readStoredGivesThePackBytesChecked() throws {
        let dir = TempDir()
        let store = try dir.makeStore()
        let text = csvText(seed: 1, count: 50_000), noise = splitmixBytes(seed: 2, count: 50_000)
        let writer = try store.beginWrite()
        for b in [text, noise] { try b.withUnsafeBytes { _ = try writer.put($0, digest: Digest.of(b)) } }
        try writer.finish()

        let t = try store.readStored(Digest.of(text))
        #expect(t.compressed && t.payload.count < text.count && t.rawLength == UInt32(text.count))
        #expect(t.payload.withUnsafeBytes { Zlib.decompress($0, rawLength: text.count) } == text)
        let n = try store.readStored(Digest.of(noise))
        #expect(!n.compressed && n.payload == noise)
        let absent = Digest.of([1, 2, 3])
        #expect(throws: StoreError.missingObject(absent)) { try store.readStored(absent) }

        // A damaged pack is caught, as by `read`.
        let pack = try #require(packFiles(store, ext: "pack").first)
        flipByte(pack, at: 8 + 41 + 100)
        let reopened = try ContentStore(directory: store.directory)
        #expect(throws: StoreError.self) { try reopened.readStored(Digest.of(text)) }
    }

    @Test func storedObjectsComeInStorageOrder() throws {
        let dir = TempDir()
        let store = try dir.makeStore()
        var written: [Digest] = []
        let writer = try store.beginWrite()
        for i in 0..<50 {
            let b = splitmixBytes(seed: UInt64(100 + i), count: 100 + i)
            let d = Digest.of(b)
            try b.withUnsafeBytes { _ = try writer.put($0, digest: d) }
            written.append(d)
        }
        try writer.finish()
        let absent = Digest.of([9])
        let (present, missing) = store.storedObjects(Set(written).union([absent]))
        #expect(present.map(\.digest) == written)
        #expect(present.map(\.rawLength) == (0..<50).map { UInt32(100 + $0) })
        #expect(missing == [absent])
    }

    @Test func verifiedObjectsAreStoredAsGiven() throws {
        let dir = TempDir()
        let source = try dir.makeStore()
        let text = csvText(seed: 3, count: 80_000)
        let writer = try source.beginWrite()
        try text.withUnsafeBytes { _ = try writer.put($0, digest: Digest.of(text)) }
        try writer.finish()
        let stored = try source.readStored(Digest.of(text))

        try ContentStore.create(at: dir.path + "/other")
        let target = try ContentStore(directory: dir.path + "/other")
        let checked = try VerifiedObject.check(payload: stored.payload, compressed: true, rawLength: text.count,
                                               digest: Digest.of(text), source: "remote")
        let w = try target.beginWrite()
        #expect(try w.put(checked) == UInt64(41 + stored.payload.count))
        #expect(try w.put(checked) == 0)   // once per pack
        try w.finish()
        #expect(try target.readStored(Digest.of(text)) == stored)   // same compressed bytes, not recompressed
        #expect(try target.read(Digest.of(text)) == text)
        #expect(target.verify().isEmpty)
        let again = try target.beginWrite()
        #expect(try again.put(checked) == 0)   // the store has it
        again.abandon()
    }

    @Test func checkRefusesWrongBytes() throws {
        let text = csvText(seed: 4, count: 10_000)
        let d = Digest.of(text)
        let compressed = try #require(text.withUnsafeBytes { Zlib.compress($0, limit: text.count) })
        #expect(throws: StoreError.corruptObject(d, file: "r")) {
            try VerifiedObject.check(payload: text.dropLast(), compressed: false, rawLength: text.count, digest: d, source: "r")
        }
        var flipped = text; flipped[5] ^= 1
        #expect(throws: StoreError.corruptObject(d, file: "r")) {
            try VerifiedObject.check(payload: flipped, compressed: false, rawLength: text.count, digest: d, source: "r")
        }
        var badStream = compressed; badStream[badStream.count / 2] ^= 0xFF
        #expect(throws: StoreError.corruptObject(d, file: "r")) {
            try VerifiedObject.check(payload: badStream, compressed: true, rawLength: text.count, digest: d, source: "r")
        }
        #expect(throws: StoreError.corruptObject(d, file: "r")) {
            try VerifiedObject.check(payload: compressed, compressed: true, rawLength: text.count + 1, digest: d, source: "r")
        }
        #expect(throws: StoreError.corruptObject(d, file: "r")) {
            try VerifiedObject.check(payload: text, compressed: true, rawLength: text.count, digest: d, source: "r")
        }
        // A zlib stream that does not shrink the object is kept raw (the store's packs never hold one).
        let tiny: [UInt8] = [1, 2, 3]
        let inflating = try #require(tiny.withUnsafeBytes { Zlib.compress($0, limit: Int.max) })
        #expect(inflating.count >= tiny.count)
        let kept = try VerifiedObject.check(payload: inflating, compressed: true, rawLength: 3, digest: Digest.of(tiny), source: "r")
        #expect(!kept.compressed && kept.payload == tiny)
    }
}
