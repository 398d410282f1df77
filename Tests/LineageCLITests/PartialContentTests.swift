import Foundation
import Testing

/// Partial content: `clone --no-content`, `clone -- <paths>`, `pull -- <paths>`; bytes fetched on
/// demand by `cat` and `checkout <rev> -- <path>`; history-only commands work without the bytes.
@Suite struct PartialContentTests {
    /// Alice's project with two datasets, pushed to a bare repository (content beside it).
    func published(_ base: String) throws -> (Project, String, String) {
        let alice = try Project()
        try alice.write("data/big.bin", randomData(300_000, seed: 3))
        try alice.write("data/small.csv", "id,x\n1,a\n")
        try alice.expectOK(["add", "data"])
        try alice.expectOK(["commit", "-m", "first"])
        let bare = base + "/team.git"
        try alice.expectOK(["remote", "add", "origin", bare])
        try alice.expectOK(["push"])
        let fp = try alice.rootFingerprint()
        return (alice, bare, fp)
    }

    @Test func historyOnlyCloneFetchesBytesOnDemand() throws {
        let base = try scratchDirectory("partial")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, bare, fp) = try published(base)
        defer { alice.remove() }
        try alice.expectOK(["clone", bare, base + "/bob", "--trust-root", fp, "--no-content"])
        let bob = Project(existing: base + "/bob")
        #expect(bob.read("data/big.bin") == nil)
        // Nothing changed: status is clean and says what is not fetched; history commands work.
        let status = try bob.expectOK(["status", "--json"])
        #expect(status.out.contains("not-fetched") && !status.out.contains("\"deleted\""), "\(status.out)")
        #expect(try bob.expectOK(["status"]).out.contains("2 tracked file(s) not fetched"))
        try bob.expectOK(["log"])
        try bob.expectOK(["ls-files"])
        try bob.expectOK(["trace", "data/small.csv"])
        #expect(try bob.run("verify").code == 0)
        // `add` of the directory does not record the absent files as deleted.
        try bob.write("data/new.csv", "id\n1\n")
        let added = try bob.expectOK(["add", "data", "--json"])
        #expect(!added.out.contains("removed"), "\(added.out)")
        try bob.expectOK(["restore", "--staged", "data/new.csv"])
        // cat fetches the bytes from origin; checkout -- path writes the file.
        let cat = try bob.expectOK(["cat", "HEAD:data/big.bin"])
        #expect(cat.outData == randomData(300_000, seed: 3))
        try bob.expectOK(["checkout", "HEAD", "--", "data/small.csv"])
        #expect(bob.read("data/small.csv") == Data("id,x\n1,a\n".utf8))
        #expect(try bob.run("verify").code == 0)
    }

    @Test func cloneAndPullOnlyNamedPaths() throws {
        let base = try scratchDirectory("partial")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, bare, fp) = try published(base)
        defer { alice.remove() }
        try alice.expectOK(["clone", bare, base + "/bob", "--trust-root", fp, "--", "data/small.csv"])
        let bob = Project(existing: base + "/bob")
        #expect(bob.read("data/small.csv") == Data("id,x\n1,a\n".utf8))
        #expect(bob.read("data/big.bin") == nil)
        let st = try JSONSerialization.jsonObject(with: try bob.expectOK(["status", "--json"]).outData) as! [String: Any]
        let files = st["files"] as! [[String: Any]]
        #expect(files.first { $0["path"] as? String == "data/big.bin" }?["worktree"] as? String == "not-fetched")

        // Alice changes both; Bob pulls only the small one's bytes.
        try alice.write("data/big.bin", randomData(300_000, seed: 4))
        try alice.write("data/small.csv", "id,x\n1,a\n2,b\n")
        try alice.expectOK(["add", "data"])
        try alice.expectOK(["commit", "-m", "second"])
        try alice.expectOK(["push"])
        try bob.expectOK(["pull", "--", "data/small.csv"])
        #expect(bob.read("data/small.csv") == Data("id,x\n1,a\n2,b\n".utf8))
        #expect(bob.read("data/big.bin") == nil)
        #expect(try bob.expectOK(["status"]).out.contains("1 tracked file(s) not fetched"))
        // Then the big one, on demand.
        try bob.expectOK(["pull", "--", "data/big.bin"])
        #expect(bob.read("data/big.bin") == randomData(300_000, seed: 4))

        // A path with no remote to fetch from says what to do.
        try bob.expectOK(["remote", "remove", "origin"])
        try alice.expectOK(["clone", bare, base + "/carol", "--trust-root", fp, "--no-content"])
        let carol = Project(existing: base + "/carol")
        try carol.expectOK(["remote", "remove", "origin"])
        let none = try carol.run("cat", "HEAD:data/big.bin")
        #expect(none.code == 4 && none.err.contains("no remote"), "\(none.err)")
    }
}
