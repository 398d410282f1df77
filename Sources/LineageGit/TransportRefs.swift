internal import CLibGit2
import LineageCore

/// Reference and graph queries the remote and branch verbs need (fetch quarantine, fast-forward checks, merge bases).
extension GitRepository {
    /// Every reference by name, with the commit id it holds (nil when it cannot be read as one).
    func allReferences() throws -> [(name: String, id: ObjectID?)] {
        var names = git_strarray()
        try GitError.check(git_reference_list(&names, handle.pointer), "git_reference_list")
        defer { git_strarray_dispose(&names) }
        var out: [(String, ObjectID?)] = []
        for i in 0..<names.count {
            var oid = git_oid()
            let ok = git_reference_name_to_id(&oid, handle.pointer, names.strings[i]) == 0
            out.append((String(cString: names.strings[i]!), ok ? ObjectID(oid) : nil))
        }
        return out
    }

    /// Every reference whose name starts with `prefix`, with the commit it points at (`git_reference_list`).
    public func references(withPrefix prefix: String) throws -> [(name: String, id: ObjectID)] {
        try allReferences().compactMap { r in r.name.hasPrefix(prefix) ? r.id.map { (r.name, $0) } : nil }.sorted { $0.0 < $1.0 }
    }

    /// True when `name` may name a local branch (`git_branch_name_is_valid`: no `..`, no spaces,
    /// no leading `-`, no `.lock` ending, ...).
    public static func isValidBranchName(_ name: String) -> Bool {
        var valid: Int32 = 0
        return git_branch_name_is_valid(&valid, name) == 0 && valid == 1
    }

    /// References whose value cannot be read as an object id (a damaged or hand-edited ref file).
    public func unresolvedReferences() throws -> [String] {
        try allReferences().filter { $0.id == nil }.map(\.name).sorted()
    }

    /// The commit a reference points at, or nil when it does not exist.
    public func referenceTarget(_ name: String) throws -> ObjectID? {
        var oid = git_oid()
        let rc = git_reference_name_to_id(&oid, handle.pointer, name)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(rc, "git_reference_name_to_id")
        return ObjectID(oid)
    }

    /// Deletes a reference; one that is already gone is not an error (`git_reference_remove`).
    public func deleteReference(_ name: String) throws {
        let rc = git_reference_remove(handle.pointer, name)
        if rc == GIT_ENOTFOUND.rawValue { return }
        try GitError.check(rc, "git_reference_remove")
    }

    /// True when `ancestor` is `commit` or one of its ancestors (`git_graph_descendant_of`).
    public func isAncestor(_ ancestor: ObjectID, of commit: ObjectID) throws -> Bool {
        if ancestor == commit { return true }
        var a = commit.raw, b = ancestor.raw
        return try GitError.check(git_graph_descendant_of(handle.pointer, &a, &b), "git_graph_descendant_of") == 1
    }

    /// The best common ancestor of two commits, or nil when their histories never meet (`git_merge_base`).
    public func mergeBase(_ a: ObjectID, _ b: ObjectID) throws -> ObjectID? {
        var out = git_oid()
        var x = a.raw, y = b.raw
        let rc = git_merge_base(&out, handle.pointer, &x, &y)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(rc, "git_merge_base")
        return ObjectID(out)
    }

    /// Commits reachable from `starts` but not from `hiding`, newest first (`git_revwalk_hide`).
    /// Hidden commits missing from the object database are skipped.
    public func walk(from starts: [ObjectID], hiding: [ObjectID]) throws -> [ObjectID] {
        var walker: OpaquePointer?
        try GitError.check(git_revwalk_new(&walker, handle.pointer), "git_revwalk_new")
        defer { git_revwalk_free(walker) }
        try GitError.check(git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue), "git_revwalk_sorting")
        for s in starts {
            var oid = s.raw
            try GitError.check(git_revwalk_push(walker, &oid), "git_revwalk_push")
        }
        for h in hiding where contains(h) {
            var oid = h.raw
            try GitError.check(git_revwalk_hide(walker, &oid), "git_revwalk_hide")
        }
        var out: [ObjectID] = []
        var oid = git_oid()
        while true {
            let rc = git_revwalk_next(&oid, walker)
            if rc == GIT_ITEROVER.rawValue { break }
            try GitError.check(rc, "git_revwalk_next")
            out.append(ObjectID(oid))
        }
        return out
    }
}

extension GitConfig {
    /// Every `name = value` whose name matches the regular expression (`git_config_iterator_glob_new`),
    /// names in git's lower-case canonical form (subsections keep their case).
    public func entries(matching regexp: String) throws -> [(name: String, value: String)] {
        var iterator: OpaquePointer?
        try GitError.check(git_config_iterator_glob_new(&iterator, handle.pointer, regexp), "git_config_iterator_glob_new")
        defer { git_config_iterator_free(iterator) }
        var out: [(String, String)] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while git_config_next(&entry, iterator) == 0, let e = entry {
            out.append((String(cString: e.pointee.name), String(cString: e.pointee.value)))
        }
        return out
    }

    /// Removes every key of a section or subsection (`remote.origin`), as `git remote remove` does.
    public func removeSection(prefix: String) throws {
        for (name, _) in try entries(matching: "^" + NSRegularExpressionEscape(prefix) + "\\.") {
            try unset(name)
        }
    }
}

/// Escapes the characters a POSIX regular expression gives meaning to.
func NSRegularExpressionEscape(_ text: String) -> String {
    var out = ""
    for c in text {
        if "\\^$.|?*+()[]{}".contains(c) { out.append("\\") }
        out.append(c)
    }
    return out
}
