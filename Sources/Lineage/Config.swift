import Foundation
import LineageGit

extension Repository {
    /// Reads a key of `.lineage/config` (git config format).
    /// `user.signingkey` is the user's own, kept outside the repository (see `userSettingsFile`).
    public func config(get key: String) throws -> String? {
        if Repository.perUserKeys.contains(key) { return userSetting(key) }
        return try GitConfig.open(path: layout.configFile).string(key)
    }

    /// Sets a key of `.lineage/config`; libgit2 rewrites the file under its lock.
    public func config(set key: String, value: String) throws {
        guard key.contains("."), !key.hasPrefix("."), !key.hasSuffix(".") else {
            throw LineageError.invalidArgument("'\(key)' is not a configuration key — keys look like section.name, e.g. user.name")
        }
        if Repository.perUserKeys.contains(key) {
            try setUserSetting(key, value)
            // A value an older version left in .lineage/config is dropped: it would travel with copies.
            try withWriteLock { try GitConfig.open(path: layout.configFile).unset(key) }
            return
        }
        try withWriteLock { try GitConfig.open(path: layout.configFile).set(key, value) }
    }

    public func config(unset key: String) throws {
        if Repository.perUserKeys.contains(key) {
            try setUserSetting(key, nil)
            try withWriteLock { try GitConfig.open(path: layout.configFile).unset(key) }
            return
        }
        try withWriteLock { try GitConfig.open(path: layout.configFile).unset(key) }
    }
}
