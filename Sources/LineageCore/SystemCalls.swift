#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The one place where lineage calls the kernel for files and descriptors (as swift-system does):
/// each call retries EINTR itself and otherwise behaves as the libc function it wraps (-1 and
/// `errno` on failure), so callers keep turning errno into their own typed error.
///
/// Debug builds can make the Nth call of an operation fail, for the fault-injection tests:
/// `LINEAGE_INJECT_FAULT=<operation>:<n>:<fault>` (operations: open, read, write, pread, pwrite,
/// fsync, rename, unlink, mkdir, ftruncate; faults: ENOSPC, EIO, EDQUOT, EINTR — interrupted once,
/// which the retry absorbs — and `short`, a write that takes half its bytes). When it fires, one
/// line `lineage: injected <fault> into <operation> #<n>` goes to standard error, so a test knows
/// the point was reached. Release builds compile the check out.
public enum Sys {
    public enum Operation: String, Sendable, CaseIterable {
        case open, read, write, pread, pwrite, fsync, rename, unlink, mkdir, ftruncate
    }

    @discardableResult
    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        retrying(.open) { Glibc.open(path, flags, mode) }
    }

    @discardableResult
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        retrying(.read) { Glibc.read(fd, buffer, count) }
    }

    @discardableResult
    public static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: off_t) -> Int {
        retrying(.pread) { Glibc.pread(fd, buffer, count, offset) }
    }

    @discardableResult
    public static func write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        retrying(.write, count: count) { n in Glibc.write(fd, buffer, n) }
    }

    @discardableResult
    public static func pwrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int, _ offset: off_t) -> Int {
        retrying(.pwrite, count: count) { n in Glibc.pwrite(fd, buffer, n, offset) }
    }

    @discardableResult
    public static func fsync(_ fd: Int32) -> Int32 { retrying(.fsync) { Glibc.fsync(fd) } }
    @discardableResult
    public static func rename(_ from: String, _ to: String) -> Int32 { retrying(.rename) { Glibc.rename(from, to) } }
    @discardableResult
    public static func unlink(_ path: String) -> Int32 { retrying(.unlink) { Glibc.unlink(path) } }
    @discardableResult
    public static func mkdir(_ path: String, _ mode: mode_t) -> Int32 { retrying(.mkdir) { Glibc.mkdir(path, mode) } }
    @discardableResult
    public static func ftruncate(_ fd: Int32, _ length: off_t) -> Int32 { retrying(.ftruncate) { Glibc.ftruncate(fd, length) } }

    /// Writes all of `buffer` at the current position (short writes continued).
    /// - Returns: 0, or -1 with errno set.
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 { return -1 }
            done += n
        }
        return 0
    }

    // MARK: the loop and the injection switch

    private static func retrying<T: BinaryInteger>(_ operation: Operation, _ call: () -> T) -> T {
        while true {
            #if DEBUG
            if let fault = injector?.next(operation) {
                if fault == EINTR { continue }
                errno = fault
                return -1
            }
            #endif
            let r = call()
            if r == -1 && errno == EINTR { continue }
            return r
        }
    }

    private static func retrying(_ operation: Operation, count: Int, _ call: (Int) -> Int) -> Int {
        while true {
            var n = count
            #if DEBUG
            if let fault = injector?.next(operation) {
                if fault == EINTR { continue }
                if fault == FaultInjector.short { n = max(1, count / 2) } else { errno = fault; return -1 }
            }
            #endif
            let r = call(n)
            if r == -1 && errno == EINTR { continue }
            return r
        }
    }

    #if DEBUG
    private static let injector = FaultInjector(spec: getenv("LINEAGE_INJECT_FAULT").map { String(cString: $0) })
    #endif
}

#if DEBUG
/// Counts calls of one operation and fails the Nth (see `Sys`).
final class FaultInjector: Sendable {
    static let short: Int32 = -2
    let operation: Sys.Operation
    let target: Int
    let fault: Int32
    let faultName: String
    private let calls = Atomic<Int>(0)

    init?(spec: String?) {
        guard let parts = spec?.split(separator: ":").map(String.init), parts.count == 3,
              let op = Sys.Operation(rawValue: parts[0]), let n = Int(parts[1]), n > 0 else { return nil }
        let codes: [String: Int32] = ["ENOSPC": ENOSPC, "EIO": EIO, "EDQUOT": EDQUOT, "EINTR": EINTR, "short": FaultInjector.short]
        guard let code = codes[parts[2]] else { return nil }
        operation = op; target = n; fault = code; faultName = parts[2]
    }

    func next(_ op: Sys.Operation) -> Int32? {
        guard op == operation else { return nil }
        let n = calls.add(1, ordering: .relaxed).newValue
        guard n == target else { return nil }
        let line = "lineage: injected \(faultName) into \(op.rawValue) #\(n)\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        return fault
    }
}
#endif
