import Foundation
import LineageCore
import Testing

extension RightsTests {
    /// Tombstones (`lineage erase`): canonical JSON, strict reading, the schema.
    @Suite struct Erasure {
        static let record = ErasureRecord(path: "data/users.csv", sha256: Digest.of(Data("users".utf8)), size: 1_234,
                                          erasedAt: Date(timeIntervalSince1970: 1_795_000_000.123), erasedBy: "alice@example.org",
                                          reason: "consent withdrawn by data subject (ticket #42)")

        @Test func roundTripAndCanonicalBytes() throws {
            let bytes = try Self.record.encoded()
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text == "{\"erasedAt\":\"2026-11-18T11:06:40.123Z\",\"erasedBy\":\"alice@example.org\",\"path\":\"data/users.csv\","
                    + "\"reason\":\"consent withdrawn by data subject (ticket #42)\",\"sha256\":\"\(Self.record.sha256.prefixed)\","
                    + "\"size\":1234,\"type\":\"lineage.erasure\",\"version\":1}")
            #expect(try ErasureRecord.decode(bytes) == Self.record)
            #expect(try CanonicalJSON.decode(ErasureRecord.self, from: bytes) == Self.record)
            #expect(Self.record.artifact == ArtifactRef(path: "data/users.csv", sha256: Self.record.sha256))
            // Sizes past 2^53 survive.
            var big = Self.record
            big.size = UInt64.max
            #expect(try ErasureRecord.decode(try big.encoded()).size == UInt64.max)
        }

        func bad(_ replace: String, with replacement: String) throws -> [UInt8] {
            let text = String(decoding: try Self.record.encoded(), as: UTF8.self)
            precondition(text.contains(replace), replace)
            return Array(text.replacingOccurrences(of: replace, with: replacement).utf8)
        }

        @Test func decodeIsStrict() throws {
            let cases: [(String, String, String, String)] = [
                ("\"type\":\"lineage.erasure\"", "\"type\":\"lineage.rights\"", "type", "not an erasure record"),
                ("\"version\":1", "\"version\":2", "version", "upgrade lineage"),
                ("\"size\":1234", "\"size\":-1", "size", "non-negative integer"),
                ("\"size\":1234", "\"size\":\"1234\"", "size", "non-negative integer"),
                ("\"size\":1234", "\"size\":12.5", "size", "non-negative integer"),
                ("\"size\":1234,", "", "size", "missing"),
                ("2026-11-18T11:06:40.123Z", "2026-11-18 11:06", "erasedAt", "RFC 3339"),
                ("2026-11-18T11:06:40.123Z", "2026-11-18T12:06:40.123+01:00", "erasedAt", "RFC 3339"),
                ("\"reason\":\"consent withdrawn by data subject (ticket #42)\"", "\"reason\":\"  \"", "reason", "must say why"),
                ("\"erasedBy\":\"alice@example.org\"", "\"erasedBy\":\"\"", "erasedBy", "empty"),
                ("\"erasedBy\":\"alice@example.org\"", "\"erasedBy\":null", "erasedBy", "null"),
                ("\"path\":\"data/users.csv\"", "\"path\":\"data/users.csv\",\"note\":1", "note", "unknown member"),
                ("\"sha256\":\"sha256:", "\"sha256\":\"md5:", "sha256", "sha256:<64 hex digits>"),
            ]
            for (from, to, field, message) in cases {
                RightsTests.expectFieldError(field, containing: message) { _ = try ErasureRecord.decode(try bad(from, with: to)) }
            }
            RightsTests.expectFieldError("", containing: "not a JSON document") { _ = try ErasureRecord.decode(Array("nope".utf8)) }
        }

        @Test func encodedRecordsMatchTheSchema() throws {
            var other = Self.record
            other.size = 0
            other.path = "models/a b.bin"
            let good = [try Self.record.encoded(), try other.encoded()]
            let bad = [
                try bad("\"version\":1", with: "\"version\":2"),
                try bad("\"size\":1234", with: "\"size\":-1"),
                try bad("2026-11-18T11:06:40.123Z", with: "2026-11-18T11:06:40Z"),
                try bad("\"reason\":\"consent withdrawn by data subject (ticket #42)\"", with: "\"reason\":\"\""),
                try bad("\"path\":\"data/users.csv\"", with: "\"path\":\"data/users.csv\",\"note\":1"),
                try bad("\"size\":1234,", with: ""),
            ]
            try SchemaCheck.run(schema: "tombstone.schema.json", good: good, bad: bad)
        }
    }
}
