internal import CLibGit2
import Foundation
import LineageCore

/// The reserved top-level directory of every lineage commit's tree that holds records (trust,
/// runs, the commit record) rather than tracked files. `TrackedPath` refuses it, so a user's file
/// can never collide with a record.
public enum RecordTree {
    public static let directory = ".lineage"
}

/// A commit's signature header as git stores it, and the exact bytes it signs.
public struct CommitSignature: Sendable {
    /// The armored signature (`gpgsig` header value, without the continuation spaces).
    public let armored: String
    /// The commit object without the `gpgsig` header: what the signature covers.
    public let signedData: [UInt8]
}

extension GitRepository {
    /// Files below the reserved record directory of a tree, with paths relative to it
    /// (`allowed_signers`, `runs/ab/<id>.json`), sorted; none when the tree has no records.
    public func records(inTree id: ObjectID) throws -> [TreeFile] {
        guard let sub = try subtree(of: id, named: RecordTree.directory) else { return [] }
        var out: [TreeFile] = []
        try collect(tree: sub, prefix: "", skipReserved: false, into: &out)
        return out.sorted { $0.path < $1.path }
    }

    /// True when two trees hold the same top-level entries (name, mode, id), `ignoring` one name.
    public func sameEntries(_ a: ObjectID, _ b: ObjectID, ignoring name: String) throws -> Bool {
        var (x, y) = (try entries(of: a), try entries(of: b))
        x[name] = nil; y[name] = nil
        return x.count == y.count && x.allSatisfy { k, v in y[k].map { $0.id == v.id && $0.mode == v.mode } ?? false }
    }

    /// The id of a tree's direct child tree `name`, or nil.
    public func subtree(of id: ObjectID, named name: String) throws -> ObjectID? {
        var oid = id.raw
        var tree: OpaquePointer?
        try GitError.check(git_tree_lookup(&tree, handle.pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(tree) }
        guard let entry = git_tree_entry_byname(tree, name), git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return nil }
        return ObjectID(git_tree_entry_id(entry)!)
    }

    /// A new tree: `base` (nil = empty) with each `path` set to a regular-file blob, or removed when
    /// the blob is nil. Only the directories on the changed paths are rewritten (git treebuilders),
    /// so carrying thousands of records forward costs nothing per commit.
    /// Keys are paths compared as bytes, so canonically equivalent names stay two entries.
    public func tree(updating base: ObjectID?, with updates: [PathKey: ObjectID?]) throws -> ObjectID {
        var groups: [PathKey: [PathKey: ObjectID?]] = [:]
        var direct: [PathKey] = []
        for (key, blob) in updates {
            let path = key.string
            if let slash = path.utf8.firstIndex(of: UInt8(ascii: "/")) {
                groups[PathKey(String(path[..<slash])), default: [:]][PathKey(String(path[path.utf8.index(after: slash)...]))] = blob
            } else {
                direct.append(key)
            }
        }
        var baseTree: OpaquePointer?
        if var oid = base?.raw { try GitError.check(git_tree_lookup(&baseTree, handle.pointer, &oid), "git_tree_lookup") }
        defer { git_tree_free(baseTree) }
        var builder: OpaquePointer?
        try GitError.check(git_treebuilder_new(&builder, handle.pointer, baseTree), "git_treebuilder_new")
        defer { git_treebuilder_free(builder) }
        for key in direct {
            let name = key.string, blob = updates[key]!
            if var oid = blob?.raw {
                try GitError.check(git_treebuilder_insert(nil, builder, name, &oid, GIT_FILEMODE_BLOB), "git_treebuilder_insert")
            } else if git_treebuilder_get(builder, name) != nil {
                try GitError.check(git_treebuilder_remove(builder, name), "git_treebuilder_remove")
            }
        }
        for (nameKey, sub) in groups {
            let name = nameKey.string
            var existing: ObjectID? = nil
            if let e = git_treebuilder_get(builder, name), git_tree_entry_type(e) == GIT_OBJECT_TREE { existing = ObjectID(git_tree_entry_id(e)!) }
            let child = try tree(updating: existing, with: sub)
            if isEmptyTree(child) {
                if git_treebuilder_get(builder, name) != nil { try GitError.check(git_treebuilder_remove(builder, name), "git_treebuilder_remove") }
            } else {
                var oid = child.raw
                try GitError.check(git_treebuilder_insert(nil, builder, name, &oid, GIT_FILEMODE_TREE), "git_treebuilder_insert")
            }
        }
        var out = git_oid()
        try GitError.check(git_treebuilder_write(&out, builder), "git_treebuilder_write")
        return ObjectID(out)
    }

    /// A tree with the subtree `name` replaced by `child` (nil removes it).
    public func tree(_ base: ObjectID, replacingSubtree name: String, with child: ObjectID?) throws -> ObjectID {
        var oid = base.raw
        var baseTree: OpaquePointer?
        try GitError.check(git_tree_lookup(&baseTree, handle.pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(baseTree) }
        var builder: OpaquePointer?
        try GitError.check(git_treebuilder_new(&builder, handle.pointer, baseTree), "git_treebuilder_new")
        defer { git_treebuilder_free(builder) }
        if var c = child?.raw, !isEmptyTree(child!) {
            try GitError.check(git_treebuilder_insert(nil, builder, name, &c, GIT_FILEMODE_TREE), "git_treebuilder_insert")
        } else if git_treebuilder_get(builder, name) != nil {
            try GitError.check(git_treebuilder_remove(builder, name), "git_treebuilder_remove")
        }
        var out = git_oid()
        try GitError.check(git_treebuilder_write(&out, builder), "git_treebuilder_write")
        return ObjectID(out)
    }

    private func isEmptyTree(_ id: ObjectID) -> Bool { id.hex == "4b825dc642cb6eb9a060e54bf8d69288fbee4904" }

    /// The signature a commit carries in its `gpgsig` header, or nil when it is unsigned
    /// (`git_commit_extract_signature`).
    public func signature(ofCommit id: ObjectID) throws -> CommitSignature? {
        var oid = id.raw
        var sig = git_buf(), data = git_buf()
        defer { git_buf_dispose(&sig); git_buf_dispose(&data) }
        let rc = git_commit_extract_signature(&sig, &data, handle.pointer, &oid, nil)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(rc, "git_commit_extract_signature")
        let armored = String(decoding: UnsafeRawBufferPointer(start: sig.ptr, count: sig.size), as: UTF8.self)
        return CommitSignature(armored: armored, signedData: Array(UnsafeRawBufferPointer(start: data.ptr, count: data.size)))
    }
}

extension GitRepository {
    /// Blobs of `tree` that are new or changed against `base` (nil = every blob), with full paths,
    /// leaving out the record directory. Only subtrees whose ids differ are read, so a commit that
    /// touches a few files of a large tree costs a few tree reads.
    public func changedBlobs(from base: ObjectID?, to tree: ObjectID) throws -> [TreeFile] {
        var out: [TreeFile] = []
        try diffTrees(base, tree, prefix: "", into: &out)
        return out
    }

    private func entries(of id: ObjectID) throws -> [String: (id: ObjectID, isTree: Bool, mode: UInt32)] {
        var oid = id.raw
        var tree: OpaquePointer?
        try GitError.check(git_tree_lookup(&tree, handle.pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(tree) }
        var out: [String: (id: ObjectID, isTree: Bool, mode: UInt32)] = [:]
        for i in 0..<git_tree_entrycount(tree) {
            guard let e = git_tree_entry_byindex(tree, i) else { continue }
            let type = git_tree_entry_type(e)
            guard type == GIT_OBJECT_TREE || type == GIT_OBJECT_BLOB else { continue }
            out[String(cString: git_tree_entry_name(e))] = (ObjectID(git_tree_entry_id(e)!), type == GIT_OBJECT_TREE, git_tree_entry_filemode_raw(e).rawValue)
        }
        return out
    }

    private func diffTrees(_ a: ObjectID?, _ b: ObjectID, prefix: String, into out: inout [TreeFile]) throws {
        if a == b { return }
        let old = try a.map { try entries(of: $0) } ?? [:]
        for (name, entry) in try entries(of: b).sorted(by: { $0.key < $1.key }) {
            if prefix.isEmpty && name == RecordTree.directory { continue }
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let before = old[name]
            if entry.isTree {
                try diffTrees(before?.isTree == true ? before!.id : nil, entry.id, prefix: path, into: &out)
            } else if before?.id != entry.id || before?.isTree == true {
                out.append(TreeFile(path: path, id: entry.id, mode: entry.mode))
            }
        }
    }
}
