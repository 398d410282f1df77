import Foundation
import LineageCore
import LineageGit

/// Where one erasure stands on one remote, as this clone knows it.
public struct RemoteErasureStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// This clone removed the bytes from the remote's content location (or found them gone).
        case applied
        /// The bytes may still be there: see `reason`.
        case pending
        /// The remote has no content location: it never held bytes.
        case noContent = "no-content"
    }
    public let remote: String
    public let state: State
    /// The content location (absent when there is none).
    public var location: String? = nil
    /// Why it is pending.
    public var reason: String? = nil
    /// When this clone applied it, RFC 3339 UTC; or, for a refusal, since when it has been refused.
    public var at: String? = nil
    /// Applied: objects erased there, and chunks kept there because retained versions share them.
    public var objectsErased: Int? = nil
    public var chunksShared: Int? = nil
    /// The clones that reported to this remote that they hold no copy (`erasure-reports/` there),
    /// this one included once it has fetched or pushed since.
    public var clones: [ErasureReport]? = nil
    /// Why the clones' reports could not be read (no credentials, unreachable).
    public var clonesUnknown: String? = nil
}

/// One erasure (a tombstone in the history known here) and where it has reached.
public struct ErasureStatus: Codable, Sendable, Equatable {
    /// The signed tombstone (path, version digest, size, date, signer, reason).
    public let record: ErasureRecord
    /// True when the current branch carries it (else it was received from a remote and not merged yet).
    public let atHead: Bool
    public let remotes: [RemoteErasureStatus]
}

public struct EraseStatusResult: Codable, Sendable {
    public var erasures: [ErasureStatus] = []
    /// Erasures still pending on some remote.
    public var pending: Int { erasures.filter { $0.remotes.contains { $0.state == .pending } }.count }

    private enum CodingKeys: String, CodingKey { case erasures, pending }
    public init() {}
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(erasures, forKey: .erasures)
        try c.encode(pending, forKey: .pending)
    }
    public init(from decoder: any Decoder) throws {
        erasures = try decoder.container(keyedBy: CodingKeys.self).decode([ErasureStatus].self, forKey: .erasures)
    }
}

extension Repository {
    /// `lineage erase --status`: every tombstone known here (at HEAD, or on a remote branch
    /// fetched), and for every configured remote whether this clone has removed the erased bytes
    /// from its content location (`push` does), or why not yet. Reads only local state: what
    /// other clones did is known only through the remote (`push` finds it done and records it).
    public func eraseStatus() throws -> EraseStatusResult {
        let known = try receivedErasures()
        let atHead = try headErasures()
        let state = try loadRemoteErasureState()
        let remotes = try self.remotes()
        var onRemote: [String: [Digest: ErasureRecord]] = [:]
        for r in remotes { onRemote[r.name] = try remoteErasures(r.name) }
        // What clones reported, read once per remote (when there is an erasure to ask about).
        var reports: [String: Result<[Digest: [ErasureReport]], Error>] = [:]
        if !known.isEmpty {
            for r in remotes where r.effectiveContent != nil {
                reports[r.name] = Result { try remoteContent(for: r).map { try erasureReports(on: $0) } ?? [:] }
            }
        }
        var result = EraseStatusResult()
        for (digest, record) in known.sorted(by: { ($0.value.erasedAt, $0.key) < ($1.value.erasedAt, $1.key) }) {
            var per: [RemoteErasureStatus] = []
            for r in remotes {
                guard let location = r.effectiveContent else { per.append(RemoteErasureStatus(remote: r.name, state: .noContent)); continue }
                let entry = state.entry(r.name, location: location)
                var s: RemoteErasureStatus
                if let a = entry.applied[digest.hex] {
                    s = RemoteErasureStatus(remote: r.name, state: .applied, location: location, at: a.at,
                                            objectsErased: a.objectsErased, chunksShared: a.chunksShared)
                } else if onRemote[r.name]?[digest] == nil {
                    s = RemoteErasureStatus(remote: r.name, state: .pending, location: location,
                                            reason: "the tombstone has not reached '\(r.name)' yet — `lineage push \(r.name)` sends it, then removes the bytes")
                } else if let p = entry.pending[digest.hex] {
                    s = RemoteErasureStatus(remote: r.name, state: .pending, location: location, reason: p.reason, at: p.since)
                } else {
                    s = RemoteErasureStatus(remote: r.name, state: .pending, location: location,
                                            reason: "the tombstone is on '\(r.name)' but this clone has not removed the bytes there (another clone may have) — `lineage push \(r.name)` does, or finds them gone")
                }
                switch reports[r.name] {
                case .success(let byDigest)?: s.clones = byDigest[digest] ?? []
                case .failure(let error)?: s.clonesUnknown = withHint(error)
                case nil: break
                }
                per.append(s)
            }
            result.erasures.append(ErasureStatus(record: record, atHead: atHead[digest] != nil, remotes: per))
        }
        return result
    }
}
