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
            let index = try openIndex()
            let staged = index.entries
            var result = AddResult()
            var toIngest: [(path: String, stat: FileStat)] = []
            var removals: [String] = []
            var seen = Set<String>()

            for (argument, r) in zip(arguments, resolved) {
                let prefix = r.relative
                let stagedBelow = staged.filter { prefix.isEmpty || $0.path == prefix || $0.path.hasPrefix(prefix + "/") }
                guard let st = r.stat else {
                    if stagedBelow.isEmpty {
                        throw LineageError.notFound(argument, suggestions: closest(prefix, among: staged.map(\.path)))
                    }
                    removals += stagedBelow.map(\.path)
                    continue
                }
                if st.isDirectory {
                    let files = try walkFiles(under: prefix, skipped: &result.skipped)
                    let present = Set(files)
                    removals += stagedBelow.map(\.path).filter { !present.contains($0) }
                    for f in files where seen.insert(f).inserted {
                        guard let fst = FileStat.lstat(root + "/" + f) else { continue }
                        toIngest.append((f, fst))
                    }
                } else if st.isRegularFile {
                    _ = try TrackedPath(prefix)
                    if seen.insert(prefix).inserted { toIngest.append((prefix, st)) }
                } else {
                    throw LineageError.notAFile(argument)
                }
            }
            for p in removals { _ = try TrackedPath(p) }

            let lineageIndex = try openLineageIndex()
            let cache = (try? lineageIndex.cachedFiles()) ?? [:]
            let stagedByPath = Dictionary(staged.map { ($0.path, $0.id) }, uniquingKeysWith: { a, _ in a })

            // Files whose stat matches the cache and whose cached pointer is already staged need no reading.
            var work: [(path: String, stat: FileStat, previous: ObjectID?)] = []
            for item in toIngest {
                let previous = stagedByPath[item.path]
                if let cached = cache[item.path], cached.isValid(for: item.stat), let prev = previous,
                   cached.pointer == prev.hex, kind == nil || (try? pointer(prev).kind) == kind {
                    result.files.append(AddedFile(path: item.path, status: .unchanged, size: item.stat.size, sha256: cached.sha256, kind: nil))
                    continue
                }
                work.append((item.path, item.stat, previous))
            }

            let totalBytes = work.reduce(UInt64(0)) { $0 + $1.stat.size }
            var doneBytes: UInt64 = 0
            let writer = try store.beginWrite()
            let batch: BlobBatch
            var staging: [(path: String, id: ObjectID, size: UInt64)] = []
            var cacheUpdates: [(path: String, file: CachedFile)] = []
            do {
                batch = try BlobBatch(repository: git)
                for item in work {
                    let recorded = currentTimeNs()
                    let ingested: IngestResult
                    do {
                        ingested = try store.ingest(file: root + "/" + item.path, into: writer) { n in
                            progress.update(phase: "Adding", done: doneBytes + n, total: totalBytes, unit: .bytes)
                        }
                    } catch let e as StoreError {
                        throw Repository.mapIngestError(e, path: item.path)
                    }
                    doneBytes += item.stat.size
                    result.newBytes += ingested.newBytes
                    var fileKind = kind ?? ArtifactKind.guess(path: item.path)
                    if kind == nil, let prev = item.previous, let old = try? pointer(prev) { fileKind = old.kind }
                    let p = Pointer(size: ingested.size, sha256: ingested.sha256, chunks: ingested.chunkListDigest,
                                    kind: fileKind, mediaType: MediaType.guess(path: item.path))
                    let id = try batch.write(try p.encoded())
                    if id == item.previous {
                        result.files.append(AddedFile(path: item.path, status: .unchanged, size: p.size, sha256: p.sha256, kind: nil))
                    } else {
                        result.files.append(AddedFile(path: item.path, status: item.previous == nil ? .new : .modified,
                                                      size: p.size, sha256: p.sha256, kind: fileKind))
                    }
                    staging.append((item.path, id, p.size))
                    let after = FileStat.lstat(root + "/" + item.path) ?? item.stat
                    cacheUpdates.append((item.path, CachedFile(stat: after, sha256: p.sha256, pointer: id.hex, recordedNs: recorded)))
                }
                try writer.finish()
                try batch.commit()
            } catch {
                writer.abandon()
                throw error
            }
            progress.finish()

            for s in staging { try index.add(path: s.path, id: s.id, size: s.size) }
            for p in Set(removals) {
                try index.remove(path: p)
                result.files.append(AddedFile(path: p, status: .removed, size: nil, sha256: nil, kind: nil))
            }
            if !staging.isEmpty || !removals.isEmpty { try index.write() }
            // The stat cache is only a cache: failing to update it costs a re-hash later, never correctness.
            try? lineageIndex.updateCache(cacheUpdates, removed: removals)
            result.files.sort { $0.path < $1.path }
            return result
        }
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
