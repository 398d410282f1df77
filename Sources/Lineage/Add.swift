import Foundation
import LineageCore
import LineageGit
import LineageGraph
import LineageStore

/// One path `lineage add` looked at.
public struct AddedFile: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case new, modified, unchanged, removed }
    public let path: String
    public let status: Status
    public let size: UInt64?
    public let sha256: Digest?
    public let kind: ArtifactKind?
}

public struct AddResult: Codable, Sendable {
    public var files: [AddedFile] = []
    /// Links and special files found in directories and passed over.
    public var skipped: [String] = []
    /// Bytes the content store did not have before.
    public var newBytes: UInt64 = 0
    /// Set when the `.gitignore` block could not be rewritten (the add itself succeeded).
    public var gitignoreProblem: String? = nil
}

extension ArtifactKind {
    /// A kind guessed from a file name when `--kind` is not given.
    public static func guess(path: String) -> ArtifactKind {
        let lower = path.lowercased()
        let ext = lower.split(separator: ".").last.map(String.init) ?? ""
        switch ext {
        case "csv", "tsv", "jsonl", "ndjson", "parquet", "arrow", "feather", "npy", "npz", "h5", "hdf5", "tfrecord", "avro", "orc":
            return .dataset
        case "pt", "pth", "onnx", "safetensors", "ckpt", "pkl", "joblib", "gguf", "pb", "tflite", "mlmodel", "keras":
            return .model
        case "py", "ipynb", "r", "jl", "sql", "sh", "swift":
            return .code
        default:
            if lower.hasSuffix("requirements.txt") || lower.hasSuffix("environment.yml") || lower.hasSuffix("pip-freeze.txt") { return .environment }
            return .other
        }
    }
}

extension Repository {
    /// Stages files and directories: their bytes go to the content store, a pointer per file to the
    /// staging index. A tracked path that no longer exists is staged for removal.
    ///
    /// Nothing is visible until every file has been read: chunks go to a new pack, pointers to an
    /// in-memory git pack, and only then are both made durable and the staging index rewritten. An
    /// error (or a kill) before that leaves the repository exactly as it was.
    public func add(_ arguments: [String], cwd: String, kind: ArtifactKind? = nil,
                    progress: ProgressReporter = SilentProgress()) throws -> AddResult {
        guard !arguments.isEmpty else { throw LineageError.invalidArgument("nothing to add — name the files or directories to track") }
        let cwdReal = realPath(cwd) ?? cwd
        let resolved = try arguments.map { try resolve($0, cwd: cwdReal) }
        return try withWriteLock {
            let clock = PhaseClock("add")
            let index = try openIndex()
            let staged = index.entries
            var result = AddResult()
            var toIngest: [(path: String, stat: FileStat)] = []
            var removals: [String] = []
            var seen = Set<PathKey>()

            // The staged entries in byte order, so that those below an argument are found by binary
            // search (a filter per argument made `run -i dir` over many files quadratic).
            let sortedStaged = staged.sorted { $0.path.bytesPrecede($1.path) }
            func firstIndex(notBefore key: String) -> Int {
                var lo = 0, hi = sortedStaged.count
                while lo < hi { let mid = (lo + hi) / 2; if sortedStaged[mid].path.bytesPrecede(key) { lo = mid + 1 } else { hi = mid } }
                return lo
            }
            /// The entries `isPath(within:)` selects: the path itself, then everything below `path/`
            /// (between "path/" and "path0", '0' being the byte after '/').
            func stagedWithin(_ directory: String) -> [TreeFile] {
                if directory.isEmpty { return sortedStaged }
                let d = directory.utf8.last == 0x2F ? String(directory.dropLast()) : directory
                var out: [TreeFile] = []
                let exact = firstIndex(notBefore: d)
                if exact < sortedStaged.count, sortedStaged[exact].path.utf8.elementsEqual(d.utf8) { out.append(sortedStaged[exact]) }
                out += sortedStaged[firstIndex(notBefore: d + "/")..<firstIndex(notBefore: d + "0")]
                return out
            }

            for (argument, r) in zip(arguments, resolved) {
                let prefix = r.relative
                // Files not fetched here (partial content) are absent by design, not deleted.
                let below = stagedWithin(prefix)
                let stagedBelow = below.filter { !isNotFetched($0.path, pointerID: $0.id) }
                guard let st = r.stat else {
                    if stagedBelow.isEmpty && !below.isEmpty {
                        throw LineageError.invalidArgument("'\(argument)' is tracked but not fetched here (its bytes are on the remote); `lineage checkout HEAD -- \(prefix)` fetches it — nothing was staged")
                    }
                    if stagedBelow.isEmpty {
                        throw LineageError.notFound(argument, suggestions: closest(prefix, among: staged.map(\.path)))
                    }
                    removals += stagedBelow.map(\.path)
                    continue
                }
                if st.isDirectory {
                    let files = try walkFiles(under: prefix, skipped: &result.skipped)
                    let present = Set(files.map(PathKey.init))
                    removals += stagedBelow.map(\.path).filter { !present.contains(PathKey($0)) }
                    for f in files where seen.insert(PathKey(f)).inserted {
                        guard let fst = FileStat.lstat(root + "/" + f) else { continue }
                        toIngest.append((f, fst))
                    }
                } else if st.isRegularFile {
                    _ = try TrackedPath(prefix)
                    if seen.insert(PathKey(prefix)).inserted { toIngest.append((prefix, st)) }
                } else {
                    throw LineageError.notAFile(argument)
                }
            }
            for p in removals { _ = try TrackedPath(p) }

            clock.mark("walk")
            let lineageIndex = try openLineageIndex()
            let cache = (try? lineageIndex.cachedFiles()) ?? [:]
            clock.mark("cache load")
            let stagedByPath = Dictionary(staged.map { (PathKey($0.path), $0.id) }, uniquingKeysWith: { a, _ in a })

            // Files whose stat matches the cache and whose cached pointer is already staged need no reading.
            var work: [(path: String, stat: FileStat, previous: ObjectID?)] = []
            for item in toIngest {
                let previous = stagedByPath[PathKey(item.path)]
                if let cached = cache[PathKey(item.path)], cached.isValid(for: item.stat), let prev = previous,
                   cached.pointer == prev.hex, kind == nil || (try? pointer(prev).kind) == kind {
                    result.files.append(AddedFile(path: item.path, status: .unchanged, size: item.stat.size, sha256: cached.sha256, kind: nil))
                    continue
                }
                work.append((item.path, item.stat, previous))
            }

            // Kinds of files being re-added keep their old kind unless --kind says otherwise (read here,
            // on one thread, before the parallel part).
            var kinds: [PathKey: ArtifactKind] = [:]
            if kind == nil {
                for item in work { if let prev = item.previous, let old = try? pointer(prev) { kinds[PathKey(item.path)] = old.kind } }
            }
            let previousKinds = kinds
            let totalBytes = work.reduce(UInt64(0)) { $0 + $1.stat.size }
            let writer = try store.beginWrite()
            var staging: [(path: String, id: ObjectID, size: UInt64)] = []
            var cacheUpdates: [(path: String, file: CachedFile)] = []
            do {
                let batch = try BlobBatch(repository: git)
                let counter = ProgressCounter(progress, total: totalBytes)
                /// Stores one file and makes its pointer; safe to run on several threads at once.
                @Sendable func store(_ item: (path: String, stat: FileStat, previous: ObjectID?)) throws -> Staged {
                    let recorded = currentTimeNs()
                    let ingested: IngestResult
                    do {
                        ingested = try self.store.ingest(file: self.root + "/" + item.path, into: writer) { n in
                            counter.report(n, final: false)
                        }
                    } catch let e as StoreError {
                        throw Repository.mapIngestError(e, path: item.path)
                    }
                    counter.report(item.stat.size, final: true)
                    let fileKind = kind ?? previousKinds[PathKey(item.path)] ?? ArtifactKind.guess(path: item.path)
                    let p = Pointer(size: ingested.size, sha256: ingested.sha256, chunks: ingested.chunkListDigest,
                                    kind: fileKind, mediaType: MediaType.guess(path: item.path))
                    let id = try batch.write(try p.encoded())
                    return Staged(path: item.path, previous: item.previous, pointer: p, id: id, newBytes: ingested.newBytes,
                                  cache: CachedFile(stat: ingested.stat, sha256: p.sha256, pointer: id.hex, recordedNs: recorded))
                }
                // Files of one chunk are cheap to read but many: several at a time, one per core.
                // Larger files go one by one, each already read and hashed on two threads.
                let minSize = UInt64(ChunkerParameters.production.minSize)
                let items = work
                let small = items.indices.filter { items[$0].stat.size <= minSize }
                var outcomes = [Result<Staged, Error>?](repeating: nil, count: work.count)
                if !small.isEmpty {
                    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, small.count / 64))
                    let values = try parallelMap(small.count, workers: workers) { k, _ in try store(items[small[k]]) }
                    for (k, i) in small.enumerated() { outcomes[i] = .success(values[k]) }
                }
                for i in work.indices where outcomes[i] == nil { outcomes[i] = Result { try store(work[i]) } }
                for outcome in outcomes {
                    guard let staged = try outcome?.get() else { continue }
                    result.newBytes += staged.newBytes
                    let status: AddedFile.Status = staged.id == staged.previous ? .unchanged : staged.previous == nil ? .new : .modified
                    result.files.append(AddedFile(path: staged.path, status: status, size: staged.pointer.size,
                                                  sha256: staged.pointer.sha256, kind: status == .unchanged ? nil : staged.pointer.kind))
                    staging.append((staged.path, staged.id, staged.pointer.size))
                    cacheUpdates.append((staged.path, staged.cache))
                }
                clock.mark("ingest")
                killPoint("add-before-finish")
                try writer.finish()
                clock.mark("pack finish")
                try batch.commit()
                clock.mark("pointer pack")
            } catch {
                writer.abandon()
                throw error
            }
            progress.finish()

            for s in staging { try index.add(path: s.path, id: s.id, size: s.size) }
            var removedOnce = Set<PathKey>()
            for p in removals where removedOnce.insert(PathKey(p)).inserted {
                try index.remove(path: p)
                result.files.append(AddedFile(path: p, status: .removed, size: nil, sha256: nil, kind: nil))
            }
            if !staging.isEmpty || !removals.isEmpty {
                try index.write()
                // The data paths go into the .gitignore block so git does not show them.
                do { try updateGitignore() } catch { result.gitignoreProblem = "\(error)" }
            }
            clock.mark("staging index")
            // Maintenance, like git's auto gc: failing it loses nothing.
            _ = try? store.consolidate()
            // The stat cache is only a cache: failing to update it costs a re-hash later, never correctness.
            try? lineageIndex.updateCache(cacheUpdates, removed: removals)
            clock.mark("stat cache")
            result.files.sort { $0.path.bytesPrecede($1.path) }
            return result
        }
    }

    /// One file stored by `add`, before it is staged.
    struct Staged: Sendable {
        let path: String
        let previous: ObjectID?
        let pointer: Pointer
        let id: ObjectID
        let newBytes: UInt64
        let cache: CachedFile
    }

    static func mapIngestError(_ error: StoreError, path: String) -> Error {
        switch error {
        case .fileChanged:
            return LineageError.invalidArgument("'\(path)' changed while it was being added; nothing was staged — wait until whatever writes it is done and run `lineage add` again")
        default:
            return error
        }
    }
}

/// Adds up bytes finished by several threads and reports them to one (non thread-safe) reporter.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private let reporter: ProgressReporter
    private let total: UInt64
    private var finished: UInt64 = 0

    init(_ reporter: ProgressReporter, total: UInt64) { self.reporter = reporter; self.total = total }

    /// `bytes` of the current file so far, or (`final`) all of a finished file.
    func report(_ bytes: UInt64, final: Bool) {
        lock.withLock {
            if final { finished += bytes }
            reporter.update(phase: "Adding", done: final ? finished : finished + bytes, total: total, unit: .bytes)
        }
    }
}

/// Results written by index from several threads; the first failure tells the others to stop.
