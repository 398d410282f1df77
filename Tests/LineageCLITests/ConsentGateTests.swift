import Foundation
import Testing

/// The consent hook on a real pipeline (a Python prepare step run through `lineage run`): rights
/// inherited through recorded runs count, and withdrawn consent or a licence that forbids the
/// declared use block derived outputs whatever `path` selects, unless lineage.yaml allows it.
@Suite("Consent gate", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs /usr/bin/python3 for the pipeline step"))
struct ConsentGateTests {
    static let prepare = """
    import sys
    rows = open("data/raw/patients.csv").read().splitlines()
    import os
    os.makedirs("data/prepared", exist_ok=True)
    open("data/prepared/train.csv", "w").write("\\n".join(rows[:3]) + "\\n")

    """

    func pipeline(_ yaml: String, license: String = "CC-BY-4.0") throws -> Project {
        let p = try Project()
        try p.write("lineage.yaml", yaml)
        try p.write("prepare.py", Self.prepare)
        try p.write("data/raw/patients.csv", "id,age\n1,34\n2,51\n3,27\n4,45\n")
        try p.expectOK(["add", "lineage.yaml", "prepare.py"])
        try p.expectOK(["add", "data/raw/patients.csv", "--source", "https://example.org/clinic", "--license", license,
                        "--legal-basis", "consent", "--consent", "granted"])
        try p.expectOK(["commit", "-m", "raw data with rights"])
        return p
    }

    func runPrepare(_ p: Project) throws -> CLI.Result {
        try p.run(["run", "--name", "prepare", "-i", "data/raw/patients.csv", "-i", "prepare.py", "-o", "data/prepared/train.csv",
                   "--", "/usr/bin/python3", "prepare.py"])
    }

    /// The README's example: derived datasets of a clean pipeline inherit their rights.
    @Test func inheritedRightsSatisfyRequireRights() throws {
        let p = try pipeline("hooks:\n  pre-commit:\n    - consent: { require-rights: [dataset] }\n")
        defer { p.remove() }
        let run = try runPrepare(p)
        #expect(run.code == 0, "\(run.out)\(run.err)")
        // A dataset made by hand has no rights of its own and inherits none.
        try p.write("data/scraped.csv", "id\n9\n")
        try p.expectOK(["add", "data/scraped.csv"])
        let commit = try p.run(["commit", "-m", "hand-made data"])
        #expect(commit.code != 0)
        #expect(commit.out.contains("no-rights-record") && commit.out.contains("data/scraped.csv") && commit.out.contains("require-rights"), "\(commit.out)")
    }

    /// Scoping the hook to the raw data does not stop it from blocking outputs built on withdrawn data,
    /// and an explicit override in lineage.yaml (recorded with every commit) lets them through as a warning.
    @Test func withdrawnConsentBlocksDerivedOutputsWhateverThePath() throws {
        let scoped = "hooks:\n  pre-commit:\n    - consent: { require-rights: [dataset], path: \"data/raw/**\" }\n"
        let p = try pipeline(scoped)
        defer { p.remove() }
        #expect(try runPrepare(p).code == 0)
        try p.expectOK(["consent", "withdraw", "data/raw/patients.csv", "--reason", "patient request 17"])
        try p.write("prepare.py", Self.prepare + "# v2\n")
        let head = try p.git("rev-parse", "HEAD").out
        let blocked = try runPrepare(p)
        #expect(blocked.code != 0, "\(blocked.out)\(blocked.err)")
        #expect(blocked.out.contains("upstream-consent-withdrawn") && blocked.out.contains("data/prepared/train.csv"), "\(blocked.out)")
        #expect(try p.git("rev-parse", "HEAD").out == head)

        try p.write("lineage.yaml", scoped.replacingOccurrences(of: " }\n", with: ", allow: [{ finding: upstream-consent-withdrawn, path: \"data/prepared/**\", reason: \"DPO ticket 42: kept for the erasure audit\" }] }\n"))
        try p.expectOK(["add", "lineage.yaml"])
        let allowed = try runPrepare(p)
        #expect(allowed.code == 0, "\(allowed.out)\(allowed.err)")
        #expect(allowed.out.contains("DPO ticket 42"), "\(allowed.out)")
    }

    /// A licence that forbids the declared use blocks what is derived from it.
    @Test func aLicenceThatForbidsTheUseBlocksDerivedOutputs() throws {
        let p = try pipeline("hooks:\n  pre-commit:\n    - consent: { use: commercial }\n", license: "CC-BY-NC-4.0")
        defer { p.remove() }
        let run = try runPrepare(p)
        #expect(run.code != 0, "\(run.out)\(run.err)")
        #expect(run.out.contains("licence-incompatible-with-use") && run.out.contains("data/prepared/train.csv"), "\(run.out)")
        // A mistyped use is a configuration error that says what is allowed.
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - consent: { use: comercial }\n")
        let bad = try p.run(["hooks", "list"])
        #expect(bad.code == 2 && bad.err.contains("commercial"), "\(bad.err)")
    }
}
