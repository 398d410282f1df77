internal import CLibGit2
import Foundation
import LineageCore

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

    /// Rewrites object storage as fewer packs. `all` (`lineage gc`, like git's `repack -a -d`): every
    /// object, loose or packed, into new packs. Otherwise (after commits, like git's
    /// `repack --geometric=2`): the loose objects and the small packs, chosen so the packs kept
    /// form a geometric progression — each at least twice the size of everything smaller — which
    /// bounds the number of packs by log(size) at amortized linear cost. Objects are written
    /// undeltified (see `BlobBatch.packBytes`): reading a long history then costs no delta chains,
    /// no file open per loose object and no search through hundreds of small packs. Returns how
    /// many objects were written.
    ///
    /// Old copies are deleted only after the new packs and their indexes are written and synced
    /// (libgit2's indexer writes through temporary files, renames, and fsyncs), so a crash leaves
    /// duplicates, never a missing object. Call it holding the repository write lock.
    ///
    /// With `reachableFrom` (only with `all`), objects no commit reachable from those roots needs —
    /// and not among `keep` (e.g. staged blobs) — are dropped: git's prune. Call it holding the
    /// repository write lock, so no writer adds an object the walk could miss.
    @discardableResult
    public func repack(all: Bool = true, reachableFrom roots: [ObjectID]? = nil, keep: [ObjectID] = []) throws -> Int {
        let objects = path + "/objects"
        let fm = FileManager.default
        var looseFiles: [String] = []
        var ids: [git_oid] = []
        for fan in (try? fm.contentsOfDirectory(atPath: objects)) ?? [] where fan.utf8.count == 2 {
            for rest in (try? fm.contentsOfDirectory(atPath: objects + "/" + fan)) ?? [] where rest.utf8.count == 38 {
                var oid = git_oid()
                guard git_oid_fromstr(&oid, fan + rest) == 0 else { continue }
                looseFiles.append(objects + "/" + fan + "/" + rest)
                ids.append(oid)
            }
        }
        var packs: [(name: String, size: Int)] = []
        for name in (try? fm.contentsOfDirectory(atPath: objects + "/pack")) ?? [] where name.hasSuffix(".pack") {
            let size = (try? fm.attributesOfItem(atPath: objects + "/pack/" + name)[.size] as? Int) ?? 0
            packs.append((name, size ?? 0))
        }
        packs.sort { $0.size < $1.size }
        let rollUp = all ? packs.count : GeometricRollUp.split(packs.map { UInt64($0.size) })
        guard looseFiles.count + rollUp > 1 else { return 0 }
        let oldPacks = packs.prefix(rollUp).map(\.name)
        for name in oldPacks {
            ids += try GitRepository.packIndexObjects(objects + "/pack/" + name.dropLast(5) + ".idx")
        }

        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, handle.pointer), "git_repository_odb")
        defer { git_odb_free(odb) }
        if all, let roots {
            let reachable = try reachableObjects(from: roots).union(keep)
            ids = ids.filter { reachable.contains(ObjectID($0)) }
        }
        var unique = Set<ObjectID>()
        var batch: [(type: UInt8, bytes: [UInt8])] = []
        var batchBytes = 0
        var written = 0
        // Packed in batches so memory stays bounded however large the history is.
        for var oid in ids where unique.insert(ObjectID(oid)).inserted {
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
        if !batch.isEmpty { try BlobBatch.writePack(BlobBatch.packBytes(batch), to: self) }
        let present = Set(((try? fm.contentsOfDirectory(atPath: objects + "/pack")) ?? []))
        // A new pack with exactly an old one's content has its name; it must survive.
        let rewritten = Set(present.filter { $0.hasSuffix(".pack") }).subtracting(packs.map(\.name))
        for name in oldPacks where !rewritten.contains(name) {
            let base = objects + "/pack/" + name.dropLast(5)
            Sys.unlink(base + ".idx"); Sys.unlink(base + ".pack"); Sys.unlink(base + ".rev")
        }
        for file in looseFiles { Sys.unlink(file) }
        for fan in Set(looseFiles.map { ($0 as NSString).deletingLastPathComponent }) { rmdir(fan) }
        try GitError.check(git_odb_refresh(odb), "git_odb_refresh")
        return written
    }

    /// Every commit, tree and blob reachable from `roots` (commits).
    func reachableObjects(from roots: [ObjectID]) throws -> Set<ObjectID> {
        var seen = Set<ObjectID>()
        var commits = roots
        var trees: [ObjectID] = []
        while let c = commits.popLast() {
            guard seen.insert(c).inserted else { continue }
            let info = try commit(c)
            commits += info.parents
            trees.append(info.tree)
        }
        while let t = trees.popLast() {
            guard seen.insert(t).inserted else { continue }
            var oid = t.raw
            var tree: OpaquePointer?
            try GitError.check(git_tree_lookup(&tree, handle.pointer, &oid), "git_tree_lookup")
            defer { git_tree_free(tree) }
            for i in 0..<git_tree_entrycount(tree) {
                guard let e = git_tree_entry_byindex(tree, i) else { continue }
                let child = ObjectID(git_tree_entry_id(e)!)
                if git_tree_entry_type(e) == GIT_OBJECT_TREE { trees.append(child) } else { seen.insert(child) }
            }
        }
        return seen
    }

    /// Object ids listed in a version-2 pack index (`.idx`): magic, version, 256 fan-out words, ids.
    static func packIndexObjects(_ path: String) throws -> [git_oid] {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 8 + 1024 else {
            throw GitError(code: .other(-1), function: "repack", message: "cannot read pack index \(path)")
        }
        let bytes = [UInt8](data)
        guard bytes[0..<4].elementsEqual([0xFF, 0x74, 0x4F, 0x63]), bytes[7] == 2 else {
            throw GitError(code: .other(-1), function: "repack", message: "\(path) is not a version-2 pack index")
        }
        let count = Int(bytes[1028]) << 24 | Int(bytes[1029]) << 16 | Int(bytes[1030]) << 8 | Int(bytes[1031])
        guard bytes.count >= 1032 + count * 20 else {
            throw GitError(code: .other(-1), function: "repack", message: "pack index \(path) is truncated")
        }
        var out: [git_oid] = []
        out.reserveCapacity(count)
        for k in 0..<count {
            var oid = git_oid()
            withUnsafeMutableBytes(of: &oid.id) { raw in
                for j in 0..<20 { raw[j] = bytes[1032 + k * 20 + j] }
            }
            out.append(oid)
        }
        return out
    }
}
