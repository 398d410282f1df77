import Foundation
import LineageValidators

// lineage-bench-validators leakage --generate DIR [--train-rows N] [--test-rows M] [--overlap K] [--seed S]
//     writes DIR/train.csv and DIR/test.csv: 10 columns, unique ids, and exactly K rows of test
//     copied from train (so K exact-overlap rows and K key-overlap rows on `id`).
// lineage-bench-validators leakage --train F --test F [--key COLUMN | --no-key]
//     times the exact-overlap (+ key) check in-process and prints seconds, counts and peak RSS.

struct LeakageBenchUsage: Error, CustomStringConvertible {
    var description: String {
        "usage: lineage-bench-validators leakage --generate DIR [--train-rows N] [--test-rows M] [--overlap K] [--seed S]\n"
            + "       lineage-bench-validators leakage --train FILE --test FILE [--key COLUMN | --no-key]"
    }
}

func leakageBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var flags = Set<String>()
    var i = 0
    while i < arguments.count {
        let a = arguments[i]
        guard a.hasPrefix("--") else { throw LeakageBenchUsage() }
        if a == "--no-key" { flags.insert(a); i += 1; continue }
        guard i + 1 < arguments.count else { throw LeakageBenchUsage() }
        options[a] = arguments[i + 1]
        i += 2
    }
    if let dir = options["--generate"] {
        let train = Int(options["--train-rows"] ?? "2000000") ?? 2_000_000
        let test = Int(options["--test-rows"] ?? "500000") ?? 500_000
        let overlap = Int(options["--overlap"] ?? "\(max(1, test / 500))") ?? 1000
        let seed = UInt64(options["--seed"] ?? "20261125") ?? 20_261_125
        try generateSplits(dir: dir, trainRows: train, testRows: test, overlap: min(overlap, train, test), seed: seed)
        return
    }
    guard let train = options["--train"], let test = options["--test"] else { throw LeakageBenchUsage() }
    let key: [String]? = flags.contains("--no-key") ? nil : [options["--key"] ?? "id"]
    let start = DispatchTime.now().uptimeNanoseconds
    let report = try LeakageValidator.validate(splits: [("train", train), ("test", test)], options: LeakageOptions(key: key))
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let rssMiB = Double(usage.ru_maxrss) / 1024   // KiB on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    let rssMiB = Double(usage.ru_maxrss) / 1_048_576   // bytes on macOS
    #endif
    print("leakage: train \(report.counts["rows:train"] ?? 0) rows, test \(report.counts["rows:test"] ?? 0) rows, outcome \(report.outcome.rawValue)")
    print(String(format: "RESULT seconds=%.3f overlap=%d key_overlap=%d rss_mib=%.0f",
                 seconds, report.counts["row-overlap:train/test"] ?? -1, report.counts["key-overlap:train/test"] ?? -1, rssMiB))
}

/// Writes train.csv and test.csv. Row content is a pure function of (seed, index), so a test row can
/// copy a train row exactly; every other row has its own id and cannot match.
private func generateSplits(dir: String, trainRows: Int, testRows: Int, overlap: Int, seed: UInt64) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let header = "id,user_id,category,score,amount,count,flag,date,city,note\n"
    let categories = ["books", "music", "garden", "toys", "tools", "sports", "food", "health", "auto", "baby", "beauty", "games"]
    let cities = ["Berlin", "Paris", "Madrid", "Rome", "Vienna", "Prague", "Warsaw", "Lisbon", "Dublin", "Oslo",
                  "Helsinki", "Athens", "Zagreb", "Riga", "Tallinn", "Vilnius", "Sofia", "Bern", "Brussels", "Amsterdam"]
    let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"]

    func appendInt(_ v: Int, _ out: inout [UInt8], width: Int = 0) {
        let start = out.count
        var n = 0, x = v
        repeat { out.append(UInt8(0x30 + x % 10)); x /= 10; n += 1 } while x > 0
        while n < width { out.append(0x30); n += 1 }
        out[start...].reverse()
    }
    func appendRow(_ index: Int, _ out: inout [UInt8]) {
        var rng = SplitMix64Bench(state: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        appendInt(index + 1, &out); out.append(0x2C)
        appendInt(Int(rng.next() % 1_000_000_000), &out); out.append(0x2C)
        out += categories[Int(rng.next() % UInt64(categories.count))].utf8; out.append(0x2C)
        out += Array("0.".utf8); appendInt(Int(rng.next() % 1_000_000), &out, width: 6); out.append(0x2C)
        appendInt(Int(rng.next() % 100_000), &out); out.append(0x2E); appendInt(Int(rng.next() % 100), &out, width: 2); out.append(0x2C)
        appendInt(Int(rng.next() % 1000), &out); out.append(0x2C)
        out += (rng.next() & 1 == 0 ? "true" : "false").utf8; out.append(0x2C)
        let day = Int(rng.next() % 1826)   // 2020-01-01 … 2024-12-31
        let (y, m, d) = civil(fromDays: 18_262 + day)
        appendInt(y, &out); out.append(0x2D); appendInt(m, &out, width: 2); out.append(0x2D); appendInt(d, &out, width: 2); out.append(0x2C)
        out += cities[Int(rng.next() % UInt64(cities.count))].utf8; out.append(0x2C)
        out += words[Int(rng.next() % UInt64(words.count))].utf8; out.append(0x2D)
        out += words[Int(rng.next() % UInt64(words.count))].utf8; out.append(0x2D)
        appendInt(Int(rng.next() % 1000), &out)
        out.append(0x0A)
    }
    func write(_ name: String, rows: Int, index: (Int) -> Int) throws {
        let path = (dir as NSString).appendingPathComponent(name)
        guard let file = fopen(path, "w") else { throw LeakageError("cannot write \(path)") }
        defer { fclose(file) }
        var buffer = [UInt8](header.utf8)
        buffer.reserveCapacity(1 << 22)
        for r in 0..<rows {
            appendRow(index(r), &buffer)
            if buffer.count >= 1 << 22 { fwrite(buffer, 1, buffer.count, file); buffer.removeAll(keepingCapacity: true) }
        }
        fwrite(buffer, 1, buffer.count, file)
    }
    // Test row j copies train row (j / step) * stride when j is a multiple of step (K of them).
    let step = max(1, testRows / max(overlap, 1))
    let stride = max(1, trainRows / max(overlap, 1))
    try write("train.csv", rows: trainRows) { $0 }
    try write("test.csv", rows: testRows) { j in
        (j % step == 0 && j / step < overlap) ? (j / step) * stride : trainRows + j
    }
    print("generated \(dir)/train.csv (\(trainRows) rows) and \(dir)/test.csv (\(testRows) rows), overlap=\(overlap)")
}

private func civil(fromDays z0: Int) -> (Int, Int, Int) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}

struct SplitMix64Bench {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
