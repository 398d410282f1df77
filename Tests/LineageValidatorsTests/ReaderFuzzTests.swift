import Foundation
import Testing
@testable import LineageValidators

/// Mutation fuzzing of the table readers (CSV, TSV, JSON Lines) at small and odd block sizes, so
/// records cut across reads are exercised: a reader may refuse a file, never crash, and a file it
/// reads must read the same whatever the block size. Seeded: a failure reproduces.
@Suite struct ReaderFuzzTests {
    struct Mutator {
        var state: UInt64
        init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
        static let tokens: [[UInt8]] = ["\"", "\"\"", ",", "\t", "\n", "\r", "\r\n", "\u{0}", "\\", "{", "}", "[", "]", ":",
                                        "\\ud800", "\\u0000", "\u{FEFF}", "é", "\u{1F600}", "1e999", "null"].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80]]
        mutating func mutate(_ input: [UInt8]) -> [UInt8] {
            var b = input
            for _ in 0..<(1 + below(5)) {
                switch below(5) {
                case 0 where !b.isEmpty: let i = below(b.count); b[i] ^= UInt8(1 << below(8))
                case 1: b.insert(UInt8(truncatingIfNeeded: next()), at: below(b.count + 1))
                case 2 where !b.isEmpty: b.remove(at: below(b.count))
                case 3: b = Array(b.prefix(below(b.count + 1)))
                default: b.insert(contentsOf: Mutator.tokens[below(Mutator.tokens.count)], at: below(b.count + 1))
                }
            }
            return b
        }
    }

    func read(_ path: String, format: TableFormat, block: Int) -> Result<[[String]], Error> {
        Result {
            let reader = try TableReader(path: path, format: format, blockSize: block)
            var rows: [[String]] = [reader.header]
            while try reader.next() { rows.append(reader.fields) }
            return rows
        }
    }

    @Test(arguments: [(TableFormat.csv, "id,name,note\n1,\"Smith, J\",\"said \"\"hi\"\"\"\n2,plain,\"two\nlines\"\n3,,\n"),
                      (TableFormat.tsv, "id\tname\n1\tx\n2\ty\n"),
                      (TableFormat.jsonl, "{\"id\":1,\"name\":\"a\\u00e9\",\"x\":[1,2]}\n{\"id\":2,\"name\":null,\"x\":{\"k\":true}}\n")])
    func readersRefuseOrReadTheSameAtEveryBlockSize(format: TableFormat, sample: String) throws {
        var m = Mutator(seed: UInt64(sample.utf8.count))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reader-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t").path
        for i in 0..<600 {
            let bytes = m.mutate(Array(sample.utf8))
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let big = read(path, format: format, block: 1 << 20)
            let small = read(path, format: format, block: 64 + (i % 7))
            switch (big, small) {
            case (.success(let a), .success(let b)): #expect(a == b, "case \(i): \(bytes)")
            case (.failure, .failure): break
            default: Issue.record("case \(i): one block size read the file and the other refused it: \(bytes)")
            }
        }
    }
}
