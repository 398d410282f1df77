internal import CLibGit2

/// The staging area: a git index file mapping tracked paths to pointer blobs.
///
/// `write()` goes through libgit2's lock file and rename, so a crash leaves
/// either the old or the new index, never a mix.
public final class StagingIndex {
    let handle: Managed<OpaquePointer>
    let repository: GitRepository

    init(repository: GitRepository, path: String) throws {
        var out: OpaquePointer?
        try GitError.check(git_index_open(&out, path), "git_index_open")
        handle = Managed(out!, free: git_index_free)
        self.repository = repository
    }

    /// The SHA-1 trailer of the index file as last read or written (`git_index_checksum`): equal
    /// checksums mean byte-identical staging areas.
    public var checksum: String {
        guard let oid = git_index_checksum(handle.pointer) else { return "" }
        return ObjectID(oid).hex
    }

    /// Every staged entry, sorted by path.
    public var entries: [TreeFile] {
        let count = git_index_entrycount(handle.pointer)
        var out: [TreeFile] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            guard let e = git_index_get_byindex(handle.pointer, i) else { continue }
            out.append(TreeFile(path: String(cString: e.pointee.path), id: ObjectID(e.pointee.id), mode: e.pointee.mode))
        }
        return out
    }

    public func entry(path: String) -> ObjectID? {
        guard let e = git_index_get_bypath(handle.pointer, path, 0) else { return nil }
        return ObjectID(e.pointee.id)
    }

    /// Stages `path` → blob `id` as a regular file (`git_index_add`). `size` is informational.
    public func add(path: String, id: ObjectID, size: UInt64 = 0) throws {
        var entry = git_index_entry()
        entry.mode = 0o100644
        entry.id = id.raw
        entry.file_size = UInt32(truncatingIfNeeded: min(size, UInt64(UInt32.max)))
        try path.withCString { cpath in
            entry.path = cpath
            try GitError.check(git_index_add(handle.pointer, &entry), "git_index_add")
        }
    }

    /// Unstages `path` (`git_index_remove`); removing an absent path is a no-op.
    public func remove(path: String) throws {
        let rc = git_index_remove(handle.pointer, path, 0)
        if rc == GIT_ENOTFOUND.rawValue { return }
        try GitError.check(rc, "git_index_remove")
    }

    /// Replaces the whole index with a tree's files (`git_index_read_tree`).
    public func reset(toTree id: ObjectID?) throws {
        guard let id else {
            try GitError.check(git_index_clear(handle.pointer), "git_index_clear")
            return
        }
        var oid = id.raw
        var tree: OpaquePointer?
        try GitError.check(git_tree_lookup(&tree, repository.handle.pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(tree) }
        try GitError.check(git_index_read_tree(handle.pointer, tree), "git_index_read_tree")
        // Records are part of a commit's tree but never staged files.
        let rc = git_index_remove_directory(handle.pointer, RecordTree.directory, 0)
        if rc != GIT_ENOTFOUND.rawValue { try GitError.check(rc, "git_index_remove_directory") }
    }

    /// Writes the index file atomically (`git_index_write`).
    public func write() throws {
        try GitError.check(git_index_write(handle.pointer), "git_index_write")
    }

    /// Writes the staged paths as tree objects and returns the root tree (`git_index_write_tree_to`).
    public func writeTree() throws -> ObjectID {
        var oid = git_oid()
        try GitError.check(git_index_write_tree_to(&oid, handle.pointer, repository.handle.pointer), "git_index_write_tree_to")
        return ObjectID(oid)
    }
}
