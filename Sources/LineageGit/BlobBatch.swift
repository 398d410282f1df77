internal import CLibGit2

/// Writes many blobs as one git pack instead of one fsynced loose file each.
///
/// Blobs go to an in-memory object backend (`git_mempack_new`) of a second handle on the same
/// repository; `commit()` packs them (`git_packbuilder_insert`, `git_packbuilder_write_buf` —
/// `git_mempack_dump` would only pack what commits reach) and indexes the pack into the real object
/// database (`git_odb_write_pack`), fsynced once. Dropping the batch without `commit()` writes nothing.
public final class BlobBatch: @unchecked Sendable {
    private let scratch: GitRepository
    private let backend: OpaquePointer
    private let target: GitRepository
    private var ids: [ObjectID] = []
    public var count: Int { ids.count }

    public init(repository: GitRepository) throws {
        target = repository
        scratch = try GitRepository.open(at: repository.path)
        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, scratch.handle.pointer), "git_repository_odb")
        defer { git_odb_free(odb) }
        var mempack: UnsafeMutablePointer<git_odb_backend>?
        try GitError.check(git_mempack_new(&mempack), "git_mempack_new")
        // The object database owns the backend from here on and frees it with itself.
        try GitError.check(git_odb_add_backend(odb, mempack, 1000), "git_odb_add_backend")
        backend = OpaquePointer(mempack!)
    }

    /// Queues a blob in memory and returns its id; a blob the repository already has is not queued again.
    public func write(_ bytes: [UInt8]) throws -> ObjectID {
        let id = try scratch.writeBlob(bytes)
        ids.append(id)
        return id
    }

    /// Writes every queued blob to the repository as one indexed pack.
    public func commit() throws {
        let mempack = UnsafeMutablePointer<git_odb_backend>(backend)
        defer { _ = git_mempack_reset(mempack); ids.removeAll() }
        guard !ids.isEmpty else { return }
        var builder: OpaquePointer?
        try GitError.check(git_packbuilder_new(&builder, scratch.handle.pointer), "git_packbuilder_new")
        defer { git_packbuilder_free(builder) }
        _ = git_packbuilder_set_threads(builder, 1)
        for id in ids {
            var oid = id.raw
            try GitError.check(git_packbuilder_insert(builder, &oid, nil), "git_packbuilder_insert")
        }
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        try GitError.check(git_packbuilder_write_buf(&buf, builder), "git_packbuilder_write_buf")
        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, target.handle.pointer), "git_repository_odb")
        defer { git_odb_free(odb) }
        var writer: UnsafeMutablePointer<git_odb_writepack>?
        try GitError.check(git_odb_write_pack(&writer, odb, nil, nil), "git_odb_write_pack")
        defer { writer!.pointee.free(writer) }
        var stats = git_indexer_progress()
        try GitError.check(writer!.pointee.append(writer, buf.ptr, buf.size, &stats), "git_odb_writepack.append")
        try GitError.check(writer!.pointee.commit(writer, &stats), "git_odb_writepack.commit")
        // The target handle caches the list of packs; make it see the new one.
        _ = git_odb_refresh(odb)
    }
}
