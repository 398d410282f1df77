import Foundation

/// Runs numbered work items on up to `jobs` threads while the calling thread waits and relays
/// progress, so a progress closure that is not `Sendable` (a terminal renderer) only ever runs on
/// the caller's thread.
///
/// After the first failure no new item starts; once every worker has stopped, the error of the
/// lowest-numbered failed item is thrown (so the error does not depend on thread timing when
/// several items fail).
final class ParallelJobs: @unchecked Sendable {
    private let condition = NSCondition()
    private var next = 0
    private var running = 0
    private var failure: (index: Int, error: any Error)?
    private var progressPending = false

    /// Workers call this after a unit of progress; the caller's `onProgress` then runs soon after,
    /// on the caller's thread.
    func reportProgress() {
        condition.lock()
        progressPending = true
        condition.broadcast()
        condition.unlock()
    }

    func run(count: Int, jobs: Int, work: @escaping @Sendable (Int) throws -> Void, onProgress: () -> Void) throws {
        guard count > 0 else { return }
        let threads = min(max(jobs, 1), count)
        condition.lock()
        running = threads
        condition.unlock()
        for _ in 0..<threads {
            let thread = Thread { [self] in self.workerLoop(count: count, work: work) }
            thread.stackSize = 4 << 20
            thread.start()
        }
        condition.lock()
        while running > 0 || progressPending {
            if progressPending {
                progressPending = false
                condition.unlock()
                onProgress()
                condition.lock()
                continue
            }
            condition.wait()
        }
        let failed = failure
        condition.unlock()
        if let failed { throw failed.error }
    }

    private func workerLoop(count: Int, work: @Sendable (Int) throws -> Void) {
        while true {
            condition.lock()
            if failure != nil || next >= count {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let i = next
            next += 1
            condition.unlock()
            do {
                try work(i)
            } catch {
                condition.lock()
                if failure == nil || i < failure!.index { failure = (i, error) }
                condition.unlock()
            }
        }
    }
}
