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

    /// `trace` and `impact` give what a plain walk over the graph's own rows (`graphDump`) gives,
    /// with and without `--depth`; nodes come sorted by id and edges by (from, kind, to), as Swift
    /// compares strings, without duplicates — also for paths whose bytes sort otherwise (`e` +
    /// combining accent sorts after `é.csv` as a string, before it as bytes).
    @Test(arguments: [21, 22, 23])
    func subgraphsEqualAPlainWalk(seed: UInt64) throws {
        let (repo, dir) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix(seed: seed)
        let names = ["data/a.csv", "data/b b.csv", "data/é.csv", "data/e\u{301}x.csv", "data/Z.csv", "data/ü/v.csv", "data/f.csv"]
        func write(_ path: String, _ text: String) throws {
            let url = URL(fileURLWithPath: dir + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        var files: [String] = []
        for name in names.prefix(3) { try write(name, "seed \(name)\n"); files.append(name) }
        _ = try repo.add(["."], cwd: dir)
        _ = try repo.commit(message: "seed")
        // Both orders in one answer: data/é.csv (NFC) and data/e + U+0301 + x.csv (NFD).
        _ = try repo.run(RunRequest(name: "accents", inputs: ["data/é.csv"], outputs: ["data/e\u{301}x.csv"],
                                    argv: ["sh", "-c", "cat data/é.csv > data/e\u{301}x.csv"], cwd: dir))
        files.append("data/e\u{301}x.csv")
        let accents = try repo.trace("data/e\u{301}x.csv", cwd: dir).nodes.map(\.id).filter { $0.hasPrefix("artifact:") }
        #expect(accents.count == 2 && accents[0].hasPrefix("artifact:data/é.csv@"), "\(accents)")
        for step in 0..<12 {
            if rng.next() % 4 == 0 {
                // A new version of a file, committed by hand.
                let path = files[Int(rng.next() % UInt64(files.count))]
                try write(path, "edit \(step) of \(path)\n")
                _ = try repo.add(["."], cwd: dir)
                _ = try? repo.commit(message: "edit \(step)")
                continue
            }
            let inputs = Array(Set((0..<(1 + Int(rng.next() % 3))).map { _ in files[Int(rng.next() % UInt64(files.count))] })).sorted()
            var outputs = [names[Int(rng.next() % UInt64(names.count))]]
            if rng.next() % 2 == 0 { outputs.append("derived/d\(step).bin") }
            outputs = Array(Set(outputs).subtracting(inputs)).sorted()
            if outputs.isEmpty { continue }
            let quoted = { (p: String) in "'" + p + "'" }
            let script = outputs.map { "mkdir -p \"$(dirname \(quoted($0)))\"; cat \(inputs.map(quoted).joined(separator: " ")) > \(quoted($0)); echo \(step) >> \(quoted($0))" }.joined(separator: "; ")
            _ = try repo.run(RunRequest(name: "step\(step)", inputs: inputs, outputs: outputs, argv: ["sh", "-c", script], cwd: dir))
            for o in outputs where !files.contains(o) { files.append(o) }
        }

        // The graph's rows: which run read and wrote which artifact version.
        var inputs: [String: [String]] = [:], outputs: [String: [String]] = [:]
        var consumers: [String: [String]] = [:], producers: [String: [String]] = [:]
        for line in try repo.graphDump() {
            let isInput = line.hasPrefix("input "), isOutput = line.hasPrefix("output ")
            guard isInput || isOutput else { continue }
            let rest = line.drop(while: { $0 != " " }).dropFirst()
            let run = "run:" + rest.prefix(while: { $0 != " " })
            let pathAndSHA = rest.drop(while: { $0 != " " }).dropFirst()
            let space = pathAndSHA.lastIndex(of: " ")!
            let artifact = "artifact:" + pathAndSHA[..<space] + "@" + pathAndSHA[pathAndSHA.index(after: space)...]
            if isInput { inputs[run, default: []].append(artifact); consumers[artifact, default: []].append(run) }
            else { outputs[run, default: []].append(artifact); producers[artifact, default: []].append(run) }
        }
        #expect(!inputs.isEmpty)

        struct Edge: Hashable { let from: String, kind: String, to: String }
        func reference(_ root: String, upstream: Bool, depth: Int?) -> (nodes: Set<String>, edges: Set<Edge>) {
            var artifacts: Set<String> = [root], runs: Set<String> = []
            var frontier = [root], hops = 0
            while !frontier.isEmpty, depth.map({ hops < $0 }) ?? true {
                hops += 1
                let next = Set(frontier.flatMap { (upstream ? producers[$0] : consumers[$0]) ?? [] }).subtracting(runs)
                runs.formUnion(next)
                frontier = next.flatMap { (upstream ? inputs[$0] : outputs[$0]) ?? [] }.filter { artifacts.insert($0).inserted }
            }
            var edges: Set<Edge> = []
            for run in runs {
                let ins = (inputs[run] ?? []).filter(artifacts.contains), outs = (outputs[run] ?? []).filter(artifacts.contains)
                for i in ins { edges.insert(Edge(from: run, kind: "used", to: i)) }
                for o in outs {
                    edges.insert(Edge(from: o, kind: "wasGeneratedBy", to: run))
                    for i in ins { edges.insert(Edge(from: o, kind: "wasDerivedFrom", to: i)) }
                }
            }
            return (artifacts.union(runs), edges)
        }

        var compared = 0
        for file in try repo.listFiles(revision: "HEAD") {
            let root = "artifact:\(file.path)@\(file.sha256.hex)"
            for depth in [nil, 1, 2] as [Int?] {
                for upstream in [true, false] {
                    let g = upstream ? try repo.trace(file.path, depth: depth, cwd: dir) : try repo.impact(file.path, depth: depth, cwd: dir)
                    #expect(g.roots == [root])
                    let ids = g.nodes.map(\.id)
                    #expect(ids == ids.sorted() && Set(ids).count == ids.count, "node order, \(file.path)")
                    let keys = g.edges.map { [$0.from, $0.kind.rawValue, $0.to] }
                    #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) } && Set(keys).count == keys.count, "edge order, \(file.path)")
                    let expected = reference(root, upstream: upstream, depth: depth)
                    let nodes = Set(g.nodes.filter { $0.kind == .artifact || $0.kind == .run }.map(\.id))
                    #expect(nodes == expected.nodes, "\(upstream ? "trace" : "impact") \(file.path) depth \(depth.map(String.init) ?? "-")")
                    let edges = Set(g.edges.filter { [.used, .wasGeneratedBy, .wasDerivedFrom].contains($0.kind) }.map { Edge(from: $0.from, kind: $0.kind.rawValue, to: $0.to) })
                    #expect(edges == expected.edges, "\(upstream ? "trace" : "impact") \(file.path) depth \(depth.map(String.init) ?? "-")")
                    // Every run comes with its signer and environment.
                    for run in expected.nodes where run.hasPrefix("run:") {
                        #expect(g.edges.contains { $0.from == run && $0.kind == .wasAssociatedWith })
                        #expect(g.edges.contains { $0.from == run && $0.kind == .usedEnvironment })
                    }
                    compared += 1
                }
            }
        }
        #expect(compared > 10)
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
