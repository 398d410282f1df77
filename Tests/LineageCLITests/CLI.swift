import Foundation
import LineageTestSupport
import Testing

/// Runs the built `lineage` binary as a subprocess on scratch directories.
enum CLI {
    /// The binary next to the test bundle (`.build/<triple>/debug/lineage`), or `$LINEAGE_BIN`.
    static let binary: String = {
        if let env = ProcessInfo.processInfo.environment["LINEAGE_BIN"] { return env }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("lineage").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/lineage").path
        return fallback
    }()

    /// One scratch XDG config directory per test process: the user's lineage signing key lives there.
    static let configHome: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-test-config-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    struct Result {
        let code: Int32
        let outData: Data
        let err: String
        /// Decoded only when asked: binary output (e.g. `cat`) stays bytes.
        var out: String { String(decoding: outData, as: UTF8.self) }
    }

    @discardableResult
    static func run(_ args: [String], in dir: String, env extra: [String: String] = [:], executable: String? = nil,
                    prefix: [String] = []) throws -> Result {
        let p = Process()
        let exe = executable ?? binary
        if prefix.isEmpty {
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = args
        } else {
            p.executableURL = URL(fileURLWithPath: prefix[0])
            p.arguments = Array(prefix.dropFirst()) + [exe] + args
        }
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        // Keys made by `lineage init` go to a scratch config directory, never the real ~/.config.
        env["XDG_CONFIG_HOME"] = CLI.configHome
        for (k, v) in extra { env[k] = v }
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        let (status, outData, errData) = try ChildOutput.run(p)
        return Result(code: status, outData: outData, err: String(decoding: errData, as: UTF8.self))
    }

    /// Runs any program (git, sha256sum, python3) and returns its result.
    @discardableResult
    static func tool(_ path: String, _ args: [String], in dir: String, env: [String: String] = [:]) throws -> Result {
        try run(args, in: dir, env: env, executable: path)
    }
}

/// A fresh scratch project directory with a lineage repository and an identity.
struct Project {
    let dir: String

    init(initialize: Bool = true) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        dir = base
        if initialize {
            try expectOK(["init"])
            try expectOK(["config", "user.name", "Test User"])
            try expectOK(["config", "user.email", "test@example.org"])
        }
    }

    @discardableResult
    func run(_ args: String...) throws -> CLI.Result { try CLI.run(args, in: dir) }

    @discardableResult
    func run(_ args: [String], env: [String: String] = [:]) throws -> CLI.Result { try CLI.run(args, in: dir, env: env) }

    @discardableResult
    func expectOK(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CLI.Result {
        let r = try CLI.run(args, in: dir)
        #expect(r.code == 0, "lineage \(args.joined(separator: " ")) failed (\(r.code)): \(r.err)", sourceLocation: sourceLocation)
        return r
    }

    func git(_ args: String...) throws -> CLI.Result {
        try CLI.tool("/usr/bin/git", ["--git-dir", dir + "/.lineage"] + args, in: dir)
    }

    func write(_ path: String, _ text: String) throws { try write(path, Data(text.utf8)) }

    func write(_ path: String, _ data: Data) throws {
        let url = URL(fileURLWithPath: dir + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    func read(_ path: String) -> Data? { FileManager.default.contents(atPath: dir + "/" + path) }

    /// A snapshot of every file under `.lineage` (path → bytes), to prove a failed command changed nothing.
    func snapshot() throws -> [String: Data] {
        var out: [String: Data] = [:]
        let root = dir + "/.lineage"
        let e = FileManager.default.enumerator(atPath: root)!
        while let rel = e.nextObject() as? String {
            if rel.hasPrefix("index.sqlite") || rel == "lock" { continue }  // derived cache and the lock file itself
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = FileManager.default.contents(atPath: root + "/" + rel)
            }
        }
        return out
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    /// A commit as `git cat-file commit` shows it, split as `git verify-commit` splits it: the
    /// signed bytes (the object without its gpgsig header) and the armored signature lines.
    func signedPayload(ofCommit commit: String) throws -> (payload: String, signature: [String]) {
        let raw = try git("cat-file", "commit", commit).out
        var payload: [String] = [], signature: [String] = []
        var inSignature = false
        for line in raw.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("gpgsig ") { inSignature = true; signature.append(String(line.dropFirst(7))); continue }
            if inSignature && line.hasPrefix(" ") { signature.append(String(line.dropFirst())); continue }
            inSignature = false
            payload.append(line)
        }
        return (payload.joined(separator: "\n"), signature)
    }
}

func randomData(_ count: Int, seed: UInt64) -> Data {
    var state = seed &+ 0x9E3779B97F4A7C15
    var bytes = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        withUnsafeBytes(of: state) { word in
            for b in word where i < count { bytes[i] = b; i += 1 }
        }
    }
    return Data(bytes)
}

/// Validates JSON text against one of Schemas/ with Python's jsonschema (installed by .ci/setup.sh).
func validateAgainstSchema(_ json: String, schema: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schemas").path
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("doc-\(UUID().uuidString).json").path
    try Data(json.utf8).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    let script = "import json,sys,jsonschema\ns=json.load(open(sys.argv[1]))\njsonschema.Draft202012Validator.check_schema(s)\njsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2])))\n"
    let r = try CLI.tool("/usr/bin/env", ["python3", "-c", script, schemas + "/" + schema, file], in: "/")
    #expect(r.code == 0, "\(schema): \(r.err)", sourceLocation: sourceLocation)
}
