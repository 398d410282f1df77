import Foundation
import Testing
@testable import LineageValidators

private func numbersCSV(_ column: String, _ values: [Double], extra: String? = nil) -> String {
    var text = column + (extra.map { ",\($0)" } ?? "") + "\n"
    for v in values { text += "\(v)" + (extra.map { _ in ",x" } ?? "") + "\n" }
    return text
}

@Suite struct QualityTests {
    @Test func missingValuesPerColumn() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try writeIn(dir, "d.csv", "a,b,c\n1,,x\n2,,y\n3,5,NA\n4,6,z\n")
        let report = try QualityValidator.validate(path: path, previous: nil, options: QualityOptions(maxMissing: 0.25))
        let f = report.findings.filter { $0.check == "missing-values" }
        #expect(f.map(\.column) == ["b"])          // 50 % missing; c's "NA" is a value by default
        #expect(f.first?.count == 2)
        #expect(f.first?.fieldNumber == 2)
        #expect(f.first?.message.contains("50%") == true)
        #expect(report.counts["missing:b"] == 2)
        // With NA declared missing, c is 25 %: not above 0.25.
        let na = try QualityValidator.validate(path: path, previous: nil, options: QualityOptions(maxMissing: 0.25, missingValues: ["", "NA"]))
        #expect(na.counts["missing:c"] == 1)
        #expect(na.findings.map(\.column) == ["b"])
        #expect(try QualityValidator.validate(path: path, previous: nil, options: QualityOptions(maxMissing: 0.5)).findings.isEmpty)
        // Without a threshold only the counts are reported.
        #expect(try QualityValidator.validate(path: path, previous: nil).outcome == .passed)
    }

    @Test func duplicateRowsAfterNormalisation() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try writeIn(dir, "d.csv", "id,name\n1,ann\n2,bob\n1.0, ann\n3,cy\n2,bob\n2,Bob\n")
        let report = try QualityValidator.validate(path: path, previous: nil, options: QualityOptions(maxDuplicateRows: 0))
        let f = try #require(report.findings.first { $0.check == "duplicate-rows" })
        #expect(f.count == 2)
        #expect(f.rows == [4, 6])
        #expect(f.examples == ["row 4 = row 2", "row 6 = row 3"])
        #expect(report.outcome == .failed)
        #expect(try QualityValidator.validate(path: path, previous: nil, options: QualityOptions(maxDuplicateRows: 2)).outcome == .passed)
        let folded = try QualityValidator.profile(path: path, previous: nil, options: QualityOptions(caseFold: true))
        #expect(folded.duplicateRows == 3)
    }

    @Test func rowCountChangeAgainstThePreviousVersion() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let previous = try writeIn(dir, "v1.csv", "a\n" + (0..<10).map { "\($0)\n" }.joined())
        let grown = try writeIn(dir, "v2.csv", "a\n" + (0..<13).map { "\($0)\n" }.joined())
        let report = try QualityValidator.validate(path: grown, previous: previous, options: QualityOptions(maxRowChange: 0.2))
        let f = try #require(report.findings.first { $0.check == "row-count-change" })
        #expect(f.message.contains("+30%"))
        #expect(f.count == 3)
        #expect(report.counts["previous-rows"] == 10)
        #expect(report.counts["rows"] == 13)
        #expect(try QualityValidator.validate(path: grown, previous: previous, options: QualityOptions(maxRowChange: 0.3)).findings
            .filter { $0.check == "row-count-change" }.isEmpty)
        let shrunk = try writeIn(dir, "v3.csv", "a\n1\n\n2\n")   // the blank line is not a row
        let p = try QualityValidator.profile(path: shrunk, previous: previous)
        #expect(p.rows == 2)
        #expect(p.rowChange == 0.8)
        #expect(try QualityValidator.profile(path: shrunk, previous: nil).rowChange == nil)
    }

    @Test func psiValues() {
        let base = (0..<10_000).map { Double($0 % 1000) }
        #expect(QualityValidator.populationStabilityIndex(expected: base, actual: base) == 0)
        let shifted = base.map { $0 + 300 }
        let big = QualityValidator.populationStabilityIndex(expected: base, actual: shifted)
        #expect(big > 0.25)
        let slight = base.map { $0 < 100 ? $0 + 100 : $0 }     // the lowest decile moves up one bin
        let small = QualityValidator.populationStabilityIndex(expected: base, actual: slight)
        #expect(small > 0.1 && small < big)
        // Hand-computed: values 0 / 1, 50/50 → 80/20. Cut at 0 and 1: bins ≤ 0, ≤ 1 and > 1 (empty in
        // both), each count plus ½ over 100 + 3·½; the empty bin adds nothing.
        let e = [Double](repeating: 0, count: 50) + [Double](repeating: 1, count: 50)
        let a = [Double](repeating: 0, count: 80) + [Double](repeating: 1, count: 20)
        let a0 = 80.5 / 101.5, a1 = 20.5 / 101.5, e0 = 50.5 / 101.5, e1 = 50.5 / 101.5
        let expected = (a0 - e0) * log(a0 / e0) + (a1 - e1) * log(a1 / e1)
        #expect(abs(QualityValidator.populationStabilityIndex(expected: e, actual: a) - expected) < 1e-12)
        // A constant column that moves.
        #expect(QualityValidator.populationStabilityIndex(expected: [5, 5, 5], actual: [6, 6, 6]) > 1)
        // The lowest decile gone (all but its top value): smoothed, a finite and large figure.
        let gap = QualityValidator.populationStabilityIndex(expected: base, actual: base.filter { $0 >= 100 })
        #expect(gap.isFinite && gap > 0.3 && gap < 1)
    }

    /// Bins follow the smaller sample (one per 20 values, at most psi-bins, at least 2), and the
    /// noise limit is (1/n₁ + 1/n₂) times the 99.99 % quantile of χ²(bins − 1).
    @Test func driftBinsAndNoiseLimit() {
        let hundred = (0..<100).map(Double.init), thousand = (0..<1_000).map(Double.init)
        let small = QualityValidator.measureDrift(expected: hundred, actual: thousand)
        #expect(small.bins == 5 && small.previousValues == 100 && small.currentValues == 1_000)
        // χ²₀.₉₉₉₉(4) = 23.51; Wilson–Hilferty gives 24.16.
        #expect(abs(small.noiseLimit - (0.01 + 0.001) * 24.155) < 0.001)
        let large = QualityValidator.measureDrift(expected: thousand, actual: thousand)
        #expect(large.bins == 10 && large.psi == 0 && !large.beyondNoise)
        #expect(abs(large.noiseLimit - 0.002 * 34.148) < 0.001)   // χ²₀.₉₉₉₉(9) = 33.72
        #expect(QualityValidator.measureDrift(expected: thousand, actual: thousand, maxBins: 4).bins == 4)
        #expect(QualityValidator.measureDrift(expected: [1, 2, 3], actual: [1, 2, 3]).bins == 2)
        // Tied values merge cut points: two distinct values, two bins whatever was asked.
        let twoValues = (0..<1_000).map { Double($0 % 2) }
        #expect(QualityValidator.measureDrift(expected: twoValues, actual: twoValues).bins == 2)
    }

    @Test func driftOfNumericColumns() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 7)
        func normal(_ mean: Double) -> Double {
            let u1 = Double(rng.next() % 1_000_000 + 1) / 1_000_001, u2 = Double(rng.next() % 1_000_000) / 1_000_000
            return mean + (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        var v1 = "stable,moved,name\n", v2 = "stable,moved,name\n"
        for i in 0..<5_000 { v1 += "\(normal(0)),\(normal(0)),n\(i)\n" }
        for i in 0..<5_000 { v2 += "\(normal(0)),\(normal(1)),n\(i)\n" }
        let previous = try writeIn(dir, "v1.csv", v1), current = try writeIn(dir, "v2.csv", v2)
        let profile = try QualityValidator.profile(path: current, previous: previous)
        let stable = try #require(profile.columns.first { $0.name == "stable" }?.psi)
        let moved = try #require(profile.columns.first { $0.name == "moved" }?.psi)
        #expect(stable < 0.05)
        #expect(moved >= 0.25)
        #expect(profile.columns.first { $0.name == "name" }?.psi == nil)   // not numeric
        #expect(profile.columns.first { $0.name == "name" }?.numeric == false)
        let report = QualityValidator.report(profile, options: QualityOptions())
        let drift = report.findings.filter { $0.check == "drift-psi" }
        #expect(drift.map(\.column) == ["moved"])
        #expect(drift.first?.severity == .error)
        #expect(report.counts["psi-milli:moved"] == Int((moved * 1000).rounded()))
        // Configured thresholds: a warning only.
        let lenient = QualityValidator.report(profile, options: QualityOptions(psiWarn: 0.2, psiFail: 10))
        #expect(lenient.findings.filter { $0.check == "drift-psi" }.map(\.severity) == [.warning])
        #expect(lenient.outcome == .warned)
        // Reservoir sampling beyond the limit gives nearly the same figure.
        let sampled = try QualityValidator.profile(path: current, previous: previous, options: QualityOptions(sampleLimit: 1_000))
        let sampledMoved = try #require(sampled.columns.first { $0.name == "moved" }?.psi)
        #expect(abs(sampledMoved - moved) < 0.25)
        #expect(sampledMoved >= 0.25)
    }

    @Test func columnsOnlyInOneVersionHaveNoPSI() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let previous = try writeIn(dir, "v1.csv", numbersCSV("a", [1, 2, 3]))
        let current = try writeIn(dir, "v2.csv", numbersCSV("b", [1, 2, 3]))
        let p = try QualityValidator.profile(path: current, previous: previous)
        #expect(p.columns.map(\.psi) == [nil])
        let subset = try QualityValidator.profile(path: current, previous: previous, options: QualityOptions(columns: ["b"]))
        #expect(subset.columns.map(\.name) == ["b"])
        #expect(throws: MissingColumnError.self) { try QualityValidator.profile(path: current, previous: nil, options: QualityOptions(columns: ["zz"])) }
    }

    @Test func badInputs() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ragged = try writeIn(dir, "r.csv", "a,b\n1,2\n3\n")
        do {
            _ = try QualityValidator.validate(path: ragged, previous: nil)
            Issue.record("expected an error")
        } catch let e as TableReadError {
            #expect(e.line == 3)
            #expect(e.path == ragged)
        }
        #expect(throws: TableReadError.self) { try QualityValidator.validate(path: dir + "/none.csv", previous: nil) }
        let good = try writeIn(dir, "g.csv", "a\n1\n")
        #expect(throws: TableReadError.self) { try QualityValidator.validate(path: good, previous: dir + "/none.csv") }
    }

    @Test func jsonLinesAndTSV() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let jsonl = try writeIn(dir, "d.jsonl", "{\"a\": 1, \"b\": null}\n{\"a\": 1.0, \"b\": null}\n\n{\"a\": 2, \"b\": \"x\"}\n")
        let p = try QualityValidator.profile(path: jsonl, previous: nil)
        #expect(p.rows == 3)
        #expect(p.columns.map(\.missing) == [0, 2])
        #expect(p.duplicateRows == 1)
        #expect(p.duplicateExamples == [.init(row: 3, firstRow: 2)])
        let tsv = try writeIn(dir, "d.tsv", "a\tb\n1\t\n2\t\"q\"\"uoted\"\n")
        let t = try QualityValidator.profile(path: tsv, previous: jsonl)
        #expect(t.columns.map(\.missing) == [0, 1])
        #expect(t.columns.first?.psi != nil)
    }

    @Test func decimalParsing() {
        func parse(_ s: String) -> Double? { Array(s.utf8).withUnsafeBufferPointer { parseDecimal($0) } }
        #expect(parse("1") == 1)
        #expect(parse(" -2.5 ") == -2.5)
        #expect(parse("1e3") == 1000)
        #expect(parse("+.5") == 0.5)
        #expect(parse("0.1") == 0.1)
        #expect(parse("123456789012345678901234") == 123456789012345678901234.0)
        #expect(parse("1.7976931348623157e308") == .greatestFiniteMagnitude)
        #expect(parse("abc") == nil)
        #expect(parse("1e") == nil)
        #expect(parse("inf") == nil)
        #expect(parse("nan") == nil)
        #expect(parse("0x10") == nil)
        #expect(parse("") == nil)
        #expect(parse("1.2.3") == nil)
    }
}
