import ArgumentParser
import Foundation
import Lineage
import LineageCommands
import Testing

/// Every public error type of every layer says which kind of failure it is, so the CLI can map it
/// to a documented exit code; an error nobody classified exits 70 ("please report"), never 64.
@Suite struct FailureCategoryTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// (type name, file) of every `public enum|struct|class X: ... Error ...` declared in Sources/.
    static func publicErrorTypes() throws -> [(name: String, file: String)] {
        var out: [(String, String)] = []
        let pattern = try NSRegularExpression(pattern: #"^public (?:final )?(?:enum|struct|class) (\w+)\s*:\s*([^{]*)\{"#, options: [.anchorsMatchLines])
        let files = FileManager.default.enumerator(atPath: sources.path)!
        while let rel = files.nextObject() as? String {
            guard rel.hasSuffix(".swift") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(rel), encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let conformances = String(text[Range(m.range(at: 2), in: text)!]).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                guard conformances.contains("Error") else { continue }
                out.append((String(text[Range(m.range(at: 1), in: text)!]), rel))
            }
        }
        return out
    }

    /// All Swift source text, to find each type's `CategorizedError` conformance.
    static func allSources() throws -> String {
        var text = ""
        let files = FileManager.default.enumerator(atPath: sources.path)!
        while let rel = files.nextObject() as? String {
            if rel.hasSuffix(".swift") { text += try String(contentsOf: sources.appendingPathComponent(rel), encoding: .utf8) + "\n" }
        }
        return text
    }

    /// Files of the layers below the verbs whose user-facing text may still name a verb, and why.
    static let verbsAllowed: [String: String] = [
        "LineageCore/RightsAudit.swift": "audit findings: each says which command clears it, as `audit` prints it",
        "LineageCore/Rights.swift": "warnings of `rights set`/`add --meta` about the record being written",
        "LineageGraph/Export/Datasheet.swift": "a datasheet's 'how to fill this section' hints are part of the document",
        "LineageValidators/TableReader.swift": "being reworked on the one-reader branch (issue 16)",
        "LineageValidators/TableSource.swift": "being reworked on the one-reader branch (issue 16)",
    ]

    /// Low layers say what went wrong; the verbs' layer (Lineage's `hint(for:)`, the CLI) says
    /// which `lineage` command helps (issue 16), so a message never names a verb that does not fit
    /// where the error surfaced.
    @Test func lowLayersNameNoVerbs() throws {
        let low = ["LineageCore", "LineageStore", "LineageGit", "LineageSigning", "LineageRemote", "LineageValidators", "LineageGraph"]
        var found: [String] = []
        for module in low {
            let dir = Self.sources.appendingPathComponent(module)
            let files = FileManager.default.enumerator(atPath: dir.path)!
            while let rel = files.nextObject() as? String {
                guard rel.hasSuffix(".swift"), Self.verbsAllowed[module + "/" + rel] == nil else { continue }
                let text = try String(contentsOf: dir.appendingPathComponent(rel), encoding: .utf8)
                for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    if code.hasPrefix("//") { continue }
                    if code.contains("`lineage ") { found.append("\(module)/\(rel):\(i + 1): \(code.prefix(120))") }
                }
            }
        }
        #expect(found.isEmpty, "a low layer names a lineage verb; say what went wrong there and add the hint in Sources/Lineage/Hints.swift:\n\(found.joined(separator: "\n"))")
        for file in Self.verbsAllowed.keys {
            #expect(FileManager.default.fileExists(atPath: Self.sources.appendingPathComponent(file).path), "verbsAllowed names \(file), which does not exist")
        }
    }

    @Test func everyPublicErrorTypeIsClassified() throws {
        let types = try Self.publicErrorTypes()
        #expect(types.count >= 20, "found only \(types.map(\.name))")
        let text = try Self.allSources()
        for t in types {
            let conforms = text.contains("extension \(t.name): CategorizedError") || text.range(of: #"(enum|struct|class) \#(t.name)\s*:[^{]*CategorizedError"#, options: .regularExpression) != nil
            #expect(conforms, "\(t.name) (Sources/\(t.file)) has no FailureCategory: add `extension \(t.name): CategorizedError` saying what kind of failure each case is")
        }
    }

    @Test func anUnclassifiedErrorIsABugNotAUsageError() throws {
        struct Surprise: Error {}
        // The one place every command's error goes through: categories map to their codes, the
        // parser's own errors keep theirs, and anything else unclassified is 70.
        #expect(LineageMain.report(Surprise()) == 70)
        #expect(LineageMain.report(LineageError.localChanges(["a"])) == 3)
        #expect(LineageMain.report(LineageError.damagedRepository("x")) == 4)
        #expect(LineageMain.report(ValidationError("bad flag")) == 64)
        #expect(LineageMain.run(arguments: ["--version"]) == 0)
        #expect(LineageMain.run(arguments: ["log", "--no-such-flag"]) == 64)
    }
}
