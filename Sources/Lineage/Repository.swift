import Foundation
import LineageCore
import LineageGit
import LineageGraph
import LineageStore

/// Where everything of a lineage repository lives. Generated layouts in the README come from here.
public struct RepositoryLayout: Sendable {
    /// The working directory root (the directory holding `.lineage`).
    public let root: String
    public var dotLineage: String { root + "/.lineage" }
    public var content: String { dotLineage + "/content" }
    public var formatFile: String { dotLineage + "/format" }
    public var stagingIndex: String { dotLineage + "/index" }
    public var indexDatabase: String { dotLineage + "/index.sqlite" }
    public var lockFile: String { dotLineage + "/lock" }
    public var configFile: String { dotLineage + "/config" }

    public init(root: String) { self.root = root }

    public func absolute(_ path: TrackedPath) -> String { root + "/" + path.string }
}

/// An open lineage repository: the facade every verb hangs off, each verb in its own file.
/// Thread safety: the layout and store are shared safely (the store locks its pack list); the
/// libgit2 handle `git` is used by one thread at a time — parallel work opens a handle per worker
/// (verify, history checks); `warn`, `transferJobs` and `initReport` are set before work starts.
public final class Repository: @unchecked Sendable {
    /// The store format this build writes and the newest it reads.
    public static let formatVersion = 1

    public let layout: RepositoryLayout
    let git: GitRepository
    let store: ContentStore
    /// What `initialize(at:)` did about signing (nil for repositories opened otherwise).
    public internal(set) var initReport: InitReport?
    /// Parallel transfers to and from content remotes (`-j/--jobs`).
    public var transferJobs = 8
    /// Warnings for the user (e.g. a rebuilt index); the CLI prints them on stderr.
    public var warn: (String) -> Void = { _ in }

    public var root: String { layout.root }

    init(layout: RepositoryLayout, git: GitRepository, store: ContentStore) {
        self.layout = layout; self.git = git; self.store = store
    }

    /// Opens the repository whose working directory contains `directory` (searching upward like git).
    public static func open(from directory: String) throws -> Repository {
        guard let found = findRoot(from: directory) else { throw LineageError.notARepository(directory) }
        // Paths are compared against the real root, so a project reached through a link still works.
        let layout = RepositoryLayout(root: realPath(found) ?? found)
        try checkFormat(layout)
        let git: GitRepository
        do { git = try GitRepository.open(at: layout.dotLineage) } catch {
            throw LineageError.damagedRepository("cannot open the history in \(layout.dotLineage): \(error)")
        }
        let store: ContentStore
        do { store = try ContentStore(directory: layout.content) } catch let e as StoreError {
            // The system refusing to read (EIO, EACCES) is not damage: say so as the store does.
            if case .io = e { throw e }
            throw LineageError.damagedRepository("cannot open the content store in \(layout.content): \(e)")
        } catch {
            throw LineageError.damagedRepository("cannot open the content store in \(layout.content): \(error)")
        }
        return Repository(layout: layout, git: git, store: store)
    }

    /// The nearest directory at or above `directory` that holds a `.lineage/format` file.
    static func findRoot(from directory: String) -> String? {
        var dir = URL(fileURLWithPath: directory).standardizedFileURL.path
        while true {
            if FileManager.default.fileExists(atPath: dir + "/.lineage/format") { return dir }
            if dir == "/" || dir.isEmpty { return nil }
            dir = (dir as NSString).deletingLastPathComponent
        }
    }

    static func checkFormat(_ layout: RepositoryLayout) throws {
        guard let data = FileManager.default.contents(atPath: layout.formatFile),
              let text = String(data: data, encoding: .utf8),
              let version = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw LineageError.damagedRepository("\(layout.formatFile) is missing or unreadable")
        }
        if version > formatVersion { throw LineageError.newerFormat(found: version, supported: formatVersion) }
    }

    // MARK: shared plumbing for the verbs

    /// Holds the repository write lock for the duration of `body`; a second writer waits briefly, then fails.
    func withWriteLock<T>(_ body: () throws -> T) throws -> T {
        let lock = try RepositoryLock.acquire(path: layout.lockFile, timeout: 3)
        defer { lock.release() }
        // Whatever a killed writer left is cleaned by the next one (see InterruptedWork.swift).
        try recoverInterruptedWork()
        return try body()
    }

    /// The staging index. A damaged file is an error naming it (not "run verify": it is not history);
    /// a missing one after the first commit is rebuilt from HEAD's tree and written back, so a deleted
    /// index never reads as "every file deleted".
    func openIndex() throws -> StagingIndex {
        let existed = FileStat.lstat(layout.stagingIndex) != nil
        let index: StagingIndex
        do { index = try git.openIndex(at: layout.stagingIndex) } catch let e as GitError {
            throw LineageError.damagedStagingIndex(layout.stagingIndex, detail: e.message)
        }
        if !existed, let head = try headCommit() {
            try index.reset(toTree: try git.commit(head).tree)
            // Written at once (lock file and rename, as every index write), so this is said once.
            if (try? index.write()) != nil {
                warn("the staging index \(layout.stagingIndex) was missing; rebuilt it from HEAD (\(head.hex.prefix(12))) — anything staged since that commit must be added again")
            }
        }
        return index
    }

    /// The staged entries and the staging index's checksum, for reading only: parsed directly
    /// when the file is in the plain form lineage writes, else through libgit2.
    func stagedSnapshot() throws -> (entries: [TreeFile], checksum: String) {
        if let s = IndexFileSnapshot.read(path: layout.stagingIndex) { return (s.entries, s.checksum) }
        let index = try openIndex()
        return (index.entries, index.checksum)
    }

    func openLineageIndex() throws -> LineageIndex { try LineageIndex(path: layout.indexDatabase, warn: warn) }

    /// The commit HEAD points at, or nil before the first commit.
    func headCommit() throws -> ObjectID? { try git.head() }

    /// Tracked files of a commit's tree, by path (keyed by bytes: canonically equivalent names are two files).
    func files(ofCommit id: ObjectID) throws -> [PathKey: ObjectID] {
        let files = try git.files(inTree: try git.commit(id).tree)
        var out: [PathKey: ObjectID] = [:]
        out.reserveCapacity(files.count)
        for f in files { out[PathKey(f.path)] = f.id }
        return out
    }

    /// Files of HEAD's tree, or none before the first commit.
    func headFiles() throws -> [PathKey: ObjectID] {
        guard let head = try headCommit() else { return [:] }
        return try files(ofCommit: head)
    }

    /// Reads and decodes a pointer blob.
    func pointer(_ id: ObjectID) throws -> Pointer {
        let bytes = try git.readBlob(id)
        do { return try Pointer.decode(bytes) } catch {
            throw LineageError.damagedRepository("pointer blob \(id.hex) is not a valid pointer: \(error)")
        }
    }

    /// The identity commits are made as: `.lineage/config` first, then the user's git configuration.
    func identity(now: Int64) throws -> Identity {
        let local = try GitConfig.open(path: layout.configFile)
        let global = GitConfig.userDefault()
        func value(_ key: String) -> String? {
            if let v = try? local.string(key), !v.isEmpty { return v }
            if let v = try? global?.string(key), !v.isEmpty { return v }
            return nil
        }
        guard let name = value("user.name"), let email = value("user.email") else { throw LineageError.identityMissing }
        let offset = Int32(TimeZone.current.secondsFromGMT() / 60)
        return Identity(name: name, email: email, time: now, offsetMinutes: offset)
    }
}

/// Milliseconds-free current time in whole seconds.
func nowSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }
