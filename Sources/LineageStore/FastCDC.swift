import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// Minimum, average and maximum chunk sizes for FastCDC.
///
/// The average picks the masks (normalization level 1, as in fastcdc-rs's default):
/// `maskS = MASKS[log2(avg) + 1]` below the average, `maskL = MASKS[log2(avg) - 1]` above it.
public struct ChunkerParameters: Sendable, Equatable, CustomStringConvertible {
    public var minSize: Int
    public var avgSize: Int
    public var maxSize: Int

    /// Sizes must satisfy fastcdc-rs's bounds: 64 ≤ min ≤ 1 MiB, 256 ≤ avg ≤ 4 MiB, 1 KiB ≤ max ≤ 16 MiB, min ≤ avg ≤ max.
    public init(minSize: Int, avgSize: Int, maxSize: Int) {
        precondition((64...1_048_576).contains(minSize), "FastCDC minSize out of range")
        precondition((256...4_194_304).contains(avgSize), "FastCDC avgSize out of range")
        precondition((1024...16_777_216).contains(maxSize), "FastCDC maxSize out of range")
        precondition(minSize <= avgSize && avgSize <= maxSize, "FastCDC sizes must satisfy min <= avg <= max")
        self.minSize = minSize; self.avgSize = avgSize; self.maxSize = maxSize
    }

    /// The parameters of fastcdc-rs's published v2020 test vectors (4096 / 16384 / 65535).
    public static let v2020Test = ChunkerParameters(minSize: 4096, avgSize: 16384, maxSize: 65535)

    /// What `lineage add` uses: min 64 KiB, average 256 KiB, max 1 MiB.
    ///
    /// Chosen by `Benchmarks/chunking` (numbers in `Benchmarks/chunking/README.md`, 2026-11-25):
    /// on this 2-core machine ingest throughput rises with chunk size (fewer per-chunk costs:
    /// index entries, pack headers, hashing set-up) while dedup of a CSV with a 1% block of
    /// edited rows in the middle and 1% appended stays within a few percent of the 16 KiB
    /// setting. Chunk lists stay small: a 4 GiB file has ~16k chunks, a ~600 KiB list.
    public static let production = ChunkerParameters(minSize: 65_536, avgSize: 262_144, maxSize: 1_048_576)

    public var description: String { "min \(minSize) / avg \(avgSize) / max \(maxSize)" }

    /// fastcdc-rs: `round(log2(avg))`.
    var bits: Int { Int(log2(Double(avgSize)).rounded()) }
    var maskS: UInt64 { FastCDC.masks[bits + 1] }
    var maskL: UInt64 { FastCDC.masks[bits - 1] }
}

/// FastCDC 2020 content-defined chunking (Xia et al., TPDS 2020), normalized chunking level 1.
///
/// Gear hash `h = (h << 1) &+ GEAR[b]`, starting at 0 after skipping `min` bytes; the stricter
/// `maskS` is tested until the average size, the looser `maskL` after it; cut at `max` when nothing
/// matches. Bytes are rolled two at a time (the paper's section 3.7 optimisation), which gives the same
/// cut points as byte-at-a-time and the same positions fastcdc-rs's `v2020` module returns: a chunk ends
/// *before* the byte whose hash matched, and the scan starts at `2 * (min / 2)`.
public enum FastCDC {
    /// Cut a whole buffer; returns the chunk lengths in order (empty for an empty buffer).
    public static func chunkLengths(of bytes: UnsafeRawBufferPointer, parameters: ChunkerParameters) -> [Int] {
        cuts(of: bytes, parameters: parameters).map(\.length)
    }

    /// Cut a whole buffer; returns each chunk's length and the gear hash at its cut (fastcdc-rs's `Chunk.hash`).
    public static func cuts(of bytes: UnsafeRawBufferPointer, parameters: ChunkerParameters) -> [(length: Int, hash: UInt64)] {
        var out: [(length: Int, hash: UInt64)] = []
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let (hash, length) = cut(rest, parameters: parameters)
            out.append((length, hash))
            offset += length
        }
        return out
    }

    /// Length of the next chunk at the start of `source`, which must hold either at least `maxSize`
    /// bytes or everything up to the end of the stream (the result depends only on the first
    /// `maxSize` bytes). Returns the gear hash at the cut too.
    @inline(__always)
    public static func cut(_ source: UnsafeRawBufferPointer, parameters p: ChunkerParameters) -> (hash: UInt64, length: Int) {
        var remaining = source.count
        if remaining <= p.minSize { return (0, remaining) }
        var center = p.avgSize
        if remaining > p.maxSize { remaining = p.maxSize } else if remaining < center { center = remaining }
        let maskS = p.maskS, maskL = p.maskL
        let maskSls = maskS << 1, maskLls = maskL << 1
        var hash: UInt64 = 0
        var a = (p.minSize / 2) * 2
        let mid = (center / 2) * 2
        let end = (remaining / 2) * 2
        let base = source.baseAddress!.assumingMemoryBound(to: UInt8.self)
        return gearLS.withUnsafeBufferPointer { gls in
            gear.withUnsafeBufferPointer { g in
                while a < mid {
                    hash = (hash << 2) &+ gls[Int(base[a])]
                    if hash & maskSls == 0 { return (hash, a) }
                    hash = hash &+ g[Int(base[a + 1])]
                    if hash & maskS == 0 { return (hash, a + 1) }
                    a += 2
                }
                while a < end {
                    hash = (hash << 2) &+ gls[Int(base[a])]
                    if hash & maskLls == 0 { return (hash, a) }
                    hash = hash &+ g[Int(base[a + 1])]
                    if hash & maskL == 0 { return (hash, a + 1) }
                    a += 2
                }
                return (hash, remaining)
            }
        }
    }

    /// The mask for each number of bits (index = bits); values from the FastCDC C reference
    /// (destor) and restic, as listed by fastcdc-rs. Indices 0–4 are unused.
    static let masks: [UInt64] = [
        0, 0, 0, 0, 0,
        0x0000_0000_0180_4110, // 5: only for normalization 3 at 64 B
        0x0000_0000_0180_3110, // 64 B
        0x0000_0000_1803_5100, // 128 B
        0x0000_0018_0003_5300, // 256 B
        0x0000_0190_0035_3000, // 512 B
        0x0000_5900_0353_0000, // 1 KiB
        0x0000_d900_0353_0000, // 2 KiB
        0x0000_d901_0353_0000, // 4 KiB
        0x0000_d903_0353_0000, // 8 KiB
        0x0000_d903_1353_0000, // 16 KiB
        0x0000_d90f_0353_0000, // 32 KiB
        0x0000_d903_0353_7000, // 64 KiB
        0x0000_d907_0353_7000, // 128 KiB
        0x0000_d907_0753_7000, // 256 KiB
        0x0000_d917_0753_7000, // 512 KiB
        0x0000_d917_4753_7000, // 1 MiB
        0x0000_d917_6753_7000, // 2 MiB
        0x0000_d937_6753_7000, // 4 MiB
        0x0000_d937_7753_7000, // 8 MiB
        0x0000_d937_7757_7000, // 16 MiB
        0x0000_db37_7757_7000, // only for normalization 3
    ]

    /// GEAR[i] = the first 8 bytes (big-endian) of MD5 of 64 bytes all equal to `i` — the
    /// construction of the FastCDC C reference and fastcdc-rs. Computed, not copied.
    static let gear: [UInt64] = (0..<256).map { i in
        let digest = Insecure.MD5.hash(data: [UInt8](repeating: UInt8(i), count: 64))
        return digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// GEAR shifted left by one bit, for rolling two bytes per step.
    static let gearLS: [UInt64] = gear.map { $0 << 1 }
}
