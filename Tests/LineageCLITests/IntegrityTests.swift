import Foundation
import Testing

/// `verify` names each kind of damage; a kill at any moment never breaks what was committed.
@Suite("Integrity", .serialized)
struct IntegrityTests {
    func packFiles(_ p: Project, ext: String) throws -> [String] {
        let dir = p.dir + "/.lineage/content/sha256/packs"
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix("." + ext) }.sorted().map { dir + "/" + $0 }
    }

    func flipByte(_ path: String, at offset: Int) throws {
        var d = try Data(contentsOf: URL(fileURLWithPath: path))
        d[offset] ^= 0x55
        try d.write(to: URL(fileURLWithPath: path))
    }

    func committedProject() throws -> Project {
        let p = try Project()
        try p.write("data.bin", randomData(2_000_000, seed: 77))
        try p.expectOK(["add", "data.bin"]); try p.expectOK(["commit", "-m", "data"])
        return p
    }

    @Test func flippedByteInAChunk() throws {
        let p = try committedProject()
        defer { p.remove() }
        let pack = try #require(try packFiles(p, ext: "pack").first)
        let size = try FileManager.default.attributesOfItem(atPath: pack)[.size] as! Int
        try flipByte(pack, at: size / 2)
        let r = try p.run("verify", "--json")
        #expect(r.code == 1)
        let problems = (try JSONSerialization.jsonObject(with: r.outData) as! [String: Any])["problems"] as! [[String: Any]]
        #expect(problems.contains { ($0["kind"] as! String).contains("corrupt") && ($0["file"] as? String ?? "").hasSuffix(".pack") })
        #expect(problems.contains { $0["path"] as? String == "data.bin" && $0["object"] != nil })
        let cat = try p.run("cat", "HEAD:data.bin")
        #expect(cat.code == 4)
    }

    @Test func flippedByteInAPackIndex() throws {
        let p = try committedProject()
        defer { p.remove() }
        let idx = try #require(try packFiles(p, ext: "idx").first)
        let size = try FileManager.default.attributesOfItem(atPath: idx)[.size] as! Int
        try flipByte(idx, at: size / 2)
        let r = try p.run("verify")
        #expect(r.code == 1)
        #expect(r.out.contains(".idx"), "\(r.out)")
    }

    @Test func truncatedPackIndex() throws {
        let p = try committedProject()
        defer { p.remove() }
        let idx = try #require(try packFiles(p, ext: "idx").first)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: idx))
        let r = try p.run("verify")
        #expect(r.code == 1)
        #expect(r.out.contains(".idx"))
    }

    @Test func flippedByteInAPointerBlob() throws {
        let p = try committedProject()
        defer { p.remove() }
        // A small add writes its pointer as a loose object; damage that object's file.
        let id = try p.git("rev-parse", "HEAD:data.bin").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let object = p.dir + "/.lineage/objects/\(id.prefix(2))/\(id.dropFirst(2))"
        chmod(object, 0o644)
        try flipByte(object, at: 14)
        let r = try p.run("verify")
        #expect(r.code == 1)
        #expect(r.out.contains("pointer-unreadable") && r.out.contains("data.bin"), "\(r.out)")
    }

    @Test func packsStayFewAndGcDropsWhatNothingNeeds() throws {
        let p = try Project()
        defer { p.remove() }
        for i in 0..<60 {
            try p.write("data/part-\(i % 7).csv", "id\n\(i)\n")
            try p.write("big-\(i % 3).bin", randomData(70_000, seed: UInt64(i)))
            try p.expectOK(["add", "data", "big-\(i % 3).bin"])
            try p.expectOK(["commit", "-m", "step \(i)"])
        }
        func count(_ dir: String) -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: p.dir + "/.lineage/" + dir)) ?? []).filter { $0.hasSuffix(".pack") }.count
        }
        // Every add wrote a content pack; the geometric roll-up keeps them few.
        #expect(count("content/sha256/packs") <= 51)
        try p.expectOK(["gc"])
        #expect(count("content/sha256/packs") == 1)
        #expect(count("objects/pack") == 1)
        let fsck = try p.git("fsck", "--strict", "--full", "--dangling")
        #expect(fsck.code == 0 && !fsck.out.contains("dangling") && !fsck.err.contains("dangling"), "\(fsck.out) \(fsck.err)")
        #expect(try p.expectOK(["verify"]).code == 0)
        #expect(try p.git("rev-list", "--count", "HEAD").out == "60\n")
    }

    @Test func deletedChunks() throws {
        let p = try committedProject()
        defer { p.remove() }
        for f in try packFiles(p, ext: "pack") + packFiles(p, ext: "idx") { try FileManager.default.removeItem(atPath: f) }
        let r = try p.run("verify")
        #expect(r.code == 1)
        #expect(r.out.contains("missing") && r.out.contains("data.bin"), "\(r.out)")
        let cat = try p.run("cat", "HEAD:data.bin")
        #expect(cat.code == 4 && cat.err.contains("lineage verify"))
    }

    /// A damaged branch file is a problem, not a shorter history checked in silence.
    @Test func damagedBranchReference() throws {
        let p = try committedProject()
        defer { p.remove() }
        try "garbage\n".write(toFile: p.dir + "/.lineage/refs/heads/main", atomically: true, encoding: .utf8)
        let r = try p.run("verify")
        #expect(r.code == 1, "\(r.out)\(r.err)")
        #expect(r.out.contains("refs/heads/main"), "\(r.out)")
    }

    /// Kills `add`/`commit` with SIGKILL at random moments; afterwards verify passes and every
    /// earlier commit reads back intact.
    @Test func sigkillAtRandomMoments() throws {
        let p = try Project()
        defer { p.remove() }
        var committed: [(rev: String, bytes: Data)] = []
        var generator = SystemRandomNumberGenerator()
        for round in 0..<50 {
            let data = randomData(Int.random(in: 1_000_000...6_000_000, using: &generator), seed: UInt64(round))
            try p.write("f.bin", data)
            try p.write("dir/g\(round % 5).bin", randomData(200_000, seed: UInt64(1000 + round)))
            for args in [["add", "f.bin", "dir"], ["commit", "-q", "-m", "round \(round)"]] {
                let proc = Process()
                proc.executableURL = URL(fileURLWithPath: CLI.binary)
                proc.arguments = args
                proc.currentDirectoryURL = URL(fileURLWithPath: p.dir)
                proc.standardOutput = FileHandle.nullDevice
                proc.standardError = FileHandle.nullDevice
                try proc.run()
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.06, using: &generator))
                kill(proc.processIdentifier, SIGKILL)
                proc.waitUntilExit()
            }
            let verify = try p.run("verify")
            #expect(verify.code == 0, "round \(round): \(verify.out) \(verify.err)")
            for c in committed {
                #expect(try p.run("cat", "\(c.rev):f.bin").outData == c.bytes, "round \(round): \(c.rev) damaged")
            }
            // Every few rounds commit for real, so later kills have history to damage.
            if round % 10 == 9 {
                try p.expectOK(["add", "f.bin", "dir"])
                let c = try p.run("commit", "-q", "-m", "kept \(round)")
                if c.code == 0 { committed.append((c.out.trimmingCharacters(in: .whitespacesAndNewlines), data)) }
            }
        }
        #expect(committed.count >= 4)
    }
}
