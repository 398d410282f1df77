import Foundation
import LineageCore
import LineageGit
import LineageGraph
import LineageStore

/// What `reindex` did.
public struct ReindexResult: Codable, Sendable {
    public let commits: Int
    public let artifacts: Int
    public let runs: Int
    public let seconds: Double
}

extension Repository {
    /// Brings the lineage graph in `index.sqlite` up to date with history: every commit reachable
    /// from a branch, tag or HEAD that is not indexed yet is added, oldest first. `rebuild` empties
    /// the graph first. A record or pointer that history names but the object database lacks is
    /// reported by object id and commit.
    @discardableResult
    func syncGraph(_ index: LineageIndex, rebuild: Bool = false) throws -> (commits: Int, artifacts: Int, runs: Int) {
        if rebuild { try index.clearGraph() }
        var starts = try git.referenceTargets()
        if let head = try headCommit() { starts.append(head) }
        if !rebuild, try index.hasIndexed(starts.map(\.hex)) { return (0, 0, 0) }
        let indexed = try index.indexedCommits()
        // Only the commits not indexed yet are visited (the walk stops at indexed ones), parents
        // before children, so a commit costs one step however long the history is.
        var pending: [ObjectID] = []
        var state: [ObjectID: Bool] = [:]          // false: children pushed, true: emitted
        var stack = starts.filter { !indexed.contains($0.hex) }
        while let id = stack.last {
            if let done = state[id] {
                stack.removeLast()
                if !done { state[id] = true; pending.append(id) }
                continue
            }
            state[id] = false
            for p in try git.commit(id).parents where !indexed.contains(p.hex) && state[p] == nil { stack.append(p) }
        }
        var batch: [IndexedCommit] = []
        var totals = (commits: 0, artifacts: 0, runs: 0)
        let clock = PhaseClock("graph sync")
        for id in pending {
            let c = try graphEntry(for: id)
            totals.commits += 1; totals.artifacts += c.artifacts.count; totals.runs += c.runs.count
            batch.append(c)
            if batch.count >= 1000 { try index.record(batch); batch.removeAll() }
        }
        clock.mark("read \(totals.commits) commit(s)")
        try index.record(batch)
        clock.mark("record \(totals.artifacts) artifact(s)")
        return totals
    }

    /// The artifact versions a commit introduces (blobs changed against its first parent) and its runs.
    func graphEntry(for id: ObjectID) throws -> IndexedCommit {
        let info = try git.commit(id)
        let parentTree = try info.parents.first.map { try git.commit($0).tree }
        let artifacts = try git.changedBlobs(from: parentTree, to: info.tree).map { try Repository.readPointer($0, git, id) }
        var runs: [RunRecord] = []
        let record: CommitRecord?
        do { record = try commitRecord(of: info) } catch {
            throw LineageError.damagedRepository("the commit record of \(id.hex) cannot be read (\(error))")
        }
        for runID in record?.runs ?? [] {
            do { runs.append(try runRecord(runID, inTree: info.tree)) } catch {
                throw LineageError.damagedRepository("commit \(id.hex) names run \(runID), whose record cannot be read (\(error))")
            }
        }
        return IndexedCommit(commit: id.hex, artifacts: artifacts, runs: runs)
    }

    /// The artifact version a commit's pointer blob records.
    private static func readPointer(_ f: TreeFile, _ git: GitRepository, _ id: ObjectID) throws -> IndexedArtifact {
        let p: Pointer
        do { p = try Pointer.decode(try git.readBlob(f.id)) } catch {
            throw LineageError.damagedRepository("commit \(id.hex) names pointer \(f.id.hex) for '\(f.path)', which cannot be read (\(error))")
        }
        return IndexedArtifact(path: f.path, sha256: p.sha256, size: p.size, kind: p.kind.rawValue, mediaType: p.mediaType, commit: id.hex)
    }

    /// Runs `body` on the graph index brought up to date (a stale one is caught up; one found
    /// damaged, on opening or while reading, is rebuilt from history with a warning).
    func withCurrentGraph<T>(_ body: (LineageIndex) throws -> T) throws -> T {
        try LineageIndex.recovering(path: layout.indexDatabase, warn: warn) { index in
            try syncGraph(index)
            return try body(index)
        }
    }

    /// Rebuilds the lineage graph from history.
    public func reindex() throws -> ReindexResult {
        let started = Date()
        let index = try openLineageIndex()
        let t = try syncGraph(index, rebuild: true)
        return ReindexResult(commits: t.commits, artifacts: t.artifacts, runs: t.runs, seconds: Date().timeIntervalSince(started))
    }

    /// Everything upstream of an artifact version: inputs, intermediate artifacts, runs, code,
    /// environments and signers, transitively (to `depth` run hops when given).
    public func trace(_ target: String, depth: Int? = nil, cwd: String) throws -> LineageSubgraph {
        let clock = PhaseClock("trace")
        return try withCurrentGraph { index in
            clock.mark("index current")
            let roots = try graphRoots(target, cwd: cwd, allVersions: false, index: index)
            clock.mark("roots")
            let graph = try index.subgraph(from: roots, direction: .upstream, depth: depth)
            clock.mark("subgraph (\(graph.nodes.count) nodes, \(graph.edges.count) edges)")
            return graph
        }
    }

    /// Everything downstream of an artifact version (with `allVersions`, of any version of the path).
    public func impact(_ target: String, allVersions: Bool = false, depth: Int? = nil, cwd: String) throws -> LineageSubgraph {
        try withCurrentGraph { index in
            try index.subgraph(from: try graphRoots(target, cwd: cwd, allVersions: allVersions, index: index), direction: .downstream, depth: depth)
        }
    }

    /// `path` (at HEAD), `rev:path` or `sha256:PREFIX` → artifact versions in the graph.
    func graphRoots(_ target: String, cwd: String, allVersions: Bool, index: LineageIndex) throws -> [Int64] {
        if target.lowercased().hasPrefix("sha256:") {
            let prefix = String(target.dropFirst(7)).lowercased()
            guard prefix.count >= 4, prefix.allSatisfy({ $0.isHexDigit }) else {
                throw LineageError.invalidArgument("'\(target)': give at least 4 hex digits after sha256:")
            }
            let rows = try index.artifacts(sha256Prefix: prefix)
            let digests = Set(rows.map(\.sha256))
            if digests.isEmpty { throw LineageError.notFound(target, suggestions: []) }
            if digests.count > 1 {
                throw LineageError.ambiguousRevision(target, candidates: rows.map { "sha256:\($0.sha256.prefix(16)) \($0.path)" })
            }
            if allVersions { return try Set(rows.map(\.path)).flatMap { try index.artifactVersions(path: $0).map(\.id) } }
            return rows.map(\.id)
        }
        let rev: String, path: String
        if let colon = target.firstIndex(of: ":") {
            rev = String(target[..<colon]).isEmpty ? "HEAD" : String(target[..<colon])
            path = try splitRevisionPath(target).path.string
        } else {
            rev = "HEAD"
            path = try resolve(target, cwd: realPath(cwd) ?? cwd).relative
        }
        if allVersions {
            let rows = try index.artifactVersions(path: path, below: true)
            if rows.isEmpty { throw LineageError.notTracked(path, suggestions: closest(path, among: try index.knownPaths())) }
            return rows.map(\.id)
        }
        let commit = try resolveRevision(rev)
        let files = try git.files(inTree: try git.commit(commit).tree).filter { TrackedPath.within($0.path, path) || path.isEmpty }
        if files.isEmpty { throw LineageError.notTracked(path, suggestions: closest(path, among: try index.knownPaths())) }
        return try files.compactMap { f in
            let p = try pointer(f.id)
            return try index.artifact(path: f.path, sha256: p.sha256)?.id
        }
    }
}

extension Repository {
    /// Writes a file the user asked for (a report, an attestation) atomically.
    public func writeOutsideStore(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path) } catch {
            throw LineageError.unreadable(path, reason: "cannot write it: \(error)")
        }
    }
}

extension Repository {
    /// The graph index's content as sorted lines (see `LineageIndex.graphDump`), as it stands now.
    public func graphDump() throws -> [String] { try openLineageIndex().graphDump() }
}
