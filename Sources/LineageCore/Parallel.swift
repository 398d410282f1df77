import Foundation

/// The one parallel map (issue 16): `body(i)` for every i in 0..<count on up to `workers` threads,
/// the results in index order. After the first error no new index is started, and the error of the
/// lowest failing index is thrown. `body` is called from several threads at once: it may touch only
/// what is safe to share, or what it owns per index (or per worker, with `worker`).
///
/// Worker w takes the indexes w, w+workers, …; for contiguous slices (neighbouring items sharing
/// caches, as consecutive commits share subtrees) map over the slices, one per worker.
/// - Parameter workers: at most this many threads (default: the cores); 1 runs on the calling thread.
public func parallelMap<T>(_ count: Int, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                           _ body: (_ index: Int, _ worker: Int) throws -> T) throws -> [T] {
    guard count > 0 else { return [] }
    let threads = max(1, min(workers, count))
    let results = LockedBox<(values: [Result<T, Error>?], failed: Bool)>((Array(repeating: nil, count: count), false))
    // `body` runs on several threads by this function's contract (see above), which the compiler
    // cannot check for a generic closure: it is passed on unchecked.
    try withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let call = body
        let run: @Sendable (Int) -> Void = { w in
            for i in stride(from: w, to: count, by: threads) {
                if results.withLock({ $0.failed }) { return }
                let r = Result { try call(i, w) }
                results.withLock { state in
                    state.values[i] = r
                    if case .failure = r { state.failed = true }
                }
            }
        }
        if threads == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: run) }
    }
    let values = results.withLock { $0.values }
    for case .failure(let error)? in values { throw error }
    return values.map { try! $0!.get() }
}

/// A value behind a lock: the one way a mutable value is shared between threads here.
/// `@unchecked Sendable` is safe because every access goes through `withLock`.
public final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    public init(_ value: Value) { self.value = value }
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
