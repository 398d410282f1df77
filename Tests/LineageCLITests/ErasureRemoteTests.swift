import Foundation
import Testing

/// An erasure made in one clone reaches the others: fetch applies the tombstone to the local store,
/// the bytes cannot be fetched back, and the tombstone cannot be dropped by a push.
@Suite struct ErasureRemoteTests {
    @Test func fetchAppliesATeammatesTombstone() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("erase-remote-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let alice = try Project()
        defer { alice.remove() }
        let personal = randomData(200_000, seed: 77)
        try alice.write("data/people.bin", personal)
        try alice.write("data/other.csv", "id\n1\n")
        try alice.expectOK(["add", "data"])
        try alice.expectOK(["commit", "-m", "first"])
        try alice.expectOK(["remote", "add", "origin", base + "/team.git"])
        try alice.expectOK(["push"])
        let signers = try alice.git("show", "HEAD:.lineage/allowed_signers").out
        let keyLine = signers.split(separator: "\n")[0].split(separator: " ").suffix(2).joined(separator: " ")
        let fp = try CLI.tool("/bin/sh", ["-c", "echo '\(keyLine)' | ssh-keygen -lf - | cut -d' ' -f2"], in: base).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try alice.expectOK(["clone", base + "/team.git", base + "/bob", "--trust-root", fp])
        let bob = Project(existing: base + "/bob")
        #expect(try bob.expectOK(["cat", "HEAD:data/people.bin"]).outData == personal)

        try alice.expectOK(["erase", "data/people.bin", "--reason", "request 12"])
        try alice.expectOK(["push"])
        let fetched = try bob.expectOK(["fetch", "--json"])
        let doc = try JSONSerialization.jsonObject(with: fetched.outData) as! [String: Any]
        let applied = try #require(doc["erasuresApplied"] as? [[String: Any]])
        #expect(applied.first?["path"] as? String == "data/people.bin", "\(fetched.out)")
        #expect((applied.first?["objectsRemoved"] as? Int ?? 0) > 0)
        // The bytes are gone here, and reading them names the tombstone instead of fetching them back.
        let cat = try bob.run("cat", "HEAD:data/people.bin")
        #expect(cat.code != 0 && cat.err.contains("erased") && cat.err.contains("request 12"), "\(cat.err)")
        #expect(try bob.expectOK(["cat", "HEAD:data/other.csv"]).out == "id\n1\n")
        try bob.expectOK(["pull"])
        #expect(try bob.run("verify").code == 0)
        // The working file is the user's: lineage says it still holds the bytes, it does not delete it.
        #expect(bob.read("data/people.bin") == personal)
    }

    /// audit knows erasures: the erased version is not asked to be erased again; what was built
    /// from it is listed by --erase-derived and erased by --erase-derived --yes.
    @Test func auditErasesWhatWasBuiltFromErasedData() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data/raw.csv", "id,x\n1,a\n")
        try p.expectOK(["add", "data/raw.csv", "--license", "CC0-1.0", "--consent", "granted"])
        try p.expectOK(["commit", "-m", "raw"])
        try p.expectOK(["run", "--name", "prep", "-i", "data/raw.csv", "-o", "data/clean.csv", "--", "/bin/sh", "-c", "sed s/a/b/ data/raw.csv > data/clean.csv"])
        try p.expectOK(["consent", "withdraw", "data/raw.csv", "--reason", "request 3"])
        try p.expectOK(["erase", "data/raw.csv", "--reason", "request 3"])
        let audit = try p.run("audit", "--json")
        let doc = try JSONSerialization.jsonObject(with: audit.outData) as! [String: Any]
        let entries = doc["entries"] as! [[String: Any]]
        let raw = try #require(entries.first { $0["path"] as? String == "data/raw.csv" })
        #expect(raw["erased"] != nil && (raw["findings"] as? [Any])?.isEmpty == true, "\(raw)")
        let listed = try p.run("audit", "--erase-derived")
        #expect(listed.code == 1 && listed.out.contains("data/clean.csv"), "\(listed.out)")
        try p.expectOK(["audit", "--erase-derived", "--yes", "--reason", "request 3: derived data"])
        let cat = try p.run("cat", "HEAD:data/clean.csv")
        #expect(cat.code != 0 && cat.err.contains("erased"), "\(cat.err)")
        #expect(try p.run("audit", "--erase-derived").code == 0)
        #expect(try p.run("verify").code == 0)
    }
}
