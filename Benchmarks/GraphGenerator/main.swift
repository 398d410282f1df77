// Builds a synthetic lineage graph in a repository's index and times trace/impact on it.
//
//   lineage-bench-graph <empty-directory> [--artifacts N] [--runs M] [--window W] [--queries Q]
//                       [--impact-queries I] [--reuse] [--verbose]
//
// With --reuse, a directory this tool already filled with the same shape and index schema (it
// leaves a `.bench-graph-shape` file there once the index is complete) is queried again without being
// rebuilt; the queries and what they time are the same. Any other content of it is deleted.
//
// The graph (default 1,000,000 artifact versions, 300,000 runs) is written straight into
// `.lineage/index.sqlite` through the index API — building it as real signed commits would take
// hours here; `reindex` throughput on real history is measured by Benchmarks/graph/run.sh on the B6
// history. The graph is made of projects of about --project-size artifact versions each (default
// 10,000): a project starts from its own raw datasets and one of a few shared datasets (each
// shared by 10 projects); each of its runs reads 3 versions among the project's last W and writes
// 3 new ones. So a project's last model has an upstream of about one project (~10,000 nodes) and
// a shared root dataset feeds about ten projects (~100,000 nodes).
import Foundation
import Lineage
import LineageCore
import LineageGraph

nonisolated(unsafe) var args = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    args.removeSubrange(i...i + 1)
    return v
}
let artifactsWanted = option("--artifacts", 1_000_000)
let runsWanted = option("--runs", 300_000)
let window = option("--window", 300)
let projectSize = option("--project-size", 10_000)
let queries = option("--queries", 21)
let impactQueries = option("--impact-queries", max(3, queries / 4))
let historyRuns = option("--history", 0)
let reuse = args.contains("--reuse"), verbose = args.contains("--verbose")
args.removeAll { $0 == "--reuse" || $0 == "--verbose" }
guard let dir = args.first else {
    FileHandle.standardError.write(Data("usage: lineage-bench-graph <empty-directory> [--artifacts N] [--runs M] [--window W] [--queries Q] [--impact-queries I] [--reuse] [--verbose]\n".utf8))
    exit(64)
}

struct SplitMix { var s: UInt64; mutating func next() -> UInt64 { s &+= 0x9E3779B97F4A7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) &* 0x94D049BB133111EB; return z ^ (z >> 31) } }
func digest(_ n: Int) -> Digest { Digest.of(Array("artifact-\(n)".utf8)) }
func now() -> Double { Date().timeIntervalSince1970 }
/// CPU time of this thread (user + system): on a shared machine it moves less than wall time.
func minorFaults() -> Int {
    var u = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    #else
    getrusage(RUSAGE_SELF, &u)
    #endif
    return u.ru_minflt
}
func cpuNow() -> Double { var t = timespec(); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }

do {
    let shape = "artifacts \(artifactsWanted) runs \(runsWanted) window \(window) project-size \(projectSize) index schema \(LineageIndex.schemaVersion)\n"
    let shapeFile = dir + "/.bench-graph-shape"
    if reuse, (try? String(contentsOfFile: shapeFile, encoding: .utf8)) == shape {
        let repo = try Repository.open(from: dir)
        // The same counts as the build below makes, without making anything.
        let projects = max(1, artifactsWanted / projectSize)
        let shared = max(1, projects / 10)
        let runsPerProject = max(1, runsWanted / projects)
        let rawPerProject = max(1, (artifactsWanted - shared) / projects - runsPerProject * 3)
        var made = shared, lastOfProject: [Int] = []
        for _ in 0..<projects { made += rawPerProject + runsPerProject * 3; lastOfProject.append(made - 1) }
        print("reusing the index in \(dir) (\(made) artifact versions, \(projects) projects, \(shared) shared roots)")
        try timeQueries(repo, lastOfProject: lastOfProject, shared: shared)
        if historyRuns > 0 { try compareWithHistoryWalk(dir + "-history", runs: historyRuns) }
        exit(0)
    }
    // With --reuse, a directory left unfinished (or of another shape) is made again from scratch.
    if reuse { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let repo = try Repository.initialize(at: dir)
    let index = try LineageIndex(path: repo.layout.indexDatabase)
    var rng = SplitMix(s: 20261125)
    let outputsPerRun = 3
    let projects = max(1, artifactsWanted / projectSize)
    let shared = max(1, projects / 10)
    let runsPerProject = max(1, runsWanted / projects)
    let rawPerProject = max(1, (artifactsWanted - shared) / projects - runsPerProject * outputsPerRun)
    let env = EnvironmentInfo(os: "Debian GNU/Linux 12", kernel: "6.1", architecture: "x86_64", cpuModel: nil, cpuCount: 2, variables: [:], captures: [])
    let agent = RunAgent(principal: "bench@example.org", keyFingerprint: "SHA256:" + String(repeating: "A", count: 43), name: "Bench", email: "bench@example.org")
    var made = 0
    func artifact(_ n: Int, kind: String) -> IndexedArtifact {
        IndexedArtifact(path: "data/a\(n % 5000)/v\(n).bin", sha256: digest(n), size: UInt64(n), kind: kind,
                        mediaType: "application/octet-stream", commit: "synthetic")
    }
    func ref(_ n: Int) -> RunArtifact { RunArtifact(path: "data/a\(n % 5000)/v\(n).bin", sha256: digest(n), size: UInt64(n)) }
    let started = now()
    var batch: [IndexedCommit] = []
    var pending: [IndexedArtifact] = (0..<shared).map { artifact($0, kind: "dataset") }
    made = shared
    var lastOfProject: [Int] = [], firstRaw: [Int] = []
    var runCount = 0
    for p in 0..<projects {
        let base = made
        firstRaw.append(base)
        for _ in 0..<rawPerProject { pending.append(artifact(made, kind: "dataset")); made += 1 }
        for r in 0..<runsPerProject {
            let lo = max(base, made - window)
            var inputs = Set<RunArtifact>()
            if r == 0 { inputs.insert(ref(p % shared)) }
            for _ in 0..<3 { inputs.insert(ref(lo + Int(rng.next() % UInt64(made - lo)))) }
            var outputs: [RunArtifact] = []
            for _ in 0..<outputsPerRun {
                pending.append(artifact(made, kind: r == runsPerProject - 1 ? "model" : "dataset"))
                outputs.append(ref(made)); made += 1
            }
            let id = UUIDv7.generate(milliseconds: 1_700_000_000_000 + UInt64(runCount)); runCount += 1
            let run = RunRecord(id: id, name: "p\(p)-step\(r % 50)", argv: ["python", "step.py"], workingDirectory: ".", startedAt: "2026-01-01T00:00:00.000Z",
                                endedAt: "2026-01-01T00:00:01.000Z", exitStatus: 0, inputs: Array(inputs), outputs: outputs,
                                code: CodeVersion(remoteURL: nil, commit: String(repeating: "c", count: 40), branch: "main", dirty: false,
                                                  diffSHA256: nil, untracked: [], untrackedTruncated: false),
                                environment: env, agent: agent)
            batch.append(IndexedCommit(commit: String(format: "%040x", runCount), artifacts: pending, runs: [run]))
            pending.removeAll()
            if batch.count == 2000 { try index.record(batch); batch.removeAll() }
        }
        lastOfProject.append(made - 1)
    }
    try index.record(batch)
    let built = now() - started
    print("built \(made) artifact versions and \(runCount) runs (\(projects) projects, \(shared) shared roots) in \(String(format: "%.1f", built)) s")
    try shape.write(toFile: shapeFile, atomically: true, encoding: .utf8)
    try timeQueries(repo, lastOfProject: lastOfProject, shared: shared)
    if historyRuns > 0 { try compareWithHistoryWalk(dir + "-history", runs: historyRuns) }
} catch {
    FileHandle.standardError.write(Data("lineage-bench-graph: \(error)\n".utf8))
    exit(1)
}

/// Times what `lineage trace/impact --json` does before printing: the answer from the index, with
/// HEAD's checks and rights added (here there is no commit, so that step finds nothing to add).
func timeQueries(_ repo: Repository, lastOfProject: [Int], shared: Int) throws {
    // trace: the last model of several projects; impact: shared root datasets.
    var traceTimes: [Double] = [], traceCPU: [Double] = [], traceSizes: [Int] = []
    for q in 0..<min(queries, lastOfProject.count) {
        let n = lastOfProject[(q * 7919) % lastOfProject.count]
        let t0 = now(), c0 = cpuNow(), f0 = minorFaults()
        let g = try repo.withChecksAndRights(try repo.trace("sha256:" + digest(n).hex, cwd: dir))
        traceTimes.append(now() - t0); traceCPU.append(cpuNow() - c0); traceSizes.append(g.nodes.count)
        if verbose { print(String(format: "  trace %d: %.1f ms (CPU %.1f ms, %d page faults), %d nodes", n, traceTimes.last! * 1000, traceCPU.last! * 1000, minorFaults() - f0, g.nodes.count)) }
    }
    var impactTimes: [Double] = [], impactCPU: [Double] = [], impactSizes: [Int] = []
    for q in 0..<min(impactQueries, shared) {
        let t0 = now(), c0 = cpuNow(), f0 = minorFaults()
        let g = try repo.withChecksAndRights(try repo.impact("sha256:" + digest(q).hex, cwd: dir))
        impactTimes.append(now() - t0); impactCPU.append(cpuNow() - c0); impactSizes.append(g.nodes.count)
        if verbose { print(String(format: "  impact %d: %.1f ms (CPU %.1f ms, %d page faults), %d nodes", q, impactTimes.last! * 1000, impactCPU.last! * 1000, minorFaults() - f0, g.nodes.count)) }
    }
    func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
    func medianI(_ v: [Int]) -> Int { let s = v.sorted(); return s[s.count / 2] }
    print(String(format: "trace:  p50 %.1f ms, min %.1f, max %.1f ms over %d queries (CPU p50 %.1f ms); upstream nodes p50 %d (min %d, max %d)",
                 median(traceTimes) * 1000, traceTimes.min()! * 1000, traceTimes.max()! * 1000, traceTimes.count, median(traceCPU) * 1000,
                 medianI(traceSizes), traceSizes.min()!, traceSizes.max()!))
    if !impactTimes.isEmpty {
        print(String(format: "impact: p50 %.1f ms, min %.1f, max %.1f ms over %d queries (CPU p50 %.1f ms); downstream nodes p50 %d (min %d, max %d)",
                     median(impactTimes) * 1000, impactTimes.min()! * 1000, impactTimes.max()! * 1000, impactTimes.count, median(impactCPU) * 1000,
                     medianI(impactSizes), impactSizes.min()!, impactSizes.max()!))
    }
}

/// Makes a real signed history of `runs` runs (through `lineage run`'s library API: each reads two
/// recent files and writes a new one) and answers one upstream question twice: with `trace` (the
/// index) and by walking history commit by commit, reading each commit's run records, as a tool
/// built on `git log` must.
func compareWithHistoryWalk(_ dir: String, runs: Int) throws {
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
    let repo = try Repository.initialize(at: dir)
    try repo.config(set: "user.name", value: "Bench")
    try repo.config(set: "user.email", value: "bench@example.org")
    for i in 0..<4 { try Data("seed \(i)\n".utf8).write(to: URL(fileURLWithPath: dir + "/data/f\(i).txt")) }
    _ = try repo.add(["data"], cwd: dir)
    _ = try repo.commit(message: "seed")
    var rng = SplitMix(s: 7)
    var files = (0..<4).map { "data/f\($0).txt" }
    let t0 = now()
    for r in 0..<runs {
        let lo = max(0, files.count - 30)
        let a = files[lo + Int(rng.next() % UInt64(files.count - lo))], b = files[lo + Int(rng.next() % UInt64(files.count - lo))]
        let out = "data/f\(files.count).txt"
        _ = try repo.run(RunRequest(name: "step", inputs: Array(Set([a, b])), outputs: [out],
                                    argv: ["sh", "-c", "cat \(a) \(b) | sha256sum > \(out)"], cwd: dir))
        files.append(out)
        if (r + 1) % 500 == 0 { FileHandle.standardError.write(Data("history: \(r + 1) runs\n".utf8)) }
    }
    print(String(format: "history: %d signed commits with runs made in %.1f s", runs, now() - t0))
    let target = files.last!
    var indexTimes: [Double] = []
    var indexNodes = 0
    for _ in 0..<5 {
        let s = now()
        indexNodes = try repo.trace(target, cwd: dir).nodes.filter { $0.kind == .artifact }.count
        indexTimes.append(now() - s)
    }
    // The same question by walking history: every commit's run records, then the upstream closure.
    let s = now()
    var producer: [String: RunRecord] = [:]
    for entry in try repo.log() {
        for run in try repo.runs(recordedIn: entry.commit) {
            for o in run.outputs { producer["\(o.path)@\(o.sha256.hex)"] = run }
        }
    }
    let head = try repo.listFiles(revision: "HEAD").first { $0.path == target }!
    var seen: Set<String> = ["\(target)@\(head.sha256.hex)"]
    var stack = Array(seen)
    while let key = stack.popLast() {
        for i in producer[key]?.inputs ?? [] where seen.insert("\(i.path)@\(i.sha256.hex)").inserted {
            stack.append("\(i.path)@\(i.sha256.hex)")
        }
    }
    let walk = now() - s
    let best = indexTimes.min()!
    print(String(format: "history walk: %.1f ms for %d upstream versions; trace (index): %.1f ms for %d; trace is %.0fx faster",
                 walk * 1000, seen.count, best * 1000, indexNodes, walk / best))
}
