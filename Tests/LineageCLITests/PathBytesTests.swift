import Foundation
import Testing

/// Paths are bytes: names that Swift's `String` calls equal (NFC and NFD `café`) are two files,
/// and a name that is not UTF-8 is refused or skipped with a message, never turned into another name.
@Suite("Paths as bytes")
struct PathBytesTests {
    static let nfc = "caf\u{E9}"          // c3 a9
    static let nfd = "cafe\u{301}"        // 65 cc 81

    /// Writes a file whose name is given as raw bytes (no String normalisation on the way).
    func writeRaw(_ p: Project, _ name: [UInt8], _ text: String) throws {
        let path = Array(p.dir.utf8) + [UInt8(ascii: "/")] + name + [0]
        let fd = path.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { open($0, O_CREAT | O_WRONLY | O_TRUNC, 0o644) }
        }
        #expect(fd >= 0)
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func readRaw(_ p: Project, _ name: String) -> String? {
        p.read(name).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func canonicallyEquivalentNamesAreTwoFiles() throws {
        let p = try Project()
        defer { p.remove() }
        #expect(Self.nfc == Self.nfd)                      // what Swift says…
        #expect(Array(Self.nfc.utf8) != Array(Self.nfd.utf8))  // …and what the file system says
        try writeRaw(p, Array(Self.nfc.utf8), "nfc bytes\n")
        try writeRaw(p, Array(Self.nfd.utf8), "nfd\n")
        try p.write("d/\(Self.nfc).csv", "a\n1\n")
        try p.write("d/\(Self.nfd).csv", "a\n2\n")

        let added = try p.expectOK(["add", ".", "--json"])
        let addedPaths = try JSONDecoder().decode(AddJSON.self, from: added.outData).files.map(\.path)
        #expect(addedPaths.count == 4, "\(addedPaths)")
        try p.expectOK(["commit", "-m", "four files, two pairs of equivalent names"])

        let listed = try JSONDecoder().decode(ListedFiles.self, from: try p.expectOK(["ls-files", "--json"]).outData).files
        #expect(listed.map { Array($0.path.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
                == [Self.nfd, Self.nfc, "d/\(Self.nfd).csv", "d/\(Self.nfc).csv"].map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(Set(listed.map(\.size)) == [4, 10])
        var status = try p.expectOK(["status", "--json"])
        #expect(try JSONDecoder().decode(StatusJSON.self, from: status.outData).files.allSatisfy { $0.worktree == "unchanged" && $0.staged == "unchanged" })

        // Both deleted, both restored, each with its own bytes.
        for name in [Self.nfc, Self.nfd] { #expect(unlink(p.dir + "/" + name) == 0) }
        try p.expectOK(["checkout", "HEAD", "--", "."])
        #expect(readRaw(p, Self.nfc) == "nfc bytes\n")
        #expect(readRaw(p, Self.nfd) == "nfd\n")
        status = try p.expectOK(["status", "--json"])
        #expect(try JSONDecoder().decode(StatusJSON.self, from: status.outData).files.allSatisfy { $0.worktree == "unchanged" })

        // Changing one of the pair is seen as a change of that one only.
        try writeRaw(p, Array(Self.nfd.utf8), "nfd, changed\n")
        let changed = try JSONDecoder().decode(StatusJSON.self, from: try p.expectOK(["status", "--json"]).outData).files
            .filter { $0.worktree != "unchanged" }
        #expect(changed.map { Array($0.path.utf8) } == [Array(Self.nfd.utf8)])
        let diff = try p.expectOK(["diff", "HEAD", "--json"])
        #expect(diff.out.contains("modified"))

        // A whole checkout of an older commit removes and restores the pair correctly too.
        try p.expectOK(["add", "."]); try p.expectOK(["commit", "-m", "nfd changed"])
        try p.expectOK(["checkout", "HEAD~1"])
        #expect(readRaw(p, Self.nfd) == "nfd\n")
        #expect(readRaw(p, Self.nfc) == "nfc bytes\n")
        try p.expectOK(["checkout", "main"])
        #expect(readRaw(p, Self.nfd) == "nfd, changed\n")
        try p.expectOK(["verify"])
    }

    /// Rights records are keyed by path bytes too: each of two equivalent names keeps its own.
    @Test func canonicallyEquivalentNamesKeepTheirOwnRightsRecords() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("d/\(Self.nfc).csv", "a\n1\n")
        try p.write("d/\(Self.nfd).csv", "a\n2\n")
        try p.expectOK(["add", "d/\(Self.nfc).csv", "--license", "CC0-1.0", "--source", "https://example.org/nfc"])
        try p.expectOK(["add", "d/\(Self.nfd).csv", "--license", "CC-BY-4.0", "--source", "https://example.org/nfd"])
        try p.expectOK(["commit", "-m", "two equivalent names, two records"])
        let records = try p.git("ls-tree", "-r", "--name-only", "HEAD", ".lineage/rights").out.split(separator: "\n")
        #expect(records.count == 2, "\(records)")
        let nfc = try p.expectOK(["rights", "show", "d/\(Self.nfc).csv", "--json"]).out
        let nfd = try p.expectOK(["rights", "show", "d/\(Self.nfd).csv", "--json"]).out
        #expect(nfc.contains("example.org/nfc") && !nfc.contains("example.org/nfd"), "\(nfc)")
        #expect(nfd.contains("example.org/nfd") && !nfd.contains("example.org/nfc"), "\(nfd)")
    }

    @Test func namesThatAreNotUTF8() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("ok.txt", "fine\n")
        try writeRaw(p, Array("x".utf8) + [0xFF, 0x2E, 0x63, 0x73, 0x76], "latin-1 name\n")
        // Named directly: refused with what to do (not "does not exist").
        let direct = try CLI.tool("/bin/sh", ["-c", "\"$0\" add \"$(printf 'x\\377.csv')\"", CLI.binary], in: p.dir)
        #expect(direct.code == 2, "\(direct.err)")
        #expect(direct.err.contains("not valid UTF-8") && direct.err.contains("rename"), "\(direct.err)")
        #expect(!direct.err.contains("does not exist"))
        // Met in a directory: skipped with a warning naming it (bytes escaped), the rest is added.
        let walked = try p.expectOK(["add", "."])
        #expect(walked.err.contains("x\\xff.csv"), "\(walked.err)")
        #expect(walked.err.contains("not UTF-8"))
        let listed = try JSONDecoder().decode(ListedFiles.self, from: try p.expectOK(["ls-files", "--json"]).outData).files
        #expect(listed.map(\.path) == ["ok.txt"])
    }

    @Test func aTreeWithANameThatIsNotUTF8IsRefusedOnCheckout() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("ok.txt", "fine\n")
        try p.expectOK(["add", "ok.txt"]); try p.expectOK(["commit", "-m", "base"])
        // A tree crafted with plain git, holding a pointer under a Latin-1 name.
        let head = try p.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let tree = try p.git("rev-parse", "HEAD^{tree}").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let script = """
            set -e
            blob=$(git --git-dir .lineage rev-parse HEAD:ok.txt)
            { git --git-dir .lineage ls-tree \(tree); printf '100644 blob %s\\tx\\377\\n' "$blob"; } > /tmp/lineage-tree-$$
            t=$(git --git-dir .lineage mktree < /tmp/lineage-tree-$$); rm /tmp/lineage-tree-$$
            git --git-dir .lineage -c user.name=x -c user.email=x@y commit-tree "$t" -p \(head) -m crafted
            """
        let made = try CLI.tool("/bin/sh", ["-c", script], in: p.dir)
        #expect(made.code == 0, "\(made.err)")
        let crafted = made.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let before = try p.snapshot()
        let r = try p.run("checkout", crafted)
        #expect(r.code != 0)
        #expect(r.err.lowercased().hasPrefix("error: "), "\(r.err)")
        #expect(try p.snapshot() == before)
        #expect(readRaw(p, "ok.txt") == "fine\n")
    }
}

private struct AddJSON: Decodable { struct F: Decodable { let path: String }; let files: [F] }
private struct ListedFiles: Decodable { struct F: Decodable { let path: String; let size: Int }; let files: [F] }
private struct StatusJSON: Decodable { struct F: Decodable { let path: String; let staged: String; let worktree: String }; let files: [F] }
