import Foundation
import LineageCore
import Testing
@testable import LineageStore

@Suite struct FastCDCTests {
    struct Vectors: Decodable {
        struct Case: Decodable {
            let input: String
            let inputSHA256: String
            let min: Int, avg: Int, max: Int
            let lengths: [Int]
            let hashes: [String]
        }
        let generator: String
        let cases: [Case]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The GEAR table is the construction of the FastCDC reference (MD5 of 64 bytes of `i`, first 8 bytes
    /// big-endian); spot values published in fastcdc-rs's `v2020` GEAR table.
    @Test func gearTableMatchesPublishedValues() {
        #expect(FastCDC.gear.count == 256)
        #expect(FastCDC.gear[0] == 0x3b5d3c7d207e37dc)
        #expect(FastCDC.gear[1] == 0x784d68ba91123086)
        #expect(FastCDC.gear[128] == 0xc0ce47f889336346)
        #expect(FastCDC.gear[255] == 0xaabd2b2a451504e1)
        #expect(FastCDC.gearLS[0] == 0x76ba78fa40fc6fb8)
        #expect(Set(FastCDC.gear).count == 256)
    }

    @Test func masksFollowLog2OfAverage() {
        #expect(ChunkerParameters.v2020Test.maskS == FastCDC.masks[15])
        #expect(ChunkerParameters.v2020Test.maskL == FastCDC.masks[13])
        let p = ChunkerParameters(minSize: 64, avgSize: 256, maxSize: 1024)
        #expect(p.maskL == FastCDC.masks[7] && p.maskS == FastCDC.masks[9])
        #expect(ChunkerParameters.production.bits == 18)
    }

    /// fastcdc-rs `test_cut_all_zeros`: all-zero input, 64/256/1024 → every chunk 1024 bytes with
    /// gear hash 14169102344523991076.
    @Test func publishedAllZerosVector() {
        let zeros = [UInt8](repeating: 0, count: 10240)
        let p = ChunkerParameters(minSize: 64, avgSize: 256, maxSize: 1024)
        let cuts = zeros.withUnsafeBytes { FastCDC.cuts(of: $0, parameters: p) }
        #expect(cuts.count == 10)
        for c in cuts {
            #expect(c.length == 1024)
            #expect(c.hash == 14_169_102_344_523_991_076)
        }
    }

    /// Cut points (lengths and gear hashes) equal those of an independent implementation of fastcdc-rs
    /// v2020 (pyfastcdc, see Fixtures/make_fastcdc_vectors.py) on generated random and CSV inputs, for
    /// four parameter sets including fastcdc-rs's published-vector parameters 4096/16384/65535.
    @Test func matchesReferenceImplementationVectors() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("fastcdc-v2020-vectors.json"))
        let vectors = try JSONDecoder().decode(Vectors.self, from: data)
        #expect(vectors.cases.count == 8)
        for c in vectors.cases {
            let input: [UInt8] = c.input.hasPrefix("splitmix") ? splitmixBytes(seed: 1, count: 1 << 20) : csvText(seed: 2, count: 512 * 1024)
            #expect(Digest.of(input).hex == c.inputSHA256, "generated input \(c.input) differs from the script's")
            let p = ChunkerParameters(minSize: c.min, avgSize: c.avg, maxSize: c.max)
            let cuts = input.withUnsafeBytes { FastCDC.cuts(of: $0, parameters: p) }
            #expect(cuts.map(\.length) == c.lengths, "\(c.input) \(p)")
            #expect(cuts.map { String($0.hash) } == c.hashes, "\(c.input) \(p)")
            #expect(input.withUnsafeBytes { FastCDC.chunkLengths(of: $0, parameters: p) } == c.lengths)
        }
    }

    /// The published SekienAkashita.jpg vector, when the image is available (it is not shipped:
    /// set LINEAGE_SEKIEN=/path/to/SekienAkashita.jpg to run it).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LINEAGE_SEKIEN"] != nil, "set LINEAGE_SEKIEN to the image's path"))
    func publishedSekienVectorWhenImageAvailable() throws {
        let path = ProcessInfo.processInfo.environment["LINEAGE_SEKIEN"]!
        let bytes = readFile(path)
        #expect(bytes.count == 109_466)
        let cuts = bytes.withUnsafeBytes { FastCDC.cuts(of: $0, parameters: .v2020Test) }
        #expect(cuts.map(\.length) == [21325, 17140, 28084, 18217, 24700])
        #expect(cuts.map(\.hash) == [17968276318003433923, 8197189939299398838, 13019990849178155730, 4509236223063678303, 2504464741100432583])
    }

    @Test func emptyAndTinyInputs() {
        #expect([UInt8]().withUnsafeBytes { FastCDC.chunkLengths(of: $0, parameters: .v2020Test) } == [])
        #expect([UInt8](repeating: 7, count: 100).withUnsafeBytes { FastCDC.chunkLengths(of: $0, parameters: .v2020Test) } == [100])
    }

    /// Inserting bytes in the middle changes only the chunks around the insertion.
    @Test func boundariesStableUnderInsertion() {
        let original = splitmixBytes(seed: 9, count: 2 << 20)
        var edited = original
        edited.insert(contentsOf: Array("an inserted line of text\n".utf8), at: 1 << 20)
        let p = ChunkerParameters.v2020Test
        func chunks(_ b: [UInt8]) -> [Digest] {
            var out: [Digest] = []
            b.withUnsafeBytes { raw in
                var off = 0
                for l in FastCDC.chunkLengths(of: raw, parameters: p) {
                    out.append(Digest.of(UnsafeRawBufferPointer(rebasing: raw[off..<(off + l)])))
                    off += l
                }
            }
            return out
        }
        let a = chunks(original), b = chunks(edited)
        let shared = Set(a).intersection(b)
        #expect(a.count > 50)
        #expect(b.count - shared.count <= 2, "only the chunk(s) holding the insertion may differ")
        #expect(a.count - shared.count <= 2)
    }
}
