import Foundation
import LineageCore
import LineageGit
import LineageStore

/// `lineage rights show`: a path's own record and its effective rights (inherited through runs).
public struct RightsView: Codable, Sendable {
    public var path: String
    public var sha256: Digest
    public var kind: ArtifactKind
    /// The path's own record at HEAD (nil: none).
    public var record: RightsRecord?
    /// A record staged for the next commit, when there is one.
    public var staged: RightsRecord?
    public var effective: EffectiveRights
}

/// The facts lineage knows about every artifact version reachable from HEAD's files through runs.
struct RightsGraph {
    /// Producing run's inputs, by output version.
    var inputs: [ArtifactRef: [ArtifactRef]] = [:]
    var kinds: [ArtifactRef: ArtifactKind] = [:]
    /// Own facts by path (HEAD's records; a withdrawal applies to every version of the data).
    var facts: [PathKey: RightsFacts] = [:]
    private var memo: [ArtifactRef: EffectiveRights] = [:]

    /// The own record covering a path: its own, or its nearest directory's.
    func ownFacts(_ path: String) -> RightsFacts? {
        var p = path
        while true {
            if let f = facts[PathKey(p)] { return f }
            guard let slash = p.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
            p = String(p[..<slash])
        }
    }

    mutating func effective(_ ref: ArtifactRef, visiting: Set<ArtifactRef> = []) -> EffectiveRights {
        if let done = memo[ref] { return done }
        var seen = visiting
        seen.insert(ref)
        let inputs = (inputs[ref] ?? []).filter { !seen.contains($0) }.map { effective($0, visiting: seen) }
        let result = EffectiveRights.compute(subject: ref, kind: kinds[ref] ?? ArtifactKind.guess(path: ref.path),
                                             own: ownFacts(ref.path), inputs: inputs)
        memo[ref] = result
        return result
    }
}

extension Repository {
    /// Builds the rights graph at HEAD: HEAD's records (staged ones over them when asked), every
    /// recorded run's inputs and outputs, and the commit in which each withdrawal was recorded.
    func rightsGraph(includeStaged: Bool = false) throws -> (graph: RightsGraph, head: [PathKey: Pointer]) {
        var graph = RightsGraph()
        guard let head = try headCommit() else {
            // Before the first commit only staged records exist.
            if includeStaged { for (p, r) in try stagedRights() { graph.facts[p] = r.facts } }
            return (graph, [:])
        }
        let tree = try git.commit(head).tree
        var records = try rightsRecords(inTree: tree)
        if includeStaged { for (p, r) in try stagedRights() { records[p] = r } }
        return try rightsGraph(records: records, files: try files(ofCommit: head), runTrees: [tree], withdrawalsFrom: head)
    }

    /// The rights graph of given records and files, with the runs recorded in `runTrees` (a merge
    /// passes both parents' trees) and withdrawal commits looked up along `withdrawalsFrom`'s first parents.
    func rightsGraph(records: [PathKey: RightsRecord], files: [PathKey: ObjectID], runTrees: [ObjectID],
                     withdrawalsFrom head: ObjectID) throws -> (graph: RightsGraph, head: [PathKey: Pointer]) {
        var graph = RightsGraph()
        let withdrawals = try withdrawalCommits(records: records, from: head)
        for (path, var record) in records {
            if let commit = withdrawals[path], record.facts.consent?.status == .withdrawn { record.facts.consent?.withdrawalCommit = commit }
            graph.facts[path] = record.facts
        }
        var pointers: [PathKey: Pointer] = [:]
        for (path, id) in files {
            let p = try pointer(id)
            pointers[path] = p
            graph.kinds[ArtifactRef(path: path.string, sha256: p.sha256)] = p.kind
        }
        for tree in runTrees {
            for run in try allRuns(inTree: tree) {
                let ins = run.inputs.map { ArtifactRef(path: $0.path, sha256: $0.sha256) }
                for out in run.outputs { graph.inputs[ArtifactRef(path: out.path, sha256: out.sha256)] = ins }
            }
        }
        return (graph, pointers)
    }

    /// For each path whose HEAD record says consent is withdrawn: the oldest commit of the unbroken
    /// run of first-parent commits (ending at HEAD) whose record says so — the withdrawal commit.
    func withdrawalCommits(records: [PathKey: RightsRecord], from head: ObjectID) throws -> [PathKey: String] {
        var open = Set(records.filter { $0.value.facts.consent?.status == .withdrawn }.keys)
        var found: [PathKey: String] = [:]
        var commit: ObjectID? = head
        while let id = commit, !open.isEmpty {
            let info = try git.commit(id)
            for path in open {
                let blob = try git.entry(inTree: info.tree, path: RecordTree.directory + "/" + Repository.rightsRecordPath(path.string))
                let withdrawn = try blob.map { try RightsRecord.decode(try git.readBlob($0)).facts.consent?.status == .withdrawn } ?? false
                if withdrawn { found[path] = id.hex } else { open.remove(path) }
            }
            commit = info.parents.first
        }
        return found
    }

    /// `lineage rights show <path>`.
    public func rightsShow(_ argument: String, cwd: String) throws -> RightsView {
        let path = try resolve(argument, cwd: cwd).relative
        var (graph, head) = try rightsGraph()
        let staged = try stagedRights()[PathKey(path)]
        let headRecords = try headRightsRecords()
        let sha: Digest
        let kind: ArtifactKind
        if let p = head[PathKey(path)] {
            sha = p.sha256; kind = p.kind
        } else if let d = Repository.artifactDigest(path, in: head.mapValues(\.sha256)) {
            sha = d; kind = headRecords[PathKey(path)].map { _ in ArtifactKind.dataset } ?? .other
        } else if let s = staged {
            sha = s.sha256; kind = .dataset
        } else {
            throw LineageError.notTracked(argument, suggestions: closest(path, among: head.keys.map(\.string)))
        }
        let ref = ArtifactRef(path: path, sha256: sha)
        if graph.kinds[ref] == nil { graph.kinds[ref] = kind }
        return RightsView(path: path, sha256: sha, kind: kind, record: headRecords[PathKey(path)], staged: staged, effective: graph.effective(ref))
    }

    /// Commits record changes on top of HEAD's files (the staging index is left alone), signed.
    func commitRecordChange(message: String, records: [PathKey: [UInt8]], now: Int64? = nil) throws -> String {
        try withWriteLock {
            guard let head = try headCommit() else { throw LineageError.noCommits }
            let stamp = now ?? nowSeconds()
            let key = try signingKey()
            try checkSigner(key, parent: head, now: stamp)
            _ = try identity(now: stamp)
            let id = try writeSignedCommit(userTree: try git.commit(head).tree, parent: head, message: message + "\n",
                                           records: records, signer: key, now: stamp)
            try git.updateReference(try git.headBranchRef(), to: id, expected: head, message: message.split(separator: "\n").first.map(String.init) ?? "")
            if let graph = try? openLineageIndex() { _ = try? syncGraph(graph) }
            return id.hex
        }
    }

    /// The record of a path tracked at HEAD (a file, or a directory), or a new empty one.
    func recordForChange(_ argument: String, cwd: String) throws -> RightsRecord {
        let path = try resolve(argument, cwd: cwd).relative
        let head = try headFiles()
        var digests: [PathKey: Digest] = [:]
        for (p, id) in head where p.string.isPath(within: path) { digests[p] = try pointer(id).sha256 }
        guard !path.isEmpty, let digest = Repository.artifactDigest(path, in: digests) else {
            throw LineageError.notTracked(argument, suggestions: closest(path, among: head.keys.map(\.string)))
        }
        var record = try headRightsRecords()[PathKey(path)] ?? RightsRecord(path: path, sha256: digest)
        record.sha256 = digest
        return record
    }

    /// `lineage rights set <path>`: writes the facts over the path's record in a new signed commit.
    public func rightsSet(_ argument: String, facts update: RightsFacts, cwd: String) throws -> (record: RightsRecord, commit: String) {
        var record = try recordForChange(argument, cwd: cwd)
        let before = record
        record.facts = record.facts.applying(update)
        let check = record.facts.validate(today: CalendarDay.today())
        if !check.errors.isEmpty { throw LineageError.invalidArgument(check.errors.map(\.description).joined(separator: "\n")) }
        guard record != before else { throw LineageError.invalidArgument("the rights of \(record.path) already say that; nothing to commit") }
        let commit = try commitRecordChange(message: "rights: set \(record.path)", records: [PathKey(Repository.rightsRecordPath(record.path)): try record.encoded()])
        return (record, commit)
    }

    /// `lineage consent withdraw <path>`: records the withdrawal in a new signed commit.
    public func consentWithdraw(_ argument: String, reason: String, effective: CalendarDay?, cwd: String) throws -> (record: RightsRecord, commit: String) {
        var record = try recordForChange(argument, cwd: cwd)
        do { record.facts = try record.facts.withdrawingConsent(effective: effective ?? CalendarDay.today(), reason: reason) } catch let e as RecordFieldError {
            throw LineageError.invalidArgument("\(record.path): \(e)")
        }
        let commit = try commitRecordChange(message: "consent withdrawn: \(record.path)\n\n\(reason)",
                                            records: [PathKey(Repository.rightsRecordPath(record.path)): try record.encoded()])
        return (record, commit)
    }

    /// Personal data the PII hook found, per artifact version, from the check records at HEAD.
    func detectedPII() throws -> [ArtifactRef: [String]] {
        guard let head = try headCommit() else { return [:] }
        var out: [ArtifactRef: Set<String>] = [:]
        for check in try checkRecords(inTree: try git.commit(head).tree) where check.validator == "pii" {
            for (key, n) in check.counts where n > 0 {
                guard let at = key.firstIndex(of: "@") else { continue }
                let category = String(key[..<at]), path = String(key[key.index(after: at)...])
                if let a = check.artifacts.first(where: { $0.path == path }) { out[ArtifactRef(path: path, sha256: a.sha256), default: []].insert(category) }
            }
        }
        return out.mapValues { $0.sorted() }
    }

    /// `lineage audit`: every artifact at HEAD and every version a run used, with findings.
    public func audit(use: DataUse?, at: CalendarDay?) throws -> AuditReport {
        let detectedPII = try detectedPII()
        var (graph, head) = try rightsGraph()
        var refs = Set(head.map { ArtifactRef(path: $0.key.string, sha256: $0.value.sha256) })
        for (out, ins) in graph.inputs { refs.insert(out); refs.formUnion(ins) }
        var all: [EffectiveRights] = []
        for ref in refs.sorted() { all.append(graph.effective(ref)) }
        var report = RightsAudit.run(all, use: use, at: at ?? CalendarDay.today(), detectedPII: detectedPII)
        // Erased versions: their bytes are gone, so "erase it" is not asked of them again; what was
        // built from them (or from withdrawn data) is marked, for `--erase-derived`.
        let erased = try receivedErasures()
        func upstream(_ ref: ArtifactRef) -> Set<ArtifactRef> {
            var seen = Set<ArtifactRef>(), stack = graph.inputs[ref] ?? []
            while let r = stack.popLast() { if seen.insert(r).inserted { stack += graph.inputs[r] ?? [] } }
            return seen
        }
        let settled: Set<AuditCode> = [.consentWithdrawn, .retentionPassed, .undeclaredPII, .inputWithoutRights, .upstreamConsentWithdrawn]
        for i in report.entries.indices {
            let entry = report.entries[i]
            if let e = erased[entry.sha256] {
                report.entries[i].erased = e
                report.entries[i].findings.removeAll { settled.contains($0.code) }
                continue
            }
            let fromErased = upstream(entry.artifact).contains { erased[$0.sha256] != nil }
            let fromWithdrawn = entry.findings.contains { $0.code == .upstreamConsentWithdrawn }
            if fromErased || fromWithdrawn { report.entries[i].derivedFromErased = true }
        }
        return report
    }

    /// `lineage audit --erase-derived --yes`: erases every version built from an erased or withdrawn
    /// version (each a signed tombstone, as `lineage erase`), newest commit holding it first.
    public func eraseDerived(_ report: AuditReport, reason: String, cwd: String) throws -> [EraseResult] {
        var out: [EraseResult] = []
        let history = try headCommit().map { try git.walk(from: [$0]) } ?? []
        for entry in report.entries where entry.derivedFromErased == true {
            // The newest commit that holds this exact version names it for `erase`.
            guard let commit = try history.first(where: { id in
                guard let blob = try git.entry(inTree: try git.commit(id).tree, path: entry.path) else { return false }
                return try pointer(blob).sha256 == entry.sha256
            }) else { continue }
            out.append(try erase("\(entry.path)@\(commit.hex)", reason: reason, cwd: root))
        }
        return out
    }
}
