import Foundation

/// One execution of a transformation (PROV Activity), as `lineage run` records it
/// (schema `Schemas/run.schema.json`).
///
/// Written as canonical JSON; optional members that are nil are omitted, never `null`.
public struct RunRecord: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    /// Record type tag, always `"lineage.run"`.
    public var type: String = "lineage.run"
    public var version: Int = RunRecord.currentVersion
    /// A UUIDv7 (`UUIDv7.generate()`), lowercase 8-4-4-4-12.
    public var id: String
    public var name: String
    public var argv: [String]
    /// The directory the command ran in, relative to the repository root; `"."` for the root.
    public var workingDirectory: String
    /// RFC 3339 UTC with milliseconds (`Timestamp.rfc3339`).
    public var startedAt: String
    public var endedAt: String
    /// The command's exit code, or 128 + signal number when a signal ended it.
    public var exitStatus: Int32
    public var inputs: [RunArtifact]
    public var outputs: [RunArtifact]
    /// The code repository's state; nil when the command did not run inside a git work tree.
    public var code: CodeVersion?
    public var environment: EnvironmentInfo
    public var agent: RunAgent
    /// Set when the run's own commit was blocked by pre-commit hooks and its outputs were recorded
    /// later by another commit (`--no-verify`, or after the hooks changed): provenance then says
    /// which run made those bytes and what blocked it, instead of ending at "added by hand".
    public var blocked: RunBlock?
    /// The pipeline stage of lineage.yaml this run executed (`lineage repro`); nil for a plain `lineage run`.
    public var stage: String?
    /// The values of the parameters the stage declares: params file → dotted key → value.
    public var params: [String: RecordValues]?
    /// What the stage's metrics files held after it ran: metrics file → dotted key → value.
    public var metrics: [String: RecordValues]?
    /// Set when the outputs were not made by running the command but restored from the store,
    /// because an earlier run (this id) had exactly the same inputs, parameters, command and
    /// environment (`repro`'s run cache): that run is the one that made these bytes.
    public var reusedFrom: String?

    public init(id: String, name: String, argv: [String], workingDirectory: String, startedAt: String, endedAt: String,
                exitStatus: Int32, inputs: [RunArtifact], outputs: [RunArtifact], code: CodeVersion?,
                environment: EnvironmentInfo, agent: RunAgent) {
        self.id = id; self.name = name; self.argv = argv; self.workingDirectory = workingDirectory
        self.startedAt = startedAt; self.endedAt = endedAt; self.exitStatus = exitStatus
        self.inputs = inputs; self.outputs = outputs; self.code = code
        self.environment = environment; self.agent = agent
    }

    /// The record as canonical JSON (`CanonicalJSON.encode`): equal records are equal bytes.
    public func encoded() throws -> [UInt8] {
        try CanonicalJSON.encode(self)
    }

    /// Reads a run record; refuses other record types and versions newer than this lineage understands.
    public static func decode(_ bytes: [UInt8]) throws -> RunRecord {
        let r = try CanonicalJSON.decode(RunRecord.self, from: bytes)
        guard r.type == "lineage.run" else { throw CoreError.malformedRecord("not a run record (type \(r.type))") }
        guard r.version <= RunRecord.currentVersion else {
            throw CoreError.malformedRecord("run record version \(r.version) is newer than this lineage understands; upgrade lineage")
        }
        return r
    }
}

/// Why a run's own commit did not happen: the hooks that failed on it, and when.
public struct RunBlock: Codable, Sendable, Equatable {
    /// RFC 3339 UTC time the hooks blocked the run's commit.
    public var blockedAt: String
    /// One line per failed hook: `validator (lineage.yaml:line): finding ×count, …`.
    public var hooks: [String]
    public init(blockedAt: String, hooks: [String]) { self.blockedAt = blockedAt; self.hooks = hooks }
}

/// A file a run read or wrote, named by the digest of its bytes.
public struct RunArtifact: Codable, Sendable, Equatable, Hashable {
    /// Path relative to the repository root, `/`-separated.
    public var path: String
    public var sha256: Digest
    public var size: UInt64
    /// What the run used an input for, when it was named (`-i test=data/test.csv`): `train`,
    /// `test`, `validation`, ... Absent otherwise (and always on outputs).
    public var role: String?

    public init(path: String, sha256: Digest, size: UInt64, role: String? = nil) {
        self.path = path; self.sha256 = sha256; self.size = size; self.role = role
    }
}

/// The state of the git repository that holds the code a run executed.
public struct CodeVersion: Codable, Sendable, Equatable {
    /// URL of `origin` (else the first remote), with any credentials removed.
    public var remoteURL: String?
    /// HEAD's commit id in hex; nil on an unborn branch.
    public var commit: String?
    /// Short name of the branch HEAD names; nil when HEAD is detached.
    public var branch: String?
    /// True when a tracked file differs from HEAD (staged or not); untracked files do not count.
    public var dirty: Bool
    /// SHA-256 of the patch text of `git diff HEAD` (tracked files only); nil when not dirty.
    public var diffSHA256: Digest?
    /// Untracked, non-ignored files relative to the work tree, sorted; at most a bounded number.
    public var untracked: [String]
    /// True when more untracked files existed than `untracked` lists.
    public var untrackedTruncated: Bool

    public init(remoteURL: String?, commit: String?, branch: String?, dirty: Bool, diffSHA256: Digest?,
                untracked: [String], untrackedTruncated: Bool) {
        self.remoteURL = remoteURL; self.commit = commit; self.branch = branch; self.dirty = dirty
        self.diffSHA256 = diffSHA256; self.untracked = untracked; self.untrackedTruncated = untrackedTruncated
    }
}

/// The machine and process environment a run executed in.
public struct EnvironmentInfo: Codable, Sendable, Equatable {
    /// Operating system, e.g. `Debian GNU/Linux 12 (bookworm)`.
    public var os: String
    /// Kernel release (`uname -r`).
    public var kernel: String
    /// Machine architecture (`uname -m`).
    public var architecture: String
    public var cpuModel: String?
    public var cpuCount: Int
    /// Allow-listed environment variables that were set (never secrets).
    public var variables: [String: String]
    /// Larger captures stored as blobs beside the record (`pip freeze`, ...).
    public var captures: [EnvironmentCapture]

    public init(os: String, kernel: String, architecture: String, cpuModel: String?, cpuCount: Int,
                variables: [String: String], captures: [EnvironmentCapture]) {
        self.os = os; self.kernel = kernel; self.architecture = architecture; self.cpuModel = cpuModel
        self.cpuCount = cpuCount; self.variables = variables; self.captures = captures
    }
}

/// An environment capture stored as its own blob (e.g. the output of `pip freeze`).
public struct EnvironmentCapture: Codable, Sendable, Equatable {
    /// What was captured: `"pip"`.
    public var kind: String
    public var sha256: Digest
    public var size: UInt64
    /// Path of the blob inside the commit tree.
    public var record: String

    public init(kind: String, sha256: Digest, size: UInt64, record: String) {
        self.kind = kind; self.sha256 = sha256; self.size = size; self.record = record
    }
}

/// Who ran the command: the signer of the commit that records the run.
public struct RunAgent: Codable, Sendable, Equatable {
    /// The principal the allowed-signers file names for the key.
    public var principal: String
    /// The key's fingerprint as `ssh-keygen -l` prints it (`SHA256:<base64>`).
    public var keyFingerprint: String
    public var name: String
    public var email: String

    public init(principal: String, keyFingerprint: String, name: String, email: String) {
        self.principal = principal; self.keyFingerprint = keyFingerprint; self.name = name; self.email = email
    }
}

/// Time-ordered UUIDs (RFC 9562, version 7): ids of runs sort by the millisecond they were made in.
public enum UUIDv7 {
    /// A new UUIDv7: 48-bit Unix milliseconds, version 7, variant `10`, and 74 random bits
    /// (`SystemRandomNumberGenerator`). Lowercase 8-4-4-4-12.
    public static func generate(milliseconds: UInt64 = UInt64(max(0, Date().timeIntervalSince1970 * 1000))) -> String {
        var rng = SystemRandomNumberGenerator()
        let random = rng.next() as UInt64 // 12 bits for rand_a, 52 bits toward rand_b
        let random2 = rng.next() as UInt64 // the remaining 10 bits of rand_b
        var bytes = [UInt8](repeating: 0, count: 16)
        let ms = milliseconds & 0xFFFF_FFFF_FFFF
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> UInt64(40 - 8 * i)) }
        for i in 6..<16 { bytes[i] = UInt8(truncatingIfNeeded: (i < 14 ? random : random2) >> UInt64(8 * (i % 8))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // variant 10
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// RFC 3339 timestamps, as records store them: UTC, millisecond precision, `Z`.
public enum Timestamp {
    /// `2026-11-25T21:03:04.123Z`; the time is truncated (not rounded) to the millisecond.
    public static func rfc3339(_ date: Date) -> String {
        // Round to the microsecond first so that binary floating point (0.123 stored as 0.12299...)
        // does not lose a millisecond, then truncate.
        let totalUs = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let totalMs = floorDivMod(totalUs, 1000).0
        let (days, msOfDay) = floorDivMod(totalMs, 86_400_000)
        let (y, m, d) = CivilDate.date(days: days)
        let s = msOfDay / 1000
        func pad(_ v: Int64, _ width: Int) -> String {
            let t = String(v)
            return t.count >= width ? t : String(repeating: "0", count: width - t.count) + t
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }

    /// Parses an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`); nil when malformed.
    public static func parse(_ s: String) -> Date? {
        let c = Array(s.utf8)
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= c.count else { return nil }
            var v: Int64 = 0
            for k in i..<i + n {
                guard c[k] >= 48 && c[k] <= 57 else { return nil }
                v = v * 10 + Int64(c[k] - 48)
            }
            i += n
            return v
        }
        func expect(_ chars: String) -> Bool {
            guard i < c.count, chars.utf8.contains(c[i]) else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect("-"), let mo = digits(2), expect("-"), let d = digits(2), expect("Tt "),
              let h = digits(2), expect(":"), let mi = digits(2), expect(":"), let sec = digits(2) else { return nil }
        var nanoseconds: Int64 = 0
        if i < c.count, c[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            var scale: Int64 = 100_000_000
            while i < c.count, c[i] >= 48, c[i] <= 57 {
                nanoseconds += Int64(c[i] - 48) * scale
                scale /= 10; i += 1
            }
            guard i > start else { return nil }
        }
        var offsetSeconds: Int64 = 0
        if expect("Zz") {
            // UTC
        } else if i < c.count, c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-") {
            let sign: Int64 = c[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(":"), let om = digits(2), oh < 24, om < 60 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == c.count else { return nil }
        guard (1...12).contains(mo), d >= 1, d <= CivilDate.daysInMonth(year: y, month: mo), h < 24, mi < 60, sec <= 60 else { return nil }
        let days = CivilDate.days(year: y, month: mo, day: d)
        let seconds = days * 86_400 + h * 3600 + mi * 60 + sec - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
    }

    private static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
