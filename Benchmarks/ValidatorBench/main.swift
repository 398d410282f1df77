import Foundation

// Times the validators on generated tables, in-process, and prints throughput:
//   lineage-bench-validators schema  ...   (SchemaBench.swift)
//   lineage-bench-validators leakage ...   (LeakageBench.swift)
//   lineage-bench-validators pii     ...   (PIIBench.swift)
// Benchmarks/validators/run.sh drives it and compares with frictionless and pandas in the same run.
let arguments = Array(CommandLine.arguments.dropFirst())
let benches: [String: ([String]) throws -> Void] = [
    "schema": schemaBench,
    "leakage": leakageBench,
    "pii": piiBench,
]
guard let name = arguments.first, let bench = benches[name] else {
    FileHandle.standardError.write(Data("usage: lineage-bench-validators \(benches.keys.sorted().joined(separator: "|")) [options]\n".utf8))
    exit(64)
}
do {
    try bench(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("lineage-bench-validators: \(error)\n".utf8))
    exit(1)
}
