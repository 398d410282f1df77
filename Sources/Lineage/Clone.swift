import Foundation
import LineageCore
import LineageGit
import LineageStore

public struct CloneResult: Codable, Sendable {
    public let root: String
    public let remote: String
    public let url: String
    public let branch: String
    public let commit: String
    /// The first commit of the history, now pinned, and who signed it.
    public let trustRoot: RootSigner
    public let contentLocation: String?
    /// Whether the working files were written (false with `--no-content`, or when the bytes could not be fetched).
    public var filesWritten = 0
    /// Files whose bytes were left on the remote (`clone -- <paths>`).
    public var notFetched = 0
    public var contentFetched = false
    public var commitsVerified = 0
}

extension Repository {
    /// `lineage clone <git-url> [dir]`: a new repository in `dir` holding the remote's lineage
    /// history, every commit verified. The first commit certifies itself, so its signer must be
    /// accepted: `trustRoot` (`SHA256:...`) must be its key's fingerprint, or `confirm` (a question
    /// on a terminal) must say yes; the accepted root is pinned in `.lineage/config`
    /// (`lineage.trustroot`), and later fetches must descend from it. The remote is added as
    /// `origin`; the branch (`main` when the remote has it) is checked out, with its bytes unless
    /// `noContent`. On any failure the directory is removed again (or emptied, when it existed).
    public static func clone(url: String, into directory: String? = nil, cwd: String, trustRoot: String? = nil,
                             noContent: Bool = false, paths: [String] = [], jobs: Int = 8, confirm: (([RootSigner]) -> Bool)? = nil,
                             transfer: ContentTransfer? = nil, ssh: SSHSettings = .fromEnvironment(),
                             progress: ProgressReporter = SilentProgress()) throws -> CloneResult {
        let normalized = try normalizedURL(url, cwd: cwd)
        if let trustRoot, !trustRoot.hasPrefix("SHA256:") {
            throw LineageError.invalidArgument("--trust-root '\(trustRoot)' is not a key fingerprint — give it as SHA256:... (what `ssh-keygen -lf KEY.pub` prints)")
        }
        let name = directory ?? defaultCloneDirectory(for: normalized)
        let target = name.hasPrefix("/") ? name : URL(fileURLWithPath: name, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
        let fm = FileManager.default
        var created = false
        if fm.fileExists(atPath: target) {
            guard ((try? fm.contentsOfDirectory(atPath: target)) ?? ["?"]).isEmpty else { throw RemoteFailure.destinationNotEmpty(target) }
        } else {
            do { try fm.createDirectory(atPath: target, withIntermediateDirectories: true) } catch {
                throw LineageError.unreadable(target, reason: "cannot create the directory: \(error.localizedDescription)")
            }
            created = true
        }
        func undo() {
            if created { try? fm.removeItem(atPath: target) }
            else { for e in (try? fm.contentsOfDirectory(atPath: target)) ?? [] { try? fm.removeItem(atPath: target + "/" + e) } }
        }
        do {
            let repo = try initialize(at: target)
            repo.transferJobs = max(1, jobs)
            let result = try repo.cloneInto(url: normalized, trustRoot: trustRoot, noContent: noContent, paths: paths, confirm: confirm,
                                            transfer: transfer, ssh: ssh, progress: progress)
            return result
        } catch {
            undo()
            throw error
        }
    }

    static func defaultCloneDirectory(for url: String) -> String {
        var last = url
        while last.hasSuffix("/") { last.removeLast() }
        if let slash = last.lastIndex(where: { $0 == "/" || $0 == ":" }) { last = String(last[last.index(after: slash)...]) }
        for suffix in [".git", ".lineage"] where last.hasSuffix(suffix) && last.count > suffix.count { last.removeLast(suffix.count) }
        return last.isEmpty ? "lineage-clone" : last
    }

    private func cloneInto(url: String, trustRoot: String?, noContent: Bool, paths: [String], confirm: (([RootSigner]) -> Bool)?,
                           transfer: ContentTransfer?, ssh: SSHSettings, progress: ProgressReporter) throws -> CloneResult {
        try remoteAdd(name: "origin", url: url, cwd: root)
        var accepted: RootSigner? = nil
        let fetched: FetchResult = try withWriteLock {
            try fetchVerified(try remote("origin"), force: false, ssh: ssh) { roots in
                guard roots.count == 1 else { throw RemoteFailure.severalRoots(url: url, roots: roots.map(\.id.hex)) }
                let signer = try self.rootSigner(roots[0].id)
                if let trustRoot {
                    guard signer.fingerprint == trustRoot else { throw RemoteFailure.trustRootMismatch(url: url, given: trustRoot, signers: [signer.summary]) }
                } else {
                    guard let confirm, confirm([signer]) else { throw RemoteFailure.rootNotConfirmed(url: url, signers: [signer.summary]) }
                }
                try self.pinRoot(signer)
                accepted = signer
            }
        }
        guard let signer = accepted else {
            throw LineageError.damagedRepository("the fetched history has no first commit")
        }
        let branch = fetched.branches.first(where: { $0.branch == "main" }) ?? fetched.branches[0]
        guard let tip = ObjectID(hex: branch.new) else { throw LineageError.damagedRepository("bad commit id \(branch.new)") }
        let location = try contentLocation(inCommit: tip)
        if let location { try GitConfig.open(path: layout.configFile).set("remote.origin.lineagecontent", location) }
        let origin = try remote("origin")
        // The local branch, HEAD, the trust file and the staging index follow the fetched tip.
        try withWriteLock {
            try git.updateReference("refs/heads/" + branch.branch, to: tip, expected: nil, message: "lineage clone")
            try git.setHead(symbolic: "refs/heads/" + branch.branch)
            let trust = try trustText(ofCommit: tip) ?? ""
            try AtomicFile.write(Array(trust.utf8), to: trustFile)
            // lineage.yaml is recorded in every commit, not tracked as a file: without it here the
            // next commit would run no hooks and record its removal.
            if let config = try recordBytes(ProjectConfig.recordPath, ofCommit: tip), !config.isEmpty {
                try AtomicFile.write(config, to: root + "/" + ProjectConfig.fileName)
            }
            let index = try openIndex()
            try index.reset(toTree: try git.commit(tip).tree)
            try index.write()
        }
        var result = CloneResult(root: root, remote: "origin", url: url, branch: branch.branch, commit: tip.hex, trustRoot: signer,
                                 contentLocation: origin.effectiveContent, commitsVerified: fetched.commitsVerified)
        guard !noContent else { return result }
        if let mover = try transfer ?? contentTransfer(for: origin, progress: progress) {
            // `clone -- <paths>`: bytes only there; the other files stay not fetched (partial content).
            let prefixes = try paths.map { p -> String in
                let cleaned = p.hasPrefix("./") ? String(p.dropFirst(2)) : p
                do { return try TrackedPath(cleaned.hasSuffix("/") ? String(cleaned.dropLast()) : cleaned).string } catch {
                    throw LineageError.invalidArgument("'\(p)': \(error) — name paths as the history tracks them, e.g. data/train.csv")
                }
            }
            if !prefixes.isEmpty {
                let tracked = try git.files(inTree: try git.commit(tip).tree).map(\.path)
                for prefix in prefixes where !tracked.contains(where: { $0.isPath(within: prefix) }) {
                    throw LineageError.notTracked(prefix, suggestions: closest(prefix, among: tracked))
                }
            }
            try withWriteLock {
                try fetchContent(ofCommit: tip, using: mover, only: prefixes.isEmpty ? nil : { path in prefixes.contains { path.isPath(within: $0) } })
            }
            let checkout = try self.checkout(branch.branch, cwd: root, force: true, progress: progress)
            result.filesWritten = checkout.written.count
            result.notFetched = checkout.notFetched.count
            result.contentFetched = true
        }
        return result
    }

    /// Copies into the local store the bytes of every file of a commit that are not here yet:
    /// chunk lists first, then the chunks they name. Erased versions are skipped.
    /// `only`: just the files it accepts (partial content).
    func fetchContent(ofCommit id: ObjectID, using mover: ContentTransfer, only: ((String) -> Bool)? = nil) throws {
        let tree = try git.commit(id).tree
        let erased = try erasures(inTree: tree)
        let files = try git.files(inTree: tree).filter { only?($0.path) ?? true }
        var lists = Set<Digest>()
        for f in files {
            let p = try pointer(f.id)
            if erased[p.sha256] == nil && !store.contains(p.chunks) { lists.insert(p.chunks) }
        }
        if !lists.isEmpty { try mover.download(lists.sorted(), into: store) }
        var chunks = Set<Digest>()
        for f in files {
            let p = try pointer(f.id)
            guard erased[p.sha256] == nil else { continue }
            for e in try store.chunkList(p.chunks).entries where !store.contains(e.digest) { chunks.insert(e.digest) }
        }
        if !chunks.isEmpty { try mover.download(chunks.sorted(), into: store) }
    }
}
