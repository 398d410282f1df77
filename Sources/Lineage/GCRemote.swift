import Foundation
import LineageCore
import LineageGit
import LineageRemote

/// A gc mark on a remote, as `gc --remote` reports it.
public struct RemoteGCMarkInfo: Codable, Sendable, Equatable {
    public let mark: String
    /// When a sweep may act on it, RFC 3339 UTC (absent: the mark cannot be read; sweeps leave it alone).
    public var sweepableAt: String?
    public let packs: Int
    public let bytes: UInt64
}

/// What `gc --remote` found and did.
public struct RemoteGCResult: Codable, Sendable {
    public struct Swept: Codable, Sendable, Equatable {
        public var marks: [String] = []
        public var packsDeleted = 0
        public var packsRewritten = 0
        public var orphanPacksDeleted = 0
        public var objectsRemoved = 0
        /// Marked objects a push made reachable again since the mark: kept.
        public var objectsRereferenced = 0
        /// Marked packs that changed since the mark or are gone: left alone.
        public var packsChangedOrGone = 0
        public var bytesDeleted: UInt64 = 0
        public var bytesUploaded: UInt64 = 0
        public var bytesDownloaded: UInt64 = 0
    }
    public struct Marked: Codable, Sendable, Equatable {
        /// The mark written (absent on a dry run or when nothing is collectable).
        public var mark: String?
        public var sweepableAt: String?
        public var packsToDelete = 0
        public var packsToRewrite = 0
        public var orphanPacks = 0
        public var garbageObjects = 0
        public var garbageBytes: UInt64 = 0
        /// Packs with unreachable objects, written less than the grace period ago: left for a later run.
        public var packsTooYoung = 0
        public var packsBelowThreshold = 0
        /// Packs an index object names that the remote lacks (see `verify --remote`).
        public var missingPacks = 0
        /// Objects retained versions need that no index object lists.
        public var reachableNotListed = 0
    }
    public let remote: String
    public let location: String
    public let dryRun: Bool
    /// The grace period, in seconds.
    public let grace: Int
    /// Objects (chunk lists and chunks) some retained version reaches, from every reference here and on the remote.
    public var reachableObjects = 0
    /// What the sweep did (absent on a dry run).
    public var swept: Swept?
    /// Marks a sweep would act on now (a dry run).
    public var due: [RemoteGCMarkInfo]?
    public var marked = Marked()
    /// Marks waiting for their grace period to pass.
    public var waiting: [RemoteGCMarkInfo] = []
    /// Requests made to the content location by the sweep and the mark.
    public var requests = 0
}

extension Repository {
    /// `lineage gc --remote <name>`: fetches the remote's history (so every ref on it is known),
    /// then — with every object a retained version needs as the reachable set (all references here
    /// and on the remote; erased versions are not retained) — sweeps the marks whose grace period
    /// has passed (`RemoteContent.gcSweep`: only what is still unreachable and unchanged goes) and
    /// marks what is unreachable now (`gcMark`), for a later run at least `grace` from now. A dry
    /// run reads only. Refuses when a retained version's chunk list can be found neither here nor
    /// on the remote (its chunks cannot be told apart from garbage), and, unless
    /// `allowUnconditional`, when the store ignores conditional requests.
    public func gcRemote(_ name: String, grace: TimeInterval, dryRun: Bool = false, allowUnconditional: Bool = false,
                         now: Date = Date(), ssh: SSHSettings = .fromEnvironment()) throws -> RemoteGCResult {
        let remote = try self.remote(name)
        // Every ref on the remote must be known here: a branch rewritten there and not accepted
        // (`fetch --force`) would leave its commits out of the reachable set, and gc would collect them.
        if let b = try fetch(remote: name, ssh: ssh).rewritten.first {
            throw RemoteFailure.rewritten(remote: name, branch: b.branch, was: b.old ?? "", now: b.new)
        }
        return try withWriteLock {
            guard let content = try remoteContent(for: remote) else { throw RemoteFailure.noContent(remote: name, command: "gc --remote") }
            var result = RemoteGCResult(remote: name, location: content.location, dryRun: dryRun, grace: Int(grace))
            let history = try historyContent(from: try allReferenceRoots(), erased: Set(try receivedErasures().keys),
                                             content: content, jobs: transferJobs)
            if let lost = history.retained.first(where: { history.unavailable.contains($0.key) }) {
                throw LineageError.missingContent(path: lost.value.path,
                    detail: "the chunk list \(lost.key.hex) of this version (commit \(lost.value.commit.hex.prefix(12))) is neither here nor on \(content.location), so its chunks cannot be told apart from garbage; gc stopped before marking or deleting anything — push the version from a clone that has it, or check with `lineage verify --remote \(name)`")
            }
            let reachable = history.retainedObjects
            result.reachableObjects = reachable.count
            func info(_ m: RemoteGCMarkSummary) -> RemoteGCMarkInfo {
                RemoteGCMarkInfo(mark: m.key, sweepableAt: m.sweepableAt.map(Timestamp.rfc3339), packs: m.packs, bytes: m.bytes)
            }
            let mark: RemoteGCMarkReport
            if dryRun {
                let marks = try content.gcPendingMarks()
                result.due = marks.filter { $0.sweepableAt.map { $0 <= now } ?? false }.map(info)
                result.waiting = marks.filter { $0.sweepableAt.map { $0 > now } ?? false }.map(info)
                mark = try content.gcMark(reachable: reachable, grace: grace, now: now, dryRun: true, jobs: transferJobs)
            } else {
                let sweep = try content.gcSweep(reachable: reachable, now: now, allowUnconditional: allowUnconditional, jobs: transferJobs)
                result.swept = RemoteGCResult.Swept(
                    marks: sweep.marksSwept, packsDeleted: sweep.packsDeleted, packsRewritten: sweep.packsRewritten,
                    orphanPacksDeleted: sweep.orphanPacksDeleted, objectsRemoved: sweep.objectsRemoved,
                    objectsRereferenced: sweep.objectsRereferenced, packsChangedOrGone: sweep.packsChangedOrGone,
                    bytesDeleted: sweep.bytesDeleted, bytesUploaded: sweep.bytesUploaded, bytesDownloaded: sweep.bytesDownloaded)
                mark = try content.gcMark(reachable: reachable, grace: grace, now: now, allowUnconditional: allowUnconditional, jobs: transferJobs)
                result.requests = sweep.requests + mark.requests
                result.waiting = try content.gcPendingMarks().filter { $0.sweepableAt.map { $0 > now } ?? false }.map(info)
            }
            result.marked = RemoteGCResult.Marked(
                mark: mark.markKey, sweepableAt: mark.sweepableAt.map(Timestamp.rfc3339), packsToDelete: mark.packsToDelete,
                packsToRewrite: mark.packsToRewrite, orphanPacks: mark.orphanPacks, garbageObjects: mark.garbageObjects,
                garbageBytes: mark.garbageBytes, packsTooYoung: mark.packsTooYoung, packsBelowThreshold: mark.packsBelowThreshold,
                missingPacks: mark.missingPacks, reachableNotListed: mark.reachableNotListed)
            if dryRun { result.requests = mark.requests }
            return result
        }
    }
}
