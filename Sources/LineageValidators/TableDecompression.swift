import Foundation
internal import CZlib
internal import CBzip2
internal import CLzma

// Decompressors for table files, streaming: the only file of LineageValidators that imports C.

/// gzip (`.gz`, several members one after another as `gzip` writes them) or raw deflate (a zip member).
final class InflateStream: TableByteStream {
    enum Format { case gzip, raw }
    private let input: CompressedInput
    private let format: Format
    private var z = z_stream()
    private var finished = false

    init(source: TableByteStream, format: Format, compressedSize: Int? = nil) throws {
        input = CompressedInput(source: source, remaining: compressedSize)
        self.format = format
        let rc = inflateInit2_(&z, format == .gzip ? 15 + 16 : -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw TableStreamError(message: "zlib could not start (\(rc))") }
    }

    deinit { inflateEnd(&z) }

    func read(into: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        z.next_out = into
        z.avail_out = uInt(min(count, Int(UInt32.max)))
        let asked = Int(z.avail_out)
        while Int(z.avail_out) == asked {
            if finished {
                // gzip: another member may follow.
                guard format == .gzip, try input.refill() else { return 0 }
                inflateReset(&z)
                finished = false
            }
            if input.available == 0, try !input.refill() {
                throw TableStreamError(message: format == .gzip ? "the gzip data ends early (the .gz file is truncated)" : "the zip member's data ends early (the .zip file is truncated)")
            }
            z.next_in = input.buffer + input.start
            z.avail_in = uInt(input.available)
            let rc = inflate(&z, Z_NO_FLUSH)
            input.start = input.end - Int(z.avail_in)
            if rc == Z_STREAM_END { finished = true; continue }
            if rc == Z_BUF_ERROR { continue }
            guard rc == Z_OK else {
                let detail = z.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw TableStreamError(message: "damaged \(format == .gzip ? "gzip" : "zip") data (\(detail)); the compressed file cannot be read")
            }
        }
        return asked - Int(z.avail_out)
    }
}

/// A `.zip` file's one member, stored or deflated. More members, encryption, zip64 or another
/// method are refused with what to do.
enum ZipMemberStream {
    static func open(_ file: FileByteStream) throws -> TableByteStream {
        let size = file.size
        // The end-of-central-directory record: the member count.
        let tail = try file.pread(min(size, 22 + 65_535), at: max(0, size - 22 - 65_535))
        var eocd = -1
        if tail.count >= 22 {
            var k = tail.count - 22
            while k >= 0 {
                if tail[k] == 0x50 && tail[k + 1] == 0x4B && tail[k + 2] == 0x05 && tail[k + 3] == 0x06 { eocd = k; break }
                k -= 1
            }
        }
        guard eocd >= 0 else { throw TableStreamError(message: "not a zip file (no end-of-archive record); check the file and its extension") }
        func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        func u32(_ b: [UInt8], _ i: Int) -> Int { u16(b, i) | u16(b, i + 2) << 16 }
        let members = u16(tail, eocd + 10)
        guard members == 1 else {
            throw TableStreamError(message: "the zip file holds \(members) files; lineage reads a .zip that holds exactly one table — unpack it and track the tables themselves")
        }
        let header = try file.pread(30, at: 0)
        guard header.count == 30, u32(header, 0) == 0x0403_4B50 else { throw TableStreamError(message: "not a zip file (no local file header at its start)") }
        let flags = u16(header, 6), method = u16(header, 8)
        var compressed = u32(header, 18)
        let nameLength = u16(header, 26), extraLength = u16(header, 28)
        if flags & 1 != 0 { throw TableStreamError(message: "the zip member is encrypted; lineage cannot read it") }
        if compressed == 0xFFFF_FFFF { throw TableStreamError(message: "the zip file is in zip64 form, which lineage does not read; compress the table with gzip instead") }
        let dataStart = 30 + nameLength + extraLength
        // Skip the name and extra field.
        var skip = dataStart
        var scratch = [UInt8](repeating: 0, count: 4096)
        while skip > 0 {
            let n = try scratch.withUnsafeMutableBufferPointer { try file.read(into: $0.baseAddress!, count: min(skip, 4096)) }
            if n == 0 { throw TableStreamError(message: "the zip file ends inside its header") }
            skip -= n
        }
        if flags & 8 != 0 {
            // Sizes follow the data; the central directory has them.
            let cdOffset = u32(tail, eocd + 16)
            let cd = try file.pread(46, at: cdOffset)
            guard cd.count == 46, u32(cd, 0) == 0x0201_4B50 else { throw TableStreamError(message: "the zip file's directory is damaged") }
            compressed = u32(cd, 20)
        }
        switch method {
        case 0: return StoredStream(source: file, remaining: compressed)
        case 8: return try InflateStream(source: file, format: .raw, compressedSize: compressed)
        default: throw TableStreamError(message: "the zip member is compressed with method \(method); lineage reads stored and deflated members — re-zip it with deflate or use gzip")
        }
    }
}

/// A stored zip member: `remaining` bytes of the source as they are.
final class StoredStream: TableByteStream {
    let source: TableByteStream
    var remaining: Int
    init(source: TableByteStream, remaining: Int) { self.source = source; self.remaining = remaining }
    func read(into: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        if remaining == 0 { return 0 }
        let n = try source.read(into: into, count: min(count, remaining))
        if n == 0 { throw TableStreamError(message: "the zip member's data ends early (the .zip file is truncated)") }
        remaining -= n
        return n
    }
}

/// bzip2 (`.bz2`, several streams one after another as pbzip2 writes them).
final class Bzip2Stream: TableByteStream {
    private let input: CompressedInput
    private var s = bz_stream()
    private var active = false
    private var finished = false

    init(source: TableByteStream) throws {
        input = CompressedInput(source: source)
        try start()
    }

    private func start() throws {
        s = bz_stream()
        let rc = BZ2_bzDecompressInit(&s, 0, 0)
        guard rc == BZ_OK else { throw TableStreamError(message: "bzip2 could not start (\(rc))") }
        active = true
    }

    deinit { if active { BZ2_bzDecompressEnd(&s) } }

    func read(into: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        let asked = min(count, Int(UInt32.max))
        var produced = 0
        while produced == 0 {
            if finished {
                guard try input.refill() else { return 0 }
                BZ2_bzDecompressEnd(&s); active = false
                try start()
                finished = false
            }
            if input.available == 0, try !input.refill() {
                throw TableStreamError(message: "the bzip2 data ends early (the .bz2 file is truncated)")
            }
            s.next_in = UnsafeMutableRawPointer(input.buffer + input.start).assumingMemoryBound(to: CChar.self)
            s.avail_in = UInt32(input.available)
            s.next_out = UnsafeMutableRawPointer(into).assumingMemoryBound(to: CChar.self)
            s.avail_out = UInt32(asked)
            let rc = BZ2_bzDecompress(&s)
            input.start = input.end - Int(s.avail_in)
            produced = asked - Int(s.avail_out)
            if rc == BZ_STREAM_END { finished = true; continue }
            guard rc == BZ_OK else { throw TableStreamError(message: "damaged bzip2 data (error \(rc)); the compressed file cannot be read") }
        }
        return produced
    }
}

/// xz (`.xz`, concatenated streams allowed), with a 1 GiB limit on the decoder's memory.
final class XzStream: TableByteStream {
    private let input: CompressedInput
    private var s = lzma_stream()
    private var finished = false

    init(source: TableByteStream) throws {
        input = CompressedInput(source: source)
        let concatenated: UInt32 = 0x08   // LZMA_CONCATENATED (a macro Swift does not import)
        let rc = lzma_stream_decoder(&s, 1 << 30, concatenated)
        guard rc == LZMA_OK else { throw TableStreamError(message: "xz could not start (\(rc.rawValue))") }
    }

    deinit { lzma_end(&s) }

    func read(into: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        if finished { return 0 }
        s.next_out = into
        s.avail_out = count
        while s.avail_out == count {
            if input.available == 0 { _ = try input.refill() }
            s.next_in = UnsafePointer(input.buffer + input.start)
            s.avail_in = input.available
            let rc = lzma_code(&s, input.atEnd && input.available == 0 ? LZMA_FINISH : LZMA_RUN)
            input.start = input.end - Int(s.avail_in)
            if rc == LZMA_STREAM_END { finished = true; break }
            if rc == LZMA_BUF_ERROR { throw TableStreamError(message: "the xz data ends early (the .xz file is truncated)") }
            if rc == LZMA_MEMLIMIT_ERROR { throw TableStreamError(message: "the xz file needs more than 1 GiB to decompress; recompress it with a smaller dictionary (xz -6)") }
            guard rc == LZMA_OK else { throw TableStreamError(message: "damaged xz data (error \(rc.rawValue)); the compressed file cannot be read") }
        }
        return count - s.avail_out
    }
}
