import Foundation
import LineageCore
import LineageGit
import LineageSigning
import LineageStore

extension Repository {
    /// Creates `.lineage/` in `directory`. Everything is built in a temporary sibling directory and
    /// renamed into place last, so an interrupted init leaves no half-made repository.
    ///
    /// Every commit is signed, so init also arranges a signing key and trusts it: the key configured
    /// (git's `user.signingkey`) when it can sign now — ssh-agent holds it, or it is an Ed25519 key
    /// file (a passphrase, if any, is asked at the first commit) — otherwise the user's lineage key
    /// under `$XDG_CONFIG_HOME/lineage/keys/`, created on first use.
    @discardableResult
    public static func initialize(at directory: String, gitignore: Bool = true) throws -> Repository {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        if let existing = findRoot(from: root) { throw LineageError.alreadyARepository(existing) }
        let fm = FileManager.default
        if fm.fileExists(atPath: root + "/.lineage") {
            throw LineageError.invalidArgument("\(root)/.lineage exists but is not a lineage repository — move it away and rerun `lineage init`")
        }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw LineageError.notFound(root, suggestions: [])
        }
        var report: InitReport? = nil
        let temp = root + "/.lineage.init-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: temp)
        do {
            let git = try GitRepository.createBare(at: temp, initialBranch: "main")
            _ = git
            try ContentStore.create(at: temp + "/content")
            let config = try GitConfig.open(path: temp + "/config")
            try config.set("lineage.formatVersion", String(formatVersion))
            try config.set(repositoryIDKey, UUID().uuidString.lowercased())
            if !gitignore { try config.set(gitignoreSetting, "false") }
            try AtomicFile.write(Array("\(formatVersion)\n".utf8), to: temp + "/format")
            let signer = arrangeSigningKey(config: config)
            if let key = signer.key {
                var trust = AllowedSigners()
                try trust.add(principal: signer.principal, key: key)
                try AtomicFile.write(Array(trust.serialized().utf8), to: temp + "/" + trustRecord)
            }
            report = InitReport(root: root, keyPath: signer.path, keyCreated: signer.created, principal: signer.key == nil ? nil : signer.principal,
                                fingerprint: signer.key?.fingerprint, keyProblem: signer.problem)
            guard rename(temp, root + "/.lineage") == 0 else {
                throw LineageError.unreadable(root, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? fm.removeItem(atPath: temp)
            if let e = error as? LineageError { throw e }
            throw LineageError.unreadable(root, reason: "cannot create .lineage: \(error)")
        }
        let repository = try open(from: root)
        // The key choice is this user's, kept outside the repository (a copy must not carry it).
        if let path = report?.keyPath, report?.fingerprint != nil, path == SigningKeys.defaultKeyPath() {
            try repository.setUserSetting("user.signingkey", path)
        }
        // nil when the project is not inside a git work tree: there is no block to keep then.
        if gitignore, (try? repository.updateGitignore()) != nil {
            report?.gitignore = root + "/.gitignore"
        }
        repository.initReport = report
        return repository
    }

    /// The key a new repository will be signed with, and the principal it is trusted as.
    private static func arrangeSigningKey(config: GitConfig) -> (key: SSHPublicKey?, path: String?, created: Bool, principal: String, problem: String?) {
        let global = GitConfig.userDefault()
        let email = (try? global?.string("user.email")) ?? nil
        let principal: String
        if let email, (try? AllowedSigners.validatePrincipal(email)) != nil { principal = email }
        else {
            let user = (ProcessInfo.processInfo.environment["USER"] ?? "lineage").filter { $0.isLetter || $0.isNumber || "._-".contains($0) }
            principal = (user.isEmpty ? "lineage" : user) + "@" + ProcessInfo.processInfo.hostName.filter { $0.isLetter || $0.isNumber || ".-".contains($0) }
        }
        if let configured = (try? global?.string("user.signingkey")) ?? nil,
           let spec = try? SigningKeySpec.parse(configured, cwd: FileManager.default.currentDirectoryPath),
           let key = try? spec.publicKey() {
            let inAgent = (try? SSHAgent()?.holds(key)) == true
            let ed25519File = key.algorithm == .ed25519 && spec.privateKeyFile.map { FileManager.default.fileExists(atPath: $0) } == true
            if inAgent || ed25519File {
                if case .file(let path) = spec { return (key, path, false, principal, nil) }
                return (key, nil, false, principal, nil)
            }
        }
        let path = SigningKeys.defaultKeyPath()
        do {
            var created = false
            if !FileManager.default.fileExists(atPath: path) {
                do { try SigningKeys.generate(at: path, comment: principal); created = true }
                catch { if !FileManager.default.fileExists(atPath: path) { throw error } }  // another init made it first
            }
            // Only the public half is needed now (a passphrase, if the key has one, is asked when signing).
            return (try SSHPrivateKey.publicKey(ofFile: path), path, created, principal, nil)
        } catch {
            return (nil, nil, false, principal, "\(error)")
        }
    }
}
