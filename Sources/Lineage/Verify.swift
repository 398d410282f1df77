import Foundation
import LineageCore
import LineageGit
import LineageStore

/// One thing `verify` found wrong, with where it is.
public struct VerifyProblem: Codable, Sendable, Equatable {
    public let kind: String
    public let commit: String?
    public let path: String?
    public let object: String?
    public let file: String?
    public let detail: String
}

public struct VerifyResult: Codable, Sendable {
    public var commits = 0
    public var files = 0
    public var bytesVerified: UInt64 = 0
    public var problems: [VerifyProblem] = []
    public var ok: Bool { problems.isEmpty }
}

extension Repository {
    /// The auditor's check: every pack and object re-hashed, every commit and tree read back (libgit2
    /// re-hashes each object), every pointer decoded, every file reassembled and its SHA-256 recomputed.
    public func verify(progress: ProgressReporter = SilentProgress()) throws -> VerifyResult {
        var result = VerifyResult()
        for p in store.verify(progress: { done, total in
            progress.update(phase: "Checking packs", done: UInt64(done), total: UInt64(total), unit: .items)
        }) {
            result.problems.append(VerifyProblem(kind: "store:\(p.kind)", commit: nil, path: nil, object: p.object?.hex, file: p.file, detail: p.detail))
        }
        progress.finish()

        var pointers: [ObjectID: (path: String, commit: String)] = [:]
        var order: [ObjectID] = []
        func note(_ id: ObjectID, path: String, commit: String) {
            if pointers[id] == nil { pointers[id] = (path, commit); order.append(id) }
        }
        var stack = (try? git.referenceTargets()) ?? []
        if let head = try? headCommit() { stack.append(head) }
        var seen = Set<ObjectID>()
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            let info: CommitInfo
            do { info = try git.commit(id) } catch {
                result.problems.append(VerifyProblem(kind: "commit-unreadable", commit: id.hex, path: nil, object: id.hex, file: nil, detail: "\(error)"))
                continue
            }
            result.commits += 1
            stack.append(contentsOf: info.parents)
            do {
                for f in try git.files(inTree: info.tree) {
                    if (try? TrackedPath(f.path)) == nil {
                        result.problems.append(VerifyProblem(kind: "unsafe-path", commit: id.hex, path: f.path, object: f.id.hex, file: nil,
                                                             detail: "path is absolute, has '..' or is reserved"))
                    }
                    note(f.id, path: f.path, commit: id.hex)
                }
            } catch {
                result.problems.append(VerifyProblem(kind: "tree-unreadable", commit: id.hex, path: nil, object: info.tree.hex, file: nil, detail: "\(error)"))
            }
        }
        if let staged = try? openIndex().entries {
            for e in staged { note(e.id, path: e.path, commit: "staged") }
        }

        var verifiedFiles = Set<Digest>()
        let total = UInt64(order.count)
        for (n, id) in order.enumerated() {
            let (path, commit) = pointers[id]!
            progress.update(phase: "Verifying files", done: UInt64(n), total: total, unit: .items)
            let p: Pointer
            do {
                let bytes = try git.readBlob(id)
                do { p = try Pointer.decode(bytes) } catch {
                    result.problems.append(VerifyProblem(kind: "pointer-malformed", commit: commit, path: path, object: id.hex, file: nil, detail: "\(error)"))
                    continue
                }
            } catch {
                result.problems.append(VerifyProblem(kind: "pointer-unreadable", commit: commit, path: path, object: id.hex, file: nil, detail: "\(error)"))
                continue
            }
            result.files += 1
            guard verifiedFiles.insert(p.chunks).inserted else { continue }
            if let problem = verifyContent(p, path: path, commit: commit, result: &result) {
                result.problems.append(problem)
                verifiedFiles.remove(p.chunks)
            }
        }
        progress.finish()
        return result
    }

    /// Reassembles one file from its chunks and checks sizes and the whole-file SHA-256.
    private func verifyContent(_ p: Pointer, path: String, commit: String, result: inout VerifyResult) -> VerifyProblem? {
        func problem(_ kind: String, _ object: Digest?, _ detail: String) -> VerifyProblem {
            VerifyProblem(kind: kind, commit: commit, path: path, object: object?.hex, file: nil, detail: detail)
        }
        let list: ChunkList
        do { list = try ChunkList.decode(try store.read(p.chunks)) } catch let e as StoreError {
            return problem(Self.kind(of: e, "chunk-list"), p.chunks, e.description)
        } catch {
            return problem("chunk-list-malformed", p.chunks, "\(error)")
        }
        if list.totalSize != p.size {
            return problem("size-mismatch", p.chunks, "chunks add up to \(list.totalSize) bytes, the pointer says \(p.size)")
        }
        var hasher = DigestBuilder()
        for entry in list.entries {
            do {
                let bytes = try store.read(entry.digest)
                guard bytes.count == Int(entry.length) else {
                    return problem("size-mismatch", entry.digest, "chunk is \(bytes.count) bytes, the chunk list says \(entry.length)")
                }
                bytes.withUnsafeBytes { hasher.update($0) }
                result.bytesVerified += UInt64(bytes.count)
            } catch let e as StoreError {
                return problem(Self.kind(of: e, "chunk"), entry.digest, e.description)
            } catch {
                return problem("chunk-unreadable", entry.digest, "\(error)")
            }
        }
        let digest = hasher.finalize()
        if digest != p.sha256 {
            return problem("file-digest-mismatch", p.sha256, "reassembled bytes hash to \(digest.hex)")
        }
        return nil
    }

    private static func kind(of e: StoreError, _ what: String) -> String {
        switch e {
        case .missingObject: return "\(what)-missing"
        case .corruptObject: return "\(what)-corrupt"
        default: return "\(what)-unreadable"
        }
    }
}
