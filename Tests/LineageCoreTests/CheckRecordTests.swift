import Foundation
import Testing
@testable import LineageCore

@Suite struct PathGlobTests {
    @Test func globsAsLineageYAMLWritesThem() {
        let cases: [(String, String, Bool)] = [
            ("data/*.csv", "data/train.csv", true),
            ("data/*.csv", "data/sub/train.csv", false),
            ("data/**", "data/sub/deep/x.bin", true),
            ("data/**/*.csv", "data/a.csv", true),
            ("data/**/*.csv", "data/x/y/a.csv", true),
            ("data/**/*.csv", "data/x/y/a.tsv", false),
            ("data", "data/x/y/a.tsv", true),            // a directory matches what is below it
            ("data/", "data/a.csv", true),
            ("data", "database.csv", false),
            ("data/train.csv", "data/train.csv", true),
            ("data/train.csv", "data/train.csv.bak", false),
            ("images/*", "images/train/cat.png", true),   // a matched directory covers its files
            ("data/t?st.csv", "data/test.csv", true),
            ("data/[tv]*.csv", "data/valid.csv", true),
            ("data/[!tv]*.csv", "data/valid.csv", false),
            ("./data/*.csv", "data/a.csv", true),
        ]
        for (pattern, path, expected) in cases {
            #expect(PathGlob(pattern).matches(path) == expected, "\(pattern) ~ \(path)")
        }
        #expect(PathGlob("data/train.csv").isLiteral)
        #expect(!PathGlob("data/*.csv").isLiteral)
    }
}

@Suite struct CheckRecordTests {
    func record(outcome: CheckRecord.Outcome = .passed, artifacts: [CheckRecord.Artifact]) -> CheckRecord {
        CheckRecord(validator: "schema", validatorVersion: "1", configDigest: Digest.of(Array("cfg".utf8)), artifacts: artifacts,
                    outcome: outcome, counts: ["rows": 2], checkedAt: "2026-01-01T00:00:00.000Z")
    }

    @Test func idNamesWhatWasCheckedNotWhenOrHowItWent() throws {
        let a = CheckRecord.Artifact(path: "data/a.csv", sha256: Digest.of(Array("a".utf8)))
        let b = CheckRecord.Artifact(path: "data/b.csv", sha256: Digest.of(Array("b".utf8)), role: "test")
        let one = record(artifacts: [a, b])
        var later = record(outcome: .warned, artifacts: [b, a])
        later.checkedAt = "2026-02-01T00:00:00.000Z"
        #expect(one.id == later.id)                       // order, time and outcome do not change the identity
        #expect(one.id != record(artifacts: [a]).id)       // the artifacts do
        var other = one
        other.configDigest = Digest.of(Array("cfg2".utf8))
        #expect(one.id != other.id)                       // and the configuration
        #expect(CheckRecord.recordPath(one.id) == "checks/\(one.id.hex.prefix(2))/\(one.id.hex).json")
        // Canonical JSON round trip; other record types are refused.
        #expect(try CheckRecord.decode(try one.encoded()) == one)
        #expect(throws: (any Error).self) { try CheckRecord.decode(Array(#"{"type":"lineage.run","version":1}"#.utf8)) }
    }
}
