import Foundation
import LineageCore
import Testing
import LineageStore
#if canImport(Glibc)
import Glibc
#endif

/// The chunk-size benchmark of `Benchmarks/chunking` (README there). Does nothing unless
/// `LINEAGE_BENCH` is set: `Benchmarks/chunking/run.sh` runs it in release mode.
///
/// - `LINEAGE_BENCH=sizes`: for each parameter set, ingest a 256 MiB random file and a 128 MiB CSV
///   (throughput, vs `cp`), then the CSV with a 1% block of rows edited in the middle and 1% rows
///   appended (new bytes stored = dedup).
/// - `LINEAGE_BENCH=1g`: ingest a 1 GiB random file with the production parameters, vs `cp`.
/// - `LINEAGE_BENCH=rss`: ingest a 4 GiB generated file and print the peak RSS of the process.
@Suite struct ChunkingBenchmark {
    static let mode = ProcessInfo.processInfo.environment["LINEAGE_BENCH"]

    static func now() -> Double {
        var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Writes `count` bytes of SplitMix64 output without holding them in memory.
    static func writeRandom(_ path: String, count: Int, seed: UInt64) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var g = SplitMix64(state: seed)
        var block = [UInt64](repeating: 0, count: 1 << 17)  // 1 MiB
        var left = count
        while left > 0 {
            for i in block.indices { block[i] = g.next() }
            let n = min(left, block.count * 8)
            _ = block.withUnsafeBytes { write(fd, $0.baseAddress!, n) }
            left -= n
        }
        close(fd)
    }

    static func csv(rows: Range<Int>, seed: UInt64, edited: Range<Int> = 0..<0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 40)
        var g = SplitMix64(state: seed)
        for i in rows {
            let r = g.next()
            let amount = edited.contains(i) ? (r >> 20) % 997 + 1000 : (r >> 20) % 997
            out += Array("\(i),customer-\(r % 1_000_000),\(amount),2026-11-\(i % 28 + 1),\(r >> 40)\n".utf8)
        }
        return out
    }

    static func shell(_ command: String) -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let t0 = now()
        try! p.run(); p.waitUntilExit()
        return now() - t0
    }

    static func ingest(_ store: ContentStore, _ path: String, _ p: ChunkerParameters) throws -> (IngestResult, Double) {
        let t0 = now()
        let w = try store.beginWrite()
        let r = try store.ingest(file: path, into: w, parameters: p)
        try w.finish()
        return (r, now() - t0)
    }

    static func makeDir() -> String {
        var template = Array("/tmp/lineage-bench-XXXXXX".utf8CString)
        return String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
    }

    @Test(.enabled(if: ChunkingBenchmark.mode == "sizes", "benchmark: LINEAGE_BENCH=sizes"))
    func chunkSizes() throws {
        let dir = Self.makeDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mib = 1 << 20
        let random = dir + "/random.bin"
        Self.writeRandom(random, count: 256 * mib, seed: 1)
        // CSV: ~128 MiB; v2 edits 1% of rows as one block in the middle and appends 1% more rows.
        let rows = 2_600_000
        let v1 = Self.csv(rows: 0..<rows, seed: 2)
        let v2 = Self.csv(rows: 0..<rows, seed: 2, edited: (rows / 2)..<(rows / 2 + rows / 100))
            + Self.csv(rows: rows..<(rows + rows / 100), seed: 3)
        FileManager.default.createFile(atPath: dir + "/v1.csv", contents: Data(v1))
        FileManager.default.createFile(atPath: dir + "/v2.csv", contents: Data(v2))
        let cpRandom = Self.shell("cp \(random) \(dir)/cp.bin")
        let cpSyncRandom = Self.shell("cp \(random) \(dir)/cp2.bin && sync \(dir)/cp2.bin")
        let cpCSV = Self.shell("cp \(dir)/v1.csv \(dir)/cp.csv")
        print("BENCH random 256 MiB: cp \(String(format: "%.3f", cpRandom)) s, cp+sync \(String(format: "%.3f", cpSyncRandom)) s; CSV v1 \(v1.count) bytes cp \(String(format: "%.3f", cpCSV)) s; v2 \(v2.count) bytes")
        print("BENCH | min/avg/max | chunk-only MB/s | random ingest s | MB/s | x cp | x cp+sync | CSV v1 ingest s | v1 stored MiB | v2 chunks | v2 new bytes | v2 new / v2 size |")
        let inMemory = v1
        let sets = [
            ChunkerParameters(minSize: 4096, avgSize: 16384, maxSize: 65536),
            ChunkerParameters(minSize: 16384, avgSize: 65536, maxSize: 262_144),
            ChunkerParameters(minSize: 32768, avgSize: 131_072, maxSize: 524_288),
            ChunkerParameters(minSize: 65536, avgSize: 262_144, maxSize: 1_048_576),
            ChunkerParameters(minSize: 131_072, avgSize: 524_288, maxSize: 2_097_152),
        ]
        for p in sets {
            let t0 = Self.now()
            let n = inMemory.withUnsafeBytes { FastCDC.chunkLengths(of: $0, parameters: p).count }
            let chunkOnly = Double(inMemory.count) / (Self.now() - t0) / 1e6
            _ = n
            let storeDir = dir + "/store-\(p.avgSize)"
            try ContentStore.create(at: storeDir)
            let store = try ContentStore(directory: storeDir)
            let (_, tRandom) = try Self.ingest(store, random, p)
            let (r1, tCSV) = try Self.ingest(store, dir + "/v1.csv", p)
            let (r2, _) = try Self.ingest(store, dir + "/v2.csv", p)
            let mbps = Double(256 * mib) / tRandom / 1e6
            print(String(format: "BENCH | %d/%d/%d | %.0f | %.3f | %.0f | %.2f | %.2f | %.3f | %.1f | %d | %d | %.2f%% |",
                         p.minSize, p.avgSize, p.maxSize, chunkOnly, tRandom, mbps, tRandom / cpRandom, tRandom / cpSyncRandom,
                         tCSV, Double(r1.newBytes) / Double(mib), r2.chunkList.entries.count, r2.newBytes,
                         100 * Double(r2.newBytes) / Double(v2.count)))
            try? FileManager.default.removeItem(atPath: storeDir)
        }
    }

    @Test(.enabled(if: ChunkingBenchmark.mode == "1g", "benchmark: LINEAGE_BENCH=1g"))
    func oneGiB() throws {
        let dir = Self.makeDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/big.bin"
        Self.writeRandom(file, count: 1 << 30, seed: 7)
        let cp = Self.shell("cp \(file) \(dir)/cp.bin")
        let cpSync = Self.shell("cp \(file) \(dir)/cp2.bin && sync \(dir)/cp2.bin")
        try ContentStore.create(at: dir + "/store")
        let store = try ContentStore(directory: dir + "/store")
        let (r, t) = try Self.ingest(store, file, .production)
        print(String(format: "BENCH 1 GiB random, production parameters: ingest %.3f s (%.0f MB/s), cp %.3f s, cp+sync %.3f s, ratio %.2fx cp, %.2fx cp+sync, %d chunks",
                     t, Double(1 << 30) / t / 1e6, cp, cpSync, t / cp, t / cpSync, r.chunkList.entries.count))
    }

    @Test(.enabled(if: ChunkingBenchmark.mode == "rss", "benchmark: LINEAGE_BENCH=rss"))
    func peakRSS() throws {
        let dir = Self.makeDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/huge.bin"
        Self.writeRandom(file, count: 4 << 30, seed: 8)
        try ContentStore.create(at: dir + "/store")
        let store = try ContentStore(directory: dir + "/store")
        var usage = rusage(); getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let before = usage.ru_maxrss
        let (r, t) = try Self.ingest(store, file, .production)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        print("BENCH 4 GiB ingest: \(String(format: "%.1f", t)) s, \(r.chunkList.entries.count) chunks, peak RSS before \(before / 1024) MiB, after \(usage.ru_maxrss / 1024) MiB")
    }
}
