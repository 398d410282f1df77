import Foundation
import LineageCore
import LineageGraph

extension Repository {
    /// Adds what the graph index does not hold to a trace/impact answer's artifact nodes: the
    /// checks recorded for each version (`checks`) and a summary of its effective rights
    /// (`rights`), both as HEAD's records state them. Renderers show them; `--json` carries them.
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
