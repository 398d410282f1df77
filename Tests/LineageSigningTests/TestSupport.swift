import Foundation
import LineageSigning
#if canImport(Glibc)
import Glibc
#endif

/// A scratch directory for one test, removed when the value goes away.
final class TempDir {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lineage-signing-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o644) throws -> String {
        try write(name, Array(text.utf8), mode: mode)
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8], mode: Int = 0o644) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: p)
        return p
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: file(name), encoding: .utf8)
    }
}

struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Tool {
    /// Runs an executable found on PATH in `dir`, with stdin from `stdinFile` (or empty), without
    /// an ssh-agent so that ssh-keygen uses only the key files it is given.
    @discardableResult
    static func run(_ argv: [String], in dir: String, stdinFile: String? = nil) throws -> ToolResult {
        let out = dir + "/.stdout-\(UUID().uuidString)", err = dir + "/.stderr-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: out, contents: nil),
              FileManager.default.createFile(atPath: err, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SSH_AUTH_SOCK")
        p.environment = env
        p.standardInput = try stdinFile.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) }
            ?? FileHandle(forReadingAtPath: "/dev/null")
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try p.run()
        p.waitUntilExit()
        return ToolResult(status: p.terminationStatus,
                          stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    static func sshKeygen(_ args: String..., in dir: String, stdinFile: String? = nil) throws -> ToolResult {
        try run(["ssh-keygen"] + args, in: dir, stdinFile: stdinFile)
    }

    /// Whether `python3` with the `cryptography` package is available for independent checks.
    static func hasPythonCryptography(in dir: String) -> Bool {
        (try? run(["python3", "-c", "import cryptography"], in: dir).status) == 0
    }
}

/// Armor in OpenSSH's layout, built independently of the module for corruption tests.
func armor(_ bytes: [UInt8], label: String) -> String {
    let b64 = Array(Data(bytes).base64EncodedString().utf8)
    var out = "-----BEGIN \(label)-----\n"
    var i = 0
    while i < b64.count {
        out += String(decoding: b64[i..<min(i + 70, b64.count)], as: UTF8.self) + "\n"
        i += 70
    }
    return out + "-----END \(label)-----\n"
}

/// The bytes inside armor (test helper; assumes well-formed input).
func unarmor(_ text: String) -> [UInt8] {
    let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    return Data(base64Encoded: body).map { Array($0) } ?? []
}

/// Seconds since the epoch of a UTC calendar time.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int64 {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
    return Int64(date.timeIntervalSince1970)
}

extension SigningError {
    /// The error a throwing expression threw, if it was a SigningError.
    static func from(_ body: () throws -> Void) -> SigningError? {
        do {
            try body()
            return nil
        } catch let e as SigningError {
            return e
        } catch {
            return nil
        }
    }
}
