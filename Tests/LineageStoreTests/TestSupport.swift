import Foundation
import LineageCore
@testable import LineageStore
#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64, the generator the fixture script uses too.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func splitmixBytes(seed: UInt64, count: Int) -> [UInt8] {
    var g = SplitMix64(state: seed)
    var out = [UInt8](repeating: 0, count: (count + 7) / 8 * 8)
    out.withUnsafeMutableBytes { raw in
        for i in 0..<(raw.count / 8) { raw.storeBytes(of: g.next().littleEndian, toByteOffset: i * 8, as: UInt64.self) }
    }
    return Array(out.prefix(count))
}

func csvText(seed: UInt64, count: Int) -> [UInt8] {
    var out = Array("id,customer,amount\n".utf8)
    var g = SplitMix64(state: seed)
    var i = 0
    while out.count < count {
        let r = g.next()
        out += Array("\(i),\(r % 1_000_000),\((r >> 20) % 997)\n".utf8)
        i += 1
    }
    return Array(out.prefix(count))
}

/// A fresh directory under /tmp, removed by `cleanup()`.
final class TempDir {
    let path: String
    init() {
        var template = Array("/tmp/lineage-store-test-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    deinit { cleanup() }

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    /// A store at `<tmp>/content`.
    func makeStore() throws -> ContentStore {
        try ContentStore.create(at: path + "/content")
        return try ContentStore(directory: path + "/content")
    }
}

func readFile(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path) ?? Data()) }

func packFiles(_ store: ContentStore, ext: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: store.packsDirectory)) ?? [])
        .filter { $0.hasPrefix("pack-") && $0.hasSuffix("." + ext) }.sorted()
        .map { store.packsDirectory + "/" + $0 }
}

/// XOR one byte of a file in place.
func flipByte(_ path: String, at offset: Int) {
    var bytes = readFile(path)
    bytes[offset] ^= 0x5A
    let fd = open(path, O_WRONLY)
    _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + offset, 1, off_t(offset)) }
    close(fd)
}

func sha256sum(_ path: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    p.arguments = [path]
    let pipe = Pipe()
    p.standardOutput = pipe
    try! p.run()
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(String(decoding: out, as: UTF8.self).prefix(64))
}

/// Test parameters with small chunks so small files get many chunks.
let smallChunks = ChunkerParameters(minSize: 1024, avgSize: 4096, maxSize: 16384)
