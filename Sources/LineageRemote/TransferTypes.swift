import Foundation

/// How `RemoteContent` packs and fetches. The defaults suit S3 and network shares alike.
public struct RemoteContentOptions: Sendable, Equatable {
    /// A pack is closed once it reaches this size (an object larger than it gets a pack of its own).
    public var packSize: UInt64
    /// Wanted objects of one pack closer than this are fetched in one ranged read, gap included…
    public var mergeGap: UInt64
    /// …as long as the unwanted bytes read with them stay within this fraction of the wanted ones
    /// (so a download never reads more than 1 + maxWaste times what it asked for).
    public var maxWaste: Double
    /// No single ranged read is made longer than this (unless one object is): bounds the memory of
    /// a download (`jobs` ranges at a time) and spreads one big pack over several parallel reads.
    public var maxRangeSize: UInt64
    /// Packs up to this size are built in memory; larger ones in a temporary file, streamed to the store.
    public var memoryPackLimit: UInt64
    /// While downloading, the local pack being written is finished (made durable and visible) after
    /// this many bytes, so an interrupted download keeps what it verified.
    public var localPackBytes: UInt64
    /// Index objects are listed from this many hours before the newest one seen, in case another
    /// writer's clock was behind.
    public var clockSkewHours: Int
    /// How long a gc or an erasure holds `gc/lease` without renewing it (renewed as the run goes;
    /// a killed run's lease lapses after this).
    public var leaseDuration: TimeInterval
    /// gc refuses to run when the clock here and the store's differ by more than this (it measures
    /// the grace period by both).
    public var maxClockSkew: TimeInterval
    /// gc rewrites a pack that is partly unreachable once its unreachable objects make up at least
    /// this fraction of its bytes (below, the pack is kept whole until more of it is garbage).
    public var repackThreshold: Double
    /// An erasure repeats its pass while the remote still lists an erased object (a concurrent
    /// upload re-sent it), at most this many passes.
    public var maxEraseRounds: Int

    public init(packSize: UInt64 = 64 << 20, mergeGap: UInt64 = 1 << 20, maxWaste: Double = 0.25, maxRangeSize: UInt64 = 16 << 20,
                memoryPackLimit: UInt64 = 8 << 20, localPackBytes: UInt64 = 256 << 20, clockSkewHours: Int = 24,
                leaseDuration: TimeInterval = 900, maxClockSkew: TimeInterval = 600, repackThreshold: Double = 0.2,
                maxEraseRounds: Int = 3) {
        self.packSize = packSize; self.mergeGap = mergeGap; self.maxWaste = maxWaste; self.maxRangeSize = maxRangeSize
        self.memoryPackLimit = memoryPackLimit; self.localPackBytes = localPackBytes; self.clockSkewHours = clockSkewHours
        self.leaseDuration = leaseDuration; self.maxClockSkew = maxClockSkew; self.repackThreshold = repackThreshold
        self.maxEraseRounds = max(1, maxEraseRounds)
    }
}

/// Where a transfer is (for a progress line).
public struct TransferProgress: Sendable, Equatable, Codable {
    /// Objects sent (in finished packs) or received and verified.
    public var objects: Int
    public var totalObjects: Int
    /// Pack bytes sent or received.
    public var bytes: UInt64
    public var totalBytes: UInt64

    public init(objects: Int = 0, totalObjects: Int = 0, bytes: UInt64 = 0, totalBytes: UInt64 = 0) {
        self.objects = objects; self.totalObjects = totalObjects; self.bytes = bytes; self.totalBytes = totalBytes
    }
}

/// What a transfer did.
public struct TransferReport: Sendable, Equatable, Codable {
    /// Objects moved: packed and sent (upload; including those in packs an interrupted upload had
    /// already sent and this one named in its index), or verified and stored locally (download).
    public var objects: Int = 0
    /// Pack bytes moved: sizes of the packs sent, or of the ranges read.
    public var bytes: UInt64 = 0
    /// Objects asked for that the destination already had (listed by the remote's index objects, or
    /// present in the local store).
    public var alreadyPresent: Int = 0
    /// Packs named by the index object written (upload) or read from (download).
    public var packs: Int = 0
    /// Requests made to the store (a ranged read counts one per range).
    public var requests: Int = 0
    /// The index object written by an upload (nil when there was nothing to send).
    public var indexKey: String? = nil

    public init() {}
}
