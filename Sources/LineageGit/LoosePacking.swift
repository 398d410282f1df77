internal import CLibGit2
import Foundation

extension GitRepository {
    /// Roughly how many loose objects the database holds, estimated like git's `gc --auto`: the
    /// entries of one fan-out directory (`objects/17`) times 256.
    public func estimatedLooseObjects() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/objects/17"))?.count ?? 0) * 256
    }

    /// How many packs the object database holds (each `add` writes one).
    public func packCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/objects/pack")) ?? []).filter { $0.hasSuffix(".pack") }.count
    }

    /// Rewrites the whole object database as few packs (git's `repack -a -d`): every object, loose
    /// or packed, goes undeltified into new packs (see `BlobBatch.packBytes`), then the old packs
    /// and loose files are deleted. Reading a long history from one pack avoids a file open per
    /// loose object and a search through hundreds of small packs per lookup. Returns how many
    /// objects were written.
    ///
    /// Old copies are deleted only after the new packs and their indexes are written and synced
    /// (libgit2's indexer writes through temporary files, renames, and fsyncs), so a crash leaves
    /// duplicates, never a missing object. Call it holding the repository write lock.
    @discardableResult
    public func repack() throws -> Int {
        let objects = path + "/objects"
        let fm = FileManager.default
        var looseFiles: [String] = []
        for fan in (try? fm.contentsOfDirectory(atPath: objects)) ?? [] where fan.utf8.count == 2 {
            for rest in (try? fm.contentsOfDirectory(atPath: objects + "/" + fan)) ?? [] where rest.utf8.count == 38 {
                looseFiles.append(objects + "/" + fan + "/" + rest)
            }
        }
        let oldPacks = ((try? fm.contentsOfDirectory(atPath: objects + "/pack")) ?? []).filter { $0.hasSuffix(".pack") }
        guard looseFiles.count + oldPacks.count > 1 else { return 0 }

        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, handle.pointer), "git_repository_odb")
        defer { git_odb_free(odb) }
        final class Collector { var ids: [git_oid] = [] }
        let collector = Collector()
        let rc = git_odb_foreach(odb, { oid, payload in
            guard let oid, let payload else { return -1 }
            Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue().ids.append(oid.pointee)
            return 0
        }, Unmanaged.passUnretained(collector).toOpaque())
        try GitError.check(rc, "git_odb_foreach")
        var unique = Set<ObjectID>()
        var batch: [(type: UInt8, bytes: [UInt8])] = []
        var batchBytes = 0
        var written = 0
        // Packed in batches so memory stays bounded however large the history is.
        for var oid in collector.ids where unique.insert(ObjectID(oid)).inserted {
            var object: OpaquePointer?
            try GitError.check(git_odb_read(&object, odb, &oid), "git_odb_read")
            defer { git_odb_object_free(object) }
            let type = UInt8(truncatingIfNeeded: git_odb_object_type(object).rawValue)
            let bytes = Array(UnsafeRawBufferPointer(start: git_odb_object_data(object), count: git_odb_object_size(object)))
            batch.append((type, bytes))
            batchBytes += bytes.count
            written += 1
            if batchBytes > 64 << 20 {
                try BlobBatch.writePack(BlobBatch.packBytes(batch), to: self)
                batch.removeAll(); batchBytes = 0
            }
        }
        var newPacks = Set<String>()
        if !batch.isEmpty { try BlobBatch.writePack(BlobBatch.packBytes(batch), to: self) }
        newPacks = Set(((try? fm.contentsOfDirectory(atPath: objects + "/pack")) ?? []).filter { $0.hasSuffix(".pack") }).subtracting(oldPacks)
        // A pack the new ones duplicate exactly (same content, same name) is kept, not deleted.
        for pack in oldPacks where !newPacks.contains(pack) {
            let base = objects + "/pack/" + pack.dropLast(5)
            unlink(base + ".idx"); unlink(base + ".pack"); unlink(base + ".rev")
        }
        for file in looseFiles { unlink(file) }
        for fan in Set(looseFiles.map { ($0 as NSString).deletingLastPathComponent }) { rmdir(fan) }
        try GitError.check(git_odb_refresh(odb), "git_odb_refresh")
        return written
    }
}
