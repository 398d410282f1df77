import Foundation

// The bytes every table reader reads: the file, decompressed by its extension (.gz, .bz2, .xz,
// single-member .zip) and decoded from its declared encoding to UTF-8, as a stream read in blocks
// (memory bounded by the blocks and the decompressor's window). The readers parse the UTF-8 that
// comes out; the file's digest is never taken here, so it stays that of the stored bytes.

/// A source of bytes read front to back.
protocol TableByteStream: AnyObject {
    /// Reads up to `count` (≥ 1) bytes into `into`; 0 only at the end. Throws `TableStreamError`.
    func read(into: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int
}

/// Content that cannot be decompressed or decoded. `line` is where it happened when the stream
/// knows (decoders count line feeds); otherwise the reader names the record it was reading.
struct TableStreamError: Error {
    var message: String
    var line: Int?
}

enum TableInput {
    /// Opens `path` for reading as UTF-8: decompressed by its extension, decoded from `encoding`.
    /// A file that cannot be opened is a `TableReadError` at line 0 ("cannot open: …").
    static func open(path: String, encoding: TableEncoding) throws -> TableByteStream {
        let file = try FileByteStream(path: path)
        var stream: TableByteStream = file
        do {
            switch TableCompression.guess(path: path) {
            case nil: break
            case .gzip: stream = try InflateStream(source: file, format: .gzip)
            case .zip: stream = try ZipMemberStream.open(file)
            case .bzip2: stream = try Bzip2Stream(source: file)
            case .xz: stream = try XzStream(source: file)
            }
        } catch let e as TableStreamError {
            throw TableReadError(path: path, line: 1, message: e.message)
        }
        switch encoding {
        case .utf8: return stream
        case .utf16: return UTF16Decoder(source: stream)
        case .singleByte(let name): return SingleByteDecoder(source: stream, name: name, table: LegacyEncodingTables.tables[name]!)
        }
    }

    /// Up to `limit` bytes from the start of the file, decompressed (not decoded): what
    /// `TableSniffer` looks at.
    static func sample(path: String, limit: Int) throws -> [UInt8] {
        let stream = try open(path: path, encoding: .utf8)
        var out = [UInt8](repeating: 0, count: limit)
        var n = 0
        do {
            while n < limit {
                let r = try out.withUnsafeMutableBufferPointer { try stream.read(into: $0.baseAddress! + n, count: limit - n) }
                if r == 0 { break }
                n += r
            }
        } catch let e as TableStreamError {
            throw TableReadError(path: path, line: e.line ?? 1, message: e.message)
        }
        out.removeSubrange(n...)
        return out
    }
}

/// The file itself.
final class FileByteStream: TableByteStream {
    let path: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw TableReadError(path: path, line: 0, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    func read(into: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        var n: Int
        repeat { n = Glibc.read(fd, into, count) } while n < 0 && errno == EINTR
        if n < 0 { throw TableStreamError(message: "read failed: \(String(cString: strerror(errno)))") }
        return n
    }

    /// Reads exactly `count` bytes at `offset` (short only at the end of the file).
    func pread(_ count: Int, at offset: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw TableStreamError(message: "read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            done += n
        }
        out.removeSubrange(done...)
        return out
    }

    var size: Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }
}

/// A compressed file's input side: a refillable window over the source.
final class CompressedInput {
    let source: TableByteStream
    let capacity: Int
    let buffer: UnsafeMutablePointer<UInt8>
    var start = 0, end = 0
    var atEnd = false
    /// Bytes of the source still to read (nil: until it ends); a zip member's compressed size.
    var remaining: Int?

    init(source: TableByteStream, capacity: Int = 256 << 10, remaining: Int? = nil) {
        self.source = source; self.capacity = capacity; self.remaining = remaining
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    var available: Int { end - start }

    /// Reads more when the window is empty; false when the source has ended.
    func refill() throws -> Bool {
        if available > 0 { return true }
        if atEnd { return false }
        start = 0; end = 0
        let want = remaining.map { min($0, capacity) } ?? capacity
        if want == 0 { atEnd = true; return false }
        let n = try source.read(into: buffer, count: want)
        if n == 0 { atEnd = true; return false }
        end = n
        if let r = remaining { remaining = r - n }
        return true
    }
}

/// Decodes a single-byte encoding (ISO-8859-x, Windows-125x) to UTF-8 with a table.
final class SingleByteDecoder: TableByteStream {
    let source: TableByteStream
    let name: String
    /// UTF-8 of each byte 0x80...0xFF (empty: undefined), at most 3 bytes each.
    private var utf8: [[UInt8]]
    private var input = [UInt8](repeating: 0, count: 64 << 10)
    private var pending: [UInt8] = []
    private var lines = 1

    init(source: TableByteStream, name: String, table: [UInt16]) {
        self.source = source; self.name = name
        utf8 = table.map { cp in cp == 0xFFFF ? [] : Array(String(Unicode.Scalar(cp)!).utf8) }
    }

    func read(into: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        var out = 0
        while out < count, !pending.isEmpty {
            into[out] = pending.removeFirst(); out += 1
        }
        if out > 0 { return out }
        let want = max(1, min(input.count, count / 3))
        let n = try input.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, count: want) }
        if n == 0 { return 0 }
        for i in 0..<n {
            let b = input[i]
            if b < 0x80 {
                if b == 0x0A { lines += 1 }
                if out < count { into[out] = b; out += 1 } else { pending.append(b) }
                continue
            }
            let seq = utf8[Int(b) - 0x80]
            if seq.isEmpty {
                throw TableStreamError(message: "byte 0x\(String(b, radix: 16, uppercase: true)) is not a character in \(name), the declared encoding; check the encoding (`lineage schema infer` names a probable one)", line: lines)
            }
            for c in seq { if out < count { into[out] = c; out += 1 } else { pending.append(c) } }
        }
        return out
    }
}

/// Decodes UTF-16 with a byte-order mark to UTF-8.
final class UTF16Decoder: TableByteStream {
    let source: TableByteStream
    private var input = [UInt8](repeating: 0, count: 64 << 10)
    private var carry: [UInt8] = []      // an odd byte or half a surrogate pair left from the last read
    private var bigEndian: Bool?
    private var pending: [UInt8] = []
    private var lines = 1

    init(source: TableByteStream) { self.source = source }

    func read(into: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        var out = 0
        while out < count, !pending.isEmpty { into[out] = pending.removeFirst(); out += 1 }
        if out > 0 { return out }
        while true {
            let want = max(2, min(input.count, count / 2))
            let n = try input.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, count: want) }
            if n == 0 {
                if !carry.isEmpty { throw TableStreamError(message: "the UTF-16 text ends in the middle of a character", line: lines) }
                return 0
            }
            let bytes = carry + input[0..<n]
            carry = []
            var i = 0
            if bigEndian == nil {
                if bytes.count < 2 { carry = bytes; continue }
                if bytes[0] == 0xFE && bytes[1] == 0xFF { bigEndian = true } else if bytes[0] == 0xFF && bytes[1] == 0xFE { bigEndian = false } else {
                    throw TableStreamError(message: "declared UTF-16 but has no byte-order mark (FE FF or FF FE); lineage reads UTF-16 only with one", line: 1)
                }
                i = 2
            }
            let be = bigEndian!
            func unit(_ k: Int) -> UInt32 { be ? UInt32(bytes[k]) << 8 | UInt32(bytes[k + 1]) : UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k]) }
            func emit(_ scalar: UInt32) {
                var buf: [UInt8] = []
                if scalar < 0x80 { buf = [UInt8(scalar)] }
                else if scalar < 0x800 { buf = [UInt8(0xC0 | scalar >> 6), UInt8(0x80 | scalar & 0x3F)] }
                else if scalar < 0x10000 { buf = [UInt8(0xE0 | scalar >> 12), UInt8(0x80 | scalar >> 6 & 0x3F), UInt8(0x80 | scalar & 0x3F)] }
                else { buf = [UInt8(0xF0 | scalar >> 18), UInt8(0x80 | scalar >> 12 & 0x3F), UInt8(0x80 | scalar >> 6 & 0x3F), UInt8(0x80 | scalar & 0x3F)] }
                for c in buf { if out < count { into[out] = c; out += 1 } else { pending.append(c) } }
            }
            while i + 2 <= bytes.count {
                let u = unit(i)
                if u >= 0xD800 && u < 0xDC00 {
                    if i + 4 > bytes.count { break }
                    let lo = unit(i + 2)
                    guard lo >= 0xDC00 && lo < 0xE000 else { throw TableStreamError(message: "invalid UTF-16 (a lone surrogate)", line: lines) }
                    emit(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00))
                    i += 4
                    continue
                }
                if u >= 0xDC00 && u < 0xE000 { throw TableStreamError(message: "invalid UTF-16 (a lone surrogate)", line: lines) }
                if u == 0x0A { lines += 1 }
                emit(u)
                i += 2
            }
            carry = Array(bytes[i...])
            if out > 0 { return out }
        }
    }
}
