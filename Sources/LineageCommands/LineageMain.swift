import ArgumentParser
import Foundation
import Glibc
import LineageCore

/// The root command. `run(arguments:)` maps every error to one message and a documented exit code.
public struct LineageMain: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "A versioned, content-addressed store for the evidence behind machine-learning models.",
        version: "0.1.0",
        subcommands: [
            Init.self, Add.self, Restore.self, Status.self, Commit.self, Log.self, Show.self, LsFiles.self, Cat.self,
            Checkout.self, Diff.self, Verify.self, GC.self, Config.self, Key.self, Trust.self, Run.self, Attest.self, Trace.self, Impact.self, Reindex.self, Report.self,
            Hooks.self, Validate.self, Schema.self, Rights.self, Consent.self, Audit.self, Erase.self, DatasheetCommand.self,
            Remote.self, Push.self, Fetch.self, Pull.self, Clone.self, Branch.self, Merge.self, Completions.self,
            Repro.self, Dag.self, Stage.self, Metrics.self, Params.self,
        ])

    public init() {}

    public static func main() {
        // Swift repairs arguments that are not UTF-8 (each bad byte becomes U+FFFD), which would turn
        // a real file name into one that does not exist. Such an argument is refused, saying why.
        for i in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[i] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
            if !String(decoding: bytes, as: UTF8.self).utf8.elementsEqual(bytes) {
                Output.error("argument \(i) is not valid UTF-8 (\(String(decoding: bytes, as: UTF8.self).debugDescription)); lineage names files by UTF-8 paths, because its records are JSON text — rename the file (e.g. `convmv -f latin1 -t utf8 --notest NAME`) and try again")
                Output.flush()
                Glibc.exit(2)
            }
        }
        Glibc.exit(run(arguments: Array(CommandLine.arguments.dropFirst())))
    }

    /// Runs one command line in-process and returns its exit code.
    public static func run(arguments: [String]) -> Int32 {
        defer { Output.flush() }
        let hoisted = hoistingDirectoryOption(arguments)
        if let verb = hoisted.first, !verb.hasPrefix("-"), unknownVerb(verb) {
            let names = configuration.subcommands.map { $0._commandName } + ["help"]
            let near: [String] = Suggest.closest(to: verb, among: names, limit: 2, maxDistance: 2)
            let quoted: [String] = near.map { "'" + $0 + "'" }
            let hint: String = near.isEmpty ? "" : "; did you mean " + quoted.joined(separator: " or ") + "?"
            Output.error("'" + verb + "' is not a lineage command" + hint + " — `lineage --help` lists them")
            return ExitCode32.usage
        }
        do {
            var command = try parseAsRoot(hoisted)
            try command.run()
            return 0
        } catch let signal as ExitSignal {
            return signal.code
        } catch {
            return report(error)
        }
    }

    /// Prints what went wrong and returns the exit code: a category's code for lineage's errors, the
    /// parser's for its own (usage, --help, --version), and 70 for an error no layer classified —
    /// a bug, not a usage error (the parser gives such errors its generic failure code).
    public static func report(_ error: Error) -> Int32 {
        if let (message, code) = describe(error) {
            Output.error(message)
            return code
        }
        if exitCode(for: error) == .failure {
            Output.error("internal error (a bug in lineage — please report it with the command you ran): \(type(of: error)): \(error)")
            return ExitCode32.bug
        }
        let text = fullMessage(for: error)
        let code = exitCode(for: error).rawValue
        if !text.isEmpty {
            if code == 0 { Output.line(text) } else { Output.flush(); FileHandle.standardError.write(Data((text + "\n").utf8)) }
        }
        return code == 1 ? ExitCode32.usage : code
    }
}

/// True when `word`, in the verb's place, names no command (the parser would blame an option instead).
func unknownVerb(_ word: String) -> Bool {
    !(LineageMain.configuration.subcommands.map { $0._commandName } + ["help"]).contains(word)
}

/// `lineage -C dir verb ...` (git's order) becomes `lineage verb -C dir ...`, where the parser expects it.
func hoistingDirectoryOption(_ arguments: [String]) -> [String] {
    var args = arguments
    var leading: [String] = []
    while args.count >= 2, args[0] == "-C" {
        leading += args.prefix(2)
        args.removeFirst(2)
    }
    guard !leading.isEmpty, !args.isEmpty else { return arguments }
    return [args[0]] + leading + args.dropFirst()
}

/// Thrown by a command that has printed its result and wants a specific non-zero exit (e.g. verify).
struct ExitSignal: Error { let code: Int32 }
