import ArgumentParser
import Foundation
import Lineage

struct Cat: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Write a tracked file's bytes at a revision to stdout, verifying them.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "<rev>:<path>, e.g. HEAD~1:data/train.csv") var spec: String

    func run(in repository: Repository) throws {
        try repository.cat(spec, to: STDOUT_FILENO)
    }
}
