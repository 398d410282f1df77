import ArgumentParser
import Lineage

struct Log: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Show commits, newest first; after `--`, only those touching the paths.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Option(name: [.customShort("n"), .long], help: "Show at most this many commits.") var maxCount: Int?
    @Flag(name: .long, help: "One line per commit.") var oneline = false
    @Option(help: ArgumentHelp("Only commits recording a run made at this commit of the code's git repository.", valueName: "git-rev")) var code: String?
    @Argument(help: "A revision to start from (default HEAD).") var revision: String?
    @Argument(parsing: .postTerminator, help: "Paths to follow.") var paths: [String] = []

    func validate() throws {
        if let maxCount, maxCount < 0 { throw ValidationError("-n takes a count of commits, 0 or more (got \(maxCount))") }
    }

    func run(in repository: Repository) throws {
        let entries = try repository.log(revision: revision, paths: paths, cwd: global.cwd, limit: maxCount, code: code)
        if output.json { return try Output.json(entries, as: "commits", schema: "log.schema.json") }
        for (i, e) in entries.enumerated() {
            if oneline {
                Output.line("\(Output.color(String(e.commit.prefix(12)), "33")) [\(Log.verdictWord(e.verdict))] \(e.message.split(separator: "\n").first ?? "")")
                continue
            }
            if i > 0 { Output.line() }
            Output.line(Output.color("commit \(e.commit)", "33"))
            Output.line(Log.verdictLine(e.verdict))
            Output.line("Author: \(e.author.name) <\(e.author.email)>")
            Output.line("Date:   \(e.author.localDate)")
            Output.line()
            for line in e.message.split(separator: "\n", omittingEmptySubsequences: false).dropLast(e.message.hasSuffix("\n") ? 1 : 0) {
                Output.line("    \(line)")
            }
        }
    }

    /// The verdict, green when good and red otherwise.
    static func verdictWord(_ v: CommitVerdict?) -> String {
        guard let v else { return "?" }
        return v.status == .good ? Output.color("good", "32") : Output.color(v.status.rawValue, "31")
    }

    /// `Signature: good by alice@example.org (SHA256:...)`, or the verdict and why it is not good.
    static func verdictLine(_ v: CommitVerdict?) -> String {
        guard let v else { return "Signature: ?" }
        var line = "Signature: \(verdictWord(v))" + (v.principals.map { " by \($0.joined(separator: ", "))" } ?? "") + (v.key.map { " (\($0))" } ?? "")
        if v.status != .good, let d = v.detail { line += " — \(d)" }
        return line
    }
}
