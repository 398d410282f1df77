import Foundation
import LineageCore
import LineageGit
import LineageStore

/// Partial content: history everywhere, bytes only where asked.
///
/// A tracked file whose bytes are not in the local store and that is absent from the working
/// directory is *not fetched* (a `clone --no-content`, `clone -- <paths>`, `pull -- <paths>`):
/// `status` reports it as such and keeps the tree clean, `add` never records it as deleted, and
/// `cat` / `checkout -- <path>` fetch its bytes from the remote that has them.
extension Repository {
    /// True when the chunk list of a version and every chunk it names are in the local store.
    func hasContent(_ p: Pointer) -> Bool {
        guard store.contains(p.chunks), let list = try? store.chunkList(p.chunks) else { return false }
        return list.entries.allSatisfy { store.contains($0.digest) }
    }

    /// True when `path` is tracked at `id` but neither its bytes nor its working file are here.
    func isNotFetched(_ path: String, pointerID id: ObjectID) -> Bool {
        guard FileStat.lstat(root + "/" + path) == nil, let p = try? pointer(id) else { return false }
        return !hasContent(p)
    }

    /// Makes the bytes of these versions local, fetching what is missing from the remotes that have a
    /// content location (origin first). Erased versions are named by their tombstone. Caller holds
    /// the write lock.
    func ensureContent(_ wanted: [(path: String, pointer: Pointer)], progress: ProgressReporter = SilentProgress()) throws {
        var missing = wanted.filter { !hasContent($0.pointer) }
        guard !missing.isEmpty else { return }
        for m in missing { if let e = erasedError(m.path, m.pointer.sha256) { throw e } }
        let remotes = try self.remotes().sorted { ($0.name == "origin" ? 0 : 1, $0.name) < ($1.name == "origin" ? 0 : 1, $1.name) }
        var failures: [String] = []
        for remote in remotes where remote.effectiveContent != nil {
            guard let mover = try? contentTransfer(for: remote, progress: progress) else { continue }
            do {
                let lists = Set(missing.map(\.pointer.chunks)).filter { !store.contains($0) }
                if !lists.isEmpty { try mover.download(lists.sorted(), into: store) }
                var chunks = Set<Digest>()
                for m in missing { for e in try store.chunkList(m.pointer.chunks).entries where !store.contains(e.digest) { chunks.insert(e.digest) } }
                if !chunks.isEmpty { try mover.download(chunks.sorted(), into: store) }
            } catch {
                failures.append("\(remote.name): \(error)")
            }
            missing = missing.filter { !hasContent($0.pointer) }
            if missing.isEmpty { return }
        }
        let first = missing[0]
        let detail: String
        if remotes.isEmpty {
            detail = "its bytes are not in the local store and this repository has no remote to fetch them from — add the remote that has them (`lineage remote add origin <url>`), then `lineage checkout HEAD -- \(first.path)`"
        } else if failures.isEmpty {
            detail = "its bytes are not in the local store and no remote has a content location — `lineage remote set-content <remote> <location>`"
        } else {
            detail = "its bytes are not in the local store and no remote could provide them (\(failures.joined(separator: "; "))) — check the remote, then `lineage pull <remote> -- \(first.path)`"
        }
        throw LineageError.missingContent(path: first.path, detail: missing.count > 1 ? detail + " (\(missing.count) files in all)" : detail)
    }
}
