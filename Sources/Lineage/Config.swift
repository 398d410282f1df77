import Foundation
import LineageGit

extension Repository {
    /// Reads a key of `.lineage/config` (git config format).
    public func config(get key: String) throws -> String? {
        try GitConfig.open(path: layout.configFile).string(key)
    }

    /// Sets a key of `.lineage/config`; libgit2 rewrites the file under its lock.
    public func config(set key: String, value: String) throws {
        guard key.contains("."), !key.hasPrefix("."), !key.hasSuffix(".") else {
            throw LineageError.invalidArgument("'\(key)' is not a configuration key — keys look like section.name, e.g. user.name")
        }
        try withWriteLock { try GitConfig.open(path: layout.configFile).set(key, value) }
    }

    public func config(unset key: String) throws {
        try withWriteLock { try GitConfig.open(path: layout.configFile).unset(key) }
    }
}
