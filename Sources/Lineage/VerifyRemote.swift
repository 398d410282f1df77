import Foundation
import LineageCore
import LineageGit
import LineageRemote

/// One branch of a remote, checked for completeness.
public struct RemoteBranchCheck: Codable, Sendable, Equatable {
    public let branch: String
    public let commit: String
    /// Retained (not erased) file versions its history names.
    public let versions: Int
    /// Their objects (chunk lists and chunks).
    public let objects: Int
    /// Of those, objects no index object on the remote lists.
    public let missing: Int
}

/// Something `verify --remote` found wrong.
public struct RemoteVerifyProblem: Codable, Sendable, Equatable {
    /// `incomplete` (a version some branch needs lacks objects on the remote), `pack` (a pack
    /// missing, of the wrong size, or — with `--full` — holding damaged objects).
    public let kind: String
    public var path: String? = nil
    public var commit: String? = nil
    /// The pack's key on the content location.
    public var key: String? = nil
    public var objects: Int? = nil
    public let detail: String
}

public struct RemoteVerifyResult: Codable, Sendable {
    public let remote: String
    public let location: String
    /// Whether every pack was read and every object hashed (`--full`), or only sizes were compared.
    public let full: Bool
    /// Packs read and hashed as a spot check (`--sample N`), when not `full`.
    public var sampled = 0
    public var branches: [RemoteBranchCheck] = []
    /// Packs the index objects name (each checked).
    public var packs = 0
    public var problems: [RemoteVerifyProblem] = []
    public var ok: Bool { problems.isEmpty }

    private enum CodingKeys: String, CodingKey { case remote, location, full, sampled, branches, packs, problems, ok }
    init(remote: String, location: String, full: Bool) { self.remote = remote; self.location = location; self.full = full }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(remote, forKey: .remote); try c.encode(location, forKey: .location); try c.encode(full, forKey: .full)
        if sampled > 0 { try c.encode(sampled, forKey: .sampled) }
        try c.encode(branches, forKey: .branches); try c.encode(packs, forKey: .packs); try c.encode(problems, forKey: .problems)
        try c.encode(ok, forKey: .ok)
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        remote = try c.decode(String.self, forKey: .remote); location = try c.decode(String.self, forKey: .location)
        full = try c.decode(Bool.self, forKey: .full); sampled = try c.decodeIfPresent(Int.self, forKey: .sampled) ?? 0; branches = try c.decode([RemoteBranchCheck].self, forKey: .branches)
        packs = try c.decode(Int.self, forKey: .packs); problems = try c.decode([RemoteVerifyProblem].self, forKey: .problems)
    }
}

extension Repository {
    /// `lineage verify --remote <name> [--full]`: fetches the remote's history, then checks that
    /// every branch on it is complete — every object (chunk list and chunk) of every version its
    /// history names, except erased ones, is listed by some index object on the content location —
    /// and that every pack the index objects name is there with the size they give (with `full`,
    /// read whole and every object in it hashed). Reads the index objects, the chunk lists this
    /// clone lacks, and (with `full`) the packs; nothing else.
    public func verifyRemote(_ name: String, full: Bool = false, sample: Int = 0, ssh: SSHSettings = .fromEnvironment(),
                             progress: ProgressReporter = SilentProgress()) throws -> RemoteVerifyResult {
        let remote = try self.remote(name)
        // Every ref on the remote must be known here: a branch rewritten there and not accepted
        // (`fetch --force`) would leave its commits out of the check.
        if let b = try fetch(remote: name, ssh: ssh).rewritten.first {
            throw RemoteFailure.rewritten(remote: name, branch: b.branch, was: b.old ?? "", now: b.new)
        }
        return try withWriteLock {
            guard let content = try remoteContent(for: remote) else { throw RemoteFailure.noContent(remote: name, command: "verify --remote") }
            var result = RemoteVerifyResult(remote: name, location: content.location, full: full)
            let branches = try git.references(withPrefix: Repository.trackingPrefix(name))
                .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            let erased = Set(try receivedErasures().keys)
            let history = try historyContent(from: branches.map(\.id), erased: erased, content: content, jobs: transferJobs)
            // Every index object read again (a cached one another clone's erasure or gc deleted
            // must not count), then what the remote lacks.
            result.packs = try content.indexedPacks(jobs: transferJobs).count
            let (_, missing) = try content.locate(history.retainedObjects, jobs: transferJobs)

            // Per version: what the remote lacks (reported once, at the first branch naming it).
            var reported = Set<Digest>()
            for b in branches {
                let branch = String(b.name.dropFirst(Repository.trackingPrefix(name).count))
                var versions = 0, objects = 0, lacking = 0
                var seen = Set<ObjectID>()
                for id in try git.walk(from: [b.id]) {
                    let info = try git.commit(id)
                    let base = try info.parents.first.map { try git.commit($0).tree }
                    for f in try git.changedBlobs(from: base, to: info.tree) where seen.insert(f.id).inserted {
                        guard let p = try? pointer(f.id), !erased.contains(p.sha256), history.retained[p.chunks] != nil else { continue }
                        versions += 1
                        guard let list = history.lists[p.chunks] else {
                            objects += 1; lacking += 1
                            if reported.insert(p.chunks).inserted {
                                result.problems.append(RemoteVerifyProblem(kind: "incomplete", path: f.path, commit: id.hex, objects: 1,
                                    detail: "its chunk list \(p.chunks.hex) is on neither the remote nor here — push this version again from a clone that has it"))
                            }
                            continue
                        }
                        let all = Set(list.entries.map(\.digest)).union([p.chunks])
                        let gone = all.intersection(missing)
                        objects += all.count
                        lacking += gone.count
                        if !gone.isEmpty, reported.insert(p.chunks).inserted {
                            result.problems.append(RemoteVerifyProblem(kind: "incomplete", path: f.path, commit: id.hex, objects: gone.count,
                                detail: "\(gone.count) of its \(all.count) objects are listed by no index object on \(content.location) (sha256:\(gone.min()!.hex) among them) — push it again from a clone that has the bytes"))
                        }
                    }
                }
                result.branches.append(RemoteBranchCheck(branch: branch, commit: b.id.hex, versions: versions, objects: objects, missing: lacking))
            }

            if !full { result.sampled = min(max(0, sample), result.packs) }
            let problems = try content.check(readPacks: full, samplePacks: sample, jobs: transferJobs) { p in
                progress.update(phase: full ? "Reading packs" : "Checking packs", done: p.bytes, total: p.totalBytes, unit: .bytes)
            }
            progress.finish()
            for p in problems {
                result.problems.append(RemoteVerifyProblem(kind: "pack", key: p.key, objects: p.objects.count, detail: p.detail))
            }
            return result
        }
    }
}
