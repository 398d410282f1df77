import Foundation
import LineageCore

/// One output of `repro --check`: the recorded bytes against the rerun's.
public struct CheckedOutput: Codable, Sendable {
    public var path: String
    /// `sha256:…` as the last run recorded it; nil for a file only the rerun wrote.
    public var recorded: String?
    /// `sha256:…` of what the rerun wrote; nil when it wrote nothing there.
    public var rerun: String?
    public var identical: Bool
}

/// `lineage repro --check <stage>`: whether running the stage again gives the same bytes.
public struct ReproCheckResult: Codable, Sendable {
    public var stage: String
    /// The run whose outputs the rerun is compared with.
    public var run: String
    public var command: String
    /// The rerun's exit status.
    public var exitStatus: Int32
    /// True when the command succeeded and every output is bit-identical.
    public var reproducible: Bool
    public var outputs: [CheckedOutput]
    /// What is wrong, in one line, when not reproducible.
    public var finding: String?
}

extension Repository {
    /// Runs a fresh stage again in a scratch directory outside the working tree, holding only its
    /// dependencies and params files, and compares every output with the bytes its last run recorded.
    /// Nothing in the repository or the working tree changes. A difference is a finding, not an error.
    public func reproCheck(_ name: String, stdoutToStderr: Bool = true) throws -> ReproCheckResult {
        let pipeline = try pipeline()
        let i = try stageIndices([name], in: pipeline)[0]
        let stage = pipeline.stages[i]
        let inputs = try stageInputs(stage, in: pipeline)
        guard let last = pipeline.lastRuns[stage.name] else {
            throw LineageError.invalidArgument("stage '\(name)' has never run, so there are no recorded outputs to compare with — run `lineage repro \(name)` first")
        }
        let reasons = staleReasons(stage, inputs: inputs, last: last, memo: pipeline.digests)
        guard reasons.isEmpty else {
            throw LineageError.invalidArgument("stage '\(name)' is stale (\(reasons.map(\.message).joined(separator: "; "))): its last run does not describe the files here — run `lineage repro \(name)` first, then check it")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-check-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        func copy(_ path: String) throws {
            let destination = scratch + "/" + path
            try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: destination) { return }
            try FileManager.default.copyItem(atPath: root + "/" + path, toPath: destination)
        }
        for dep in inputs.deps { try copy(dep.path) }
        for file in Set(inputs.params.keys).union([ProjectConfig.defaultParamsFile]) where FileStat.lstat(root + "/" + file) != nil { try copy(file) }
        for out in stage.outputs {
            try FileManager.default.createDirectory(atPath: ((scratch + "/" + out.path) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
        let outcome: ProcessOutcome
        do { outcome = try ProcessRunner.run(inputs.argv, in: scratch, stdoutToStderr: stdoutToStderr) } catch let e as RunSupportError {
            throw LineageError.invalidArgument(e.description)
        }
        var result = ReproCheckResult(stage: stage.name, run: last.id, command: inputs.command, exitStatus: outcome.exitCode,
                                      reproducible: false, outputs: [])
        // Every file the last run recorded, and every file the rerun wrote below a declared output.
        var written: [String] = []
        for out in stage.outputs {
            let absolute = scratch + "/" + out.path
            guard let st = FileStat.lstat(absolute) else { continue }
            if st.isDirectory {
                let e = FileManager.default.enumerator(atPath: absolute)
                while let rel = e?.nextObject() as? String {
                    if FileStat.lstat(absolute + "/" + rel)?.isRegularFile == true { written.append(out.path + "/" + rel) }
                }
            } else if st.isRegularFile { written.append(out.path) }
        }
        let recorded = Dictionary(last.outputs.map { (PathKey($0.path), $0.sha256) }, uniquingKeysWith: { a, _ in a })
        for path in Set(last.outputs.map(\.path)).union(written).sortedAsPaths() {
            let rerun = written.contains(path) ? try hashFile(scratch + "/" + path) : nil
            let old = recorded[PathKey(path)]
            result.outputs.append(CheckedOutput(path: path, recorded: old?.prefixed, rerun: rerun?.prefixed, identical: old != nil && old == rerun))
        }
        let differing = result.outputs.filter { !$0.identical }.map(\.path)
        if outcome.exitCode != 0 {
            result.finding = "the command exited with status \(outcome.exitCode) in a scratch directory holding only the stage's dependencies and params files — does it read a file it does not declare under deps?"
        } else if !differing.isEmpty {
            result.finding = "not reproducible: \(differing.joined(separator: ", ")) differ\(differing.count == 1 ? "s" : "") from what run \(last.id) recorded — look for unseeded randomness, timestamps or thread-order effects in the command"
        } else {
            result.reproducible = true
        }
        return result
    }
}
