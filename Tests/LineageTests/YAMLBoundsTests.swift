import Foundation
import Lineage
import Testing

/// lineage.yaml and rights meta files are bounded: alias expansion, nesting depth and size.
/// The bombs here expand to about a million values: large enough that the old code built them
/// (and so passed them on), small enough to stay a few hundred MB if it ever does again.
@Suite struct YAMLBoundsTests {
    /// Six levels of ten aliases each: 10^6 values once expanded, from a dozen lines.
    static func bomb(levels: Int = 6, under key: String) -> String {
        var lines = ["\(key):", "  - &l0 [x, x, x, x, x, x, x, x, x, x]"]
        for l in 1..<levels {
            let refs = Array(repeating: "*l\(l - 1)", count: 10).joined(separator: ", ")
            lines.append("  - &l\(l) [\(refs)]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func projectConfigRefusesAnAliasBomb() {
        let text = Self.bomb(under: "hooks")
        #expect {
            _ = try ProjectConfig.parse(Array(text.utf8))
        } throws: { error in
            guard let e = error as? ConfigError else { return false }
            return e.file == "lineage.yaml" && e.message.contains("aliases") && e.message.contains("\(YAMLLimits.maxNodes)")
        }
    }

    @Test func projectConfigRefusesDeepNestingAndLargeFiles() throws {
        let deep = "hooks: " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "\n"
        #expect {
            _ = try ProjectConfig.parse(Array(deep.utf8))
        } throws: { ($0 as? ConfigError)?.message.contains("levels deep") == true }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("yaml-bounds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let big = "hooks:\n  pre-commit: []\n#" + String(repeating: "x", count: YAMLLimits.maxBytes) + "\n"
        try Data(big.utf8).write(to: URL(fileURLWithPath: dir + "/lineage.yaml"))
        #expect {
            _ = try ProjectConfig.load(root: dir)
        } throws: { ($0 as? ConfigError)?.message.contains("larger than") == true }

        // Ordinary anchors and aliases within the limits still work.
        let ok = "hooks:\n  pre-commit:\n    - pii: &p { path: data/a.csv }\n    - quality: *p\n"
        #expect(try ProjectConfig.parse(Array(ok.utf8)).preCommit.count == 2)
    }

    @Test func rightsMetaRefusesAnAliasBomb() {
        let text = Self.bomb(under: "pii")
        #expect {
            _ = try RightsMeta.parse(text, file: "bomb.meta.yaml")
        } throws: { error in
            guard let e = error as? RightsMetaError else { return false }
            return e.file == "bomb.meta.yaml" && e.message.contains("aliases")
        }
    }

    /// An alias used as a mapping key made Yams hash the whole expansion for its duplicate-key check:
    /// it ran for ever (flat memory) before any limit was counted.
    @Test func anAliasAsAMappingKeyIsRefusedAtOnce() {
        for key in ["? *l5\n  : x", "*l5 : x"] {
            let text = Self.bomb(under: "bombs") + "hooks:\n  " + key + "\n"
            #expect {
                _ = try ProjectConfig.parse(Array(text.utf8))
            } throws: { error in
                guard let e = error as? ConfigError else { return false }
                return e.message.contains("mapping key")
            }
        }
        let flow = Self.bomb(under: "pii") + "x: { *l5 : y }\n"
        #expect {
            _ = try RightsMeta.parse(flow, file: "k.meta.yaml")
        } throws: { ($0 as? RightsMetaError)?.message.contains("mapping key") == true }
        // A `*` that is not an alias, and aliases as values (merge keys), still work.
        let ok = "hooks:\n  pre-commit:\n    - command: { run: \"ls *.csv\" }\n    - pii: { path: \"data/ *.csv\" }\n"
        do { _ = try ProjectConfig.parse(Array(ok.utf8)) } catch { Issue.record("refused a valid file: \(error)") }
    }
}
