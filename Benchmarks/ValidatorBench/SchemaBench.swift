import Foundation
import LineageValidators

// lineage-bench-validators schema --file F --schema S [--reps N]
//     validates F against S in-process N times (default 3) and prints the best MB/s (wall clock,
//     and per CPU second).
// lineage-bench-validators schema --generate F --size-mib N [--schema-out S] [--seed K]
//     writes a realistic CSV of about N MiB (ids, integers, decimals, dates, datetimes, booleans,
//     names, quoted free text with commas, and about one bad value per 100,000 cells), and with
//     --schema-out the Table Schema that describes it.
func schemaBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var k = 0
    while k < arguments.count {
        let a = arguments[k]
        guard a.hasPrefix("--") else { throw SchemaBenchUsage(message: "unexpected argument \(a)") }
        if k + 1 < arguments.count, !arguments[k + 1].hasPrefix("--") {
            options[a] = arguments[k + 1]; k += 2
        } else {
            options[a] = ""; k += 1
        }
    }
    if let out = options["--generate"] {
        guard let mib = options["--size-mib"].flatMap(Double.init), mib > 0 else { throw SchemaBenchUsage(message: "--generate needs --size-mib N") }
        let seed = options["--seed"].flatMap(UInt64.init) ?? 20_261_125
        let rows = try SchemaBenchData.generate(path: out, bytes: Int(mib * 1_048_576), seed: seed)
        if let schemaOut = options["--schema-out"] {
            try SchemaBenchData.schema.write(to: schemaOut)
        }
        print("wrote \(out): \(rows) rows, \(String(format: "%.1f", mib)) MiB")
        return
    }
    guard let file = options["--file"], let schemaPath = options["--schema"] else {
        throw SchemaBenchUsage(message: "usage: schema --file F --schema S [--reps N] | --generate F --size-mib N [--schema-out S]")
    }
    let reps = max(1, options["--reps"].flatMap(Int.init) ?? 3)
    let validator = try SchemaValidator(schemaPath: schemaPath)
    var best = Double.infinity, bestCPU = Double.infinity
    var last = ValidationReport(validator: "schema", version: "")
    func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    for _ in 0..<reps {
        let c0 = cpuSeconds()
        let t0 = DispatchTime.now().uptimeNanoseconds
        last = try validator.validate(path: file)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let cpu = cpuSeconds() - c0
        if seconds < best { best = seconds; bestCPU = cpu }
    }
    let bytes = Double(last.counts["bytes"] ?? 0)
    let mbps = bytes / best / 1e6
    let errors = last.counts["errors"] ?? 0
    let summary = last.findings.map { "\($0.check)×\($0.count)" }.joined(separator: " ")
    print("schema: \(last.counts["rows"] ?? 0) rows, \(Int(bytes)) bytes, best of \(reps): \(String(format: "%.3f", best)) s wall "
          + "(\(String(format: "%.3f", bestCPU)) s CPU), \(String(format: "%.1f", mbps)) MB/s, \(errors) errors [\(summary)]")
    // Machine-readable lines for Benchmarks/validators/schema.sh.
    print("MBPS \(String(format: "%.1f", mbps))")
    print("CPU_MBPS \(String(format: "%.1f", bytes / max(bestCPU, 1e-9) / 1e6))")
}

struct SchemaBenchUsage: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

struct BenchNotBuilt: Error { var name: String }

/// The generated table: what a training split of a tabular dataset looks like.
enum SchemaBenchData {
    static let schema = TableSchema(fields: [
        SchemaField(name: "id", type: .integer, constraints: SchemaConstraints(required: true, unique: true)),
        SchemaField(name: "customer_id", type: .integer, constraints: { var c = SchemaConstraints(required: true); c.minimum = .number("1"); return c }()),
        SchemaField(name: "amount", type: .number, constraints: { var c = SchemaConstraints(); c.minimum = .number("0"); return c }()),
        SchemaField(name: "score", type: .number),
        SchemaField(name: "signup_date", type: .date),
        SchemaField(name: "last_seen", type: .datetime),
        SchemaField(name: "active", type: .boolean),
        SchemaField(name: "country", type: .string, constraints: { var c = SchemaConstraints(); c.enumValues = ["DE", "FR", "US", "GB", "JP", "BR", "IN", "NL"].map { .string($0) }; return c }()),
        SchemaField(name: "name", type: .string, constraints: { var c = SchemaConstraints(required: true); c.maxLength = 40; return c }()),
        SchemaField(name: "comment", type: .string),
    ], primaryKey: ["id"])

    struct RNG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func generate(path: String, bytes target: Int, seed: UInt64) throws -> Int {
        guard let out = OutputStream(toFileAtPath: path, append: false) else { throw SchemaBenchUsage(message: "cannot write \(path)") }
        out.open()
        defer { out.close() }
        var rng = RNG(state: seed)
        let countries = ["DE", "FR", "US", "GB", "JP", "BR", "IN", "NL"]
        let first = ["Anna", "Ben", "Chloé", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Luis", "Mia", "Noah", "Olga", "Paul"]
        let last = ["Schmidt", "Martin", "Smith", "Brown", "Tanaka", "Silva", "Patel", "de Vries", "Müller", "Dubois", "Jones", "Kumar"]
        let words = ["fast", "delivery", "refund", "requested", "great", "service", "late", "again", "will", "order", "more", "item", "broken", "ok"]
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var written = 0
        func flush() throws {
            var off = 0
            while off < buffer.count {
                let n = buffer[off...].withUnsafeBufferPointer { out.write($0.baseAddress!, maxLength: $0.count) }
                if n <= 0 { throw SchemaBenchUsage(message: "write failed: \(out.streamError.map { "\($0)" } ?? "?")") }
                off += n
            }
            written += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }
        buffer.append(contentsOf: Array("id,customer_id,amount,score,signup_date,last_seen,active,country,name,comment\n".utf8))
        var row = 0
        func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        while written + buffer.count < target {
            row += 1
            var line = ""
            line.reserveCapacity(160)
            // About one bad value in 100,000 cells, spread over the kinds of error.
            let bad = rng.below(10_000) == 0 ? rng.below(6) : -1
            line += String(row); line += ","
            line += bad == 0 ? "n/a" : String(1 + rng.below(250_000)); line += ","
            let cents = rng.below(1_000_000)
            line += bad == 1 ? "-\(cents / 100).\(pad2(cents % 100))" : "\(cents / 100).\(pad2(cents % 100))"; line += ","
            line += "0.\(String(rng.below(1_000_000)))"; line += ","
            let y = 2015 + rng.below(10), m = 1 + rng.below(12), d = 1 + rng.below(28)
            line += bad == 2 ? "\(y)-\(pad2(m))-31x" : "\(y)-\(pad2(m))-\(pad2(d))"; line += ","
            line += "\(y + 1)-\(pad2(m))-\(pad2(d))T\(pad2(rng.below(24))):\(pad2(rng.below(60))):\(pad2(rng.below(60)))Z"; line += ","
            line += rng.below(2) == 0 ? "true" : "false"; line += ","
            line += bad == 3 ? "XX" : countries[rng.below(countries.count)]; line += ","
            line += bad == 4 ? "" : "\(first[rng.below(first.count)]) \(last[rng.below(last.count)])"; line += ","
            let n = rng.below(6)
            if n == 0 {
                line += ""
            } else {
                let text = (0..<n).map { _ in words[rng.below(words.count)] }.joined(separator: rng.below(4) == 0 ? ", " : " ")
                line += text.contains(",") ? "\"\(text)\"" : text
            }
            line += "\n"
            buffer.append(contentsOf: Array(line.utf8))
            if buffer.count >= 1 << 20 { try flush() }
        }
        try flush()
        return row
    }
}
