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
        var paths: Set<PathKey> = []
        for pattern in patterns { paths.formUnion(context.paths(matching: PathGlob(pattern)).map(PathKey.init)) }
        return paths.isEmpty ? nil : paths.sorted().map(\.string)
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

// MARK: - Built-in validators

extension Repository {
    /// Staged files a literal path option names (a file, or every file below a directory).
    /// A path that is not tracked: a file that exists but was not added, or a near-miss of a tracked
    /// path, is a mistake in lineage.yaml; a path that exists nowhere yet (a pipeline output before
    /// its first run) makes the hook wait (`HookWaiting`), said in the report, not an error.
    func trackedFiles(_ entry: HookEntry, key: String, path: String, context: HookContext) throws -> [String] {
        let glob = PathGlob(path)
        let files = context.paths(matching: glob)
        if files.isEmpty && glob.isLiteral && context.only == nil {
            let suggestions = closest(path, among: context.staged.keys.map(\.string)).filter { !$0.bytesEqual(glob.pattern) }
            let onDisk = FileStat.lstat(root + "/" + glob.pattern) != nil
            if !onDisk && suggestions.isEmpty { throw HookWaiting(path: glob.pattern) }
            let hint = suggestions.map { "'\($0)'" }.joined(separator: ", ")
            throw LineageError.config(entry.error(key, "'\(path)' is not tracked" + (hint.isEmpty ? "" : " (did you mean \(hint)?)") + " — `lineage add \(path)` first, or fix the path"))
        }
        return files
    }

    /// A file of the project the hook's configuration names (a schema); its bytes are part of the configuration.
    func configFile(_ entry: HookEntry, key: String) throws -> (path: String, digest: Digest) {
        let name = try entry.string(key)!
        let path = name.hasPrefix("/") ? name : root + "/" + name
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: TableSchema.maxFileBytes + 1) ?? Data() else {
            throw LineageError.config(entry.error(key, "cannot read '\(name)' — the path is relative to the project root"))
        }
        try? handle.close()
        guard data.count <= TableSchema.maxFileBytes else {
            throw LineageError.config(entry.error(key, "'\(name)' is larger than \(TableSchema.maxFileBytes >> 20) MiB, the most lineage reads for a schema — check that it names the schema, not the data"))
        }
        return (path, Digest.of(data))
    }

    /// Findings name repository paths, never the scratch copies a hook read.
    static func relabel(_ report: ValidationReport, _ names: [String: String]) -> ValidationReport {
        var out = report
        func fix(_ s: String) -> String { names.reduce(s) { $0.replacingOccurrences(of: $1.key, with: $1.value) } }
        out.findings = report.findings.map { f in
            var g = f
            g.message = fix(f.message)
            g.file = f.file.map(fix)
            g.examples = f.examples.map(fix)
            return g
        }
        return out
    }

    /// Reports of several files as one.
    static func merged(_ reports: [ValidationReport], validator: String, version: String) -> ValidationReport {
        var out = ValidationReport(validator: validator, version: version)
        for r in reports {
            out.findings += r.findings
            for (k, v) in r.counts { out.counts[k, default: 0] += v }
        }
        return out
    }

    /// A table that cannot be read (ragged rows, invalid UTF-8, an unclosed quote) fails the check, located.
    static func unreadable(_ error: TableReadError, as path: String) -> ValidationFinding {
        ValidationFinding(check: "unreadable-table", message: "\(path):\(error.line): \(error.message)", file: path, rows: [], count: 1)
    }

    func planSchema(_ entry: HookEntry, context: HookContext) throws -> HookPlan? {
        let pattern = try entry.string("path")!
        let paths = try trackedFiles(entry, key: "path", path: pattern, context: context)
        guard !paths.isEmpty else { return nil }
        let schemaFile = try configFile(entry, key: "schema")
        let validator: SchemaValidator
        do { validator = try SchemaValidator(schemaPath: schemaFile.path) } catch {
            throw LineageError.config(entry.error("schema", "\(error)"))
        }
        let drift = try entry.choice("drift", ["warn", "fail", "off"]) ?? "warn"
        // The hook's dialect/encoding, else the schema's resource description's, else RFC 4180 UTF-8.
        let layout = try entry.layout() ?? validator.schema.layout ?? TableLayout()
        let artifacts = try paths.map { try context.artifact($0) }
        var previous: [PathKey: (file: String, sha256: Digest)] = [:]
        if drift != "off" { for a in artifacts { previous[PathKey(a.path)] = try context.previousFile(a.path) } }
        var recorded = artifacts.map { CheckRecord.Artifact(path: $0.path, sha256: $0.sha256) }
        recorded += previous.map { CheckRecord.Artifact(path: $0.key.string, sha256: $0.value.sha256, role: "previous") }
        let configDigest = Digest.of(Array((entry.configDigest.hex + " " + schemaFile.digest.hex).utf8))
        return HookPlan(version: SchemaValidator.version, configDigest: configDigest, artifacts: recorded, reusable: true) {
            var reports: [ValidationReport] = []
            for a in artifacts {
                var report = try validator.validate(path: a.file, layout: layout, displayPath: a.path)
                // Drift against the previous committed version: both schemas inferred from the data.
                if let old = previous[PathKey(a.path)], let before = try? TableSchema.infer(path: old.file, layout: layout),
                   let now = try? TableSchema.infer(path: a.file, layout: layout) {
                    report.findings += SchemaDrift.compare(previous: before, current: now)
                        .findings(severity: drift == "fail" ? .fail : .warn, file: a.path)
                }
                reports.append(report)
            }
            return (Repository.merged(reports, validator: "schema", version: SchemaValidator.version), nil)
        }
    }

    func planLeakage(_ entry: HookEntry, context: HookContext) throws -> HookPlan? {
        let splits = try entry.stringMap("splits")!
        var options = LeakageOptions(key: try entry.strings("key"), columns: try entry.strings("columns"), label: try entry.string("label"),
                                     time: try entry.string("time"), caseFold: try entry.boolean("case-fold") ?? false,
                                     maxOverlap: try entry.integer("max-overlap") ?? 0)
        for (option, check) in [("max-key-overlap", "key-overlap"), ("max-temporal", "temporal-order"), ("max-target", "target-leakage")] {
            if let n = try entry.integer(option) { options.thresholds[check] = n }
        }
        options.layout = try entry.layout() ?? TableLayout()
        // Every split must be tracked: a file (table splits) or a directory (file splits).
        var members: [(name: String, path: String, files: [String])] = []
        for (name, path) in splits {
            let files = try trackedFiles(entry, key: "splits.\(name)", path: path, context: context)
            let isFile = files == [PathGlob(path).pattern]
            members.append((name, PathGlob(path).pattern, isFile ? [] : files))
        }
        if members.allSatisfy({ $0.files.isEmpty }) == false && members.contains(where: { $0.files.isEmpty }) {
            throw LineageError.config(entry.error("splits", "declare all splits as files (tables) or all as directories (compared file by file)"))
        }
        if let only = context.only, !members.contains(where: { m in only.contains(PathKey(m.path)) || m.files.contains { only.contains(PathKey($0)) } }) { return nil }
        let byFile = members.allSatisfy { !$0.files.isEmpty }
        var recorded: [CheckRecord.Artifact] = []
        if byFile {
            var fileSplits: [FileSplit] = []
            for m in members {
                let prefix = m.path + "/"
                let files = m.files.map { f in (path: String(f.dropFirst(prefix.count)), sha256: context.staged[PathKey(f)]!.sha256.hex) }
                fileSplits.append(FileSplit(name: m.name, path: m.path, files: files))
                recorded += m.files.map { CheckRecord.Artifact(path: $0, sha256: context.staged[PathKey($0)]!.sha256, role: m.name) }
            }
            return HookPlan(version: LeakageValidator.version, configDigest: entry.configDigest, artifacts: recorded, reusable: true) {
                (try LeakageValidator.validateFiles(splits: fileSplits, options: options), nil)
            }
        }
        let tables = try members.map { m in (name: m.name, artifact: try context.artifact(m.path)) }
        recorded = tables.map { CheckRecord.Artifact(path: $0.artifact.path, sha256: $0.artifact.sha256, role: $0.name) }
        return HookPlan(version: LeakageValidator.version, configDigest: entry.configDigest, artifacts: recorded, reusable: true) {
            let names = Dictionary(tables.map { ($0.artifact.file, $0.artifact.path) }, uniquingKeysWith: { a, _ in a })
            do {
                let report = try LeakageValidator.validate(splits: tables.map { ($0.name, $0.artifact.file) }, options: options)
                return (Repository.relabel(report, names), nil)
            } catch let e as TableReadError {
                var report = ValidationReport(validator: "leakage", version: LeakageValidator.version)
                report.findings = [Repository.unreadable(e, as: names[e.path] ?? e.path)]
                return (report, nil)
            } catch let e as MissingColumnError {
                throw LineageError.config(entry.error("splits", Repository.relabelText("\(e)", names)))
            } catch let e as LeakageError {
                throw LineageError.config(entry.error("splits", Repository.relabelText(e.message, names)))
            }
        }
    }

    static func relabelText(_ s: String, _ names: [String: String]) -> String {
        names.reduce(s) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
    }

    func planQuality(_ entry: HookEntry, context: HookContext) throws -> HookPlan? {
        var paths: Set<PathKey> = []
        for pattern in try entry.strings("path")! { paths.formUnion(try trackedFiles(entry, key: "path", path: pattern, context: context).map(PathKey.init)) }
        // Tables only: a glob over a folder may also catch READMEs and images.
        let tables = paths.filter { TableFormat.guess(path: $0.string) != nil }.sorted().map(\.string)
        guard !tables.isEmpty else { return nil }
        var options = QualityOptions(maxMissing: try entry.number("max-missing", in: 0...1), maxDuplicateRows: try entry.integer("max-duplicate-rows"),
                                     maxRowChange: try entry.number("max-row-change"),
                                     psiWarn: try entry.number("psi-warn") ?? QualityOptions.defaultPSIWarn,
                                     psiFail: try entry.number("psi-fail") ?? QualityOptions.defaultPSIFail,
                                     psiBins: try entry.integer("psi-bins", minimum: 2) ?? QualityOptions.defaultPSIBins)
        options.layout = try entry.layout() ?? TableLayout()
        let artifacts = try tables.map { try context.artifact($0) }
        var previous: [PathKey: (file: String, sha256: Digest)] = [:]
        for a in artifacts { previous[PathKey(a.path)] = try context.previousFile(a.path) }
        var recorded = artifacts.map { CheckRecord.Artifact(path: $0.path, sha256: $0.sha256) }
        recorded += previous.map { CheckRecord.Artifact(path: $0.key.string, sha256: $0.value.sha256, role: "previous") }
        return HookPlan(version: QualityValidator.version, configDigest: entry.configDigest, artifacts: recorded, reusable: true) {
            var reports: [ValidationReport] = []
            for a in artifacts {
                var names = [a.file: a.path]
                if let old = previous[PathKey(a.path)] { names[old.file] = a.path + " (previous version)" }
                do {
                    reports.append(Repository.relabel(try QualityValidator.validate(path: a.file, previous: previous[PathKey(a.path)]?.file, options: options), names))
                } catch let e as TableReadError {
                    reports.append(ValidationReport(validator: "quality", version: QualityValidator.version, findings: [Repository.unreadable(e, as: names[e.path] ?? a.path)]))
                }
            }
            return (Repository.merged(reports, validator: "quality", version: QualityValidator.version), nil)
        }
    }
}

extension Repository {
    func planPII(_ entry: HookEntry, context: HookContext) throws -> HookPlan? {
        var paths: Set<PathKey> = []
        for pattern in try entry.strings("path")! { paths.formUnion(try trackedFiles(entry, key: "path", path: pattern, context: context).map(PathKey.init)) }
        guard !paths.isEmpty else { return nil }
        let artifacts = try paths.sorted().map { try context.artifact($0.string) }
        // What each file's rights record declares is part of what is checked.
        let declared = artifacts.map { context.rightsRecord(for: $0.path)?.facts.pii }
        var digestText = entry.configDigest.hex
        for (a, d) in zip(artifacts, declared) { digestText += "\n\(a.path) " + (d.map { $0.joined(separator: ",") } ?? "-") }
        let configDigest = Digest.of(Array(digestText.utf8))
        var options = PIIOptions()
        options.layout = try entry.layout() ?? TableLayout()
        return HookPlan(version: PIIValidator.version, configDigest: configDigest,
                        artifacts: artifacts.map { CheckRecord.Artifact(path: $0.path, sha256: $0.sha256) }, reusable: true) {
            var reports: [ValidationReport] = []
            for (a, d) in zip(artifacts, declared) {
                do {
                    var scan = try PIIValidator.scan(path: a.file, options: options)
                    scan.path = a.path
                    var report = PIIValidator.report(scans: [scan], declared: d)
                    // Per file, so `audit` can tell which artifact holds which personal data.
                    for c in scan.categories { report.counts["\(c.rightsCategory)@\(a.path)"] = scan.count(c) }
                    reports.append(report)
                } catch let e as TableReadError {
                    reports.append(ValidationReport(validator: "pii", version: PIIValidator.version, findings: [Repository.unreadable(e, as: a.path)]))
                }
            }
            return (Repository.merged(reports, validator: "pii", version: PIIValidator.version), nil)
        }
    }

    static let consentHookVersion = "2"

    /// Audit findings that block the commit of an artifact whatever the hook's `path` says: data
    /// whose consent was withdrawn, whose retention passed, or whose licence or consent scope
    /// excludes the declared `use` — own or inherited through recorded runs.
    static let consentBlockingCodes: Set<AuditCode> = [.consentWithdrawn, .upstreamConsentWithdrawn, .retentionPassed,
                                                       .licenceIncompatibleWithUse, .consentScopeExcludesUse]
    /// Audit findings reported as warnings (they never block).
    static let consentWarningCodes: Set<AuditCode> = [.licenceUnclearForUse, .licenceConflict]

    /// The consent hook, on every artifact version this commit newly records (a run's outputs and
    /// inputs included), with effective rights: own records plus what flows in through recorded
    /// runs (and through the run being committed).
    ///
    /// - `require-rights: [kinds]` — an artifact of those kinds (restricted by `path`, when given)
    ///   needs rights: its own record, or inherited ones: built by recorded runs from data that all
    ///   has records. A derived dataset of a clean pipeline passes; a file added by hand does not.
    /// - Withdrawn consent, passed retention and (with `use:`) a licence or consent scope that
    ///   excludes the use block the commit of anything they reach, whatever `path` selects.
    /// - `allow: [{ finding: <code>, path: <glob>, reason: <text> }]` turns matching findings into
    ///   recorded warnings: the override is in lineage.yaml, which every commit records.
    func planConsent(_ entry: HookEntry, context: HookContext) throws -> HookPlan? {
        let kinds = Set(try entry.strings("require-rights") ?? [])
        let use = try entry.choice("use", DataUse.allCases.map(\.rawValue)).flatMap(DataUse.init(rawValue:))
        let overrides = try entry.consentOverrides()
        let today = CalendarDay.today()
        // What this commit newly records (or a run's outputs and inputs), as git's hooks look at staged changes.
        func newlyRecorded(_ path: PathKey) -> Bool {
            if let only = context.only { return only.contains(path) }
            return context.head[path]?.sha256 != context.staged[path]?.sha256
        }
        let recorded = context.staged.filter { newlyRecorded($0.key) }.sorted { $0.key < $1.key }
        let scoped: Set<PathKey>? = try entry.strings("path").map { patterns in
            var out: Set<PathKey> = []
            for pattern in patterns { out.formUnion(context.paths(matching: PathGlob(pattern)).map(PathKey.init)) }
            return out
        }
        // Effective rights: HEAD's runs and records (staged records over them), plus this run's edges.
        var graph = try context.rightsGraph ?? rightsGraph(includeStaged: true).graph
        for (path, pointer) in recorded {
            let ref = ArtifactRef(path: path.string, sha256: pointer.sha256)
            graph.kinds[ref] = pointer.kind
            if context.runOutputs.contains(path) { graph.inputs[ref] = context.runInputs }
        }
        var missing: [(path: String, kind: ArtifactKind)] = []
        var findings: [ValidationFinding] = []
        for (path, pointer) in recorded {
            let ref = ArtifactRef(path: path.string, sha256: pointer.sha256)
            let effective = graph.effective(ref)
            let inherits = !effective.inputs.isEmpty && effective.unrecorded.isEmpty
            if kinds.contains(pointer.kind.rawValue), scoped?.contains(path) ?? true, effective.own == nil, !inherits {
                missing.append((path.string, pointer.kind))
            }
            for f in RightsAudit.findings(effective, use: use, at: today) {
                // Licence and scope bind what is built from data; the source itself may be kept for other uses.
                if effective.inputs.isEmpty, [.licenceIncompatibleWithUse, .consentScopeExcludesUse, .licenceUnclearForUse].contains(f.code) { continue }
                let blocking = Repository.consentBlockingCodes.contains(f.code)
                guard blocking || Repository.consentWarningCodes.contains(f.code) else { continue }
                var finding = ValidationFinding(check: f.code.rawValue, severity: blocking ? .error : .warning, message: f.message, file: path.string)
                if blocking, let o = overrides.first(where: { $0.finding == f.code.rawValue && PathGlob($0.path).matches(path.string) }) {
                    finding.severity = .warning
                    finding.message += " — allowed by lineage.yaml:\(o.line) (\(o.reason))"
                }
                findings.append(finding)
            }
        }
        guard !recorded.isEmpty else { return nil }
        for m in missing {
            var finding = ValidationFinding(check: "no-rights-record",
                message: "\(m.path) is a \(m.kind.rawValue) with no rights record of its own and none it inherits through a recorded run, and lineage.yaml requires rights for \(kinds.sorted().joined(separator: ", ")) (option require-rights); record them with `lineage add \(m.path) --meta FILE` (or --license, --legal-basis, …), or produce it with `lineage run` from data that has them",
                file: m.path)
            if let o = overrides.first(where: { $0.finding == "no-rights-record" && PathGlob($0.path).matches(m.path) }) {
                finding.severity = .warning
                finding.message += " — allowed by lineage.yaml:\(o.line) (\(o.reason))"
            }
            findings.append(finding)
        }
        var digestText = entry.configDigest.hex + "\n" + today.description
        for f in findings { digestText += "\n\(f.check) \(f.severity.rawValue) \(f.file ?? "") \(f.message)" }
        for (path, pointer) in recorded { digestText += "\n\(path.string) \(pointer.sha256.hex)" }
        let configDigest = Digest.of(Array(digestText.utf8))
        let counts = ["artifacts": recorded.count, "withoutRights": missing.count,
                      "blocking": findings.filter { $0.severity == .error }.count, "allowed": findings.filter { $0.message.contains("allowed by lineage.yaml") }.count]
        return HookPlan(version: Repository.consentHookVersion, configDigest: configDigest,
                        artifacts: recorded.map { CheckRecord.Artifact(path: $0.key.string, sha256: $0.value.sha256) }
                            + context.runInputs.filter { r in !recorded.contains { $0.key == PathKey(r.path) } }
                                .map { CheckRecord.Artifact(path: $0.path, sha256: $0.sha256, role: "input") }, reusable: true) {
            var report = ValidationReport(validator: "consent", version: Repository.consentHookVersion, counts: counts)
            report.findings = findings
            return (report, nil)
        }
    }
}

extension HookEntry {
    /// The `allow:` overrides of a consent hook: each names a finding code, a path glob and a reason.
    func consentOverrides() throws -> [(finding: String, path: String, reason: String, line: Int)] {
        guard let value = value("allow") else { return [] }
        let example = "e.g. `allow: [{ finding: upstream-consent-withdrawn, path: \"models/**\", reason: \"DPO ticket 42\" }]`"
        guard case .list(let items, _) = value else { throw error("allow", "expected a list of overrides, \(example)") }
        let codes = Repository.consentBlockingCodes.map(\.rawValue) + ["no-rights-record"]
        return try items.map { item in
            guard case .map(let pairs, let line) = item else { throw error("allow", "expected a mapping with finding, path and reason, \(example)", line: item.line) }
            var fields: [String: String] = [:]
            for pair in pairs {
                guard ["finding", "path", "reason"].contains(pair.key) else {
                    throw error("allow.\(pair.key)", "unknown key; an override has finding, path and reason", line: pair.value.line)
                }
                guard case .scalar(let s, _) = pair.value, !s.isEmpty else { throw error("allow.\(pair.key)", "expected a text value", line: pair.value.line) }
                fields[pair.key] = s
            }
            guard let finding = fields["finding"], codes.contains(finding) else {
                throw error("allow", "an override names the finding it allows: one of \(codes.sorted().joined(separator: ", "))", line: line)
            }
            guard let path = fields["path"], let reason = fields["reason"] else {
                throw error("allow", "an override needs a path (glob) and a reason, so the decision is recorded — \(example)", line: line)
            }
            return (finding, path, reason, line)
        }
    }
}

/// A hook names a file that does not exist yet: it waits instead of blocking every commit.
struct HookWaiting: Error { let path: String }
