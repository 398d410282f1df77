internal import CLibGit2
import Crypto
import Foundation

/// Writes many blobs as one git pack instead of one fsynced loose file each.
///
/// Blobs are kept in memory until `commit()`, which lays them out as a version-2 pack (objects
/// stored in uncompressed deflate blocks: pointer blobs are tiny, and deflating and delta-searching
/// 100,000 of them through `git_packbuilder` cost more than the rest of `add`) and hands the pack
/// to libgit2's indexer (`git_odb_write_pack`), which checks every object, writes the `.idx` and
/// fsyncs both. Dropping the batch without `commit()` writes nothing.
public final class BlobBatch: @unchecked Sendable {
    private let target: GitRepository
    private var pending: [(id: ObjectID, bytes: [UInt8])] = []
    private var seen = Set<ObjectID>()
    private let lock = NSLock()
    public var count: Int { lock.withLock { pending.count } }
    /// Batches smaller than this are written as loose objects.
    static let looseLimit = 32

    public init(repository: GitRepository) throws {
        target = repository
    }

    /// Queues a blob and returns its id (`git_odb_hash`); queuing the same blob twice keeps one copy.
    /// Safe to call from several threads.
    public func write(_ bytes: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        try bytes.withUnsafeBytes { buf in
            try GitError.check(git_odb_hash(&oid, buf.baseAddress, buf.count, GIT_OBJECT_BLOB), "git_odb_hash")
        }
        let id = ObjectID(oid)
        lock.withLock {
            if seen.insert(id).inserted { pending.append((id, bytes)) }
        }
        return id
    }

    /// Writes every queued blob to the repository as one indexed pack.
    public func commit() throws {
        defer { pending.removeAll(); seen.removeAll() }
        guard !pending.isEmpty else { return }
        // A handful of blobs are written loose, as `git add` does: a pack per small add would pile
        // up packs (the next repack gathers loose objects anyway).
        if pending.count < BlobBatch.looseLimit {
            for p in pending { _ = try target.writeBlob(p.bytes) }
            return
        }
        try BlobBatch.writePack(BlobBatch.packBytes(pending.map { (3, $0.bytes) }), to: target)
    }

    /// Hands a complete pack to libgit2's indexer, which checks every object, writes the `.idx`
    /// and fsyncs both, then makes `repository` see the new pack.
    static func writePack(_ pack: [UInt8], to repository: GitRepository) throws {
        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, repository.handle.pointer), "git_repository_odb")
        defer { git_odb_free(odb) }
        var writer: UnsafeMutablePointer<git_odb_writepack>?
        try GitError.check(git_odb_write_pack(&writer, odb, nil, nil), "git_odb_write_pack")
        defer { writer!.pointee.free(writer) }
        var stats = git_indexer_progress()
        try pack.withUnsafeBytes { buf in
            try GitError.check(writer!.pointee.append(writer, buf.baseAddress, buf.count, &stats), "git_odb_writepack.append")
        }
        try GitError.check(writer!.pointee.commit(writer, &stats), "git_odb_writepack.commit")
        // The target handle caches the list of packs; make it see the new one.
        _ = git_odb_refresh(odb)
    }

    /// A pack (git's `pack-format`, version 2) holding `objects` (pack type 1 commit, 2 tree,
    /// 3 blob, 4 tag; and the bytes) undeltified: every object reads back with one copy, no delta
    /// chain to resolve.
    static func packBytes(_ objects: [(type: UInt8, bytes: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = Array("PACK".utf8)
        appendBE32(&out, 2)
        appendBE32(&out, UInt32(objects.count))
        for (type, blob) in objects {
            // Object header: the type in bits 6-4 of the first byte, size in 4 + 7n bits.
            var size = blob.count
            var byte = (type & 7) << 4 | UInt8(size & 0x0F)
            size >>= 4
            while size > 0 {
                out.append(byte | 0x80)
                byte = UInt8(size & 0x7F)
                size >>= 7
            }
            out.append(byte)
            appendStoredZlib(&out, blob)
        }
        var sha1 = Insecure.SHA1()
        sha1.update(data: out)
        out.append(contentsOf: sha1.finalize())
        return out
    }

    /// A zlib stream of deflate "stored" blocks (RFC 1950/1951): header, blocks of at most 65,535
    /// bytes, Adler-32 trailer.
    static func appendStoredZlib(_ out: inout [UInt8], _ data: [UInt8]) {
        out.append(0x78); out.append(0x01)
        var offset = 0
        repeat {
            let n = min(65_535, data.count - offset)
            let final: UInt8 = offset + n == data.count ? 1 : 0
            out.append(final)
            out.append(UInt8(n & 0xFF)); out.append(UInt8(n >> 8))
            out.append(UInt8(~n & 0xFF)); out.append(UInt8((~n >> 8) & 0xFF))
            out.append(contentsOf: data[offset..<offset + n])
            offset += n
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
        appendBE32(&out, b << 16 | a)
    }

    static func appendBE32(_ out: inout [UInt8], _ v: UInt32) {
        out.append(UInt8(v >> 24)); out.append(UInt8((v >> 16) & 0xFF)); out.append(UInt8((v >> 8) & 0xFF)); out.append(UInt8(v & 0xFF))
    }
}
