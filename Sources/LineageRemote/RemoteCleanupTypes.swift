import Foundation
import LineageCore

/// What `RemoteContent.erase` did.
public struct RemoteEraseReport: Sendable, Equatable, Codable {
    /// Erased objects the remote's index objects listed (now listed nowhere).
    public var objectsRemoved: Int = 0
    /// Erased objects the remote did not list (never pushed, or erased there before).
    public var notOnRemote: Int = 0
    /// Packs replaced by a pack without the erased objects (the other objects copied as stored).
    public var packsRewritten: Int = 0
    /// Packs that held nothing else, deleted without a replacement.
    public var packsDropped: Int = 0
    /// Packs no index object names (left by interrupted uploads) that held an erased object: deleted.
    public var orphanPacksDeleted: Int = 0
    /// Index objects written (naming the replacements and the other packs of the ones deleted).
    public var indexObjectsWritten: Int = 0
    /// Index objects deleted (every one that listed an erased object).
    public var indexObjectsDeleted: Int = 0
    /// Bytes written: replacement packs and index objects.
    public var bytesUploaded: UInt64 = 0
    /// Bytes read: the kept objects copied, the replacements read back, index objects.
    public var bytesDownloaded: UInt64 = 0
    /// Bytes of the packs and index objects deleted.
    public var bytesDeleted: UInt64 = 0
    /// Older versions and delete markers removed from a bucket that keeps versions.
    public var versionsDeleted: Int = 0
    /// Requests made to the store (a versioned bucket's version listings are not counted here).
    public var requests: Int = 0
    /// Passes made: a pass that finds erased objects listed again (a concurrent upload) is followed by another.
    public var rounds: Int = 0

    public init() {}
}

/// What `RemoteContent.gcMark` recorded.
public struct RemoteGCMarkReport: Sendable, Equatable, Codable {
    /// The mark object written (`gc/marks/…`), nil when nothing was found to collect.
    public var markKey: String? = nil
    /// When a sweep may act on the mark (mark time + grace).
    public var sweepableAt: Date? = nil
    /// Packs whose every object no reachable set needs: to be deleted.
    public var packsToDelete: Int = 0
    /// Packs partly unreachable (at least `repackThreshold` of their bytes): to be rewritten without those objects.
    public var packsToRewrite: Int = 0
    /// Packs no index object names (interrupted uploads), older than the grace period: to be deleted.
    public var orphanPacks: Int = 0
    /// Unreachable objects in the packs marked (distinct digests).
    public var garbageObjects: Int = 0
    /// Bytes the sweep would free: marked packs' sizes, less what rewritten packs keep.
    public var garbageBytes: UInt64 = 0
    /// Packs holding unreachable objects but written less than the grace period ago: left for a later mark.
    public var packsTooYoung: Int = 0
    /// Packs whose unreachable part is below `repackThreshold`: left alone.
    public var packsBelowThreshold: Int = 0
    /// Packs an index object names that the remote lacks (damage: see `check`).
    public var missingPacks: Int = 0
    /// Objects the reachable set names that no index object lists (the remote is incomplete for them).
    public var reachableNotListed: Int = 0
    public var requests: Int = 0

    public init() {}
}

/// A mark waiting under `gc/marks/` (`RemoteContent.gcPendingMarks`).
public struct RemoteGCMarkSummary: Sendable, Equatable, Codable {
    public let key: String
    /// When a sweep may act on it; nil when the mark cannot be read (a sweep leaves it alone).
    public let sweepableAt: Date?
    /// Packs it names, and their sizes added up.
    public let packs: Int
    public let bytes: UInt64
}

/// What `RemoteContent.gcSweep` did.
public struct RemoteGCSweepReport: Sendable, Equatable, Codable {
    /// Marks acted on and deleted.
    public var marksSwept: [String] = []
    /// Marks whose grace period has not passed yet, with the time a sweep may act on each.
    public var marksNotDue: [String: Date] = [:]
    /// Marks that could not be read (left in place; delete them by hand if no gc wrote them).
    public var unreadableMarks: [String] = []
    public var packsDeleted: Int = 0
    public var packsRewritten: Int = 0
    public var orphanPacksDeleted: Int = 0
    /// Objects no index object lists any more.
    public var objectsRemoved: Int = 0
    /// Marked objects found reachable again (a push since the mark): kept.
    public var objectsRereferenced: Int = 0
    /// Marked packs left alone because they changed since the mark (entity tag, a new index object names them) or are gone.
    public var packsChangedOrGone: Int = 0
    public var indexObjectsWritten: Int = 0
    public var indexObjectsDeleted: Int = 0
    public var bytesUploaded: UInt64 = 0
    public var bytesDownloaded: UInt64 = 0
    public var bytesDeleted: UInt64 = 0
    public var requests: Int = 0

    public init() {}
}

/// Why an erasure or a remote gc could not finish. Nothing a reader needs is lost when one is
/// thrown: the remote stays readable, and running the operation again completes it. For
/// `erase`, every error means the erasure stays pending for that remote.
public enum RemoteCleanupError: Error, Equatable, CustomStringConvertible {
    /// The store refused to delete (403, AccessDenied).
    case cannotDelete(location: String, detail: String)
    /// A bucket that keeps versions still lists versions of objects that had to go.
    case versionsRemain(location: String, keys: [String], detail: String)
    /// Another gc or erasure holds the lease (`gc/lease`) until `expires`.
    case leaseHeld(location: String, holder: String, operation: String, expires: Date)
    /// This run's lease expired and another run took it over: this one stopped before deleting more.
    case leaseLost(location: String, operation: String)
    /// The server ignores conditional requests (If-None-Match, If-Match); gc cannot keep clear of
    /// concurrent writers there.
    case noConditionalRequests(location: String, detail: String)
    /// The clock here and the store's differ by more than `RemoteContentOptions.maxClockSkew`.
    case clockSkew(location: String, seconds: Double)
    /// An object the rewrite must keep cannot be read from the remote and no other pack holds it.
    case objectLost(location: String, key: String, digest: Digest, detail: String)
    /// After erasing, the remote still lists or holds what should be gone.
    case notVerified(location: String, detail: String)

    public var description: String {
        switch self {
        case .cannotDelete(let l, let d):
            return "\(l) refused to delete (\(d)); the erasure stays pending for this remote — grant delete permission (s3:DeleteObject, and s3:DeleteObjectVersion on a versioned bucket) and push again"
        case .versionsRemain(let l, let keys, let d):
            let shown = keys.prefix(3).joined(separator: ", ") + (keys.count > 3 ? " and \(keys.count - 3) more" : "")
            return "\(l): \(d) (\(shown)); the erasure stays pending for this remote — remove the retention (Object Lock, legal hold) or delete those versions with the bucket owner's credentials, then push again"
        case .leaseHeld(let l, let h, let op, let e):
            return "\(l) is being cleaned by another run (\(op) by \(h), lease until \(RemoteCleanupError.stamp(e))); try again after it finishes or the lease expires"
        case .leaseLost(let l, let op):
            return "\(l): this \(op) took longer than its lease and another run took the lease over; it stopped before deleting more — run it again"
        case .noConditionalRequests(let l, let d):
            return "\(l) does not honour conditional requests (\(d)), so gc cannot tell a pack someone just re-used from one it may delete; run it only when nobody else writes to this remote, with --no-concurrent-writers"
        case .clockSkew(let l, let s):
            return "the clock here differs from \(l)'s by \(Int(s.magnitude.rounded())) seconds; gc measures the grace period by it — set the clock right (NTP) and run again"
        case .objectLost(let l, let k, let d, let detail):
            return "\(l): object sha256:\(d.hex) in \(k) must be kept but cannot be read (\(detail)) and no other pack holds it; push it again from a clone that has it, then run this again"
        case .notVerified(let l, let d):
            return "\(l): reading back after the rewrite found \(d); run it again"
        }
    }

    static func stamp(_ date: Date) -> String {
        let s = RemoteLayout.utcStamp(date)   // yyyyMMddTHHmmssZ
        let b = Array(s)
        return "\(String(b[0..<4]))-\(String(b[4..<6]))-\(String(b[6..<8])) \(String(b[9..<11])):\(String(b[11..<13])):\(String(b[13..<15])) UTC"
    }
}
