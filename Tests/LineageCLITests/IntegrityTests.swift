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
        // Pointers are written as one git pack per add; damage that pack's object data.
        let dir = p.dir + "/.lineage/objects/pack"
        let pack = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".pack") })
        try flipByte(dir + "/" + pack, at: 14)
        let r = try p.run("verify")
        #expect(r.code == 1)
        #expect(r.out.contains("pointer-unreadable") && r.out.contains("data.bin"), "\(r.out)")
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
