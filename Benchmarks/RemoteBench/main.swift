// Requests and throughput of the remote pack layout over a directory remote, through the public
// library API (no git history, no CLI): the content side of R1, R3 and R5 of issue 14.
//
//   lineage-bench-remote [--files N] [--big-mib M] [--jobs J] [--work DIR]
//
// Ingests N files of 1–16 KiB (random bytes, so nothing compresses) and one file of M MiB into a
// local store, then: uploads everything to a directory remote (R1: requests per GiB), changes 1% of
// the small files and uploads what is new (R3: requests), downloads everything into a fresh store,
// downloads the chunks of 1% of the small files into another (R5: bytes read / bytes asked).
//
//   lineage-bench-remote --erase [--history-gib 1,10] [--version-mib 100] [--versions-per-push 4] [--jobs J] [--work DIR]
//
// Issue 15's erasure figure: for each history size, pushes of `versions-per-push` versions of
// `version-mib` MiB each (64 KiB random chunks, the versions' chunks interleaved so that every
// pack of a push holds all of its versions), then erases one version from a push in the middle
// and prints what the erasure moved: requests, bytes up, down and deleted, packs rewritten.
//
//   lineage-bench-remote --gc N [--jobs J] [--work DIR]
//   (--erase and --gc take --s3 s3://bucket/prefix to run against an S3 server instead of a directory)
//
// Issue 15's gc figure: N objects of 1 KiB pushed in 10 pushes; a tenth of them (half of two
// pushes) then unreachable; times `gcMark` and `gcSweep` (grace 0) from a clone with an empty
// cache and prints their requests (they work from the index objects: none per object).
import Foundation
import LineageCore
import LineageRemote
import LineageStore

var files = 100_000, bigMiB = 256, jobs = 8
var work: String? = nil
var eraseMode = false, historyGiB: [Double] = [1, 10], versionMiB = 100, versionsPerPush = 4
var gcObjects = 0
/// --s3 s3://bucket/prefix: the erase and gc figures on an S3 store (moto, with AWS_ENDPOINT_URL
/// and credentials from the environment) instead of a directory; each run uses its own prefix.
var s3URL: String? = nil
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let flag = args.removeFirst()
    if flag == "--erase" { eraseMode = true; continue }
    guard let value = args.first else { fail("\(flag) needs a value") }
    args.removeFirst()
    switch flag {
    case "--files": files = Int(value) ?? files
    case "--big-mib": bigMiB = Int(value) ?? bigMiB
    case "--jobs": jobs = Int(value) ?? jobs
    case "--work": work = value
    case "--history-gib": historyGiB = value.split(separator: ",").compactMap { Double($0) }
    case "--version-mib": versionMiB = Int(value) ?? versionMiB
    case "--versions-per-push": versionsPerPush = max(1, Int(value) ?? versionsPerPush)
    case "--gc": gcObjects = Int(value) ?? 0
    case "--s3": s3URL = value
    default: fail("unknown option \(flag); usage: lineage-bench-remote [--files N] [--big-mib M] [--jobs J] [--work DIR] | --erase [--history-gib 1,10] [--version-mib M] [--versions-per-push V] | --gc N")
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lineage-bench-remote: \(message)\n".utf8))
    exit(2)
}

struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> Data {
        var d = Data(count: (n + 7) / 8 * 8)
        d.withUnsafeMutableBytes { raw in for i in 0..<(raw.count / 8) { raw.storeBytes(of: next(), toByteOffset: i * 8, as: UInt64.self) } }
        return d.prefix(n)
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = Date()
    try body()
    return Date().timeIntervalSince(start)
}

func mib(_ bytes: UInt64) -> String { String(format: "%.1f MiB", Double(bytes) / 1048576) }
func perGiB(_ requests: Int, _ bytes: UInt64) -> String { String(format: "%.1f", Double(requests) / (Double(bytes) / 1073741824)) }

/// A scratch directory with an empty local store, and the remote: a directory in it, or with
/// --s3 a fresh prefix under the given S3 URL. Removed by the caller (the S3 objects are left).
@MainActor func scratch(_ name: String) throws -> (root: String, local: ContentStore, store: any BlobStore) {
    let root = (work ?? NSTemporaryDirectory()) + "/lineage-bench-\(name)-\(getpid())"
    try? FileManager.default.removeItem(atPath: root)
    try FileManager.default.createDirectory(atPath: root + "/remote", withIntermediateDirectories: true)
    try ContentStore.create(at: root + "/local")
    let store: any BlobStore = try s3URL.map { try S3BlobStore(url: $0 + "/\(name)-\(getpid())", environment: ProcessInfo.processInfo.environment) }
        ?? DirectoryBlobStore(root: root + "/remote")
    return (root, try ContentStore(directory: root + "/local"), store)
}

/// Issue 15: erasing one version from histories of different sizes moves what the packs that
/// held it hold, whatever the history's size.
@MainActor func eraseBenchmark() throws {
    let chunk = 64 << 10
    let chunksPerVersion = versionMiB << 20 / chunk
    let pushMiB = versionMiB * versionsPerPush
    var rows: [(gib: Double, report: RemoteEraseReport, seconds: Double, packs: Int, objects: Int)] = []
    for gib in historyGiB {
        let pushes = max(1, Int((gib * 1024 / Double(pushMiB)).rounded(.up)))
        let (root, local, store) = try scratch("erase-\(gib)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let remote = RemoteContent(store: store, cacheDirectory: root + "/cache")
        var random = Random(state: 7)
        var erased = Set<Digest>()
        var objects = 0
        let start = Date()
        for push in 0..<pushes {
            // The versions' chunks interleaved: each pack of the push holds some of every version.
            var versions = Array(repeating: Set<Digest>(), count: versionsPerPush)
            let writer = try local.beginWrite()
            for _ in 0..<chunksPerVersion {
                for v in 0..<versionsPerPush {
                    let bytes = random.bytes(chunk)
                    let d = Digest.of(bytes)
                    _ = try bytes.withUnsafeBytes { try writer.put($0, digest: d) }
                    versions[v].insert(d)
                }
            }
            try writer.finish()
            let all = versions.reduce(Set<Digest>()) { $0.union($1) }
            objects += all.count
            _ = try remote.upload(all, from: local, jobs: jobs)
            if push == pushes / 2 { erased = versions[1] }
        }
        let packs = try store.list(prefix: RemoteLayout.packsPrefix, startAfter: nil).count
        print(String(format: "history %.1f GiB: %d pushes of %d MiB, %d objects in %d packs, made in %.0f s",
                     Double(pushes * pushMiB) / 1024, pushes, pushMiB, objects, packs, Date().timeIntervalSince(start)))
        var report = RemoteEraseReport()
        let time = try seconds { report = try remote.erase(erased, jobs: jobs) }
        rows.append((Double(pushes * pushMiB) / 1024, report, time, packs, objects))
        print("  erase one \(versionMiB) MiB version (\(report.objectsRemoved) objects): \(report.packsRewritten) packs rewritten, " +
              "\(report.packsDropped) dropped, \(report.requests) requests, up \(mib(report.bytesUploaded)), down \(mib(report.bytesDownloaded)), " +
              "deleted \(mib(report.bytesDeleted)), index objects \(report.indexObjectsDeleted) deleted / \(report.indexObjectsWritten) written, " +
              String(format: "%.1f s", time))
    }
    if let first = rows.first, let last = rows.last, rows.count > 1 {
        print(String(format: "history %.1fx larger: requests %.2fx, bytes uploaded %.2fx, downloaded %.2fx, deleted %.2fx",
                     last.gib / first.gib, Double(last.report.requests) / Double(first.report.requests),
                     Double(last.report.bytesUploaded) / Double(first.report.bytesUploaded),
                     Double(last.report.bytesDownloaded) / Double(first.report.bytesDownloaded),
                     Double(last.report.bytesDeleted) / Double(first.report.bytesDeleted)))
    }
}

/// Issue 15: gc mark and sweep on many small objects, from the index objects.
@MainActor func gcBenchmark() throws {
    let (root, local, store) = try scratch("gc")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pusher = RemoteContent(store: store, cacheDirectory: root + "/cache-push")
    var random = Random(state: 11)
    var reachable = Set<Digest>()
    var garbage = 0
    let pushes = 10, perPush = gcObjects / 10
    let start = Date()
    for push in 0..<pushes {
        var objects = Set<Digest>()
        let writer = try local.beginWrite()
        for i in 0..<perPush {
            let bytes = random.bytes(1024)
            let d = Digest.of(bytes)
            _ = try bytes.withUnsafeBytes { try writer.put($0, digest: d) }
            objects.insert(d)
            // Half of two pushes becomes unreachable (a deleted branch's files).
            if (push == 3 || push == 7) && i % 2 == 0 { garbage += 1 } else { reachable.insert(d) }
        }
        try writer.finish()
        _ = try pusher.upload(objects, from: local, jobs: jobs)
    }
    let packs = try store.list(prefix: RemoteLayout.packsPrefix, startAfter: nil).count
    print(String(format: "remote: %d objects of 1 KiB in %d pushes, %d packs, made in %.0f s; %d unreachable",
                 perPush * pushes, pushes, packs, Date().timeIntervalSince(start), garbage))
    let gc = RemoteContent(store: store, cacheDirectory: root + "/cache-gc")
    var mark = RemoteGCMarkReport()
    let markTime = try seconds { mark = try gc.gcMark(reachable: reachable, grace: 0, jobs: jobs) }
    print("  gc mark (empty cache): \(mark.requests) requests, \(mark.packsToRewrite) packs to rewrite, \(mark.packsToDelete) to delete, " +
          "\(mark.garbageObjects) unreachable objects, " + String(format: "%.1f s", markTime))
    var sweep = RemoteGCSweepReport()
    let sweepTime = try seconds { sweep = try gc.gcSweep(reachable: reachable, jobs: jobs) }
    print("  gc sweep: \(sweep.requests) requests, \(sweep.packsRewritten) packs rewritten, \(sweep.packsDeleted) deleted, " +
          "\(sweep.objectsRemoved) objects removed, up \(mib(sweep.bytesUploaded)), down \(mib(sweep.bytesDownloaded)), deleted \(mib(sweep.bytesDeleted)), " +
          String(format: "%.1f s", sweepTime))
}

if eraseMode || gcObjects > 0 {
    do {
        if eraseMode { try eraseBenchmark() }
        if gcObjects > 0 { try gcBenchmark() }
    } catch { fail("\(error)") }
    exit(0)
}

do {
    let root = work ?? (NSTemporaryDirectory() + "lineage-bench-remote-\(getpid())")
    let fm = FileManager.default
    try? fm.removeItem(atPath: root)
    for d in ["files", "remote"] { try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true) }
    defer { if work == nil { try? fm.removeItem(atPath: root) } }

    // The local store, filled through the normal ingest path (a chunk and a chunk list per small file).
    try ContentStore.create(at: root + "/local")
    let local = try ContentStore(directory: root + "/local")
    var random = Random(state: 42)
    var perFile: [[Digest]] = []
    var all = Set<Digest>()
    let ingestTime = try seconds {
        let writer = try local.beginWrite()
        for i in 0..<files {
            let path = root + "/files/f\(i)"
            try random.bytes(1024 + Int(random.next() % (15 * 1024))).write(to: URL(fileURLWithPath: path))
            let r = try local.ingest(file: path, into: writer)
            let objects = r.chunkList.entries.map(\.digest) + [r.chunkListDigest]
            perFile.append(objects)
            all.formUnion(objects)
        }
        if bigMiB > 0 {
            let path = root + "/files/big"
            let handle = try FileHandle(forWritingTo: { _ = fm.createFile(atPath: path, contents: nil); return URL(fileURLWithPath: path) }())
            for _ in 0..<bigMiB { handle.write(random.bytes(1 << 20)) }
            try handle.close()
            let r = try local.ingest(file: path, into: writer)
            all.formUnion(r.chunkList.entries.map(\.digest) + [r.chunkListDigest])
        }
        try writer.finish()
    }
    print("local store: \(files) small files + \(bigMiB) MiB file, \(all.count) objects, ingested in \(String(format: "%.1f", ingestTime)) s")

    let store = DirectoryBlobStore(root: root + "/remote")
    let pusher = RemoteContent(store: store, cacheDirectory: root + "/cache-push")
    var up = TransferReport()
    let upTime = try seconds { up = try pusher.upload(all, from: local, jobs: jobs) }
    print("R1 upload:   \(up.objects) objects, \(mib(up.bytes)) in \(up.packs) packs, \(up.requests) requests " +
          "(\(perGiB(up.requests, up.bytes)) per GiB; target ≤ 30), \(String(format: "%.0f", Double(up.bytes) / 1048576 / upTime)) MiB/s")

    // R3: 1% of the small files change.
    var changed = Set<Digest>()
    let writer = try local.beginWrite()
    for i in stride(from: 0, to: files, by: 100) {
        let path = root + "/files/f\(i)"
        try random.bytes(1024 + Int(random.next() % (15 * 1024))).write(to: URL(fileURLWithPath: path))
        let r = try local.ingest(file: path, into: writer)
        changed.formUnion(r.chunkList.entries.map(\.digest) + [r.chunkListDigest])
    }
    try writer.finish()
    let pusher2 = RemoteContent(store: store, cacheDirectory: root + "/cache-push")
    let again = try pusher2.upload(changed, from: local, jobs: jobs)
    print("R3 upload of 1% changed: \(again.objects) objects, \(mib(again.bytes)), \(again.requests) requests (target ≤ 5)")

    // A clone with everything.
    try ContentStore.create(at: root + "/clone")
    let clone = try ContentStore(directory: root + "/clone")
    var down = TransferReport()
    let downTime = try seconds { down = try RemoteContent(store: store, cacheDirectory: root + "/cache-clone").download(all, into: clone, jobs: jobs) }
    print("download all: \(down.objects) objects, \(mib(down.bytes)), \(down.requests) requests, " +
          "\(String(format: "%.0f", Double(down.bytes) / 1048576 / downTime)) MiB/s")

    // R5: the objects of 1% of the small files.
    var wanted = Set<Digest>()
    for i in stride(from: 50, to: files, by: 100) { wanted.formUnion(perFile[i]) }
    let asked = local.storedObjects(wanted).present.reduce(UInt64(0)) { $0 + 41 + UInt64($1.storedLength) }
    try ContentStore.create(at: root + "/partial")
    let partial = try ContentStore(directory: root + "/partial")
    let part = try RemoteContent(store: store, cacheDirectory: root + "/cache-partial").download(wanted, into: partial, jobs: jobs)
    print("R5 download of 1% of the files: \(part.objects) objects, read \(mib(part.bytes)) for \(mib(asked)) asked " +
          "(\(String(format: "%.2f", Double(part.bytes) / Double(max(asked, 1))))x; target ≤ 1.5x), \(part.requests) requests")
} catch {
    fail("\(error)")
}
