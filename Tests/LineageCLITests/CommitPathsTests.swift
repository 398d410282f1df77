import ArgumentParser
import Foundation
import LineageCommands
import Testing

/// Every path into signed history runs the pre-commit hooks on what it newly records, or records
/// nothing staged at all. The verbs are enumerated from the CLI itself: a new verb that is not
/// classified below fails `everyVerbIsClassified`, so nobody can add a way round the hooks unnoticed.
@Suite("Commit paths")
struct CommitPathsTests {
    enum Gate {
        /// Records the staged changes: must be refused when they fail the hooks (argv of a case).
        case recordsStaged([String])
        /// Writes a commit on HEAD's files (records only): must leave the staged changes out.
        case recordsOnly([String])
        /// Never writes a commit.
        case neverCommits
        /// Writes commits of what another history brings (merge, pull): its hooks are proven on the
        /// merged result by the named test.
        case provenBy(String)
    }

    /// `%KEY%` is replaced by a second public key's path.
    static let table: [String: Gate] = [
        "commit": .recordsStaged(["commit", "-m", "try to commit the leak"]),
        "run": .recordsStaged(["run", "--name", "r", "-o", "out.txt", "--", "/bin/sh", "-c", "echo 1 > out.txt"]),
        "trust add": .recordsOnly(["trust", "add", "bob@example.org", "%KEY%"]),
        "trust remove": .recordsOnly(["trust", "remove", "bob@example.org"]),
        "rights set": .recordsOnly(["rights", "set", "data/notes.csv", "--license", "CC0-1.0"]),
        "consent withdraw": .recordsOnly(["consent", "withdraw", "data/notes.csv", "--reason", "request 7"]),
        "erase": .recordsOnly(["erase", "data/notes.csv", "--reason", "request 8"]),
        "init": .neverCommits, "add": .neverCommits, "restore": .neverCommits, "status": .neverCommits, "log": .neverCommits, "show": .neverCommits,
        "ls-files": .neverCommits, "cat": .neverCommits, "checkout": .neverCommits, "diff": .neverCommits, "verify": .neverCommits,
        "gc": .neverCommits, "config": .neverCommits, "key generate": .neverCommits, "trust list": .neverCommits,
        "attest": .neverCommits, "trace": .neverCommits, "impact": .neverCommits, "reindex": .neverCommits, "report": .neverCommits,
        "hooks list": .neverCommits, "hooks run": .neverCommits, "hooks trust": .neverCommits, "validate": .neverCommits,
        "remote set-content": .recordsOnly(["remote", "set-content", "origin", "%DIR%"]),
        "remote add": .neverCommits, "remote list": .neverCommits, "remote remove": .neverCommits,
        "push": .neverCommits, "fetch": .neverCommits, "clone": .neverCommits, "branch": .neverCommits, "completions": .neverCommits,
        "merge": .provenBy("MergeTests.hooksRunOnTheMergedResult"), "pull": .provenBy("MergeTests.pullMergesATeammatesWork"),
        "repro": .provenBy("PipelineTests.aBlockedStageStopsReproAndCommitsNothingOfIt"),
        "dag": .neverCommits, "stage list": .neverCommits, "metrics show": .neverCommits, "metrics diff": .neverCommits, "params diff": .neverCommits,
        "schema infer": .neverCommits, "rights show": .neverCommits, "audit": .provenBy("audit --erase-derived --yes commits only through erase (checked above as recordsOnly): ErasureRemoteTests.auditErasesWhatWasBuiltFromErasedData"), "datasheet": .neverCommits,
    ]

    static func leaves(_ command: ParsableCommand.Type, prefix: String = "") -> [String] {
        let subs = command.configuration.subcommands
        if subs.isEmpty { return [prefix] }
        return subs.flatMap { sub in leaves(sub, prefix: prefix.isEmpty ? sub._commandName : prefix + " " + sub._commandName) }
    }

    @Test func everyVerbIsClassified() {
        let verbs = Self.leaves(LineageMain.self)
        #expect(verbs.count > 20)
        for verb in verbs {
            #expect(Self.table[verb] != nil, "lineage \(verb) is not classified in CommitPathsTests.table: say whether it writes commits, and if so prove it runs the hooks")
        }
        for verb in Self.table.keys { #expect(verbs.contains(verb), "CommitPathsTests.table names \(verb), which the CLI does not have") }
    }

    /// Clean splits committed, then test rows copied into the training split and staged: each
    /// commit-writing verb either is refused by the leakage hook or leaves the leak out of history.
    @Test func everyCommitPathRunsTheHooksOrLeavesStagedChangesOut() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - leakage: { splits: { train: data/train.csv, test: data/test.csv } }\n")
        try p.write("data/train.csv", "id,x\n1,a\n2,b\n3,c\n")
        try p.write("data/test.csv", "id,x\n4,d\n5,e\n")
        try p.write("data/notes.csv", "n\n1\n")
        try p.expectOK(["add", "lineage.yaml", "data"])
        try p.expectOK(["commit", "-m", "clean splits"])
        let cleanTrain = try p.git("rev-parse", "HEAD:data/train.csv").out
        let keyDir = p.dir + "-bob"
        try FileManager.default.createDirectory(atPath: keyDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: keyDir) }
        let keygen = try CLI.tool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "bob", "-f", keyDir + "/bob"], in: p.dir)
        #expect(keygen.code == 0, "\(keygen.err)")

        try p.write("data/train.csv", "id,x\n1,a\n2,b\n3,c\n4,d\n5,e\n")
        try p.expectOK(["add", "data/train.csv"])
        try p.expectOK(["remote", "add", "origin", keyDir + "/remote.git"])
        let ordered = ["commit", "run", "trust add", "rights set", "consent withdraw", "trust remove", "erase", "remote set-content"]
        #expect(Set(ordered) == Set(Self.table.compactMap {
            switch $0.value { case .neverCommits, .provenBy: return nil; default: return $0.key }
        }))
        for verb in ordered {
            let head = try p.git("rev-parse", "HEAD").out
            switch Self.table[verb]! {
            case .recordsStaged(let argv):
                let r = try p.run(argv)
                #expect(r.code != 0, "lineage \(verb) committed a change that fails the hooks: \(r.out)\(r.err)")
                #expect(r.out.contains("leakage"), "lineage \(verb) did not report the hook: \(r.out)\(r.err)")
                #expect(try p.git("rev-parse", "HEAD").out == head)
            case .recordsOnly(let argv):
                let r = try p.run(argv.map { $0 == "%KEY%" ? keyDir + "/bob.pub" : $0 == "%DIR%" ? keyDir + "/content" : $0 })
                #expect(r.code == 0, "lineage \(verb): \(r.out)\(r.err)")
                #expect(try p.git("rev-parse", "HEAD").out != head, "lineage \(verb) wrote no commit")
                #expect(try p.git("rev-parse", "HEAD:data/train.csv").out == cleanTrain, "lineage \(verb) recorded the staged leak without running the hooks")
            case .neverCommits, .provenBy:
                break
            }
        }
        // The leak is still staged, waiting for a commit that runs the hooks.
        #expect(try p.run(["commit", "-m", "again"]).code != 0)
    }
}
