import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LineageCore
import LineageGit
import LineageGraph
import LineageStore

/// The state of one tracked path: staged (index against HEAD) and in the working directory (file against index).
public struct FileStatus: Codable, Sendable, Equatable {
    public enum Staged: String, Codable, Sendable { case new, modified, deleted, unchanged }
    /// `unreadable`: the file is there but could not be read (permissions, I/O), so whether it
    /// changed is not known — never guessed as `modified`.
    /// `notFetched`: the file is absent and so are its bytes (a partial clone or pull): nothing changed.
    public enum Worktree: String, Codable, Sendable { case modified, deleted, unchanged, untracked, unreadable, notFetched = "not-fetched" }
    public let path: String
    public let staged: Staged
    public let worktree: Worktree
    /// Why the file could not be read (only with `worktree == .unreadable`).
    public var reason: String? = nil
}

public struct StatusResult: Codable, Sendable {
    /// `refs/heads/main`-style name, or nil when HEAD is detached.
    public var branch: String?
    public var head: String?
    public var files: [FileStatus] = []
    /// Files re-hashed because stat could not prove them unchanged (for diagnostics and benchmarks).
    public var rehashed: Int = 0

    public var isClean: Bool { files.allSatisfy { $0.staged == .unchanged && ($0.worktree == .unchanged || $0.worktree == .notFetched) } }
}

extension Repository {
    /// Compares HEAD, the staging index and the working directory.
    ///
    /// Unchanged files are recognised from the stat cache (size, mtime ns, ctime ns, inode) without
    /// reading them; a file whose timestamps are too close to when it was hashed is re-hashed.
    public func status(progress: ProgressReporter = SilentProgress()) throws -> StatusResult {
        var result = StatusResult()
        let clock = PhaseClock("status")
        let headRef = try git.headBranchRef()
        result.branch = headRef == "HEAD" ? nil : headRef.replacingOccurrences(of: "refs/heads/", with: "")
        let head = try headCommit()
        result.head = head?.hex
        let snapshot = try stagedSnapshot()
        let staged = snapshot.entries
        let lineageIndex = try openLineageIndex()
        clock.mark("staging index")
        // When the staging index is byte-identical to one recorded as equal to HEAD's tree, every
        // staged file is unchanged against HEAD and the tree need not be read.
        let headTree = try head.map { try git.commit($0).tree }
        let indexIsHead = headTree != nil && lineageIndex.meta(Repository.cleanIndexKey) == "\(snapshot.checksum) \(headTree!.hex)"
        let headFiles = indexIsHead ? [:] : try head.map { try files(ofCommit: $0) } ?? [:]
        let stagedPaths = indexIsHead ? [] : Set(staged.map { PathKey($0.path) })
        clock.mark("head tree")
        // Every file is stat'ed on all cores while the stat cache loads on one of them. The cache is
        // matched to the staged entries by merging two lists sorted by path bytes, not through a
        // dictionary: no hashing of 100,000s of paths. A path the merge misses is only re-hashed.
        /// Thread safety: written only by the side task, read after every worker has joined.
        final class CacheBox: @unchecked Sendable { var rows: [CachedFile?] = [] }
        let loaded = CacheBox()
        let paths = staged.map(\.path)
        let database = lineageIndex
        let stats = statFiles(staged) {
            loaded.rows = (try? database.cachedFiles(alignedTo: paths)) ?? Array(repeating: nil, count: paths.count)
        }
        let cache = loaded.rows
        clock.mark("stat files, cache load")
        var cacheUpdates: [(path: String, file: CachedFile)] = []
        for (n, entry) in staged.enumerated() {
            let stagedState: FileStatus.Staged
            if indexIsHead { stagedState = .unchanged }
            else if let h = headFiles[PathKey(entry.path)] { stagedState = h == entry.id ? .unchanged : .modified } else { stagedState = .new }
            let worktree: FileStatus.Worktree
            if let st = stats[n], st.isRegularFile {
                if let cached = cache[n], cached.isValid(for: st), let pointer = cached.pointer, entry.id.isEqual(toHex: pointer) {
                    worktree = .unchanged
                } else {
                    let absolute = root + "/" + entry.path
                    let recorded = currentTimeNs()
                    let expected = try pointer(entry.id)
                    let actual: Digest
                    if let cached = cache[n], cached.isValid(for: st) {
                        actual = cached.sha256
                    } else {
                        let digest: Digest
                        do { digest = try hashFile(absolute) } catch let LineageError.unreadable(_, why) {
                            result.files.append(FileStatus(path: entry.path, staged: stagedState, worktree: .unreadable, reason: why))
                            continue
                        }
                        actual = digest
                        result.rehashed += 1
                    }
                    worktree = (actual == expected.sha256 && st.size == expected.size) ? .unchanged : .modified
                    let after = FileStat.lstat(absolute) ?? st
                    cacheUpdates.append((entry.path, CachedFile(stat: after, sha256: actual,
                                                                pointer: worktree == .unchanged ? entry.id.hex : nil, recordedNs: recorded)))
                }
            } else if stats[n] == nil, let p = try? pointer(entry.id), !hasContent(p) {
                worktree = .notFetched
            } else {
                worktree = .deleted
            }
            result.files.append(FileStatus(path: entry.path, staged: stagedState, worktree: worktree))
            if n % 4096 == 0 { progress.update(phase: "Checking", done: UInt64(n), total: UInt64(staged.count), unit: .items) }
        }
        let stagedCount = result.files.count
        for key in headFiles.keys where !stagedPaths.contains(key) {
            let path = key.string
            let exists = FileStat.lstat(root + "/" + path) != nil
            result.files.append(FileStatus(path: path, staged: .deleted, worktree: exists ? .untracked : .deleted))
        }
        progress.finish()
        // Staged entries come in the index's path order; only files deleted from the index need placing.
        if result.files.count > stagedCount { result.files.sort { $0.path.bytesPrecede($1.path) } }
        clock.mark("compare")
        try? lineageIndex.updateCache(cacheUpdates)
        return result
    }

    /// Meta key of the (staging index checksum, tree) pair known to be equal.
    static let cleanIndexKey = "clean-index"

    /// `lstat` of every staged file (nil where there is none), on every core: threads take
    /// 1,024 files at a time. One thread first runs `alongside` (loading the stat cache), then
    /// joins in. Paths come sorted, so a directory's files are consecutive: each directory is
    /// opened once per batch and its files stat'ed relative to it (the kernel walks one name, not
    /// the whole path).
    private func statFiles(_ staged: [TreeFile], alongside: @Sendable () -> Void) -> [FileStat?] {
        let count = staged.count
        let buffer = UnsafeMutableBufferPointer<FileStat?>.allocate(capacity: max(count, 1))
        buffer.initialize(repeating: nil)
        defer { buffer.deallocate() }
        nonisolated(unsafe) let base = buffer.baseAddress!
        let root = self.root
        let batches = BatchCounter(count: count, batch: 1024)
        let threads = max(2, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            if w == 1 { alongside() }
            var directory: Substring? = nil
            var directoryFD: Int32 = -1
            defer { if directoryFD >= 0 { close(directoryFD) } }
            while let range = batches.next() {
                directory = nil
                for i in range {
                    let path = staged[i].path
                    let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))
                    let dir = slash.map { Substring(path.utf8[..<$0]) } ?? ""
                    if dir != directory {
                        if directoryFD >= 0 { close(directoryFD) }
                        directoryFD = Glibc.open(dir.isEmpty ? root : root + "/" + dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                        directory = dir
                    }
                    let name = slash.map { String(Substring(path.utf8[path.utf8.index(after: $0)...])) } ?? path
                    base[i] = directoryFD >= 0 ? FileStat.lstat(in: directoryFD, name) : FileStat.lstat(root + "/" + path)
                }
            }
        }
        return Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// SHA-256 of a file, streamed.
    func hashFile(_ path: String) throws -> Digest {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LineageError.unreadable(path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var builder = DigestBuilder()
        let size = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, size)
            if n < 0 { if errno == EINTR { continue }; throw LineageError.unreadable(path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            builder.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return builder.finalize()
    }
}

/// Hands out consecutive index ranges to worker threads.
private final class BatchCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var at = 0
    private let count: Int
    private let batch: Int

    init(count: Int, batch: Int) { self.count = count; self.batch = batch }

    func next() -> Range<Int>? {
        lock.lock()
        defer { lock.unlock() }
        guard at < count else { return nil }
        let start = at
        at = min(count, at + batch)
        return start..<at
    }
}
