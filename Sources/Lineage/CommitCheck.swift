import Foundation
import LineageCore
import LineageGit
import LineageSigning

/// Checks one commit's signature, signer trust and record; shared by `verify` and `show --provenance`.
///
/// Trust files and tree digests are cached across commits, so a long history costs about one
/// signature check and a few tree reads per commit.
final class CommitChecker {
    private let git: GitRepository
    let digester: TreeDigester
    private var trustByBlob: [ObjectID: Result<AllowedSigners, Error>] = [:]

    /// `git` may be a separate handle on the same repository, so several checkers can run on
    /// several threads (libgit2 handles are not shared across threads).
    init(git: GitRepository) {
        self.git = git
        digester = TreeDigester(repository: git)
    }

    func check(_ info: CommitInfo) -> CommitVerdict {
        var verdict = CommitVerdict(commit: info.id.hex, status: .good)
        // 1. The signature over exactly the bytes git signs.
        let signature: CommitSignature
        do {
            guard let s = try git.signature(ofCommit: info.id) else {
                verdict.status = .unsigned
                verdict.detail = "the commit carries no signature (made by other means than lineage?)"
                return verdict
            }
            signature = s
        } catch {
            verdict.status = .unreadable; verdict.detail = "\(error)"; return verdict
        }
        let key: SSHPublicKey
        switch SSHSignature.verify(armored: signature.armored, message: signature.signedData, namespace: "git") {
        case .good(let k): key = k
        case .bad(let why):
            verdict.status = .badSignature
            verdict.key = (try? SSHSignature.parse(armored: signature.armored))?.publicKey.fingerprint
            verdict.detail = "the signature does not match the commit's content (\(why)): the commit was altered after signing"
            return verdict
        case .malformed(let why):
            verdict.status = .badSignature; verdict.detail = "the signature cannot be read: \(why)"; return verdict
        }
        verdict.key = key.fingerprint
        // 2. The key against the trust in force at the parent (the first commit bootstraps itself).
        let trustSource = info.parents.first ?? info.id
        switch trust(at: trustSource) {
        case .failure(let error):
            verdict.status = .recordAltered
            verdict.detail = "the trust file of commit \(trustSource.hex.prefix(12)) cannot be read: \(error)"
            return verdict
        case .success(nil):
            verdict.status = .unknownKey
            verdict.detail = "no trust file in force at this commit; key \(key.fingerprint) is not trusted"
            return verdict
        case .success(let trust?):
            switch trust.lookup(key: key, namespace: "git", at: info.committer.time) {
            case .trusted(let principals): verdict.principals = principals
            case .notValidAt(let principals):
                verdict.status = .keyNotValid
                verdict.principals = principals
                verdict.detail = "key \(key.fingerprint) of \(principals.joined(separator: ", ")) was not valid at the commit time \(Timestamp.rfc3339(Date(timeIntervalSince1970: Double(info.committer.time))))"
                return verdict
            case .unknown:
                verdict.status = .unknownKey
                verdict.detail = "key \(key.fingerprint) is not in the trust in force at \(info.parents.isEmpty ? "this first commit" : "its parent \(trustSource.hex.prefix(12))")"
                return verdict
            }
        }
        // 3. The commit record: the SHA-256 digest of everything else the tree holds.
        do {
            guard let blob = try git.entry(inTree: info.tree, path: Repository.commitRecordPath) else {
                verdict.status = .recordAltered
                verdict.detail = "the commit has no \(Repository.commitRecordPath) record"
                return verdict
            }
            let record = try CommitRecord.decode(try git.readBlob(blob))
            let before = digester.unreadable.count
            let digest = try digester.digest(ofTree: info.tree, excluding: Repository.commitRecordPath)
            if digester.unreadable.count > before {
                let bad = digester.unreadable[before]
                verdict.status = .recordAltered
                verdict.detail = "\(bad.path) (object \(bad.id.hex)) was altered: \(bad.error)"
            } else if digest != record.contentDigest {
                verdict.status = .recordAltered
                verdict.detail = "the tree's SHA-256 digest is \(digest.hex), the signed record says \(record.contentDigest.hex)"
            }
        } catch {
            verdict.status = .recordAltered
            verdict.detail = "\(Repository.commitRecordPath) cannot be read: \(error)"
        }
        return verdict
    }

    private func trust(at commit: ObjectID) -> Result<AllowedSigners?, Error> {
        do {
            let tree = try git.commit(commit).tree
            guard let blob = try git.entry(inTree: tree, path: Repository.trustRecordPath) else { return .success(nil) }
            if let known = trustByBlob[blob] { return known.map { $0 } }
            let parsed = Result { try AllowedSigners(parsing: String(decoding: try git.readBlob(blob), as: UTF8.self)) }
            trustByBlob[blob] = parsed
            return parsed.map { $0 }
        } catch {
            return .failure(error)
        }
    }
}
