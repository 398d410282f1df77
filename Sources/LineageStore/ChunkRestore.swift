import Foundation
import LineageCore
internal import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Reusable buffers of one restore worker: the stored bytes of a chunk (its pack entry header
/// included) and, for a zlib-stored chunk, its inflated bytes. They grow to the largest chunk seen
/// (at most 1 MiB raw with the production chunker), so a worker allocates once per restore.
final class ChunkScratch {
    private(set) var stored: UnsafeMutableRawPointer
    private(set) var storedCapacity: Int
    private(set) var raw: UnsafeMutableRawPointer
    private(set) var rawCapacity: Int

    /// Starts small: a tiny file's restore allocates only what its chunk needs.
    init() {
        storedCapacity = 64
        stored = UnsafeMutableRawPointer.allocate(byteCount: storedCapacity, alignment: 64)
        rawCapacity = 64
        raw = UnsafeMutableRawPointer.allocate(byteCount: rawCapacity, alignment: 64)
    }

    deinit { stored.deallocate(); raw.deallocate() }

    /// Grows the buffers (at least doubling, contents not kept) to hold `stored` and `raw` bytes.
    func reserve(stored needStored: Int, raw needRaw: Int) {
        if needStored > storedCapacity {
            stored.deallocate()
            storedCapacity = max(needStored, 2 * storedCapacity)
            stored = UnsafeMutableRawPointer.allocate(byteCount: storedCapacity, alignment: 64)
        }
        if needRaw > rawCapacity {
            raw.deallocate()
            rawCapacity = max(needRaw, 2 * rawCapacity)
            raw = UnsafeMutableRawPointer.allocate(byteCount: rawCapacity, alignment: 64)
        }
    }

    /// Inflates `source` into `raw`; false unless the zlib stream is intact, uses all of `source`
    /// and yields exactly `rawLength` bytes.
    func inflate(_ source: UnsafeRawBufferPointer, rawLength: Int) -> Bool {
        reserve(stored: 0, raw: max(rawLength, 1))
        var outLength = uLongf(rawLength)
        var sourceLength = uLong(source.count)
        let rc = uncompress2(raw.assumingMemoryBound(to: Bytef.self), &outLength,
                             source.baseAddress!.assumingMemoryBound(to: Bytef.self), &sourceLength)
        return rc == Z_OK && Int(outLength) == rawLength && Int(sourceLength) == source.count
    }
}

/// Restores the chunks of a chunk list to a file descriptor on several threads.
///
/// Every chunk is read from its pack, inflated if stored compressed, and checked by
/// `ContentStore.readChunk` (entry header, SHA-256 against its address, length against the chunk
/// list) before any of its bytes is written. Which guarantees the output is the recorded file:
/// see `ContentStore.restore`.
struct ChunkRestore {
    let store: ContentStore
    let list: ChunkList
    let listDigest: Digest
    let fd: Int32
    let path: String

    /// Threads hashing chunks (the calling thread counts as one where it hashes too).
    static var workerCount: Int { max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4)) }

    /// Positional: every worker, the calling thread included, takes the next chunk and checks it
    /// into a buffer of its own; chunks are then `pwrite`n at their offsets (known from the lengths
    /// before them) by one worker at a time — whoever finds no write in progress writes its chunk and
    /// any that others checked meanwhile, while the others go on hashing rather than wait on the
    /// file (two writers to one file contend for its inode lock and spin). The hashing, the bulk of
    /// the work, and the writes so spread over all cores. Memory: at most two buffers per worker,
    /// each up to about twice the largest chunk (~2 MiB with the production chunker). `progress` (bytes written so far, not necessarily
    /// a prefix) is called on the calling thread only. On failure the first error (by chunk order
    /// among those seen) is thrown and the file is left partly written: callers write a temporary
    /// file and rename it only after success.
    func writePositional(progress: ((UInt64) -> Void)?) throws {
        let entries = list.entries
        var offsets = [UInt64](repeating: 0, count: entries.count)
        var at: UInt64 = 0
        for (i, e) in entries.enumerated() { offsets[i] = at; at += UInt64(e.length) }
        let workers = min(ChunkRestore.workerCount, entries.count)
        let state = PositionalState(count: entries.count, maxScratches: 2 * max(workers, 1))
        let group = DispatchGroup()
        let job = self
        let offsetTable = offsets
        for _ in 1..<max(workers, 1) {
            group.enter()
            let thread = Thread {
                job.positionalWorker(state: state, offsets: offsetTable, onChunk: nil)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        positionalWorker(state: state, offsets: offsets, onChunk: progress)
        group.wait()
        if let failure = state.failure { throw failure.error }
        progress?(at)
    }

    private func positionalWorker(state: PositionalState, offsets: [UInt64], onChunk: ((UInt64) -> Void)?) {
        let entries = list.entries
        var scratch = state.takeScratch()
        while let current = scratch, let i = state.claim() {
            let bytes: UnsafeRawBufferPointer
            do {
                bytes = try store.readChunk(entries[i], list: listDigest, into: current)
            } catch {
                state.fail(at: i, error)
                break
            }
            guard state.submit(PositionalState.Checked(index: i, scratch: current, bytes: bytes)) else {
                scratch = state.takeScratch()  // handed to the writer with the chunk
                continue
            }
            // This worker writes: its own chunk, then whatever the others checked meanwhile.
            var item: PositionalState.Checked? = PositionalState.Checked(index: i, scratch: current, bytes: bytes)
            while let it = item {
                if !state.failed {
                    do { try pwriteAll(fd, it.bytes, at: offsets[it.index], path: path) } catch { state.fail(at: it.index, error) }
                }
                item = state.written(it, keep: it.scratch === current)
            }
            onChunk?(state.doneBytes)
        }
        if let scratch { state.giveBack(scratch) }
    }

    /// In order, for a descriptor that cannot seek (stdout, a pipe): helper threads check chunks
    /// into a ring of slots, the calling thread writes them in order. A chunk is written only once
    /// checked; on failure, the chunks before it have been written and the error is thrown.
    /// Memory: 2 slots per helper, each up to about twice the largest chunk.
    func writeInOrder(progress: ((UInt64) -> Void)?) throws {
        let entries = list.entries
        let helpers = min(ChunkRestore.workerCount, entries.count)
        if helpers <= 1 {  // one chunk (or one core): no threads
            let scratch = ChunkScratch()
            var done: UInt64 = 0
            for entry in entries {
                let bytes = try store.readChunk(entry, list: listDigest, into: scratch)
                try writeAll(fd, bytes, path: path)
                done += UInt64(bytes.count)
                progress?(done)
            }
            return
        }
        let ring = OrderedRing(count: entries.count, slots: 2 * helpers)
        let group = DispatchGroup()
        let job = self
        for _ in 0..<helpers {
            group.enter()
            let thread = Thread {
                job.orderedWorker(ring: ring)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        var failure: Error?
        var done: UInt64 = 0
        for i in 0..<entries.count {
            do {
                let bytes = try ring.take(i).get()
                try writeAll(fd, bytes, path: path)
                done += UInt64(bytes.count)
                ring.consumed(i)
                progress?(done)
            } catch {
                failure = error
                ring.stop()
                break
            }
        }
        group.wait()
        if let failure { throw failure }
    }

    private func orderedWorker(ring: OrderedRing) {
        let entries = list.entries
        while let (i, scratch) = ring.claim() {
            let result = Result { try store.readChunk(entries[i], list: listDigest, into: scratch) }
            ring.deliver(i, result)
        }
    }
}

/// Work distribution of `ChunkRestore.writePositional`: the next chunk to check, the buffers, and
/// the one-writer-at-a-time hand-off of checked chunks.
/// Thread safety: its mutable state is read and written only with `condition` held.
private final class PositionalState: @unchecked Sendable {
    struct Checked {
        let index: Int
        let scratch: ChunkScratch
        let bytes: UnsafeRawBufferPointer
    }

    private let condition = NSCondition()
    private let count: Int
    private let maxScratches: Int
    private var next = 0
    private var done: UInt64 = 0
    private var writing = false
    /// Checked chunks queued for the worker that is writing (empty whenever `writing` is false).
    private var pending: [Checked] = []
    private var spare: [ChunkScratch] = []
    private var scratches = 0
    private(set) var failure: (index: Int, error: Error)?

    init(count: Int, maxScratches: Int) { self.count = count; self.maxScratches = maxScratches }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    var failed: Bool { locked { failure != nil } }
    var doneBytes: UInt64 { locked { done } }

    /// The next chunk to check, or nil when all are taken or one has failed.
    func claim() -> Int? {
        locked {
            guard failure == nil, next < count else { return nil }
            next += 1
            return next - 1
        }
    }

    /// A buffer to check a chunk into: a spare one, a new one while there are fewer than
    /// `maxScratches`, else the next one the writer frees. Nil once a chunk has failed or all are taken.
    func takeScratch() -> ChunkScratch? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if failure != nil || next >= count { return nil }
            if let s = spare.popLast() { return s }
            if scratches < maxScratches { scratches += 1; return ChunkScratch() }
            condition.wait()
        }
    }

    func giveBack(_ scratch: ChunkScratch) { locked { spare.append(scratch); condition.broadcast() } }

    /// Offers a checked chunk: true when no one is writing and the caller is now the writer (and
    /// must write it itself), false when it was queued for the worker that is writing.
    func submit(_ item: Checked) -> Bool {
        locked {
            if writing { pending.append(item); return false }
            writing = true
            return true
        }
    }

    /// After the writer wrote `item`: counts it, frees its buffer unless the writer keeps it (its
    /// own), and returns the next queued chunk to write, or nil after giving up the writer's role.
    func written(_ item: Checked, keep: Bool) -> Checked? {
        locked {
            done += UInt64(item.bytes.count)
            if !keep { spare.append(item.scratch); condition.broadcast() }
            if pending.isEmpty { writing = false; return nil }
            return pending.removeFirst()
        }
    }

    func fail(at index: Int, _ error: Error) {
        locked {
            if failure == nil || index < failure!.index { failure = (index, error) }
            condition.broadcast()
        }
    }
}

/// The slots of `ChunkRestore.writeInOrder`: chunk `i` is checked into slot `i % slots`, claimed only
/// once chunk `i - slots` has been written, so a slot is never reused while its bytes are pending.
/// Thread safety: its mutable state is read and written only with `condition` held.
private final class OrderedRing: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private let scratches: [ChunkScratch]
    private var next = 0
    private var written = 0
    private var stopped = false
    private var ready: [Int: Result<UnsafeRawBufferPointer, Error>] = [:]

    init(count: Int, slots: Int) {
        self.count = count
        scratches = (0..<slots).map { _ in ChunkScratch() }
    }

    func claim() -> (Int, ChunkScratch)? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && next < count && next - written >= scratches.count { condition.wait() }
        guard !stopped, next < count else { return nil }
        next += 1
        return (next - 1, scratches[(next - 1) % scratches.count])
    }

    func deliver(_ index: Int, _ result: Result<UnsafeRawBufferPointer, Error>) {
        condition.lock()
        ready[index] = result
        condition.broadcast()
        condition.unlock()
    }

    func take(_ index: Int) -> Result<UnsafeRawBufferPointer, Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let r = ready.removeValue(forKey: index) { return r }
            condition.wait()
        }
    }

    func consumed(_ index: Int) {
        condition.lock()
        written = index + 1
        condition.broadcast()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Reserves the blocks of a file about to be written in full, with fallocate(2) where libc and the
/// file system have it, else not at all (a hint: errors are left to the writes). The file system then
/// allocates once rather than page by page as the writes come — on ext4 some 5–10% less CPU for a
/// 1 GiB restore — and keeps the file in few extents. Only for files of at least 1 MiB.
func preallocate(_ fd: Int32, size: UInt64) {
    guard size >= 1 << 20, let fallocate = linuxFallocate else { return }
    _ = fallocate(fd, 0, 0, off_t(size))
}

/// fallocate(2) from libc, looked up once (Swift's Glibc module leaves this GNU extension out).
private let linuxFallocate: (@convention(c) (Int32, Int32, off_t, off_t) -> Int32)? = {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "fallocate") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32, off_t, off_t) -> Int32).self)
}()

/// Writes all of `buffer` at `offset`, retrying short writes and EINTR.
func pwriteAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: UInt64, path: String) throws {
    var done = 0
    while done < buffer.count {
        let n = Sys.pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
        if n < 0 {
            if errno == EINTR { continue }
            throw StoreError.io(path: path, operation: "write", errno: errno)
        }
        done += n
    }
}
