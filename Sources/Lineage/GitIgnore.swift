import Foundation
import LineageCore
import LineageGit
import LineageStore

/// Keeping the code's git repository clean, as DVC does: when the project lies inside a git work
/// tree, `.lineage/` and the data paths lineage tracks go into a block of the project's
/// `.gitignore` that lineage owns (between two marker lines) and rewrites as a whole; lines
/// outside the block are never touched. Files git already tracks, code and `lineage.yaml` stay
/// visible to git. `lineage init --no-gitignore` (config `lineage.gitignore=false`) turns it off.
extension Repository {
    static let gitignoreBegin = "# >>> lineage: paths lineage tracks (this block is rewritten by lineage; edit outside it)"
    static let gitignoreEnd = "# <<< lineage"
    static let gitignoreSetting = "lineage.gitignore"

    /// False when `lineage init --no-gitignore` turned the block off.
    func gitignoreEnabled() -> Bool {
        (try? GitConfig.open(path: layout.configFile).string(Repository.gitignoreSetting)) != "false"
    }

    /// Rewrites the block from the staging index: `.lineage/` and each tracked path that is not code,
    /// not `lineage.yaml` and not already tracked by git. Returns the number of paths in the block,
    /// or nil when the project is not inside a git work tree (or the block is turned off).
    @discardableResult
    func updateGitignore() throws -> Int? {
        guard gitignoreEnabled(), let code = try CodeWorkTree.enclosing(root) else { return nil }
        let index = try openIndex()
        var candidates: [String] = []
        for entry in index.entries where !entry.path.bytesEqual(ProjectConfig.fileName) {
            if let p = try? pointer(entry.id), p.kind == .code { continue }
            candidates.append(entry.path)
        }
        // Paths git tracks are the user's to keep in git; relative to the work tree for the lookup.
        let prefix = root == code.workdir ? "" : String(root.dropFirst(code.workdir.count + 1)) + "/"
        let inGit = try code.tracked(candidates.map { prefix + $0 })
        let ignored = candidates.filter { !inGit.contains(PathKey(prefix + $0)) }.sortedAsPaths()
        var block = [Repository.gitignoreBegin, "/.lineage/"]
        block += ignored.map { "/" + Repository.gitignoreEscaped($0) }
        block.append(Repository.gitignoreEnd)

        let file = root + "/.gitignore"
        let existing = FileManager.default.contents(atPath: file).map { String(decoding: $0, as: UTF8.self) } ?? ""
        var lines = existing.isEmpty ? [] : existing.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        if let start = lines.firstIndex(of: Repository.gitignoreBegin) {
            let end = lines[start...].firstIndex(of: Repository.gitignoreEnd) ?? lines.count - 1
            lines.replaceSubrange(start...end, with: block)
        } else {
            if let last = lines.last, !last.isEmpty { lines.append("") }
            lines += block
        }
        let text = lines.joined(separator: "\n") + "\n"
        if text != existing { try AtomicFile.write(Array(text.utf8), to: file) }
        return ignored.count
    }

    /// A path as a literal gitignore pattern: wildcards, a leading `#` or `!` and trailing spaces escaped.
    static func gitignoreEscaped(_ path: String) -> String {
        var out = ""
        for ch in path {
            if "*?[\\".contains(ch) { out.append("\\") }
            out.append(ch)
        }
        if out.hasPrefix("#") || out.hasPrefix("!") { out = "\\" + out }
        if out.hasSuffix(" ") { out = String(out.dropLast()) + "\\ " }
        return out
    }
}
