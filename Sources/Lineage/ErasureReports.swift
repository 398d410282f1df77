import Foundation
import LineageCore
import LineageGit
import LineageRemote
import LineageStore

/// A clone's word that it holds no copy of an erased version: one small object per erasure and
/// clone in the remote's content location, `erasure-reports/<erased sha256 hex>/<clone id>.json`,
/// written after a fetch (or push) that left no copy here. `erase --status` lists them, so a data
/// protection officer sees which clones have applied an erasure and which have not reported yet.
public struct ErasureReport: Codable, Sendable, Equatable {
    /// The reporting clone's id (`lineage.cloneid` in its .lineage/config, made on first need).
    public let clone: String
    /// Who made the report (the clone's identity, `Name <email>`).
    public let user: String
    /// When, RFC 3339 UTC.
    public let appliedAt: String
}

extension Repository {
    static let cloneIDKey = "lineage.cloneid"
    static let erasureReportsPrefix = "erasure-reports/"
    /// The erasures this clone has reported, per content location: `.lineage/erasure-reports.json`.
    var reportedErasuresFile: String { layout.dotLineage + "/erasure-reports.json" }

    /// This clone's id, made (a random UUID) and kept in .lineage/config the first time it is asked for.
    func cloneID() throws -> String {
        let config = try GitConfig.open(path: layout.configFile)
        if let id = try config.string(Repository.cloneIDKey), !id.isEmpty { return id }
        let id = UUID().uuidString.lowercased()
        try config.set(Repository.cloneIDKey, id)
        return id
    }

    /// Reports to `remote`'s content location every erasure known here that this clone has not
    /// reported there yet and holds no copy of (caller holds the write lock; run after the fetch
    /// applied received tombstones). Best effort: a store that cannot be written is a warning, and
    /// the report is tried again next time. Returns how many were reported.
    @discardableResult
    func reportErasures(to remote: RemoteConfig, known given: [Digest: ErasureRecord]? = nil,
                        content makeContent: () throws -> RemoteContent?) -> Int {
        guard let location = remote.effectiveContent else { return 0 }
        do {
            let known = try given ?? receivedErasures()
            guard !known.isEmpty else { return 0 }
            var reported = loadReportedErasures()
            let done = Set(reported[location] ?? [])
            let open = known.keys.filter { !done.contains($0.hex) && pendingErasureBlocks($0) == false }.sorted()
            guard !open.isEmpty, let content = try makeContent() else { return 0 }
            let who = try identity(now: nowSeconds())
            let report = ErasureReport(clone: try cloneID(), user: "\(who.name) <\(who.email)>", appliedAt: Timestamp.rfc3339(Date()))
            let bytes = Array(try CanonicalJSON.encode(report))
            var sent = 0
            for digest in open {
                _ = try content.store.put(Repository.erasureReportsPrefix + digest.hex + "/" + report.clone + ".json", bytes: bytes, ifAbsent: false)
                reported[location, default: []].append(digest.hex)
                sent += 1
            }
            try AtomicFile.write(Array(try CanonicalJSON.encode(reported)), to: reportedErasuresFile)
            return sent
        } catch {
            warn("could not tell '\(remote.name)' that this clone applied its erasures (\(withHint(error))); the next fetch tries again")
            return 0
        }
    }

    /// The reports clones left on `content` for each erased digest.
    func erasureReports(on content: RemoteContent) throws -> [Digest: [ErasureReport]] {
        var out: [Digest: [ErasureReport]] = [:]
        for info in try content.store.list(prefix: Repository.erasureReportsPrefix, startAfter: nil) {
            let rest = info.key.dropFirst(Repository.erasureReportsPrefix.count).split(separator: "/")
            guard rest.count == 2, let digest = Digest(hex: String(rest[0])), rest[1].hasSuffix(".json") else { continue }
            guard let report = try? JSONDecoder().decode(ErasureReport.self, from: Data(try content.store.get(info.key))) else { continue }
            out[digest, default: []].append(report)
        }
        for k in out.keys { out[k]?.sort { $0.appliedAt < $1.appliedAt } }
        return out
    }

    private func loadReportedErasures() -> [String: [String]] {
        guard let data = FileManager.default.contents(atPath: reportedErasuresFile) else { return [:] }
        return (try? JSONDecoder().decode([String: [String]].self, from: data)) ?? [:]
    }

    /// True when an interrupted removal of this erasure's bytes is still journalled here.
    private func pendingErasureBlocks(_ digest: Digest) -> Bool {
        (try? pendingErasure())?.erased == digest
    }
}
