import Foundation
import LineageCore
#if canImport(Glibc)
import Glibc
#endif

/// A small blocking FIFO for handing buffers between two threads.
final class BlockingQueue<T>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [T] = []

    func push(_ item: T) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    func pop() -> T {
        condition.lock()
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.unlock()
        return item
    }
}

/// The streaming chunker behind `ContentStore.ingest`: a reader thread and the calling thread.
///
/// The reader thread fills fixed buffers with `read(2)`, feeds the whole-file SHA-256, and runs FastCDC
/// over them; the bytes of an unfinished chunk at the end of a block (fewer than `maxSize`) are copied to
/// the front of the next buffer, so every chunk is contiguous. The calling thread receives batches of
/// complete chunks, handles each (hash + write), then gives the buffer back. Three buffers of
/// `blockSize + maxSize` bytes are all the memory it uses, whatever the file size.
final class ChunkPipeline: @unchecked Sendable {
    struct Batch {
        var buffer: Int
        var chunks: [(start: Int, length: Int)]
        var error: Error?
        var last: Bool
    }

    static let blockSize = 4 << 20
    static let bufferCount = 3

    let fd: Int32
    let path: String
    let parameters: ChunkerParameters
    private let capacity: Int
    private let buffers: [UnsafeMutableRawPointer]
    private let free = BlockingQueue<Int>()
    private let full = BlockingQueue<Batch>()
    private let cancelled = ManagedAtomicFlag()
    /// Set by the reader before it sends the last batch.
    private(set) var wholeDigest = Digest.of([UInt8]())
    private(set) var totalRead: UInt64 = 0

    init(fd: Int32, path: String, parameters: ChunkerParameters) {
        self.fd = fd; self.path = path; self.parameters = parameters
        capacity = ChunkPipeline.blockSize + parameters.maxSize
        buffers = (0..<ChunkPipeline.bufferCount).map { _ in
            UnsafeMutableRawPointer.allocate(byteCount: ChunkPipeline.blockSize + parameters.maxSize, alignment: 64)
        }
        for i in 0..<ChunkPipeline.bufferCount { free.push(i) }
    }

    deinit { for b in buffers { b.deallocate() } }

    /// Runs the pipeline to the end of the file, calling `chunk` for every chunk in order and
    /// `batchDone` after each block, both on the calling thread. Rethrows read errors and errors of `chunk`.
    func run(chunk: (UnsafeRawBufferPointer) throws -> Void, batchDone: () -> Void) throws {
        let reader = Thread { [self] in self.produce() }
        reader.stackSize = 1 << 20
        reader.start()
        var failure: Error? = nil
        while true {
            let batch = full.pop()
            if failure == nil {
                if let error = batch.error {
                    failure = error
                } else {
                    do {
                        let base = buffers[batch.buffer]
                        for c in batch.chunks {
                            try chunk(UnsafeRawBufferPointer(start: base + c.start, count: c.length))
                        }
                        batchDone()
                    } catch {
                        failure = error
                        cancelled.set()
                    }
                }
            }
            free.push(batch.buffer)
            if batch.last { break }
        }
        if let failure { throw failure }
    }

    private func produce() {
        var hasher = DigestBuilder()
        var current = free.pop()
        var carry = 0
        let p = parameters
        while true {
            let base = buffers[current]
            let n: Int
            do {
                n = try readFull(fd, base + carry, ChunkPipeline.blockSize, path: path)
            } catch {
                full.push(Batch(buffer: current, chunks: [], error: error, last: true))
                return
            }
            hasher.update(UnsafeRawBufferPointer(start: base + carry, count: n))
            totalRead += UInt64(n)
            let eof = n < ChunkPipeline.blockSize || cancelled.isSet
            let end = carry + n
            var pos = 0
            var chunks: [(start: Int, length: Int)] = []
            while pos < end && (eof || end - pos >= p.maxSize) {
                let (_, length) = FastCDC.cut(UnsafeRawBufferPointer(start: base + pos, count: end - pos), parameters: p)
                chunks.append((pos, length))
                pos += length
            }
            if eof {
                wholeDigest = hasher.finalize()
                full.push(Batch(buffer: current, chunks: chunks, error: nil, last: true))
                return
            }
            let next = free.pop()
            carry = end - pos
            if carry > 0 { buffers[next].copyMemory(from: base + pos, byteCount: carry) }
            full.push(Batch(buffer: current, chunks: chunks, error: nil, last: false))
            current = next
        }
    }
}

/// A flag set once by one thread and read by another.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
