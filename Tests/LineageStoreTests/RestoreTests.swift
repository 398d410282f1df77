import Foundation
import LineageCore
import Testing
@testable import LineageStore
#if canImport(Glibc)
import Glibc
#endif

/// Restoring files chunk by chunk on several threads: byte-identical output, and damage refused.
@Suite struct RestoreTests {
    /// Alternating compressible (CSV) and incompressible (random) stretches, so the file's chunks are
    /// stored some zlib-compressed and some raw.
    static func mixedBytes(seed: UInt64, stretches: Int, stretch: Int) -> [UInt8] {
        var out: [UInt8] = []
        for i in 0..<stretches {
            out += i % 2 == 0 ? csvText(seed: seed &+ UInt64(i), count: stretch) : splitmixBytes(seed: seed &+ UInt64(i), count: stretch)
        }
        return out
    }

    struct Stored {
        let tmp = TempDir()
        let store: ContentStore
        let bytes: [UInt8]
        let result: IngestResult
        init(_ bytes: [UInt8], parameters: ChunkerParameters) throws {
            store = try tmp.makeStore()
            self.bytes = bytes
            let w = try store.beginWrite()
            result = try store.ingest(file: tmp.write("in", bytes), into: w, parameters: parameters)
            try w.finish()
        }
        var pack: String { packFiles(store, ext: "pack")[0] }
        /// The pack entries of the file's chunks, in file order.
        func chunkEntries() throws -> [ScannedEntry] {
            let fd = open(pack, O_RDONLY)
            defer { close(fd) }
            var st = stat(); fstat(fd, &st)
            let scanned = try PackScanner.scan(fd: fd, path: pack, size: UInt64(st.st_size)).entries
            let byDigest = Dictionary(scanned.map { ($0.digest, $0) }, uniquingKeysWith: { a, _ in a })
            return result.chunkList.entries.map { byDigest[$0.digest]! }
        }
        func restore(to name: String) throws -> [UInt8] {
            let out = tmp.path + "/" + name
            try store.restore(chunkList: result.chunkListDigest, size: result.size, sha256: result.sha256, to: out)
            return readFile(out)
        }
        /// Through `write(toFileDescriptor:)` into a pipe (a descriptor that cannot seek).
        func streamThroughPipe() throws -> [UInt8] {
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            final class Sink: @unchecked Sendable { var bytes: [UInt8] = [] }
            let sink = Sink()
            let done = DispatchSemaphore(value: 0)
            let readEnd = fds[0]
            Thread {
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress!, $0.count) }
                    if n <= 0 { break }
                    sink.bytes += buffer[0..<n]
                }
                done.signal()
            }.start()
            var failure: Error?
            do {
                try store.write(chunkList: result.chunkListDigest, size: result.size, sha256: result.sha256, toFileDescriptor: fds[1])
            } catch { failure = error }
            close(fds[1])
            done.wait()
            close(fds[0])
            if let failure { throw failure }
            return sink.bytes
        }
    }

    @Test func mixedChunksRestoreByteIdentical() throws {
        for (bytes, params) in [
            (RestoreTests.mixedBytes(seed: 31, stretches: 40, stretch: 50_000), smallChunks),
            (RestoreTests.mixedBytes(seed: 32, stretches: 8, stretch: 1_500_000), ChunkerParameters.production),
        ] {
            let s = try Stored(bytes, parameters: params)
            let chunks = try s.chunkEntries()
            #expect(chunks.count > 4)
            #expect(chunks.contains { $0.flags == PackFormat.flagZlib }, "some chunks are stored compressed")
            #expect(chunks.contains { $0.flags == PackFormat.flagRaw }, "some chunks are stored raw")
            let restored = try s.restore(to: "out")
            #expect(restored.count == bytes.count)
            #expect(restored == bytes)
            #expect(sha256sum(s.tmp.path + "/out") == s.result.sha256.hex)
            #expect(try s.streamThroughPipe() == bytes)
            // Restoring over an existing, longer file truncates it first.
            _ = s.tmp.write("longer", bytes + bytes)
            #expect(try s.restore(to: "longer") == bytes)
        }
    }

    @Test func emptyAndOneChunkFiles() throws {
        for bytes in [[UInt8](), Array("one line\n".utf8), splitmixBytes(seed: 33, count: 900)] {
            let s = try Stored(bytes, parameters: smallChunks)
            #expect(try s.restore(to: "out") == bytes)
            #expect(try s.streamThroughPipe() == bytes)
            // A file of at most one chunk has its whole-file SHA-256 as that chunk's address: checked.
            #expect(throws: StoreError.self) {
                try s.store.restore(chunkList: s.result.chunkListDigest, size: s.result.size, sha256: Digest.of([7]), to: s.tmp.path + "/x")
            }
        }
    }

    /// One flipped byte in any stored chunk — raw or zlib, first, middle or last — fails the restore
    /// with `corruptObject` naming that chunk and its pack, for both restore paths.
    @Test func flippedByteInAStoredChunkFailsRestore() throws {
        let original = try Stored(RestoreTests.mixedBytes(seed: 34, stretches: 12, stretch: 40_000), parameters: smallChunks)
        let chunks = try original.chunkEntries()
        let raw = try #require(chunks.firstIndex { $0.flags == PackFormat.flagRaw })
        let zlib = try #require(chunks.firstIndex { $0.flags == PackFormat.flagZlib })
        let packBytes = readFile(original.pack)
        for n in Set([0, raw, zlib, chunks.count / 2, chunks.count - 1]).sorted() {
            let e = chunks[n]
            for at in [0, Int(e.storedLength) / 2, Int(e.storedLength) - 1] {
                _ = FileManager.default.createFile(atPath: original.pack, contents: Data(packBytes))
                flipByte(original.pack, at: Int(e.offset) + PackFormat.entryHeaderSize + at)
                let store = try ContentStore(directory: original.store.directory)
                let expected = StoreError.corruptObject(e.digest, file: original.pack)
                #expect(throws: expected, "chunk \(n) (\(e.flags == PackFormat.flagZlib ? "zlib" : "raw")), byte \(at)") {
                    try store.restore(chunkList: original.result.chunkListDigest, size: original.result.size,
                                      sha256: original.result.sha256, to: original.tmp.path + "/out")
                }
                let fd = open(original.tmp.path + "/cat", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                #expect(throws: expected) {
                    try store.write(chunkList: original.result.chunkListDigest, size: original.result.size,
                                    sha256: original.result.sha256, toFileDescriptor: fd)
                }
                close(fd)
                // Nothing of the damaged chunk reached the streamed output: it stops before it.
                let streamed = readFile(original.tmp.path + "/cat")
                let before = original.result.chunkList.entries[..<n].reduce(0) { $0 + Int($1.length) }
                #expect(streamed.count == before)
                #expect(Array(streamed) == Array(original.bytes.prefix(streamed.count)))
            }
        }
    }

    @Test func missingChunkAndWrongSize() throws {
        let s = try Stored(RestoreTests.mixedBytes(seed: 35, stretches: 6, stretch: 30_000), parameters: smallChunks)
        let list = s.result.chunkList.entries
        #expect(throws: StoreError.self) {
            try s.store.restore(chunkList: s.result.chunkListDigest, size: s.result.size + 1, sha256: s.result.sha256, to: s.tmp.path + "/x")
        }
        let gone = list[list.count / 2].digest
        var keep = Set(list.map(\.digest)); keep.remove(gone); keep.insert(s.result.chunkListDigest)
        _ = try s.store.gc(keep: keep)
        #expect(throws: StoreError.missingObject(gone)) {
            try s.store.restore(chunkList: s.result.chunkListDigest, size: s.result.size, sha256: s.result.sha256, to: s.tmp.path + "/y")
        }
        #expect(throws: StoreError.missingObject(gone)) { try s.streamThroughPipe() }
    }
}
