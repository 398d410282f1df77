// Builds a synthetic lineage history for benchmarks: N signed commits, each changing one of a
// few hundred small files (and every 10th recording a run), through the public library API.
//
//   lineage-bench-history <empty-directory> <commits>
//
// The signing key comes from $XDG_CONFIG_HOME as for `lineage init`. With
// $LINEAGE_BENCH_SIGNING_KEY naming another key's .pub (ECDSA, RSA — held by the ssh-agent at
// $SSH_AUTH_SOCK), the first commit trusts it and every later commit is signed with it.
import Foundation
import Lineage

let args = CommandLine.arguments
guard args.count == 3, let count = Int(args[2]), count > 0 else {
    FileHandle.standardError.write(Data("usage: lineage-bench-history <empty-directory> <commits>\n".utf8))
    exit(64)
}
let dir = args[1]
do {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let repo = try Repository.initialize(at: dir)
    try repo.config(set: "user.name", value: "Bench")
    try repo.config(set: "user.email", value: "bench@example.org")
    try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
    let started = Date()
    let otherKey = ProcessInfo.processInfo.environment["LINEAGE_BENCH_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 }
    for i in 0..<count {
        if i == 1, let otherKey {
            try repo.trustAdd(principal: "agent@example.org", key: otherKey, cwd: dir)
            try repo.config(set: "user.signingkey", value: otherKey)
        }
        let file = "data/part-\(i % 300).csv"
        try Data("id,value\n\(i),\(i &* 2654435761 % 1000003)\n".utf8).write(to: URL(fileURLWithPath: dir + "/" + file))
        _ = try repo.add([file], cwd: dir)
        _ = try repo.commit(message: "update \(file) (\(i))")
        if (i + 1) % 1000 == 0 {
            let rate = Double(i + 1) / Date().timeIntervalSince(started)
            FileHandle.standardError.write(Data("\(i + 1) commits (\(Int(rate))/s)\n".utf8))
        }
    }
} catch {
    FileHandle.standardError.write(Data("lineage-bench-history: \(error)\n".utf8))
    exit(1)
}
