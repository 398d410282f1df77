import ArgumentParser
import Foundation
import Lineage
import LineageGraph

extension GraphFormat: ExpressibleByArgument {}

/// Output options shared by `trace` and `impact`.
struct GraphOutputOptions: ParsableArguments {
    @Option(help: "Follow at most this many runs back (trace) or forward (impact).") var depth: Int?
    @Flag(help: "Print the graph as JSON (Schemas/lineage-graph.schema.json).") var json = false
    @Option(help: ArgumentHelp("tree (default), dot, mermaid, prov-json or openlineage.", valueName: "format")) var format: GraphFormat = .tree
    @Option(help: ArgumentHelp("List only the artifact versions of this kind: dataset, model, code, environment, report, other.", valueName: "kind")) var kind: String?

    func print(_ graph: LineageSubgraph) throws {
        if let kind {
            // "Which model versions used raw v1?": the artifact versions of one kind, one per line.
            let found = graph.nodes.filter { $0.kind == .artifact && $0.attributes["artifactKind"] == kind && !graph.roots.contains($0.id) }
                .sorted { ($0.attributes["path"] ?? "", $0.attributes["sha256"] ?? "") < ($1.attributes["path"] ?? "", $1.attributes["sha256"] ?? "") }
            struct Listed: Encodable { var path: String; var sha256: String; var size: Int?; var commit: String? }
            let listed = found.map { Listed(path: $0.attributes["path"] ?? "", sha256: "sha256:" + ($0.attributes["sha256"] ?? ""),
                                            size: $0.attributes["size"].flatMap { Int($0) }, commit: $0.attributes["commit"]) }
            if json {
                struct KindJSON: Encodable { var kind: String; var artifacts: [Listed] }
                return try Output.json(KindJSON(kind: kind, artifacts: listed), schema: "artifact-list.schema.json")
            }
            for a in listed { Output.line("\(a.path)  \(a.sha256.prefix(19))" + (a.commit.map { "  first committed in \($0.prefix(12))" } ?? "")) }
            return
        }
        if json { return Output.write(try GraphRenderer.json(graph)) }
        let color = format == .tree && Output.isTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        var text = try GraphRenderer.render(graph, format: format, color: color)
        if !text.hasSuffix("\n") { text += "\n" }
        Output.write(text)
    }

    func validate() throws {
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1") }
        let kinds = ["dataset", "model", "code", "environment", "report", "other"]
        if let kind, !kinds.contains(kind) { throw ValidationError("--kind must be one of \(kinds.joined(separator: ", ")), not '\(kind)'") }
    }
}

struct Trace: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show everything an artifact version came from: inputs, runs, code, environments, signers.",
        discussion: "<target> is a path (its version at HEAD; a directory means every file below it), <rev>:<path>, or sha256:<prefix>.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: GraphOutputOptions
    @Argument(help: "path | rev:path | sha256:PREFIX") var target: String

    func run(in repository: Repository) throws {
        try output.print(try repository.withChecksAndRights(try repository.trace(target, depth: output.depth, cwd: global.cwd)))
    }
}

struct Impact: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show everything derived from an artifact version: datasets and models built on it.",
        discussion: "<target> is a path (its version at HEAD), <rev>:<path>, or sha256:<prefix>.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: GraphOutputOptions
    @Flag(help: "Start from every version of the path, not only one.") var allVersions = false
    @Argument(help: "path | rev:path | sha256:PREFIX") var target: String

    func run(in repository: Repository) throws {
        try output.print(try repository.withChecksAndRights(try repository.impact(target, allVersions: allVersions, depth: output.depth, cwd: global.cwd)))
    }
}

struct Reindex: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Rebuild the lineage graph in .lineage/index.sqlite from history.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption

    func run(in repository: Repository) throws {
        let r = try repository.reindex()
        if output.json { return try Output.json(r, schema: "reindex.schema.json") }
        if !global.quiet {
            let rate = r.seconds > 0 ? Int(Double(r.commits) / r.seconds) : 0
            Output.line("Indexed \(r.commits) commit(s): \(r.artifacts) artifact version(s), \(r.runs) run(s) in \(String(format: "%.2f", r.seconds)) s (\(rate) commits/s).")
        }
    }
}

struct Report: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a self-contained HTML report of an artifact's lineage (graph, cards, model card).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var json: JSONOption
    @Argument(help: "path | rev:path") var target: String
    @Option(name: .shortAndLong, help: "The HTML file to write.") var output: String

    func run(in repository: Repository) throws {
        let graph = try repository.withChecksAndRights(try repository.trace(target, cwd: global.cwd))
        let stamp = ISO8601DateFormatter().string(from: Date())
        let html = HTMLReport.render(graph, title: "Lineage of \(target)", generatedAt: stamp, subject: target)
        let path = output.hasPrefix("/") ? output : global.cwd + "/" + output
        try repository.writeOutsideStore(Array(html.utf8), to: path)
        if json.json {
            struct ReportJSON: Encodable { var file: String; var subject: String; var generatedAt: String; var nodes: Int; var edges: Int }
            return try Output.json(ReportJSON(file: output, subject: target, generatedAt: stamp, nodes: graph.nodes.count, edges: graph.edges.count),
                                   schema: "report.schema.json")
        }
        if !global.quiet {
            Output.line("Wrote \(output): \(graph.nodes.count) node(s), \(graph.edges.count) edge(s)")
        }
    }
}
