import ArgumentParser
import Lineage

struct GC: RepositoryCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Delete stored content that no commit or staged file refers to, and repack.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption

    func run(in repository: Repository) throws {
        let r = try repository.gc()
        if output.json { return try Output.json(r, schema: "gc.schema.json") }
        if global.quiet { return }
        Output.line("Kept \(r.objectsAfter) of \(r.objectsBefore) objects; store \(formatBytes(r.bytesBefore)) → \(formatBytes(r.bytesAfter)).")
    }
}
