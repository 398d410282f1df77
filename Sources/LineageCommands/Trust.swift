import ArgumentParser
import Foundation
import Lineage

struct Trust: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the keys trusted to sign this repository (.lineage/allowed_signers).",
        discussion: "Every change to the trust is a commit signed by a key that is already trusted; `verify` checks each commit against the trust in force at its parent.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: RepositoryCommand {
        static let configuration = CommandConfiguration(abstract: "Trust a public key as <principal>, in a signed commit.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Who the key belongs to, e.g. alice@example.org (no spaces or commas).") var principal: String
        @Argument(help: "A public-key file (.pub) or a literal \"ssh-ed25519 AAAA...\".") var key: String
        @Option(help: ArgumentHelp("Trust the key only from this date (YYYY-MM-DD, UTC).", valueName: "date")) var validAfter: String?
        @Option(help: ArgumentHelp("Trust the key only before this date (YYYY-MM-DD, UTC).", valueName: "date")) var validBefore: String?
        @OptionGroup var output: JSONOption

        func run(in repository: Repository) throws {
            let change = try repository.trustAdd(principal: principal, key: key, validAfter: try validAfter.map(parseDay),
                                                 validBefore: try validBefore.map(parseDay), cwd: global.cwd)
            if output.json { return try Output.json(change, schema: "trust-change.schema.json") }
            guard !global.quiet else { return }
            if let c = change.commit { Output.line("Trusted \(principal) [\(String(c.prefix(12)))]") }
            else { Output.line("Trusted \(principal); the first commit will record it") }
        }
    }

    struct List: RepositoryCommand {
        static let configuration = CommandConfiguration(abstract: "List trusted keys.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONOption

        func run(in repository: Repository) throws {
            let entries = try repository.trustList()
            if output.json { return try Output.json(entries, as: "keys", schema: "trust-list.schema.json") }
            for e in entries {
                var extra: [String] = []
                if let a = e.validAfter { extra.append("valid after \(day(a))") }
                if let b = e.validBefore { extra.append("valid before \(day(b))") }
                Output.line("\(e.principals.joined(separator: ","))  \(e.fingerprint)" + (extra.isEmpty ? "" : "  (" + extra.joined(separator: ", ") + ")"))
            }
        }
    }

    struct Remove: RepositoryCommand {
        static let configuration = CommandConfiguration(abstract: "Stop trusting <principal>, in a signed commit.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The principal to remove.") var principal: String
        @Flag(help: "Allow removing your own signing key.") var force = false
        @OptionGroup var output: JSONOption

        func run(in repository: Repository) throws {
            let change = try repository.trustRemove(principal: principal, force: force)
            if output.json { return try Output.json(change, schema: "trust-change.schema.json") }
            if !global.quiet { Output.line("Removed \(principal)" + (change.commit.map { " [\(String($0.prefix(12)))]" } ?? "")) }
        }
    }
}

/// `YYYY-MM-DD` (UTC midnight) → seconds since the epoch.
func parseDay(_ text: String) throws -> Int64 {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd"
    guard let d = f.date(from: text) else { throw ValidationError("'\(text)' is not a date like 2026-01-31") }
    return Int64(d.timeIntervalSince1970)
}

func day(_ seconds: Int64) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd HH:mm"
    return f.string(from: Date(timeIntervalSince1970: Double(seconds)))
}
