import ArgumentParser
import Foundation
import Lineage

struct Stage: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the stages of lineage.yaml's pipeline.",
        subcommands: [List.self])

    struct List: RepositoryCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every stage, fresh or stale, and why (which dependency, parameter, command or output changed).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption

        
        func run(in repository: Repository) throws {
            let stages = try repository.stageList()
            if output.json { return try Output.json(stages, as: "stages", schema: "stage-list.schema.json") }
            for s in stages {
                let last = s.lastRun.map { " (last run \($0) at \(s.lastRunAt ?? "?"))" } ?? ""
                switch s.state {
                case .fresh where s.staleUpstream.isEmpty:
                    Output.line("\(Output.color("fresh", "32"))  \(s.name)\(last)")
                case .fresh:
                    Output.line("\(Output.color("fresh", "32"))  \(s.name)\(last) — runs again after \(s.staleUpstream.joined(separator: ", ")) only if their outputs change")
                case .stale:
                    Output.line("\(Output.color("stale", "31"))  \(s.name)\(last)")
                    for r in s.reasons { Output.line("         \(r.message)") }
                }
            }
        }
    }
}
