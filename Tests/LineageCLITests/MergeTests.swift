import Foundation
import Testing

/// Branches, merge and pull through the CLI: fast-forward, three-way merges checked by stock git,
/// conflicts that change nothing, hooks on the merged result, and two users sharing a remote.
@Suite struct MergeTests {
    func head(_ p: Project) throws -> String { try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines) }

    func stockVerify(_ p: Project, _ rev: String = "HEAD") throws -> CLI.Result {
        let signers = p.dir + "/.lineage/allowed_signers"
        return try p.git("-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=\(signers)", "verify-commit", rev)
    }

    /// main: a.csv and b.csv committed; `feature` branches off.
    func twoBranches() throws -> Project {
        let p = try Project()
        try p.write("data/a.csv", "id,x\n1,a\n")
        try p.write("data/b.csv", "id,y\n1,b\n")
        try p.expectOK(["add", "data"])
        try p.expectOK(["commit", "-m", "base"])
        try p.expectOK(["branch", "feature"])
        return p
    }

    func commitOn(_ p: Project, _ branch: String, _ path: String, _ text: String, _ message: String) throws {
        try p.expectOK(["checkout", branch])
        try p.write(path, text)
        try p.expectOK(["add", path])
        try p.expectOK(["commit", "-m", message])
    }

    @Test func fastForwardThenThreeWayMergeThatStockGitVerifies() throws {
        let p = try twoBranches()
        defer { p.remove() }
        // Fast-forward: main has not moved.
        try commitOn(p, "feature", "data/b.csv", "id,y\n1,b\n2,bb\n", "feature: more b")
        let featureTip = try head(p)
        try p.expectOK(["checkout", "main"])
        let ff = try p.expectOK(["merge", "feature", "--json"])
        let ffDoc = try JSONSerialization.jsonObject(with: ff.outData) as! [String: Any]
        #expect(ffDoc["kind"] as? String == "fast-forward")
        #expect(try head(p) == featureTip)
        #expect(p.read("data/b.csv") == Data("id,y\n1,b\n2,bb\n".utf8))
        #expect(try p.expectOK(["merge", "feature"]).out.contains("Already up to date"))

        // Diverged: each side changes another file.
        try commitOn(p, "feature", "data/b.csv", "id,y\n1,b\n2,bb\n3,bbb\n", "feature: b again")
        try commitOn(p, "main", "data/a.csv", "id,x\n1,a\n2,aa\n", "main: more a")
        let mainTip = try head(p)
        let merged = try p.expectOK(["merge", "feature", "--json"])
        let doc = try JSONSerialization.jsonObject(with: merged.outData) as! [String: Any]
        #expect(doc["kind"] as? String == "merge")
        #expect(doc["fromTheirs"] as? [String] == ["data/b.csv"])
        let parents = try p.git("log", "-1", "--format=%P").out.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(parents.count == 2 && parents[0] == mainTip)
        #expect(p.read("data/a.csv") == Data("id,x\n1,a\n2,aa\n".utf8))
        #expect(p.read("data/b.csv") == Data("id,y\n1,b\n2,bb\n3,bbb\n".utf8))
        // Stock git accepts the signature and the object graph; our verify checks both parents.
        let stock = try stockVerify(p)
        #expect(stock.code == 0, "\(stock.err)")
        #expect(try p.git("fsck", "--full").code == 0)
        #expect(try p.run("verify").code == 0)
        let status = try p.expectOK(["status", "--json"])
        #expect(!status.out.contains("\"modified\"") && !status.out.contains("\"new\""), "\(status.out)")

        // Branch housekeeping: listing, deleting a merged branch, refusing to lose commits.
        let list = try JSONSerialization.jsonObject(with: try p.expectOK(["branch", "--json"]).outData) as! [String: Any]
        let names = (list["branches"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(names == ["feature", "main"])
        try p.expectOK(["branch", "-d", "feature"])
        try p.expectOK(["checkout", "-b", "spike"])
        try commitOn(p, "spike", "data/c.csv", "z\n1\n", "spike")
        try p.expectOK(["checkout", "main"])
        let refused = try p.run("branch", "-d", "spike")
        #expect(refused.code == 2 && refused.err.contains("--force"), "\(refused.err)")
        try p.expectOK(["branch", "-d", "spike", "--force"])
        let bad = try p.run("branch", "a..b")
        #expect(bad.code == 2 && bad.err.contains("not a valid branch name"), "\(bad.err)")

        // Leaving commits made on a detached HEAD warns, as git does.
        try p.expectOK(["checkout", "HEAD~1"])
        try p.write("data/d.csv", "d\n1\n")
        try p.expectOK(["add", "data/d.csv"])
        try p.expectOK(["commit", "-m", "detached work"])
        let back = try p.expectOK(["checkout", "main"])
        #expect(back.err.contains("leaving 1 commit(s) behind") && back.err.contains("lineage branch"), "\(back.err)")
    }

    /// lineage.yaml and the trust file are recorded in every commit: switching branches switches them.
    @Test func switchingBranchesSwitchesTheRecordedSettings() throws {
        let p = try twoBranches()
        defer { p.remove() }
        let strict = "hooks:\n  pre-commit:\n    - quality: { path: \"data/*.csv\", max-missing: 0 }\n"
        try p.expectOK(["checkout", "feature"])
        try p.write("lineage.yaml", strict)
        try p.expectOK(["add", "lineage.yaml"])
        try p.expectOK(["commit", "-m", "feature: stricter hooks"])
        try p.expectOK(["checkout", "main"])
        #expect(p.read("lineage.yaml") == nil)
        try p.write("data/c.csv", "z\n1\n")
        try p.expectOK(["add", "data/c.csv"])
        let commit = try p.expectOK(["commit", "-m", "main: c"])
        #expect(!commit.out.contains("lineage.yaml changed"), "\(commit.out)")
        try p.expectOK(["checkout", "feature"])
        #expect(p.read("lineage.yaml") == Data(strict.utf8))
        // A local edit of lineage.yaml is not lost to a branch switch.
        try p.write("lineage.yaml", strict + "# local\n")
        let refused = try p.run("checkout", "main")
        #expect(refused.code == 3 && refused.err.contains("lineage.yaml"), "\(refused.err)")
        #expect(p.read("lineage.yaml") == Data((strict + "# local\n").utf8))
    }

    @Test func conflictChangesNothingAndIsResolvedPerPath() throws {
        let p = try twoBranches()
        defer { p.remove() }
        try p.expectOK(["config", "user.name", "Fay Feature"])
        try commitOn(p, "feature", "data/a.csv", "id,x\n1,theirs\n", "feature: a")
        try p.expectOK(["config", "user.name", "Moe Main"])
        try commitOn(p, "main", "data/a.csv", "id,x\n1,ours\n", "main: a")
        let before = try p.snapshot()
        let tip = try head(p)
        let conflict = try p.run("merge", "feature")
        #expect(conflict.code == 3, "\(conflict.err)")
        #expect(conflict.err.contains("data/a.csv") && conflict.err.contains("Fay Feature") && conflict.err.contains("Moe Main"), "\(conflict.err)")
        #expect(conflict.err.contains("--theirs -- data/a.csv"), "\(conflict.err)")
        #expect(try p.snapshot() == before)
        #expect(try head(p) == tip)
        #expect(p.read("data/a.csv") == Data("id,x\n1,ours\n".utf8))
        // A resolution that names a path without a conflict is refused.
        let typo = try p.run("merge", "feature", "--theirs", "--", "data/b.csv")
        #expect(typo.code == 2 && typo.err.contains("nothing conflicts at data/b.csv"), "\(typo.err)")
        #expect(try p.snapshot() == before)

        try p.expectOK(["merge", "feature", "--theirs", "--", "data/a.csv"])
        #expect(p.read("data/a.csv") == Data("id,x\n1,theirs\n".utf8))
        #expect(try stockVerify(p).code == 0)
        #expect(try p.run("verify").code == 0)
    }

    @Test func consentWithdrawalOnEitherSideSurvivesTheMerge() throws {
        let p = try twoBranches()
        defer { p.remove() }
        try p.expectOK(["rights", "set", "data/a.csv", "--license", "CC0-1.0"])
        // feature starts again from here (the old one is merged into main, so it deletes without --force).
        try p.expectOK(["branch", "-d", "feature"])
        try p.expectOK(["branch", "feature"])
        // main withdraws consent; feature records another licence for the same file.
        try p.expectOK(["consent", "withdraw", "data/a.csv", "--reason", "request 9"])
        try p.expectOK(["checkout", "feature"])
        try p.expectOK(["rights", "set", "data/a.csv", "--license", "CC-BY-4.0"])
        try p.expectOK(["checkout", "main"])
        try p.expectOK(["merge", "feature"])
        let shown = try p.expectOK(["rights", "show", "data/a.csv", "--json"])
        #expect(shown.out.contains("withdrawn"), "\(shown.out)")
        #expect(try p.run("verify").code == 0)
    }

    /// Each side alone is clean; together the training split holds a test row.
    @Test func hooksRunOnTheMergedResult() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - leakage: { splits: { train: data/train.csv, test: data/test.csv } }\n")
        try p.write("data/train.csv", "id,x\n1,a\n2,b\n3,c\n")
        try p.write("data/test.csv", "id,x\n4,d\n5,e\n")
        try p.expectOK(["add", "lineage.yaml", "data"])
        try p.expectOK(["commit", "-m", "clean splits"])
        try p.expectOK(["branch", "feature"])
        try commitOn(p, "feature", "data/test.csv", "id,x\n4,d\n5,e\n6,f\n", "feature: a new test row")
        try commitOn(p, "main", "data/train.csv", "id,x\n1,a\n2,b\n3,c\n6,f\n", "main: a new training row")
        let before = try p.snapshot()
        let tip = try head(p)
        let blocked = try p.run("merge", "feature")
        #expect(blocked.code == 1, "\(blocked.out)\(blocked.err)")
        #expect(blocked.out.contains("leakage"), "\(blocked.out)")
        #expect(try head(p) == tip)
        #expect(try p.snapshot() == before)
        #expect(p.read("data/test.csv") == Data("id,x\n4,d\n5,e\n".utf8))
        // Skipping the hooks is possible, and the signed commit says so.
        try p.expectOK(["merge", "feature", "--no-verify"])
        let show = try p.expectOK(["show", "HEAD", "--json"])
        #expect(show.out.contains("skipped") || show.out.contains("noVerify"), "\(show.out)")
    }

    @Test func pullMergesATeammatesWork() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("merge-pull-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let alice = try Project()
        defer { alice.remove() }
        try alice.write("lineage.yaml", "hooks:\n  pre-commit:\n    - leakage: { splits: { train: data/train.csv, test: data/test.csv } }\n")
        try alice.write("data/train.csv", "id,x\n1,a\n2,b\n")
        try alice.write("data/test.csv", "id,x\n4,d\n")
        try alice.expectOK(["add", "lineage.yaml", "data"])
        try alice.expectOK(["commit", "-m", "first"])
        let bare = base + "/team.git"
        try alice.expectOK(["remote", "add", "origin", bare])
        try alice.expectOK(["push"])
        let trust = try JSONSerialization.jsonObject(with: try alice.expectOK(["trust", "list", "--json"]).outData)
        let entries = ((trust as? [String: Any])?["keys"] as? [[String: Any]]) ?? []
        let fp = try #require(entries.first?["fingerprint"] as? String)
        try alice.expectOK(["clone", bare, base + "/bob", "--trust-root", fp])
        let bob = Project(existing: base + "/bob")
        // The clone carries lineage.yaml, so Bob's commits run the same hooks (and do not drop it).
        #expect(bob.read("lineage.yaml") == alice.read("lineage.yaml"))
        try bob.expectOK(["config", "user.name", "Bob"])
        try bob.expectOK(["config", "user.email", "bob@example.org"])

        // Both change different files; Bob pushes first.
        try bob.write("data/notes.csv", "n\n1\n")
        try bob.expectOK(["add", "data/notes.csv"])
        let bobCommit = try bob.expectOK(["commit", "-m", "bob: notes"])
        #expect(!bobCommit.out.contains("lineage.yaml changed"), "\(bobCommit.out)")
        try bob.expectOK(["push"])
        try alice.write("data/train.csv", "id,x\n1,a\n2,b\n3,c\n")
        try alice.expectOK(["add", "data/train.csv"])
        try alice.expectOK(["commit", "-m", "alice: more training rows"])
        let refused = try alice.run("push")
        #expect(refused.code == 3 && refused.err.contains("fetch and merge first"), "\(refused.err)")

        let pulled = try alice.expectOK(["pull", "--json"])
        let doc = try JSONSerialization.jsonObject(with: pulled.outData) as! [String: Any]
        #expect((doc["merge"] as? [String: Any])?["kind"] as? String == "merge", "\(pulled.out)")
        #expect(alice.read("data/notes.csv") == Data("n\n1\n".utf8))
        #expect(try alice.run("verify").code == 0)
        try alice.expectOK(["push"])

        // Bob's pull is a fast-forward; both histories verify, with stock git too.
        let bobPull = try bob.expectOK(["pull", "--json"])
        #expect(bobPull.out.contains("fast-forward"), "\(bobPull.out)")
        #expect(bob.read("data/train.csv") == Data("id,x\n1,a\n2,b\n3,c\n".utf8))
        #expect(try head(bob) == head(alice))
        #expect(try bob.run("verify").code == 0)
        #expect(try stockVerify(bob).code == 0)

        // A pull whose merged result leaks is refused; nothing local changes.
        try bob.write("data/test.csv", "id,x\n4,d\n9,z\n")
        try bob.expectOK(["add", "data/test.csv"])
        try bob.expectOK(["commit", "-m", "bob: test row"])
        try bob.expectOK(["push"])
        try alice.write("data/train.csv", "id,x\n1,a\n2,b\n3,c\n9,z\n")
        try alice.expectOK(["add", "data/train.csv"])
        try alice.expectOK(["commit", "-m", "alice: training row"])
        let tip = try head(alice)
        let leak = try alice.run("pull")
        #expect(leak.code == 1 && leak.out.contains("leakage"), "\(leak.out)\(leak.err)")
        #expect(try head(alice) == tip)
        #expect(alice.read("data/test.csv") == Data("id,x\n4,d\n".utf8))
    }
}
