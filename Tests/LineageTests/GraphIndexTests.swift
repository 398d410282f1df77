import Foundation
import Lineage
import LineageCore
import Testing

/// The lineage graph kept up to date commit by commit equals the one rebuilt from history.
@Suite(.serialized) struct GraphIndexTests {
    func scratch() throws -> (Repository, String) {
        _ = RepositoryTests.configHome
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graph-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let repo = try Repository.initialize(at: dir)
        try repo.config(set: "user.name", value: "Graph Test")
        try repo.config(set: "user.email", value: "graph@example.org")
        return (repo, dir)
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func incrementalIndexEqualsRebuilt(seed: UInt64) throws {
        let (repo, dir) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix(seed: seed)
        var files: [String] = []
        func write(_ path: String) throws {
            let url = URL(fileURLWithPath: dir + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("v\(rng.next() % 1000) of \(path)\n".utf8).write(to: url)
        }
        for step in 0..<14 {
            switch rng.next() % 3 {
            case 0 where !files.isEmpty:
                // A run deriving a new file from one to three tracked ones.
                let inputs = Array(Set((0..<(1 + Int(rng.next() % 3))).map { _ in files[Int(rng.next() % UInt64(files.count))] }))
                let output = "derived/d\(step).bin"
                let script = "mkdir -p derived; cat \(inputs.joined(separator: " ")) > \(output); echo \(step) >> \(output)"
                _ = try repo.run(RunRequest(name: "step\(step)", inputs: inputs, outputs: [output], argv: ["sh", "-c", script], cwd: dir))
                files.append(output)
            default:
                // New or changed files committed by hand.
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let path = files.isEmpty || rng.next() % 2 == 0 ? "data/f\(rng.next() % 6).csv" : files[Int(rng.next() % UInt64(files.count))]
                    try write(path)
                    if !files.contains(path) { files.append(path) }
                }
                _ = try repo.add(["."], cwd: dir)
                _ = try? repo.commit(message: "step \(step)")
            }
        }
        let incremental = try repo.graphDump()
        #expect(incremental.contains { $0.hasPrefix("run ") })
        _ = try repo.reindex()
        let rebuilt = try repo.graphDump()
        #expect(incremental == rebuilt)
        // And from a deleted index, caught up lazily by the first query.
        try FileManager.default.removeItem(atPath: dir + "/.lineage/index.sqlite")
        _ = try repo.trace(files[0], cwd: dir)
        #expect(try repo.graphDump() == rebuilt)
    }
}

/// A small deterministic generator, so a failing seed can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
