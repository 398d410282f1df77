import Foundation
import LineageCore
import LineageGit
import LineageStore

/// Where rights records live and how they move with commits.
///
/// A record is about one tracked path (a file, or a directory given to `add` as a whole) and names
/// the artifact version it describes. In a commit's tree it sits at
/// `.lineage/rights/<path>.json`. Records are carried forward like every record; when a path gets a
/// new version, the commit moves its record to the new digest (the facts describe where the data
/// came from, which a new version of the same dataset keeps) — `rights set` changes them. Records
/// staged by `add --meta/flags` wait in `.lineage/staged-rights.json` until the next commit.
extension Repository {
    static let rightsDirectory = "rights"

    static func rightsRecordPath(_ path: String) -> String { "\(rightsDirectory)/\(path).json" }

    var stagedRightsFile: String { layout.dotLineage + "/staged-rights.json" }

    /// Rights records of a commit's tree, by path.
    func rightsRecords(inTree tree: ObjectID) throws -> [PathKey: RightsRecord] {
        let prefix = Repository.rightsDirectory + "/"
        var out: [PathKey: RightsRecord] = [:]
        for file in try git.records(inTree: tree) where file.path.hasPrefix(prefix) && file.path.hasSuffix(".json") {
            do {
                let record = try RightsRecord.decode(try git.readBlob(file.id))
                out[PathKey(record.path)] = record
            } catch {
                throw LineageError.damagedRepository("rights record .lineage/\(file.path) is not valid: \(error)")
            }
        }
        return out
    }

    /// Rights records at HEAD (none before the first commit).
    func headRightsRecords() throws -> [PathKey: RightsRecord] {
        guard let head = try headCommit() else { return [:] }
        return try rightsRecords(inTree: try git.commit(head).tree)
    }

    /// Records waiting for the next commit.
    func stagedRights() throws -> [PathKey: RightsRecord] {
        guard let data = FileManager.default.contents(atPath: stagedRightsFile) else { return [:] }
        do {
            let list = try JSONDecoder().decode([RightsRecord].self, from: data)
            return Dictionary(list.map { (PathKey($0.path), $0) }, uniquingKeysWith: { _, b in b })
        } catch {
            throw LineageError.damagedRepository("\(stagedRightsFile) is not valid (\(error)); remove it and stage the rights again")
        }
    }

    func writeStagedRights(_ records: [PathKey: RightsRecord]) throws {
        if records.isEmpty { try? FileManager.default.removeItem(atPath: stagedRightsFile); return }
        let list = records.values.sorted { $0.path.bytesPrecede($1.path) }
        try AtomicFile.write(try CanonicalJSON.encode(list), to: stagedRightsFile)
    }

    /// The rights records the next commit carries: HEAD's, then staged ones over them, each moved
    /// to the version its path has in the new tree; records of paths no longer tracked are dropped.
    /// `artifacts` maps each tracked path (and each directory with a record) to its digest.
    func rightsForCommit(head: [PathKey: RightsRecord], staged: [PathKey: RightsRecord],
                         digestOf: (PathKey) throws -> Digest?) throws -> (records: [PathKey: [UInt8]], removing: [String]) {
        var merged = head
        for (path, record) in staged { merged[path] = record }
        var records: [PathKey: [UInt8]] = [:]
        var removing: [String] = []
        for (path, var record) in merged {
            guard let digest = try digestOf(path) else {
                if head[path] != nil { removing.append(Repository.rightsRecordPath(path.string)) }
                continue
            }
            if record.sha256 != digest { record.sha256 = digest }
            if head[path] != record || staged[path] != nil { records[PathKey(Repository.rightsRecordPath(path.string))] = try record.encoded() }
        }
        return (records, removing)
    }

    /// The digest of an artifact for rights purposes: a tracked file's SHA-256, or for a directory a
    /// digest of its files' paths and digests (`DirectoryDigest`). nil when nothing is tracked there.
    static func artifactDigest(_ path: String, in files: [PathKey: Digest]) -> Digest? {
        if let d = files[PathKey(path)] { return d }
        let prefix = path + "/"
        let below = files.filter { $0.key.string.bytesHavePrefix(prefix) }
        guard !below.isEmpty else { return nil }
        return DirectoryDigest.of(below.map { (String(decoding: $0.key.string.utf8.dropFirst(prefix.utf8.count), as: UTF8.self), $0.value) })
    }
}

/// A directory's digest for records: SHA-256 over `<sha256 hex> <relative path>\n` for its files, sorted by path.
public enum DirectoryDigest {
    public static func of(_ files: [(path: String, sha256: Digest)]) -> Digest {
        var text = ""
        for f in files.sorted(by: { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }) { text += "\(f.sha256.hex) \(f.path)\n" }
        return Digest.of(Array(text.utf8))
    }
}

/// Rights facts as `add` and `rights set` take them: a meta file and/or flags (flags win).
public struct RightsInput: Sendable {
    public var metaFile: String?
    public var fields: [RightsField: String]
    public init(metaFile: String? = nil, fields: [RightsField: String] = [:]) { self.metaFile = metaFile; self.fields = fields }
    public var isEmpty: Bool { metaFile == nil && fields.isEmpty }

    /// The facts, with warnings located in the meta file. Errors name the field (and the meta file's line).
    public func facts(cwd: String, today: CalendarDay) throws -> (facts: RightsFacts, warnings: [String]) {
        var facts = RightsFacts()
        var document: RightsMetaDocument? = nil
        if let metaFile {
            let path = metaFile.hasPrefix("/") ? metaFile : cwd + "/" + metaFile
            guard FileManager.default.fileExists(atPath: path) else { throw LineageError.notFound(metaFile, suggestions: []) }
            do { document = try RightsMeta.load(contentsOf: URL(fileURLWithPath: path)) } catch let e as RightsMetaError {
                throw LineageError.invalidArgument("\(e) — fix the meta file (its fields are those of Schemas/rights.schema.json)")
            }
            facts = document!.facts
        }
        do { facts = facts.applying(try RightsFacts(fields: fields)) } catch let e as RecordFieldError {
            throw LineageError.invalidArgument("\(e)")
        }
        let check = facts.validate(today: today)
        let name = metaFile ?? "flags"
        func locate(_ issue: RightsIssue) -> String { document?.locate(issue, file: name) ?? "\(issue.field.name): \(issue.message)" }
        if !check.errors.isEmpty {
            throw LineageError.invalidArgument(check.errors.map(locate).joined(separator: "\n") + "\nnothing was changed")
        }
        return (facts, check.warnings.map(locate))
    }
}

extension Repository {
    /// Stages rights records for paths (files or directories, as given to `add`): the facts are
    /// written over the path's current record (staged, else HEAD's), for the next commit. The paths
    /// must be staged.
    public func stageRights(for arguments: [String], cwd: String, facts: RightsFacts) throws -> [RightsRecord] {
        try withWriteLock {
            let entries = try openIndex().entries
            var digests: [PathKey: Digest] = [:]
            let wanted = try arguments.map { try resolve($0, cwd: cwd).relative }
            for entry in entries where wanted.contains(where: { entry.path.isPath(within: $0) }) {
                digests[PathKey(entry.path)] = try pointer(entry.id).sha256
            }
            var staged = try stagedRights()
            let head = try headRightsRecords()
            var out: [RightsRecord] = []
            for (argument, path) in zip(arguments, wanted) {
                guard !path.isEmpty else { throw LineageError.invalidArgument("rights are recorded per file or directory, not for the whole project — name the dataset's path") }
                guard let digest = Repository.artifactDigest(path, in: digests) else {
                    throw LineageError.notTracked(argument, suggestions: closest(path, among: entries.map(\.path)))
                }
                let base = staged[PathKey(path)] ?? head[PathKey(path)] ?? RightsRecord(path: path, sha256: digest)
                var record = RightsRecord(path: path, sha256: digest, facts: base.facts.applying(facts))
                record.sha256 = digest
                staged[PathKey(path)] = record
                out.append(record)
            }
            try writeStagedRights(staged)
            return out
        }
    }
}
