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

    /// The fingerprint (`SHA256:...`) of the key `init` trusted, which `trust list` names first:
    /// the root commit's signer, what a teammate passes to `clone --trust-root`.
    func rootFingerprint() throws -> String {
        let list = try JSONSerialization.jsonObject(with: try expectOK(["trust", "list", "--json"]).outData) as? [String: Any]
        let keys = list?["keys"] as? [[String: Any]] ?? []
        return try #require(keys.first?["fingerprint"] as? String, "trust list names no key")
    }

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

/// A new empty scratch directory under the temporary directory.
func scratchDirectory(_ prefix: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
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

/// The project's Schemas/ directory.
let schemasDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Schemas").path

/// Whether python3 with jsonschema (and its `referencing`, for `$ref`s between Schemas/ files) is here; .ci/setup.sh installs it.
let pythonHasJSONSchema: Bool = {
    (try? CLI.tool("/usr/bin/env", ["python3", "-c", "import jsonschema, referencing"], in: "/").code) == 0
}()

/// A Python program that validates JSON documents with jsonschema (Draft 2020-12), every file of
/// Schemas/ registered by its `$id` so that `$ref`s between them resolve. Arguments: the Schemas/
/// directory, then pairs of (schema file name or "-" for the one the document's `schema` member
/// names, document file). Prints a JSON object: document file → list of problems.
let schemaValidatorScript = """
    import glob, json, os, sys, jsonschema
    from referencing import Registry, Resource
    schemas, registry = {}, Registry()
    for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
        s = json.load(open(f)); schemas[os.path.basename(f)] = s
        registry = registry.with_resource(s["$id"], Resource.from_contents(s))
    out, args = {}, sys.argv[2:]
    for name, path in zip(args[0::2], args[1::2]):
        problems = out.setdefault(path, [])
        try:
            doc = json.load(open(path))
        except ValueError as e:
            problems.append("not JSON: %s" % e); continue
        if name == "-":
            name = doc.get("schema") if isinstance(doc, dict) else None
            if not isinstance(name, str):
                problems.append("the top level is not an object with a `schema` member naming its schema in Schemas/"); continue
        if name not in schemas:
            problems.append("`schema` names %r, which is not a file in Schemas/" % name); continue
        jsonschema.Draft202012Validator.check_schema(schemas[name])
        validator = jsonschema.Draft202012Validator(schemas[name], registry=registry)
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))[:10]:
            problems.append("%s: /%s: %s" % (name, "/".join(map(str, e.absolute_path)), e.message[:400]))
    print(json.dumps(out))
    """

/// Validates documents (file paths) against Schemas/: each with the schema given, or nil for the one its
/// `schema` member names. Returns each file's problems (empty when it is valid).
func schemaProblems(_ documents: [(schema: String?, file: String)]) throws -> [String: [String]] {
    let args = documents.flatMap { [$0.schema ?? "-", $0.file] }
    let r = try CLI.tool("/usr/bin/env", ["python3", "-c", schemaValidatorScript, schemasDirectory] + args, in: "/")
    guard r.code == 0, let found = try? JSONSerialization.jsonObject(with: r.outData) as? [String: [String]] else {
        return Dictionary(uniqueKeysWithValues: documents.map { ($0.file, ["the validator failed (\(r.code)): \(r.err)"]) })
    }
    return found
}

/// Validates JSON text against one of Schemas/ with Python's jsonschema (installed by .ci/setup.sh).
func validateAgainstSchema(_ json: String, schema: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("doc-\(UUID().uuidString).json").path
    try Data(json.utf8).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    let problems = try schemaProblems([(schema, file)])[file] ?? ["not validated"]
    #expect(problems.isEmpty, "\(schema): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
}
