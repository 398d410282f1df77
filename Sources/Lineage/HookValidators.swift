import Foundation
import LineageCore
import LineageValidators

/// Maps each lineage.yaml hook onto its validator: which staged artifacts it checks and how.
extension Repository {
    func planHook(_ entry: HookEntry, context: HookContext) throws -> HookPlan? {
        switch entry.validator {
        case "command": return try planCommand(entry, context: context)
        case "schema": return try planSchema(entry, context: context)
        case "leakage": return try planLeakage(entry, context: context)
        case "quality": return try planQuality(entry, context: context)
        case "pii": return try planPII(entry, context: context)
        case "consent": return try planConsent(entry, context: context)
        default: throw LineageError.config(entry.error("", "unknown validator"))
        }
    }

    /// Staged artifacts a hook's `path` option selects; nil when the hook has nothing to check.
    func selected(_ entry: HookEntry, context: HookContext, key: String = "path", required: Bool) throws -> [String]? {
        guard let patterns = try entry.strings(key) else { return required ? nil : context.paths(matching: PathGlob("**")) }
        var paths: Set<String> = []
        for pattern in patterns { paths.formUnion(context.paths(matching: PathGlob(pattern))) }
        return paths.isEmpty ? nil : paths.sorted()
    }

    // MARK: command

    static let commandHookVersion = "1"

    private func planCommand(_ entry: HookEntry, context: HookContext) throws -> HookPlan? {
        let run = try entry.string("run")!
        let args = try entry.strings("args") ?? []
        let timeout = try entry.seconds("timeout") ?? 60
        guard let paths = try selected(entry, context: context, required: false) else { return nil }
        let artifacts = try paths.map { try context.artifact($0) }
        var digestText = entry.configDigest.hex
        if let program = programDigest(entry) { digestText += " " + program.hex }
        let configDigest = Digest.of(Array(digestText.utf8))
        let root = self.root
        let head = (try? headCommit())??.hex ?? ""
        return HookPlan(version: Repository.commandHookVersion, configDigest: configDigest,
                        artifacts: artifacts.map { CheckRecord.Artifact(path: $0.path, sha256: $0.sha256) }, reusable: false) {
            struct Input: Encodable { var hook: String; var root: String; var head: String?; var artifacts: [HookArtifact] }
            let input = try CanonicalJSON.encode(Input(hook: "pre-commit", root: root, head: head.isEmpty ? nil : head, artifacts: artifacts))
            var environment = ProcessInfo.processInfo.environment
            environment["LINEAGE_HOOK"] = "pre-commit"
            environment["LINEAGE_ROOT"] = root
            environment["LINEAGE_DIR"] = root + "/.lineage"
            environment["LINEAGE_HEAD"] = head
            environment["LINEAGE_ARTIFACT_COUNT"] = String(artifacts.count)
            environment["LINEAGE_CONFIG_DIGEST"] = configDigest.hex
            let (outcome, output) = try ProcessRunner.runCaptured([run] + args, in: root, environment: environment,
                                                                  input: input, timeout: timeout)
            let text = String(decoding: output, as: UTF8.self)
            var report = ValidationReport(validator: "command", version: Repository.commandHookVersion, counts: ["artifacts": artifacts.count])
            if let outcome {
                report.counts["exitStatus"] = Int(outcome.exitCode)
                if outcome.exitCode != 0 {
                    report.findings.append(ValidationFinding(check: "command-failed",
                                                             message: "`\(([run] + args).joined(separator: " "))` exited with status \(outcome.exitCode)"))
                }
            } else {
                report.findings.append(ValidationFinding(check: "timeout",
                                                         message: "`\(run)` did not finish within \(timeout) s and was stopped — make it faster or raise `timeout:` in lineage.yaml"))
            }
            return (report, text)
        }
    }
}
