import Foundation
import Testing

/// lineage beside the code's git repository: git stays clean, code and data histories are linked
/// both ways, and a run says what it records about code that is not committed.
@Suite("Beside git")
struct BesideGitTests {
    func codeGit(_ p: Project, _ args: String...) throws -> CLI.Result {
        try CLI.tool("/usr/bin/git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.org"] + args, in: p.dir)
    }

    /// A git work tree with one committed code file, then `lineage init` in it.
    func project(initArgs: [String] = []) throws -> (Project, CLI.Result) {
        let p = try Project(initialize: false)
        #expect(try codeGit(p, "init", "-q", "-b", "main").code == 0)
        try p.write("train.py", "print('train')\n")
        try p.write(".gitignore", "__pycache__/\n")
        #expect(try codeGit(p, "add", "train.py", ".gitignore").code == 0)
        #expect(try codeGit(p, "commit", "-q", "-m", "code").code == 0)
        let r = try p.expectOK(["init"] + initArgs)
        try p.expectOK(["config", "user.name", "Test User"])
        try p.expectOK(["config", "user.email", "test@example.org"])
        return (p, r)
    }

    @Test func initAndAddKeepGitStatusClean() throws {
        let (p, initResult) = try project()
        defer { p.remove() }
        #expect(initResult.out.contains(".gitignore"), "\(initResult.out)")
        try p.write("data/raw.csv", "a\n1\n")
        try p.write("data/[odd] name.csv", "a\n2\n")
        try p.write("prepare.py", "print('prep')\n")
        try p.write("lineage.yaml", "hooks:\n  pre-commit: []\n")
        try p.expectOK(["add", "data", "prepare.py", "lineage.yaml", "train.py"])
        let status = try codeGit(p, "status", "--porcelain", "--untracked-files=all").out
        // Data and .lineage/ are hidden from git; code and lineage.yaml stay visible.
        #expect(!status.contains(".lineage") && !status.contains("data/"), "\(status)")
        #expect(status.contains("prepare.py") && status.contains("lineage.yaml") && status.contains(".gitignore"), "\(status)")
        let ignore = String(decoding: p.read(".gitignore") ?? Data(), as: UTF8.self)
        #expect(ignore.hasPrefix("__pycache__/\n"), "the user's own lines stay first: \(ignore)")
        #expect(ignore.contains("/data/\\[odd] name.csv"), "\(ignore)")
        #expect(!ignore.contains("train.py"), "a file git tracks is never hidden from git: \(ignore)")
        // Re-adding rewrites the block in place, never a second one.
        try p.expectOK(["add", "data"])
        let again = String(decoding: p.read(".gitignore") ?? Data(), as: UTF8.self)
        #expect(again.components(separatedBy: "# >>> lineage").count == 2, "\(again)")
    }

    @Test func noGitignoreTurnsItOff() throws {
        let (p, _) = try project(initArgs: ["--no-gitignore"])
        defer { p.remove() }
        try p.write("data/raw.csv", "a\n1\n")
        try p.expectOK(["add", "data"])
        #expect(String(decoding: p.read(".gitignore") ?? Data(), as: UTF8.self) == "__pycache__/\n")
    }

    @Test func runsOnDirtyCodeWarnAndCanBeRefused() throws {
        let (p, _) = try project()
        defer { p.remove() }
        try p.write("data/raw.csv", "a\n1\n")
        try p.expectOK(["add", "data/raw.csv"])
        try p.expectOK(["commit", "-m", "raw"])
        // lineage's block in .gitignore is a change git sees: committed with the code, as DVC's are.
        #expect(try codeGit(p, "commit", "-q", "-am", "ignore data").code == 0)
        let clean = try p.expectOK(["run", "--name", "train", "-i", "data/raw.csv", "-o", "model.txt", "--", "/bin/sh", "-c", "echo m > model.txt"])
        #expect(!clean.err.contains("uncommitted"), "\(clean.err)")
        // log --code links the code commit to the lineage commits made at it.
        let codeHead = try codeGit(p, "rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let linked = try p.expectOK(["log", "--code", "main", "--oneline"]).out
        #expect(linked.split(separator: "\n").count == 1 && linked.contains("run train"), "\(linked)")
        let shown = try p.expectOK(["show", "--provenance", "HEAD:model.txt"]).out
        #expect(shown.contains(String(codeHead.prefix(12))), "\(shown)")
        #expect(try p.run(["log", "--code", "no-such-rev"]).code == 2)

        try p.write("train.py", "print('train v2')\n")
        let dirty = try p.expectOK(["run", "--name", "train", "-i", "data/raw.csv", "-o", "model.txt", "--", "/bin/sh", "-c", "echo m2 > model.txt"])
        #expect(dirty.err.contains("uncommitted changes") && dirty.err.contains("digest of `git diff HEAD`"), "\(dirty.err)")
        let refused = try p.run(["run", "--name", "train", "--require-clean-code", "-i", "data/raw.csv", "-o", "model.txt", "--",
                                 "/bin/sh", "-c", "echo m3 > model.txt"])
        #expect(refused.code == 2 && refused.err.contains("commit the code first"), "\(refused.err)")
        #expect(String(decoding: p.read("model.txt") ?? Data(), as: UTF8.self) == "m2\n", "the command must not run")
        // The same as the default from lineage.yaml; --no-require-clean-code overrides it.
        try p.write("lineage.yaml", "run: { require-clean-code: true }\n")
        try p.expectOK(["add", "lineage.yaml"])
        #expect(try p.run(["run", "--name", "train", "-i", "data/raw.csv", "-o", "model.txt", "--", "/bin/sh", "-c", "echo m4 > model.txt"]).code == 2)
        try p.expectOK(["run", "--name", "train", "--no-require-clean-code", "-i", "data/raw.csv", "-o", "model.txt", "--", "/bin/sh", "-c", "echo m5 > model.txt"])
    }

    @Test func aMisspeltVerbGetsASuggestion() throws {
        let p = try Project()
        defer { p.remove() }
        let r = try p.run(["comit", "-m", "x"])
        #expect(r.code == 64 && r.err.contains("'comit' is not a lineage command; did you mean 'commit'?"), "\(r.err)")
        #expect(try p.run(["stauts"]).err.contains("did you mean 'status'?"))
    }
}
