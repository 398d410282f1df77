internal import CLibGit2

/// A git-format configuration file (`.lineage/config`), or the user's global git configuration.
public final class GitConfig {
    let handle: Managed<OpaquePointer>

    private init(_ pointer: OpaquePointer) { handle = Managed(pointer, free: git_config_free) }

    /// Opens (creating if absent) one configuration file (`git_config_open_ondisk`).
    public static func open(path: String) throws -> GitConfig {
        Libgit2.ensure()
        var out: OpaquePointer?
        try GitError.check(git_config_open_ondisk(&out, path), "git_config_open_ondisk")
        return GitConfig(out!)
    }

    /// The user's global/XDG/system git configuration (`git_config_open_default`), or nil if there is none.
    public static func userDefault() -> GitConfig? {
        Libgit2.ensure()
        var out: OpaquePointer?
        guard git_config_open_default(&out) == 0, let out else { return nil }
        return GitConfig(out)
    }

    public func string(_ key: String) throws -> String? {
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        let rc = git_config_get_string_buf(&buf, handle.pointer, key)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(rc, "git_config_get_string_buf")
        return String(cString: buf.ptr)
    }

    /// Sets a key; libgit2 rewrites the file under its lock (`git_config_set_string`).
    public func set(_ key: String, _ value: String) throws {
        try GitError.check(git_config_set_string(handle.pointer, key, value), "git_config_set_string")
    }

    public func unset(_ key: String) throws {
        let rc = git_config_delete_entry(handle.pointer, key)
        if rc == GIT_ENOTFOUND.rawValue { return }
        try GitError.check(rc, "git_config_delete_entry")
    }
}
