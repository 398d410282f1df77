import ArgumentParser
import Lineage

struct Verify: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the whole repository: every pack, object, commit, tree, pointer and file digest.",
        discussion: "Exits 1 when any problem is found; each is named with its path and object id.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption

    func run(in repository: Repository) throws {
        let result = try repository.verify(progress: TerminalProgress.make(quiet: global.quiet))
        if output.json { try Output.json(result, schema: "verify.schema.json") } else {
            if !global.quiet {
                // Every verdict for a short history; for a long one the problems and a count.
                let good = result.history.filter { $0.status == .good }.count
                let shown = result.history.count <= 20 ? result.history : result.history.filter { $0.status != .good }
                if shown.count < result.history.count {
                    Output.line("\(good) of \(result.history.count) commit(s): good signature by a trusted key, record intact (--json lists each)")
                }
                for v in shown {
                    let who = v.principals.map { " by " + $0.joined(separator: ",") } ?? ""
                    let mark = v.status == .good ? Output.color("good", "32") : Output.color(v.status.rawValue, "31")
                    Output.line("\(v.commit.prefix(12)) \(mark)\(who)" + (v.status == .good ? "" : " — \(v.detail ?? "")"))
                }
            }
            for p in result.problems where p.kind != "unreadable" && CommitVerdict.Status(rawValue: p.kind) == nil {
                var where_: [String] = []
                if let path = p.path { where_.append(path) }
                if let commit = p.commit { where_.append("commit \(commit == "staged" ? "staged" : String(commit.prefix(12)))") }
                if let object = p.object { where_.append("object \(object)") }
                if let file = p.file { where_.append(file) }
                Output.line(Output.color("\(p.kind)", "31") + ": " + where_.joined(separator: ", ") + " — \(p.detail)")
            }
            for e in result.erasures {
                Output.line("erased: \(e.path) (\(e.sha256.hex.prefix(12)), \(formatBytes(e.size))) on \(e.erasedAt) by \(e.erasedBy): \(e.reason)")
            }
            let summary = "\(result.commits) commit(s), \(result.files) file version(s), \(formatBytes(result.bytesVerified)) re-hashed"
                + (result.notFetched > 0 ? ", \(result.notFetched) version(s) not fetched here (their bytes are on the remote)" : "")
            if result.ok { Output.line("OK: \(summary); no problems found.") }
            else { Output.line("FAILED: \(result.problems.count) problem(s) in \(summary).") }
        }
        if !result.ok { throw ExitSignal(code: ExitCode32.findings) }
    }
}
