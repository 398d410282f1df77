import Foundation
import Testing

/// Trust holes of issue 12: trust taken from unverified history (3), lockout (4), and trust that
/// travels with a copied repository (5).
@Suite("Trust holes")
struct TrustHoleTests {
    func head(_ p: Project) throws -> String { try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines) }

    func json(_ r: CLI.Result) throws -> Any { try JSONSerialization.jsonObject(with: r.outData) }

    func verifyStatuses(_ p: Project) throws -> (code: Int32, status: [String: String]) {
        let r = try p.run(["verify", "--json"])
        let doc = try json(r) as! [String: Any]
        var out: [String: String] = [:]
        for v in doc["history"] as! [[String: Any]] { out[v["commit"] as! String] = v["status"] as? String }
        return (r.code, out)
    }

    /// `lineage log --json`: commit → verdict status.
    func logVerdicts(_ p: Project) throws -> [String: String] {
        let entries = (try json(try p.expectOK(["log", "--json"])) as! [String: Any])["commits"] as! [[String: Any]]
        var out: [String: String] = [:]
        for e in entries { out[e["commit"] as! String] = (e["verdict"] as? [String: Any])?["status"] as? String }
        return out
    }

    func sshKeygen(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = try CLI.tool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", dir + "/" + name], in: dir)
        #expect(r.code == 0, "ssh-keygen: \(r.err)")
        return dir + "/" + name
    }

    /// A commit made with plain git on top of `parent` with `tree`, signed by `key` when given.
    func gitCommit(_ p: Project, tree: String, parent: String, message: String, key: String? = nil) throws -> String {
        var args = ["--git-dir", p.dir + "/.lineage", "-c", "user.name=Mallory", "-c", "user.email=mallory@example.org"]
        if let key { args += ["-c", "gpg.format=ssh", "-c", "user.signingkey=\(key)"] }
        args += ["commit-tree", tree, "-p", parent, "-m", message] + (key == nil ? [] : ["-S"])
        let r = try CLI.tool("/usr/bin/git", args, in: p.dir)
        #expect(r.code == 0, "git commit-tree: \(r.err)")
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: 3. Trust taken from unverified history

    @Test func anUnsignedInjectedCommitIsNeverExtendedAndLogShowsVerdicts() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.txt", "one\n")
        try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "first"])
        let good = try head(p)
        let tree = try p.git("log", "-1", "--format=%T", good).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let injected = try gitCommit(p, tree: tree, parent: good, message: "injected")
        try p.git("update-ref", "refs/heads/main", injected)

        // log and show name each commit's verdict, in text and JSON.
        let verdicts = try logVerdicts(p)
        #expect(verdicts[good] == "good" && verdicts[injected] == "unsigned")
        #expect(try p.expectOK(["log"]).out.contains("Signature: unsigned"))
        let oneline = try p.expectOK(["log", "--oneline"]).out
        #expect(oneline.contains("[good] first") && oneline.contains("[unsigned] injected"), "\(oneline)")
        let shown = try json(try p.expectOK(["show", "--json"])) as! [String: Any]
        #expect(((shown["commit"] as? [String: Any])?["verdict"] as? [String: Any])?["status"] as? String == "unsigned")
        #expect(try p.expectOK(["show", good]).out.contains("Signature: good"))
        try validateAgainstSchema(try p.expectOK(["log", "--json"]).out, schema: "log.schema.json")

        // Every verb that writes a commit refuses to build on it (blocked, exit 3), and changes nothing.
        try p.write("a.txt", "two\n")
        try p.expectOK(["add", "a.txt"])
        let before = try p.snapshot()
        let bob = try sshKeygen("bob")
        for args in [["commit", "-m", "second"], ["trust", "add", "bob@example.org", bob + ".pub"], ["trust", "remove", "nobody"],
                     ["run", "--name", "r", "-o", "out.txt", "--", "/bin/sh", "-c", "echo > out.txt"], ["erase", "a.txt", "--reason", "test"],
                     ["rights", "set", "a.txt", "--license", "MIT"]] {
            let r = try p.run(args)
            #expect(r.code == 3, "lineage \(args.joined(separator: " ")): \(r.code) \(r.err)")
            #expect(r.err.contains("did not verify") && r.err.contains("lineage verify") && r.err.contains(String(good.prefix(12))), "\(r.err)")
        }
        #expect(try head(p) == injected)
        #expect(try p.snapshot() == before)

        // The recovery the message gives works, and the verdict cache is only a cache.
        try p.expectOK(["checkout", "--force", good])
        try p.git("branch", "-f", "main", good)
        try p.expectOK(["checkout", "main"])
        try p.write("a.txt", "two\n")
        try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "second"])
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: p.dir + "/.lineage/index.sqlite" + suffix) }
        try p.write("a.txt", "three\n")
        try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "third"])
        #expect(try logVerdicts(p).values.allSatisfy { $0 == "good" })
    }

    @Test func aKeyThatTrustedItselfOutsideLineageIsNeverTrusted() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.txt", "one\n")
        try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "first"])
        let good = try head(p)
        // Eve, untrusted, signs a commit (plain git) that adds her key to the trust. Its tree (with a
        // sound commit record) is borrowed from a trust change that was then thrown away.
        let eve = try sshKeygen("eve")
        try p.expectOK(["trust", "add", "eve@example.org", eve + ".pub"])
        let tree = try p.git("log", "-1", "--format=%T", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)
        try p.git("update-ref", "refs/heads/main", good)
        try p.write(".lineage/allowed_signers", try p.git("show", "\(good):.lineage/allowed_signers").out)
        let bad = try gitCommit(p, tree: tree, parent: good, message: "trust eve", key: eve)
        try p.git("update-ref", "refs/heads/main", bad)
        // ... then another commit by Eve on top of it: her key is in the trust of its parent.
        let later = try gitCommit(p, tree: tree, parent: bad, message: "by eve", key: eve)
        try p.git("update-ref", "refs/heads/main", later)

        let (code, status) = try verifyStatuses(p)
        #expect(code == 1)
        #expect(status[good] == "good" && status[bad] == "unknown-key")
        #expect(status[later] == "unverified-parent", "a key trusted only through an unverified commit was called \(status[later] ?? "?")")
        #expect(try logVerdicts(p)[later] == "unverified-parent")

        // lineage builds on neither, whoever signs.
        try p.write("b.txt", "b\n")
        try p.expectOK(["add", "b.txt"])
        let byOwner = try p.run("commit", "-m", "owner on top")
        #expect(byOwner.code == 3 && byOwner.err.contains("did not verify"), "\(byOwner.err)")
        try p.expectOK(["config", "user.signingkey", eve])
        let byEve = try p.run("commit", "-m", "eve on top")
        #expect(byEve.code == 3, "\(byEve.err)")
        #expect(try head(p) == later)
    }

    // MARK: 4. Lockout

    @Test func aCommitThatWouldLockEveryoneOutIsRefused() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.txt", "one\n")
        try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "first"])
        let original = String(decoding: p.read(".lineage/allowed_signers")!, as: UTF8.self)

        // Emptied by hand: no signer would be left. Refused, even with --force; nothing changes.
        try p.write(".lineage/allowed_signers", "")
        try p.write("a.txt", "two\n")
        try p.expectOK(["add", "a.txt"])
        let before = try p.snapshot()
        let headBefore = try head(p)
        for args in [["commit", "-m", "empty trust"], ["commit", "-m", "empty trust", "--force"]] {
            let r = try p.run(args)
            #expect(r.code == 2 && r.err.contains("nobody could ever commit"), "\(args): \(r.code) \(r.err)")
        }
        #expect(try head(p) == headBefore && p.snapshot() == before)

        // Own key removed by hand, another kept: refused without --force.
        let bob = try sshKeygen("bob")
        let bobLine = "bob@example.org namespaces=\"git\" " + (try String(contentsOfFile: bob + ".pub", encoding: .utf8)).split(separator: " ").prefix(2).joined(separator: " ") + "\n"
        try p.write(".lineage/allowed_signers", bobLine)
        let own = try p.run("commit", "-m", "drop me")
        #expect(own.code == 2 && own.err.contains("your own signing key") && own.err.contains("--force"), "\(own.err)")
        #expect(try head(p) == headBefore)

        // `trust remove --force` of the last principal would leave nobody: refused.
        try p.write(".lineage/allowed_signers", original)
        let me = original.split(separator: " ").first.map(String.init)!
        let last = try p.run("trust", "remove", me, "--force")
        #expect(last.code == 2 && last.err.contains("nobody could ever commit"), "\(last.err)")
        #expect(String(decoding: p.read(".lineage/allowed_signers")!, as: UTF8.self) == original)

        // With --force, handing over to Bob is allowed (and then only Bob can commit).
        try p.write(".lineage/allowed_signers", bobLine)
        try p.expectOK(["commit", "-m", "hand over to bob", "--force"])
        try p.write("a.txt", "three\n")
        try p.expectOK(["add", "a.txt"])
        #expect(try p.run("commit", "-m", "me again").code == 2)
        try p.expectOK(["config", "user.signingkey", bob])
        try p.expectOK(["commit", "-m", "bob"])
        #expect(try p.expectOK(["verify"]).code == 0)
    }

    // MARK: 5. Trust that travels with a copy

    /// A scratch config directory standing for another user (or the same user's fresh settings).
    func otherUser() throws -> [String: String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-user-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return ["XDG_CONFIG_HOME": dir, "HOME": dir]
    }

    func copy(_ p: Project) throws -> Project {
        let copy = try Project(initialize: false)
        let r = try CLI.tool("/bin/sh", ["-c", "tar -C \"$0\" -cf - . | tar -C \"$1\" -xf -", p.dir, copy.dir], in: p.dir)
        #expect(r.code == 0, "tar: \(r.err)")
        return copy
    }

    @Test func commandHookTrustDoesNotTravelWithACopy() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("check.sh", "#!/bin/sh\nexit 0\n")
        chmod(p.dir + "/check.sh", 0o755)
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - command: { run: ./check.sh, timeout: 30 }\n")
        try p.write("a.txt", "one\n")
        try p.expectOK(["add", "a.txt"])
        try p.expectOK(["hooks", "trust"])
        try p.expectOK(["commit", "-m", "first"])
        // Nothing inside .lineage grants the trust.
        #expect(!FileManager.default.fileExists(atPath: p.dir + "/.lineage/hooks-trusted"))

        let c = try copy(p)
        defer { c.remove() }
        // Another user of the copy is asked first.
        let other = try otherUser()
        let theirs = try c.run(["hooks", "run"], env: other)
        #expect(theirs.code == 3 && theirs.err.contains("not trusted yet"), "\(theirs.code) \(theirs.err)")
        // So is the same user: the copy is another repository.
        try c.write("a.txt", "two\n")
        try c.expectOK(["add", "a.txt"])
        let mine = try c.run("commit", "-m", "in the copy")
        #expect(mine.code == 3 && mine.err.contains("not trusted yet"), "\(mine.code) \(mine.err)")
        #expect(try c.expectOK(["hooks", "list"]).out.contains("not trusted"))
        // The original stays trusted.
        try p.write("a.txt", "two\n")
        try p.expectOK(["add", "a.txt"])
        try p.expectOK(["commit", "-m", "second"])
    }

    @Test func aCopyNeverSignsWithThePreviousOwnersKey() throws {
        let p = try Project()
        defer { p.remove() }
        let alice = try sshKeygen("alice")
        try p.expectOK(["config", "user.signingkey", alice])
        try p.expectOK(["trust", "add", "alice@example.org", alice + ".pub"])
        // The choice is the user's, outside the repository.
        #expect(try p.expectOK(["config", "user.signingkey"]).out == alice + "\n")
        #expect(try p.git("config", "--file", p.dir + "/.lineage/config", "user.signingkey").code != 0)
        try p.write("a.txt", "one\n")
        try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "by alice"])

        let c = try copy(p)
        defer { c.remove() }
        let other = try otherUser()
        try c.write("a.txt", "two\n")
        try c.expectOK(["add", "a.txt"])
        let r = try c.run(["commit", "-m", "someone else"], env: other)
        #expect(r.code == 2 && r.err.contains("no signing key"), "signed with the previous owner's key? \(r.code) \(r.err)")
        #expect(try c.run(["config", "user.signingkey"], env: other).code == 1)

        // A key left in .lineage/config by an older version is ignored, with a warning saying what to do.
        try c.git("config", "--file", c.dir + "/.lineage/config", "user.signingkey", alice)
        let legacy = try c.run(["commit", "-m", "someone else"], env: other)
        #expect(legacy.code == 2 && legacy.err.contains("ignoring user.signingkey") && legacy.err.contains("lineage config user.signingkey"), "\(legacy.err)")
        // Choosing a key writes it to the user's place and drops the one in the repository.
        let mine = try sshKeygen("carol")
        _ = try c.run(["config", "user.signingkey", mine], env: other)
        #expect(try c.run(["config", "user.signingkey"], env: other).out == mine + "\n")
        #expect(try c.git("config", "--file", c.dir + "/.lineage/config", "user.signingkey").code != 0)
        let untrusted = try c.run(["commit", "-m", "carol"], env: other)
        #expect(untrusted.code == 2 && untrusted.err.contains("not trusted"), "\(untrusted.err)")
    }
}
