internal import CLibGit2
import Crypto
import Foundation
import LineageCore

extension CodeVersion {
    /// The state of the git work tree that encloses `directory`, read through libgit2 (no `git` process).
    ///
    /// Searches upward from `directory` (`git_repository_open_ext`); returns nil when there is no
    /// repository or the one found is bare. `excluding` names path prefixes, relative to the work
    /// tree or absolute (e.g. the lineage `.lineage` directory), whose untracked files are neither
    /// listed nor walked.
    ///
    /// - `commit`: HEAD's id, nil on an unborn branch; `branch`: nil when HEAD is detached.
    /// - `remoteURL`: `origin`'s URL (else the first remote's by name) as configured, before any
    ///   `insteadOf` rewriting, without user names and passwords for http(s), and without
    ///   passwords for other schemes.
    /// - `dirty`: a tracked file differs from HEAD in the index or the work tree.
    /// - `diffSHA256`: SHA-256 of the patch libgit2 writes for HEAD against the work tree through the
    ///   index, the bytes `git diff HEAD --no-renames --full-index --no-color` prints with git's
    ///   default configuration (full ids keep the digest independent of the repository's size;
    ///   libgit2 runs no textconv or external diff drivers); nil when not dirty.
    /// - `untracked`: untracked, non-ignored files (inside untracked directories too), sorted by
    ///   their UTF-8 bytes, at most `maxUntracked`; `untrackedTruncated` says more existed.
    public static func capture(from directory: String, excluding prefixes: [String], maxUntracked: Int = 1000) throws -> CodeVersion? {
        Libgit2.ensure()
        guard let repo = try CodeRepository.open(searchingFrom: directory) else { return nil }
        let head = try repo.headState()
        let patch = try repo.patchAgainstHead(commit: head.commit)
        let excluded = prefixes.compactMap(repo.relativePrefix)
        let untracked = try repo.untrackedFiles(excluding: excluded)
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let limit = max(0, maxUntracked)
        return CodeVersion(
            remoteURL: try repo.remoteURL().map(CodeRepository.strippingCredentials),
            commit: head.commit?.hex,
            branch: head.branch,
            dirty: patch != nil,
            diffSHA256: patch.map { Digest(SHA256.hash(data: $0)) },
            untracked: Array(untracked.prefix(limit)),
            untrackedTruncated: untracked.count > limit)
    }
}

/// A non-bare repository opened for reading the state of its work tree.
private struct CodeRepository {
    let handle: Managed<OpaquePointer>
    /// The work tree's absolute path, without a trailing slash.
    let workdir: String

    /// Discovers the repository enclosing `directory` (`git_repository_open_ext`); nil when there is
    /// none, or when it has no work tree.
    static func open(searchingFrom directory: String) throws -> CodeRepository? {
        try CodeWorkTree.discover(from: directory).map { CodeRepository(handle: $0.handle, workdir: $0.workdir) }
    }

    /// HEAD's commit (nil when the branch is unborn) and branch short name (nil when detached).
    func headState() throws -> (commit: ObjectID?, branch: String?) {
        var ref: OpaquePointer?
        try GitError.check(git_reference_lookup(&ref, handle.pointer, "HEAD"), "git_reference_lookup")
        defer { git_reference_free(ref) }
        var branch: String? = nil
        if git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC, let target = git_reference_symbolic_target(ref) {
            let name = String(cString: target)
            branch = name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : name
        }
        var oid = git_oid()
        let rc = git_reference_name_to_id(&oid, handle.pointer, "HEAD")
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EUNBORNBRANCH.rawValue { return (nil, branch) }
        try GitError.check(rc, "git_reference_name_to_id")
        return (ObjectID(oid), branch)
    }

    /// The patch text of HEAD's tree against the work tree through the index
    /// (`git_diff_tree_to_workdir_with_index` + `git_diff_to_buf`), or nil when nothing differs.
    ///
    /// Full 40-hex `index` lines (`id_abbrev`) keep the bytes independent of the repository's size:
    /// git's default abbreviation grows with the number of objects, which would change the digest of
    /// an unchanged diff. Renames are not detected (libgit2's similarity metric is not git's), so a
    /// rename reads as a deletion plus an addition, as with `git diff --no-renames`.
    func patchAgainstHead(commit: ObjectID?) throws -> [UInt8]? {
        let tree = try commit.map(treeOf)
        defer { if let tree { git_tree_free(tree) } }
        var options = git_diff_options()
        try GitError.check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        options.id_abbrev = 40
        var diff: OpaquePointer?
        try GitError.check(git_diff_tree_to_workdir_with_index(&diff, handle.pointer, tree, &options),
                           "git_diff_tree_to_workdir_with_index")
        defer { git_diff_free(diff) }
        guard git_diff_num_deltas(diff) > 0 else { return nil }
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        try GitError.check(git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH), "git_diff_to_buf")
        guard let ptr = buf.ptr, buf.size > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: ptr, count: buf.size))
    }

    /// The tree of a commit (`git_commit_lookup` + `git_commit_tree`); the caller frees it.
    private func treeOf(_ id: ObjectID) throws -> OpaquePointer {
        var oid = id.raw
        var commit: OpaquePointer?
        try GitError.check(git_commit_lookup(&commit, handle.pointer, &oid), "git_commit_lookup")
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try GitError.check(git_commit_tree(&tree, commit), "git_commit_tree")
        return tree!
    }

    /// The configured URL of `origin`, else of the first remote by name (`git_remote_list`,
    /// `remote.<name>.url` read from a config snapshot); nil when there is none. The value is read
    /// as written, before `url.<base>.insteadOf` rewriting, which names local mirrors rather than
    /// where the code comes from.
    func remoteURL() throws -> String? {
        var names = git_strarray()
        try GitError.check(git_remote_list(&names, handle.pointer), "git_remote_list")
        defer { git_strarray_dispose(&names) }
        var all: [String] = []
        for i in 0..<names.count { if let n = names.strings[i] { all.append(String(cString: n)) } }
        guard !all.isEmpty else { return nil }
        var config: OpaquePointer?
        try GitError.check(git_repository_config_snapshot(&config, handle.pointer), "git_repository_config_snapshot")
        defer { git_config_free(config) }
        let ordered = (all.contains("origin") ? ["origin"] : []) + all.filter { $0 != "origin" }.sorted()
        for name in ordered {
            if let url = try configString(config, "remote.\(name).url") { return url }
        }
        return nil
    }

    /// A configuration value (`git_config_get_string` on a snapshot); nil when it is not set.
    private func configString(_ config: OpaquePointer?, _ key: String) throws -> String? {
        var value: UnsafePointer<CChar>?
        let rc = git_config_get_string(&value, config, key)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(rc, "git_config_get_string")
        return value.map { String(cString: $0) }
    }

    /// Untracked, non-ignored files (and nested repositories, as `dir/`) relative to the work tree,
    /// unsorted, skipping everything under `excluded`.
    ///
    /// First a status without recursion names untracked files and whole untracked directories
    /// (libgit2 stops at the first file that proves a directory is not ignored). Untracked
    /// directories are then listed recursively by a second status limited to them, except that a
    /// directory holding an excluded prefix is opened here level by level, so that excluded trees
    /// (a content store with many objects) are never walked.
    func untrackedFiles(excluding excluded: [String]) throws -> [String] {
        var files: [String] = []
        var directories: [String] = []
        for path in try untrackedStatus(limitedTo: [], recursive: false) {
            let bare = path.hasSuffix("/") ? String(path.dropLast()) : path
            if CodeRepository.isExcluded(bare, by: excluded) { continue }
            if path.hasSuffix("/") { directories.append(bare) } else { files.append(path) }
        }
        var pathlist: [String] = []
        for dir in directories { try expand(dir, excluded: excluded, into: &pathlist) }
        if !pathlist.isEmpty {
            for path in try untrackedStatus(limitedTo: pathlist, recursive: true) {
                let bare = path.hasSuffix("/") ? String(path.dropLast()) : path
                if !CodeRepository.isExcluded(bare, by: excluded) { files.append(path) }
            }
        }
        return files
    }

    /// Adds `dir` to `pathlist` when no excluded prefix lies below it; otherwise adds its children,
    /// recursing into child directories.
    private func expand(_ dir: String, excluded: [String], into pathlist: inout [String]) throws {
        guard excluded.contains(where: { $0.hasPrefix(dir + "/") }) else {
            pathlist.append(dir + "/")
            return
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workdir + "/" + dir)) ?? []
        for name in names {
            let child = dir + "/" + name
            if CodeRepository.isExcluded(child, by: excluded) { continue }
            var isDir: ObjCBool = false
            let absolute = workdir + "/" + child
            let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: absolute)) != nil
            if !isLink, FileManager.default.fileExists(atPath: absolute, isDirectory: &isDir), isDir.boolValue {
                try expand(child, excluded: excluded, into: &pathlist)
            } else {
                pathlist.append(child)
            }
        }
    }

    /// Paths of work-tree entries with status `GIT_STATUS_WT_NEW` (`git_status_list_new`), optionally
    /// limited to literal paths (files, or directories ending in `/`).
    private func untrackedStatus(limitedTo paths: [String], recursive: Bool) throws -> [String] {
        var options = git_status_options()
        try GitError.check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
        options.show = GIT_STATUS_SHOW_WORKDIR_ONLY
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        if recursive { options.flags |= GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue }
        if !paths.isEmpty { options.flags |= GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH.rawValue }
        return try withCStringArray(paths) { strings in
            options.pathspec = strings
            var list: OpaquePointer?
            try GitError.check(git_status_list_new(&list, handle.pointer, &options), "git_status_list_new")
            defer { git_status_list_free(list) }
            var out: [String] = []
            for i in 0..<git_status_list_entrycount(list) {
                guard let entry = git_status_byindex(list, i),
                      entry.pointee.status.rawValue & GIT_STATUS_WT_NEW.rawValue != 0,
                      let delta = entry.pointee.index_to_workdir,
                      let path = delta.pointee.new_file.path else { continue }
                out.append(String(cString: path))
            }
            return out
        }
    }

    /// Calls `body` with a `git_strarray` viewing `strings` (empty: no strings).
    private func withCStringArray<T>(_ strings: [String], _ body: (git_strarray) throws -> T) throws -> T {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeMutableBufferPointer { buffer in
            try body(git_strarray(strings: strings.isEmpty ? nil : buffer.baseAddress, count: strings.count))
        }
    }

    /// `prefix` as a work-tree-relative path without `./` or trailing `/`; nil when it names the whole
    /// tree. An absolute prefix is made relative to the work tree (nil when it lies outside it).
    func relativePrefix(_ prefix: String) -> String? {
        var p = prefix
        if p.hasPrefix("/") {
            let real = { (path: String) in URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
            if p.hasPrefix(workdir + "/") {
                p.removeFirst(workdir.count + 1)
            } else if real(p).hasPrefix(real(workdir) + "/") {
                p = String(real(p).dropFirst(real(workdir).count + 1))
            } else {
                return nil
            }
        }
        while p.hasPrefix("./") { p.removeFirst(2) }
        while p.hasSuffix("/") { p.removeLast() }
        return p.isEmpty || p == "." ? nil : p
    }

    static func isExcluded(_ path: String, by excluded: [String]) -> Bool {
        excluded.contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    /// Removes credentials from a remote URL: the whole user-info part for http and https
    /// (`https://user:token@host/x` and `https://token@host/x` become `https://host/x`), only the
    /// password for other schemes (`ssh://git@host/x` is kept). scp-like `git@host:org/repo` and
    /// local paths are returned unchanged.
    static func strippingCredentials(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return url }
        let userInfo = authority[..<at]
        let host = authority[authority.index(after: at)...]
        let prefix = String(url[..<schemeEnd.upperBound])
        let tail = String(rest[authorityEnd...])
        if scheme == "http" || scheme == "https" {
            return prefix + host + tail
        }
        let user = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return prefix + (user.isEmpty ? "" : user + "@") + host + tail
    }
}
