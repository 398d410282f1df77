import Foundation
import Testing
@testable import LineageValidators

/// Hostile input to the readers: JSON strings that are not text, and records far longer than any
/// table's. Each must be a located error, never a crash, and no reader may hold more than its limit.
@Suite struct BoundsTests {
    // MARK: - JSON strings

    /// `"\ud800\u0041"` (a high surrogate followed by a non-surrogate) used to trap in TableReader
    /// (an unsigned underflow: SIGILL); lone surrogates are now an error at their line in every reader.
    @Test(arguments: [#"\ud800\u0041"#, #"\ud800"#, #"\udc00"#, #"x\uDBFFy"#, #"\ude00\ud83d"#])
    func loneSurrogateInJSONLinesIsALocatedError(_ escape: String) throws {
        let path = try writeScratch("s.jsonl", "{\"a\": \"ok\"}\n{\"a\": \"\(escape)\"}\n")
        let reader = try TableReader(path: path)
        #expect(try reader.next())
        let error = #expect(throws: TableReadError.self) { _ = try reader.next() }
        #expect(error?.line == 2)
        #expect(error?.message.contains("surrogate") == true)

        // The schema scanner reads JSON Lines the same way: `schema infer` reports it, located.
        let inferError = #expect(throws: TableReadError.self) { _ = try TableSchema.infer(path: path) }
        #expect(inferError?.line == 2)

        // A nested value is kept as JSON text but its strings are checked too.
        let nested = try writeScratch("n.jsonl", "{\"a\": {\"k\": \"\(escape)\"}}\n")
        #expect(throws: TableReadError.self) { _ = try TableReader(path: nested) }
    }

    @Test func schemaJSONRefusesLoneSurrogatesInsteadOfReplacingThem() throws {
        #expect(throws: SchemaJSON.ParseError.self) { _ = try SchemaJSON.parse(#"{"a": "\ud800"}"#) }
        #expect(throws: SchemaJSON.ParseError.self) { _ = try SchemaJSON.parse(#"["\ud800\u0041"]"#) }
        // A lone surrogate in a cell of type object is an invalid cell, not a crash and not U+FFFD.
        let schema = try TableSchema(json: Array(#"{"fields": [{"name": "o", "type": "object"}]}"#.utf8))
        let table = try writeScratch("o.csv", "o\n\"{\"\"k\"\": \"\"\\ud800\"\"}\"\n\"{\"\"k\"\": 1}\"\n")
        let report = try SchemaValidator(schema: schema).validate(path: table)
        #expect(report.counts["errors"] == 1)
        #expect(report.findings.first?.rows == [2])
    }

    @Test func theJSONReadersAgreeOnStrings() throws {
        // One unescape routine: the same text for pairs, every escape, and the same refusals.
        let cases: [(String, String?)] = [
            (#"\ud83d\ude00"#, "😀"), (#"\u00e9\/\"\\\b\f\n\r\t"#, "é/\"\\\u{8}\u{C}\n\r\t"), (#"\u0000"#, "\u{0}"),
            (#"\x"#, nil), (#"\u12"#, nil), ("tab\there", nil), ("raw\u{1}", nil),
        ]
        for (body, expected) in cases {
            let line = "{\"a\": \"\(body)\"}"
            let viaSchemaJSON = try? SchemaJSON.parse(line)["a"]
            let path = try writeScratch("c.jsonl", line + "\n")
            let viaReader = try? { () throws -> String in
                let r = try TableReader(path: path)
                _ = try r.next()
                return r.string(0)
            }()
            if let expected {
                #expect(viaSchemaJSON == .string(expected), "\(body)")
                #expect(viaReader == expected, "\(body)")
            } else {
                #expect(viaSchemaJSON == nil, "\(body)")
                #expect(viaReader == nil, "\(body)")
            }
        }
    }

    // MARK: - Record limits

    /// A table whose third line is `length` bytes long (one field), between two short records.
    static func longLineTable(_ name: String, length: Int, quoted: Bool = false) throws -> String {
        var bytes = Array("a\nshort\n".utf8)
        if quoted {
            bytes.append(0x22)
            bytes += [UInt8](repeating: UInt8(ascii: "x"), count: length / 2) + [0x0A] + [UInt8](repeating: UInt8(ascii: "y"), count: length / 2)
            bytes.append(0x22)
        } else {
            bytes += [UInt8](repeating: UInt8(ascii: "x"), count: length)
        }
        bytes += Array("\nafter\n".utf8)
        return try writeScratch(name, bytes)
    }

    @Test(arguments: [false, true])
    func tableReaderRefusesARecordPastItsLimitAndKeepsItsWindow(quoted: Bool) throws {
        let limit = 1000, block = 64
        let path = try Self.longLineTable("t.csv", length: 200_000, quoted: quoted)
        let reader = try TableReader(path: path, blockSize: block, maxRecordBytes: limit)
        #expect(try reader.next())
        #expect(reader.fields == ["short"])
        let error = #expect(throws: TableReadError.self) { _ = try reader.next() }
        #expect(error?.line == 3)
        #expect(error?.message.contains("longer than 1000 bytes") == true)
        // Neither the read window (limit + one block) nor the field bytes (array growth: up to twice
        // that) grew with the 200,000-byte record.
        #expect(reader.windowBytes <= 3 * (limit + block))

        // A record at the limit is read.
        let fits = try Self.longLineTable("f.csv", length: limit - 1)
        let ok = try TableReader(path: fits, blockSize: block, maxRecordBytes: limit)
        var rows: [String] = []
        while try ok.next() { rows.append(ok.string(0)) }
        #expect(rows.map(\.count) == [5, limit - 1, 5])
    }

    @Test func tableReaderBoundsJSONLinesToo() throws {
        let long = String(repeating: "v", count: 100_000)
        let path = try writeScratch("l.jsonl", "{\"a\": 1}\n{\"a\": \"\(long)\"}\n")
        let reader = try TableReader(path: path, blockSize: 64, maxRecordBytes: 500)
        #expect(try reader.next())
        let error = #expect(throws: TableReadError.self) { _ = try reader.next() }
        #expect(error?.line == 2)
        #expect(reader.windowBytes <= 3 * (500 + 64))
    }

    @Test(arguments: [false, true])
    func schemaScannerRefusesARecordPastItsLimitAndKeepsItsWindow(quoted: Bool) throws {
        let path = try Self.longLineTable("s.csv", length: 300_000, quoted: quoted)
        let scanner = try SchemaCSVScanner(path: path, blockSize: 64, maxRecordBytes: 2000)
        #expect(try scanner.next())
        let error = #expect(throws: TableReadError.self) { _ = try scanner.next() }
        #expect(error?.line == 3)
        #expect(scanner.windowBytes <= 3 * (2000 + 64) + 4096)   // window, plus the scratch's first 4 KiB
        // The header itself past the limit is refused on line 1.
        let header = try writeScratch("h.csv", String(repeating: "h", count: 5000) + "\n1\n")
        let headerError = #expect(throws: TableReadError.self) { _ = try SchemaCSVScanner(path: header, blockSize: 64, maxRecordBytes: 2000) }
        #expect(headerError?.line == 1)
    }

    @Test(arguments: [false, true])
    func mappedReadersRefuseARecordPastTheirLimit(quoted: Bool) throws {
        // Leakage and quality read CSV through a memory map; the same limit holds there.
        let path = try Self.longLineTable("m.csv", length: 50_000, quoted: quoted)
        let split = try LeakageValidator.MappedSplit(name: "m", path: path, delimiter: 0x2C, maxRecordBytes: 1000)
        let record = MappedRecord(base: split.file.base!, count: split.file.count, delimiter: 0x2C, maxRecordBytes: 1000)
        _ = record.parse(at: split.dataStart)
        #expect(!record.tooLong)
        let quality = #expect(throws: TableReadError.self) {
            _ = try TableStats.read(path: path, options: QualityOptions(), current: true, maxRecordBytes: 1000)
        }
        #expect(quality?.line == 3)
        #expect(quality?.message.contains("longer than 1000 bytes") == true)
        // PII scans the map in place; an over-long record is an error there too, in any piece.
        for threads in [1, 4] {
            let pii = #expect(throws: TableReadError.self) {
                _ = try PIIValidator.scan(path: path, options: PIIOptions(threads: threads), maxRecordBytes: 1000)
            }
            #expect(pii?.line == 3)
        }
        // Header over the limit.
        let header = try writeScratch("h.csv", String(repeating: "h", count: 5000) + "\n1\n")
        #expect(throws: TableReadError.self) { _ = try LeakageValidator.MappedSplit(name: "h", path: header, delimiter: 0x2C, maxRecordBytes: 1000) }
        #expect(throws: TableReadError.self) { _ = try PIIValidator.scan(path: header, maxRecordBytes: 1000) }
        // Under the limit nothing changes.
        let fine = try Self.longLineTable("ok.csv", length: 900)
        #expect(try TableStats.read(path: fine, options: QualityOptions(), current: true, maxRecordBytes: 1000).rows == 3)
        #expect(try PIIValidator.scan(path: fine, maxRecordBytes: 1000).rows == 4)
    }
}
