import ArgumentParser
import Foundation
import Lineage
import LineageGraph

struct DatasheetCommand: RepositoryCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasheet",
        abstract: "Write a datasheet for a dataset from its recorded facts: Markdown (Datasheets for Datasets) or Croissant JSON-LD with RAI fields.",
        discussion: "Sections without recorded facts are marked as such. Writes to stdout, or to -o FILE. With --json, prints the facts the datasheet is made of (and writes -o FILE, if given).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var json: JSONOption
    @Argument(help: "A tracked file.") var path: String
    @Option(help: "md or croissant.") var format: String = "md"
    @Option(name: .shortAndLong, help: "Write to this file instead of stdout.") var output: String?

    func run(in repository: Repository) throws {
        guard ["md", "croissant"].contains(format) else { throw ValidationError("--format is md or croissant, not '\(format)'") }
        let facts = try repository.datasheetFacts(path, cwd: global.cwd)
        let target = output.map { $0.hasPrefix("/") ? $0 : global.cwd + "/" + $0 }
        // contentUrl resolves from where the JSON-LD lands (stdout: from the current directory).
        let documentDirectory = target.map { ($0 as NSString).deletingLastPathComponent } ?? global.cwd
        let contentURL = Self.relativePath(from: documentDirectory, to: repository.root + "/" + facts.path)
        let text = format == "md" ? Datasheet.markdown(facts) : try Datasheet.croissant(facts, contentURL: contentURL)
        if let output, let target {
            try repository.writeOutsideStore(Array(text.utf8), to: target)
            if !global.quiet && !json.json { FileHandle.standardError.write(Data("Wrote \(output)\n".utf8)) }
        }
        if json.json {
            struct DatasheetJSON: Encodable { var facts: DatasheetFacts; var file: String?; var format: String? }
            try Output.json(DatasheetJSON(facts: facts, file: output, format: output.map { _ in format }), schema: "datasheet.schema.json")
        } else if output == nil {
            Output.write(text)
        }
    }

    /// `target` as a relative path from the directory `from` (both absolute; `.` and `..` resolved).
    static func relativePath(from: String, to target: String) -> String {
        func parts(_ p: String) -> [String] {
            var out: [String] = []
            for c in p.split(separator: "/") where c != "." && !c.isEmpty {
                if c == ".." { if !out.isEmpty { out.removeLast() } } else { out.append(String(c)) }
            }
            return out
        }
        let a = parts(from), b = parts(target)
        var common = 0
        while common < a.count, common < b.count - 1, a[common].utf8.elementsEqual(b[common].utf8) { common += 1 }
        return (Array(repeating: "..", count: a.count - common) + b[common...]).joined(separator: "/")
    }
}
