import Foundation
import Testing

/// Issue 16's fault injection: every file and descriptor call goes through `Sys` (LineageCore),
/// and a debug build fails the Nth call of an operation when `LINEAGE_INJECT_FAULT` asks. Each
/// scenario runs one command over and over on a copy of the same repository, failing one more
/// call each time, until the command no longer reaches the injected call. After every run: the
/// command either succeeded or failed as a system failure (exit 5, a message, no crash); a failed
/// one moved no branch, left `verify` passing (an erasure whose tombstone is committed: reported
/// unfinished) and succeeds when run again; everything committed before is still there, byte for byte.
@Suite struct FaultInjectionTests {
    struct Scenario: CustomStringConvertible, Sendable {
        let name: String
        /// The command run with a fault injected.
        let args: [String]
        /// Work done on the base repository (committed data/a.bin v1 and v2) before the command.
        let prepare: @Sendable (Project) throws -> Void
        var description: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "add", args: ["add", "data/new.bin"]) { p in
            try p.write("data/new.bin", randomData(400_000, seed: 71))
        },
        Scenario(name: "commit", args: ["commit", "-m", "new"]) { p in
            try p.write("data/new.bin", randomData(400_000, seed: 72))
            try p.expectOK(["add", "data/new.bin"])
        },
        Scenario(name: "checkout", args: ["checkout", "HEAD~1"]) { _ in },
        Scenario(name: "gc", args: ["gc"]) { p in
            // Something for gc to drop: a staged version nothing commits.
            try p.write("data/a.bin", randomData(300_000, seed: 73))
            try p.expectOK(["add", "data/a.bin"])
            try p.expectOK(["restore", "--staged", "data/a.bin"])
            try p.expectOK(["checkout", "--force", "HEAD", "--", "data/a.bin"])
        },
        Scenario(name: "erase", args: ["erase", "data/a.bin@HEAD~1", "--reason", "fault test"]) { _ in },
    ]

    /// (operation, fault): errors a disk gives, and the two that must be absorbed (EINTR, a short write).
    static let faults: [(operation: String, fault: String)] = [
        ("write", "ENOSPC"), ("pwrite", "ENOSPC"), ("open", "EIO"), ("fsync", "EIO"), ("rename", "EIO"), ("mkdir", "ENOSPC"),
        ("write", "short"), ("write", "EINTR"), ("fsync", "EINTR"),
    ]

    /// The repository every run starts from: data/a.bin committed twice, b.bin once.
    static func base() throws -> (Project, v1: Data, v2: Data, b: Data) {
        let p = try Project()
        let v1 = randomData(350_000, seed: 61), v2 = randomData(350_000, seed: 62), b = randomData(120_000, seed: 63)
        try p.write("data/a.bin", v1)
        try p.write("data/b.bin", b)
        try p.expectOK(["add", "data"])
        try p.expectOK(["commit", "-m", "v1"])
        try p.write("data/a.bin", v2)
        try p.expectOK(["add", "data/a.bin"])
        try p.expectOK(["commit", "-m", "v2"])
        return (p, v1, v2, b)
    }

    @Test(arguments: scenarios)
    func everyInjectedFailureFailsCleanlyAndLosesNothing(_ scenario: Scenario) throws {
        let (template, v1, v2, b) = try Self.base()
        defer { template.remove() }
        try scenario.prepare(template)
        let head = try template.git("rev-parse", "HEAD").out.trimmingCharacters(in: .whitespacesAndNewlines)
        var points = 0
        for (operation, fault) in Self.faults {
            for n in 1...400 {
                let copy = template.dir + "-copy"
                _ = try CLI.tool("/bin/rm", ["-rf", copy], in: "/")
                try #require(try CLI.tool("/bin/cp", ["-a", template.dir, copy], in: "/").code == 0)
                defer { _ = try? CLI.tool("/bin/rm", ["-rf", copy], in: "/") }
                let p = Project(existing: copy)
                let r = try p.run(scenario.args, env: ["LINEAGE_INJECT_FAULT": "\(operation):\(n):\(fault)"])
                let injected = r.err.contains("lineage: injected \(fault) into \(operation) #\(n)")
                let what = "\(scenario.name) with \(fault) at \(operation) #\(n)"
                if fault == "EINTR" || fault == "short" {
                    #expect(r.code == 0, "\(what): \(r.err)")
                } else if injected {
                    #expect(r.code == 0 || r.code == 5, "\(what): exit \(r.code), not a system failure (5): \(r.err)")
                    if r.code == 5 { #expect(r.err.contains("error: "), "\(what): no message: \(r.err)") }
                }
                if r.code != 0 {
                    if scenario.name == "erase" && r.err.contains("tombstone for data/a.bin is committed") {
                        // The signed tombstone came first; verify names the unfinished removal until it is done.
                        let pending = try p.run(["verify"])
                        #expect(pending.code == 0 || pending.out.contains("erasure-unfinished"), "\(what): \(pending.out)")
                    } else {
                        // A failed command changed no branch.
                        #expect(try p.git("rev-parse", "refs/heads/main").out.trimmingCharacters(in: .whitespacesAndNewlines) == head, "\(what): the branch moved")
                        let verify = try p.run(["verify"])
                        #expect(verify.code == 0, "\(what): verify after it: \(verify.out)\(verify.err)")
                    }
                    // Run again without the fault, it finishes (an erasure whose tombstone is
                    // committed is finished by the next command that writes, as its message says).
                    let rerun = r.err.contains("tombstone for data/a.bin is committed") ? ["gc"] : scenario.args
                    let again = try p.run(rerun)
                    #expect(again.code == 0, "\(what): the same command run again failed: \(again.err)")
                }
                // Nothing committed is lost, whatever happened.
                let verify = try p.run(["verify"])
                #expect(verify.code == 0, "\(what): verify: \(verify.out)\(verify.err)")
                #expect(try p.expectOK(["cat", "\(head):data/b.bin"]).outData == b, "\(what): b.bin")
                #expect(try p.expectOK(["cat", "\(head):data/a.bin"]).outData == v2, "\(what): a.bin v2")
                if scenario.name != "erase" {
                    #expect(try p.expectOK(["cat", "\(head)~1:data/a.bin"]).outData == v1, "\(what): a.bin v1")
                }
                if !injected { break }
                points += 1
            }
        }
        #expect(points > 5, "only \(points) failure points reached: is LINEAGE_INJECT_FAULT read (debug build)?")
    }
}
