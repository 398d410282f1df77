import Foundation
import Testing

/// A command killed half-way (SIGKILL at a named point, `LINEAGE_TEST_KILL_AT`) leaves nothing that
/// the next writing command does not clean, and `verify` reports what is left until then.
@Suite("Interrupted work")
struct InterruptedWorkTests {
    func files(under dir: String) -> [String] {
        var out: [String] = []
        let e = FileManager.default.enumerator(atPath: dir)
        while let rel = e?.nextObject() as? String { out.append(rel) }
        return out.sorted()
    }

    func killed(_ p: Project, _ args: [String], at point: String) throws {
        let r = try p.run(args, env: ["LINEAGE_TEST_KILL_AT": point])
        #expect(r.code == 128 + SIGKILL || r.code == SIGKILL, "lineage \(args) at \(point) exited \(r.code): \(r.err)")
    }

    func verifyProblems(_ p: Project) throws -> (code: Int32, kinds: [String]) {
        let r = try p.run("verify", "--json")
        struct V: Decodable { struct P: Decodable { let kind: String }; let problems: [P] }
        return (r.code, try JSONDecoder().decode(V.self, from: r.outData).problems.map(\.kind))
    }

    @Test func killedAddLeavesATemporaryPackThatTheNextWriterRemoves() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("big.bin", randomData(3 << 20, seed: 1))
        try killed(p, ["add", "big.bin"], at: "add-before-finish")
        let packs = p.dir + "/.lineage/content/sha256/packs"
        #expect(files(under: packs).contains { $0.hasPrefix("tmp-") }, "\(files(under: packs))")
        var v = try verifyProblems(p)
        #expect(v.code == 1 && v.kinds.contains("leftover-temporary-file"), "\(v)")
        // Nothing was staged, and the next writer cleans up.
        let r = try p.expectOK(["add", "big.bin"])
        #expect(r.err.contains("left by an interrupted lineage command"), "\(r.err)")
        #expect(!files(under: packs).contains { $0.hasPrefix("tmp-") })
        try p.expectOK(["commit", "-m", "big"])
        v = try verifyProblems(p)
        #expect(v.code == 0 && v.kinds.isEmpty, "\(v)")
    }

    @Test func killedCheckoutLeavesNothingHiddenInTheWorkingTree() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data/big.bin", randomData(2 << 20, seed: 2))
        try p.expectOK(["add", "data"]); try p.expectOK(["commit", "-m", "v1"])
        try p.write("data/big.bin", randomData(2 << 20, seed: 3))
        try p.expectOK(["add", "data"]); try p.expectOK(["commit", "-m", "v2"])
        let before = files(under: p.dir).filter { !$0.hasPrefix(".lineage") }
        try killed(p, ["checkout", "HEAD~1"], at: "checkout-before-rename")
        // The working tree holds exactly what it held (no hidden temporary beside the file).
        #expect(files(under: p.dir).filter { !$0.hasPrefix(".lineage") } == before)
        var v = try verifyProblems(p)
        #expect(v.code == 1 && v.kinds.contains("leftover-temporary-file"), "\(v)")
        let r = try p.expectOK(["checkout", "HEAD~1"])
        #expect(r.err.contains("left by an interrupted lineage command"), "\(r.err)")
        #expect(p.read("data/big.bin") == randomData(2 << 20, seed: 2))
        #expect(files(under: p.dir + "/.lineage/tmp").isEmpty)
        v = try verifyProblems(p)
        #expect(v.code == 0, "\(v)")
    }

    @Test func killedEraseIsReportedUnfinishedAndFinishedByTheNextWriter() throws {
        let p = try Project()
        defer { p.remove() }
        let secret = randomData(1 << 20, seed: 4)
        try p.write("people.csv", secret)
        try p.write("other.txt", "keep me\n")
        try p.expectOK(["add", "people.csv", "other.txt"]); try p.expectOK(["commit", "-m", "v1"])
        try killed(p, ["erase", "people.csv", "--reason", "erasure request 9"], at: "erase-after-tombstone")
        // The tombstone is signed and committed, but the bytes are still there: verify must say so.
        #expect(try p.git("log", "-1", "--format=%s").out.contains("erase people.csv"))
        let marker = secret.subdata(in: 4096..<4160)
        func packsHoldSecret() throws -> Bool {
            let dir = p.dir + "/.lineage/content/sha256/packs"
            for name in files(under: dir) where name.hasSuffix(".pack") {
                if try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)).range(of: marker) != nil { return true }
            }
            return false
        }
        #expect(try packsHoldSecret())
        var v = try verifyProblems(p)
        #expect(v.code == 1 && v.kinds.contains("erasure-unfinished"), "\(v)")
        // The next command that writes finishes the erasure.
        let r = try p.expectOK(["add", "other.txt"])
        #expect(r.err.contains("finished an interrupted erasure"), "\(r.err)")
        #expect(try !packsHoldSecret())
        v = try verifyProblems(p)
        #expect(v.code == 0 && v.kinds.isEmpty, "\(v)")
        #expect(try p.run("cat", "HEAD~1:people.csv").err.contains("erasure request 9"))
    }

    /// A push killed while libgit2 held the lock of a tracking reference leaves `<ref>.lock`; the
    /// next writer removes it (only lineage writes there, under the write lock) instead of every
    /// later push failing on it.
    @Test func staleTrackingReferenceLockIsRemovedByTheNextWriter() throws {
        let p = try Project()
        defer { p.remove() }
        let base = try scratchDirectory("stale-ref-lock")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try p.write("a.txt", "one\n")
        try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "one"])
        try p.expectOK(["remote", "add", "origin", base + "/team.git"])
        try p.expectOK(["push"])
        try p.write("a.txt", "two\n")
        try p.expectOK(["add", "a.txt"]); try p.expectOK(["commit", "-m", "two"])
        let lock = p.dir + "/.lineage/refs/lineage/remotes/origin/main.lock"
        try Data().write(to: URL(fileURLWithPath: lock))
        let push = try p.expectOK(["push"])
        #expect(push.err.contains("reference lock left by an interrupted lineage command"), "\(push.err)")
        #expect(!FileManager.default.fileExists(atPath: lock))
    }
}
