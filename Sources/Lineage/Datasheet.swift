import Foundation
import LineageCore
import LineageGit
import LineageGraph
import LineageValidators

extension Repository {
    /// `lineage datasheet <path>`: the recorded facts about a tracked artifact at HEAD, for a
    /// Datasheet (Markdown) or Croissant JSON-LD (`Datasheet` in LineageGraph renders them).
    public func datasheetFacts(_ argument: String, cwd: String) throws -> DatasheetFacts {
        let path = try resolve(argument, cwd: cwd).relative
        guard let head = try headCommit() else { throw LineageError.noCommits }
        let tree = try git.commit(head).tree
        let files = try files(ofCommit: head)
        guard let id = files[PathKey(path)] else { throw LineageError.notTracked(argument, suggestions: closest(path, among: files.keys.map(\.string))) }
        let p = try pointer(id)
        let ref = ArtifactRef(path: path, sha256: p.sha256)
        var facts = DatasheetFacts(path: path, sha256: p.sha256, size: p.size, kind: p.kind, mediaType: p.mediaType)

        // Columns and rows, when it is a table whose bytes are here.
        if TableFormat.guess(path: path) != nil {
            let temp = layout.dotLineage + "/datasheet-\(getpid())-" + (path as NSString).lastPathComponent
            defer { unlink(temp) }
            if (try? store.restore(chunkList: p.chunks, size: p.size, sha256: p.sha256, to: temp, durable: false) { _ in }) != nil {
                // Read as `schema infer` reads it: the sniffed dialect and encoding, every row typed.
                let format = TableFormat.guess(path: path) ?? .csv
                let layout = (try? TableSniffer.sniff(path: temp, format: format))?.layout ?? TableLayout()
                if let reader = try? TableReader(path: temp, format: format, layout: layout) {
                    var rows = 0
                    while (try? reader.next()) == true { rows += 1 }
                    facts.rowCount = rows
                    let types = (try? TableSchema.infer(path: temp, format: format, layout: layout))?.fields.map(\.type.rawValue)
                    facts.columns = reader.header.enumerated().map { i, name in
                        DatasheetColumn(name: name, type: types.flatMap { i < $0.count ? $0[i] : nil })
                    }
                }
            }
        }
        var (graph, _) = try rightsGraph()
        facts.rights = try rightsRecords(inTree: tree)[PathKey(path)]
        facts.effective = graph.effective(ref)
        facts.commits = try log(paths: [path], cwd: root).map {
            DatasheetCommit(id: $0.commit, author: "\($0.author.name) <\($0.author.email)>", date: $0.author.date, message: $0.message)
        }
        for run in try allRuns(inTree: tree) {
            if run.outputs.contains(where: { $0.path == path && $0.sha256 == p.sha256 }) {
                facts.producedBy.append(DatasheetRun(id: run.id, name: run.name, argv: run.argv, endedAt: run.endedAt,
                                                     inputs: run.inputs.map { ArtifactRef(path: $0.path, sha256: $0.sha256) }))
            }
            if run.inputs.contains(where: { $0.path == path }) {
                for o in run.outputs {
                    let kind = try files[PathKey(o.path)].map { try pointer($0).kind } ?? ArtifactKind.guess(path: o.path)
                    facts.usedBy.append(DatasheetUse(artifact: ArtifactRef(path: o.path, sha256: o.sha256), kind: kind, run: run.name))
                }
            }
        }
        facts.checks = try checkRecords(inTree: tree, path: path, sha256: p.sha256).map { c in
            DatasheetCheck(name: c.validator, passed: c.outcome != .failed,
                           detail: "\(c.outcome.rawValue) at \(c.checkedAt)" + (c.findings.isEmpty ? "" : "; " + c.findings.map { "\($0.check) ×\($0.count)" }.joined(separator: ", ")))
        }
        return facts
    }
}
