import Foundation
import LineageCore
import LineageStore

/// What a killed command leaves behind, found and finished by the next command that takes the write
/// lock, and reported by `verify` until then.
///
/// - temporary packs and indexes of `add` (content store), and atomic-write temporaries;
/// - files `checkout` was restoring (`.lineage/tmp/checkout-<pid>-…`; restored files are written
///   there, not beside the working file, so a kill leaves nothing hidden in the working tree);
/// - scratch directories of hooks (`.lineage/hooks-<pid>-…`) and of chunk lists read from a
///   remote (`.lineage/tmp/chunk-lists-<pid>-…`);
/// - lock files of references only lineage writes, always under the write lock
///   (`refs/lineage/remotes/…`, `refs/lineage/outgoing/…`): a push killed while libgit2 moved one;
/// - an erasure whose tombstone is committed but whose bytes were not all removed
///   (`.lineage/erase-pending` lists them until they are gone).
extension Repository {
    static let checkoutTempPrefix = "checkout-"
    static let hookScratchPrefix = "hooks-"
    static let chunkListScratchPrefix = "chunk-lists-"
    /// Reference namespaces only lineage writes, and only under the write lock.
    static let lockedReferenceDirectories = ["refs/lineage/remotes", "refs/lineage/outgoing"]

    var temporaryDirectory: String { layout.dotLineage + "/tmp" }
    var erasePendingFile: String { layout.dotLineage + "/erase-pending" }

    /// Leftovers of processes that are gone (full paths).
    func leftovers() -> [String] {
        store.leftovers()
            + Leftovers.dead(in: temporaryDirectory, prefixes: [Repository.checkoutTempPrefix, Repository.chunkListScratchPrefix, AtomicFile.temporaryPrefix])
            + Leftovers.dead(in: layout.dotLineage, prefixes: [Repository.hookScratchPrefix, AtomicFile.temporaryPrefix])
    }

    /// The erased version's digest and the objects an interrupted erase still has to remove, or nil
    /// when none is pending. Format: the erased file's SHA-256, then one object digest per line.
    func pendingErasure() throws -> (erased: Digest, objects: Set<Digest>)? {
        guard let data = FileManager.default.contents(atPath: erasePendingFile) else { return nil }
        var digests: [Digest] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let d = Digest(hex: String(line)) else {
                throw LineageError.damagedRepository("\(erasePendingFile) is not a list of SHA-256 digests (line '\(line.prefix(80))'); it records an unfinished erasure — run `lineage verify`")
            }
            digests.append(d)
        }
        guard let erased = digests.first else { return nil }
        return (erased, Set(digests.dropFirst()))
    }

    /// Records what an erase is about to remove, durably, before its tombstone is committed.
    func beginErasure(of erased: Digest, removing digests: Set<Digest>) throws {
        let lines = [erased.hex] + digests.map(\.hex).sorted()
        try AtomicFile.write(Array(lines.joined(separator: "\n").utf8), to: erasePendingFile)
    }

    func endErasure() { unlink(erasePendingFile) }

    /// `<ref>.lock` files under the references only lineage writes. Every lineage writer holds the
    /// write lock while it moves one, so with the lock held any such file is a killed process's.
    func staleReferenceLocks() -> [String] {
        var out: [String] = []
        for dir in Repository.lockedReferenceDirectories {
            let root = layout.dotLineage + "/" + dir
            guard let e = FileManager.default.enumerator(atPath: root) else { continue }
            while let rel = e.nextObject() as? String { if rel.hasSuffix(".lock") { out.append(root + "/" + rel) } }
        }
        return out
    }

    /// Run with the write lock held, before the command's own work: removes what dead processes
    /// left and finishes an interrupted erasure. Says what it did through `warn`.
    func recoverInterruptedWork() throws {
        for lock in staleReferenceLocks() where unlink(lock) == 0 {
            warn("removed \(lock), a reference lock left by an interrupted lineage command")
        }
        let found = leftovers()
        if !found.isEmpty {
            let bytes = Leftovers.remove(found)
            warn("removed \(found.count) temporary file(s) (\(bytes) bytes) left by an interrupted lineage command")
        }
        if let pending = try pendingErasure() {
            // Bytes go only under a committed tombstone: a journal without one is an erase that
            // stopped before its commit, and nothing was erased.
            if try receivedErasures()[pending.erased] != nil {
                let removed = try store.remove(pending.objects)
                warn("finished an interrupted erasure: removed \(removed.objects) object(s) (\(removed.bytes) bytes) its signed tombstone names")
            }
            endErasure()
        }
    }

    /// `verify`'s view of interrupted work: leftovers and an unfinished erasure are problems.
    func interruptedWorkProblems() -> [VerifyProblem] {
        var out: [VerifyProblem] = []
        for path in leftovers() {
            out.append(VerifyProblem(kind: "leftover-temporary-file", commit: nil, path: nil, object: nil, file: path,
                                     detail: "left by an interrupted lineage command; the next command that writes (e.g. `lineage gc`) removes it"))
        }
        if FileManager.default.fileExists(atPath: erasePendingFile) {
            out.append(VerifyProblem(kind: "erasure-unfinished", commit: nil, path: nil, object: nil, file: erasePendingFile,
                                     detail: "an erase was interrupted before all erased bytes were removed; the next command that writes (e.g. `lineage gc`) finishes it"))
        }
        return out
    }
}

extension Repository {
    func ensureTemporaryDirectory() throws {
        if mkdir(temporaryDirectory, 0o755) != 0 && errno != EEXIST {
            throw LineageError.unreadable(temporaryDirectory, reason: String(cString: strerror(errno)))
        }
    }
}

/// Test hook, as git's `GIT_TEST_*` variables: `LINEAGE_TEST_KILL_AT=<point>` makes the process kill
/// itself with SIGKILL at that named point, so tests can prove what a kill there leaves behind and
/// that the next command recovers. Points: `add-before-finish`, `checkout-before-rename`,
/// `erase-after-tombstone`.
func killPoint(_ name: String) {
    if killPointName == name { raise(SIGKILL) }
}

private let killPointName: String? = ProcessInfo.processInfo.environment["LINEAGE_TEST_KILL_AT"]
