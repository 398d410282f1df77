import ArgumentParser
import Foundation
import Lineage
import LineageCommands
import LineageRemote
import LineageSigning
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
        "LineageValidators/TableReader.swift": "an encoding error becomes a validator finding (`encoding-error`), whose text the validator writes; the hint to run `schema infer` travels in it",
        "LineageValidators/TableSource.swift": "the same encoding hint, for a declared legacy encoding",
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

    /// The hint the low layer no longer gives comes back from the verbs' layer.
    @Test func theVerbsLayerNamesTheCommandThatHelps() {
        #expect(hint(for: SigningError.keyFileMissing(path: "/k"))?.contains("lineage key generate") == true)
        #expect(hint(for: SigningError.unsupportedEncryption("3des-cbc", path: "/k"))?.contains("lineage config signing.program ssh-keygen") == true)
        #expect(hint(for: RemoteError.noSuchStore(location: "s3://b/p"))?.contains("lineage remote set-content") == true)
        #expect(hint(for: SigningError.wrongPassphrase(path: nil)) == nil)
    }

    /// `@unchecked Sendable` only where the comment above the type says why sharing it is safe
    /// (issue 16): a lock, a queue, immutability, or one thread at a time by construction.
    @Test func everyUncheckedSendableSaysWhyItIsSafe() throws {
        var unexplained: [String] = []
        let files = FileManager.default.enumerator(atPath: Self.sources.path)!
        while let rel = files.nextObject() as? String {
            guard rel.hasSuffix(".swift") else { continue }
            let lines = try String(contentsOf: Self.sources.appendingPathComponent(rel), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (i, line) in lines.enumerated() where line.contains("@unchecked Sendable") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                var comment = ""
                var j = i - 1
                while j >= 0, lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("//") || lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("@") {
                    comment += " " + lines[j].lowercased(); j -= 1
                }
                if comment.range(of: "thread|lock|sendable|concurren|immutable|serialis", options: .regularExpression) == nil {
                    unexplained.append("\(rel):\(i + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(unexplained.isEmpty, "say above each type why it is safe to share (a lock, a queue, immutable state), or drop the conformance:\n\(unexplained.joined(separator: "\n"))")
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
