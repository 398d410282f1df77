import Foundation
import LineageValidators

// lineage-bench-validators pii --generate DIR [--mb N] [--seed S]
//     writes DIR/corpus.csv and DIR/corpus.txt, N MB each: ordinary rows and prose full of numbers,
//     dates and times, with a sprinkling of PII whose counts it prints.
// lineage-bench-validators pii --file F [--file G …] [--threads T] [--reps R]
//     scans each file in-process (best of R, page cache warm) and prints MB/s.
// lineage-bench-validators pii [--mb N]
//     both: generates under a temporary directory, scans, deletes.

struct PIIBenchUsage: Error, CustomStringConvertible {
    var description: String {
        "usage: lineage-bench-validators pii [--generate DIR] [--mb N] [--file F ...] [--threads T] [--reps R]"
    }
}

func piiBench(_ arguments: [String]) throws {
    var files: [String] = []
    var options: [String: String] = [:]
    var i = 0
    while i < arguments.count {
        guard arguments[i].hasPrefix("--"), i + 1 < arguments.count else { throw PIIBenchUsage() }
        if arguments[i] == "--file" { files.append(arguments[i + 1]) } else { options[arguments[i]] = arguments[i + 1] }
        i += 2
    }
    let mb = Int(options["--mb"] ?? "256") ?? 256
    let seed = UInt64(options["--seed"] ?? "20261125") ?? 20_261_125
    if let dir = options["--generate"] {
        try generateCorpus(dir: dir, megabytes: mb, seed: seed)
        return
    }
    var temporary: String?
    if files.isEmpty {
        let dir = NSTemporaryDirectory() + "lineage-pii-bench-\(getpid())"
        try generateCorpus(dir: dir, megabytes: mb, seed: seed)
        files = [dir + "/corpus.csv", dir + "/corpus.txt"]
        temporary = dir
    }
    defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
    let threads = Int(options["--threads"] ?? "") ?? ProcessInfo.processInfo.activeProcessorCount
    let reps = max(1, Int(options["--reps"] ?? "3") ?? 3)
    var totalBytes = 0
    var totalSeconds = 0.0
    for file in files {
        // Warm the page cache, then take the best of `reps` scans.
        _ = try PIIValidator.scan(path: file, options: PIIOptions(threads: threads))
        var best = Double.infinity
        var result: PIIScanResult?
        for _ in 0..<reps {
            let start = DispatchTime.now().uptimeNanoseconds
            result = try PIIValidator.scan(path: file, options: PIIOptions(threads: threads))
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let r = result!
        let counts = PIICategory.allCases.map { "\($0.rawValue)=\(r.count($0))" }.joined(separator: " ")
        print(String(format: "pii: %@ (%@, %.1f MB, %d rows) %.3f s, %.0f MB/s  %@",
                     (file as NSString).lastPathComponent, r.kind.rawValue, Double(r.bytes) / 1e6, r.rows, best,
                     Double(r.bytes) / 1e6 / best, counts))
        totalBytes += r.bytes
        totalSeconds += best
    }
    print(String(format: "RESULT mb_per_s=%.0f bytes=%d seconds=%.3f threads=%d", Double(totalBytes) / 1e6 / totalSeconds, totalBytes, totalSeconds, threads))
}

/// A CSV of customer-like rows and a text file of log-like prose, `megabytes` MB each.
private func generateCorpus(dir: String, megabytes: Int, seed: UInt64) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var rng = SplitMix64Bench(state: seed)
    func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    func num(_ n: UInt64) -> Int { Int(rng.next() % n) }
    // Zero-padded decimal (String(format:) is slow enough to dominate generation).
    func pad(_ v: Int, _ width: Int) -> String {
        let digits = String(v)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
    let first = ["anna", "ben", "carla", "dmitri", "eva", "farid", "greta", "hugo", "ines", "jonas", "kofi", "lena"]
    let last = ["smith", "muller", "rossi", "garcia", "novak", "kowalski", "silva", "dubois", "jensen", "costa"]
    let words = ["the", "order", "was", "shipped", "to", "customer", "after", "payment", "cleared", "and", "a", "refund",
                 "request", "arrived", "on", "ticket", "status", "changed", "from", "open", "closed", "version", "build", "service"]
    let pii: [() -> String] = [
        { "\(pick(first)).\(pick(last))\(num(100))@example.com" },
        { "+44 20 7946 \(pad(num(10_000), 4))" },
        { "(555) \(100 + num(900))-\(pad(num(10_000), 4))" },
        { "4111 1111 1111 1111" },
        { "GB82 WEST 1234 5698 7654 32" },
        { "123-45-\(pad(1 + num(9_999), 4))" },
        { "10.\(num(256)).\(num(256)).\(1 + num(254))" },
        { "2001:db8::\(String(num(65_536), radix: 16))" },
    ]
    var planted = 0
    let target = megabytes * 1_000_000

    func writeFile(_ name: String, line: (inout String) -> Void) throws {
        let path = (dir as NSString).appendingPathComponent(name)
        guard let file = fopen(path, "w") else { throw PIIBenchUsage() }
        defer { fclose(file) }
        var written = 0
        var chunk = ""
        chunk.reserveCapacity(1 << 22)
        while written < target {
            line(&chunk)
            if chunk.utf8.count >= 1 << 22 {
                written += chunk.utf8.count
                fputs(chunk, file)
                chunk.removeAll(keepingCapacity: true)
            }
        }
    }
    var id = 0
    try writeFile("corpus.csv") { out in
        if id == 0 { out += "id,name,email,phone,amount,created,ip,comment\n" }
        id += 1
        let sprinkle = num(100)
        let email = sprinkle < 2 ? pii[0]() : "n/a"
        let phone = sprinkle == 2 ? pii[1]() : (sprinkle == 3 ? pii[2]() : "")
        let ip = sprinkle == 4 ? pii[6]() : "-"
        var comment = (0..<(4 + num(8))).map { _ in pick(words) }.joined(separator: " ") + " #\(num(100_000))"
        if sprinkle == 5 { comment += " card " + pii[3]() }
        if sprinkle == 6 { comment += " iban " + pii[4]() }
        if sprinkle == 7 { comment += " ssn " + pii[5]() }
        if sprinkle < 8 { planted += 1 }
        out += "\(id),\(pick(first).capitalized) \(pick(last).capitalized),\(email),\(phone),\(num(100_000)).\(pad(num(100), 2)),"
        out += "2024-\(pad(1 + num(12), 2))-\(pad(1 + num(28), 2)) \(pad(num(24), 2)):\(pad(num(60), 2)):\(pad(num(60), 2)),\(ip),\"\(comment)\"\n"
    }
    let csvPlanted = planted
    planted = 0
    try writeFile("corpus.txt") { out in
        var line = "2024-\(pad(1 + num(12), 2))-\(pad(1 + num(28), 2))T\(pad(num(24), 2)):\(pad(num(60), 2)):\(pad(num(60), 2)).\(pad(num(1000), 3))Z "
        // Prose with numbers, never two numbers in a row (runs of numbers can look like phone or card numbers).
        var previousWasNumber = false
        line += "INFO [worker-\(num(16))] " + (0..<(6 + num(10))).map { _ -> String in
            let number = !previousWasNumber && num(4) == 0
            previousWasNumber = number
            return number ? String(num(10_000)) : pick(words)
        }.joined(separator: " ")
        line += " took \(num(1000)).\(num(10)) ms v\(num(5)).\(num(20)).\(num(100))"
        if num(50) == 0 { line += " user " + pick(pii)(); planted += 1 }
        out += line + "\n"
    }
    print("generated \(dir)/corpus.csv and corpus.txt (\(megabytes) MB each); planted PII: csv rows \(csvPlanted), text lines \(planted)")
}
