import Foundation
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
        // The argument parser's own errors keep their codes; anything else unclassified is 70.
        #expect(LineageMain.run(arguments: ["--version"]) == 0)
        #expect(LineageMain.run(arguments: ["log", "--no-such-flag"]) == 64)
        #expect(LineageMain.exitCode(unclassified: Surprise()) == 70)
    }
}
