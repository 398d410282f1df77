import Foundation
import LineageCore
import LineageStore
@testable import LineageRemote
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed when released.
final class ScratchDir {
    let path: String
    init() {
        var template = Array("/tmp/lineage-remote-test-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A new, empty content store under this directory.
    func store(_ name: String = "content") throws -> ContentStore {
        try ContentStore.create(at: path + "/" + name)
        return try ContentStore(directory: path + "/" + name)
    }

    func subdirectory(_ name: String) -> String {
        let p = path + "/" + name
        mkdir(p, 0o755)
        return p
    }
}

/// SplitMix64: deterministic test bytes.
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](); out.reserveCapacity(count + 8)
        while out.count < count { withUnsafeBytes(of: next()) { out += $0 } }
        return Array(out.prefix(count))
    }
    /// Text that zlib shrinks (so the store keeps it compressed).
    mutating func text(_ count: Int) -> [UInt8] {
        var out = [UInt8](); out.reserveCapacity(count + 32)
        while out.count < count { out += Array("row \(next() % 1000),value \(next() % 7)\n".utf8) }
        return Array(out.prefix(count))
    }
}

/// Objects written to a local store: digest → bytes.
struct Fixture {
    var objects: [Digest: [UInt8]] = [:]
    var digests: Set<Digest> { Set(objects.keys) }
    var rawBytes: Int { objects.values.reduce(0) { $0 + $1.count } }

    /// `small` objects of 64…`smallMax` bytes (half compressible text, half random) and `large`
    /// random objects of `largeSize` bytes, written to `store` in one pack.
    static func make(in store: ContentStore, seed: UInt64, small: Int, smallMax: Int = 4000, large: Int = 0,
                     largeSize: Int = 3 << 20) throws -> Fixture {
        var r = TestRandom(state: seed)
        var f = Fixture()
        let writer = try store.beginWrite()
        for i in 0..<(small + large) {
            let bytes: [UInt8]
            if i < small {
                let n = 64 + Int(r.next() % UInt64(smallMax - 63))
                bytes = i % 2 == 0 ? r.text(n) : r.bytes(n)
            } else {
                bytes = r.bytes(largeSize)
            }
            let d = Digest.of(bytes)
            try bytes.withUnsafeBytes { _ = try writer.put($0, digest: d) }
            f.objects[d] = bytes
        }
        try writer.finish()
        return f
    }

    /// Every object reads back from `store` with its bytes.
    func allRead(from store: ContentStore) -> Bool {
        objects.allSatisfy { d, bytes in (try? store.read(d)) == bytes }
    }
}

/// Options with small packs, so a few MiB of test data make several packs.
func smallPacks(_ size: UInt64 = 1 << 20) -> RemoteContentOptions {
    RemoteContentOptions(packSize: size, memoryPackLimit: 512 << 10, localPackBytes: 4 << 20)
}

/// What a `RemoteError.damaged` names, or nil for another error.
func damage(_ error: any Error) -> (key: String, detail: String)? {
    if case RemoteError.damaged(_, let key, let detail) = error { return (key, detail) }
    return nil
}
