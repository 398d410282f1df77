import Foundation
import Testing
import LineageValidators

/// Normal deviates from a seeded xorshift64 generator (Box–Muller): the same seed, the same values.
struct SeededNormals {
    private var state: UInt64
    private var spare: Double?

    init(seed: UInt64) {
        state = (seed &+ 1) &* 0x9E37_79B9_7F4A_7C15
        for _ in 0..<8 { _ = nextBits() }
    }

    mutating func nextBits() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(nextBits() >> 11) * 0x1p-53 }

    mutating func next() -> Double {
        if let s = spare { spare = nil; return s }
        let u1 = 1 - uniform(), u2 = uniform()     // u1 in (0, 1]
        let r = (-2 * log(u1)).squareRoot()
        spare = r * sin(2 * .pi * u2)
        return r * cos(2 * .pi * u2)
    }
}

/// A one-column CSV (`x`) of `rows` draws from N(mean, 1), four decimals, built as bytes.
func normalCSV(rows: Int, seed: UInt64, mean: Double = 0) -> [UInt8] {
    var g = SeededNormals(seed: seed)
    var out = Array("x\n".utf8)
    out.reserveCapacity(rows * 9 + 2)
    var digits = [UInt8](repeating: 0, count: 24)
    for _ in 0..<rows {
        var m = Int(((mean + g.next()) * 10_000).rounded())
        if m < 0 { out.append(0x2D); m = -m }
        var k = 0
        repeat { digits[k] = UInt8(48 + m % 10); m /= 10; k += 1 } while m > 0 || k < 5
        for i in stride(from: k - 1, through: 4, by: -1) { out.append(digits[i]) }
        out.append(0x2E)
        for i in stride(from: 3, through: 0, by: -1) { out.append(digits[i]) }
        out.append(0x0A)
    }
    return out
}

/// PSI drift at the default thresholds: honest re-draws of one distribution never fail, whatever
/// the table's size; a real shift does.
@Suite struct DriftTests {
    static let seeds: [UInt64] = Array(1...20)

    func write(_ dir: String, _ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func drift(_ report: ValidationReport) -> ValidationFinding? { report.findings.first { $0.check == "drift-psi" } }

    /// The previous version and the current one are two independent draws of `rows` rows from
    /// N(0, 1) (a re-split with another seed, at worst): 20 seeds, no error at the defaults.
    @Test(arguments: [100, 1_000, 100_000])
    func honestRedrawsNeverFailAtTheDefaults(rows: Int) throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var failed: [String] = []
        for seed in DriftTests.seeds {
            let previous = try write(dir, "v1.csv", normalCSV(rows: rows, seed: seed))
            let current = try write(dir, "v2.csv", normalCSV(rows: rows, seed: seed + 1_000))
            let report = try QualityValidator.validate(path: current, previous: previous)
            #expect(report.counts["psi-milli:x"] != nil)
            if let f = drift(report), f.severity == .error {
                failed.append("seed \(seed): PSI \(Double(report.counts["psi-milli:x"] ?? 0) / 1000)")
            }
        }
        #expect(failed.isEmpty, "\(rows) rows: \(failed.count) of \(DriftTests.seeds.count) honest re-draws failed: \(failed.joined(separator: ", "))")
    }

    /// A mean moved by half a standard deviation at 1,000 rows fails, for every seed, and the
    /// finding names the option that governs it and its value.
    @Test func halfASigmaShiftAtAThousandRowsFails() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for seed in DriftTests.seeds.prefix(10) {
            let previous = try write(dir, "v1.csv", normalCSV(rows: 1_000, seed: seed))
            let current = try write(dir, "v2.csv", normalCSV(rows: 1_000, seed: seed + 1_000, mean: 0.5))
            let report = try QualityValidator.validate(path: current, previous: previous)
            let f = try #require(drift(report), "seed \(seed): no drift finding")
            #expect(f.severity == .error, "seed \(seed): \(f.message)")
            #expect(report.outcome == .failed)
            #expect(f.message.contains("psi-fail 0.15"), "\(f.message)")
            #expect(f.column == "x")
        }
    }

    /// Small tables are not drift-blind: a mean moved by two standard deviations fails at 100 rows.
    @Test func aLargeShiftFailsASmallTable() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for seed in DriftTests.seeds.prefix(5) {
            let previous = try write(dir, "v1.csv", normalCSV(rows: 100, seed: seed))
            let current = try write(dir, "v2.csv", normalCSV(rows: 100, seed: seed + 1_000, mean: 2))
            let f = try #require(drift(try QualityValidator.validate(path: current, previous: previous)))
            #expect(f.severity == .error, "seed \(seed): \(f.message)")
            #expect(f.message.contains("100 previous and 100 current values in 5 bins"), "\(f.message)")
        }
    }

    /// A PSI at or above psi-fail that sampling noise explains warns, names the settings and says why
    /// it does not fail.
    @Test func driftWithinSamplingNoiseWarnsAndSaysWhy() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = QualityOptions(psiWarn: 0.005, psiFail: 0.01)
        var warned = 0
        for seed in DriftTests.seeds.prefix(5) {
            let previous = try write(dir, "v1.csv", normalCSV(rows: 100, seed: seed))
            let current = try write(dir, "v2.csv", normalCSV(rows: 100, seed: seed + 1_000))
            let report = try QualityValidator.validate(path: current, previous: previous, options: options)
            guard let f = drift(report) else { continue }
            #expect(f.severity == .warning, "\(f.message)")
            #expect(f.message.contains("psi-fail 0.01, psi-warn 0.005, psi-bins 10"), "\(f.message)")
            #expect(f.message.contains("too few rows to tell drift from sampling noise"), "\(f.message)")
            warned += 1
        }
        #expect(warned > 0)
    }

    /// With many rows the noise limit is negligible and an explicit psi-fail decides: a 0.5-sd shift
    /// (PSI about 0.24) only warns under psi-fail 0.3 and fails under 0.2.
    @Test func explicitThresholdsGovernLargeTables() throws {
        let dir = try leakageScratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let previous = try write(dir, "v1.csv", normalCSV(rows: 100_000, seed: 1))
        let current = try write(dir, "v2.csv", normalCSV(rows: 100_000, seed: 2, mean: 0.5))
        let profile = try QualityValidator.profile(path: current, previous: previous)
        let d = try #require(profile.columns.first?.drift)
        #expect(d.psi > 0.2 && d.psi < 0.3 && d.noiseLimit < 0.001 && d.bins == 10)
        let lenient = QualityValidator.report(profile, options: QualityOptions(psiFail: 0.3))
        let warning = try #require(drift(lenient))
        #expect(warning.severity == .warning)
        #expect(warning.message.contains("at or above psi-warn 0.1") && warning.message.contains("below psi-fail 0.3"), "\(warning.message)")
        #expect(drift(QualityValidator.report(profile, options: QualityOptions(psiFail: 0.2)))?.severity == .error)
        #expect(lenient.counts["psi-noise-milli:x"] == 1 && lenient.counts["psi-bins:x"] == 10)
    }
}
