import Foundation
import LineageCore

/// A path a stage of lineage.yaml names (a dependency, an output or a metrics file), with its line.
public struct StagePath: Sendable, Equatable {
    /// Relative to the working directory root, normalized (`data/x.csv`).
    public var path: String
    public var line: Int
}

/// A parameter a stage declares: a dotted key (`train.lr`, or a whole section `train`) of a params file.
public struct StageParam: Sendable, Equatable {
    public var file: String
    public var key: String
    public var line: Int
}

/// One stage of lineage.yaml's `stages:` — what `lineage repro` runs as a recorded run.
public struct StageDefinition: Sendable, Equatable {
    public var name: String
    /// Line of the stage's name.
    public var line: Int
    /// The shell command, before `${…}` interpolation.
    public var cmd: String
    public var cmdLine: Int
    public var deps: [StagePath] = []
    public var params: [StageParam] = []
    public var outs: [StagePath] = []
    /// Metrics files: outputs too, read after the command ran and stored in the run record.
    public var metrics: [StagePath] = []

    /// Everything the stage writes: its outs, then its metrics files.
    public var outputs: [StagePath] { outs + metrics }

    /// The `${key}` references of `cmd`, in order, with duplicates.
    public var interpolatedKeys: [String] { (try? StageDefinition.interpolation(cmd).keys) ?? [] }

    /// Splits `cmd` into literal text and `${key}` references; `$$` is not special (the shell sees it).
    static func interpolation(_ cmd: String) throws -> (parts: [Either], keys: [String]) {
        var parts: [Either] = []
        var keys: [String] = []
        var rest = Substring(cmd)
        while let start = rest.range(of: "${") {
            parts.append(.text(String(rest[..<start.lowerBound])))
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw InterpolationError(message: "`${` is not closed by `}`")
            }
            let key = rest[start.upperBound..<end].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
                throw InterpolationError(message: "`${\(rest[start.upperBound..<end])}` is not a parameter key (letters, digits, _ - and dots, e.g. ${train.lr})")
            }
            parts.append(.key(key)); keys.append(key)
            rest = rest[rest.index(after: end)...]
        }
        parts.append(.text(String(rest)))
        return (parts, keys)
    }

    enum Either { case text(String), key(String) }
    struct InterpolationError: Error { var message: String }
}

extension ProjectConfig {
    /// The params file a stage reads when it names keys without a file (as DVC's).
    public static let defaultParamsFile = "params.yaml"
    static let stageKeys = ["cmd", "deps", "params", "outs", "metrics"]

    /// Parses `stages:`: a mapping of stage name → `{ cmd, deps, params, outs, metrics }`, then checks
    /// the graph: no output declared twice (or below another stage's output), no output that is also
    /// a dependency of its own stage, no cycle. Paths and params files are checked against the disk
    /// only by the pipeline verbs (`Pipeline.load`), so a half-written pipeline never blocks a commit.
    static func parseStages(_ value: ConfigValue, file: String) throws -> [StageDefinition] {
        if case .scalar(let s, _) = value, s.isEmpty { return [] }
        guard case .map(let pairs, _) = value else {
            throw ConfigError(file: file, line: value.line, key: "stages",
                              message: "must be a mapping of stage names, e.g. `stages:\\n  train:\\n    cmd: python train.py`")
        }
        var stages: [StageDefinition] = []
        for pair in pairs {
            let name = pair.key
            let path = "stages.\(name)"
            guard !name.isEmpty, name.utf8.count <= 100, name.first!.isLetter || name.first!.isNumber,
                  name.allSatisfy({ ($0.isLetter || $0.isNumber || "_-.".contains($0)) && $0.isASCII }) else {
                throw ConfigError(file: file, line: pair.keyLine, key: path,
                                  message: "a stage name is ASCII letters, digits, _ - and dots, starting with a letter or digit (at most 100)")
            }
            guard case .map(let fields, let line) = pair.value else {
                throw ConfigError(file: file, line: pair.value.line, key: path, message: "must be a mapping with `cmd:`, `deps:`, `params:`, `outs:` and `metrics:`")
            }
            var stage = StageDefinition(name: name, line: pair.keyLine, cmd: "", cmdLine: line)
            var sawCmd = false
            for field in fields {
                let key = "\(path).\(field.key)"
                switch field.key {
                case "cmd":
                    guard case .scalar(let s, let l) = field.value, !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                        throw ConfigError(file: file, line: field.value.line, key: key, message: "expected the command as one line of text, e.g. `cmd: python train.py`")
                    }
                    do { _ = try StageDefinition.interpolation(s) } catch let e as StageDefinition.InterpolationError {
                        throw ConfigError(file: file, line: l, key: key, message: e.message)
                    }
                    stage.cmd = s; stage.cmdLine = l; sawCmd = true
                case "deps": stage.deps = try stagePaths(field.value, key: key, file: file)
                case "outs": stage.outs = try stagePaths(field.value, key: key, file: file)
                case "metrics": stage.metrics = try stagePaths(field.value, key: key, file: file)
                case "params": stage.params = try stageParams(field.value, key: key, file: file)
                default:
                    throw ConfigError(file: file, line: field.keyLine, key: key,
                                      message: "unknown key" + suggestion(field.key, stageKeys) + "; a stage has: \(stageKeys.joined(separator: ", "))")
                }
            }
            guard sawCmd else { throw ConfigError(file: file, line: pair.keyLine, key: path, message: "the key `cmd:` is required (the command the stage runs)") }
            guard !stage.outputs.isEmpty else {
                throw ConfigError(file: file, line: pair.keyLine, key: path,
                                  message: "a stage records what its command produces: declare its files under `outs:` (or `metrics:`)")
            }
            stages.append(stage)
        }
        try checkStageGraph(stages, file: file)
        return stages
    }

    private static func stagePaths(_ value: ConfigValue, key: String, file: String) throws -> [StagePath] {
        let items: [ConfigValue]
        switch value {
        case .list(let l, _): items = l
        case .scalar(let s, _) where !s.isEmpty: items = [value]
        case .scalar: return []
        case .map: throw ConfigError(file: file, line: value.line, key: key, message: "expected a list of paths, e.g. `[data/train.csv, train.py]`")
        }
        var out: [StagePath] = []
        for item in items {
            guard case .scalar(let raw, let line) = item, !raw.isEmpty else {
                throw ConfigError(file: file, line: item.line, key: key, message: "expected a path (text), not a list or mapping")
            }
            let path = String(lexicallyNormalized("/" + raw).dropFirst())
            guard !raw.hasPrefix("/"), !raw.split(separator: "/").contains(".."), !path.isEmpty else {
                throw ConfigError(file: file, line: line, key: key, message: "'\(raw)' must be a path inside the working directory, relative to it (no leading / and no ..)")
            }
            if let first = path.split(separator: "/").first, first == ".lineage" || first == ".git" {
                throw ConfigError(file: file, line: line, key: key, message: "'\(raw)' is inside \(first), which lineage manages itself")
            }
            do { _ = try TrackedPath(path) } catch {
                throw ConfigError(file: file, line: line, key: key, message: "'\(raw)' cannot be a tracked path: \(error)")
            }
            if out.contains(where: { $0.path == path }) { throw ConfigError(file: file, line: line, key: key, message: "'\(raw)' is listed twice") }
            out.append(StagePath(path: path, line: line))
        }
        return out
    }

    /// `params: [a.b, c]` (keys of params.yaml), `params: { file.yaml: [keys] }`, or a list mixing
    /// keys and `- file.yaml: [keys]` entries.
    private static func stageParams(_ value: ConfigValue, key: String, file: String) throws -> [StageParam] {
        var out: [StageParam] = []
        func add(file paramsFile: String, _ keys: ConfigValue) throws {
            let fileKey = "\(key).\(paramsFile)"
            let list: [ConfigValue]
            switch keys {
            case .list(let l, _): list = l
            case .scalar(let s, _) where !s.isEmpty: list = [keys]
            default: throw ConfigError(file: file, line: keys.line, key: fileKey, message: "expected a list of parameter keys, e.g. `[train.lr, train.epochs]`")
            }
            let ext = (paramsFile as NSString).pathExtension.lowercased()
            guard ["yaml", "yml", "json", "toml"].contains(ext) else {
                throw ConfigError(file: file, line: keys.line, key: fileKey, message: "'\(paramsFile)' is not a params file lineage reads (YAML, JSON or TOML, by its extension)")
            }
            let normalized = String(lexicallyNormalized("/" + paramsFile).dropFirst())
            guard !paramsFile.hasPrefix("/"), !paramsFile.split(separator: "/").contains(".."), !normalized.isEmpty else {
                throw ConfigError(file: file, line: keys.line, key: fileKey, message: "'\(paramsFile)' must be a path inside the working directory, relative to it")
            }
            for item in list {
                guard case .scalar(let k, let line) = item, !k.isEmpty,
                      k.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }), !k.hasPrefix("."), !k.hasSuffix("."), !k.contains("..") else {
                    throw ConfigError(file: file, line: item.line, key: fileKey, message: "expected a parameter key such as `train.lr` (letters, digits, _ - and dots)")
                }
                if out.contains(where: { $0.file == normalized && $0.key == k }) {
                    throw ConfigError(file: file, line: line, key: fileKey, message: "the parameter '\(k)' is listed twice")
                }
                out.append(StageParam(file: normalized, key: k, line: line))
            }
        }
        switch value {
        case .scalar(let s, _) where s.isEmpty: return []
        case .scalar: try add(file: defaultParamsFile, value)
        case .map(let pairs, _): for p in pairs { try add(file: p.key, p.value) }
        case .list(let items, _):
            for item in items {
                switch item {
                case .scalar: try add(file: defaultParamsFile, item)
                case .map(let pairs, _): for p in pairs { try add(file: p.key, p.value) }
                case .list: throw ConfigError(file: file, line: item.line, key: key, message: "expected a parameter key or `params-file.yaml: [keys]`")
                }
            }
        }
        return out
    }

    /// Outputs declared twice, an output that is its own stage's dependency, and cycles: errors
    /// naming the stages, the paths and the lines.
    private static func checkStageGraph(_ stages: [StageDefinition], file: String) throws {
        var seen: [(stage: String, out: StagePath)] = []
        for stage in stages {
            for out in stage.outputs {
                if let other = seen.first(where: { out.path.isPath(within: $0.out.path) || $0.out.path.isPath(within: out.path) }) {
                    let what = other.out.path == out.path ? "'\(out.path)'" : "'\(out.path)' (overlapping '\(other.out.path)')"
                    throw ConfigError(file: file, line: out.line, key: "stages.\(stage.name)",
                                      message: "\(what) is an output of both stage '\(other.stage)' (line \(other.out.line)) and stage '\(stage.name)'; each file has one stage that makes it — remove it from one of them")
                }
                if let dep = stage.deps.first(where: { out.path.isPath(within: $0.path) || $0.path.isPath(within: out.path) }) {
                    throw ConfigError(file: file, line: dep.line, key: "stages.\(stage.name)",
                                      message: "'\(dep.path)' is both a dependency and an output of stage '\(stage.name)' (output on line \(out.line)); a stage may not overwrite what it reads — write to a new path")
                }
                seen.append((stage.name, out))
            }
        }
        let graph = StageGraph(stages)
        if let cycle = graph.cycle() {
            let first = stages.first { $0.name == cycle[0] }!
            let links = zip(cycle, cycle.dropFirst() + [cycle[0]]).map { a, b in
                "'\(b)' depends on '\(a)' through \(graph.linkingPaths(from: a, to: b).map { "'\($0)'" }.joined(separator: ", "))"
            }
            throw ConfigError(file: file, line: first.line, key: "stages.\(first.name)",
                              message: "the stages form a cycle: \(links.joined(separator: "; ")) — a stage cannot depend, even indirectly, on its own outputs")
        }
    }

    static func suggestion(_ word: String, _ among: [String]) -> String {
        let c = closest(word, among: among)
        return c.isEmpty ? "" : " (did you mean '\(c[0])'?)"
    }
}

/// Which stage feeds which: stage B follows stage A when a dependency of B is an output of A (or
/// lies below it, or holds it).
public struct StageGraph: Sendable {
    public let stages: [StageDefinition]
    /// For each stage (by index), the stages it depends on (indices, ascending).
    public let upstream: [[Int]]
    private let index: [String: Int]

    public init(_ stages: [StageDefinition]) {
        self.stages = stages
        var index: [String: Int] = [:]
        for (i, s) in stages.enumerated() { index[s.name] = i }
        self.index = index
        upstream = stages.map { stage in
            stages.indices.filter { j in
                stages[j].name != stage.name && stage.deps.contains { d in stages[j].outputs.contains { o in d.path.isPath(within: o.path) || o.path.isPath(within: d.path) } }
            }
        }
    }

    public func stage(_ name: String) -> StageDefinition? { index[name].map { stages[$0] } }
    public func position(_ name: String) -> Int? { index[name] }

    /// Stages that depend directly on stage `i`.
    public func downstream(_ i: Int) -> [Int] { stages.indices.filter { upstream[$0].contains(i) } }

    /// The paths through which `to` reads what `from` writes.
    public func linkingPaths(from: String, to: String) -> [String] {
        guard let a = stage(from), let b = stage(to) else { return [] }
        return b.deps.filter { d in a.outputs.contains { o in d.path.isPath(within: o.path) || o.path.isPath(within: d.path) } }.map(\.path)
    }

    /// A cycle as stage names in dependency order (each depends on the one before it), or nil.
    func cycle() -> [String]? {
        var state = [UInt8](repeating: 0, count: stages.count)  // 0 new, 1 on the stack, 2 done
        var stack: [Int] = []
        func visit(_ i: Int) -> [Int]? {
            state[i] = 1; stack.append(i)
            for u in upstream[i] {
                if state[u] == 1 { return Array(stack[stack.lastIndex(of: u)!...]) }
                if state[u] == 0, let c = visit(u) { return c }
            }
            state[i] = 2; stack.removeLast()
            return nil
        }
        for i in stages.indices where state[i] == 0 {
            // The stack lists each stage before the one it depends on: reversed, each depends on the one before it.
            if let c = visit(i) { return c.reversed().map { stages[$0].name } }
        }
        return nil
    }

    /// Stage indices in dependency order (every stage after those it depends on; ties in file order).
    public func order() -> [Int] {
        var done = [Bool](repeating: false, count: stages.count)
        var out: [Int] = []
        func visit(_ i: Int) {
            guard !done[i] else { return }
            done[i] = true
            for u in upstream[i] { visit(u) }
            out.append(i)
        }
        for i in stages.indices { visit(i) }
        return out
    }

    /// The named stages and everything they depend on, in dependency order.
    public func closure(of names: [Int]) -> [Int] {
        var wanted = Set<Int>()
        func visit(_ i: Int) { if wanted.insert(i).inserted { upstream[i].forEach(visit) } }
        names.forEach(visit)
        return order().filter(wanted.contains)
    }
}
