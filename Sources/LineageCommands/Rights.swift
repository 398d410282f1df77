import ArgumentParser
import Foundation
import Lineage
import LineageCore

struct Rights: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or change the consent and rights facts of an artifact.",
        discussion: "Every change is a new signed commit, so the history of consent is itself auditable. Derived artifacts inherit personal-data categories, licence obligations, consent scope (intersection) and retention (earliest) from their inputs through recorded runs.",
        subcommands: [Show.self, Set.self])

    struct Show: RepositoryCommand {
        static let configuration = CommandConfiguration(abstract: "Show a path's own rights record and what it inherits, and from which input.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption
        @Argument(help: "A tracked file or directory.") var path: String

        func run(in repository: Repository) throws {
            let view = try repository.rightsShow(path, cwd: global.cwd)
            if output.json { return try Output.json(view, schema: "rights-show.schema.json") }
            Output.line("\(view.path)  sha256:\(view.sha256.hex.prefix(12))  \(view.kind.rawValue)")
            if let r = view.record { Output.line("own record:"); RightsText.facts(r.facts) }
            else { Output.line("own record: none" + (view.staged == nil ? " — record one with `lineage rights set \(view.path) --meta FILE` or the flags" : "")) }
            if let s = view.staged { Output.line("staged for the next commit:"); RightsText.facts(s.facts) }
            Output.line("effective (own and inherited):")
            RightsText.effective(view.effective)
        }
    }

    struct Set: RepositoryCommand {
        static let configuration = CommandConfiguration(abstract: "Change a tracked path's rights facts, in a new signed commit.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption
        @OptionGroup(title: "Rights and consent") var rights: RightsFlags
        @Argument(help: "A tracked file or directory.") var path: String

        func run(in repository: Repository) throws {
            let input = rights.input
            guard !input.isEmpty else { throw ValidationError("give the facts to set: --meta FILE or flags such as --license, --legal-basis, --consent") }
            let (facts, warnings) = try input.facts(cwd: global.cwd, today: CalendarDay.today())
            for w in warnings { Output.warn(w) }
            let (record, commit) = try repository.rightsSet(path, facts: facts, cwd: global.cwd)
            if output.json { return try Output.json(RightsChange(commit: commit, record: record), schema: "rights-change.schema.json") }
            if !global.quiet { Output.line("Rights of \(record.path) recorded [\(commit.prefix(12))]") }
        }
    }
}

struct Consent: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record consent changes.", subcommands: [Withdraw.self])

    struct Withdraw: RepositoryCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that consent for a dataset was withdrawn, in a new signed commit.",
            discussion: "`lineage audit` then names every model built from it (directly or through intermediate artifacts); the consent hook blocks new outputs built on it.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption
        @Argument(help: "A tracked file or directory.") var path: String
        @Option(help: "Why (e.g. the request's reference).") var reason: String
        @Option(help: ArgumentHelp("When the withdrawal takes effect (YYYY-MM-DD, default today).", valueName: "date")) var effective: String?

        func run(in repository: Repository) throws {
            let day: CalendarDay?
            do { day = try effective.map { try CalendarDay.parse($0, field: "--effective") } } catch {
                throw ValidationError("\(error)")
            }
            let (record, commit) = try repository.consentWithdraw(path, reason: reason, effective: day, cwd: global.cwd)
            if output.json { return try Output.json(RightsChange(commit: commit, record: record), schema: "rights-change.schema.json") }
            if global.quiet { return Output.line(commit) }
            Output.line("Consent for \(record.path) withdrawn as of \(record.facts.consent?.withdrawnAt?.iso ?? "today") [\(commit.prefix(12))]; `lineage audit` lists what was built from it")
        }
    }
}

struct Audit: RepositoryCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every artifact (models first) with its rights findings; exits 1 when there are any.",
        discussion: "Findings: upstream consent withdrawn (naming the withdrawal commit and date), a consent scope that does not cover --use, retention passed, a licence incompatible with --use, an input without rights metadata, personal data the PII hook found that the rights do not declare.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONOption
    @Option(help: ArgumentHelp("The intended use: \(DataUse.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "use")) var use: String?
    @Option(help: ArgumentHelp("Evaluate as of this date (YYYY-MM-DD, default today).", valueName: "date")) var at: String?
    @Flag(name: .customLong("erase-derived"), help: "List every version built from an erased or withdrawn version; with --yes, erase them.")
    var eraseDerived = false
    @Flag(help: "With --erase-derived: erase them (each a signed tombstone, as `lineage erase`).") var yes = false
    @Option(help: ArgumentHelp("With --erase-derived --yes: why (goes into each tombstone).", valueName: "text")) var reason: String?

    func validate() throws {
        if yes && !eraseDerived { throw ValidationError("--yes goes with --erase-derived") }
        if yes && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("say why with --reason \"...\" (it goes into every tombstone)")
        }
    }

    func run(in repository: Repository) throws {
        let dataUse: DataUse?
        let day: CalendarDay?
        do {
            dataUse = try use.map { try DataUse.parse($0, field: "--use") }
            day = try at.map { try CalendarDay.parse($0, field: "--at") }
        } catch { throw ValidationError("\(error)") }
        let report = try repository.audit(use: dataUse, at: day)
        if eraseDerived {
            let derived = report.entries.filter { $0.derivedFromErased == true }
            if yes {
                let done = try repository.eraseDerived(report, reason: reason!, cwd: global.cwd)
                if output.json { return try Output.json(done, as: "erased", schema: "audit-erase-derived.schema.json") }
                for e in done { Output.line("erased \(e.record.path)@\(e.record.sha256.hex.prefix(12)) [\(e.commit.prefix(12))]: \(e.objectsRemoved) object(s) removed") }
                Output.line("\(done.count) derived version(s) erased")
                return
            }
            if output.json { try Output.json(derived, as: "entries", schema: "audit-erase-derived.schema.json") } else {
                for e in derived { Output.line("\(e.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(e.path)@\(e.sha256.hex.prefix(12))") }
                Output.line("\(derived.count) version(s) built from erased or withdrawn data" + (derived.isEmpty ? "" : "; `lineage audit --erase-derived --yes --reason \"...\"` erases them"))
            }
            // Exit 1 when there is something to erase, with --json too (as audit with findings).
            if !derived.isEmpty { throw ExitSignal(code: ExitCode32.findings) }
            return
        }
        if output.json { try Output.json(report, schema: "audit.schema.json") } else {
            for entry in report.entries where !entry.findings.isEmpty || !global.quiet {
                let mark = entry.findings.isEmpty ? Output.color("ok", "32") : Output.color("\(entry.findings.count) finding(s)", "31")
                Output.line("\(entry.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(entry.path)@\(entry.sha256.hex.prefix(12))  \(mark)"
                            + (entry.erased.map { "  (erased \($0.erasedAt) by \($0.erasedBy): \($0.reason))" } ?? ""))
                for f in entry.findings { Output.line("    \(f.severity.rawValue) \(f.code.rawValue): \(f.message)") }
            }
            Output.line("\(report.entries.count) artifact(s) audited as of \(report.at)\(report.use.map { " for \($0.rawValue) use" } ?? ""): \(report.findingCount) finding(s)")
        }
        if report.hasFindings { throw ExitSignal(code: ExitCode32.findings) }
    }
}

/// What `rights set --json` and `consent withdraw --json` print: the record and the commit holding it.
struct RightsChange: Encodable {
    var commit: String
    var record: RightsRecord
}

enum RightsText {
    static func facts(_ f: RightsFacts) {
        func line(_ label: String, _ value: String?) { if let value, !value.isEmpty { Output.line("  \(label.padding(toLength: 16, withPad: " ", startingAt: 0)) \(value)") } }
        line("source", f.source.map { [$0.url, $0.name, $0.issuer].compactMap { $0 }.joined(separator: ", ") })
        line("collected", f.collected?.text)
        line("method", f.method?.rawValue)
        line("legal basis", f.legalBasis.map { "\($0.rawValue) (\($0.article))" })
        line("Art. 9 condition", f.art9Condition.map { "\($0.rawValue) (\($0.article))" })
        if let c = f.consent {
            var parts = [c.status?.rawValue ?? "status not recorded"]
            if let s = c.scope { parts.append("scope: " + s.joined(separator: ", ")) }
            if let e = c.evidence { parts.append("evidence: " + e) }
            if let w = c.withdrawnAt { parts.append("withdrawn \(w.iso)" + (c.withdrawalReason.map { ": \($0)" } ?? "")) }
            line("consent", parts.joined(separator: "; "))
        }
        line("licence", f.license)
        line("personal data", f.pii?.joined(separator: ", "))
        line("special category", f.specialCategory?.map(\.rawValue).joined(separator: ", "))
        line("retention until", f.retentionUntil?.iso)
        line("steward", f.steward)
    }

    static func effective(_ e: EffectiveRights) {
        func sourced<T>(_ items: [Sourced<T>], _ render: (T) -> String) -> String {
            items.map { "\(render($0.value)) (\($0.origin))" }.joined(separator: "; ")
        }
        func line(_ label: String, _ value: String) { if !value.isEmpty { Output.line("  \(label.padding(toLength: 16, withPad: " ", startingAt: 0)) \(value)") } }
        line("personal data", sourced(e.pii) { $0 })
        line("special category", sourced(e.specialCategory) { $0.rawValue })
        line("licences", sourced(e.licences) { $0 })
        let t = e.licenceTerms
        if !t.licences.isEmpty {
            var terms = ["use: \(t.use.rawValue)"]
            if !t.attribution.isEmpty { terms.append("attribution (\(t.attribution.joined(separator: ", ")))") }
            if !t.shareAlike.isEmpty { terms.append("share-alike (\(t.shareAlike.joined(separator: ", ")))") }
            if !t.noDerivatives.isEmpty { terms.append("no derivatives (\(t.noDerivatives.joined(separator: ", ")))") }
            line("obligations", terms.joined(separator: ", "))
            for c in t.conflicts { line("conflict", c) }
        }
        if let scope = e.consentScope { line("consent scope", scope.joined(separator: ", ") + " (intersection of " + sourced(e.consentScopes) { $0.joined(separator: ",") } + ")") }
        if let r = e.retentionUntil { line("retention until", "\(r.value.iso) (\(r.origin))") }
        for w in e.withdrawals {
            line("WITHDRAWN", "consent \(w.origin.isOwn ? "for this data" : "upstream, \(w.origin)")" + (w.withdrawnAt.map { " on \($0.iso)" } ?? "") + (w.commit.map { " in commit \($0.prefix(12))" } ?? "") + (w.reason.map { ": \($0)" } ?? ""))
        }
        for u in e.unrecorded { line("no rights record", u.isOwn ? "this artifact" : u.description.replacingOccurrences(of: "inherited from ", with: "")) }
        if !e.inputs.isEmpty { line("inputs", e.inputs.map(\.description).joined(separator: ", ")) }
    }
}
