import ArgumentParser
import Lineage

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a lineage repository (.lineage/) in the current directory.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let repository = try Repository.initialize(at: global.cwd)
        if !global.quiet { Output.line("Initialized empty lineage repository in \(repository.layout.dotLineage)") }
    }
}
