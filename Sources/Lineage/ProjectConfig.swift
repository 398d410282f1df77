import Foundation
import LineageCore
import LineageValidators
import Yams

/// A value of lineage.yaml with the line it was written on, so errors can point at it.
public indirect enum ConfigValue: Sendable, Equatable {
    case scalar(String, line: Int)
    case list([ConfigValue], line: Int)
    case map([ConfigPair], line: Int)

    public var line: Int {
        switch self { case .scalar(_, let l), .list(_, let l), .map(_, let l): return l }
    }

    public static func == (a: ConfigValue, b: ConfigValue) -> Bool {
        switch (a, b) {
        case let (.scalar(x, _), .scalar(y, _)): return x == y
        case let (.list(x, _), .list(y, _)): return x == y
        case let (.map(x, _), .map(y, _)): return x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
        default: return false
        }
    }

    /// As canonical JSON (scalars as strings), for digests of configuration.
    func json() -> Any {
        switch self {
        case .scalar(let s, _): return s
        case .list(let items, _): return items.map { $0.json() }
        case .map(let pairs, _): return Dictionary(pairs.map { ($0.key, $0.value.json()) }, uniquingKeysWith: { a, _ in a })
        }
    }

    init(_ node: Node, file: String) throws {
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar(let s):
            self = .scalar(s.string, line: line)
        case .sequence(let seq):
            self = .list(try seq.map { try ConfigValue($0, file: file) }, line: line)
        case .mapping(let m):
            var pairs: [ConfigPair] = []
            var seen: Set<String> = []
            for (k, v) in m {
                guard case .scalar(let key) = k else {
                    throw ConfigError(file: file, line: k.mark?.line ?? line, key: "", message: "keys must be plain words")
                }
                guard seen.insert(key.string).inserted else {
                    throw ConfigError(file: file, line: k.mark?.line ?? line, key: key.string, message: "is given twice")
                }
                pairs.append(ConfigPair(key: key.string, value: try ConfigValue(v, file: file), keyLine: key.mark?.line ?? line))
            }
            self = .map(pairs, line: line)
        case .alias:
            throw ConfigError(file: file, line: line, key: "", message: "YAML aliases are not supported; write the value out")
        }
    }
}

/// One `key: value` of a mapping, with the line of the key.
public struct ConfigPair: Sendable, Equatable {
    public var key: String
    public var value: ConfigValue
    public var keyLine: Int
}

/// A mistake in lineage.yaml, located by line and key path.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    /// Dotted path of the key, e.g. `hooks.pre-commit[2].schema.drift`.
    public var key: String
    public var message: String

    public var description: String {
        let at = line > 0 ? "\(file):\(line)" : file
        return key.isEmpty ? "\(at): \(message)" : "\(at): \(key): \(message)"
    }
}

/// One hook of lineage.yaml: a built-in validator or a command, with its options.
public struct HookEntry: Sendable, Equatable {
    public var validator: String
    public var options: [ConfigPair]
    public var line: Int
    /// Position in its stage's list (0-based).
    public var index: Int
    /// Dotted key path of the entry, for messages.
    public var keyPath: String

    public static func == (a: HookEntry, b: HookEntry) -> Bool {
        a.validator == b.validator && a.index == b.index && ConfigValue.map(a.options, line: 0) == ConfigValue.map(b.options, line: 0)
    }

    /// SHA-256 of the entry as canonical JSON: what a check record names as its configuration.
    public var configDigest: Digest {
        let json: [String: Any] = [validator: ConfigValue.map(options, line: 0).json()]
        let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Digest.of(data)
    }

    func value(_ key: String) -> ConfigValue? { options.first { $0.key == key }?.value }

    /// Checks every option's type at load time, so a mistake is reported before any hook runs.
    func checkOptionTypes() throws {
        for option in options {
            switch option.key {
            case "path", "key", "columns", "args", "require-rights": _ = try strings(option.key)
            case "schema", "run", "label", "time": _ = try string(option.key)
            case "splits":
                let splits = try stringMap(option.key) ?? []
                if splits.count < 2 { throw error(option.key, "name at least two splits, e.g. `{ train: data/train.csv, test: data/test.csv }`") }
            case "drift": _ = try choice(option.key, ["warn", "fail", "off"])
            case "use": _ = try choice(option.key, DataUse.allCases.map(\.rawValue))
            case "case-fold": _ = try boolean(option.key)
            case "max-missing": _ = try number(option.key, in: 0...1)
            case "max-row-change", "psi-warn", "psi-fail": _ = try number(option.key, in: 0...Double.greatestFiniteMagnitude)
            case "max-overlap", "max-key-overlap", "max-temporal", "max-target", "max-duplicate-rows": _ = try integer(option.key)
            case "psi-bins":
                if let n = try integer(option.key, minimum: 2), n > 1_000 { throw error(option.key, "expected a whole number between 2 and 1000, not '\(n)'") }
            case "timeout": _ = try seconds(option.key)
            case "dialect", "encoding": _ = try layout()
            default: break
            }
        }
        if validator == "consent" { _ = try consentOverrides() }
        if validator == "consent", let kinds = try strings("require-rights") {
            for kind in kinds where ArtifactKind(rawValue: kind) == nil {
                throw error("require-rights", "unknown artifact kind '\(kind)'; kinds are \(ArtifactKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
    }
}

/// lineage.yaml: hooks and policy, at the root of the working directory, recorded in every commit.
public struct ProjectConfig: Sendable, Equatable {
    public static let fileName = "lineage.yaml"
    /// Where a commit records the lineage.yaml it was made under (below `.lineage/`).
    public static let recordPath = "lineage.yaml"

    public var preCommit: [HookEntry] = []
    /// `run: { require-clean-code: true }`: `lineage run` refuses a dirty code tree or none.
    public var requireCleanCode = false
    /// `stages:`, the pipeline `lineage repro` runs, in file order.
    public var pipeline: [StageDefinition] = []
    /// The file's bytes (empty when there is none).
    public var bytes: [UInt8] = []

    public init() {}

    /// The stages lineage runs.
    public static let stages = ["pre-commit"]

    /// Options each built-in hook takes: name → required?
    public static let hookOptions: [String: [String: Bool]] = [
        "schema": ["path": true, "schema": true, "drift": false, "dialect": false, "encoding": false],
        "leakage": ["splits": true, "key": false, "columns": false, "label": false, "time": false, "case-fold": false,
                    "max-overlap": false, "max-key-overlap": false, "max-temporal": false, "max-target": false,
                    "dialect": false, "encoding": false],
        "quality": ["path": true, "max-missing": false, "max-duplicate-rows": false, "max-row-change": false,
                    "psi-warn": false, "psi-fail": false, "psi-bins": false, "dialect": false, "encoding": false],
        "pii": ["path": true, "dialect": false, "encoding": false],
        "consent": ["require-rights": false, "path": false, "use": false, "allow": false],
        "command": ["run": true, "args": false, "timeout": false, "path": false],
    ]

    /// Reads `root/lineage.yaml`; no file means no hooks.
    public static func load(root: String) throws -> ProjectConfig {
        let path = root + "/" + fileName
        let bytes: [UInt8]?
        do { bytes = try BoundedYAML.read(path: path) } catch let e as YAMLLimitError {
            throw ConfigError(file: fileName, line: e.line ?? 0, key: "", message: e.message)
        }
        guard let bytes else { return ProjectConfig() }
        return try parse(bytes, file: fileName)
    }

    public static func parse(_ bytes: [UInt8], file: String = fileName) throws -> ProjectConfig {
        var config = ProjectConfig()
        config.bytes = bytes
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(file: file, line: 0, key: "", message: "is not valid UTF-8")
        }
        let node: Node?
        do { node = try BoundedYAML.compose(text) } catch let error as YamlError {
            throw ConfigError(file: file, line: yamlLine(error), key: "", message: "is not valid YAML: \(yamlProblem(error))")
        } catch let error as YAMLLimitError {
            throw ConfigError(file: file, line: error.line ?? 0, key: "", message: error.message)
        }
        guard let node else { return config }
        let root = try ConfigValue(node, file: file)
        guard case .map(let top, _) = root else {
            throw ConfigError(file: file, line: root.line, key: "", message: "must be a mapping with `hooks:`, `run:` or `stages:` keys")
        }
        for pair in top {
            let (key, value) = (pair.key, pair.value)
            switch key {
            case "hooks":
                guard case .map(let stages, _) = value else {
                    throw ConfigError(file: file, line: value.line, key: "hooks", message: "must be a mapping of stages, e.g. `pre-commit:`")
                }
                for stagePair in stages {
                    let (stage, list) = (stagePair.key, stagePair.value)
                    guard ProjectConfig.stages.contains(stage) else {
                        throw ConfigError(file: file, line: stagePair.keyLine, key: "hooks.\(stage)",
                                          message: "unknown hook stage" + suggest(stage, ProjectConfig.stages) + "; lineage runs: \(ProjectConfig.stages.joined(separator: ", "))")
                    }
                    config.preCommit = try parseHooks(list, stage: stage, file: file)
                }
            case "run":
                guard case .map(let options, _) = value else {
                    throw ConfigError(file: file, line: value.line, key: "run", message: "must be a mapping, e.g. `run: { require-clean-code: true }`")
                }
                for option in options {
                    guard option.key == "require-clean-code" else {
                        throw ConfigError(file: file, line: option.keyLine, key: "run.\(option.key)", message: "unknown option" + suggest(option.key, ["require-clean-code"]) + "; run takes: require-clean-code")
                    }
                    guard case .scalar(let s, _) = option.value, ["true", "false"].contains(s) else {
                        throw ConfigError(file: file, line: option.value.line, key: "run.require-clean-code", message: "expected true or false")
                    }
                    config.requireCleanCode = s == "true"
                }
            case "stages":
                config.pipeline = try parseStages(value, file: file)
            default:
                throw ConfigError(file: file, line: pair.keyLine, key: key, message: "unknown key" + suggest(key, ["hooks", "run", "stages"]) + "; lineage.yaml has `hooks:`, `run:` and `stages:`")
            }
        }
        return config
    }

    private static func parseHooks(_ value: ConfigValue, stage: String, file: String) throws -> [HookEntry] {
        if case .scalar(let s, _) = value, s.isEmpty { return [] }
        guard case .list(let items, _) = value else {
            throw ConfigError(file: file, line: value.line, key: "hooks.\(stage)", message: "must be a list of hooks (lines starting with `- `)")
        }
        var hooks: [HookEntry] = []
        for (i, item) in items.enumerated() {
            let path = "hooks.\(stage)[\(i)]"
            guard case .map(let pairs, _) = item, pairs.count == 1, let name = pairs.first?.key, let options = pairs.first?.value else {
                throw ConfigError(file: file, line: item.line, key: path,
                                  message: "each hook is one `name: { options }` entry, e.g. `- schema: { path: data/train.csv, schema: train.schema.json }`")
            }
            guard let spec = hookOptions[name] else {
                throw ConfigError(file: file, line: item.line, key: path,
                                  message: "unknown validator '\(name)'" + suggest(name, Array(hookOptions.keys)) + "; known: \(hookOptions.keys.sorted().joined(separator: ", "))")
            }
            var opts: [ConfigPair] = []
            switch options {
            case .map(let p, _): opts = p
            case .scalar(let s, _) where s.isEmpty: opts = []
            default:
                throw ConfigError(file: file, line: options.line, key: "\(path).\(name)", message: "options must be a mapping, e.g. `{ path: data/x.csv }`")
            }
            for option in opts where spec[option.key] == nil {
                let key = option.key
                throw ConfigError(file: file, line: option.keyLine, key: "\(path).\(name).\(key)",
                                  message: "unknown option" + suggest(key, Array(spec.keys)) + "; \(name) takes: \(spec.keys.sorted().joined(separator: ", "))")
            }
            for (key, required) in spec.sorted(by: { $0.key < $1.key }) where required && !opts.contains(where: { $0.key == key }) {
                throw ConfigError(file: file, line: item.line, key: "\(path).\(name)", message: "the option `\(key)` is required")
            }
            let entry = HookEntry(validator: name, options: opts, line: item.line, index: i, keyPath: "\(path).\(name)")
            try entry.checkOptionTypes()
            hooks.append(entry)
        }
        return hooks
    }

    private static func suggest(_ word: String, _ among: [String]) -> String {
        let c = closest(word, among: among)
        return c.isEmpty ? "" : " (did you mean '\(c[0])'?)"
    }

    private static func yamlLine(_ error: YamlError) -> Int {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): return mark.line
        default: return 0
        }
    }

    private static func yamlProblem(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, _, _), let .parser(context, problem, _, _), let .composer(context, problem, _, _):
            return (context.map { "\($0.text) " } ?? "") + problem
        default: return "\(error)"
        }
    }
}

// MARK: - Typed option access

extension HookEntry {
    func error(_ key: String, _ message: String, line: Int? = nil) -> ConfigError {
        ConfigError(file: ProjectConfig.fileName, line: line ?? value(key)?.line ?? self.line, key: "\(keyPath).\(key)", message: message)
    }

    func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard case .scalar(let s, _) = v, !s.isEmpty else { throw error(key, "expected a non-empty text value") }
        return s
    }

    /// A string or a list of strings.
    func strings(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        switch v {
        case .scalar(let s, _) where !s.isEmpty: return [s]
        case .list(let items, _):
            return try items.map { item in
                guard case .scalar(let s, _) = item, !s.isEmpty else { throw error(key, "expected a list of text values", line: item.line) }
                return s
            }
        default: throw error(key, "expected a text value or a list of them")
        }
    }

    func stringMap(_ key: String) throws -> [(key: String, value: String)]? {
        guard let v = value(key) else { return nil }
        guard case .map(let pairs, _) = v else { throw error(key, "expected a mapping, e.g. `{ train: data/train.csv, test: data/test.csv }`") }
        return try pairs.map { pair in
            guard case .scalar(let s, _) = pair.value, !s.isEmpty else { throw error("\(key).\(pair.key)", "expected a path", line: pair.value.line) }
            return (pair.key, s)
        }
    }

    func number(_ key: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws -> Double? {
        guard let s = try string(key) else { return nil }
        guard let d = Double(s), d.isFinite, range.contains(d) else {
            let bounds = range.lowerBound > -1e300 ? " between \(range.lowerBound) and \(range.upperBound)" : ""
            throw error(key, "expected a number\(bounds), not '\(s)'")
        }
        return d
    }

    func integer(_ key: String, minimum: Int = 0) throws -> Int? {
        guard let s = try string(key) else { return nil }
        guard let n = Int(s), n >= minimum else { throw error(key, "expected a whole number ≥ \(minimum), not '\(s)'") }
        return n
    }

    func boolean(_ key: String) throws -> Bool? {
        guard let s = try string(key) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "expected true or false, not '\(s)'")
        }
    }

    func choice(_ key: String, _ allowed: [String]) throws -> String? {
        guard let s = try string(key) else { return nil }
        guard allowed.contains(s) else { throw error(key, "expected one of \(allowed.joined(separator: ", ")), not '\(s)'") }
        return s
    }

    /// The table layout the `dialect:` and `encoding:` options declare for the hook's files; nil
    /// when neither is given (a schema hook then uses its schema's resource description).
    func layout() throws -> TableLayout? {
        let dialectValue = value("dialect"), encodingValue = value("encoding")
        if dialectValue == nil && encodingValue == nil { return nil }
        var layout = TableLayout()
        if let dialectValue {
            guard case .map(let pairs, _) = dialectValue else {
                throw error("dialect", "expected a mapping, e.g. `{ delimiter: \";\", commentChar: \"#\" }` (quote the characters)")
            }
            func raw(_ v: ConfigValue) -> TableDialect.Value {
                switch v {
                case .scalar(let s, _): return .text(s)
                case .list(let items, _): return .list(items.map(raw))
                case .map: return .text("{…}")
                }
            }
            do { layout.dialect = try TableDialect(description: pairs.map { ($0.key, raw($0.value)) }) } catch let e as TableDialectError {
                let line = pairs.first { $0.key == e.key }?.keyLine
                throw error("dialect", "\(e.key): \(e.message)", line: line)
            }
        }
        if encodingValue != nil, let name = try string("encoding") {
            do { layout.encoding = try TableEncoding(name: name) } catch let e as TableDialectError { throw error("encoding", e.message) }
        }
        return layout
    }

    /// Duration in seconds: `60`, `90s`, `2m`.
    func seconds(_ key: String) throws -> Double? {
        guard var s = try string(key) else { return nil }
        var scale = 1.0
        if s.hasSuffix("ms") { scale = 0.001; s.removeLast(2) } else if s.hasSuffix("s") { s.removeLast() } else if s.hasSuffix("m") { scale = 60; s.removeLast() }
        guard let d = Double(s), d > 0, d.isFinite else { throw error(key, "expected a duration in seconds, e.g. 60 or 2m") }
        return d * scale
    }
}
