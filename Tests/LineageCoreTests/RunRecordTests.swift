import Foundation
import LineageCore
import Testing

@Suite struct RunRecordTests {
    static func sample(code: CodeVersion? = nil) -> RunRecord {
        let d = Digest.of(Data("train".utf8))
        return RunRecord(
            id: UUIDv7.generate(milliseconds: 1_795_000_000_123), name: "train",
            argv: ["python", "train.py", "--lr", "0.1 \"quoted\" é"], workingDirectory: ".",
            startedAt: "2026-11-25T21:03:04.123Z", endedAt: "2026-11-25T21:05:00.000Z", exitStatus: 0,
            inputs: [RunArtifact(path: "data/train.csv", sha256: d, size: 5)],
            outputs: [RunArtifact(path: "models/model.bin", sha256: Digest.of(Data()), size: 0)],
            code: code,
            environment: EnvironmentInfo(
                os: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0", architecture: "x86_64", cpuModel: "Some CPU @ 3GHz",
                cpuCount: 2, variables: ["OMP_NUM_THREADS": "4", "LANG": "C.UTF-8"],
                captures: [EnvironmentCapture(kind: "pip", sha256: d, size: 5, record: ".lineage-records/runs/x/pip.txt")]),
            agent: RunAgent(principal: "alice@example.org", keyFingerprint: "SHA256:abc", name: "Alice", email: "alice@example.org"))
    }

    static let fullCode = CodeVersion(
        remoteURL: "https://example.com/r.git", commit: String(repeating: "a", count: 40), branch: "main", dirty: true,
        diffSHA256: Digest.of(Data("diff".utf8)), untracked: ["notes.txt"], untrackedTruncated: false)

    static let uuidPattern = #"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#

    @Test func uuidv7Layout() throws {
        let ms: UInt64 = 0x0189_ABCD_EF01
        for _ in 0..<200 {
            let id = UUIDv7.generate(milliseconds: ms)
            #expect(id.range(of: Self.uuidPattern, options: .regularExpression) != nil, "\(id)")
            let hex = id.replacingOccurrences(of: "-", with: "")
            #expect(UInt64(hex.prefix(12), radix: 16) == ms)
            let bytes = stride(from: 0, to: 32, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
            #expect(bytes[6] >> 4 == 7)           // version
            #expect(bytes[8] >> 6 == 0b10)        // variant
            #expect(UUID(uuidString: id) != nil)  // Foundation parses it
        }
        // The random part varies.
        #expect(Set((0..<100).map { _ in UUIDv7.generate(milliseconds: ms) }).count == 100)
        // The default is now.
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let t = UInt64(UUIDv7.generate().replacingOccurrences(of: "-", with: "").prefix(12), radix: 16)!
        #expect(t >= now && t < now + 5_000)
    }

    @Test func uuidv7SortsByMillisecond() {
        var previous = UUIDv7.generate(milliseconds: 1)
        for ms: UInt64 in [2, 255, 256, 65_536, 1_795_000_000_000, 1_795_000_000_001, 0xFFFF_FFFF_FFFF] {
            let id = UUIDv7.generate(milliseconds: ms)
            #expect(previous < id, "\(previous) < \(id)")
            previous = id
        }
    }

    @Test func timestamps() throws {
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_795_000_000.123)) == "2026-11-18T11:06:40.123Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 951_782_400.9999)) == "2000-02-29T00:00:00.999Z")  // truncated
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        // Agrees with Foundation's ISO 8601 formatter over a range of instants.
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for k in 0..<500 {
            let ms = Int64(k) * 7_919_123_457 % 4_102_444_800_000
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            let text = Timestamp.rfc3339(date)
            #expect(text == iso.string(from: date), "\(ms)")
            #expect(Timestamp.parse(text).map(Timestamp.rfc3339) == text)
        }
        #expect(Timestamp.parse("2026-11-25T22:03:04.5+01:00") == Date(timeIntervalSince1970: 1_795_640_584.5))
        #expect(Timestamp.parse("2026-11-25T21:03:04Z") == Date(timeIntervalSince1970: 1_795_640_584))
        for bad in ["", "2026-11-25", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-25T21:03:04", "2026-11-25T21:03:04.Z",
                    "2026-11-25T21:03:04Zx", "2026-11-25T25:00:00Z"] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func roundTripAndCanonicalBytes() throws {
        for record in [Self.sample(), Self.sample(code: Self.fullCode),
                       Self.sample(code: CodeVersion(remoteURL: nil, commit: nil, branch: nil, dirty: false, diffSHA256: nil,
                                                     untracked: [], untrackedTruncated: false))] {
            let bytes = try record.encoded()
            #expect(try RunRecord.decode(bytes) == record)
            #expect(try RunRecord.decode(bytes).encoded() == bytes)  // stable
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("{\"agent\":{"))
            #expect(!text.contains("\\/") && !text.contains("null") && !text.contains("\n"))
        }
        let text = String(decoding: try Self.sample().encoded(), as: UTF8.self)
        #expect(!text.contains("\"code\""))  // nil is omitted, not null
        #expect(text.contains("\"sha256\":\"sha256:"))
        #expect(text.hasSuffix("\"type\":\"lineage.run\",\"version\":1,\"workingDirectory\":\".\"}"))
    }

    @Test func decodeRejectsOtherTypesAndNewerVersions() throws {
        var r = Self.sample()
        r.type = "lineage.pointer"
        #expect(throws: CoreError.self) { try RunRecord.decode(try r.encoded()) }
        r = Self.sample()
        r.version = 2
        #expect(throws: CoreError.self) { try RunRecord.decode(try r.encoded()) }
        #expect(throws: (any Error).self) { try RunRecord.decode(Array("{}".utf8)) }
    }

    @Test func encodedRecordsMatchTheSchema() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let schema = root.appendingPathComponent("Schemas/run.schema.json").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runschema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var good: [String] = []
        for (i, record) in [Self.sample(), Self.sample(code: Self.fullCode)].enumerated() {
            let file = dir.appendingPathComponent("good\(i).json")
            try Data(try record.encoded()).write(to: file)
            good.append(file.path)
        }
        // Records the schema must refuse: an extra member, a v4 id, a bad digest, a time without Z.
        var bad: [String] = []
        let sample = Self.sample()
        let base = String(decoding: try sample.encoded(), as: UTF8.self)
        let v4 = UUID().uuidString.lowercased()
        let mutations = [
            base.replacingOccurrences(of: "\"type\":\"lineage.run\"", with: "\"extra\":1,\"type\":\"lineage.run\""),
            base.replacingOccurrences(of: sample.id, with: v4),
            base.replacingOccurrences(of: "sha256:", with: "sha1:"),
            base.replacingOccurrences(of: "04.123Z", with: "04.123+01:00"),
        ]
        for (i, text) in mutations.enumerated() {
            #expect(text != base)
            let file = dir.appendingPathComponent("bad\(i).json")
            try Data(text.utf8).write(to: file)
            bad.append(file.path)
        }
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
            n = int(sys.argv[2])
            for path in sys.argv[3:3 + n]:
                v.validate(json.load(open(path)))
            for path in sys.argv[3 + n:]:
                if v.is_valid(json.load(open(path))):
                    sys.exit("accepted an invalid record: " + path)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, schema, String(good.count)] + good + bad
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(message)")
    }
}
