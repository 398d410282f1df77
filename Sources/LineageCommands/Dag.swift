import ArgumentParser
import Foundation
import Lineage

struct Dag: RepositoryCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case tree, dot, mermaid, json }

    static let configuration = CommandConfiguration(
        abstract: "Show the pipeline's stages and which feeds which (a stage follows another when it reads its outputs).")
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("tree (default), dot, mermaid or json (Schemas/dag.schema.json).", valueName: "format")) var format: Format = .tree
    @Flag(help: "The same as --format json.") var json = false

    struct StageJSON: Encodable {
        var name: String; var cmd: String; var deps: [String]; var outs: [String]; var metrics: [String]
        var params: [ParamJSON]; var upstream: [String]
    }
    struct ParamJSON: Encodable { var file: String; var key: String }
    struct EdgeJSON: Encodable { var from: String; var to: String; var paths: [String] }
    struct DagJSON: Encodable { var stages: [StageJSON]; var edges: [EdgeJSON] }

    func run(in repository: Repository) throws {
        let config = try repository.projectConfig()
        guard !config.pipeline.isEmpty || json || format == .json else { return Output.line("lineage.yaml declares no stages.") }
        let graph = StageGraph(config.pipeline)
        let order = graph.order()
        var edges: [EdgeJSON] = []
        for i in order {
            for u in graph.upstream[i] {
                edges.append(EdgeJSON(from: graph.stages[u].name, to: graph.stages[i].name, paths: graph.linkingPaths(from: graph.stages[u].name, to: graph.stages[i].name)))
            }
        }
        switch json ? .json : format {
        case .json:
            try Output.json(DagJSON(stages: order.map { i in
                let s = graph.stages[i]
                return StageJSON(name: s.name, cmd: s.cmd, deps: s.deps.map(\.path), outs: s.outs.map(\.path), metrics: s.metrics.map(\.path),
                                 params: s.params.map { ParamJSON(file: $0.file, key: $0.key) }, upstream: graph.upstream[i].map { graph.stages[$0].name })
            }, edges: edges), schema: "dag.schema.json")
        case .dot:
            Output.line("digraph pipeline {")
            Output.line("  node [shape=box];")
            for i in order { Output.line("  \(Dag.quoted(graph.stages[i].name));") }
            for e in edges { Output.line("  \(Dag.quoted(e.from)) -> \(Dag.quoted(e.to)) [label=\(Dag.quoted(e.paths.joined(separator: "\\n")))];") }
            Output.line("}")
        case .mermaid:
            Output.line("flowchart TD")
            let id = Dictionary(order.enumerated().map { (graph.stages[$0.element].name, "s\($0.offset)") }, uniquingKeysWith: { a, _ in a })
            for i in order { Output.line("  \(id[graph.stages[i].name]!)[\"\(Dag.mermaidText(graph.stages[i].name))\"]") }
            for e in edges { Output.line("  \(id[e.from]!) --> \(id[e.to]!)") }
        case .tree:
            var shown = Set<Int>()
            func draw(_ i: Int, prefix: String, last: Bool, root: Bool) {
                let branch = root ? "" : (last ? "└── " : "├── ")
                let repeated = shown.contains(i)
                Output.line(prefix + branch + graph.stages[i].name + (repeated ? " (see above)" : ""))
                if repeated { return }
                shown.insert(i)
                let children = graph.downstream(i)
                let childPrefix = root ? "" : prefix + (last ? "    " : "│   ")
                for (n, c) in children.enumerated() { draw(c, prefix: childPrefix, last: n == children.count - 1, root: false) }
            }
            for i in order where graph.upstream[i].isEmpty { draw(i, prefix: "", last: true, root: true) }
        }
    }

    static func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
    static func mermaidText(_ s: String) -> String { s.replacingOccurrences(of: "\"", with: "#quot;") }
}
