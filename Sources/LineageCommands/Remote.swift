import ArgumentParser
import Lineage

struct Remote: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage remotes: where history (git) and content (bytes) are shared.",
        discussion: "History goes to any git URL (a path or file://, ssh://user@host[:port]/path, user@host:path, https://) as refs/lineage/heads/<branch>; bytes go to the content location (s3://bucket/prefix or a directory; for a path remote without one, <repo>/lineage-content/).",
        subcommands: [Add.self, List.self, Remove.self, SetContent.self])

    struct Add: RepositoryCommand {
        static let configuration = CommandConfiguration(abstract: "Add a remote.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The remote's name, e.g. origin.") var name: String
        @Argument(help: "Where the history goes: a git URL.") var url: String
        @Option(help: ArgumentHelp("Where the bytes go: s3://bucket/prefix or a directory.", valueName: "content-url")) var content: String?
        @Option(help: ArgumentHelp("The S3 endpoint for an s3:// content location (MinIO, Ceph, R2...); default: AWS_ENDPOINT_URL[_S3], the profile, else AWS.", valueName: "url"))
        var endpoint: String?

        func run(in repository: Repository) throws {
            let r = try repository.remoteAdd(name: name, url: url, content: content, endpoint: endpoint, cwd: global.cwd)
            if !global.quiet { Output.line("Added remote \(r.name): \(r.url)" + (r.effectiveContent.map { " (content: \($0))" } ?? "")) }
        }
    }

    struct List: RepositoryCommand {
        static let configuration = CommandConfiguration(abstract: "List remotes with their history and content locations.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption

        func run(in repository: Repository) throws {
            let all = try repository.remotes()
            if output.json { return try Output.json(all, as: "remotes", schema: "remote-list.schema.json") }
            for r in all {
                Output.line("\(r.name)\t\(r.url)\t\(r.effectiveContent ?? "(no content location)")")
            }
        }
    }

    struct Remove: RepositoryCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a remote and its tracking refs (nothing on the remote changes).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The remote's name.") var name: String

        func run(in repository: Repository) throws {
            try repository.remoteRemove(name: name)
            if !global.quiet { Output.line("Removed remote \(name)") }
        }
    }

    struct SetContent: RepositoryCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-content",
            abstract: "Set where a remote's bytes go; recorded in a signed commit so clones find them.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The remote's name.") var name: String
        @Argument(help: ArgumentHelp("s3://bucket/prefix or a directory.", valueName: "content-url")) var content: String
        @Option(help: ArgumentHelp("The S3 endpoint for an s3:// location (kept locally, never in the history).", valueName: "url")) var endpoint: String?

        func run(in repository: Repository) throws {
            let (r, commit) = try repository.remoteSetContent(name: name, content: content, endpoint: endpoint, cwd: global.cwd)
            guard !global.quiet else { return }
            Output.line("Content of \(r.name) goes to \(r.effectiveContent ?? content)" + (commit.map { " [recorded in \($0.prefix(12))]" } ?? " (recorded in the next commit's history once there is one)"))
        }
    }
}
