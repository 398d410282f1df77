import Foundation
import LineageRemote
import LineageTestSupport
import Testing

/// Erasure and gc that reach the remote (issue 15), through the CLI: a bare git repository on a
/// local path, its content in the directory beside it (`team.git/lineage-content`).
@Suite struct RemoteErasureCLITests {
    /// Whether `needle` occurs in any pack of the content directory (packs of random data are
    /// stored uncompressed, so the bytes of a file are there as they are).
    static func remoteHolds(_ needle: Data, in content: String) throws -> Bool {
        RemoteErasurePropertyTests.holds(needle, underPacksOf: content + "/packs")
    }

    static func json(_ r: CLI.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: r.outData) as? [String: Any], "\(r.out)")
    }

    /// Alice's project: `data/people.bin` (personal, 3 MB) and `data/shared.bin`, whose first 2 MB are
    /// the same bytes (so they share chunks), pushed to `base/team.git`.
    static func alicePushed(_ base: String) throws -> (alice: Project, people: Data, shared: Data) {
        let alice = try Project()
        let people = randomData(3_000_000, seed: 51)
        let shared = people.prefix(2_000_000) + randomData(400_000, seed: 52)
        try alice.write("data/people.bin", people)
        try alice.write("data/shared.bin", shared)
        try alice.write("data/notes.csv", "id\n1\n")
        try alice.expectOK(["add", "data"])
        try alice.expectOK(["commit", "-m", "first"])
        try alice.expectOK(["remote", "add", "origin", base + "/team.git"])
        try alice.expectOK(["push"])
        return (alice, people, shared)
    }

    @Test func pushRemovesErasedBytesFromTheRemoteAndKeepsSharedChunks() throws {
        let base = try scratchDirectory("remote-erase-cli")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, people, shared) = try Self.alicePushed(base)
        defer { alice.remove() }
        let content = base + "/team.git/lineage-content"
        let unique = people.subdata(in: 2_700_000..<2_700_064)      // only people.bin has these bytes
        let common = people.subdata(in: 100_000..<100_064)          // shared.bin has them too
        #expect(try Self.remoteHolds(unique, in: content) && Self.remoteHolds(common, in: content))

        // Carol cloned before the erasure: she holds a copy until she fetches.
        try alice.expectOK(["clone", base + "/team.git", base + "/carol", "--trust-root", try alice.rootFingerprint()])
        let carol = Project(existing: base + "/carol")

        try alice.expectOK(["erase", "data/people.bin", "--reason", "request 12"])
        let before = try Self.json(try alice.expectOK(["erase", "--status", "--json"]))
        let pendingBefore = try #require((before["erasures"] as? [[String: Any]])?.first?["remotes"] as? [[String: Any]])
        #expect(pendingBefore.first?["state"] as? String == "pending", "\(before)")
        #expect((pendingBefore.first?["reason"] as? String)?.contains("not reached") == true, "\(before)")

        let push = try alice.expectOK(["push"])
        #expect(push.out.contains("erased data/people.bin"), "\(push.out)")
        #expect(push.out.contains("kept because other retained versions still use them"), "\(push.out)")
        // The erased bytes left the remote; the chunks shared.bin needs are still there.
        #expect(try !Self.remoteHolds(unique, in: content))
        #expect(try Self.remoteHolds(common, in: content))

        let status = try Self.json(try alice.expectOK(["erase", "--status", "--json"]))
        let erasure = try #require((status["erasures"] as? [[String: Any]])?.first)
        #expect((erasure["record"] as? [String: Any])?["reason"] as? String == "request 12")
        let origin = try #require((erasure["remotes"] as? [[String: Any]])?.first)
        #expect(origin["state"] as? String == "applied", "\(status)")
        #expect((origin["objectsErased"] as? Int ?? 0) > 0 && (origin["chunksShared"] as? Int ?? 0) > 0, "\(origin)")
        #expect(status["pending"] as? Int == 0)
        let text = try alice.expectOK(["erase", "--status"]).out
        #expect(text.contains("data/people.bin") && text.contains("request 12") && text.contains("origin: applied"), "\(text)")
        // Which clones reported they hold no copy: Alice (she pushed it), then Carol once she fetched.
        #expect((origin["clones"] as? [[String: Any]])?.count == 1, "\(origin)")
        let fetched = try Self.json(try carol.expectOK(["fetch", "--json"]))
        #expect((fetched["erasuresApplied"] as? [[String: Any]])?.count == 1, "\(fetched)")
        let reported = try Self.json(try alice.expectOK(["erase", "--status", "--json"]))
        let clones = try #require(((reported["erasures"] as? [[String: Any]])?.first?["remotes"] as? [[String: Any]])?.first?["clones"] as? [[String: Any]])
        #expect(Set(clones.compactMap { $0["clone"] as? String }).count == 2, "\(clones)")
        #expect(try alice.expectOK(["erase", "--status"]).out.contains("clones that reported they hold no copy"))
        // A second fetch reports nothing again.
        try carol.expectOK(["fetch"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: content + "/erasure-reports")).count == 1)

        // A clone gets everything retained, from what the remote holds now.
        let fp = try alice.rootFingerprint()
        try alice.expectOK(["clone", base + "/team.git", base + "/bob", "--trust-root", fp])
        let bob = Project(existing: base + "/bob")
        #expect(bob.read("data/shared.bin") == shared)
        let cat = try bob.run("cat", "HEAD~1:data/people.bin")
        #expect(cat.code != 0 && cat.err.contains("request 12"), "\(cat.err)")
        let verify = try bob.run("verify", "--remote", "origin")
        #expect(verify.code == 0, "\(verify.out)\(verify.err)")
        // Nothing left to do: a second push erases nothing and says nothing about it.
        let again = try alice.expectOK(["push"])
        #expect(again.out.contains("up to date") && !again.out.contains("erased"), "\(again.out)")
    }

    /// A remote that cannot erase now (another run holds its gc lease) gets the history, keeps the
    /// erasure pending with the reason, and the push exits non-zero; the next push finishes it.
    @Test func aRefusedErasureStaysPendingAndTheNextPushFinishesIt() throws {
        let base = try scratchDirectory("remote-erase-pending")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, people, _) = try Self.alicePushed(base)
        defer { alice.remove() }
        let content = base + "/team.git/lineage-content"
        let unique = people.subdata(in: 2_700_000..<2_700_064)
        try alice.expectOK(["erase", "data/people.bin", "--reason", "request 13"])

        let now = Date().timeIntervalSince1970
        let lease = #"{"holder":"elsewhere pid 1 run 0","operation":"gc mark","acquired":\#(now),"expires":\#(now + 3600),"host":"elsewhere","pid":1}"#
        try FileManager.default.createDirectory(atPath: content + "/gc", withIntermediateDirectories: true)
        try Data(lease.utf8).write(to: URL(fileURLWithPath: content + "/gc/lease"))

        let refused = try alice.run("push")
        #expect(refused.code == 3, "\(refused.code): \(refused.err)")
        #expect(refused.err.contains("another run") && refused.err.contains("reached 'origin'"), "\(refused.err)")
        // The history went; the bytes are still there and the erasure is pending, with the reason.
        let head = try alice.git("rev-parse", "HEAD").out
        #expect(try CLI.tool("/usr/bin/git", ["--git-dir", base + "/team.git", "rev-parse", "refs/lineage/heads/main"], in: "/").out == head)
        #expect(try Self.remoteHolds(unique, in: content))
        let status = try Self.json(try alice.expectOK(["erase", "--status", "--json"]))
        let origin = try #require(((status["erasures"] as? [[String: Any]])?.first?["remotes"] as? [[String: Any]])?.first)
        #expect(origin["state"] as? String == "pending" && (origin["reason"] as? String)?.contains("another run") == true, "\(origin)")
        #expect(status["pending"] as? Int == 1)

        try FileManager.default.removeItem(atPath: content + "/gc/lease")
        let retried = try alice.expectOK(["push"])
        #expect(retried.out.contains("up to date") && retried.out.contains("erased data/people.bin"), "\(retried.out)")
        #expect(try !Self.remoteHolds(unique, in: content))
        let after = try Self.json(try alice.expectOK(["erase", "--status", "--json"]))
        #expect(after["pending"] as? Int == 0, "\(after)")
    }

    /// A clone that has not merged an erasure cannot bring the bytes back: without fetching, it may
    /// not send bytes while the remote moved; after fetching, its commits naming the erased version
    /// are refused unless they carry the tombstone.
    @Test func pushRefusesToBringErasedContentBack() throws {
        let base = try scratchDirectory("remote-erase-stale")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, people, _) = try Self.alicePushed(base)
        defer { alice.remove() }
        let content = base + "/team.git/lineage-content"
        let fp = try alice.rootFingerprint()
        try alice.expectOK(["clone", base + "/team.git", base + "/bob", "--trust-root", fp])
        let bob = Project(existing: base + "/bob")
        try bob.expectOK(["config", "user.name", "Bob"])
        try bob.expectOK(["config", "user.email", "bob@example.org"])
        // Bob keeps a copy of the personal file on a branch of his own, and new bytes of his own.
        try bob.expectOK(["branch", "copy"])
        try bob.expectOK(["checkout", "copy"])
        try bob.write("data/copy.bin", people)
        try bob.write("data/mine.bin", randomData(300_000, seed: 53))
        try bob.expectOK(["add", "data/copy.bin", "data/mine.bin"])
        try bob.expectOK(["commit", "-m", "copy"])

        try alice.expectOK(["erase", "data/people.bin", "--reason", "request 14"])
        try alice.expectOK(["push"])
        let unique = people.subdata(in: 2_700_000..<2_700_064)
        #expect(try !Self.remoteHolds(unique, in: content))

        let packsBefore = try FileManager.default.contentsOfDirectory(atPath: content + "/packs").sorted()
        let stale = try bob.run("push", "origin", "copy")
        #expect(stale.code == 3 && stale.err.contains("lineage fetch origin") && stale.err.contains("main"), "\(stale.code): \(stale.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: content + "/packs").sorted() == packsBefore)

        try bob.expectOK(["fetch"])
        let refused = try bob.run("push", "origin", "copy")
        #expect(refused.code == 3, "\(refused.code): \(refused.err)")
        #expect(refused.err.contains("data/copy.bin") && refused.err.contains("request 14"), "\(refused.err)")
        #expect(try !Self.remoteHolds(unique, in: content))
        #expect(try FileManager.default.contentsOfDirectory(atPath: content + "/packs").sorted() == packsBefore)
    }

    /// The packs of a content directory holding `needle`.
    static func packs(holding needle: Data, in content: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: content + "/packs").filter { name in
            name.hasSuffix(".pack") && FileManager.default.contents(atPath: content + "/packs/" + name)?.range(of: needle) != nil
        }
    }

    /// gc --remote: what no reference reaches is marked once older than the grace period, and swept
    /// only by a run after the mark's grace period; a dry run changes nothing; what is retained
    /// stays fetchable. (Time is moved by back-dating the pack and the marks.)
    @Test func remoteGCMarksThenSweepsWhatNoReferenceReaches() throws {
        let base = try scratchDirectory("remote-gc-cli")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, _, shared) = try Self.alicePushed(base)
        defer { alice.remove() }
        let content = base + "/team.git/lineage-content"
        let bare = base + "/team.git"
        // Carol pushes a branch with bytes of its own; then the branch is deleted on the remote and
        // Carol's clone is gone: nothing reaches those bytes any more.
        let fp = try alice.rootFingerprint()
        try alice.expectOK(["clone", bare, base + "/carol", "--trust-root", fp])
        let carol = Project(existing: base + "/carol")
        try carol.expectOK(["config", "user.name", "Carol"])
        try carol.expectOK(["config", "user.email", "carol@example.org"])
        try carol.expectOK(["branch", "scratch"])
        try carol.expectOK(["checkout", "scratch"])
        let scratchBytes = randomData(700_000, seed: 54)
        try carol.write("data/scratch.bin", scratchBytes)
        try carol.expectOK(["add", "data/scratch.bin"])
        try carol.expectOK(["commit", "-m", "scratch"])
        try carol.expectOK(["push", "origin", "scratch"])
        carol.remove()
        #expect(try CLI.tool("/usr/bin/git", ["--git-dir", bare, "update-ref", "-d", "refs/lineage/heads/scratch"], in: "/").code == 0)
        let needle = scratchBytes.subdata(in: 300_000..<300_064)
        let garbage = try Self.packs(holding: needle, in: content)
        #expect(garbage.count == 1)

        // Younger than the grace period (7 days by default): not marked.
        let young = try Self.json(try alice.expectOK(["gc", "--remote", "origin", "--json"]))
        let youngMarked = try #require(young["marked"] as? [String: Any])
        #expect(youngMarked["mark"] == nil && (youngMarked["packsTooYoung"] as? Int ?? 0) >= 1, "\(young)")
        for name in garbage {
            #expect(try CLI.tool("/usr/bin/touch", ["-d", "10 days ago", content + "/packs/" + name], in: "/").code == 0)
        }
        let dry = try Self.json(try alice.expectOK(["gc", "--remote", "origin", "--dry-run", "--json"]))
        let dryMarked = try #require(dry["marked"] as? [String: Any])
        #expect((dryMarked["packsToDelete"] as? Int ?? 0) + (dryMarked["packsToRewrite"] as? Int ?? 0) > 0, "\(dry)")
        #expect(dryMarked["mark"] == nil && dry["dryRun"] as? Bool == true)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: content + "/gc/marks")) ?? []).isEmpty)

        // Marked now, not swept by the next run: the mark waits for its grace period.
        let first = try Self.json(try alice.expectOK(["gc", "--remote", "origin", "--json"]))
        #expect((first["marked"] as? [String: Any])?["mark"] != nil, "\(first)")
        let second = try Self.json(try alice.expectOK(["gc", "--remote", "origin", "--json"]))
        #expect(((second["swept"] as? [String: Any])?["marks"] as? [Any])?.isEmpty == true, "\(second)")
        #expect((second["waiting"] as? [Any])?.count == 2, "\(second)")
        #expect(try Self.remoteHolds(needle, in: content))

        // Eight days later (the marks back-dated), a run sweeps both marks.
        let marks = content + "/gc/marks"
        for name in try FileManager.default.contentsOfDirectory(atPath: marks) {
            let url = URL(fileURLWithPath: marks + "/" + name)
            var mark = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            mark["markedAt"] = (mark["markedAt"] as? Double ?? 0) - 8 * 86400
            try JSONSerialization.data(withJSONObject: mark).write(to: url)
        }
        let text = try alice.expectOK(["gc", "--remote", "origin"]).out
        #expect(text.contains("swept 2 mark(s)"), "\(text)")
        #expect(try !Self.remoteHolds(needle, in: content))
        #expect(try alice.expectOK(["verify", "--remote", "origin"]).out.contains("OK"))
        try alice.expectOK(["clone", bare, base + "/dave", "--trust-root", fp])
        #expect(Project(existing: base + "/dave").read("data/shared.bin") == shared)
    }

    /// verify --remote: a short pack is found from its size alone; a damaged byte only by --full.
    @Test func verifyRemoteFindsShortAndDamagedPacks() throws {
        let base = try scratchDirectory("remote-verify-cli")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, _, _) = try Self.alicePushed(base)
        defer { alice.remove() }
        let packs = base + "/team.git/lineage-content/packs"
        let ok = try Self.json(try alice.expectOK(["verify", "--remote", "origin", "--full", "--json"]))
        #expect(ok["ok"] as? Bool == true && (ok["packs"] as? Int ?? 0) > 0, "\(ok)")
        let branches = try #require(ok["branches"] as? [[String: Any]])
        #expect(branches.first?["branch"] as? String == "main" && branches.first?["missing"] as? Int == 0, "\(branches)")

        let pack = try #require(try FileManager.default.contentsOfDirectory(atPath: packs).filter { $0.hasSuffix(".pack") }.sorted().first)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: packs + "/" + pack))
        bytes[bytes.count - 10] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: packs + "/" + pack))
        #expect(try alice.run("verify", "--remote", "origin").code == 0)
        let full = try alice.run("verify", "--remote", "origin", "--full")
        #expect(full.code == 1 && full.out.contains(pack), "\(full.out)")
        // A spot check of as many packs as there are reads every one of them, and finds it too.
        let count = ok["packs"] as? Int ?? 0
        let sample = try alice.run("verify", "--remote", "origin", "--sample", "\(count)", "--json")
        #expect(sample.code == 1 && sample.out.contains(pack), "\(sample.out)")
        #expect(try Self.json(sample)["sampled"] as? Int == count)
        #expect(try alice.run("verify", "--sample", "2").code == 64)

        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: packs + "/" + pack))
        let short = try alice.run("verify", "--remote", "origin", "--json")
        #expect(short.code == 1)
        let problems = try #require(try Self.json(short)["problems"] as? [[String: Any]])
        #expect(problems.contains { $0["kind"] as? String == "pack" && ($0["key"] as? String)?.hasSuffix(pack) == true }, "\(problems)")
    }

    /// gc must see every ref on the remote: a branch rewritten there and not accepted here would
    /// leave its commits out of the reachable set, so gc refuses until `fetch --force`.
    @Test func gcRefusesWhileARewrittenBranchIsNotAccepted() throws {
        let base = try scratchDirectory("remote-gc-rewritten")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (alice, _, _) = try Self.alicePushed(base)
        defer { alice.remove() }
        let first = try alice.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)
        try alice.write("data/notes.csv", "id\n2\n")
        try alice.expectOK(["add", "data/notes.csv"])
        try alice.expectOK(["commit", "-m", "second"])
        try alice.expectOK(["push"])
        // Someone force-pushes main back to the first commit.
        #expect(try CLI.tool("/usr/bin/git", ["--git-dir", base + "/team.git", "update-ref", "refs/lineage/heads/main", first], in: "/").code == 0)
        let refused = try alice.run("gc", "--remote", "origin", "--grace", "0s")
        #expect(refused.code == 3 && refused.err.contains("rewritten") && refused.err.contains("--force"), "\(refused.code): \(refused.err)")
        #expect(!FileManager.default.fileExists(atPath: base + "/team.git/lineage-content/gc/marks"))
        try alice.expectOK(["fetch", "--force"])
        try alice.expectOK(["gc", "--remote", "origin", "--grace", "0s"])
    }

    @Test func badInputIsRefusedWithAHint() throws {
        let p = try Project()
        defer { p.remove() }
        let both = try p.run("erase", "--status", "data/x.csv")
        #expect(both.code == 64 && both.err.contains("--status"), "\(both.err)")
        let noReason = try p.run("erase", "data/x.csv")
        #expect(noReason.code == 64 && noReason.err.contains("--reason"), "\(noReason.err)")
        let grace = try p.run("gc", "--remote", "origin", "--grace", "soon")
        #expect(grace.code == 64 && grace.err.contains("7d"), "\(grace.err)")
        let alone = try p.run("gc", "--dry-run")
        #expect(alone.code == 64 && alone.err.contains("--remote"), "\(alone.err)")
        let full = try p.run("verify", "--full")
        #expect(full.code == 64 && full.err.contains("--remote"), "\(full.err)")
        let unknown = try p.run("gc", "--remote", "nowhere")
        #expect(unknown.code == 2 && unknown.err.contains("no remote 'nowhere'"), "\(unknown.err)")
        #expect(try p.expectOK(["erase", "--status"]).out.contains("No erasures"))
    }
}

/// The same on S3 (a real moto_server, versioning on): push erases from the bucket, every version
/// of what held the bytes included (else the erasure would stay pending); gc and verify --full work.
@Suite(.enabled(if: MotoServer.isAvailable, "needs moto_server (pip install 'moto[server]')"), .motoServer)
struct RemoteErasureS3CLITests {
    /// A bucket with versioning on (PutBucketVersioning; moto checks no signature).
    static func versionedBucket(_ moto: MotoServer, _ name: String) throws {
        try moto.createBucket(name)
        let versioning = #"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#
        #expect(LoopbackSocket.httpStatus(port: moto.port, method: "PUT", path: "/\(name)?versioning", body: Array(versioning.utf8)) == 200)
    }

    /// Whether any pack (current version) under the store's prefix holds `needle`.
    static func packs(of bucket: S3BlobStore, hold needle: Data) throws -> Bool {
        try bucket.list(prefix: "packs/", startAfter: nil).contains { Data(try bucket.get($0.key)).range(of: needle) != nil }
    }

    @Test func pushErasesFromAVersionedBucket() throws {
        let moto = try #require(MotoSuiteTrait.current)
        try Self.versionedBucket(moto, "erase-data")
        let env = moto.clientEnvironment()
        let base = try scratchDirectory("remote-erase-s3")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let alice = try Project()
        defer { alice.remove() }
        let people = randomData(2_000_000, seed: 61)
        try alice.write("data/people.bin", people)
        try alice.write("data/other.bin", randomData(300_000, seed: 62))
        try alice.expectOK(["add", "data"])
        try alice.expectOK(["commit", "-m", "first"])
        try alice.expectOK(["remote", "add", "origin", base + "/team.git", "--content", "s3://erase-data/p"])
        #expect(try alice.run(["push"], env: env).code == 0)

        let bucket = try S3BlobStore(url: "s3://erase-data/p", environment: env)
        let needle = people.subdata(in: 1_500_000..<1_500_064)
        func bucketHolds() throws -> Bool { try Self.packs(of: bucket, hold: needle) }
        #expect(try bucketHolds())

        try alice.expectOK(["erase", "data/people.bin", "--reason", "request 21"])
        let push = try alice.run(["push"], env: env)
        #expect(push.code == 0 && push.out.contains("erased data/people.bin"), "\(push.out)\(push.err)")
        #expect(try !bucketHolds())
        let status = try RemoteErasureCLITests.json(try alice.expectOK(["erase", "--status", "--json"]))
        #expect(status["pending"] as? Int == 0, "\(status)")

        let verify = try alice.run(["verify", "--remote", "origin", "--full"], env: env)
        #expect(verify.code == 0, "\(verify.out)\(verify.err)")
        let gc = try alice.run(["gc", "--remote", "origin", "--grace", "0s", "--json"], env: env)
        #expect(gc.code == 0, "\(gc.out)\(gc.err)")
    }

    /// A store that ignores conditional requests (a proxy answers the probe's If-None-Match write
    /// with 200): gc --remote refuses and names --no-concurrent-writers; with it, it runs.
    @Test func gcRefusesWithoutConditionalRequestsUnlessNoConcurrentWriters() throws {
        let moto = try #require(MotoSuiteTrait.current)
        try moto.createBucket("gc-cond")
        let proxy = try FaultProxy(upstreamPort: moto.port)
        defer { proxy.stop() }
        let env = moto.clientEnvironment(extra: ["AWS_ENDPOINT_URL": proxy.endpoint])
        let base = try scratchDirectory("remote-gc-cond")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let alice = try Project()
        defer { alice.remove() }
        try alice.write("data/a.bin", randomData(200_000, seed: 63))
        try alice.expectOK(["add", "data"])
        try alice.expectOK(["commit", "-m", "first"])
        try alice.expectOK(["remote", "add", "origin", base + "/team.git", "--content", "s3://gc-cond/p"])
        #expect(try alice.run(["push"], env: env).code == 0)

        // The lease and the probe's first write pass; the conditional write over the probe "succeeds".
        proxy.inject(.delay(seconds: 0), method: "PUT")
        proxy.inject(.delay(seconds: 0), method: "PUT")
        proxy.inject(.respond(status: 200, code: "OK"), method: "PUT")
        let refused = try alice.run(["gc", "--remote", "origin", "--grace", "0s"], env: env)
        #expect(refused.code == 2 && refused.err.contains("--no-concurrent-writers") && refused.err.contains("If-None-Match"), "\(refused.code): \(refused.err)")
        let forced = try alice.run(["gc", "--remote", "origin", "--grace", "0s", "--no-concurrent-writers"], env: env)
        #expect(forced.code == 0, "\(forced.out)\(forced.err)")
    }
}
