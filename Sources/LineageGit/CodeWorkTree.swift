internal import CLibGit2
import Foundation
import LineageCore

/// The git work tree of the user's code that encloses a lineage project, for what lineage keeps
/// beside it: which files git already tracks (never hidden from git), and code revisions named by
/// the user (`log --code <rev>`).
public final class CodeWorkTree {
    private let handle: Managed<OpaquePointer>
    /// The work tree's absolute path, without a trailing slash.
    public let workdir: String

    private init(handle: Managed<OpaquePointer>, workdir: String) { self.handle = handle; self.workdir = workdir }

    /// The non-bare repository enclosing `directory` (searching upward), or nil when there is none.
    public static func enclosing(_ directory: String) throws -> CodeWorkTree? {
        Libgit2.ensure()
        return try discover(from: directory).map { CodeWorkTree(handle: $0.handle, workdir: $0.workdir) }
    }

    /// The non-bare repository enclosing `directory` (`git_repository_open_ext`) and its work tree
    /// without a trailing slash; nil when there is none or it has no work tree.
    static func discover(from directory: String) throws -> (handle: Managed<OpaquePointer>, workdir: String)? {
        var out: OpaquePointer?
        let rc = git_repository_open_ext(&out, directory, 0, nil)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(rc, "git_repository_open_ext")
        let handle = Managed<OpaquePointer>(out!, free: { git_repository_free($0) })
        guard git_repository_is_bare(handle.pointer) == 0, let dir = git_repository_workdir(handle.pointer) else { return nil }
        var workdir = String(cString: dir)
        while workdir.count > 1 && workdir.hasSuffix("/") { workdir.removeLast() }
        return (handle, workdir)
    }

    /// The paths (relative to the work tree) among `paths` that git's index holds.
    public func tracked(_ paths: [String]) throws -> Set<PathKey> {
        var index: OpaquePointer?
        try GitError.check(git_repository_index(&index, handle.pointer), "git_repository_index")
        defer { git_index_free(index) }
        var out: Set<PathKey> = []
        for p in paths where git_index_get_bypath(index, p, 0) != nil { out.insert(PathKey(p)) }
        return out
    }

    /// The full commit id a revision of the code repository names (`HEAD~2`, a tag, a short id).
    public func resolveCommit(_ spec: String) throws -> String {
        var object: OpaquePointer?
        let rc = git_revparse_single(&object, handle.pointer, spec)
        guard rc == 0 else { throw GitError(rc: rc, function: "git_revparse_single") }
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try GitError.check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "git_object_peel")
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit)!).hex
    }
}
