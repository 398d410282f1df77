import Foundation
import Lineage
import LineageCore
import LineageStore
import Testing

/// The repository facade used in-process, as a library user would.
@Suite struct RepositoryTests {
    /// Keys made by `initialize` go to a scratch config directory, never the real ~/.config.
    static let configHome: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-lib-config-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        setenv("XDG_CONFIG_HOME", dir, 1)
        return dir
    }()

    func scratch() throws -> (Repository, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("repo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = RepositoryTests.configHome
        let repo = try Repository.initialize(at: dir)
        try repo.config(set: "user.name", value: "Lib Test")
        try repo.config(set: "user.email", value: "lib@example.org")
        return (repo, dir)
    }

    func write(_ dir: String, _ path: String, _ data: Data) throws {
        let url = URL(fileURLWithPath: dir + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    func csv(rows: Range<Int>, edit: Range<Int> = 0..<0) -> Data {
        var text = "id,name,value\n"
        for i in rows { text += "\(i),name-\(i * 7919 % 10007),\(edit.contains(i) ? i * 3 + 1 : i * 3)\n" }
        return Data(text.utf8)
    }

    @Test func newVersionStoresOnlyChangedChunks() throws {
        let (repo, dir) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let original = csv(rows: 0..<200_000)
        try write(dir, "data.csv", original)
        let first = try repo.add(["data.csv"], cwd: dir)
        _ = try repo.commit(message: "v1")
        // 1% of rows edited in the middle, 1% appended.
        let changed = csv(rows: 0..<202_000, edit: 100_000..<102_000)
        try write(dir, "data.csv", changed)
        let second = try repo.add(["data.csv"], cwd: dir)
        _ = try repo.commit(message: "v2")
        #expect(first.newBytes > 0)
        // Only the chunks around the edit and the tail are new (plus the chunk list).
        #expect(Double(second.newBytes) < 0.25 * Double(changed.count), "stored \(second.newBytes) of \(changed.count)")
        let diff = try repo.diff(from: "HEAD~1", to: "HEAD")
        #expect(diff.entries.count == 1)
        #expect((diff.entries[0].sharedBytes ?? 0) > UInt64(original.count / 2))
    }

    @Test func openFromASubdirectoryAndAddRelativePaths() throws {
        let (_, dir) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir, "a/b/c.txt", Data("c".utf8))
        let repo = try Repository.open(from: dir + "/a/b")
        let result = try repo.add(["c.txt"], cwd: dir + "/a/b")
        #expect(result.files.map(\.path) == ["a/b/c.txt"])
        #expect(try repo.listFiles().map(\.path) == ["a/b/c.txt"])
    }

    @Test func wholeCheckoutRemovesFilesTheTargetDoesNotHave() throws {
        let (repo, dir) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir, "one.txt", Data("1".utf8))
        _ = try repo.add(["one.txt"], cwd: dir)
        _ = try repo.commit(message: "one")
        try write(dir, "two.txt", Data("2".utf8))
        _ = try repo.add(["two.txt"], cwd: dir)
        _ = try repo.commit(message: "two")
        let back = try repo.checkout("HEAD~1", cwd: dir)
        #expect(back.removed == ["two.txt"])
        #expect(!FileManager.default.fileExists(atPath: dir + "/two.txt"))
        #expect(try repo.status().isClean)
        let forward = try repo.checkout("main", cwd: dir)
        #expect(forward.branch == "main" && forward.written == ["two.txt"])
        #expect(try repo.status().isClean)
    }

    @Test func concurrentWritersNeverInterleave() throws {
        let (repo, dir) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for i in 0..<8 { try write(dir, "f\(i).bin", Data(repeating: UInt8(i), count: 500_000 + i)) }
        // Eight writers at once: each either commits or fails cleanly because another holds the lock.
        final class Outcomes: @unchecked Sendable {
            var values = [Int](repeating: 0, count: 8)
            let lock = NSLock()
            func set(_ i: Int, _ v: Int) { lock.lock(); values[i] = v; lock.unlock() }
        }
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            do {
                let r = try Repository.open(from: dir)
                _ = try r.add(["f\(i).bin"], cwd: dir)
                outcomes.set(i, 1)
            } catch let e as StoreError {
                if case .lockBusy = e { outcomes.set(i, 2) } else { outcomes.set(i, 3) }
            } catch { outcomes.set(i, 3) }
        }
        let results = outcomes.values
        #expect(!results.contains(3))
        let staged = Set(try repo.listFiles().map(\.path))
        #expect(staged.count == results.filter { $0 == 1 }.count)
        _ = try repo.commit(message: "whatever got in")
        #expect(try repo.verify().ok)
    }
}
