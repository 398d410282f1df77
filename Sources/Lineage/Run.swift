import Foundation
import LineageCore
import LineageGit
import LineageSigning
import LineageStore

/// What `lineage run` is asked to do.
public struct RunRequest: Sendable {
    public var name: String
    public var inputs: [String]
    public var outputs: [String]
    /// Extra environment captures; only `pip` exists so far.
    public var envCapture: [String]
    public var argv: [String]
    /// The directory the command runs in (and relative paths are taken from).
    public var cwd: String
    public var message: String?
    /// Skip the pre-commit hooks on the outputs (recorded in the signed commit).
    public var noVerify: Bool
    /// Refuse to run on a dirty code tree or outside a git repository; nil: lineage.yaml's `run: { require-clean-code }`.
    public var requireCleanCode: Bool? = nil
    /// Set by `repro`: the pipeline stage this run executes (recorded with its params and metrics).
    public var stage: StageRunContext? = nil
    /// The command's standard output goes to standard error (stdout then holds only lineage's own output).
    public var commandStdoutToStderr = false
    /// Stage the run and return it as `RunOutcome.pending` instead of committing it (`repro --single-commit`
    /// commits several with `commitRuns`).
    var deferCommit = false

    public init(name: String, inputs: [String], outputs: [String], envCapture: [String] = [], argv: [String], cwd: String, message: String? = nil,
                noVerify: Bool = false, requireCleanCode: Bool? = nil) {
        self.requireCleanCode = requireCleanCode
        self.name = name; self.inputs = inputs; self.outputs = outputs; self.envCapture = envCapture; self.argv = argv; self.cwd = cwd; self.message = message
        self.noVerify = noVerify
    }
}

/// What a run of a pipeline stage records besides a plain run's facts.
public struct StageRunContext: Sendable {
    public var name: String
    /// The declared parameters' values: params file → dotted key → value.
    public var params: [String: RecordValues]
    /// The stage's metrics files (among the outputs), read after the command ran.
    public var metricsFiles: [String]
    /// Run cache: restore these outputs of an earlier run instead of running the command.
    var reuse: ReusedRun? = nil
}

/// An earlier run whose outputs a stage reuses, with the pointer of each output in the commit that recorded it.
struct ReusedRun: Sendable {
    var run: RunRecord
    var outputs: [(path: String, pointer: ObjectID)]
}

public struct RunOutcome: Sendable {
    /// The status `lineage run` exits with: the command's.
    public let exitCode: Int32
    /// Set when the command succeeded and its run was committed.
    public let record: RunRecord?
    public let commit: String?
    /// What the pre-commit hooks concluded on the outputs.
    public var hooks: HooksReport? = nil
    /// Things the user should know about what was recorded (e.g. an input that differs from its committed version).
    public var notes: [String] = []
    /// With `deferCommit`: the staged run, waiting for `commitRuns`.
    var pending: PendingRun? = nil
}

/// A run whose files are staged and whose records wait for a commit.
struct PendingRun: Sendable {
    var record: RunRecord
    var records: [PathKey: [UInt8]]
    var outputs: Set<PathKey>
    var inputs: [ArtifactRef]
}

extension Repository {
    public static let supportedEnvCaptures = ["pip"]

    /// Runs a command as a recorded transformation: declared inputs are hashed before and after, the
    /// command runs with the terminal passed through, and on success its outputs, its inputs and a
    /// Run record are committed together in one signed commit. When the command fails, nothing is
    /// committed and its status is passed on; when an output is missing or an input changed while it
    /// ran, nothing is committed and the error says which.
    public func run(_ request: RunRequest, progress: ProgressReporter = SilentProgress()) throws -> RunOutcome {
        let name = request.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, !name.contains(where: \.isNewline), name.count <= 200 else {
            throw LineageError.invalidArgument("the run needs a --name of one line (at most 200 characters), e.g. --name train")
        }
        guard !request.outputs.isEmpty else {
            throw LineageError.invalidArgument("a run records what its command produces: declare each file or directory it writes with -o (e.g. -o models/model.bin); to track files without running anything, use `lineage add`")
        }
        guard !request.argv.isEmpty else {
            throw LineageError.invalidArgument("no command to run — put it after `--`, e.g. lineage run --name train -i data.csv -o model.bin -- python train.py")
        }
        for capture in request.envCapture where !Repository.supportedEnvCaptures.contains(capture) {
            throw LineageError.invalidArgument("unknown --env-capture '\(capture)'; supported: \(Repository.supportedEnvCaptures.joined(separator: ", "))")
        }
        let cwd = realPath(request.cwd) ?? request.cwd
        guard cwd == root || cwd.hasPrefix(root + "/") else { throw LineageError.outsideWorkingDirectory(request.cwd, root: root) }

        // Everything that can be checked before the command runs is checked first: a long training
        // run must not end in "your key is not trusted".
        var roles: [PathKey: String] = [:]
        let inputs = try request.inputs.flatMap { argument -> [(path: String, stat: FileStat)] in
            let (role, path) = try Repository.inputRole(argument, cwd: cwd)
            let files = try runInputFiles(path, cwd: cwd)
            if let role { for f in files { roles[PathKey(f.path)] = role } }
            return files
        }
        let outputs = try request.outputs.map { try runOutputPath($0, cwd: cwd) }
        for o in outputs {
            if let clash = inputs.first(where: { TrackedPath.within($0.path, o) }) {
                throw LineageError.invalidArgument("'\(clash.path)' is both an input and (below) an output; a run may not overwrite what it reads")
            }
        }
        let key = try signingKey()
        let startSeconds = nowSeconds()
        let who = try identity(now: startSeconds)
        let principals = try checkSigner(key, parent: try headCommit(), now: startSeconds)

        // The code that runs is the code as it is now: captured before the command, and refused
        // here (before anything runs) when a clean code tree is required.
        let code = try? CodeVersion.capture(from: cwd, excluding: [layout.dotLineage])
        let requireClean = try request.requireCleanCode ?? projectConfig().requireCleanCode
        if let code, code.dirty {
            let what = "the code has uncommitted changes: the run records commit \(code.commit.map { String($0.prefix(12)) } ?? "(none yet)") plus the digest of `git diff HEAD` (sha256:\(code.diffSHA256?.hex.prefix(12) ?? "?")), not the diff itself"
            if requireClean { throw LineageError.invalidArgument(what + " — commit the code first (require-clean-code is set)") }
            warn(what + "; commit the code first to make this run reproducible")
        } else if code == nil {
            let what = "\(cwd) is not inside a git repository: no code version is recorded, only the command line"
            if requireClean { throw LineageError.invalidArgument(what + " — run it from the code's git work tree (require-clean-code is set)") }
            warn(what + "; run it from the code's git work tree to record which code ran")
        }

        var before: [PathKey: (stat: FileStat, digest: Digest)] = [:]
        for f in inputs { before[PathKey(f.path)] = (f.stat, try hashFile(root + "/" + f.path)) }

        let started = Date()
        let outcome: ProcessOutcome
        if let reuse = request.stage?.reuse {
            // Run cache: the bytes an identical earlier run made, from the store, instead of running.
            try restoreOutputs(reuse.outputs, progress: progress)
            outcome = ProcessOutcome(exitCode: 0, signal: nil)
        } else {
            do { outcome = try ProcessRunner.run(request.argv, in: cwd, stdoutToStderr: request.commandStdoutToStderr) } catch let e as RunSupportError {
                throw LineageError.invalidArgument(e.description)
            }
        }
        let ended = Date()
        guard outcome.exitCode == 0 else { return RunOutcome(exitCode: outcome.exitCode, record: nil, commit: nil) }

        // A changed size or mtime is caught here; the bytes are re-hashed by `add` below (which trusts
        // its stat cache only under git's racy rule) and compared with the digest taken before.
        for f in inputs {
            let now = FileStat.lstat(root + "/" + f.path)
            let old = before[PathKey(f.path)]!
            guard let now, now.size == old.stat.size, now.mtimeNs == old.stat.mtimeNs else { throw Repository.inputChanged(f.path) }
        }
        for o in outputs {
            guard let st = FileStat.lstat(root + "/" + o), st.isRegularFile || st.isDirectory else {
                throw LineageError.invalidArgument("the command succeeded but did not produce the declared output '\(o)'; nothing was committed — check the path given with -o")
            }
        }
        // A stage's metrics are read now, from the bytes about to be committed.
        var metrics: [String: RecordValues] = [:]
        for file in request.stage?.metricsFiles ?? [] {
            do { metrics[file] = try ValuesFile.read(path: root + "/" + file, display: file) } catch let e as ValuesFileError {
                throw LineageError.invalidArgument("cannot read the metrics file \(e) — a metrics file is JSON, YAML, or a CSV/TSV with a header and one row; nothing was committed")
            }
        }
        var records: [PathKey: [UInt8]] = [:]
        var environment = RunEnvironment.capture()
        if request.envCapture.contains("pip") {
            let frozen: [UInt8]
            do { frozen = try RunEnvironment.pipFreeze() } catch let e as RunSupportError { throw LineageError.invalidArgument(e.description) }
            let digest = Digest.of(frozen)
            let path = "environments/\(digest.hex).txt"
            records[PathKey(path)] = frozen
            environment.captures.append(EnvironmentCapture(kind: "pip", sha256: digest, size: UInt64(frozen.count), record: RecordTree.directory + "/" + path))
        }

        // Stage inputs and outputs; put the staging index back if anything below fails.
        let savedIndex = FileManager.default.contents(atPath: layout.stagingIndex)
        do {
            let added = try add(inputs.map(\.path) + outputs, cwd: root, progress: progress)
            let digests = Dictionary(added.files.compactMap { f in f.sha256.map { (PathKey(f.path), ($0, f.size ?? 0)) } }, uniquingKeysWith: { a, _ in a })
            var recordedInputs: [RunArtifact] = []
            for f in inputs {
                guard let (d, size) = digests[PathKey(f.path)], d == before[PathKey(f.path)]!.digest else { throw Repository.inputChanged(f.path) }
                recordedInputs.append(RunArtifact(path: f.path, sha256: d, size: size, role: roles[PathKey(f.path)]))
            }
            let recordedOutputs = added.files.filter { f in f.status != .removed && outputs.contains { TrackedPath.within(f.path, $0) } }
                .compactMap { f in f.sha256.map { RunArtifact(path: f.path, sha256: $0, size: f.size ?? 0) } }
            let relativeCwd = cwd == root ? "." : String(cwd.dropFirst(root.count + 1))
            var record = RunRecord(
                id: UUIDv7.generate(), name: name, argv: request.argv, workingDirectory: relativeCwd,
                startedAt: Timestamp.rfc3339(started), endedAt: Timestamp.rfc3339(ended), exitStatus: outcome.exitCode,
                inputs: recordedInputs, outputs: recordedOutputs, code: code, environment: environment,
                agent: RunAgent(principal: principals.first ?? who.email, keyFingerprint: key.publicKey.fingerprint, name: who.name, email: who.email))
            if let stage = request.stage {
                record.stage = stage.name
                record.params = stage.params.isEmpty ? nil : stage.params
                record.metrics = metrics.isEmpty ? nil : metrics
                record.reusedFrom = stage.reuse?.run.id
            }
            records[PathKey(Repository.runRecordPath(record.id))] = try record.encoded()
            let message = request.message ?? "run \(name): \(request.argv.joined(separator: " "))"
            // An input whose version is not the committed one is recorded by this commit: the hooks
            // check it (commitIndex runs them on everything the commit changes), and the user is told.
            let committed = try headFiles()
            var notes: [String] = []
            for input in recordedInputs {
                guard let id = committed[PathKey(input.path)] else {
                    notes.append("input \(input.path) was not committed before; this run records it (sha256:\(input.sha256.hex.prefix(12))) and the pre-commit hooks check it")
                    continue
                }
                if try pointer(id).sha256 != input.sha256 {
                    notes.append("input \(input.path) differs from its committed version; this run records the new version (sha256:\(input.sha256.hex.prefix(12))) and the pre-commit hooks check it")
                }
            }
            let pending = PendingRun(record: record, records: records, outputs: Set(recordedOutputs.map { PathKey($0.path) }),
                                     inputs: recordedInputs.map { ArtifactRef(path: $0.path, sha256: $0.sha256) })
            if request.deferCommit {
                var outcome = RunOutcome(exitCode: 0, record: record, commit: nil)
                outcome.notes = notes
                outcome.pending = pending
                return outcome
            }
            let result = try commitRuns([pending], message: message, noVerify: request.noVerify, progress: progress)
            var outcome = RunOutcome(exitCode: 0, record: record, commit: result.commit, hooks: result.hooks)
            outcome.notes = notes
            return outcome
        } catch {
            if let savedIndex { try? AtomicFile.write(Array(savedIndex), to: layout.stagingIndex) }
            else { try? FileManager.default.removeItem(atPath: layout.stagingIndex) }
            throw error
        }
    }

    /// Commits staged runs together: the same pre-commit hooks as `commit`, on the runs' outputs and
    /// every version they newly record. When the hooks block it, each run is remembered as blocked.
    func commitRuns(_ runs: [PendingRun], message: String, noVerify: Bool, progress: ProgressReporter) throws -> CommitResult {
        var records: [PathKey: [UInt8]] = [:]
        for run in runs { records.merge(run.records) { a, _ in a } }
        do {
            return try commitIndex(message: message, records: records, runs: runs.map(\.record.id), noVerify: noVerify,
                                   hooksOnly: runs.reduce(into: Set<PathKey>()) { $0.formUnion($1.outputs) },
                                   runInputs: runs.flatMap(\.inputs), requireChanges: false, progress: progress)
        } catch let blocked as HooksBlocked {
            for run in runs { rememberBlockedRun(run.record, report: blocked.report, at: nowSeconds()) }
            throw blocked
        }
    }

    static func inputChanged(_ path: String) -> LineageError {
        LineageError.invalidArgument("input '\(path)' changed while the command ran; nothing was committed — a run must not modify its declared inputs (declare the new file as an output)")
    }

    /// The regular files an input argument names (a file, or every file below a directory).
    /// `-i test=data/test.csv` names the input's role; an argument that is itself an existing path
    /// (a file really called `a=b`) is a path, as is one whose part before `=` is not a plain word.
    static func inputRole(_ argument: String, cwd: String) throws -> (role: String?, path: String) {
        guard let eq = argument.firstIndex(of: "=") else { return (nil, argument) }
        let role = String(argument[..<eq]), path = String(argument[argument.index(after: eq)...])
        let word = role.utf8.count <= 64 && role.utf8.first.map { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A } == true
            && role.utf8.allSatisfy { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }
        let literal = argument.hasPrefix("/") ? argument : cwd + "/" + argument
        guard word, !FileManager.default.fileExists(atPath: literal) else { return (nil, argument) }
        guard !path.isEmpty else { throw LineageError.invalidArgument("input '\(argument)' names the role '\(role)' but no path — write -i \(role)=<path>") }
        return (role, path)
    }

    private func runInputFiles(_ argument: String, cwd: String) throws -> [(path: String, stat: FileStat)] {
        let r = try resolve(argument, cwd: cwd)
        guard let st = r.stat else { throw LineageError.notFound(argument, suggestions: []) }
        if st.isRegularFile { _ = try TrackedPath(r.relative); return [(r.relative, st)] }
        guard st.isDirectory, !r.relative.isEmpty else {
            throw LineageError.invalidArgument("input '\(argument)' is not a regular file or a directory below the working directory — declare the files the command reads")
        }
        var skipped: [String] = []
        let files = try walkFiles(under: r.relative, skipped: &skipped)
        guard !files.isEmpty else { throw LineageError.invalidArgument("input directory '\(argument)' holds no files") }
        return files.compactMap { f in FileStat.lstat(root + "/" + f).map { (f, $0) } }
    }

    /// An output argument as a path below the root (it need not exist yet).
    private func runOutputPath(_ argument: String, cwd: String) throws -> String {
        let r = try resolve(argument, cwd: cwd)
        guard !r.relative.isEmpty else {
            throw LineageError.invalidArgument("output '\(argument)' is the whole working directory — name the files or directory the command writes")
        }
        _ = try TrackedPath(r.relative)
        if let st = r.stat, !(st.isRegularFile || st.isDirectory) { throw LineageError.notAFile(argument) }
        return r.relative
    }
}

extension TrackedPath {
    /// True when `path` is `prefix` or lies below it (plain strings, for paths already checked).
    static func within(_ path: String, _ prefix: String) -> Bool { path.isPath(within: prefix) }
}
