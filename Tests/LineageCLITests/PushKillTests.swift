import Foundation
import LineageCore
import LineageRemote
import LineageTestSupport
import Testing

/// `kill -9` of `lineage push` at random moments (issue 14): the remote branch never names content
/// the remote lacks, and running the push again finishes it, sending only what is missing.
@Suite struct PushKillTests {
    /// The content beside a bare repository remote (`<bare>/lineage-content`), read from outside:
    /// pack files as they lie, and what the index objects say (through `RemoteIndex`, the public
    /// decoder of the layout).
    struct ContentView {
        let root: String

        /// `packs/<id>.pack` → size, for every whole pack file (temporary files left by a killed
        /// writer are not packs).
        func packFiles() -> [String: UInt64] {
            var out: [String: UInt64] = [:]
            let dir = root + "/" + RemoteLayout.packsPrefix
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasSuffix(".pack") && !name.hasPrefix(".") {
                let size = (try? FileManager.default.attributesOfItem(atPath: dir + name)[.size] as? NSNumber)?.uint64Value ?? 0
                out[RemoteLayout.packsPrefix + name] = size
            }
            return out
        }

        /// Every pack some index object names, by key.
        func indexedPacks() throws -> [String: RemotePack] {
            var out: [String: RemotePack] = [:]
            let dir = root + "/" + RemoteLayout.indexPrefix
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where !name.hasPrefix(".") {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + name)))
                for pack in try RemoteIndex.decode(bytes, key: RemoteLayout.indexPrefix + name, location: root).packs { out[pack.key] = pack }
            }
            return out
        }

        /// Every object the index objects name.
        func indexedObjects() throws -> Set<Digest> {
            Set(try indexedPacks().values.flatMap { $0.entries.map(\.digest) })
        }
    }

    /// Starts `lineage push origin -j <jobs>`, sends it SIGKILL after `delay` seconds, and says
    /// whether the kill found it running (else: its exit status, and what it printed).
    func pushAndKill(_ p: Project, jobs: Int, after delay: Double) throws -> (killed: Bool, status: Int32, err: String) {
        let errPath = p.dir + "/../push-\(UUID().uuidString).err"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: CLI.binary)
        proc.arguments = ["push", "origin", "-j", String(jobs)]
        proc.currentDirectoryURL = URL(fileURLWithPath: p.dir)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["XDG_CONFIG_HOME"] = CLI.configHome
        proc.environment = env
        proc.standardInput = FileHandle.nullDevice
        proc.standardOutput = FileHandle.nullDevice
        proc.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try proc.run()
        Thread.sleep(forTimeInterval: delay)
        kill(proc.processIdentifier, SIGKILL)
        proc.waitUntilExit()
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return (proc.terminationReason == .uncaughtSignal && proc.terminationStatus == SIGKILL, proc.terminationStatus, err)
    }

    func remoteBranch(_ bare: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: bare + "/HEAD") else { return nil }
        let r = try CLI.tool("/usr/bin/git", ["--git-dir", bare, "rev-parse", "--verify", "-q", "refs/lineage/heads/main"], in: "/")
        return r.code == 0 ? r.out.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// Pushes to a directory remote and SIGKILLs the push at seeded random moments, at least 20
    /// times, over rounds of new content (the first big enough for several packs). After every
    /// kill, the remote branch (when there is one) reaches only objects held by whole packs that
    /// the remote's index objects name — and each time it has moved, a fresh clone with content
    /// succeeds and `lineage verify` passes in it. After each round one more push completes, and
    /// it sent only what was missing: every pack file on the remote is named by an index object
    /// (nothing sent went unused), no object is in two packs (nothing was sent twice), and the
    /// remote holds exactly the objects an uninterrupted push to a second remote sent.
    @Test func killedPushesLeaveACompleteRemoteAndARerunSendsOnlyWhatIsMissing() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("push-kill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let p = Project(existing: base + "/project")
        try FileManager.default.createDirectory(atPath: p.dir, withIntermediateDirectories: true)
        try p.expectOK(["init"])
        try p.expectOK(["config", "user.name", "Test User"])
        try p.expectOK(["config", "user.email", "test@example.org"])
        let bare = base + "/origin.git", reference = base + "/reference.git"
        try p.expectOK(["remote", "add", "origin", bare])
        try p.expectOK(["remote", "add", "reference", reference])
        let fingerprint = try p.rootFingerprint()
        let origin = ContentView(root: bare + "/lineage-content"), uninterrupted = ContentView(root: reference + "/lineage-content")

        var rng = SeededRandom(seed: 0x1415_0000_0000_0014)   // kill moments and job counts replay
        var needed: [String: Set<Digest>] = [:]   // commit → every object its history reaches
        var lastCloned: String? = nil
        var clones = 0, kills = 0, finishedFirst = 0, round = 0

        /// The invariant after any kill: the remote branch's objects are all in whole, indexed packs.
        func checkRemote(_ when: String) throws {
            guard let branch = try remoteBranch(bare) else { return }
            let objects = try #require(needed[branch], "\(when): the remote branch names \(branch), which this test never pushed")
            let packs = try origin.indexedPacks(), files = origin.packFiles()
            var whole = Set<Digest>()
            for pack in packs.values where files[pack.key] == pack.size { whole.formUnion(pack.entries.map(\.digest)) }
            let lacking = objects.subtracting(whole)
            #expect(lacking.isEmpty, "\(when): the remote branch \(branch.prefix(12)) reaches \(lacking.count) object(s) that no whole indexed pack holds, e.g. \(lacking.first.map(\.hex) ?? "")")
            guard branch != lastCloned else { return }
            // It moved: what a teammate would get must be whole and verify.
            clones += 1
            let dir = base + "/clone-\(clones)"
            let clone = try CLI.run(["clone", bare, dir, "--trust-root", fingerprint], in: base)
            #expect(clone.code == 0, "\(when): clone of \(branch.prefix(12)) failed: \(clone.err)")
            let verify = try CLI.run(["verify"], in: dir)
            #expect(verify.code == 0, "\(when): verify in the clone of \(branch.prefix(12)) failed: \(verify.out)\(verify.err)")
            try? FileManager.default.removeItem(atPath: dir)
            lastCloned = branch
        }

        while kills < 24 && round < 16 {
            round += 1
            // New content: the first round ~90 MB (two packs of 64 MiB at most and many chunks),
            // later rounds a new 24 MB file and a few small files changed.
            if round == 1 {
                for i in 0..<2 { try p.write("data/big\(i).bin", randomData(45_000_000, seed: UInt64(100 + i))) }
                for i in 0..<20 { try p.write("data/small/s\(i).bin", randomData(20_000 + 1_000 * i, seed: UInt64(200 + i))) }
            } else {
                try p.write("data/round\(round).bin", randomData(24_000_000, seed: UInt64(1000 + round)))
                for i in 0..<5 { try p.write("data/small/s\((round * 5 + i) % 20).bin", randomData(30_000, seed: UInt64(round * 100 + i))) }
            }
            try p.expectOK(["add", "data"])
            try p.expectOK(["commit", "-q", "-m", "round \(round)"])
            let head = try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)

            // The same history pushed without interruption: what the remote must end up holding,
            // and how long a push takes here (only to spread the kills over it).
            let started = Date()
            let ref = try p.run(["push", "reference"])
            #expect(ref.code == 0, "round \(round): push to the reference remote: \(ref.err)")
            let duration = max(0.05, Date().timeIntervalSince(started))
            needed[head] = try uninterrupted.indexedObjects()

            var roundKills = 0
            while roundKills < 8 {
                let jobs = [1, 2, 8].randomElement(using: &rng)!
                let delay = Double.random(in: 0...(duration * 0.8), using: &rng)
                let attempt = try pushAndKill(p, jobs: jobs, after: delay)
                let when = "round \(round), kill \(roundKills + 1) (after \(String(format: "%.3f", delay)) s, -j \(jobs))"
                if attempt.killed {
                    kills += 1; roundKills += 1
                } else {
                    // It finished before the kill: it must have succeeded.
                    #expect(attempt.status == 0, "\(when): push exited \(attempt.status): \(attempt.err)")
                    finishedFirst += 1
                }
                try checkRemote(when)
                if !attempt.killed { break }
            }

            // Run it again to the end.
            let rerun = try p.run(["push", "origin", "--json"])
            #expect(rerun.code == 0, "round \(round): the push after the kills failed: \(rerun.err)")
            #expect(try remoteBranch(bare) == head, "round \(round): the remote branch is not the pushed commit")
            try checkRemote("round \(round), after the re-run")
            let after = origin.packFiles()
            let packs = try origin.indexedPacks()
            let unnamed = Set(after.keys).subtracting(packs.keys)
            #expect(unnamed.isEmpty, "round \(round): pack(s) on the remote that no index object names (sent for nothing): \(unnamed.sorted())")
            var holder: [Digest: String] = [:]
            var twice = 0
            for pack in packs.values { for e in pack.entries { if let other = holder.updateValue(pack.key, forKey: e.digest), other != pack.key { twice += 1 } } }
            #expect(twice == 0, "round \(round): \(twice) object(s) sent in two packs")
            #expect(Set(holder.keys) == needed[head], "round \(round): the remote holds \(holder.count) objects, an uninterrupted push sent \(needed[head]?.count ?? 0)")
            // Killed pushes' short-lived references are gone after the re-run.
            let leftovers = try p.git("for-each-ref", "--format=%(refname)", "refs/lineage/outgoing/").out
            #expect(leftovers.isEmpty, "round \(round): references of killed pushes left behind: \(leftovers)")
            // The local repository is untouched by the kills.
            let local = try p.run("verify")
            #expect(local.code == 0, "round \(round): local verify after the kills: \(local.out)\(local.err)")
        }
        #expect(kills >= 20, "only \(kills) pushes were still running when killed (\(finishedFirst) finished first)")
        #expect(clones >= 1)
    }

    /// A push killed after the remote branch moved but before the local tracking reference
    /// followed (its last step) leaves the remote at the pushed commit and the tracking reference
    /// behind. Running the push again must finish it — the remote already holds exactly what is
    /// pushed — not ask to "fetch and merge first".
    @Test func rerunAfterTheRemoteBranchMovedButNotTheTrackingReference() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("push-kill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let p = try Project()
        defer { p.remove() }
        let bare = base + "/origin.git"
        try p.write("data/a.bin", randomData(300_000, seed: 1))
        try p.expectOK(["add", "data"])
        try p.expectOK(["commit", "-q", "-m", "one"])
        try p.expectOK(["remote", "add", "origin", bare])
        try p.expectOK(["push"])
        let first = try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)
        try p.write("data/b.bin", randomData(300_000, seed: 2))
        try p.expectOK(["add", "data"])
        try p.expectOK(["commit", "-q", "-m", "two"])
        try p.expectOK(["push"])
        let second = try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)
        // The state such a kill leaves: the tracking reference still at the first commit.
        #expect(try p.git("update-ref", "refs/lineage/remotes/origin/main", first).code == 0)

        let rerun = try p.run(["push"])
        #expect(rerun.code == 0, "\(rerun.out)\(rerun.err)")
        #expect(try remoteBranch(bare) == second)
        #expect(try p.git("rev-parse", "refs/lineage/remotes/origin/main").out.trimmingCharacters(in: .whitespacesAndNewlines) == second)
    }
}
