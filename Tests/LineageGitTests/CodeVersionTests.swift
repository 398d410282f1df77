import Crypto
import Foundation
import LineageCore
import LineageGit
import Testing

/// `CodeVersion.capture` against work trees made by the stock `git`.
@Suite struct CodeVersionTests {
    /// A temporary work tree driven by `/usr/bin/git` with a fixed identity.
    struct WorkTree {
        let dir: String

        init(initialize: Bool = true) throws {
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("codeversion-\(UUID().uuidString)")
            dir = base.resolvingSymlinksInPath().path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if initialize { try git("init", "-q", "-b", "main") }
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }

        @discardableResult
        func git(_ args: String...) throws -> Data {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            p.arguments = ["-C", dir, "-c", "user.name=T", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"] + args
            let out = Pipe(), err = Pipe()
            p.standardOutput = out; p.standardError = err
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw GitFailed(args: args, message: message) }
            return data
        }

        func text(_ args: String...) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            p.arguments = ["-C", dir] + args
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func write(_ path: String, _ content: String) throws {
            let url = URL(fileURLWithPath: dir).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }

        /// The patch stock git prints for tracked changes, in the form `capture` hashes. Byte equality
        /// with plain `git diff HEAD` holds only with these options spelled out:
        /// - `--full-index`: `capture` writes full ids so the digest does not change as the repository
        ///   grows (git's default abbreviation lengthens with the object count);
        /// - `--no-renames`: libgit2's rename similarity is not git's, so renames are not detected;
        /// - `core.quotepath=on` (git's default): libgit2 quotes non-ASCII names in octal the way git
        ///   does by default, so `-c core.quotepath=off` would differ for such names;
        /// - `--no-ext-diff --no-textconv`: libgit2 runs no external diff or textconv drivers.
        func stockDiff() throws -> Data {
            try git("-c", "core.quotepath=on", "diff", "HEAD", "--no-color", "--no-renames", "--full-index", "--no-ext-diff", "--no-textconv")
        }
    }

    struct GitFailed: Error, CustomStringConvertible {
        let args: [String], message: String
        var description: String { "git \(args.joined(separator: " ")): \(message)" }
    }

    func capture(_ tree: WorkTree, _ sub: String = "", excluding: [String] = [], max: Int = 1000) throws -> CodeVersion? {
        try CodeVersion.capture(from: sub.isEmpty ? tree.dir : tree.dir + "/" + sub, excluding: excluding, maxUntracked: max)
    }

    func committedTree() throws -> WorkTree {
        let t = try WorkTree()
        try t.write("train.py", "import sys\n\ndef main():\n    print('hello')\n    return 0\n\nmain()\n")
        try t.write("src/model.py", "x = 1\ny = 2\n")
        try t.write("README.md", "readme\n")
        try t.write("long.py", "def f():\n" + (1...40).map { "    x\($0) = \($0)\n" }.joined())
        try t.write("nonl.txt", "no newline at end")
        try t.write("weights.bin", String(decoding: [0, 1, 2, 0, 255, 10], as: UTF8.self))
        try t.git("add", ".")
        try t.git("commit", "-q", "-m", "first")
        return t
    }

    @Test func cleanTree() throws {
        let t = try committedTree()
        defer { t.remove() }
        let v = try #require(try capture(t))
        #expect(v.commit == (try t.text("rev-parse", "HEAD")))
        #expect(v.branch == "main")
        #expect(!v.dirty)
        #expect(v.diffSHA256 == nil)
        #expect(v.untracked.isEmpty && !v.untrackedTruncated)
        #expect(v.remoteURL == nil)
        // Found from a subdirectory too.
        #expect(try capture(t, "src") == v)
    }

    @Test func modifiedTrackedFilesMakeItDirty() throws {
        let t = try committedTree()
        defer { t.remove() }
        try t.write("train.py", "import sys\n\ndef main():\n    print('changed')\n    return 0\n\nmain()\n")
        try t.write("src/model.py", "x = 1\ny = 3\n")
        try t.git("add", "src/model.py")  // one staged, one not
        try FileManager.default.removeItem(atPath: t.dir + "/README.md")
        try t.write("src/new.py", "new\n")
        try t.git("add", "src/new.py")  // staged addition
        try t.write("données.csv", "a\n")
        try t.git("add", "données.csv")  // a name git quotes
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: t.dir + "/src/model.py")
        try t.write("long.py", "def f():\n" + (1...40).map { "    x\($0) = \($0 == 30 ? 0 : $0)\n" }.joined())  // hunk with function context
        try t.write("nonl.txt", "still no newline")
        try t.write("weights.bin", String(decoding: [0, 1, 3, 0, 255, 10], as: UTF8.self))  // "Binary files differ"
        let v = try #require(try capture(t))
        #expect(v.dirty)
        let stock = try t.stockDiff()
        let stockText = String(decoding: stock, as: UTF8.self)
        #expect(stockText.contains("@@ def f():") && stockText.contains("\\ No newline at end of file") && stockText.contains("Binary files"))
        #expect(v.diffSHA256 == Digest.of(stock), "libgit2's patch differs from:\n\(String(decoding: stock, as: UTF8.self))")
        #expect(v.untracked.isEmpty)
        // Stable: the same state gives the same digest.
        #expect(try capture(t)?.diffSHA256 == v.diffSHA256)
    }

    @Test func onlyContentMatters() throws {
        let t = try committedTree()
        defer { t.remove() }
        // Rewriting a file with the same bytes (new mtime) is not a change.
        try t.write("README.md", "readme\n")
        let v = try #require(try capture(t))
        #expect(!v.dirty && v.diffSHA256 == nil)
        // A rename is a deletion plus an addition (as `git diff --no-renames`).
        try t.git("mv", "src/model.py", "src/renamed.py")
        let r = try #require(try capture(t))
        let stock = try t.stockDiff()
        #expect(r.dirty && r.diffSHA256 == Digest.of(stock))
    }

    @Test func untrackedFilesAreListedButDoNotMakeItDirty() throws {
        let t = try committedTree()
        defer { t.remove() }
        try t.write(".gitignore", "*.log\nbuild/\n")
        try t.git("add", ".gitignore"); try t.git("commit", "-q", "-m", "ignore")
        try t.write("notes.txt", "n\n")
        try t.write("run.log", "ignored\n")
        try t.write("build/out.o", "ignored\n")
        try t.write("data/raw/a.csv", "a\n")        // inside wholly untracked directories
        try t.write("data/raw/b.csv", "b\n")
        try t.write("data/skip.log", "ignored\n")
        try t.write("src/extra.py", "e\n")          // beside tracked files
        try t.write(".lineage/objects/ab/cd", "x")   // the lineage store, excluded
        try t.write(".lineage/HEAD", "ref: refs/heads/main\n")
        try t.write("ml/.lineage/content/x", "x")   // a nested project's store, excluded
        try t.write("ml/train.csv", "t\n")
        try t.write("ml/sub/y.txt", "y\n")
        let v = try #require(try capture(t, excluding: [".lineage", "./ml/.lineage/"]))
        #expect(!v.dirty && v.diffSHA256 == nil)
        #expect(v.untracked == ["data/raw/a.csv", "data/raw/b.csv", "ml/sub/y.txt", "ml/train.csv", "notes.txt", "src/extra.py"])
        #expect(!v.untrackedTruncated)
        // Without exclusions the stores show up; absolute prefixes work too.
        #expect(try capture(t)!.untracked.contains { $0.hasPrefix(".lineage/") })
        #expect(try capture(t, excluding: [t.dir + "/.lineage", t.dir + "/ml/.lineage"])!.untracked == v.untracked)
        // Truncation keeps the first files in order.
        let cut = try #require(try capture(t, excluding: [".lineage", "ml/.lineage"], max: 2))
        #expect(cut.untracked == ["data/raw/a.csv", "data/raw/b.csv"] && cut.untrackedTruncated)
        let exact = try #require(try capture(t, excluding: [".lineage", "ml/.lineage"], max: 6))
        #expect(exact.untracked.count == 6 && !exact.untrackedTruncated)
    }

    @Test func remoteCredentialsAreStripped() throws {
        let t = try committedTree()
        defer { t.remove() }
        try t.git("remote", "add", "backup", "https://backup.example.com/b.git")
        #expect(try capture(t)?.remoteURL == "https://backup.example.com/b.git")  // first remote when no origin
        try t.git("remote", "add", "origin", "https://alice:s3cret@example.com/r.git")
        #expect(try capture(t)?.remoteURL == "https://example.com/r.git")
        let cases = [
            ("https://ghp_token@example.com/org/r.git", "https://example.com/org/r.git"),
            ("http://u:p%40ss@example.com:8080/r.git?x=1", "http://example.com:8080/r.git?x=1"),
            ("https://example.com/a@b/r.git", "https://example.com/a@b/r.git"),
            ("ssh://git@example.com/org/r.git", "ssh://git@example.com/org/r.git"),
            ("ssh://git:pw@example.com:22/org/r.git", "ssh://git@example.com:22/org/r.git"),
            ("git@example.com:org/r.git", "git@example.com:org/r.git"),
            ("/srv/git/r.git", "/srv/git/r.git"),
        ]
        for (configured, recorded) in cases {
            try t.git("remote", "set-url", "origin", configured)
            #expect(try capture(t)?.remoteURL == recorded, "\(configured)")
        }
        // The URL as configured, not as rewritten by insteadOf.
        try t.git("config", "url./srv/mirror/.insteadOf", "https://example.com/")
        try t.git("remote", "set-url", "origin", "https://example.com/r.git")
        #expect(try capture(t)?.remoteURL == "https://example.com/r.git")
    }

    @Test func detachedHeadAndUnbornBranch() throws {
        let t = try WorkTree()
        defer { t.remove() }
        try t.write("a.txt", "a\n")
        let unborn = try #require(try capture(t))
        #expect(unborn.commit == nil && unborn.branch == "main" && !unborn.dirty && unborn.untracked == ["a.txt"])
        try t.git("add", "a.txt")
        let staged = try #require(try capture(t))
        #expect(staged.commit == nil && staged.dirty && staged.diffSHA256 != nil && staged.untracked.isEmpty)
        try t.git("commit", "-q", "-m", "one")
        try t.git("checkout", "-q", "--detach", "HEAD")
        let detached = try #require(try capture(t))
        let head = try t.text("rev-parse", "HEAD")
        #expect(detached.branch == nil && detached.commit == head && !detached.dirty)
    }

    @Test func noRepositoryOrBare() throws {
        let t = try WorkTree(initialize: false)
        defer { t.remove() }
        #expect(try capture(t) == nil)
        try t.git("init", "-q", "--bare", "b.git")
        #expect(try capture(t, "b.git") == nil)
    }
}
