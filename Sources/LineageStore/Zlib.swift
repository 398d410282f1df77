internal import CZlib

/// zlib, confined to this file: compress a buffer, decompress into a known length.
enum Zlib {
    /// Fast level: the store compresses only data a sample shows to be compressible.
    static let level: Int32 = 1

    /// Compressed bytes of `source`, or nil if zlib fails or the result is not smaller than `limit`.
    static func compress(_ source: UnsafeRawBufferPointer, limit: Int) -> [UInt8]? {
        if source.isEmpty { return nil }
        let bound = Int(compressBound(uLong(source.count)))
        var out = [UInt8](repeating: 0, count: bound)
        var outLength = uLongf(bound)
        let rc = out.withUnsafeMutableBytes { dst in
            compress2(dst.baseAddress!.assumingMemoryBound(to: Bytef.self), &outLength,
                      source.baseAddress!.assumingMemoryBound(to: Bytef.self), uLong(source.count), level)
        }
        guard rc == Z_OK, Int(outLength) < limit else { return nil }
        out.removeSubrange(Int(outLength)...)
        return out
    }

    /// Size `source` compresses to at the fast level (for the compressibility sample).
    static func compressedSize(_ source: UnsafeRawBufferPointer) -> Int {
        guard let c = compress(source, limit: Int.max) else { return source.count }
        return c.count
    }

    /// Decompresses exactly `rawLength` bytes; nil when the stream is damaged or of another length.
    static func decompress(_ source: UnsafeRawBufferPointer, rawLength: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: max(rawLength, 1))
        var outLength = uLongf(rawLength)
        var sourceLength = uLong(source.count)
        let rc = out.withUnsafeMutableBytes { dst in
            uncompress2(dst.baseAddress!.assumingMemoryBound(to: Bytef.self), &outLength,
                        source.baseAddress!.assumingMemoryBound(to: Bytef.self), &sourceLength)
        }
        guard rc == Z_OK, Int(outLength) == rawLength, Int(sourceLength) == source.count else { return nil }
        if rawLength == 0 { return [] }
        return out
    }
}
