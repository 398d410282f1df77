import Foundation
import LineageCore
import Testing

@Suite struct DigestTests {
    @Test func knownVectors() {
        #expect(Digest.of(Data()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.of(Data("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hexRoundTripAndRejects() {
        let d = Digest.of(Data("x".utf8))
        #expect(Digest(hex: d.hex) == d)
        #expect(Digest(hex: d.prefixed) == d)
        #expect(Digest(hex: d.hex.uppercased()) == d)
        #expect(Digest(hex: String(d.hex.dropLast())) == nil)
        #expect(Digest(hex: String(repeating: "g", count: 64)) == nil)
    }

    @Test func incrementalEqualsOneShot() {
        let data = Data((0..<100_000).map { UInt8($0 % 251) })
        var b = DigestBuilder()
        data.withUnsafeBytes { raw in
            b.update(UnsafeRawBufferPointer(rebasing: raw[0..<33_333]))
            b.update(UnsafeRawBufferPointer(rebasing: raw[33_333...]))
        }
        #expect(b.finalize() == Digest.of(data))
    }
}

@Suite struct RecordTests {
    @Test func pointerIsCanonical() throws {
        let p = Pointer(size: 3, sha256: Digest.of(Data("abc".utf8)), chunks: Digest.of(Data("l".utf8)), kind: .dataset, mediaType: "text/csv")
        let text = String(decoding: try p.encoded(), as: UTF8.self)
        #expect(text.hasPrefix("{\"chunks\":\"sha256:"))
        #expect(text.contains("\"mediaType\":\"text/csv\",\"sha256\":\"sha256:ba7816bf"))
        #expect(!text.contains(" ") && !text.contains("\\/"))
        #expect(try Pointer.decode(try p.encoded()) == p)
    }

    @Test(arguments: ["text/csv", "application/vnd.apache.parquet", "a/b\"c", "x/y\\z", "t/\u{1}\n\t", "t/é/ü", "a/b/c"])
    func handWrittenPointerEncodingEqualsJSONEncoder(_ mediaType: String) throws {
        let p = Pointer(size: 1 << 40, sha256: Digest.of(Data("q".utf8)), chunks: Digest.of(Data("r".utf8)), kind: .model, mediaType: mediaType)
        #expect(try p.encoded() == CanonicalJSON.encode(p))
    }

    @Test func pointerRejectsOtherRecordsAndNewerVersions() throws {
        var p = Pointer(size: 0, sha256: Digest.of(Data()), chunks: Digest.of(Data()), kind: .other, mediaType: "a/b")
        p.type = "lineage.run"
        #expect(throws: CoreError.self) { try Pointer.decode(try p.encoded()) }
        p.type = "lineage.pointer"; p.version = 99
        #expect(throws: CoreError.self) { try Pointer.decode(try p.encoded()) }
    }

    @Test func chunkListRoundTrip() throws {
        let list = ChunkList(entries: (0..<5).map { ChunkList.Entry(digest: Digest.of(Data([UInt8($0)])), length: UInt32($0 * 1000 + 1)) })
        #expect(try ChunkList.decode(list.encoded()) == list)
        #expect(list.totalSize == 10_005)
        #expect(throws: CoreError.self) { try ChunkList.decode(Array(list.encoded().dropLast())) }
    }
}

@Suite struct TrackedPathTests {
    @Test(arguments: ["/etc/passwd", "../x", "a/../../b", "a//b", "./a", "a/.", ".lineage/config", ".git/HEAD", "", "a\nb", "a\\b"])
    func rejectsUnsafePaths(_ raw: String) {
        #expect(throws: CoreError.self) { try TrackedPath(raw) }
    }

    @Test(arguments: ["a", "data/train.csv", ".hidden/x", "a..b/c", "lineage/x"])
    func acceptsOrdinaryPaths(_ raw: String) throws {
        #expect(try TrackedPath(raw).string == raw)
    }

    @Test func mediaTypes() {
        #expect(MediaType.guess(path: "data/x.CSV") == "text/csv")
        #expect(MediaType.guess(path: "noext") == "application/octet-stream")
        #expect(MediaType.guess(path: ".bashrc") == "application/octet-stream")
    }

    @Test func geometricRollUpKeepsAProgression() {
        #expect(GeometricRollUp.split([]) == 0)
        #expect(GeometricRollUp.split([5]) == 1)
        // Equal small packs: all are merged.
        #expect(GeometricRollUp.split(Array(repeating: 10, count: 51)) == 51)
        // A big pack and many small ones: only the small ones are merged.
        #expect(GeometricRollUp.split(Array(repeating: 10, count: 50) + [10_000]) == 50)
        // Already geometric: nothing to merge.
        #expect(GeometricRollUp.split([1, 2, 4, 8, 16]) == 0)
        // The kept packs are each at least twice everything merged.
        let sizes: [UInt64] = [3, 3, 4, 5, 40, 100, 1000]
        let k = GeometricRollUp.split(sizes)
        let merged = sizes[..<k].reduce(0, +)
        #expect(sizes[k...].allSatisfy { $0 >= 2 * merged })
    }

    @Test(arguments: ["text/csv", "a/b\"c", "application/x-ünïcode", "x/\\y", "tab\there"])
    func fastPointerDecodingAgreesWithJSONDecoder(_ mediaType: String) throws {
        for kind in ArtifactKind.allCases {
            let p = Pointer(size: UInt64.max, sha256: Digest.of(Data(kind.rawValue.utf8)), chunks: Digest.of(Data(mediaType.utf8)), kind: kind, mediaType: mediaType)
            let bytes = try p.encoded()
            #expect(try Pointer.decode(bytes) == p)
            #expect(try CanonicalJSON.decode(Pointer.self, from: bytes) == p)
        }
        // The same record with other spacing or key order is still read (by the full decoder).
        let p = Pointer(size: 7, sha256: Digest.of(Data("s".utf8)), chunks: Digest.of(Data("c".utf8)), kind: .model, mediaType: mediaType)
        let pretty = Array(try CanonicalJSON.pretty(p).utf8)
        #expect(try Pointer.decode(pretty) == p)
        // Truncations never decode to something else.
        let bytes = try p.encoded()
        for n in stride(from: 0, to: bytes.count, by: 7) { #expect((try? Pointer.decode(Array(bytes[..<n]))) == nil) }
    }
}
