// Requests and throughput of the remote pack layout over a directory remote, through the public
// library API (no git history, no CLI): the content side of R1, R3 and R5 of issue 14.
//
//   lineage-bench-remote [--files N] [--big-mib M] [--jobs J] [--work DIR]
//
// Ingests N files of 1–16 KiB (random bytes, so nothing compresses) and one file of M MiB into a
// local store, then: uploads everything to a directory remote (R1: requests per GiB), changes 1% of
// the small files and uploads what is new (R3: requests), downloads everything into a fresh store,
// downloads the chunks of 1% of the small files into another (R5: bytes read / bytes asked).
import Foundation
import LineageCore
import LineageRemote
import LineageStore

var files = 100_000, bigMiB = 256, jobs = 8
var work: String? = nil
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let flag = args.removeFirst()
    guard let value = args.first else { fail("\(flag) needs a value") }
    args.removeFirst()
    switch flag {
    case "--files": files = Int(value) ?? files
    case "--big-mib": bigMiB = Int(value) ?? bigMiB
    case "--jobs": jobs = Int(value) ?? jobs
    case "--work": work = value
    default: fail("unknown option \(flag); usage: lineage-bench-remote [--files N] [--big-mib M] [--jobs J] [--work DIR]")
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
