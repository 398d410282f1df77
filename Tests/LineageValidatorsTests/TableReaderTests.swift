import Foundation
import Testing
@testable import LineageValidators

/// A scratch file for one test.
func writeScratch(_ name: String, _ bytes: [UInt8]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-validators-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func writeScratch(_ name: String, _ text: String) throws -> String { try writeScratch(name, Array(text.utf8)) }

func readAll(_ path: String, format: TableFormat? = nil, blockSize: Int = 1 << 20) throws -> (header: [String], rows: [[String]], lines: [Int]) {
    let reader = try TableReader(path: path, format: format, blockSize: blockSize)
    var rows: [[String]] = [], lines: [Int] = []
    while try reader.next() { rows.append(reader.fields); lines.append(reader.line) }
    return (reader.header, rows, lines)
}

@Suite struct TableReaderTests {
    @Test func rfc4180QuotingNewlinesBOMAndCRLF() throws {
        let text = "\u{FEFF}id,name,note\r\n1,\"Smith, J\",\"said \"\"hi\"\"\"\r\n2,plain,\"two\nlines\"\r\n3,,\r\n"
        for block in [64, 7 + 64, 1 << 20] {   // records cut across read blocks must read the same
            let path = try writeScratch("t.csv", text)
            let all = try readAll(path, blockSize: block)
            #expect(all.header == ["id", "name", "note"])
            #expect(all.rows == [["1", "Smith, J", "said \"hi\""], ["2", "plain", "two\nlines"], ["3", "", ""]])
            #expect(all.lines == [2, 3, 5])
        }
    }

    @Test func agreesWithPythonCSVOnGeneratedFiles() throws {
        // Random tables with every awkward character, written by Python's csv module, read back by us.
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab,\"\n\r xé\t1")
        var rows: [[String]] = []
        for _ in 0..<300 {
            rows.append((0..<4).map { _ in String((0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }) })
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: [["h1", "h2", "h3", "h4"]] + rows), as: UTF8.self)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("py-\(UUID().uuidString).csv").path
        let script = "import csv,json,sys\nrows=json.loads(sys.stdin.read())\nwith open(sys.argv[1],'w',newline='') as f:\n  csv.writer(f).writerows(rows)\n"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, path]
        let pipe = Pipe()
        p.standardInput = pipe
        try p.run()
        pipe.fileHandleForWriting.write(Data(json.utf8))
        try pipe.fileHandleForWriting.close()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        for block in [64, 1 << 20] {
            let all = try readAll(path, blockSize: block)
            #expect(all.header == ["h1", "h2", "h3", "h4"])
            // Python writes a row of four empty strings as `,,,`; only a one-column empty row is blank.
            #expect(all.rows == rows)
        }
    }

    @Test func tsvAndEmptyLines() throws {
        let path = try writeScratch("t.tsv", "a\tb\n1\t2\n\n3\t4")
        let all = try readAll(path)
        #expect(all.header == ["a", "b"])
        #expect(all.rows == [["1", "2"], [], ["3", "4"]])
        #expect(all.lines == [2, 3, 4])
    }

    @Test func jsonLinesKeepKeyOrderAndFlattenValues() throws {
        let path = try writeScratch("t.jsonl", "{\"z\": 1, \"a\": \"x\\ny\", \"n\": null}\n\n{\"a\": \"\\u00e9\", \"z\": [1, {\"k\": 2}], \"extra\": true}\n")
        let all = try readAll(path)
        #expect(all.header == ["z", "a", "n"])
        #expect(all.rows == [["1", "x\ny", ""], ["[1, {\"k\": 2}]", "é", "", "true"]])
        #expect(all.lines == [1, 3])
    }

    @Test func malformedInputIsLocated() throws {
        let unclosed = try writeScratch("u.csv", "a,b\n1,2\n3,\"never closed\n4,5\n")
        #expect(throws: TableReadError.self) { _ = try readAll(unclosed) }
        do { _ = try readAll(unclosed) } catch let e as TableReadError { #expect(e.line == 3) }

        let badUTF8 = try writeScratch("b.csv", [UInt8]("a,b\n1,2\n3,".utf8) + [0xC3, 0x28] + [UInt8]("\n".utf8))
        do { _ = try readAll(badUTF8); Issue.record("invalid UTF-8 was accepted") } catch let e as TableReadError {
            #expect(e.line == 3)
            #expect(e.message.contains("UTF-8"))
        }

        let badJSON = try writeScratch("b.jsonl", "{\"a\": 1}\n{\"a\": tru}\n")
        do { _ = try readAll(badJSON); Issue.record("bad JSON was accepted") } catch let e as TableReadError {
            #expect(e.line == 2)
        }
    }

    @Test func formatGuess() {
        #expect(TableFormat.guess(path: "x/y.CSV") == .csv)
        #expect(TableFormat.guess(path: "y.tab") == .tsv)
        #expect(TableFormat.guess(path: "y.ndjson") == .jsonl)
        #expect(TableFormat.guess(path: "y.parquet") == nil)
    }
}
