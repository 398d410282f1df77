import Foundation
import Lineage
import LineageCore
import LineageGit
import LineageSigning
import LineageStore
import Testing

/// Moves content between the local store and a content store in a directory: a stand-in for the
/// pack layout (`RemoteContent`) so the history side can be tested on its own. It re-hashes every
/// object it copies and remembers what it was asked to upload.
final class DirectoryTransfer: ContentTransfer {
    let location: String
    var uploaded: [Digest] = []
    var failUploads = false
    init(_ location: String) { self.location = location }

    private func open() throws -> ContentStore {
        if !FileManager.default.fileExists(atPath: location + "/format") { try ContentStore.create(at: location) }
        return try ContentStore(directory: location)
    }

    func upload(_ digests: [Digest], from store: ContentStore) throws {
        if failUploads { throw StoreError.io(path: location, operation: "upload (test)", errno: EIO) }
        try copy(digests, from: store, to: try open())
        uploaded += digests
    }

    func download(_ digests: [Digest], into store: ContentStore) throws { try copy(digests, from: try open(), to: store) }

    private func copy(_ digests: [Digest], from: ContentStore, to: ContentStore) throws {
        let writer = try to.beginWrite()
        for d in digests {
            let bytes = try from.read(d)
            guard Digest.of(bytes) == d else { throw StoreError.corruptObject(d, file: "test transfer") }
            try bytes.withUnsafeBytes { _ = try writer.put($0, digest: d) }
        }
        _ = try writer.finish()
    }

    func holds(_ d: Digest) -> Bool { (try? open().contains(d)) ?? false }
}

/// Runs a program and returns its status and standard output.
@discardableResult
func tool(_ args: [String], in dir: String? = nil, env: [String: String] = [:]) throws -> (code: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    p.environment = e
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err; p.standardInput = FileHandle.nullDevice
    try p.run()
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// A scratch world for remote tests: a base directory, users with their own keys, bare remotes.
final class RemoteWorld {
    let base: String
    init() throws {
        _ = RepositoryTests.configHome
        base = FileManager.default.temporaryDirectory.appendingPathComponent("remote-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base + "/keys", withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: base) }

    /// The default lineage key of this test process signs the first user's commits.
    var defaultFingerprint: String { get throws { try SigningKeys.load(path: SigningKeys.defaultKeyPath()).publicKey.fingerprint } }

    func key(_ name: String) throws -> (path: String, fingerprint: String) {
        let path = base + "/keys/" + name
        if !FileManager.default.fileExists(atPath: path) { _ = try SigningKeys.generate(at: path, comment: name) }
        return (path, try SigningKeys.load(path: path).publicKey.fingerprint)
    }

    func newRepository(_ name: String, key: String? = nil) throws -> Repository {
        let dir = base + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let repo = try Repository.initialize(at: dir)
        try identify(repo, name, key: key)
        return repo
    }

    func identify(_ repo: Repository, _ name: String, key: String?) throws {
        try repo.config(set: "user.name", value: name)
        try repo.config(set: "user.email", value: "\(name)@example.org")
        if let key { try repo.config(set: "user.signingkey", value: key) }
    }

    @discardableResult
    func commit(_ repo: Repository, _ path: String, _ data: Data, _ message: String) throws -> String {
        let url = URL(fileURLWithPath: repo.root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        _ = try repo.add([path], cwd: repo.root)
        return try repo.commit(message: message).commit
    }

    func git(_ gitDir: String, _ args: String...) throws -> (code: Int32, out: String, err: String) {
        try tool(["git", "--git-dir", gitDir] + args)
    }

    func rev(_ gitDir: String, _ spec: String) throws -> String {
        try git(gitDir, "rev-parse", spec).out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every reference of a repository with its target, to prove a refused operation moved nothing.
    func refs(_ gitDir: String) throws -> String { try git(gitDir, "show-ref").out }
}

func bytes(_ count: Int, seed: UInt64) -> Data {
    var state = seed &+ 0x9E3779B97F4A7C15
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        withUnsafeBytes(of: state) { for b in $0 where i < count { out[i] = b; i += 1 } }
    }
    return Data(out)
}

@Suite struct RemoteTests {
    /// Alice's repository with one commit, pushed to a bare remote that push creates.
    func aliceWithRemote(_ w: RemoteWorld) throws -> (Repository, String, DirectoryTransfer) {
        let alice = try w.newRepository("alice")
        try w.commit(alice, "data/train.csv", Data("id,v\n1,2\n".utf8), "first")
        let bare = w.base + "/remote.git"
        let transfer = DirectoryTransfer(bare + "/" + Repository.defaultContentDirectory)
        try alice.remoteAdd(name: "origin", url: bare, cwd: alice.root)
        _ = try alice.push(remote: "origin", transfer: transfer)
        return (alice, bare, transfer)
    }

    @Test func pushCreatesTheBareRemoteAndStockGitVerifiesIt() throws {
        let w = try RemoteWorld()
        let (alice, bare, transfer) = try aliceWithRemote(w)
        let head = try w.rev(alice.layout.dotLineage, "refs/heads/main")
        #expect(try w.rev(bare, "refs/lineage/heads/main") == head)
        #expect(try w.rev(alice.layout.dotLineage, "refs/lineage/remotes/origin/main") == head)
        // The remote's own branches are untouched (a code repository can hold lineage beside them).
        #expect(try w.git(bare, "show-ref").out.split(separator: "\n").allSatisfy { $0.contains(" refs/lineage/") })
        // Content went first, to the directory beside the bare repository.
        #expect(!transfer.uploaded.isEmpty)
        #expect(transfer.uploaded.allSatisfy { transfer.holds($0) })
        // Stock git checks the pushed history: objects, and the signature against the versioned trust.
        let fsck = try w.git(bare, "fsck", "--full")
        #expect(fsck.code == 0, "\(fsck.err)")
        let signers = w.base + "/allowed_signers"
        try Data(try w.git(bare, "show", "refs/lineage/heads/main:.lineage/allowed_signers").out.utf8).write(to: URL(fileURLWithPath: signers))
        let verify = try w.git(bare, "-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=\(signers)", "verify-commit", "refs/lineage/heads/main")
        #expect(verify.code == 0, "\(verify.err)")
        // A second push of the same commit is a no-op.
        #expect(try alice.push(remote: "origin", transfer: transfer).upToDate)
    }

    @Test func cloneWithTrustRootThenTeammateCommitsAreFetchedVerified() throws {
        let w = try RemoteWorld()
        let (alice, bare, transfer) = try aliceWithRemote(w)
        let bobKey = try w.key("bob")
        _ = try alice.trustAdd(principal: "bob@example.org", key: bobKey.path + ".pub", cwd: alice.root)
        _ = try alice.push(remote: "origin", transfer: transfer)

        let bob = try Repository.clone(url: bare, into: w.base + "/bob", cwd: w.base, trustRoot: try w.defaultFingerprint, transfer: transfer)
        #expect(bob.trustRoot.fingerprint == (try w.defaultFingerprint))
        #expect(bob.contentFetched && bob.filesWritten == 1)
        #expect(FileManager.default.contents(atPath: w.base + "/bob/data/train.csv") == Data("id,v\n1,2\n".utf8))
        let bobRepo = try Repository.open(from: w.base + "/bob")
        #expect(try bobRepo.pinnedRoot()?.commit == (try w.rev(alice.layout.dotLineage, "main~1")))
        #expect(try bobRepo.verify().ok)
        try w.identify(bobRepo, "bob", key: bobKey.path)
        let bobCommit = try w.commit(bobRepo, "data/more.csv", bytes(300_000, seed: 7), "bob's data")
        let pushed = try bobRepo.push(remote: "origin", transfer: transfer)
        #expect(pushed.new == bobCommit && pushed.commits == 1)

        let fetched = try alice.fetch(remote: "origin")
        #expect(fetched.commitsVerified == 1)
        #expect(fetched.branches.map { [$0.branch, $0.old ?? "", $0.new, $0.change.rawValue] } == [["main", pushed.old ?? "", bobCommit, "fast-forward"]])
        #expect(try w.rev(alice.layout.dotLineage, "refs/lineage/remotes/origin/main") == bobCommit)
        // Fetch never moves local branches.
        #expect(try w.rev(alice.layout.dotLineage, "refs/heads/main") == pushed.old)
    }

    @Test func cloneRefusedWithoutConfirmationOrWithAnotherFingerprint() throws {
        let w = try RemoteWorld()
        let (_, bare, transfer) = try aliceWithRemote(w)
        let target = w.base + "/clone"
        #expect(throws: RemoteFailure.self) { try Repository.clone(url: bare, into: target, cwd: w.base, transfer: transfer) }
        #expect(!FileManager.default.fileExists(atPath: target))
        let other = try w.key("someone-else").fingerprint
        do {
            _ = try Repository.clone(url: bare, into: target, cwd: w.base, trustRoot: other, transfer: transfer)
            Issue.record("a wrong fingerprint was accepted")
        } catch let e as RemoteFailure {
            guard case .trustRootMismatch = e else { Issue.record("unexpected \(e)"); return }
            #expect(e.description.contains(try w.defaultFingerprint))
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        // Confirmed on a "terminal": the signer is shown.
        var shown: [RootSigner] = []
        let ok = try Repository.clone(url: bare, into: target, cwd: w.base, confirm: { shown = $0; return true }, transfer: transfer)
        #expect(shown.map(\.fingerprint) == [try w.defaultFingerprint])
        #expect(ok.trustRoot == shown[0])
    }

    @Test func concurrentPushIsRefusedAndTheRemoteKeepsTheWinner() throws {
        let w = try RemoteWorld()
        let (alice, bare, transfer) = try aliceWithRemote(w)
        let bobKey = try w.key("bob")
        _ = try alice.trustAdd(principal: "bob@example.org", key: bobKey.path + ".pub", cwd: alice.root)
        _ = try alice.push(remote: "origin", transfer: transfer)
        _ = try Repository.clone(url: bare, into: w.base + "/bob", cwd: w.base, trustRoot: try w.defaultFingerprint, transfer: transfer)
        let bob = try Repository.open(from: w.base + "/bob")
        try w.identify(bob, "bob", key: bobKey.path)
        let winner = try w.commit(bob, "b.txt", Data("bob".utf8), "bob first")
        _ = try bob.push(remote: "origin", transfer: transfer)

        // Alice built on what she last fetched: the lease (remote must still be there) refuses.
        try w.commit(alice, "a.txt", Data("alice".utf8), "alice second")
        let before = try w.refs(bare)
        do {
            _ = try alice.push(remote: "origin", transfer: transfer)
            Issue.record("a concurrent push was accepted")
        } catch let e as TransportError {
            guard case .leaseBroken = e else { Issue.record("unexpected \(e)"); return }
            #expect(e.description.contains("fetch and merge first"))
        }
        #expect(try w.refs(bare) == before)
        #expect(try w.rev(bare, "refs/lineage/heads/main") == winner)

        // After fetching (without merging) the branch is no fast-forward: refused before anything is sent.
        _ = try alice.fetch(remote: "origin")
        transfer.uploaded = []
        do {
            _ = try alice.push(remote: "origin", transfer: transfer)
            Issue.record("a non-fast-forward push was accepted")
        } catch let e as RemoteFailure {
            guard case .notFastForward = e else { Issue.record("unexpected \(e)"); return }
            #expect(e.description.contains("fetch and merge first"))
        }
        #expect(transfer.uploaded.isEmpty)
        #expect(try w.refs(bare) == before)
    }

    @Test func contentBeforeRefAFailedUploadLeavesTheRemoteRefAlone() throws {
        let w = try RemoteWorld()
        let (alice, bare, transfer) = try aliceWithRemote(w)
        try w.commit(alice, "big.bin", bytes(200_000, seed: 1), "big")
        let before = try w.refs(bare)
        transfer.failUploads = true
        #expect(throws: StoreError.self) { try alice.push(remote: "origin", transfer: transfer) }
        #expect(try w.refs(bare) == before)
        transfer.failUploads = false
        _ = try alice.push(remote: "origin", transfer: transfer)
        #expect(try w.refs(bare) != before)
    }

    /// Fetches that must be refused with nothing local changed: refs, HEAD, working files.
    func expectRefusedFetch(_ repo: Repository, _ w: RemoteWorld, remote: String = "origin",
                            _ check: (RemoteFailure) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let refs = try w.refs(repo.layout.dotLineage)
        let head = try String(contentsOfFile: repo.layout.dotLineage + "/HEAD", encoding: .utf8)
        do {
            _ = try repo.fetch(remote: remote)
            Issue.record("the fetch was accepted", sourceLocation: sourceLocation)
        } catch let e as RemoteFailure {
            #expect(check(e), "unexpected \(e)", sourceLocation: sourceLocation)
        }
        #expect(try w.refs(repo.layout.dotLineage) == refs, sourceLocation: sourceLocation)
        #expect(try String(contentsOfFile: repo.layout.dotLineage + "/HEAD", encoding: .utf8) == head, sourceLocation: sourceLocation)
        #expect(!refs.contains("quarantine"), sourceLocation: sourceLocation)
    }

    @Test func unsignedAndUntrustedCommitsOnTheRemoteAreRefused() throws {
        let w = try RemoteWorld()
        let (alice, bare, _) = try aliceWithRemote(w)
        let tip = try w.rev(bare, "refs/lineage/heads/main")
        let tree = try w.rev(bare, "refs/lineage/heads/main^{tree}")
        // A commit made with plain git on the remote: unsigned.
        let unsigned = try w.git(bare, "-c", "user.name=Eve", "-c", "user.email=eve@example.org", "commit-tree", tree, "-p", tip, "-m", "unsigned")
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try w.git(bare, "update-ref", "refs/lineage/heads/main", unsigned).code == 0)
        try expectRefusedFetch(alice, w) { e in
            if case .untrustedHistory(_, let c, let s, _) = e { return c == unsigned && s == "unsigned" }
            return false
        }
        // Signed by a key the history does not trust.
        let mallory = try w.key("mallory")
        let signed = try w.git(bare, "-c", "user.name=Mallory", "-c", "user.email=m@example.org", "-c", "gpg.format=ssh",
                               "-c", "user.signingkey=\(mallory.path)", "commit-tree", "-S", tree, "-p", tip, "-m", "untrusted")
        let untrusted = signed.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(signed.code == 0, "\(signed.err)")
        #expect(try w.git(bare, "update-ref", "refs/lineage/heads/main", untrusted).code == 0)
        try expectRefusedFetch(alice, w) { e in
            if case .untrustedHistory(_, let c, let s, _) = e { return c == untrusted && s == "unknown-key" && e.description.contains("origin") }
            return false
        }
    }

    @Test func historyNotDescendingFromThePinnedRootIsRefused() throws {
        let w = try RemoteWorld()
        let (_, bare, transfer) = try aliceWithRemote(w)
        _ = try Repository.clone(url: bare, into: w.base + "/bob", cwd: w.base, trustRoot: try w.defaultFingerprint, transfer: transfer)
        let bob = try Repository.open(from: w.base + "/bob")
        // Another history, signed by the same key, pushed over the remote's branch.
        let carol = try w.newRepository("carol")
        try w.commit(carol, "x.txt", Data("x".utf8), "another root")
        let other = w.base + "/other.git"
        try carol.remoteAdd(name: "o", url: other, cwd: carol.root)
        _ = try carol.push(remote: "o", transfer: DirectoryTransfer(other + "/" + Repository.defaultContentDirectory))
        #expect(try w.git(bare, "fetch", other, "+refs/lineage/heads/main:refs/lineage/heads/main").code == 0)
        try expectRefusedFetch(bob, w) { e in
            if case .foreignRoot = e { return e.description.contains("pinned root") }
            return false
        }
    }

    @Test func forcePushedRemoteBranchIsReportedAndNeedsForce() throws {
        let w = try RemoteWorld()
        let (alice, bare, transfer) = try aliceWithRemote(w)
        let first = try w.rev(bare, "refs/lineage/heads/main")
        try w.commit(alice, "a.txt", Data("a".utf8), "second")
        let second = try alice.push(remote: "origin", transfer: transfer).new
        // Someone rewinds the remote branch.
        #expect(try w.git(bare, "update-ref", "refs/lineage/heads/main", first).code == 0)
        let result = try alice.fetch(remote: "origin")
        #expect(result.rewritten.map(\.branch) == ["main"])
        #expect(try w.rev(alice.layout.dotLineage, "refs/lineage/remotes/origin/main") == second)
        #expect(try w.rev(alice.layout.dotLineage, "refs/heads/main") == second)
        let forced = try alice.fetch(remote: "origin", force: true)
        #expect(forced.branches.map(\.change) == [.forced])
        #expect(try w.rev(alice.layout.dotLineage, "refs/lineage/remotes/origin/main") == first)
        // Local commits are never lost.
        #expect(try w.rev(alice.layout.dotLineage, "refs/heads/main") == second)
    }

    @Test func aGitRemoteThatIsNotALineageHistoryIsRefused() throws {
        let w = try RemoteWorld()
        let bare = w.base + "/code.git"
        #expect(try tool(["git", "init", "-q", "--bare", bare]).code == 0)
        let empty = try w.git(bare, "hash-object", "-t", "tree", "-w", "/dev/null").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let c = try w.git(bare, "-c", "user.name=x", "-c", "user.email=x@example.org", "commit-tree", empty, "-m", "code").out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try w.git(bare, "update-ref", "refs/heads/main", c).code == 0)
        let target = w.base + "/clone"
        do {
            _ = try Repository.clone(url: bare, into: target, cwd: w.base, trustRoot: try w.defaultFingerprint)
            Issue.record("a plain git repository was cloned")
        } catch let e as RemoteFailure {
            guard case .notLineageHistory = e else { Issue.record("unexpected \(e)"); return }
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        // The same plain commit under lineage's ref name: unsigned, refused.
        #expect(try w.git(bare, "update-ref", "refs/lineage/heads/main", c).code == 0)
        do {
            _ = try Repository.clone(url: bare, into: target, cwd: w.base, trustRoot: try w.defaultFingerprint)
            Issue.record("an unsigned history was cloned")
        } catch let e as RemoteFailure {
            guard case .untrustedHistory = e else { Issue.record("unexpected \(e)"); return }
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func contentLocationTravelsInTheHistory() throws {
        let w = try RemoteWorld()
        let (alice, bare, transfer) = try aliceWithRemote(w)
        let location = w.base + "/shared-content"
        // Configured but not yet in the history: push says a clone would not find the bytes.
        try alice.remoteAdd(name: "second", url: w.base + "/second.git", content: location, cwd: alice.root)
        #expect(try alice.push(remote: "second", transfer: DirectoryTransfer(location)).contentNotRecorded?.contains("set-content") == true)
        let set = try alice.remoteSetContent(name: "origin", content: location, cwd: alice.root)
        #expect(set.commit != nil)
        #expect(set.config.effectiveContent == location)
        #expect(try alice.push(remote: "origin", transfer: transfer).contentNotRecorded == nil)
        #expect(try w.git(bare, "show", "refs/lineage/heads/main:.lineage/content.json").out.contains(location))
        let clone = try Repository.clone(url: bare, into: w.base + "/c", cwd: w.base, trustRoot: try w.defaultFingerprint, noContent: true)
        #expect(clone.contentLocation == location)
        #expect(try Repository.open(from: w.base + "/c").remote("origin").content == location)
    }
}

@Suite struct ContentReachTests {
    @Test func onlyWhatTheRemoteHistoryDoesNotReachIsSent() throws {
        let w = try RemoteWorld()
        let repo = try w.newRepository("r")
        let big = bytes(3_000_000, seed: 3)
        let c1 = try w.commit(repo, "big.bin", big, "v1")
        try w.commit(repo, "small.txt", Data("s".utf8), "small")
        let all1 = try repo.contentReach(from: [ObjectID(hex: c1)!], excluding: [])
        #expect(all1.commits == 1 && all1.chunkLists.count == 1 && all1.chunks.count > 3)

        // v2 changes the tail of big.bin: only the new chunk list and the chunks around the change.
        var edited = big
        edited.replaceSubrange(2_900_000..<2_900_010, with: Data(repeating: 0xAB, count: 10))
        let c3 = try w.commit(repo, "big.bin", edited, "v2")
        let all3 = try repo.contentReach(from: [ObjectID(hex: c3)!], excluding: [])
        let delta = try repo.contentReach(from: [ObjectID(hex: c3)!], excluding: [ObjectID(hex: c1)!])
        #expect(delta.commits == 2)
        #expect(delta.chunkLists.count == 2)  // big.bin v2 and small.txt
        #expect(delta.chunks.count >= 1 && delta.chunks.count < all1.chunks.count)
        #expect(Set(delta.all).isSubset(of: Set(all3.all)))
        #expect(Set(delta.chunks).isDisjoint(with: Set(all1.chunks)))
        // Everything the history reaches is either sent or reached by the known commit.
        #expect(Set(all3.all).isSubset(of: Set(delta.all).union(all1.all)))
        // Nothing new: nothing to send.
        #expect(try repo.contentReach(from: [ObjectID(hex: c3)!], excluding: [ObjectID(hex: c3)!]).isEmpty)
    }
}
