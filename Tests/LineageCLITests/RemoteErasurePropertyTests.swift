import Foundation
import LineageRemote
import LineageTestSupport
import Testing

/// Random interleavings of pushes, fetches, erasures and remote gc runs from three clones against
/// one remote (a bare repository, content in the directory beside it), replayable by seed. After
/// every step: every object a branch on the remote needs is listed and reads back whole
/// (`verify --remote --full`, from a fourth clone that only watches), no erased version's bytes
/// are in any pack of the remote, and a clone that just fetched holds none either.
@Suite struct RemoteErasurePropertyTests {
    struct Model {
        /// Current content of every file at the remote's main branch that is not erased.
        var live: [String: Data] = [:]
        /// Bytes only each erased version has (a slice of its own random tail).
        var erasedNeedles: [(path: String, needle: Data)] = []
        var counter = 0
    }

    static func holds(_ needle: Data, underPacksOf dir: String) -> Bool {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return false }
        while let rel = e.nextObject() as? String {
            if rel.hasSuffix(".pack"), FileManager.default.contents(atPath: dir + "/" + rel)?.range(of: needle) != nil { return true }
        }
        return false
    }

    struct StepFailed: Error, CustomStringConvertible { let description: String }

    /// Runs a lineage command in a clone; a failure ends the scenario (the model would no longer match).
    @discardableResult
    static func must(_ p: Project, _ args: [String], env: [String: String] = [:]) throws -> CLI.Result {
        let r = try p.run(args, env: env)
        guard r.code == 0 else { throw StepFailed(description: "lineage \(args.joined(separator: " ")) exited \(r.code): \(r.out)\(r.err)") }
        return r
    }

    /// Where the remote's bytes are: the environment every command gets, the `remote add` options,
    /// and how to look into every pack there.
    struct ContentSide {
        var env: [String: String] = [:]
        /// Options of `remote add` given the bare repository's path (none: the directory beside it).
        var remoteOptions: [String] = []
        /// Whether any pack on the remote holds these bytes, given the bare repository's path.
        var holds: (Data, String) throws -> Bool = { needle, bare in RemoteErasurePropertyTests.holds(needle, underPacksOf: bare + "/lineage-content") }
    }

    /// Three seeds; together they make every kind of step happen, a gc sweep included.
    @Test func interleavedPushFetchEraseAndGCKeepTheRemoteWholeAndErasedBytesGone() throws {
        var all: [String] = []
        for seed: UInt64 in [0x15_0001, 0x15_0002, 0x15_0003] { all += try Self.scenario(seed: seed, side: ContentSide()) }
        for kind in ["wrote", "erased", "deleted branch", "ran gc", "fetched", "swept 1"] {
            #expect(all.contains { $0.contains(kind) }, "no step '\(kind)' in:\n\(all.joined(separator: "\n"))")
        }
    }

    /// One scenario of 18 random steps; returns what each step did.
    static func scenario(seed: UInt64, side: ContentSide) throws -> [String] {
        var rng = SeededRandom(seed: seed)
        let base = try scratchDirectory("remote-erase-property")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let bare = base + "/team.git", env = side.env
        var model = Model()

        func newContent() -> Data {
            model.counter += 1
            return randomData(Int.random(in: 150_000...320_000, using: &rng), seed: rng.next())
        }
        // Alice starts the history; Bob, Carol and the watcher clone it.
        let alice = try Project()
        defer { alice.remove() }
        let first = newContent()
        try alice.write("data/alice/f0.bin", first)
        try alice.expectOK(["add", "data"])
        try alice.expectOK(["commit", "-m", "start"])
        try alice.expectOK(["remote", "add", "origin", bare] + side.remoteOptions)
        if let i = side.remoteOptions.firstIndex(of: "--content") {
            try alice.expectOK(["remote", "set-content", "origin", side.remoteOptions[i + 1]])   // recorded, so clones find it
        }
        try Self.must(alice, ["push"], env: env)
        model.live["data/alice/f0.bin"] = first
        let fp = try alice.rootFingerprint()
        var clones: [(name: String, p: Project)] = [("alice", alice)]
        for name in ["bob", "carol", "watcher"] {
            try Self.must(alice, ["clone", bare, base + "/" + name, "--trust-root", fp], env: env)
            let p = Project(existing: base + "/" + name)
            try p.expectOK(["config", "user.name", name])
            try p.expectOK(["config", "user.email", "\(name)@example.org"])
            if name != "watcher" { clones.append((name, p)) }
        }
        let watcher = Project(existing: base + "/watcher")

        var log: [String] = []
        for step in 0..<18 {
            let (name, p) = clones[Int.random(in: 0..<clones.count, using: &rng)]
            let roll = Int.random(in: 0..<100, using: &rng)
            var did = ""
            do {
                if roll < 35 {
                    // A new file (or a new version of one of this clone's files), pulled first so the push is a fast-forward.
                    try Self.must(p, ["pull"], env: env)
                    let own = model.live.keys.filter { $0.hasPrefix("data/\(name)/") }.sorted()
                    let path = (!own.isEmpty && Bool.random(using: &rng)) ? own.randomElement(using: &rng)! : "data/\(name)/f\(model.counter).bin"
                    let bytes = newContent()
                    try p.write(path, bytes)
                    try Self.must(p, ["add", path], env: env)
                    try Self.must(p, ["commit", "-m", "step \(step)"], env: env)
                    try Self.must(p, ["push"], env: env)
                    model.live[path] = bytes
                    did = "\(name) wrote \(path) and pushed"
                } else if roll < 55, !model.live.isEmpty {
                    try Self.must(p, ["pull"], env: env)
                    let path = model.live.keys.sorted().randomElement(using: &rng)!
                    try Self.must(p, ["erase", path, "--reason", "request \(step)"], env: env)
                    let push = try Self.must(p, ["push"], env: env)
                    #expect(push.out.contains("erased \(path)"), "step \(step): \(push.out)")
                    let bytes = model.live.removeValue(forKey: path)!
                    model.erasedNeedles.append((path, bytes.suffix(64)))
                    did = "\(name) erased \(path) and pushed"
                } else if roll < 70 {
                    // A branch pushed and then deleted on the remote: its bytes become garbage for gc.
                    try Self.must(p, ["pull"], env: env)
                    let branch = "tmp\(step)"
                    try Self.must(p, ["checkout", "-b", branch], env: env)
                    try p.write("data/\(name)/tmp\(step).bin", newContent())
                    try Self.must(p, ["add", "data/\(name)/tmp\(step).bin"], env: env)
                    try Self.must(p, ["commit", "-m", "temporary"], env: env)
                    try Self.must(p, ["push", "origin", branch], env: env)
                    try Self.must(p, ["checkout", "main"], env: env)
                    try Self.must(p, ["branch", "--delete", "--force", branch], env: env)
                    #expect(try CLI.tool("/usr/bin/git", ["--git-dir", bare, "update-ref", "-d", "refs/lineage/heads/" + branch], in: "/").code == 0)
                    did = "\(name) pushed and deleted branch \(branch)"
                } else if roll < 85 {
                    let gc = try Self.must(p, ["gc", "--remote", "origin", "--grace", "0s"], env: env)
                    did = "\(name) ran gc --remote: \(gc.out.split(separator: "\n").joined(separator: " | "))"
                } else {
                    try Self.must(p, ["fetch"], env: env)
                    for e in model.erasedNeedles {
                        #expect(!Self.holds(e.needle, underPacksOf: p.dir + "/.lineage/content"), "step \(step): \(name) fetched but still holds the bytes of erased \(e.path)")
                    }
                    did = "\(name) fetched"
                }
            } catch {
                Issue.record("step \(step) (\(name)): \(error)\nafter:\n\(log.joined(separator: "\n"))")
                break   // the model follows only what succeeded
            }
            log.append("\(step): \(did)")

            let verify = try watcher.run(["verify", "--remote", "origin", "--full"], env: env)
            #expect(verify.code == 0, "after \(log.joined(separator: "\n")):\n\(verify.out)\(verify.err)")
            for e in model.erasedNeedles {
                #expect(try !side.holds(e.needle, bare), "after \(log.joined(separator: "\n")):\nthe remote still holds bytes of erased \(e.path)")
            }
        }

        // A clone made now has every retained file, whole.
        try Self.must(alice, ["clone", bare, base + "/last", "--trust-root", fp], env: env)
        let last = Project(existing: base + "/last")
        for (path, bytes) in model.live { #expect(last.read(path) == bytes, "\(path) after \(log.joined(separator: "\n"))") }
        #expect(try last.run("verify").code == 0)
        return log
    }
}

/// The same interleavings with the bytes on S3 (a real moto_server, versioning on).
@Suite(.enabled(if: MotoServer.isAvailable, "needs moto_server (pip install 'moto[server]')"), .motoServer)
struct RemoteErasurePropertyS3Tests {
    @Test func interleavedStepsOnAVersionedBucket() throws {
        let moto = try #require(MotoSuiteTrait.current)
        try RemoteErasureS3CLITests.versionedBucket(moto, "property")
        var log: [String] = []
        for (i, seed) in [UInt64(0x15_0002), 0x15_0003].enumerated() {
            let env = moto.clientEnvironment()
            let url = "s3://property/run\(i)"
            let bucket = try S3BlobStore(url: url, environment: env)
            let side = RemoteErasurePropertyTests.ContentSide(env: env, remoteOptions: ["--content", url], holds: { needle, _ in
                try RemoteErasureS3CLITests.packs(of: bucket, hold: needle)
            })
            log += try RemoteErasurePropertyTests.scenario(seed: seed, side: side)
        }
        for kind in ["erased", "swept 1"] {
            #expect(log.contains { $0.contains(kind) }, "no step '\(kind)' in:\n\(log.joined(separator: "\n"))")
        }
    }
}
