internal import CLibGit2
import LineageCore
import Glibc

/// Who made a commit, and when (seconds since the epoch, offset in minutes east of UTC).
public struct Identity: Sendable, Equatable, Codable {
    public var name: String
    public var email: String
    public var time: Int64
    public var offsetMinutes: Int32
    public init(name: String, email: String, time: Int64, offsetMinutes: Int32 = 0) {
        self.name = name; self.email = email; self.time = time; self.offsetMinutes = offsetMinutes
    }
}

/// A commit as read back from the object database.
public struct CommitInfo: Sendable {
    public let id: ObjectID
    public let tree: ObjectID
    public let parents: [ObjectID]
    public let author: Identity
    public let committer: Identity
    public let message: String
}

/// One file entry of a tree, flattened to its full path.
public struct TreeFile: Sendable, Equatable {
    public let path: String
    public let id: ObjectID
    public let mode: UInt32
}

/// A bare git repository opened through libgit2 (`.lineage/` of a lineage repository).
public final class GitRepository {
    let handle: Managed<OpaquePointer>
    public let path: String
    /// Set while `holdingWrites` runs: new objects go to a scratch directory until it returns.
    var holdsWrites = false

    private init(_ pointer: OpaquePointer, path: String) {
        handle = Managed(pointer, free: git_repository_free)
        self.path = path
    }

    /// Creates a bare repository whose HEAD names `refs/heads/<branch>` (`git_repository_init_ext`).
    public static func createBare(at path: String, initialBranch: String = "main") throws -> GitRepository {
        Libgit2.ensure()
        var options = git_repository_init_options()
        try GitError.check(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)), "git_repository_init_options_init")
        options.flags = GIT_REPOSITORY_INIT_BARE.rawValue | GIT_REPOSITORY_INIT_MKPATH.rawValue | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
        var out: OpaquePointer?
        try initialBranch.withCString { branch in
            options.initial_head = branch
            try GitError.check(git_repository_init_ext(&out, path, &options), "git_repository_init_ext")
        }
        return GitRepository(out!, path: path)
    }

    /// Opens an existing bare repository (`git_repository_open_bare`).
    public static func open(at path: String) throws -> GitRepository {
        Libgit2.ensure()
        var out: OpaquePointer?
        try GitError.check(git_repository_open_bare(&out, path), "git_repository_open_bare")
        return GitRepository(out!, path: path)
    }

    // MARK: blobs

    /// Writes a blob and returns its id; writing an existing blob is a no-op (`git_blob_create_from_buffer`).
    public func writeBlob(_ bytes: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        try bytes.withUnsafeBytes { buf in
            try GitError.check(git_blob_create_from_buffer(&oid, handle.pointer, buf.baseAddress, buf.count), "git_blob_create_from_buffer")
        }
        return ObjectID(oid)
    }

    /// Reads a blob's bytes; the object is re-hashed by libgit2 on read (`git_blob_lookup`).
    public func readBlob(_ id: ObjectID) throws -> [UInt8] {
        var oid = id.raw
        var blob: OpaquePointer?
        try GitError.check(git_blob_lookup(&blob, handle.pointer, &oid), "git_blob_lookup")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    /// True when the object database holds `id` (`git_odb_exists`).
    public func contains(_ id: ObjectID) -> Bool {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, handle.pointer) == 0 else { return false }
        defer { git_odb_free(odb) }
        var oid = id.raw
        return git_odb_exists(odb, &oid) == 1
    }

    // MARK: trees

    /// Every tracked file below a tree, with full `/`-separated paths, sorted by path. The record
    /// directory (`RecordTree.directory`) is not a tracked file and is left out; see `records(inTree:)`.
    public func files(inTree id: ObjectID) throws -> [TreeFile] {
        var out: [TreeFile] = []
        try collect(tree: id, prefix: "", skipReserved: true, into: &out)
        return out.sorted { $0.path.bytesPrecede($1.path) }
    }

    func collect(tree id: ObjectID, prefix: String, skipReserved: Bool, into out: inout [TreeFile]) throws {
        var oid = id.raw
        var tree: OpaquePointer?
        try GitError.check(git_tree_lookup(&tree, handle.pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(tree) }
        let count = git_tree_entrycount(tree)
        for i in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, i) else { continue }
            let raw = git_tree_entry_name(entry)!
            let nameBytes = UnsafeRawBufferPointer(start: raw, count: strlen(raw))
            // A name that is not UTF-8 would be silently renamed by `String` (bytes become U+FFFD):
            // such a tree was not written by lineage, and nothing in it is trusted to a file name.
            guard TrackedPath.isValidUTF8(nameBytes) else {
                throw GitError(code: .other(-1), function: "tree \(id.hex)",
                               message: "holds the name '\(prefix.isEmpty ? "" : prefix + "/")\(TrackedPath.escaped(nameBytes))', which is not UTF-8; lineage writes UTF-8 names only, so this history was made or altered outside lineage")
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if skipReserved && prefix.isEmpty && name == RecordTree.directory { continue }
            let child = ObjectID(git_tree_entry_id(entry)!)
            let path = prefix.isEmpty ? name : prefix + "/" + name
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE: try collect(tree: child, prefix: path, skipReserved: skipReserved, into: &out)
            case GIT_OBJECT_BLOB: out.append(TreeFile(path: path, id: child, mode: git_tree_entry_filemode_raw(entry).rawValue))
            default: continue
            }
        }
    }

    /// The id of the blob at `path` in a tree, or nil when there is none (`git_tree_entry_bypath`).
    public func entry(inTree id: ObjectID, path: String) throws -> ObjectID? {
        var oid = id.raw
        var tree: OpaquePointer?
        try GitError.check(git_tree_lookup(&tree, handle.pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        let rc = git_tree_entry_bypath(&entry, tree, path)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(rc, "git_tree_entry_bypath")
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
        return ObjectID(git_tree_entry_id(entry)!)
    }

    // MARK: commits

    public func commit(_ id: ObjectID) throws -> CommitInfo {
        var oid = id.raw
        var commit: OpaquePointer?
        try GitError.check(git_commit_lookup(&commit, handle.pointer, &oid), "git_commit_lookup")
        defer { git_commit_free(commit) }
        var parents: [ObjectID] = []
        for i in 0..<git_commit_parentcount(commit) {
            parents.append(ObjectID(git_commit_parent_id(commit, i)!))
        }
        return CommitInfo(
            id: id, tree: ObjectID(git_commit_tree_id(commit)!), parents: parents,
            author: Identity(git_commit_author(commit)!), committer: Identity(git_commit_committer(commit)!),
            message: git_commit_message(commit).map { String(cString: $0) } ?? "")
    }

    /// Builds the commit object's text (`git_commit_create_buffer`), lets `sign` return an armored
    /// signature for exactly those bytes (or nil for none), and writes the object
    /// (`git_commit_create_with_signature`). No reference moves; see `updateBranch`.
    public func createCommit(tree: ObjectID, parents: [ObjectID], author: Identity, committer: Identity,
                             message: String, sign: (([UInt8]) throws -> String?)? = nil) throws -> ObjectID {
        var treeOid = tree.raw
        var treePtr: OpaquePointer?
        try GitError.check(git_tree_lookup(&treePtr, handle.pointer, &treeOid), "git_tree_lookup")
        defer { git_tree_free(treePtr) }
        var parentPtrs: [OpaquePointer?] = []
        defer { parentPtrs.forEach { git_commit_free($0) } }
        for p in parents {
            var oid = p.raw
            var c: OpaquePointer?
            try GitError.check(git_commit_lookup(&c, handle.pointer, &oid), "git_commit_lookup")
            parentPtrs.append(c)
        }
        let authorSig = try author.gitSignature()
        defer { git_signature_free(authorSig) }
        let committerSig = try committer.gitSignature()
        defer { git_signature_free(committerSig) }
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        try parentPtrs.withUnsafeMutableBufferPointer { ptrs in
            try ptrs.baseAddress!.withMemoryRebound(to: OpaquePointer?.self, capacity: max(ptrs.count, 1)) { base in
                try GitError.check(git_commit_create_buffer(&buf, handle.pointer, authorSig, committerSig, nil, message,
                                                            treePtr, ptrs.count, parents.isEmpty ? nil : base), "git_commit_create_buffer")
            }
        }
        let content = Array(UnsafeRawBufferPointer(start: buf.ptr, count: buf.size))
        let signature = try sign?(content)
        var out = git_oid()
        try GitError.check(git_commit_create_with_signature(&out, handle.pointer, buf.ptr, signature, nil), "git_commit_create_with_signature")
        return ObjectID(out)
    }

    // MARK: references

    /// The branch HEAD names (`refs/heads/main`), whether or not it exists yet.
    public func headBranchRef() throws -> String {
        var ref: OpaquePointer?
        try GitError.check(git_reference_lookup(&ref, handle.pointer, "HEAD"), "git_reference_lookup")
        defer { git_reference_free(ref) }
        if let target = git_reference_symbolic_target(ref) { return String(cString: target) }
        return "HEAD"
    }

    /// The commit HEAD points at, or nil before the first commit.
    public func head() throws -> ObjectID? {
        var oid = git_oid()
        let rc = git_reference_name_to_id(&oid, handle.pointer, "HEAD")
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EUNBORNBRANCH.rawValue { return nil }
        try GitError.check(rc, "git_reference_name_to_id")
        return ObjectID(oid)
    }

    /// Moves `refName` to `id` only if it still points at `expected` (nil: must not exist yet).
    /// libgit2 holds the reference's lock file during the update (`git_reference_create_matching`).
    public func updateReference(_ refName: String, to id: ObjectID, expected: ObjectID?, message: String) throws {
        var target = id.raw
        var ref: OpaquePointer?
        if var old = expected?.raw {
            try GitError.check(git_reference_create_matching(&ref, handle.pointer, refName, &target, 1, &old, message), "git_reference_create_matching")
        } else {
            try GitError.check(git_reference_create(&ref, handle.pointer, refName, &target, 0, message), "git_reference_create")
        }
        git_reference_free(ref)
    }

    /// Local branch names, without `refs/heads/`.
    public func branches() throws -> [String] {
        var names = git_strarray()
        try GitError.check(git_reference_list(&names, handle.pointer), "git_reference_list")
        defer { git_strarray_dispose(&names) }
        var out: [String] = []
        for i in 0..<names.count {
            let name = String(cString: names.strings[i]!)
            if name.hasPrefix("refs/heads/") { out.append(String(name.dropFirst(11))) }
        }
        return out.sorted()
    }

    /// Every reference's target commit (branches, tags, `refs/lineage/*`), for reachability walks.
    public func referenceTargets() throws -> [ObjectID] {
        try allReferences().compactMap(\.id)
    }

    // MARK: revisions

    /// Resolves a revision (`HEAD`, `HEAD~2`, a branch, a full or unique-prefix id) to a commit (`git_revparse_single`).
    public func resolveCommit(_ spec: String) throws -> ObjectID {
        var object: OpaquePointer?
        try GitError.check(git_revparse_single(&object, handle.pointer, spec), "git_revparse_single")
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        try GitError.check(git_object_peel(&peeled, object, GIT_OBJECT_COMMIT), "git_object_peel")
        defer { git_object_free(peeled) }
        return ObjectID(git_object_id(peeled)!)
    }

    /// Commits reachable from `starts`, newest first (topological, then time order; `git_revwalk`).
    public func walk(from starts: [ObjectID]) throws -> [ObjectID] { try walk(from: starts, hiding: []) }

    /// Opens the staging index stored at `indexPath` (a git index file) for this repository.
    public func openIndex(at indexPath: String) throws -> StagingIndex {
        try StagingIndex(repository: self, path: indexPath)
    }
}

extension Identity {
    init(_ sig: UnsafePointer<git_signature>) {
        let s = sig.pointee
        self.init(name: String(cString: s.name), email: String(cString: s.email), time: s.when.time, offsetMinutes: s.when.offset)
    }

    func gitSignature() throws -> UnsafeMutablePointer<git_signature> {
        var out: UnsafeMutablePointer<git_signature>?
        try GitError.check(git_signature_new(&out, name, email, time, offsetMinutes), "git_signature_new")
        return out!
    }
}

extension GitRepository {
    /// Points HEAD at a branch (`git_repository_set_head`).
    public func setHead(symbolic refName: String) throws {
        try GitError.check(git_repository_set_head(handle.pointer, refName), "git_repository_set_head")
    }

    /// Detaches HEAD at a commit (`git_repository_set_head_detached`).
    public func setHead(detachedAt id: ObjectID) throws {
        var oid = id.raw
        try GitError.check(git_repository_set_head_detached(handle.pointer, &oid), "git_repository_set_head_detached")
    }
}
