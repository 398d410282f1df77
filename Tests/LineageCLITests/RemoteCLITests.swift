import Foundation
import Testing

/// Remotes end to end through the CLI: bare repositories on local paths, content in the directory
/// beside them, two users.
@Suite struct RemoteCLITests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("remote-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func git(_ gitDir: String, _ args: String...) throws -> CLI.Result {
        try CLI.tool("/usr/bin/git", ["--git-dir", gitDir] + args, in: "/")
    }

    func fingerprint(_ p: Project) throws -> String {
        let out = try p.expectOK(["trust", "list", "--json"]).outData
        let list = (try JSONSerialization.jsonObject(with: out) as! [String: Any])["keys"] as! [[String: Any]]
        return list[0]["fingerprint"] as! String
    }

    /// Alice's project with one committed file, pushed to a bare repository that push creates.
    func alicePushed(_ base: String) throws -> (Project, String) {
        let alice = try Project()
        try alice.write("data/train.csv", randomData(400_000, seed: 11))
        try alice.expectOK(["add", "data/train.csv"])
        try alice.expectOK(["commit", "-m", "first"])
        let bare = base + "/team.git"
        try alice.expectOK(["remote", "add", "origin", bare])
        let push = try alice.expectOK(["push"])
        #expect(push.out.contains("origin main"))
        return (alice, bare)
    }

    @Test func pushCloneFetchAndARefusedConcurrentPush() throws {
        let base = try scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, bare) = try alicePushed(base)
        defer { alice.remove() }
        let head = try alice.git("rev-parse", "HEAD").out
        #expect(try git(bare, "rev-parse", "refs/lineage/heads/main").out == head)
        // The bytes are in packs beside the history; stock git checks the history.
        let packs = try FileManager.default.contentsOfDirectory(atPath: bare + "/lineage-content/packs")
        #expect(packs.contains { $0.hasSuffix(".pack") })
        #expect(try git(bare, "fsck", "--full").code == 0)
        let signers = base + "/allowed_signers"
        try git(bare, "show", "refs/lineage/heads/main:.lineage/allowed_signers").outData.write(to: URL(fileURLWithPath: signers))
        let verify = try git(bare, "-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=\(signers)", "verify-commit", "refs/lineage/heads/main")
        #expect(verify.code == 0, "\(verify.err)")

        // Non-interactive clone: the root signer must be pinned on the command line.
        let fp = try fingerprint(alice)
        let refused = try CLI.run(["clone", bare, "bob"], in: base)
        #expect(refused.code == 2)
        #expect(refused.err.contains(fp) && refused.err.contains("--trust-root"), "\(refused.err)")
        #expect(!FileManager.default.fileExists(atPath: base + "/bob"))
        let wrong = try CLI.run(["clone", bare, "bob", "--trust-root", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"], in: base)
        #expect(wrong.code == 2 && wrong.err.contains("not by SHA256:AAAA"), "\(wrong.err)")
        #expect(!FileManager.default.fileExists(atPath: base + "/bob"))
        let cloned = try CLI.run(["clone", bare, "bob", "--trust-root", fp], in: base)
        #expect(cloned.code == 0, "\(cloned.err)")
        let bob = Project(existing: base + "/bob")
        #expect(bob.read("data/train.csv") == randomData(400_000, seed: 11))
        #expect(try bob.run("config", "lineage.trustroot").out.trimmingCharacters(in: .whitespacesAndNewlines) == head.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try bob.run("verify").code == 0)

        // Bob's commit reaches Alice through fetch, verified.
        try bob.expectOK(["config", "user.name", "Bob"])
        try bob.expectOK(["config", "user.email", "bob@example.org"])
        try bob.write("data/more.csv", "id\n1\n")
        try bob.expectOK(["add", "data/more.csv"])
        try bob.expectOK(["commit", "-m", "bob"])
        try bob.expectOK(["push"])
        let bobHead = try bob.git("rev-parse", "HEAD").out
        let fetched = try alice.expectOK(["fetch", "--json"])
        #expect(fetched.out.contains("fast-forward"))
        #expect(try alice.git("rev-parse", "refs/lineage/remotes/origin/main").out == bobHead)
        #expect(try alice.git("rev-parse", "HEAD").out == head)

        // Alice's own commit on the old tip: refused, and the remote keeps Bob's.
        try alice.write("data/alice.csv", "a\n1\n")
        try alice.expectOK(["add", "data/alice.csv"])
        try alice.expectOK(["commit", "-m", "alice"])
        let push = try alice.run("push")
        #expect(push.code == 3)
        #expect(push.err.contains("fetch and merge first"), "\(push.err)")
        #expect(try git(bare, "rev-parse", "refs/lineage/heads/main").out == bobHead)
    }

    @Test func anUnsignedCommitOnTheRemoteIsRefusedAndNothingLocalMoves() throws {
        let base = try scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, bare) = try alicePushed(base)
        defer { alice.remove() }
        let tip = try git(bare, "rev-parse", "refs/lineage/heads/main").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let forged = try CLI.tool("/usr/bin/git", ["--git-dir", bare, "-c", "user.name=Eve", "-c", "user.email=e@example.org",
                                                   "commit-tree", tip + "^{tree}", "-p", tip, "-m", "forged"], in: "/")
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try git(bare, "update-ref", "refs/lineage/heads/main", forged).code == 0)
        let refs = try alice.git("show-ref").out
        let r = try alice.run("fetch")
        #expect(r.code == 3)
        #expect(r.err.contains("origin") && r.err.contains(String(forged.prefix(12))) && r.err.contains("unsigned"), "\(r.err)")
        #expect(try alice.git("show-ref").out == refs)
    }

    @Test func remotesAreConfiguredAndBadInputIsRefused() throws {
        let base = try scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let p = try Project()
        defer { p.remove() }
        try p.expectOK(["remote", "add", "origin", "../elsewhere.git"])
        try p.expectOK(["remote", "add", "backup", "ssh://me@example.org:2222/srv/h.git", "--content", "s3://bucket/prefix"])
        let list = (try JSONSerialization.jsonObject(with: try p.expectOK(["remote", "list", "--json"]).outData) as! [String: Any])["remotes"] as! [[String: Any]]
        #expect(list.map { $0["name"] as? String } == ["backup", "origin"])
        #expect((list[1]["url"] as? String)?.hasPrefix("/") == true)
        #expect((list[1]["effectiveContent"] as? String)?.hasSuffix("elsewhere.git/lineage-content") == true)
        #expect(list[0]["content"] as? String == "s3://bucket/prefix")
        #expect(try p.run("remote", "add", "origin", "/x.git").code == 2)
        #expect(try p.run("remote", "add", "bad/name", "/x.git").code == 2)
        let secret = try p.run("remote", "add", "h", "https://user:token@example.org/r.git")
        #expect(secret.code == 2 && secret.err.contains("credential"))
        try p.expectOK(["remote", "remove", "backup"])
        #expect(try p.run("remote", "remove", "backup").code == 2)
        // A missing path remote cannot be reached; a plain git repository is not a lineage history.
        let missing = try p.run("fetch")
        #expect(missing.code == 5 && missing.err.contains("origin"), "\(missing.err)")
        let code = base + "/code.git"
        #expect(try CLI.tool("/usr/bin/git", ["init", "-q", "--bare", code], in: base).code == 0)
        let tree = try git(code, "hash-object", "-t", "tree", "-w", "/dev/null").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let c = try CLI.tool("/usr/bin/git", ["--git-dir", code, "-c", "user.name=x", "-c", "user.email=x@example.org", "commit-tree", tree, "-m", "code"], in: "/")
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try git(code, "update-ref", "refs/heads/main", c).code == 0)
        let notLineage = try CLI.run(["clone", code, "x", "--trust-root", "SHA256:x"], in: base)
        #expect(notLineage.code == 2 && notLineage.err.contains("holds no lineage history"), "\(notLineage.err)")
        #expect(!FileManager.default.fileExists(atPath: base + "/x"))
    }
}

extension Project {
    /// A project that already exists (made by `clone`).
    init(existing dir: String) { self.dir = dir }
}
