import Foundation
import Testing

/// Gates that hold (issue 13): hooks naming files a pipeline has not produced yet wait instead of
/// blocking, a misspelt path still gets "did you mean", and findings name the option in force.
@Suite("Gates")
struct GateTests {
    @Test func hooksOnPipelineOutputsWaitUntilTheyExist() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - leakage: { splits: { train: data/prepared/train.csv, test: data/prepared/test.csv }, time: t }\n")
        try p.write("data/raw/patients.csv", "id,t\n1,1\n2,2\n")
        try p.expectOK(["add", "data/raw/patients.csv", "lineage.yaml"])
        let first = try p.expectOK(["commit", "-m", "raw data"])
        #expect(first.out.contains("waiting for data/prepared/train.csv"), "\(first.out)")

        // A file that exists but was not added is a mistake, not something to wait for.
        try p.write("data/prepared/train.csv", "id,t\n1,1\n2,2\n")
        try p.write("data/prepared/test.csv", "id,t\n2,2\n3,3\n")
        try p.expectOK(["add", "data/prepared/test.csv"])
        let notAdded = try p.run("commit", "-m", "only test")
        #expect(notAdded.code == 2 && notAdded.err.contains("data/prepared/train.csv") && notAdded.err.contains("not tracked"), "\(notAdded.err)")

        // Once both exist, the hook runs, and its finding names the option that governs it.
        try p.expectOK(["add", "data/prepared/train.csv"])
        let leak = try p.run("commit", "-m", "splits")
        #expect(leak.code == 1, "\(leak.out)\(leak.err)")
        #expect(leak.out.contains("max-overlap 0; max-temporal sets this check alone"), "\(leak.out)")
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - leakage: { splits: { train: data/prepared/train.csv, test: data/prepared/test.csv }, time: t, max-temporal: 0, max-overlap: 5 }\n")
        try p.expectOK(["add", "lineage.yaml"])
        let temporal = try p.run("commit", "-m", "splits")
        #expect(temporal.out.contains("(max-temporal 0)"), "\(temporal.out)")

        // A near-miss of a tracked path is still an error with a suggestion.
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - leakage: { splits: { train: data/prepared/trian.csv, test: data/prepared/test.csv } }\n")
        try p.expectOK(["add", "lineage.yaml"])
        let typo = try p.run("commit", "-m", "typo")
        #expect(typo.code == 2 && typo.err.contains("did you mean 'data/prepared/train.csv'"), "\(typo.err)")
    }

    @Test func runChecksTheInputsItNewlyRecords() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - leakage: { splits: { train: data/train.csv, test: data/test.csv } }\n")
        try p.write("data/train.csv", "id,x\n1,a\n2,b\n3,c\n")
        try p.write("data/test.csv", "id,x\n4,d\n5,e\n")
        try p.expectOK(["add", "lineage.yaml", "data"])
        try p.expectOK(["commit", "-m", "clean splits"])
        // Test rows appended to the training split, then a run that reads it: the leak is caught
        // by the run's own commit, not afterwards.
        try p.write("data/train.csv", "id,x\n1,a\n2,b\n3,c\n4,d\n5,e\n")
        let head = try p.git("rev-parse", "HEAD").out
        let run = try p.run(["run", "--name", "train", "-i", "data/train.csv", "-o", "model.txt", "--", "/bin/sh", "-c", "wc -l data/train.csv > model.txt"])
        #expect(run.code == 1, "\(run.code): \(run.out)\(run.err)")
        #expect(run.out.contains("row-overlap") || run.out.contains("also occur"), "\(run.out)")
        #expect(try p.git("rev-parse", "HEAD").out == head)
    }

    /// A run blocked by the hooks leaves its outputs in the working tree; when a later commit records
    /// them (here another run with --no-verify), their provenance names the blocked run and why,
    /// instead of ending at "added by hand". The later run also says its input was never committed.
    @Test func aBlockedRunStaysTheProducerOfItsOutputs() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - quality: { path: \"data/prepared/*.csv\", max-missing: 0 }\n")
        try p.write("data/raw.csv", "id,x\n1,a\n2,b\n")
        try p.expectOK(["add", "lineage.yaml", "data/raw.csv"])
        try p.expectOK(["commit", "-m", "raw data"])
        let prepare = try p.run(["run", "--name", "prepare", "-i", "data/raw.csv", "-o", "data/prepared/train.csv", "--",
                                 "/bin/sh", "-c", "mkdir -p data/prepared && printf 'id,x\\n1,\\n2,b\\n' > data/prepared/train.csv"])
        #expect(prepare.code != 0, "\(prepare.out)\(prepare.err)")
        #expect(prepare.out.contains("quality"), "\(prepare.out)")

        let train = try p.run(["run", "--name", "train", "--no-verify", "-i", "data/prepared/train.csv", "-o", "model.txt", "--",
                               "/bin/sh", "-c", "wc -l data/prepared/train.csv > model.txt"])
        #expect(train.code == 0, "\(train.out)\(train.err)")
        #expect(train.err.contains("input data/prepared/train.csv was not committed before"), "\(train.err)")

        let shown = try p.expectOK(["show", "--provenance", "HEAD:data/prepared/train.csv"]).out
        #expect(shown.contains("run prepare") && shown.contains("blocked") && shown.contains("quality"), "\(shown)")
        #expect(!shown.contains("added by hand"), "\(shown)")
        let doc = try JSONSerialization.jsonObject(with: try p.expectOK(["show", "--provenance", "HEAD:data/prepared/train.csv", "--json"]).outData) as! [String: Any]
        let producer = doc["producedBy"] as? [String: Any]
        #expect(producer?["name"] as? String == "prepare")
        #expect(((producer?["blocked"] as? [String: Any])?["hooks"] as? [String])?.first?.hasPrefix("quality") == true)
        // The note was carried into history, so it is gone locally.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: p.dir + "/.lineage/blocked-runs"))?.isEmpty ?? true)
    }
}
