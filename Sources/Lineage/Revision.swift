import Foundation
import LineageCore
import LineageGit

extension Repository {
    /// Resolves `HEAD`, `HEAD~N`, a branch, or a full or unique-prefix commit id, like git.
    public func resolveRevision(_ spec: String) throws -> ObjectID {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw LineageError.unknownRevision(spec) }
        do {
            return try git.resolveCommit(trimmed)
        } catch let e as GitError {
            switch e.code {
            case .ambiguous:
                let lower = trimmed.lowercased()
                let all = (try? git.walk(from: git.referenceTargets())) ?? []
                let candidates = all.filter { $0.hex.hasPrefix(lower) }.map { id -> String in
                    let subject = (try? git.commit(id).message.split(separator: "\n").first.map(String.init)) ?? nil
                    return id.short + (subject.map { " (\($0))" } ?? "")
                }
                throw LineageError.ambiguousRevision(spec, candidates: candidates.isEmpty ? ["(several objects share this prefix)"] : candidates)
            case .unbornBranch:
                throw LineageError.noCommits
            case .notFound where trimmed.hasPrefix("HEAD") && (try? headCommit()) == nil:
                throw LineageError.noCommits
            default:
                throw LineageError.unknownRevision(spec)
            }
        }
    }

    /// Splits `rev:path` (a bare `path` means `HEAD:path`) and checks the path's form.
    public func splitRevisionPath(_ spec: String, defaultRevision: String = "HEAD") throws -> (revision: String, path: TrackedPath) {
        let rev: String, path: String
        if let colon = spec.firstIndex(of: ":") {
            rev = String(spec[..<colon]); path = String(spec[spec.index(after: colon)...])
        } else {
            rev = defaultRevision; path = spec
        }
        let cleaned = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        do {
            return (rev.isEmpty ? defaultRevision : rev, try TrackedPath(cleaned.hasSuffix("/") ? String(cleaned.dropLast()) : cleaned))
        } catch {
            throw LineageError.invalidArgument("'\(spec)': \(error) — write it as <rev>:<path>, e.g. HEAD:data/train.csv")
        }
    }

    /// The pointer blob of `path` at a commit, with a "did you mean" error when it is not there.
    func pointerID(at commit: ObjectID, path: TrackedPath) throws -> ObjectID {
        let info = try git.commit(commit)
        if let id = try git.entry(inTree: info.tree, path: path.string) { return id }
        let known = try git.files(inTree: info.tree).map(\.path)
        throw LineageError.notTracked(path.string, suggestions: closest(path.string, among: known))
    }
}
