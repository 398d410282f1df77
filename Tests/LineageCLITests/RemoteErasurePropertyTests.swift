import Foundation
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
    static func must(_ p: Project, _ args: [String]) throws -> CLI.Result {
        let r = try p.run(args)
        guard r.code == 0 else { throw StepFailed(description: "lineage \(args.joined(separator: " ")) exited \(r.code): \(r.out)\(r.err)") }
        return r
    }

    /// Three seeds; together they make every kind of step happen, a gc sweep included.
    @Test func interleavedPushFetchEraseAndGCKeepTheRemoteWholeAndErasedBytesGone() throws {
        var all: [String] = []
        for seed: UInt64 in [0x15_0001, 0x15_0002, 0x15_0003] { all += try scenario(seed: seed) }
        for kind in ["wrote", "erased", "deleted branch", "ran gc", "fetched", "swept 1"] {
            #expect(all.contains { $0.contains(kind) }, "no step '\(kind)' in:\n\(all.joined(separator: "\n"))")
        }
    }

    /// One scenario of 18 random steps; returns what each step did.
    func scenario(seed: UInt64) throws -> [String] {
        var rng = SeededRandom(seed: seed)
        let base = try scratchDirectory("remote-erase-property")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let bare = base + "/team.git", content = bare + "/lineage-content"
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
        try alice.expectOK(["remote", "add", "origin", bare])
        try alice.expectOK(["push"])
        model.live["data/alice/f0.bin"] = first
        let fp = try alice.rootFingerprint()
        var clones: [(name: String, p: Project)] = [("alice", alice)]
        for name in ["bob", "carol", "watcher"] {
            try alice.expectOK(["clone", bare, base + "/" + name, "--trust-root", fp])
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
                    try Self.must(p, ["pull"])
                    let own = model.live.keys.filter { $0.hasPrefix("data/\(name)/") }.sorted()
                    let path = (!own.isEmpty && Bool.random(using: &rng)) ? own.randomElement(using: &rng)! : "data/\(name)/f\(model.counter).bin"
                    let bytes = newContent()
                    try p.write(path, bytes)
                    try Self.must(p, ["add", path])
                    try Self.must(p, ["commit", "-m", "step \(step)"])
                    try Self.must(p, ["push"])
                    model.live[path] = bytes
                    did = "\(name) wrote \(path) and pushed"
                } else if roll < 55, !model.live.isEmpty {
                    try Self.must(p, ["pull"])
                    let path = model.live.keys.sorted().randomElement(using: &rng)!
                    try Self.must(p, ["erase", path, "--reason", "request \(step)"])
                    let push = try Self.must(p, ["push"])
                    #expect(push.out.contains("erased \(path)"), "step \(step): \(push.out)")
                    let bytes = model.live.removeValue(forKey: path)!
                    model.erasedNeedles.append((path, bytes.suffix(64)))
                    did = "\(name) erased \(path) and pushed"
                } else if roll < 70 {
                    // A branch pushed and then deleted on the remote: its bytes become garbage for gc.
                    try Self.must(p, ["pull"])
                    let branch = "tmp\(step)"
                    try Self.must(p, ["checkout", "-b", branch])
                    try p.write("data/\(name)/tmp\(step).bin", newContent())
                    try Self.must(p, ["add", "data/\(name)/tmp\(step).bin"])
                    try Self.must(p, ["commit", "-m", "temporary"])
                    try Self.must(p, ["push", "origin", branch])
                    try Self.must(p, ["checkout", "main"])
                    try Self.must(p, ["branch", "--delete", "--force", branch])
                    #expect(try CLI.tool("/usr/bin/git", ["--git-dir", bare, "update-ref", "-d", "refs/lineage/heads/" + branch], in: "/").code == 0)
                    did = "\(name) pushed and deleted branch \(branch)"
                } else if roll < 85 {
                    let gc = try Self.must(p, ["gc", "--remote", "origin", "--grace", "0s"])
                    did = "\(name) ran gc --remote: \(gc.out.split(separator: "\n").joined(separator: " | "))"
                } else {
                    try Self.must(p, ["fetch"])
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

            let verify = try watcher.run("verify", "--remote", "origin", "--full")
            #expect(verify.code == 0, "after \(log.joined(separator: "\n")):\n\(verify.out)\(verify.err)")
            for e in model.erasedNeedles {
                #expect(!Self.holds(e.needle, underPacksOf: content), "after \(log.joined(separator: "\n")):\nthe remote still holds bytes of erased \(e.path)")
            }
        }

        // A clone made now has every retained file, whole.
        try alice.expectOK(["clone", bare, base + "/last", "--trust-root", fp])
        let last = Project(existing: base + "/last")
        for (path, bytes) in model.live { #expect(last.read(path) == bytes, "\(path) after \(log.joined(separator: "\n"))") }
        #expect(try last.run("verify").code == 0)
        return log
    }
}
