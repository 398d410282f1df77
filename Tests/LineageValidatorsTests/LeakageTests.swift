import Foundation
import Testing
@testable import LineageValidators

/// A fresh scratch directory for one test.
func leakageScratchDir() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-leakage-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Writes `text` to `dir/name` and returns the path.
func writeIn(_ dir: String, _ name: String, _ text: String) throws -> String {
    let path = (dir as NSString).appendingPathComponent(name)
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

private func finding(_ report: ValidationReport, _ check: String) -> ValidationFinding? {
    report.findings.first { $0.check == check }
}

@Suite struct NormalizationTests {
    @Test func canonicalNumbersAreEqual() {
        let n = ValueNormalizer()
        let one = n.normalized("1")
        for text in ["1.0", "01", "1e0", "+1", "0.1E1", " 1 ", "1.", "10e-1", "001.000", "\t1\r\n"] {
            #expect(n.normalized(text) == one, "\(text)")
        }
        #expect(n.normalized("-0") == n.normalized("0.000"))
        #expect(n.normalized("0.05") == n.normalized("5e-2"))
        #expect(n.normalized("120") == n.normalized("1.2e2"))
        #expect(n.normalized("-2.50") == n.normalized("-2.5"))
        #expect(n.normalized("1.5") != n.normalized("15"))
        #expect(n.normalized("-1") != one)
        #expect(n.normalized("1e") == Array("1e".utf8))          // not a number: kept as text
        #expect(n.normalized("1.2.3") == Array("1.2.3".utf8))
        #expect(n.normalized("  Alice ") == Array("Alice".utf8))
        #expect(n.normalized("") == [])
        // A number never equals text, even text that looks like the canonical form.
        #expect(n.normalized("1e1") != Array("1e1".utf8))
    }

    @Test func caseFolding() {
        #expect(ValueNormalizer(caseFold: true).normalized("AbC") == ValueNormalizer().normalized("abc"))
        #expect(ValueNormalizer(caseFold: true).normalized("ÉCOLE") == ValueNormalizer().normalized("école"))
        #expect(ValueNormalizer().normalized("AbC") != ValueNormalizer().normalized("abc"))
    }

    @Test func fingerprintTableGrowsAndFinds() {
        var table = Fingerprint128Table(expected: 0)
        for i in 0..<10_000 {
            let fp = withUnsafeBytes(of: i) { Fingerprint128.of($0) }
            #expect(table.insert(fp, value: UInt32(i)).inserted)
        }
        #expect(table.count == 10_000)
        for i in stride(from: 0, to: 10_000, by: 7) {
            let fp = withUnsafeBytes(of: i) { Fingerprint128.of($0) }
            #expect(table.find(fp).map { table.value(at: $0) } == UInt32(i))
            #expect(!table.insert(fp, value: 0).inserted)
        }
        #expect(table.find(withUnsafeBytes(of: 20_000) { Fingerprint128.of($0) }) == nil)
    }
}

@Suite struct LeakageTests {
    @Test func exactRowOverlapAfterNormalisation() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try writeIn(dir, "train.csv", "id,name,score\n1,alice,0.5\n2,bob,1\n3,carol,2.25\n4,dave,3\n")
        // Row 3 equals train row 3 (01 / 1.0 / spaces), row 5 equals train row 5 (3e0), row 2 differs in case.
        let test = try writeIn(dir, "test.csv", "id,name,score\n1,Alice,0.5\n02 , bob ,1.0\n9,zed,1\n4,dave,3e0\n")
        let report = try LeakageValidator.validate(splits: [("train", train), ("test", test)])
        let f = try #require(finding(report, "row-overlap"))
        #expect(f.count == 2)
        #expect(f.rows == [3, 5])
        #expect(f.examples == ["test row 3 = train row 3", "test row 5 = train row 5"])
        #expect(f.severity == .error)
        #expect(f.file == test)
        #expect(report.outcome == .failed)
        #expect(report.counts["row-overlap:train/test"] == 2)
        #expect(report.counts["rows:train"] == 4)

        let folded = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(caseFold: true))
        #expect(finding(folded, "row-overlap")?.rows == [2, 3, 5])
    }

    @Test func noOverlapPasses() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try writeIn(dir, "train.csv", "a,b\n1,x\n2,y\n")
        let test = try writeIn(dir, "test.csv", "a,b\n1,y\n2,x\n")
        let report = try LeakageValidator.validate(splits: [("train", train), ("test", test)])
        #expect(report.outcome == .passed)
        #expect(report.findings.isEmpty)
        #expect(report.counts["row-overlap:train/test"] == 0)
    }

    @Test func columnSubsetAndThresholds() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try writeIn(dir, "train.csv", "id,text,label\n1,hello,a\n2,world,b\n3,again,a\n")
        let test = try writeIn(dir, "test.csv", "id,text,label\n10,hello,b\n11,world,b\n12,new,a\n")
        let all = try LeakageValidator.validate(splits: [("train", train), ("test", test)])
        #expect(finding(all, "row-overlap") == nil)   // the ids differ
        let subset = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(columns: ["text"]))
        let f = try #require(finding(subset, "row-overlap"))
        #expect(f.count == 2)
        #expect(f.rows == [2, 3])
        #expect(f.examples == ["test row 2 = train row 2", "test row 3 = train row 3"])
        // At the threshold: a warning; above it: an error.
        let tolerated = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(columns: ["text"], maxOverlap: 2))
        #expect(finding(tolerated, "row-overlap")?.severity == .warning)
        #expect(tolerated.outcome == .warned)
        let perCheck = try LeakageValidator.validate(splits: [("train", train), ("test", test)],
                                                     options: LeakageOptions(columns: ["text"], maxOverlap: 5, thresholds: ["row-overlap": 1]))
        #expect(finding(perCheck, "row-overlap")?.severity == .error)
    }

    @Test func overlapIsTheSameWhicheverSideIsLarger() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var small = "k,v\n", large = "k,v\n"
        for i in 0..<50 { small += "\(i * 3),s\(i)\n" }
        for i in 0..<400 { large += "\(i),s\(i / 3)\n" }
        let a = try writeIn(dir, "a.csv", small), b = try writeIn(dir, "b.csv", large)
        let r1 = try LeakageValidator.validate(splits: [("small", a), ("large", b)])
        let r2 = try LeakageValidator.validate(splits: [("large", b), ("small", a)])
        // Rows (i*3, s_i) of small equal row i*3 of large: 50 in both directions.
        #expect(r1.counts["row-overlap:small/large"] == 50)
        #expect(r2.counts["row-overlap:large/small"] == 50)
        #expect(finding(r1, "row-overlap")?.examples.first == "large row 2 = small row 2")
        #expect(finding(r2, "row-overlap")?.examples.first == "small row 2 = large row 2")
        #expect(finding(r2, "row-overlap")?.rows == [2, 3, 4, 5, 6])
        #expect(finding(r2, "row-overlap")?.examples[1] == "small row 3 = large row 5")
    }

    @Test func keyOverlapCountsRowsAndEntities() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try writeIn(dir, "train.csv", "patient_id,visit,x\nP1,1,a\nP2,1,b\nP3,1,c\n,1,d\n")
        let test = try writeIn(dir, "test.csv", "patient_id,visit,x\nP9,2,z\nP2,2,y\nP2,3,w\n,2,v\nP3,9,u\n")
        let report = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(key: ["patient_id"]))
        let f = try #require(finding(report, "key-overlap"))
        #expect(f.count == 3)               // rows 3, 4, 6 of test; the empty key never matches
        #expect(f.rows == [3, 4, 6])
        #expect(f.column == "patient_id")
        #expect(report.counts["key-overlap-keys:train/test"] == 2)
        #expect(f.examples.first == "test row 3 ~ train row 3")
        #expect(finding(report, "row-overlap") == nil)
        // A composite key.
        let composite = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(key: ["patient_id", "visit"]))
        #expect(finding(composite, "key-overlap") == nil)
    }

    @Test func temporalOrderWithDatesDateTimesAndNumbers() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try writeIn(dir, "train.csv", "id,t\n1,2024-01-01\n2,2024-03-01T12:00:00Z\n3,2024-02-01\n4,\n")
        // 2024-03-01T13:00+02:00 is 11:00Z, before train's latest (12:00Z).
        let test = try writeIn(dir, "test.csv", "id,t\n5,2024-03-02\n6,2024-03-01T13:00+02:00\n7,2024-03-01 12:00:00.5\n8,2024-01-15\n9,2024-03-01T12:00:00Z\n")
        let report = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(time: "t"))
        let f = try #require(finding(report, "temporal-order"))
        #expect(f.rows == [3, 5, 6])
        #expect(f.count == 3)
        #expect(f.column == "t")
        #expect(f.message.contains("row 3"))    // train's latest row
        #expect(report.counts["time-missing:train"] == 1)

        let numTrain = try writeIn(dir, "ntrain.csv", "t\n1\n5.5\n3\n")
        let numTest = try writeIn(dir, "ntest.csv", "t\n6\n5.5\n1e1\n")
        let numbers = try LeakageValidator.validate(splits: [("train", numTrain), ("test", numTest)], options: LeakageOptions(time: "t"))
        #expect(finding(numbers, "temporal-order")?.rows == [3])

        let ordered = try writeIn(dir, "later.csv", "id,t\n1,2025-01-01\n")
        #expect(try LeakageValidator.validate(splits: [("train", train), ("test", ordered)], options: LeakageOptions(time: "t")).outcome == .passed)
    }

    @Test func badTimesAreLocatedErrors() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try writeIn(dir, "train.csv", "t\n2024-01-01\nyesterday\n")
        let test = try writeIn(dir, "test.csv", "t\n2024-02-01\n")
        #expect(throws: TableReadError.self) {
            try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(time: "t"))
        }
        do {
            _ = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(time: "t"))
        } catch let e as TableReadError {
            #expect(e.line == 3)
            #expect(e.path == train)
            #expect(e.message.contains("yesterday"))
        }
        let badDate = try writeIn(dir, "bad.csv", "t\n2024-02-30\n")
        #expect(throws: TableReadError.self) {
            try LeakageValidator.validate(splits: [("train", badDate), ("test", test)], options: LeakageOptions(time: "t"))
        }
        let numbers = try writeIn(dir, "num.csv", "t\n5\n")
        #expect(throws: LeakageError.self) {
            try LeakageValidator.validate(splits: [("train", numbers), ("test", test)], options: LeakageOptions(time: "t"))
        }
    }

    @Test func targetLeakageIdenticalAndOneToOne() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "id,copy,code,coarse,noise,label\n"
        for i in 0..<200 {
            let label = "class\(i % 25)"
            // copy == label; code maps one-to-one (25 values); coarse has 5 values; noise is unrelated.
            text += "\(i),\(label),C-\(i % 25),g\(i % 5),\(i % 7),\(label)\n"
        }
        let train = try writeIn(dir, "train.csv", text)
        let test = try writeIn(dir, "test.csv", "id,copy,code,coarse,noise,label\n999,x,y,z,1,w\n")
        let report = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(key: ["id"], label: "label"))
        let leaks = report.findings.filter { $0.check == "target-leakage" }
        #expect(leaks.map(\.column) == ["copy", "code"])
        #expect(leaks.allSatisfy { $0.severity == .error && $0.file == train })
        #expect(leaks[0].message.contains("identical"))
        #expect(leaks[1].message.contains("one-to-one"))
        #expect(leaks[1].fieldNumber == 3)
        // Under 20 distinct values a one-to-one column is not flagged.
        let strict = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(label: "label", minOneToOneValues: 30))
        #expect(strict.findings.filter { $0.check == "target-leakage" }.map(\.column) == ["copy"])
    }

    @Test func identifiersAreNotTargetLeakage() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "row,label\n"
        for i in 0..<100 { text += "\(i),\(i % 2)\n" }
        let train = try writeIn(dir, "train.csv", text)
        let test = try writeIn(dir, "test.csv", "row,label\n1000,1\n")
        let report = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(label: "label"))
        #expect(report.findings.isEmpty)
        #expect(report.counts["target-leakage:train"] == 0)
    }

    @Test func blankLinesAreNotRows() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try writeIn(dir, "train.csv", "a\n1\n\n2\n")
        let test = try writeIn(dir, "test.csv", "a\n\n3\n2\n")
        let report = try LeakageValidator.validate(splits: [("train", train), ("test", test)])
        #expect(report.counts["rows:train"] == 2)
        #expect(report.findings.first?.examples == ["test row 4 = train row 4"])
    }

    @Test func threeSplitsAreComparedPairwiseInOrder() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try writeIn(dir, "train.csv", "a\n1\n2\n")
        let valid = try writeIn(dir, "valid.csv", "a\n2\n3\n")
        let test = try writeIn(dir, "test.jsonl", "{\"a\": 3}\n{\"a\": 1.0}\n")
        let report = try LeakageValidator.validate(splits: [("train", train), ("validation", valid), ("test", test)])
        #expect(report.counts["row-overlap:train/validation"] == 1)
        #expect(report.counts["row-overlap:train/test"] == 1)
        #expect(report.counts["row-overlap:validation/test"] == 1)
        #expect(report.findings.count == 3)
    }

    @Test func filesAcrossDirectorySplitsByDigest() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try writeIn(dir, "train/a.png", "AAAA")
        _ = try writeIn(dir, "train/sub/b.png", "BBBB")
        _ = try writeIn(dir, "test/x.png", "BBBB")
        _ = try writeIn(dir, "test/y.png", "CCCC")
        let digests = try LeakageValidator.fileDigests(directory: dir + "/train")
        #expect(digests.map(\.path) == ["a.png", "sub/b.png"])
        // sha256("AAAA"), as sha256sum prints it.
        #expect(digests[0].sha256 == "63c1dd951ffedf6f7fd968ad4efa39b8ed584f162f46e715114ee184f8de9201")
        let report = try LeakageValidator.validate(splits: [("train", dir + "/train"), ("test", dir + "/test")])
        let f = try #require(finding(report, "file-overlap"))
        #expect(f.count == 1)
        #expect(f.examples == ["test x.png = train sub/b.png"])
        #expect(f.severity == .error)

        // From digests the store already has.
        let given = try LeakageValidator.validateFiles(splits: [
            FileSplit(name: "train", path: "images/train/", files: [("1.png", "ab"), ("2.png", "cd")]),
            FileSplit(name: "test", path: "images/test/", files: [("3.png", "AB"), ("4.png", "ef")]),
        ], options: LeakageOptions(maxOverlap: 1))
        #expect(finding(given, "file-overlap")?.severity == .warning)
        #expect(finding(given, "file-overlap")?.file == "images/test/")
    }

    @Test func piecesGiveTheSameResultAsOneRead() throws {
        // Quoted fields with line breaks, doubled quotes, CRLF and blank lines across many small pieces.
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var train = "id,text,n\r\n", test = "id,text,n\n"
        for i in 0..<3_000 {
            let text = i % 7 == 0 ? "\"line one\nline \"\"two\"\"\n\n,three \(i)\"" : "plain \(i)"
            train += "\(i),\(text),\(i % 10).0\r\n"
            if i % 100 == 0 { train += "\r\n" }
        }
        for i in stride(from: 0, to: 6_000, by: 3) {
            let text = i % 7 == 0 ? "\"line one\nline \"\"two\"\"\n\n,three \(i)\"" : "plain \(i)"
            test += "\(i),\(text),\(i % 10)\n"
        }
        let a = try writeIn(dir, "train.csv", train), b = try writeIn(dir, "test.csv", test)
        var whole = LeakageOptions(key: ["id"])
        let one = try LeakageValidator.validate(splits: [("train", a), ("test", b)], options: whole)
        #expect(one.counts["row-overlap:train/test"] == 1_000)
        #expect(one.counts["key-overlap:train/test"] == 1_000)
        for size in [1, 64, 1000, 4096] {
            whole.pieceBytes = size
            let pieces = try LeakageValidator.validate(splits: [("train", a), ("test", b)], options: whole)
            #expect(pieces == one, "piece size \(size)")
        }
        // Row numbers count the blank lines and the multi-line records: train's id 21 (a quoted
        // three-line-break field at ids 0, 7, 14, 21; blank line after id 0) is row 24.
        let f = try #require(one.findings.first { $0.check == "row-overlap" })
        #expect(f.examples[0] == "test row 2 = train row 2")
        #expect(f.examples[1] == "test row 3 = train row 6")
        #expect(one.findings.first { $0.check == "key-overlap" }?.examples[2] == "test row 4 ~ train row 9")
    }

    @Test func errorsInLaterPiecesAreLocated() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "a,b\n"
        for i in 0..<2_000 { text += "\(i),\"x\ny\"\n" }
        text += "oops\n"
        let train = try writeIn(dir, "train.csv", text), test = try writeIn(dir, "test.csv", "a,b\n1,2\n")
        var options = LeakageOptions()
        options.pieceBytes = 512
        do {
            _ = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: options)
            Issue.record("expected a ragged-row error")
        } catch let e as TableReadError {
            #expect(e.line == 4_002)
            #expect(e.message.hasPrefix("row 2002 has 1 field but the header has 2"))
        }
        let unclosed = try writeIn(dir, "open.csv", String(text.dropLast(5)) + "7,\"never closed\n")
        #expect(throws: TableReadError.self) {
            try LeakageValidator.validate(splits: [("train", unclosed), ("test", test)], options: options)
        }
    }

    @Test func badInputsAreClearErrors() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try writeIn(dir, "train.csv", "id,x\n1,a\n2,b\n")
        let ragged = try writeIn(dir, "ragged.csv", "id,x\n1,a\n2,b,extra\n")
        let test = try writeIn(dir, "test.csv", "id,y\n1,a\n")
        do {
            _ = try LeakageValidator.validate(splits: [("train", train), ("test", test)])
            Issue.record("expected a missing column")
        } catch let e as MissingColumnError {
            #expect(e.column == "x")
            #expect(e.path == test)
            #expect(e.description.contains("no column named \"x\""))
        }
        #expect(throws: MissingColumnError.self) {
            try LeakageValidator.validate(splits: [("train", train), ("test", train)], options: LeakageOptions(key: ["patient"]))
        }
        do {
            _ = try LeakageValidator.validate(splits: [("train", train), ("test", ragged)])
            Issue.record("expected a ragged-row error")
        } catch let e as TableReadError {
            #expect(e.path == ragged)
            #expect(e.line == 3)
            #expect(e.message.contains("3 fields"))
        }
        #expect(throws: TableReadError.self) {
            try LeakageValidator.validate(splits: [("train", train), ("test", dir + "/missing.csv")])
        }
        #expect(throws: LeakageError.self) { try LeakageValidator.validate(splits: [("train", train)]) }
        #expect(throws: LeakageError.self) { try LeakageValidator.validate(splits: [("train", train), ("train", train)]) }
        #expect(throws: LeakageError.self) { try LeakageValidator.validate(splits: [("train", train), ("test", dir)]) }
        let invalidUTF8 = try writeScratch("bad.csv", Array("id,x\n1,".utf8) + [0xFF, 0x0A])
        #expect(throws: TableReadError.self) { try LeakageValidator.validate(splits: [("train", train), ("test", invalidUTF8)]) }
    }
}
