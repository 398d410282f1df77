import Foundation
import Testing

@Suite("End-to-end walk-through")
struct WalkthroughTests {
    @Test func initAddCommitModifyCheckoutVerify() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data/train.csv", "id,x\n1,2\n3,4\n")
        try p.write("data/test.csv", "id,x\n5,6\n")
        let add = try p.expectOK(["add", "data"])
        #expect(add.out.contains("new       data/train.csv"))
        #expect(add.out.contains("Staged 2 new"))

        var status = try p.expectOK(["status"])
        #expect(status.out.contains("new file:   data/train.csv"))
        let first = try p.expectOK(["commit", "-m", "first version"])
        #expect(first.out.contains("[main "))

        try p.write("data/train.csv", "id,x\n1,2\n3,4\n7,8\n")
        status = try p.expectOK(["status"])
        #expect(status.out.contains("modified:   data/train.csv"))
        #expect(status.out.contains("Changes not staged"))
        try p.expectOK(["add", "data/train.csv"])
        try p.expectOK(["commit", "-m", "more rows"])

        let log = try p.expectOK(["log", "--oneline"])
        #expect(log.out.split(separator: "\n").count == 2)
        #expect(log.out.contains("more rows") && log.out.contains("first version"))

        let old = try p.expectOK(["cat", "HEAD~1:data/train.csv"])
        #expect(old.out == "id,x\n1,2\n3,4\n")

        try p.expectOK(["checkout", "HEAD~1"])
        #expect(p.read("data/train.csv") == Data("id,x\n1,2\n3,4\n".utf8))
        status = try p.expectOK(["status"])
        #expect(status.out.contains("HEAD detached"))
        try p.expectOK(["checkout", "main"])
        #expect(p.read("data/train.csv") == Data("id,x\n1,2\n3,4\n7,8\n".utf8))

        let verify = try p.expectOK(["verify"])
        #expect(verify.out.contains("OK: 2 commit(s)"))
    }

    @Test func helpAndVersionArePinned() throws {
        let dir = FileManager.default.temporaryDirectory.path
        let help = try CLI.run(["--help"], in: dir)
        #expect(help.code == 0)
        #expect(help.out.hasPrefix("OVERVIEW: A versioned, content-addressed store for the evidence behind"))
        for verb in ["init", "add", "status", "commit", "log", "show", "ls-files", "cat", "checkout", "diff", "verify", "gc", "config"] {
            #expect(help.out.contains("\n  \(verb) "), "help lists \(verb)")
        }
        #expect(try CLI.run(["--version"], in: dir).out == "0.1.0\n")
        let usage = try CLI.run(["commit"], in: dir)
        #expect(usage.code == 64 && usage.err.contains("Missing expected argument '--message <message>'"))
    }

    @Test func statusJSONListsEveryState() throws {
        let p = try Project()
        defer { p.remove() }
        for name in ["a", "b", "c", "d"] { try p.write("\(name).txt", name) }
        try p.expectOK(["add", "a.txt", "b.txt", "c.txt", "d.txt"])
        try p.expectOK(["commit", "-m", "four"])
        try p.write("a.txt", "changed")                                   // modified, not staged
        try FileManager.default.removeItem(atPath: p.dir + "/b.txt")     // deleted, not staged
        try p.write("e.txt", "new"); try p.expectOK(["add", "e.txt"])    // new, staged
        try FileManager.default.removeItem(atPath: p.dir + "/d.txt")
        try p.expectOK(["add", "d.txt"])                                  // staged removal
        let r = try p.expectOK(["status", "--json"])
        let json = try JSONSerialization.jsonObject(with: r.outData) as! [String: Any]
        let files = (json["files"] as! [[String: String]]).reduce(into: [String: String]()) { $0[$1["path"]!] = $1["staged"]! + "/" + $1["worktree"]! }
        #expect(files == ["a.txt": "unchanged/modified", "b.txt": "unchanged/deleted", "c.txt": "unchanged/unchanged",
                          "d.txt": "deleted/deleted", "e.txt": "new/unchanged"])
    }

    @Test func unchangedFilesAreNotRehashed() throws {
        let p = try Project()
        defer { p.remove() }
        for i in 0..<20 { try p.write("d/f\(i).bin", randomData(3000, seed: UInt64(i))) }
        // Out of the racy window (file timestamps close to the moment of hashing are never trusted).
        Thread.sleep(forTimeInterval: 1.2)
        try p.expectOK(["add", "d"])
        try p.expectOK(["commit", "-m", "twenty"])
        let r = try p.expectOK(["status", "--json"])
        let json = try JSONSerialization.jsonObject(with: r.outData) as! [String: Any]
        #expect(json["rehashed"] as? Int == 0)
        // The index is only a cache: without it status re-hashes and still answers correctly.
        try FileManager.default.removeItem(atPath: p.dir + "/.lineage/index.sqlite")
        let again = try JSONSerialization.jsonObject(with: try p.expectOK(["status", "--json"]).outData) as! [String: Any]
        #expect(again["rehashed"] as? Int == 20)
        #expect((again["files"] as! [[String: String]]).allSatisfy { $0["worktree"] == "unchanged" })
    }

    @Test func racyModificationIsSeen() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("f.txt", "aaaa")
        try p.expectOK(["add", "f.txt"])
        // Same size, rewritten at once: stat may look identical within one timestamp tick.
        try p.write("f.txt", "bbbb")
        let r = try p.expectOK(["status"])
        #expect(r.out.contains("modified:   f.txt"))
    }

    @Test func revisionsLikeGit() throws {
        let p = try Project()
        defer { p.remove() }
        var ids: [String] = []
        for i in 0..<3 {
            try p.write("v.txt", "version \(i)")
            try p.expectOK(["add", "v.txt"])
            ids.append(try p.expectOK(["commit", "-q", "-m", "v\(i)"]).out.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(try p.expectOK(["cat", "HEAD~2:v.txt"]).out == "version 0")
        #expect(try p.expectOK(["cat", "\(ids[1]):v.txt"]).out == "version 1")
        #expect(try p.expectOK(["cat", "\(ids[1].prefix(10)):v.txt"]).out == "version 1")
        #expect(try p.expectOK(["cat", "main:v.txt"]).out == "version 2")
        let show = try p.expectOK(["show", "HEAD:v.txt", "--json"])
        let json = try JSONSerialization.jsonObject(with: show.outData) as! [String: Any]
        #expect((json["file"] as! [String: Any])["size"] as? Int == 9)
        let diff = try p.expectOK(["diff", "HEAD~2", "HEAD", "--json"])
        let entries = (try JSONSerialization.jsonObject(with: diff.outData) as! [String: Any])["entries"] as! [[String: Any]]
        #expect(entries.count == 1 && entries[0]["change"] as? String == "modified")
        let files = try p.expectOK(["ls-files", "HEAD~1"])
        #expect(files.out == "v.txt\n")
        let pathLog = try p.expectOK(["log", "--oneline", "--", "v.txt"])
        #expect(pathLog.out.split(separator: "\n").count == 3)
    }

    @Test func checkoutRefusesToOverwriteLocalChanges() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("m.bin", "one"); try p.expectOK(["add", "m.bin"]); try p.expectOK(["commit", "-m", "1"])
        try p.write("m.bin", "two"); try p.expectOK(["add", "m.bin"]); try p.expectOK(["commit", "-m", "2"])
        try p.write("m.bin", "local edit")
        let refused = try p.run("checkout", "HEAD~1")
        #expect(refused.code == 3)
        #expect(refused.err.contains("m.bin") && refused.err.contains("--force"))
        #expect(p.read("m.bin") == Data("local edit".utf8))
        try p.expectOK(["checkout", "--force", "HEAD~1", "--", "m.bin"])
        #expect(p.read("m.bin") == Data("one".utf8))
    }

    @Test func gcDropsUnreferencedContentOnly() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("keep.bin", randomData(300_000, seed: 1))
        try p.expectOK(["add", "keep.bin"]); try p.expectOK(["commit", "-m", "keep"])
        try p.write("drop.bin", randomData(300_000, seed: 2))
        try p.expectOK(["add", "drop.bin"])
        try FileManager.default.removeItem(atPath: p.dir + "/drop.bin")
        try p.expectOK(["add", "drop.bin"])   // unstaged again: its bytes are now garbage
        let gc = try p.expectOK(["gc", "--json"])
        let json = try JSONSerialization.jsonObject(with: gc.outData) as! [String: Any]
        #expect((json["bytesAfter"] as! Int) < (json["bytesBefore"] as! Int))
        #expect((json["bytesAfter"] as! Int) >= 300_000)
        try p.expectOK(["verify"])
        #expect(try p.expectOK(["cat", "HEAD:keep.bin"]).outData == randomData(300_000, seed: 1))
    }
}
