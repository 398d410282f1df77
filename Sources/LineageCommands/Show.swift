import ArgumentParser
import Lineage
import LineageCore

struct Show: RepositoryCommand {
    static let configuration = CommandConfiguration(abstract: "Show a commit and its changes, or one file's record with <rev>:<path>.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "<rev> or <rev>:<path> (default HEAD).") var spec: String = "HEAD"
    @Flag(help: "Show who signed the commit, whether the signature holds, and the runs behind it (or behind <path>).") var provenance = false

    func run(in repository: Repository) throws {
        if provenance { return try showProvenance(repository) }
        let result = try repository.show(spec)
        if output.json { return try Output.json(result, schema: "show.schema.json") }
        if let f = result.file {
            Output.line("path:       \(f.path)")
            Output.line("commit:     \(result.commit.commit) [\(Log.verdictWord(result.commit.verdict))]")
            Output.line("size:       \(f.size) (\(formatBytes(f.size)))")
            Output.line("sha256:     \(f.sha256.hex)")
            Output.line("kind:       \(f.kind.rawValue)")
            Output.line("media type: \(f.mediaType)")
            Output.line("chunks:     \(f.chunks.map(String.init) ?? "?") (list \(f.chunkList.hex))")
            Output.line("pointer:    \(f.pointer)")
            for c in result.checks ?? [] { Output.line("check:      " + Show.describe(c)) }
            return
        }
        let c = result.commit
        Output.line(Output.color("commit \(c.commit)", "33"))
        Output.line(Log.verdictLine(c.verdict))
        Output.line("Author: \(c.author.name) <\(c.author.email)>")
        Output.line("Date:   \(c.author.localDate)")
        Output.line()
        for line in c.message.split(separator: "\n") { Output.line("    \(line)") }
        Output.line()
        for d in result.changes ?? [] { Output.line(Diff.describe(d)) }
        if let checks = result.checks {
            Output.line()
            for c in checks { Output.line("check: " + Show.describe(c)) }
        }
    }

    /// One line per check record: validator, outcome, what, when; counts of findings.
    static func describe(_ c: CheckRecord) -> String {
        if c.outcome == .skipped { return "hooks skipped (--no-verify) by \(c.skippedBy ?? "?") at \(c.checkedAt)" }
        let files = Set(c.artifacts.filter { $0.role != "previous" }.map(\.path)).sorted()
        let what = files.count <= 3 ? files.joined(separator: ", ") : "\(files.count) files"
        let findings = c.findings.map { "\($0.check) ×\($0.count)" }.joined(separator: ", ")
        return "\(c.validator) \(c.outcome.rawValue) on \(what) at \(c.checkedAt)" + (findings.isEmpty ? "" : " (\(findings))")
    }

    private func showProvenance(_ repository: Repository) throws {
        let p = try repository.provenance(spec)
        if output.json { return try Output.json(p, schema: "provenance.schema.json") }
        let v = p.signature
        Output.line(Output.color("commit \(p.commit.commit)", "33"))
        let status = v.status == .good ? Output.color("good", "32") : Output.color(v.status.rawValue, "31")
        Output.line("Signature: \(status)" + (v.principals.map { " by \($0.joined(separator: ", "))" } ?? "") + (v.key.map { " (\($0))" } ?? ""))
        if let d = v.detail, v.status != .good { Output.line("           \(d)") }
        Output.line("Author:    \(p.commit.author.name) <\(p.commit.author.email)>  \(p.commit.author.localDate)")
        if let f = p.file {
            Output.line("File:      \(f.path)  sha256:\(f.sha256.hex)  \(formatBytes(f.size))  \(f.kind.rawValue)")
            if let run = p.producedBy { Output.line("Produced by:"); describe(run) }
            else { Output.line("Produced by: no recorded run (added by hand)") }
        }
        for run in p.runs where run.id != p.producedBy?.id { Output.line("Run in this commit:"); describe(run) }
    }

    private func describe(_ run: RunRecord) {
        Output.line("  run \(run.name) \(run.id)")
        Output.line("  command:  \(run.argv.joined(separator: " "))  (in \(run.workingDirectory), exit \(run.exitStatus))")
        Output.line("  time:     \(run.startedAt) → \(run.endedAt)")
        Output.line("  agent:    \(run.agent.principal) (\(run.agent.keyFingerprint))")
        if let b = run.blocked {
            Output.line("  blocked:  its own commit was blocked at \(b.blockedAt) by " + (b.hooks.isEmpty ? "the pre-commit hooks" : b.hooks.joined(separator: "; "))
                        + "; these outputs were recorded later")
        }
        for i in run.inputs { Output.line("  input:    \(i.path)  sha256:\(i.sha256.hex)") }
        for o in run.outputs { Output.line("  output:   \(o.path)  sha256:\(o.sha256.hex)") }
        if let c = run.code {
            let commit = c.commit.map { String($0.prefix(12)) } ?? "(no commit)"
            Output.line("  code:     \(c.remoteURL ?? "(no remote)") \(c.branch ?? "(detached)") \(commit)" + (c.dirty ? " dirty (diff sha256:\(c.diffSHA256?.hex ?? "?"))" : " clean") + (c.untracked.isEmpty ? "" : ", \(c.untracked.count) untracked file(s)"))
        } else {
            Output.line("  code:     not inside a git repository")
        }
        let e = run.environment
        Output.line("  env:      \(e.os), kernel \(e.kernel), \(e.architecture), \(e.cpuModel ?? "cpu ?") x\(e.cpuCount)")
        for c in e.captures { Output.line("  env file: \(c.kind) \(c.record)  sha256:\(c.sha256.hex)") }
    }
}
