import Foundation
import LineageCore
import LineageGraph

extension Repository {
    /// Adds what the graph index does not hold to a trace/impact answer's nodes: to artifacts, the
    /// checks recorded for each version (`checks`) and a summary of its effective rights
    /// (`rights`), both as HEAD's records state them; to runs, what their records add for a
    /// pipeline stage (`stage`, `params` and `metrics` as JSON text, `reusedFrom`) and the roles of
    /// named inputs (`inputRoles`: JSON text, `[[path, role], …]`); to models,
    /// `metricsHistory`: the metrics of every run that made a version of the path, oldest first.
    /// Renderers show them; `--json` and the exports carry them.
    public func withChecksAndRights(_ graph: LineageSubgraph) throws -> LineageSubgraph {
        guard let head = try headCommit() else { return graph }
        let tree = try git.commit(head).tree
        var checks: [ArtifactRef: [CheckRecord]] = [:]
        for record in try checkRecords(inTree: tree) {
            for a in record.artifacts where a.role != "previous" { checks[ArtifactRef(path: a.path, sha256: a.sha256), default: []].append(record) }
        }
        var (rights, _) = try rightsGraph()
        var out = graph
        for i in out.nodes.indices where out.nodes[i].kind == .artifact {
            let a = out.nodes[i].attributes
            guard let path = a["path"], let hex = a["sha256"], let sha = Digest(hex: hex) else { continue }
            let ref = ArtifactRef(path: path, sha256: sha)
            if let list = checks[ref] {
                var seen = Set<String>()
                let text = list.sorted { $0.checkedAt > $1.checkedAt }.filter { seen.insert($0.validator).inserted }
                    .sorted { $0.validator < $1.validator }.map { "\($0.validator) \($0.outcome.rawValue)" }
                out.nodes[i].attributes["checks"] = text.joined(separator: ", ")
            }
            if let summary = Repository.rightsSummary(rights.effective(ref)) { out.nodes[i].attributes["rights"] = summary }
        }
        let index = try? openLineageIndex()
        for i in out.nodes.indices {
            switch out.nodes[i].kind {
            case .run:
                guard let record = try? runRecord(String(out.nodes[i].id.dropFirst("run:".count)), inTree: tree) else { continue }
                if let stage = record.stage { out.nodes[i].attributes["stage"] = stage }
                if let params = record.params, let json = try? CanonicalJSON.encode(params) { out.nodes[i].attributes["params"] = String(decoding: json, as: UTF8.self) }
                if let metrics = record.metrics, let json = try? CanonicalJSON.encode(metrics) { out.nodes[i].attributes["metrics"] = String(decoding: json, as: UTF8.self) }
                if let reused = record.reusedFrom { out.nodes[i].attributes["reusedFrom"] = reused }
                // A list of [path, role] pairs: a JSON object's keys would merge canonically equivalent paths.
                let roles = record.inputs.compactMap { a in a.role.map { [a.path, $0] } }
                if !roles.isEmpty, let json = try? CanonicalJSON.encode(roles) { out.nodes[i].attributes["inputRoles"] = String(decoding: json, as: UTF8.self) }
            case .artifact where out.nodes[i].attributes["artifactKind"] == ArtifactKind.model.rawValue:
                guard let path = out.nodes[i].attributes["path"], let rows = try? index?.runsProducing(path: path) else { continue }
                let points: [MetricsPoint] = rows.compactMap { row in
                    guard let record = try? runRecord(row.run, inTree: tree), let metrics = record.metrics, record.reusedFrom == nil else { return nil }
                    return MetricsPoint(run: row.run, startedAt: row.startedAt, sha256: row.sha256, metrics: metrics)
                }
                if !points.isEmpty, let json = try? CanonicalJSON.encode(points) { out.nodes[i].attributes["metricsHistory"] = String(decoding: json, as: UTF8.self) }
            default: continue
            }
        }
        return out
    }

    /// One line: licence and use class, consent, personal data, retention, withdrawals; nil when nothing is recorded.
    static func rightsSummary(_ e: EffectiveRights) -> String? {
        var parts: [String] = []
        let t = e.licenceTerms
        if !t.licences.isEmpty { parts.append("licence \(t.licences.joined(separator: " + ")) (\(t.use.rawValue) use)") }
        if let own = e.own?.consent?.status { parts.append("consent \(own.rawValue)") }
        if let scope = e.consentScope { parts.append("consent scope \(scope.joined(separator: ", "))") }
        let pii = Set(e.pii.map(\.value)).sorted()
        if !pii.isEmpty { parts.append("personal data: \(pii.joined(separator: ", "))") }
        if let r = e.retentionUntil { parts.append("retain until \(r.value.iso)") }
        for w in e.withdrawals { parts.append("CONSENT WITHDRAWN" + (w.origin.isOwn ? "" : " upstream (\(w.origin.from.map(\.description) ?? ""))") + (w.withdrawnAt.map { " \($0.iso)" } ?? "")) }
        if parts.isEmpty && !e.unrecorded.isEmpty { parts.append("no rights record") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}

/// One version of a model and the metrics of the run that made it (a model card's chart).
public struct MetricsPoint: Codable, Sendable, Equatable {
    public var run: String
    public var startedAt: String
    /// SHA-256 (hex) of the version.
    public var sha256: String
    public var metrics: [String: RecordValues]
}
