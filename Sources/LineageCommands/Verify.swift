import ArgumentParser
import Lineage

struct Verify: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the whole repository: every pack, object, commit, tree, pointer and file digest.",
        discussion: "Exits 1 when any problem is found; each is named with its path and object id. With --remote <name>: fetches the remote's history, then checks that every branch on it is complete (every object of every version it names, except erased ones, listed by the content location's index objects) and that every pack is there with the size its index gives; --full also reads every pack and hashes every object.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Option(help: ArgumentHelp("Check this remote's content location instead of the local repository.", valueName: "name"))
    var remote: String?
    @Flag(help: "With --remote: read every pack and hash every object (otherwise only the index objects and pack sizes are read).")
    var full = false
    @Option(help: ArgumentHelp("With --remote: also read and hash this many packs picked at random (a spot check).", valueName: "n"))
    var sample: Int = 0

    func validate() throws {
        if full && remote == nil { throw ValidationError("--full goes with --remote <name>") }
        if sample != 0 && remote == nil { throw ValidationError("--sample goes with --remote <name>") }
        if sample < 0 { throw ValidationError("--sample takes a number of packs, 0 or more") }
    }

    func run(in repository: Repository) throws {
        if let remote { return try runRemote(remote, repository) }
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

    private func runRemote(_ name: String, _ repository: Repository) throws {
        let r = try repository.verifyRemote(name, full: full, sample: sample, progress: TerminalProgress.make(quiet: global.quiet || output.json))
        if output.json { try Output.json(r, schema: "verify-remote.schema.json") } else {
            if !global.quiet {
                for b in r.branches {
                    Output.line("\(b.branch) \(b.commit.prefix(12)): \(b.versions) version(s), \(b.objects) object(s)" + (b.missing > 0 ? Output.color(", \(b.missing) missing", "31") : ", complete"))
                }
            }
            for p in r.problems {
                let at = [p.path, p.commit.map { "commit " + $0.prefix(12) }, p.key].compactMap { $0 }.joined(separator: ", ")
                Output.line(Output.color(p.kind, "31") + ": " + at + " — " + p.detail)
            }
            let summary = "\(r.branches.count) branch(es), \(r.packs) pack(s) on \(r.location)" + (r.full ? ", every object read and hashed" : ", sizes checked" + (r.sampled > 0 ? ", \(r.sampled) pack(s) read and hashed" : ""))
            if r.ok { Output.line("OK: \(summary); no problems found.") } else { Output.line("FAILED: \(r.problems.count) problem(s) in \(summary).") }
        }
        if !r.ok { throw ExitSignal(code: ExitCode32.findings) }
    }
}
