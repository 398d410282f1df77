import Foundation
import Testing
@testable import LineageValidators

/// python3 runs (it compresses test files with its gzip, bz2, lzma and zipfile modules).
enum Python {
    static let available: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import gzip, bz2, lzma, zipfile"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// Writes `bytes` compressed to `path` by its extension (.gz, .bz2, .xz, .zip with `members` copies).
    static func compress(_ bytes: [UInt8], to path: String, members: Int = 1) throws {
        let raw = path + ".raw"
        try Data(bytes).write(to: URL(fileURLWithPath: raw))
        let script = """
            import sys, gzip, bz2, lzma, zipfile, os
            raw, out, members = sys.argv[1], sys.argv[2], int(sys.argv[3])
            data = open(raw, 'rb').read()
            if out.endswith('.gz'): open(out, 'wb').write(gzip.compress(data))
            elif out.endswith('.bz2'): open(out, 'wb').write(bz2.compress(data))
            elif out.endswith('.xz'): open(out, 'wb').write(lzma.compress(data))
            elif out.endswith('.zip'):
                with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
                    for k in range(members): z.writestr('table%d.csv' % k, data)
            os.remove(raw)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, raw, path, String(members)]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw DifferentialFailure(message: "python3 could not write \(path)") }
    }
}

/// Rows as TableReader reads them with `layout`.
func readRows(_ path: String, format: TableFormat? = nil, layout: TableLayout = TableLayout()) throws -> (header: [String], rows: [[String]], numbers: [Int]) {
    let reader = try TableReader(path: path, format: format, layout: layout)
    var rows: [[String]] = [], numbers: [Int] = []
    while try reader.next() { rows.append(reader.fields); numbers.append(reader.row) }
    return (reader.header, rows, numbers)
}

func dialect(_ pairs: [(String, String)]) throws -> TableDialect {
    try TableDialect(description: pairs.map { ($0.0, TableDialect.Value.text($0.1)) })
}

func latin1(_ s: String) -> [UInt8] { s.unicodeScalars.map { UInt8($0.value) } }

@Suite struct DialectTests {
    static let schemaJSON = #"{"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}, {"name": "price", "type": "number"}]}"#

    @Test func semicolonFileIsOneColumnUntilItsDelimiterIsDeclared() throws {
        let path = try writeScratch("prices.csv", "id;name;price\n1;café, bar;2.5\n2;b;3\n")
        #expect(try readRows(path).header == ["id;name;price"])
        let read = try readRows(path, layout: TableLayout(dialect: try dialect([("delimiter", ";")])))
        #expect(read.header == ["id", "name", "price"])
        #expect(read.rows == [["1", "café, bar", "2.5"], ["2", "b", "3"]])
        #expect(read.numbers == [2, 3])
    }

    @Test func pipeTabAndQuoteCharacters() throws {
        let pipe = try writeScratch("p.csv", "a|b\n'x|y'|2\n")
        let read = try readRows(pipe, layout: TableLayout(dialect: try dialect([("delimiter", "|"), ("quoteChar", "'")])))
        #expect(read.header == ["a", "b"])
        #expect(read.rows == [["x|y", "2"]])
        let tab = try writeScratch("t.csv", "a\tb\n1\t2\n")
        #expect(try readRows(tab, layout: TableLayout(dialect: try dialect([("delimiter", "\\t")]))).rows == [["1", "2"]])
    }

    @Test func commentLinesAreSkippedButKeepTheirRowNumbers() throws {
        let path = try writeScratch("c.csv", "# clean this data!\n# second comment\nid,name\n1,a\n# in between\n2,b\n")
        let read = try readRows(path, layout: TableLayout(dialect: try dialect([("commentChar", "#")])))
        #expect(read.header == ["id", "name"])
        #expect(read.rows == [["1", "a"], ["2", "b"]])
        // As frictionless numbers them: comments count as rows.
        #expect(read.numbers == [4, 6])
        // Undeclared, the comment is the header.
        #expect(try readRows(path).header == ["# clean this data!"])
    }

    @Test func initialSpacesAndEscapes() throws {
        let path = try writeScratch("s.csv", "int, \"number\", \"string\"\n1, 2.5, \"a, b\"\n")
        #expect(try readRows(path).header == ["int", " \"number\"", " \"string\""])
        let read = try readRows(path, layout: TableLayout(dialect: try dialect([("skipInitialSpace", "true")])))
        #expect(read.header == ["int", "number", "string"])
        #expect(read.rows == [["1", "2.5", "a, b"]])
        let escaped = try writeScratch("e.csv", "a,b\n\"x\\\"y\",1\\,5\n")
        let e = try readRows(escaped, layout: TableLayout(dialect: try dialect([("escapeChar", "\\"), ("doubleQuote", "false")])))
        #expect(e.rows == [["x\"y", "1,5"]])
    }

    @Test func headerRowsAndNoHeader() throws {
        let path = try writeScratch("h.csv", "Report 2026,\nid,name\nkey,text\n1,a\n")
        let read = try TableReader(path: path, layout: TableLayout(dialect: TableDialect(headerRows: [2, 3])))
        #expect(read.header == ["id key", "name text"])
        #expect(try read.next())
        #expect(read.fields == ["1", "a"] && read.row == 4)
        let bare = try writeScratch("n.csv", "1,2\n3,4\n")
        let noHeader = try readRows(bare, layout: TableLayout(dialect: try dialect([("header", "false")])))
        #expect(noHeader.header == ["field1", "field2"])
        #expect(noHeader.rows == [["1", "2"], ["3", "4"]])
        #expect(noHeader.numbers == [1, 2])
    }

    @Test func dialectMistakesSayWhatIsExpected() {
        #expect(throws: TableDialectError(key: "delimiter", message: "expected exactly one character, not ';;'")) { try dialect([("delimiter", ";;")]) }
        #expect(throws: TableDialectError.self) { try dialect([("delimter", ";")]) }
        #expect(throws: TableDialectError.self) { try dialect([("headerRows", "0")]) }
        #expect(throws: TableDialectError.self) { try dialect([("delimiter", "\""), ("quoteChar", "\"")]) }
        #expect(throws: TableDialectError.self) { try TableEncoding(name: "ebcdic") }
    }

    // MARK: Encodings

    @Test func invalidUTF8SaysToDeclareTheEncodingNotToFixPermissions() throws {
        let path = try writeScratch("l.csv", latin1("id,name\n1,café\n"))
        let error = #expect(throws: TableReadError.self) { _ = try readRows(path) }
        #expect(error?.line == 2)
        #expect(error?.message.contains("encoding") == true)
        #expect(error?.message.contains("permission") == false)
    }

    @Test func everyValidatorRefusesUndeclaredLatin1() throws {
        let path = try writeScratch("l.csv", latin1("id,email\n1,josé@example.com\n"))
        let pii = #expect(throws: TableReadError.self) { _ = try PIIValidator.scan(path: path) }
        #expect(pii?.line == 2)
        #expect(throws: TableReadError.self) { _ = try QualityValidator.validate(path: path, previous: nil) }
        var options = PIIOptions()
        options.layout = TableLayout(encoding: .singleByte("iso-8859-1"))
        #expect(try PIIValidator.scan(path: path, options: options).rows == 2)
    }

    @Test func declaredLegacyEncodingsAreDecoded() throws {
        let path = try writeScratch("l.csv", latin1("id,name\n1,café\n2,Müller\n"))
        let read = try readRows(path, layout: TableLayout(encoding: try TableEncoding(name: "latin-1")))
        #expect(read.rows == [["1", "café"], ["2", "Müller"]])
        // Windows-1252 has € at 0x80; ISO-8859-15 at 0xA4; Windows-1251 is Cyrillic.
        let euro = try writeScratch("w.csv", [0x61, 0x0A, 0x80, 0x0A])
        #expect(try readRows(euro, layout: TableLayout(encoding: try TableEncoding(name: "cp1252"))).rows == [["€"]])
        let euro15 = try writeScratch("w15.csv", [0x61, 0x0A, 0xA4, 0x0A])
        #expect(try readRows(euro15, layout: TableLayout(encoding: try TableEncoding(name: "ISO-8859-15"))).rows == [["€"]])
        let cyr = try writeScratch("cyr.csv", [0x61, 0x0A, 0xCF, 0xF0, 0xE8, 0x0A])
        #expect(try readRows(cyr, layout: TableLayout(encoding: try TableEncoding(name: "windows-1251"))).rows == [["При"]])
        // A byte the declared encoding does not define is an error on its line.
        let undefined = try writeScratch("u.csv", [0x61, 0x0A, 0x62, 0x0A, 0x81, 0x0A])
        let error = #expect(throws: TableReadError.self) { _ = try readRows(undefined, layout: TableLayout(encoding: .singleByte("windows-1252"))) }
        #expect(error?.line == 3)
        #expect(error?.message.contains("0x81") == true)
    }

    @Test func everyLegacyTableMatchesFoundationWhereFoundationKnowsIt() {
        // Independent check of the generated tables against Foundation's converters.
        let known: [(String, String.Encoding)] = [("iso-8859-1", .isoLatin1), ("iso-8859-2", .isoLatin2), ("windows-1250", .windowsCP1250),
                                                  ("windows-1251", .windowsCP1251), ("windows-1252", .windowsCP1252), ("windows-1253", .windowsCP1253),
                                                  ("windows-1254", .windowsCP1254)]
        for (name, encoding) in known {
            let table = LegacyEncodingTables.tables[name]!
            for b in 0xA0...0xFF where table[b - 0x80] != 0xFFFF {
                guard let s = String(bytes: [UInt8(b)], encoding: encoding) else { continue }
                #expect(s.unicodeScalars.first?.value == UInt32(table[b - 0x80]), "\(name) byte \(b)")
            }
        }
        #expect(LegacyEncodingTables.tables.count == 24)
    }

    @Test(.enabled(if: Python.available, "needs python3 to write compressed test files"))
    func compressedJSONLinesAndLatin1JSONLines() throws {
        let dir = try leakageScratchDir()
        let path = dir + "/events.jsonl.gz"
        try Python.compress(Array("{\"id\": 1, \"name\": \"é\"}\n{\"id\": 2, \"name\": \"b\"}\n".utf8), to: path)
        #expect(TableFormat.guess(path: path) == .jsonl)
        let read = try readRows(path)
        #expect(read.header == ["id", "name"])
        #expect(read.rows == [["1", "é"], ["2", "b"]])
        let latin = try writeScratch("l.jsonl", latin1("{\"name\": \"Zoë\"}\n"))
        #expect(try readRows(latin, layout: TableLayout(encoding: .singleByte("iso-8859-1"))).rows == [["Zoë"]])
    }

    @Test func utf16WithByteOrderMark() throws {
        let text = "id,name\n1,Zoë 😀\n"
        let le = try writeScratch("le.csv", [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let be = try writeScratch("be.csv", [0xFE, 0xFF] + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        for path in [le, be] {
            let read = try readRows(path, layout: TableLayout(encoding: .utf16))
            #expect(read.header == ["id", "name"])
            #expect(read.rows == [["1", "Zoë 😀"]])
        }
        let noBOM = try writeScratch("nobom.csv", text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let error = #expect(throws: TableReadError.self) { _ = try readRows(noBOM, layout: TableLayout(encoding: .utf16)) }
        #expect(error?.message.contains("byte-order mark") == true)
    }

    // MARK: Compression

    static let plain = Array("id;name;price\n1;café;2.5\n2;b;3\n".utf8)

    @Test(.enabled(if: Python.available, "needs python3 (gzip, bz2, lzma, zipfile) to write compressed test files"),
          arguments: ["gz", "bz2", "xz", "zip"])
    func compressedFilesReadAsTheirContent(ext: String) throws {
        let dir = try leakageScratchDir()
        let path = dir + "/prices.csv." + ext
        try Python.compress(DialectTests.plain, to: path)
        #expect(TableFormat.guess(path: path) == .csv)
        let read = try readRows(path, layout: TableLayout(dialect: try dialect([("delimiter", ";")])))
        #expect(read.header == ["id", "name", "price"])
        #expect(read.rows == [["1", "café", "2.5"], ["2", "b", "3"]])
    }

    @Test(.enabled(if: Python.available, "needs python3 to write compressed test files"))
    func largeGzipStreamsWithBoundedMemory() throws {
        let dir = try leakageScratchDir()
        var text = "id,value\n"
        for i in 0..<200_000 { text += "\(i),\(i &* 7919 % 1000)\n" }
        let path = dir + "/big.csv.gz"
        try Python.compress(Array(text.utf8), to: path)
        let reader = try TableReader(path: path, blockSize: 1 << 16)
        var rows = 0
        while try reader.next() { rows += 1 }
        #expect(rows == 200_000)
        #expect(reader.bytesRead == text.utf8.count)
        #expect(reader.windowBytes < 1 << 20)
    }

    @Test(.enabled(if: Python.available, "needs python3 to write compressed test files"))
    func brokenArchivesAreLocatedErrors() throws {
        let dir = try leakageScratchDir()
        let two = dir + "/two.csv.zip"
        try Python.compress(DialectTests.plain, to: two, members: 2)
        let zipError = #expect(throws: TableReadError.self) { _ = try readRows(two) }
        #expect(zipError?.message.contains("holds 2 files") == true)
        let gz = dir + "/cut.csv.gz"
        var big = "a,b\n"
        for i in 0..<20_000 { big += "\(i),\(i)\n" }
        try Python.compress(Array(big.utf8), to: gz)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: gz))
        let cut = #expect(throws: TableReadError.self) { _ = try readRows(gz) }
        #expect(cut?.message.contains("truncated") == true)
    }

    // MARK: Every validator reads through the same path

    @Test(.enabled(if: Python.available, "needs python3 to write compressed test files"))
    func everyValidatorReadsADeclaredLayoutTheSameWay() throws {
        let dir = try leakageScratchDir()
        // The same rows three ways: plain RFC 4180 UTF-8; semicolons, comments, spaces, Latin-1, gzip.
        var plain = "id,email,amount\n", odd = "# exported 2026-01-01\nid; email; amount\n"
        for i in 0..<300 {
            plain += "\(i),user\(i % 50)@example.com,\(i % 7).5\n"
            odd += "\(i); user\(i % 50)@example.com; \(i % 7).5\n"
        }
        let a = try writeIn(dir, "a.csv", plain)
        let b = dir + "/b.csv.gz"
        try Python.compress(latin1(odd), to: b)
        let layout = TableLayout(dialect: try dialect([("delimiter", ";"), ("commentChar", "#"), ("skipInitialSpace", "true")]),
                                 encoding: try TableEncoding(name: "iso-8859-1"))

        var piiOptions = PIIOptions()
        let piiPlain = try PIIValidator.scan(path: a, options: piiOptions)
        piiOptions.layout = layout
        let piiOdd = try PIIValidator.scan(path: b, options: piiOptions)
        #expect(piiPlain.hits.map(\.count) == piiOdd.hits.map(\.count))
        #expect(piiOdd.hits.first?.column == "email")
        #expect(piiPlain.hits.first?.rows.map { $0 + 1 } == piiOdd.hits.first?.rows)   // the comment is a row

        var q = QualityOptions(maxDuplicateRows: 0)
        let qPlain = try QualityValidator.validate(path: a, previous: nil, options: q)
        q.layout = layout
        let qOdd = try QualityValidator.validate(path: b, previous: nil, options: q)
        #expect(qPlain.counts["rows"] == qOdd.counts["rows"])
        #expect(qPlain.findings.map(\.check) == qOdd.findings.map(\.check))

        var l = LeakageOptions(key: ["email"])
        let lPlain = try LeakageValidator.validate(splits: [("train", a), ("test", a)], options: l)
        l.layout = layout
        let lOdd = try LeakageValidator.validate(splits: [("train", b), ("test", b)], options: l)
        #expect(lPlain.findings.map(\.check) == lOdd.findings.map(\.check))
        #expect(lPlain.findings.map(\.count) == lOdd.findings.map(\.count))

        let schema = try TableSchema(json: Array(#"{"fields": [{"name": "id", "type": "integer"}, {"name": "email", "type": "string"}, {"name": "amount", "type": "number"}]}"#.utf8))
        let sPlain = try SchemaValidator(schema: schema).validate(path: a)
        let sOdd = try SchemaValidator(schema: schema).validate(path: b, layout: layout)
        #expect(sPlain.findings.isEmpty && sOdd.findings.isEmpty)
        #expect(sPlain.counts["rows"] == sOdd.counts["rows"])
    }

    @Test func schemaResourceDescriptionCarriesTheLayout() throws {
        let json = ##"{"encoding": "latin1", "dialect": {"delimiter": ";", "commentChar": "#"}, "schema": \##(DialectTests.schemaJSON)}"##
        let schema = try TableSchema(json: Array(json.utf8))
        #expect(schema.layout?.dialect.delimiter == 0x3B)
        #expect(schema.layout?.encoding == .singleByte("iso-8859-1"))
        let path = try writeScratch("r.csv", latin1("# note\nid;name;price\n1;café;2.5\n2;b;x\n"))
        let report = try SchemaValidator(schema: schema).validate(path: path)
        #expect(report.findings.map(\.check) == ["type-error"])
        #expect(report.findings.first?.rows == [4])
        let bad = #"{"dialect": {"delimiter": 5}, "schema": \#(DialectTests.schemaJSON)}"#
        let error = #expect(throws: TableSchemaError.self) { _ = try TableSchema(json: Array(bad.utf8)) }
        #expect(error?.path == "dialect.delimiter")
    }

    // MARK: Sniffing

    func sniff(_ text: [UInt8], format: TableFormat = .csv) -> TableSniff {
        TableSniffer.sniff(sample: text, format: format, complete: true)
    }

    @Test func sniffsDelimiterCommentsSpacesAndHeader() {
        let semi = sniff(Array("a;b;c\n1,5;2,0;x\n3,1;4;y\n".utf8))
        #expect(semi.layout.dialect.delimiter == 0x3B && !semi.isAmbiguous)
        #expect(sniff(Array("a|b\n1|2\n".utf8)).layout.dialect.delimiter == 0x7C)
        #expect(sniff(Array("a\tb\n1\t2\n".utf8)).layout.dialect.delimiter == 0x09)
        let comma = sniff(Array("a,b\n1,2\n".utf8))
        #expect(comma.isDefault && comma.layout.dialect.delimiter == nil)
        let commented = sniff(Array("# clean this data!\nid,name\n1,a\n".utf8))
        #expect(commented.layout.dialect.commentChar == 0x23 && commented.layout.dialect.delimiter == nil)
        let spaced = sniff(Array("int, \"number\", \"string\"\n1, 2, \"x\"\n".utf8))
        #expect(spaced.layout.dialect.skipInitialSpace)
        let numbers = sniff(Array("1,2\n3,4\n".utf8))
        #expect(!numbers.layout.dialect.header)
    }

    @Test func sniffsPreambleLinesBeforeTheHeader() throws {
        let text = "Relevés de niveau d'eau\nexport 2026-01-01\nstation;date;niveau\nA;2026-01-01;1,5\nB;2026-01-02;2\n"
        let found = sniff(Array(text.utf8))
        #expect(found.layout.dialect.delimiter == 0x3B)
        #expect(found.layout.dialect.headerRows == [3])
        let path = try writeScratch("niveaux.csv", text)
        let read = try readRows(path, layout: found.layout)
        #expect(read.header == ["station", "date", "niveau"])
        #expect(read.rows.count == 2 && read.numbers == [4, 5])
        // A ragged body is not mistaken for a preamble.
        #expect(sniff(Array("a,b\n1,2,3\n4,5\n".utf8)).layout.dialect.headerRows == [1])
    }

    @Test func anAmbiguousSniffNamesTheCandidates() {
        let both = sniff(Array("a,b;c\n1,2;3\n".utf8))
        #expect(both.isAmbiguous)
        #expect(both.delimiterCandidates == [0x2C, 0x3B])
    }

    @Test func sniffsAProbableLegacyEncoding() {
        let latin = sniff(latin1("nom,ville\nRené,Besançon\nZoë,Orléans\n"))
        #expect(latin.layout.encoding == .singleByte("iso-8859-1"))
        #expect(latin.encodingNote?.contains("iso-8859-1") == true)
        // Curly quotes and € at 0x80–0x9F: Windows-1252.
        let windows = sniff([0x61, 0x0A, 0x93, 0x78, 0x94, 0x20, 0x80, 0x0A])
        #expect(windows.layout.encoding == .singleByte("windows-1252"))
        // Words made only of high bytes: Cyrillic.
        let cyrillic = sniff([0x61, 0x0A] + [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2, 0x20, 0xEC, 0xE8, 0xF0, 0x0A, 0xC4, 0xEE, 0xEC, 0x0A])
        #expect(cyrillic.layout.encoding == .singleByte("windows-1251"))
        let utf16 = sniff([0xFF, 0xFE, 0x61, 0x00, 0x3B, 0x00, 0x62, 0x00, 0x0A, 0x00, 0x31, 0x00, 0x3B, 0x00, 0x32, 0x00, 0x0A, 0x00])
        #expect(utf16.layout.encoding == .utf16 && utf16.layout.dialect.delimiter == 0x3B)
        #expect(sniff(Array("a,b\nü,é\n".utf8)).layout.encoding == .utf8)
    }
}

/// The dialect scanner against Python's csv module (what frictionless reads CSV with) on random
/// hostile text: every awkward character of each dialect, anywhere.
@Suite struct DialectPythonDifferentialTests {
    struct Variant: Sendable {
        var dialect: [(String, String)]
        var python: String       // csv.reader keyword arguments
        var alphabet: [UInt8]
    }

    static let variants: [Variant] = [
        Variant(dialect: [("delimiter", ";")], python: "delimiter=';'", alphabet: Array("ab;\"\n\r é,".utf8)),
        Variant(dialect: [("delimiter", "|"), ("quoteChar", "'"), ("escapeChar", "\\"), ("doubleQuote", "false")],
                python: "delimiter='|', quotechar=\"'\", escapechar='\\\\', doublequote=False", alphabet: Array("ab|'\\\n x\"".utf8)),
        Variant(dialect: [("skipInitialSpace", "true")], python: "skipinitialspace=True", alphabet: Array("ab,\"\n   é".utf8)),
        Variant(dialect: [("delimiter", "\\t"), ("escapeChar", "\\")], python: "delimiter='\\t', escapechar='\\\\'", alphabet: Array("ab\t\"\\\n x".utf8)),
        Variant(dialect: [("delimiter", "|"), ("quoteChar", "'")], python: "delimiter='|', quotechar=\"'\"", alphabet: Array("ab|'\r\n x\"".utf8)),
        Variant(dialect: [("quoteChar", "")], python: "quoting=csv.QUOTE_NONE", alphabet: Array("ab,\"\n x".utf8)),
    ]

    @Test(.enabled(if: Python.available, "needs python3 (its csv module is the reference)"))
    func agreesWithPythonCSVOnRandomText() throws {
        var rng = SystemRandomNumberGenerator()
        let dir = try leakageScratchDir()
        var compared = 0
        for (v, variant) in Self.variants.enumerated() {
            for k in 0..<40 {
                var bytes = (0..<Int.random(in: 1...200, using: &rng)).map { _ in variant.alphabet.randomElement(using: &rng)! }
                // Keep UTF-8 valid: é is two bytes and must stay whole.
                bytes = Array(String(decoding: bytes, as: UTF8.self).utf8)
                let path = dir + "/v\(v)-\(k).csv"
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                let ours: [[String]]
                do {
                    var d = try dialect(variant.dialect.filter { $0.1 != "" })
                    if variant.dialect.contains(where: { $0 == ("quoteChar", "") }) { d.quoteChar = nil }
                    let reader = try TableReader(path: path, layout: TableLayout(dialect: d))
                    var rows = [reader.header]
                    while try reader.next() { rows.append(reader.fields) }
                    ours = rows
                } catch let e as TableReadError where e.message.contains("never closed") || e.message.contains("escape character") {
                    continue   // Python's non-strict reader ends such a field at the end of the file; lineage refuses it
                }
                let script = "import csv,json,sys\nprint(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8'), \(variant.python)))))"
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = ["python3", "-c", script, path]
                let out = Pipe()
                p.standardOutput = out
                p.standardError = FileHandle.nullDevice
                try p.run()
                let data = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                guard p.terminationStatus == 0, let theirs = try JSONSerialization.jsonObject(with: data) as? [[String]] else { continue }
                // An empty file: no header record at all.
                let expected = theirs.isEmpty ? [[]] : theirs
                #expect(ours == expected, "variant \(v) on \(String(reflecting: String(decoding: bytes, as: UTF8.self)))")
                compared += 1
            }
        }
        #expect(compared >= 60)
    }
}
