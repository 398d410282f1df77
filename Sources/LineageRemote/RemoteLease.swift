import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The lease object `gc/lease`, which keeps two gc runs or erasures on one remote apart.
///
/// Taken by writing it with `ifAbsent`; a lease found lapsed (its `expires` is past) is taken over
/// by deleting it on the entity tag read (so of two runs taking it over only one wins) and
/// writing a new one. The holder renews it as its run goes, and checks before each deletion that
/// it still holds it: a run whose lease lapsed and was taken over stops with
/// `RemoteCleanupError.leaseLost` before deleting more. A killed run's lease lapses after
/// `RemoteContentOptions.leaseDuration`, or at once for a run on the same host whose process is gone.
final class RemoteLease {
    struct Document: Codable, Equatable {
        var holder: String
        var operation: String
        /// Seconds since 1970, by the holder's clock.
        var acquired: Double
        var expires: Double
        /// The holder's host name and process: a lease of a process gone from this very host has lapsed.
        var host: String?
        var pid: Int32?

        /// Whether the holder is known to be gone: a process of this host that no longer exists.
        var holderIsGone: Bool {
            guard let host, let pid, pid > 0, host == RemoteLease.hostName, pid != getpid() else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
    }

    static let hostName: String = {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    private let s: CountingBlobStore
    let holder: String
    let operation: String
    private let duration: TimeInterval
    /// The caller's `now` when the lease was taken, and the real time then: `current` moves on from it.
    private let startNow: Date
    private let startClock = Date()
    private var etag: String?
    private var written: Date
    private var released = false

    private init(s: CountingBlobStore, operation: String, duration: TimeInterval, now: Date) {
        self.s = s
        self.operation = operation
        self.duration = duration
        self.startNow = now
        self.written = now
        self.holder = "\(RemoteLease.hostName) pid \(getpid()) run \(LocalFiles.randomHex())"
    }

    /// The caller's clock: `now` as given when the lease was taken, plus the time since.
    var current: Date { startNow.addingTimeInterval(Date().timeIntervalSince(startClock)) }

    /// Takes the lease or throws `RemoteCleanupError.leaseHeld`. With `maxClockSkew`, first compares
    /// `now` with the store's time of the lease just written (`RemoteCleanupError.clockSkew`).
    static func acquire(via s: CountingBlobStore, operation: String, now: Date, duration: TimeInterval,
                        maxClockSkew: TimeInterval?) throws -> RemoteLease {
        let lease = RemoteLease(s: s, operation: operation, duration: duration, now: now)
        for _ in 0..<3 {
            switch try s.put(RemoteLayout.leaseKey, bytes: lease.document(at: now), ifAbsent: true) {
            case .written(let etag):
                lease.etag = etag
                if let maxClockSkew { try lease.checkClock(now: now, tolerance: maxClockSkew) }
                return lease
            case .alreadyPresent:
                guard let info = try s.head(RemoteLayout.leaseKey) else { continue }   // released meanwhile
                let bytes: [UInt8]
                do { bytes = try s.get(RemoteLayout.leaseKey) } catch RemoteError.notFound { continue }
                let other = try? JSONDecoder().decode(Document.self, from: Data(bytes))
                if let other, now.timeIntervalSince1970 < other.expires, !other.holderIsGone {
                    throw RemoteCleanupError.leaseHeld(location: s.location, holder: other.holder, operation: other.operation,
                                                       expires: Date(timeIntervalSince1970: other.expires))
                }
                // Lapsed (or not a lease document at all): take it over — delete it as read, so
                // that of two runs doing this only one succeeds — and write ours again.
                guard let etag = info.etag else {
                    throw RemoteCleanupError.noConditionalRequests(location: s.location, detail: "the store gives no entity tags")
                }
                _ = try s.delete(RemoteLayout.leaseKey, ifMatch: etag)
            }
        }
        throw RemoteCleanupError.leaseHeld(location: s.location, holder: "another run", operation: "gc", expires: now)
    }

    private func document(at time: Date) -> [UInt8] {
        let d = Document(holder: holder, operation: operation, acquired: startNow.timeIntervalSince1970,
                         expires: time.addingTimeInterval(duration).timeIntervalSince1970, host: RemoteLease.hostName, pid: getpid())
        return Array((try? JSONEncoder().encode(d)) ?? Data())
    }

    /// The store's clock, as the lease object's time shows it, against `now`.
    private func checkClock(now: Date, tolerance: TimeInterval) throws {
        guard let modified = try s.head(RemoteLayout.leaseKey)?.lastModified else { return }
        let skew = now.timeIntervalSince(modified)
        // A store's times have a resolution of a second (S3, HTTP dates).
        if skew.magnitude > tolerance + 1 {
            release()
            throw RemoteCleanupError.clockSkew(location: s.location, seconds: skew)
        }
    }

    /// Before deleting: throws `leaseLost` when the lease is no longer this run's; renews it once
    /// a third of its duration has passed.
    func check() throws {
        let bytes: [UInt8]
        do { bytes = try s.get(RemoteLayout.leaseKey) } catch RemoteError.notFound {
            throw RemoteCleanupError.leaseLost(location: s.location, operation: operation)
        }
        guard let d = try? JSONDecoder().decode(Document.self, from: Data(bytes)), d.holder == holder else {
            throw RemoteCleanupError.leaseLost(location: s.location, operation: operation)
        }
        let now = current
        guard now.timeIntervalSince(written) > duration / 3 else { return }
        if case .written(let etag) = try s.put(RemoteLayout.leaseKey, bytes: document(at: now), ifAbsent: false) {
            self.etag = etag
            written = now
        }
    }

    /// Gives the lease up (best effort: a lease left behind lapses).
    func release() {
        guard !released else { return }
        released = true
        if let etag {
            _ = try? s.delete(RemoteLayout.leaseKey, ifMatch: etag)
        } else if let bytes = try? s.get(RemoteLayout.leaseKey),
                  let d = try? JSONDecoder().decode(Document.self, from: Data(bytes)), d.holder == holder {
            try? s.delete([RemoteLayout.leaseKey])
        }
    }
}
