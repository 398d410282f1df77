import Foundation
import LineageCore
import LineageGit
import Testing

@Suite struct GitRepositoryTests {
    func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("git-\(UUID().uuidString)").path
    }

    func git(_ dir: String, _ args: String...) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        p.arguments = ["--git-dir", dir] + args
        let out = Pipe(); p.standardOutput = out; p.standardError = out
        try p.run(); p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test func blobsIndexCommitsAndRevisions() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try GitRepository.createBare(at: dir)
        #expect(try repo.head() == nil)
        #expect(try repo.headBranchRef() == "refs/heads/main")
        let blob = try repo.writeBlob(Array("hello\n".utf8))
        #expect(blob.hex == "ce013625030ba8dba906f756967f9e9ca394464a")  // `echo hello | git hash-object --stdin`
        #expect(try repo.readBlob(blob) == Array("hello\n".utf8))

        let index = try repo.openIndex(at: dir + "/index")
        try index.add(path: "a/b.txt", id: blob)
        try index.add(path: "c.txt", id: blob)
        try index.write()
        let tree = try index.writeTree()
        #expect(try repo.files(inTree: tree).map(\.path) == ["a/b.txt", "c.txt"])
        #expect(try repo.entry(inTree: tree, path: "a/b.txt") == blob)
        #expect(try repo.entry(inTree: tree, path: "nope") == nil)

        let who = Identity(name: "T", email: "t@example.org", time: 1_700_000_000, offsetMinutes: 60)
        let first = try repo.createCommit(tree: tree, parents: [], author: who, committer: who, message: "one\n")
        try repo.updateReference("refs/heads/main", to: first, expected: nil, message: "commit")
        try index.remove(path: "c.txt")
        let second = try repo.createCommit(tree: try index.writeTree(), parents: [first], author: who, committer: who, message: "two\n")
        try repo.updateReference("refs/heads/main", to: second, expected: first, message: "commit")
        // Compare-and-swap: a stale expectation is refused.
        #expect(throws: GitError.self) { try repo.updateReference("refs/heads/main", to: first, expected: first, message: "x") }

        #expect(try repo.resolveCommit("HEAD") == second)
        #expect(try repo.resolveCommit("HEAD~1") == first)
        #expect(try repo.resolveCommit("main") == second)
        #expect(try repo.resolveCommit(String(first.hex.prefix(8))) == first)
        #expect(try repo.walk(from: [second]) == [second, first])
        let info = try repo.commit(second)
        #expect(info.parents == [first] && info.message == "two\n" && info.author == who)

        // Stock git agrees with every object and the commit's exact bytes.
        let (code, out) = try git(dir, "fsck", "--strict", "--full")
        #expect(code == 0, "\(out)")
        #expect(try git(dir, "log", "--format=%s %an %ad", "--date=raw").1 == "two T 1700000000 +0100\none T 1700000000 +0100\n")
    }

    @Test func blobBatchWritesOnePackOnlyOnCommit() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try GitRepository.createBare(at: dir)
        let batch = try BlobBatch(repository: repo)
        let ids = try (0..<100).map { try batch.write(Array("blob \($0)".utf8)) }
        #expect(!repo.contains(ids[0]))
        try batch.commit()
        #expect(ids.allSatisfy { repo.contains($0) })
        #expect(try repo.readBlob(ids[42]) == Array("blob 42".utf8))
        let packs = try FileManager.default.contentsOfDirectory(atPath: dir + "/objects/pack").filter { $0.hasSuffix(".pack") }
        #expect(packs.count == 1)
        #expect(try git(dir, "fsck", "--strict").0 == 0)
    }

    @Test func droppedBatchWritesNothing() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try GitRepository.createBare(at: dir)
        var id: ObjectID?
        do {
            let batch = try BlobBatch(repository: repo)
            id = try batch.write(Array("never".utf8))
        }
        #expect(!repo.contains(id!))
    }

    @Test func configReadsAndWrites() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try GitRepository.createBare(at: dir)
        let config = try GitConfig.open(path: dir + "/config")
        try config.set("user.name", "Ada")
        #expect(try GitConfig.open(path: dir + "/config").string("user.name") == "Ada")
        try config.unset("user.name")
        #expect(try config.string("user.name") == nil)
        #expect(try git(dir, "config", "core.bare").1 == "true\n")
    }
}
