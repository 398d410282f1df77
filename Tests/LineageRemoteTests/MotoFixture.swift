import Foundation
import Testing
import Crypto
import LineageRemote
import LineageTestSupport

let motoAvailable = MotoServer.isAvailable

/// The suite's server; fails the test when the suite was not given `.motoServer`.
func moto() throws -> MotoServer {
    try #require(MotoSuiteTrait.current, "the suite needs the .motoServer trait")
}

/// A fresh bucket on the suite's server.
func freshBucket(_ server: MotoServer) throws -> String {
    let name = "b" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    try server.createBucket(name)
    return name
}

/// Deterministic bytes (xorshift) so failures are reproducible.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        var word = state
        for _ in 0..<8 where i < count { out[i] = UInt8(truncatingIfNeeded: word); word >>= 8; i += 1 }
    }
    return out
}

func writeScratchFile(_ bytes: [UInt8]) throws -> String {
    let path = NSTemporaryDirectory() + "lineage-s3-\(UUID().uuidString).bin"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// The `RemoteError` a call throws, or nil.
func remoteError<T>(_ body: () throws -> T) -> RemoteError? {
    do { _ = try body(); return nil } catch let e as RemoteError { return e } catch { return nil }
}

/// Lower-case hex MD5, what S3 reports as the entity tag of a single PUT.
func md5Hex(_ bytes: [UInt8]) -> String {
    Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// SHA-256 of `bytes` with their count: compare these, not megabyte arrays, so that a failure
/// reports two short strings (swift-testing diffs collections, which takes minutes for megabytes).
func digest(_ bytes: [UInt8]) -> String {
    "\(bytes.count) bytes, sha256 \(SigV4.sha256Hex(bytes))"
}
