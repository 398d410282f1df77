import Foundation
import LineageCore
import LineageGit

extension Repository {
    /// Check records a commit carries (they are carried forward, so this is every check of the
    /// artifact versions in its tree), optionally only those naming `path` at `sha256`.
    func checkRecords(inTree tree: ObjectID, path: String? = nil, sha256: Digest? = nil) throws -> [CheckRecord] {
        let prefix = CheckRecord.directory + "/"
        var out: [CheckRecord] = []
        for file in try git.records(inTree: tree) where file.path.hasPrefix(prefix) && file.path.hasSuffix(".json") {
            let record: CheckRecord
            do { record = try CheckRecord.decode(try git.readBlob(file.id)) } catch {
                throw LineageError.damagedRepository("check record \(file.path) is not valid: \(error)")
            }
            if let path, !record.artifacts.contains(where: { $0.path == path && (sha256 == nil || $0.sha256 == sha256) && $0.role != "previous" }) { continue }
            out.append(record)
        }
        return out.sorted { ($0.checkedAt, $0.validator) < ($1.checkedAt, $1.validator) }
    }

    /// The check records that gated one commit (named by its commit record).
    func gatingChecks(ofCommit id: ObjectID) throws -> [CheckRecord] {
        let info = try git.commit(id)
        guard let ids = try commitRecord(of: info)?.checks else { return [] }
        return try ids.map { hex in
            guard let digest = Digest(hex: hex),
                  let blob = try git.entry(inTree: info.tree, path: RecordTree.directory + "/" + CheckRecord.recordPath(digest)) else {
                throw LineageError.damagedRepository("commit \(id.hex) names check \(hex), which its tree does not hold")
            }
            return try CheckRecord.decode(try git.readBlob(blob))
        }
    }
}
