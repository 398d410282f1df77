import Foundation
import LineageGit

extension SigningKeys {
    /// `$XDG_CONFIG_HOME/lineage`, or `~/.config/lineage`: the user's own lineage settings and keys.
    public static func configDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/lineage" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.config/lineage"
    }
}

/// Settings that belong to the user, not to the repository: which key they sign with and which
/// command hooks they trusted to run. Nothing inside `.lineage/` can grant either, because
/// everything there travels with a copy (`tar`, `rsync`, a shared drive) to the next user.
///
/// They live in `<configDirectory>/repositories/<id>-<device>-<inode>.config` (git config format).
/// Why this key:
/// - the repository id alone (`lineage.repositoryid` in `.lineage/config`, random, made at init)
///   is copied along with the repository, so it cannot tell the original from a copy;
/// - the device and inode of the `.lineage` directory are not copied: `tar`, `rsync` and `cp -r`
///   make a new directory with a new inode, so a copy finds no settings and asks again, while
///   `mv` within a file system (same directory) keeps them;
/// - an inode number can be reused once a directory is deleted, so the id is part of the key
///   too: a different repository unpacked where a trusted one was deleted does not inherit it.
/// The absolute path was not used: moving a project would forget its settings, and a path says
/// nothing about whether the directory is the one the user trusted.
extension Repository {
    static let repositoryIDKey = "lineage.repositoryid"

    /// The per-user settings file of this repository, or nil when the repository has no id yet
    /// (made by an older version: `ensureRepositoryID` gives it one on the first per-user write).
    func userSettingsFile() -> String? {
        guard let id = (try? GitConfig.open(path: layout.configFile).string(Repository.repositoryIDKey)) ?? nil,
              !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return nil }
        var st = stat()
        guard stat(layout.dotLineage, &st) == 0 else { return nil }
        return SigningKeys.configDirectory() + "/repositories/\(id)-\(st.st_dev)-\(st.st_ino).config"
    }

    /// Gives a repository made by an older version its id. Call under the write lock.
    func ensureRepositoryID() throws -> String {
        let config = try GitConfig.open(path: layout.configFile)
        if let id = try config.string(Repository.repositoryIDKey), !id.isEmpty { return id }
        let id = UUID().uuidString.lowercased()
        try config.set(Repository.repositoryIDKey, id)
        return id
    }

    /// One of this user's settings for this repository.
    func userSetting(_ key: String) -> String? {
        guard let file = userSettingsFile(), FileManager.default.fileExists(atPath: file) else { return nil }
        return (try? GitConfig.open(path: file).string(key)) ?? nil
    }

    /// Sets (or with nil removes) one of this user's settings for this repository.
    func setUserSetting(_ key: String, _ value: String?) throws {
        try withWriteLock {
            _ = try ensureRepositoryID()
            guard let file = userSettingsFile() else {
                throw LineageError.unreadable(layout.dotLineage, reason: "cannot identify the repository for its per-user settings")
            }
            let dir = (file as NSString).deletingLastPathComponent
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
            catch { throw LineageError.unreadable(dir, reason: "cannot create the settings directory: \(error.localizedDescription)") }
            let config = try GitConfig.open(path: file)
            if let value {
                try config.set("repository.path", root)
                try config.set(key, value)
            } else {
                try config.unset(key)
            }
        }
    }

    /// Keys that are the user's own and never read from `.lineage/config`.
    static let perUserKeys: Set<String> = ["user.signingkey", "signing.program"]
}
