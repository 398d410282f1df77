import Foundation
import LineageTestSupport
import Testing
@testable import LineageValidators

/// Mutation fuzzing of the table readers (CSV, TSV, JSON Lines) at small and odd block sizes, so
/// records cut across reads are exercised: a reader may refuse a file, never crash, and a file it
/// reads must read the same whatever the block size. Seeded: a failure reproduces.
@Suite struct ReaderFuzzTests {
    static let tokens: [[UInt8]] = ["\"", "\"\"", ",", "\t", "\n", "\r", "\r\n", "\u{0}", "\\", "{", "}", "[", "]", ":",
                                    "\\ud800", "\\u0000", "\u{FEFF}", "é", "\u{1F600}", "1e999", "null"].map { Array($0.utf8) }
        + [[0xFF], [0xC3], [0xED, 0xA0, 0x80]]

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
        var m = SeededMutator(seed: UInt64(sample.utf8.count), tokens: Self.tokens)
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
