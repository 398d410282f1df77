import Foundation
import Testing
@testable import LineageValidators

/// `frictionless` on PATH (the test set-up installs it with `pip install frictionless`).
enum Frictionless {
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin").split(separator: ":")
        for dir in dirs {
            let candidate = "\(dir)/frictionless"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// `frictionless validate --json --limit-errors 0 <csv> --schema <schema>` run in the files'
    /// directory (frictionless refuses absolute paths as unsafe). Every error as "type row field".
    static func errors(directory: URL, table: String, schema: String) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        // No error limit (the default stops at 1000); relative paths (absolute ones are "not safe").
        p.arguments = ["validate", "--json", "--limit-errors", "0", table, "--schema", schema]
        p.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw DifferentialFailure(message: "frictionless printed no JSON report for \(table) (exit \(p.terminationStatus)): "
                                      + String(decoding: data + stderr, as: UTF8.self).suffix(600))
        }
        var errors = json["errors"] as? [[String: Any]] ?? []
        for task in json["tasks"] as? [[String: Any]] ?? [] { errors += task["errors"] as? [[String: Any]] ?? [] }
        return errors.map { e in
            let row = (e["rowNumber"] as? Int) ?? (e["rowNumbers"] as? [Int])?.first
            let field = e["fieldNumber"] as? Int
            return "\(e["type"] as? String ?? "?") \(row.map(String.init) ?? "-") \(field.map(String.init) ?? "-")"
        }
    }
}

struct DifferentialFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// One generated table and its schema.
struct DifferentialCase: Sendable {
    var name: String
    var schema: String
    var table: [UInt8]
    var ext = "csv"

    init(_ name: String, _ schema: String, _ table: String, ext: String = "csv") {
        self.name = name; self.schema = schema; self.table = Array(table.utf8); self.ext = ext
    }

    init(_ name: String, _ schema: String, bytes: [UInt8]) {
        self.name = name; self.schema = schema; self.table = bytes
    }
}

@Suite struct SchemaDifferentialTests {
    /// Hand-written cases: every error type, every field type, the quoting and line-ending forms.
    static let cases: [DifferentialCase] = [
        DifferentialCase("valid-all-types", """
            {"fields": [{"name": "i", "type": "integer"}, {"name": "n", "type": "number"}, {"name": "b", "type": "boolean"},
             {"name": "d", "type": "date"}, {"name": "dt", "type": "datetime"}, {"name": "t", "type": "time"}, {"name": "y", "type": "year"},
             {"name": "ym", "type": "yearmonth"}, {"name": "s", "type": "string"}, {"name": "du", "type": "duration"},
             {"name": "g", "type": "geopoint"}, {"name": "o", "type": "object"}, {"name": "a", "type": "array"}, {"name": "x", "type": "any"}]}
            """, """
            i,n,b,d,dt,t,y,ym,s,du,g,o,a,x
            1,1.5,true,2020-01-01,2020-01-01T10:00:00Z,10:00:00,2020,2020-05,hello,P1D,"10,20","{""a"": 1}","[1, 2]",z
            -7,-0.25e3,False,2020-2-29,2020-01-01 10:00:00.5+01:00,23:59:59Z,0001,1999-12,"with, comma",PT1H30M,"-180, 90",{},[],
            +3,NaN,0,2024-12-31,2020-01-01T24:00:00,24:00:00,9999,2020-1,"two
            lines",P1Y2M,"0,0","{""b"": [1]}","[{}]",1

            """),
        DifferentialCase("integers", #"{"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer", "bareNumber": false}]}"#,
                         "a,b\n1,1\n 12 ,$12\n007,12 apples\n1_000,-3x\n1e3,abc\n1.0,x1\n0x10,1\n+7,2\n٣,3\n99999999999999999999999,4\n"),
        DifferentialCase("numbers", #"{"fields": [{"name": "a", "type": "number"}, {"name": "b", "type": "number", "decimalChar": ",", "groupChar": "."}, {"name": "c", "type": "number", "bareNumber": false}]}"#,
                         "a,b,c\n1.5,\"1.234,5\",€12.50\n.5,\"1,5\",12.50 EUR\n5.,1.5,-5%\n1e5,\"1.000.000\",abc\nInfinity,2,1\n-inf,3,2\n1_0.5,4,3\n1,5,5,4\nabc,6,5\n1e,7,6\n"),
        DifferentialCase("booleans", #"{"fields": [{"name": "a", "type": "boolean"}, {"name": "b", "type": "boolean", "trueValues": ["Y", "yes"], "falseValues": ["N", "no"]}]}"#,
                         "a,b\ntrue,Y\nFalse,no\n1,yes\nyes,true\nTRUE ,N\ntRue,0\n"),
        DifferentialCase("dates-times", #"{"fields": [{"name": "d", "type": "date"}, {"name": "dt", "type": "datetime"}, {"name": "t", "type": "time"}]}"#,
                         """
                         d,dt,t
                         2020-1-5,2020-01-01T10:00:00+0100,10:00:00.5
                         2020-02-30,2020-01-01T25:00:00,10:00
                         2019-02-29,2020-01-01,25:00:00
                         0000-01-01,2020-01-01T10:00,24:00:01
                         20200101,2020-01-01X10:00:00,1:00:00
                         2020/01/01,2020-02-30T10:00:00,10:00:00+01:00
                         2020-13-01,2020-01-01T10:00:00-25:00,100000
                         2020-1-123,2020-W01-1T10:00:00,23:59:59

                         """),
        DifferentialCase("date-patterns", #"{"fields": [{"name": "d", "type": "date", "format": "%d/%m/%Y"}, {"name": "dt", "type": "datetime", "format": "%Y-%m-%d %H:%M"}, {"name": "t", "type": "time", "format": "%I:%M %p"}, {"name": "m", "type": "date", "format": "%b %d %Y"}]}"#,
                         "d,dt,t,m\n01/02/2020,2020-01-02 10:30,10:30 AM,Jan 02 2020\n1/2/2020,2020-01-02  10:30,12:00 pm,jan 2 2020\n31/02/2020,2020-01-02T10:30,13:00 PM,Foo 02 2020\n2020-01-01,2020-01-02 1:5,1:05 am,January 02 2020\n"),
        DifferentialCase("years", #"{"fields": [{"name": "y", "type": "year"}, {"name": "ym", "type": "yearmonth"}]}"#,
                         "y,ym\n2020,2020-05\n0000,2020-13\n10000,2020-0\n-100,2020-05-01\n20_0,x-5\n 202,2020-+5\nabcd,-2020-05\n"),
        DifferentialCase("string-formats", #"{"fields": [{"name": "e", "format": "email"}, {"name": "u", "format": "uri"}, {"name": "id", "format": "uuid"}, {"name": "b", "format": "binary"}]}"#,
                         """
                         e,u,id,b
                         a@b.co,http://x.y,123e4567-e89b-12d3-a456-426614174000,aGk=
                         a@b,://x,123e4567-e89b-12d3-a456-42661417400,a
                         a..b@x.com,mailto:a,{123e4567e89b12d3a456426614174000},aGVsbG8
                         é@b.com,1http://x,urn:uuid:123e4567-e89b-12d3-a456-426614174000,ab==
                         x@-a.com,urn:isbn:1,zzze4567-e89b-12d3-a456-426614174000,a===

                         """),
        DifferentialCase("structured", #"{"fields": [{"name": "o", "type": "object", "constraints": {"minLength": 1}}, {"name": "a", "type": "array", "constraints": {"maxLength": 2}}, {"name": "g", "type": "geopoint"}, {"name": "gj", "type": "geojson"}, {"name": "du", "type": "duration"}]}"#,
                         """
                         o,a,g,gj,du
                         "{""a"":1}","[1,2]","10,20","{""type"":""Point"",""coordinates"":[1,2]}",P1D
                         {},"[1,2,3]","200,1","{""type"":""Point""}",1D
                         [1],{},"1,2,3","{""type"":""Feature"",""geometry"":null,""properties"":{}}",P
                         "{""a"":",[NaN],"nan,0","{""type"":""Point"",""coordinates"":[1,2,3]}",P1D2Y

                         """),
        DifferentialCase("string-constraints", #"{"fields": [{"name": "s", "constraints": {"required": true, "minLength": 2, "maxLength": 4, "pattern": "[a-z]+", "enum": ["ab", "abc", "abcde", "A", "é1"]}}, {"name": "t"}]}"#,
                         "s,t\nab,1\na,1\nabcde,1\nA,1\né1,1\nxyz,1\n,1\n"),
        DifferentialCase("numeric-constraints", #"{"fields": [{"name": "n", "type": "number", "constraints": {"minimum": 0, "maximum": "10.5"}}, {"name": "i", "type": "integer", "constraints": {"minimum": 2, "maximum": 4, "enum": [2, "3", 9]}}, {"name": "d", "type": "date", "constraints": {"minimum": "2020-01-01"}}, {"name": "y", "type": "year", "constraints": {"maximum": 2020}}, {"name": "ym", "type": "yearmonth", "constraints": {"minimum": "2020-03"}}]}"#,
                         "n,i,d,y,ym\n0,2,2020-01-01,2020,2020-03\n-0.5,1,2019-12-31,2021,2020-02\nNaN,3,,,\n10.51,9,,,\n"),
        DifferentialCase("missing-values", #"{"fields": [{"name": "a", "type": "integer", "constraints": {"required": true}, "missingValues": ["-"]}, {"name": "b", "type": "integer", "constraints": {"required": true}}], "missingValues": ["", "NA"]}"#,
                         "a,b\n-,NA\n,1\nNA,-\n1,2\n-,3\n"),
        DifferentialCase("unique", #"{"fields": [{"name": "i", "type": "integer", "constraints": {"unique": true}}, {"name": "n", "type": "number", "constraints": {"unique": true}}, {"name": "s", "constraints": {"unique": true}}, {"name": "d", "type": "date", "constraints": {"unique": true}}]}"#,
                         "i,n,s,d\n1,1.0,a,2020-01-01\n01,1,A,2020-1-1\n1,1e0,a,2020-01-02\n2,NaN,b,\n3,NaN,c,\n"),
        DifferentialCase("primary-key", #"{"fields": [{"name": "id", "type": "integer"}, {"name": "v"}], "primaryKey": "id"}"#,
                         "id,v\n1,a\n2,b\n1,c\n,d\nx,e\n02,f\n3,g\n"),
        DifferentialCase("composite-key", #"{"fields": [{"name": "a", "type": "integer"}, {"name": "b"}], "primaryKey": ["a", "b"]}"#,
                         "a,b\n1,x\n1,y\n1,x\n,\n2,\n2,\n01,x\n"),
        DifferentialCase("foreign-key", #"{"fields": [{"name": "id", "type": "integer"}, {"name": "parent", "type": "integer"}], "foreignKeys": [{"fields": ["parent"], "reference": {"resource": "", "fields": ["id"]}}]}"#,
                         "id,parent\n1,\n2,1\n3,5\n4,9\n5,3\n6,x\n7,09\n"),
        DifferentialCase("foreign-key-strings", #"{"fields": [{"name": "id"}, {"name": "parent"}, {"name": "v", "type": "integer"}], "primaryKey": "id", "foreignKeys": [{"fields": "parent", "reference": {"resource": "", "fields": "id"}}]}"#,
                         "id,parent,v\na,,1\nb,a,2\nc,z,3\n,,4\nb,c,5\n"),
        DifferentialCase("blank-rows", #"{"fields": [{"name": "a", "type": "integer", "constraints": {"required": true}}, {"name": "b"}], "primaryKey": "a"}"#,
                         "a,b\n1,x\n\n,\n,,,\n2,y\n"),
        DifferentialCase("ragged-rows", #"{"fields": [{"name": "a", "type": "integer"}, {"name": "b", "constraints": {"required": true}}, {"name": "c", "type": "integer"}]}"#,
                         "a,b,c\n1,x,3,4,5\n1\n1,,\n1,x\n2,y,3\n3,z,4\n4,w,5\n"),
        DifferentialCase("header-labels", #"{"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer"}, {"name": "c", "type": "integer"}, {"name": "d", "type": "integer"}]}"#,
                         "a,a,,x,e\n1,2,3,4,5\n1,2,3,4\n"),
        DifferentialCase("missing-label", #"{"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer"}, {"name": "c", "type": "integer"}], "primaryKey": "c"}"#,
                         "a,b\n1,2,3\n1,2\n4,5\n"),
        DifferentialCase("quoting-crlf", #"{"fields": [{"name": "id", "type": "integer"}, {"name": "txt", "constraints": {"maxLength": 12}}, {"name": "n", "type": "number"}]}"#,
                         "id,txt,n\r\n1,\"a, b\",1.5\r\n2,\"multi\nline, text\",2\r\n3,\"say \"\"hi\"\"\",x\r\n4,\"x\"y,3\r\n5,\"\",\r\n"),
        DifferentialCase("bom-lone-cr", #"{"fields": [{"name": "id", "type": "integer"}, {"name": "name"}]}"#,
                         bytes: [0xEF, 0xBB, 0xBF] + Array("id,name\r1,a\rx,b\r\n3,c\n".utf8)),
        DifferentialCase("tsv", #"{"fields": [{"name": "id", "type": "integer"}, {"name": "v", "type": "number"}, {"name": "s"}]}"#,
                         "id\tv\ts\n1\t1.5\ta,b\n2\tx\t\n3\n4\t2\tc\n", ext: "tsv"),
        DifferentialCase("unicode", #"{"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "number"}, {"name": "c", "constraints": {"maxLength": 3}}]}"#,
                         "a,b,c\n\u{0663},\u{0661}.5,h\u{e9}llo\n\u{0663}\u{0664},1,\u{e9}\u{e9}\u{e9}\n"),
        DifferentialCase("empty-file", #"{"fields": [{"name": "a", "type": "integer"}]}"#, ""),
        DifferentialCase("header-only", #"{"fields": [{"name": "a", "type": "integer"}, {"name": "b"}]}"#, "a,b\n"),
    ]

    /// The error types the cases must exercise between them.
    static let requiredTypes: Set<String> = [
        "type-error", "constraint-error", "unique-error", "primary-key", "foreign-key", "blank-row", "extra-cell", "missing-cell",
        "blank-label", "duplicate-label", "incorrect-label", "missing-label", "extra-label",
    ]

    @Test(.enabled(if: Frictionless.path != nil,
                   "`frictionless` is not on PATH: install it (pip install frictionless) to run the differential test"))
    func agreesWithFrictionless() throws {
        let all = SchemaDifferentialTests.cases + (0..<12).map { SchemaRandomTables.make(seed: UInt64($0) &* 7919 &+ 11) }
        #expect(all.count >= 20)
        let dir = try schemaScratchDir()
        for c in all {
            try Data(c.table).write(to: dir.appendingPathComponent("\(c.name).\(c.ext)"))
            try Data(c.schema.utf8).write(to: dir.appendingPathComponent("\(c.name).schema.json"))
        }
        // frictionless takes a second or more per file: run two at a time.
        let theirs = SchemaDifferentialResults(count: all.count)
        DispatchQueue.concurrentPerform(iterations: all.count) { k in
            let c = all[k]
            theirs.set(k, Result { try Frictionless.errors(directory: dir, table: "\(c.name).\(c.ext)", schema: "\(c.name).schema.json") })
        }
        var covered = Set<String>()
        for (k, c) in all.enumerated() {
            let expected = try theirs.get(k).sorted()
            var ours: [String] = []
            let schema = try TableSchema(contentsOf: dir.appendingPathComponent("\(c.name).schema.json").path)
            try SchemaValidator(schema: schema).validate(path: dir.appendingPathComponent("\(c.name).\(c.ext)").path) { v in
                ours.append("\(v.type) \(v.row.map(String.init) ?? "-") \(v.fieldNumber.map(String.init) ?? "-")")
            }
            ours.sort()
            #expect(ours == expected, "case \(c.name): ours \(ours) vs frictionless \(expected)")
            for e in expected { covered.insert(String(e.split(separator: " ")[0])) }
        }
        #expect(SchemaDifferentialTests.requiredTypes.isSubset(of: covered), "not exercised: \(SchemaDifferentialTests.requiredTypes.subtracting(covered))")
    }
}

final class SchemaDifferentialResults: @unchecked Sendable {
    private var results: [Result<[String], Error>?]
    private let lock = NSLock()
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ r: Result<[String], Error>) { lock.lock(); results[k] = r; lock.unlock() }
    func get(_ k: Int) throws -> [String] { lock.lock(); defer { lock.unlock() }; return try results[k]!.get() }
}

/// Random tables with random schemas, drawn from pools of valid and tricky values per type.
///
/// Two frictionless behaviours lineage does not copy are kept out: its header-row guess (it takes
/// the first row whose width is near the average width of the first 100 rows, so very ragged files
/// get a later header — lineage always reads row 1) and the CSV sniffer's `skipinitialspace` for a
/// header without delimiters (single-column files). So rows are rarely ragged and tables have two or
/// more columns.
enum SchemaRandomTables {
    struct RNG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    }

    static let pools: [String: [String]] = [
        "integer": ["1", "-5", "+7", " 12 ", "007", "1_000", "1__0", "_1", "1e3", "1.0", "0x10", "", "NA", "-0", "abc", "3.5", "12", "4"],
        "number": ["1.5", "-0.0", "1e5", "1E-3", ".5", "5.", "NaN", "-inf", "Infinity", "1_0.5", "1,5", "abc", " 2.5 ", "1e", "", "NA", "0.30000000000000001", "+.5", "-", "2", "7.25"],
        "boolean": ["true", "false", "True", "FALSE", "1", "0", "yes", "no", "t", "", "tRue"],
        "date": ["2020-01-01", "2020-1-5", "2020-02-30", "2020-02-29", "2019-02-29", "2020-13-01", "20200101", "2020/01/01", "2020-11-1", "", "2021-06-15", "2020-00-10"],
        "datetime": ["2020-01-01T10:00:00", "2020-01-01T10:00:00Z", "2020-01-01 10:00:00", "2020-01-01T10:00:00+01:00", "2020-01-01T24:00:00",
                     "2020-01-01T25:00:00", "2020-01-01T10:00", "2020-01-01", "2020-01-01T10:00:00.123", "", "2020-01-01T10:00:60"],
        "time": ["10:00:00", "10:00", "23:59:59", "24:00:00", "10:00:00Z", "10:00:00+01:00", "1:00:00", "25:00:00", ""],
        "year": ["2020", "0000", "9999", "10000", "-100", "abcd", "2020.0", "", "1999"],
        "yearmonth": ["2020-05", "2020-13", "2020-0", "2020-5", "2020-05-01", "x-5", "", "2021-11"],
        "string": ["hello", "", "a", "ab", "abc", "héllo", "x y", "NA", "A1", "abc1234", "with, comma", "say \"hi\""],
        "duration": ["P1Y", "P1Y2M3DT4H5M6S", "PT0S", "P", "P1W", "-P1D", "1D", "P1D2Y", ""],
        "geopoint": ["90,45", "90, 45", "181,0", "0,91", "a,b", "1", ""],
        "object": ["{\"a\": 1}", "{}", "[1]", "{\"a\":", "null", ""],
        "array": ["[1,2]", "[]", "{\"a\":1}", "[1,", ""],
        "any": ["x", "1", ""],
    ]
    static let formats: [String: [String]] = [
        "string": ["default", "default", "email", "uri", "uuid", "binary"],
        "date": ["default", "default", "%d/%m/%Y"],
        "datetime": ["default", "default", "%Y-%m-%d %H:%M"],
    ]
    static let formatPools: [String: [String]] = [
        "email": ["a@b.co", "a@b", "a..b@x.com", "A@B.COM", "é@b.com", "user@exa_mple.com"],
        "uri": ["http://x", "mailto:a", "1http://x", "noscheme"],
        "uuid": ["123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-42661417400", "{123e4567e89b12d3a456426614174000}"],
        "binary": ["aGVsbG8=", "aGVsbG8", "a", "abcd", "ab=="],
        "%d/%m/%Y": ["01/02/2020", "1/2/2020", "31/02/2020", "2020-01-01"],
        "%Y-%m-%d %H:%M": ["2020-01-02 10:30", "2020-01-02 1:5", "2020-01-02T10:30"],
    ]

    static func quote(_ s: String) -> String {
        s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func make(seed: UInt64) -> DifferentialCase {
        var rng = RNG(state: seed)
        let types = pools.keys.sorted()
        let n = 2 + rng.below(5)
        var fields: [String] = []
        var kinds: [(type: String, format: String)] = []
        for i in 0..<n {
            let t = rng.pick(types)
            let format = rng.pick(formats[t] ?? ["default"])
            var parts = ["\"name\": \"c\(i)\"", "\"type\": \"\(t)\""]
            if format != "default" { parts.append("\"format\": \"\(format)\"") }
            var c: [String] = []
            if rng.chance(0.3) { c.append("\"required\": true") }
            if rng.chance(0.2) && !["object", "array"].contains(t) { c.append("\"unique\": true") }
            if t == "string" && format == "default" && rng.chance(0.5) {
                c.append(rng.pick(["\"minLength\": 2", "\"maxLength\": 3", "\"pattern\": \"[a-z]+[0-9]*\"", "\"enum\": [\"a\", \"ab\", \"hello\"]"]))
            }
            if t == "integer" && rng.chance(0.5) { c.append(rng.pick(["\"minimum\": 0", "\"maximum\": 5", "\"minimum\": \"1\"", "\"enum\": [1, 7, 12]"])) }
            if t == "number" && rng.chance(0.5) { c.append(rng.pick(["\"minimum\": 0", "\"maximum\": 2.5", "\"enum\": [1.5, 5, \"1e5\"]"])) }
            if t == "date" && format == "default" && rng.chance(0.3) { c.append("\"minimum\": \"2020-01-02\"") }
            if t == "year" && rng.chance(0.3) { c.append("\"minimum\": 2000") }
            if t == "yearmonth" && rng.chance(0.3) { c.append("\"minimum\": \"2020-03\"") }
            if (t == "object" || t == "array") && rng.chance(0.3) { c.append("\"minLength\": 1") }
            if t == "boolean" && rng.chance(0.3) { parts.append("\"trueValues\": [\"yes\", \"t\"], \"falseValues\": [\"no\", \"0\"]") }
            if t == "number" && rng.chance(0.2) { parts.append("\"decimalChar\": \",\", \"groupChar\": \".\"") }
            if !c.isEmpty { parts.append("\"constraints\": {\(c.joined(separator: ", "))}") }
            fields.append("{" + parts.joined(separator: ", ") + "}")
            kinds.append((t, format))
        }
        var schema = "{\"fields\": [" + fields.joined(separator: ", ") + "]"
        if rng.chance(0.3) { schema += ", \"missingValues\": [\"\", \"NA\", \"-\"]" }
        // frictionless cannot hash JSON values: keys only over the other types.
        let keyable = kinds.indices.filter { !["object", "array"].contains(kinds[$0].type) }
        if rng.chance(0.35), !keyable.isEmpty { schema += ", \"primaryKey\": [\"c\(rng.pick(keyable))\"]" }
        if rng.chance(0.3), keyable.count >= 2 {
            let a = rng.pick(keyable), b = rng.pick(keyable.filter { $0 != a })
            schema += ", \"foreignKeys\": [{\"fields\": \"c\(a)\", \"reference\": {\"resource\": \"\", \"fields\": \"c\(b)\"}}]"
        }
        schema += "}"
        var header = (0..<n).map { "c\($0)" }
        if rng.chance(0.15) { header.append("extra") }
        if rng.chance(0.15) { header[rng.below(n)] = rng.pick(["", "wrong", "c0"]) }
        var text = header.map(quote).joined(separator: ",") + "\n"
        for _ in 0..<(15 + rng.below(25)) {
            var row = kinds.map { k -> String in
                let special = formatPools[k.format]
                return rng.pick(special != nil && rng.chance(0.7) ? special! : pools[k.type]!)
            }
            if header.count > n { row.append(rng.pick(["", "x"])) }
            let x = rng.below(100)
            if x < 3 { row.append("x") } else if x < 6 { row.removeLast() } else if x < 9 { row = row.map { _ in "" } }
            text += row.map(quote).joined(separator: ",") + "\n"
        }
        return DifferentialCase("random-\(seed)", schema, text)
    }
}

// MARK: - Dialects, encodings, compression (issue 20)

extension Frictionless {
    /// Runs frictionless with `args` in `directory`; its JSON output.
    static func json(directory: URL, _ args: [String]) throws -> Any {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        p.arguments = args
        p.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard let json = try? JSONSerialization.jsonObject(with: data) else {
            throw DifferentialFailure(message: "frictionless \(args.joined(separator: " ")) printed no JSON (exit \(p.terminationStatus)): "
                                      + String(decoding: data + stderr, as: UTF8.self).suffix(600))
        }
        return json
    }

    /// Every error of `frictionless validate --json <resource.json>` as "type row field".
    static func resourceErrors(directory: URL, resource: String) throws -> [String] {
        let json = try self.json(directory: directory, ["validate", "--json", "--limit-errors", "0", resource]) as? [String: Any] ?? [:]
        var errors = json["errors"] as? [[String: Any]] ?? []
        for task in json["tasks"] as? [[String: Any]] ?? [] { errors += task["errors"] as? [[String: Any]] ?? [] }
        return errors.map { e in
            let row = (e["rowNumber"] as? Int) ?? (e["rowNumbers"] as? [Int])?.first
            let field = e["fieldNumber"] as? Int
            return "\(e["type"] as? String ?? "?") \(row.map(String.init) ?? "-") \(field.map(String.init) ?? "-")"
        }
    }

    /// The field names `frictionless describe` finds.
    static func describedNames(directory: URL, table: String) throws -> [String] {
        let json = try self.json(directory: directory, ["describe", "--json", table]) as? [String: Any] ?? [:]
        let fields = (json["schema"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []
        return fields.compactMap { $0["name"] as? String }
    }
}

/// One table written in some dialect/encoding/compression, with a resource description of it.
struct DialectCase: Sendable {
    var name: String
    var file: String            // file name, its extension says format and compression
    var bytes: [UInt8]          // uncompressed content
    var dialect: String?        // the resource's "dialect" JSON
    var encoding: String?
    var schema: String
    /// Compare `frictionless describe`'s names with what `schema infer` sniffs and reads.
    var describe = false
}

@Suite struct DialectDifferentialTests {
    static func latin1(_ s: String) -> [UInt8] { s.unicodeScalars.map { UInt8($0.value) } }
    static func utf16LE(_ s: String) -> [UInt8] { [0xFF, 0xFE] + s.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
    static let threeFields = #"{"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}, {"name": "price", "type": "number"}]}"#

    static let cases: [DialectCase] = [
        // frictionless's sniffer gives up on this one (a comma in a value, a short row): one column `id;name;price`.
        DialectCase(name: "semicolon", file: "semicolon.csv", bytes: Array("id;name;price\n1;a, b;2.5\n2;c;x\n3;d\n".utf8),
                    dialect: #"{"delimiter": ";"}"#, encoding: nil, schema: threeFields),
        DialectCase(name: "semicolon-plain", file: "semicolon-plain.csv", bytes: Array("id;name;price\n1;a;2.5\n2;c;x\n3;d;4\n".utf8),
                    dialect: #"{"delimiter": ";"}"#, encoding: nil, schema: threeFields, describe: true),
        DialectCase(name: "pipe-quote", file: "pipe.csv", bytes: Array("id|name|price\n1|'x|y'|2\n2|'z'|-\n".utf8),
                    dialect: #"{"delimiter": "|", "quoteChar": "'"}"#, encoding: nil, schema: threeFields),
        DialectCase(name: "tab-in-csv", file: "tab.csv", bytes: Array("id\tname\tprice\n1\ta\t2\nq\tb\t3\n".utf8),
                    dialect: #"{"delimiter": "\t"}"#, encoding: nil, schema: threeFields, describe: true),
        DialectCase(name: "comments", file: "comments.csv", bytes: Array("# clean this data!\nid,name,price\n1,a,2\n# note\n2,b,x\n".utf8),
                    dialect: ##"{"commentChar": "#"}"##, encoding: nil, schema: threeFields),
        DialectCase(name: "initial-space", file: "space.csv", bytes: Array("id, \"name\", \"price\"\n1, \"a, b\", 2.5\n2, c, y\n".utf8),
                    dialect: #"{"skipInitialSpace": true}"#, encoding: nil, schema: threeFields, describe: true),
        DialectCase(name: "latin-1", file: "latin.csv", bytes: latin1("id;name;price\n1;café;2,5\n2;Müller;3\n"),
                    dialect: #"{"delimiter": ";"}"#, encoding: "iso-8859-1", schema: threeFields),
        DialectCase(name: "windows-1252", file: "cp1252.csv", bytes: [0x69, 0x64, 0x2C, 0x6E, 0x61, 0x6D, 0x65, 0x2C, 0x70, 0x72, 0x69, 0x63, 0x65, 0x0A,
                                                                     0x31, 0x2C, 0x93, 0x80, 0x94, 0x2C, 0x31, 0x0A],
                    dialect: nil, encoding: "windows-1252", schema: threeFields),
        DialectCase(name: "utf-16", file: "utf16.csv", bytes: utf16LE("id,name,price\n1,Zoë,2\n2,b,z\n"),
                    dialect: nil, encoding: "utf-16", schema: threeFields),
        DialectCase(name: "gzip", file: "gz.csv.gz", bytes: Array("id;name;price\n1;a;2\n2;b;x\n".utf8),
                    dialect: #"{"delimiter": ";"}"#, encoding: nil, schema: threeFields, describe: true),
        DialectCase(name: "zip", file: "zipped.csv.zip", bytes: Array("id,name,price\n1,a,2\n2,b,x\n".utf8),
                    dialect: nil, encoding: nil, schema: threeFields),
        DialectCase(name: "preamble", file: "preamble.csv", bytes: Array("Title line\nexport 2026\nid,name,price\n1,a,2\n2,b,x\n".utf8),
                    dialect: #"{"headerRows": [3]}"#, encoding: nil, schema: threeFields),
        DialectCase(name: "no-header", file: "bare.csv", bytes: Array("1,a,2\n2,b,x\n".utf8),
                    dialect: #"{"header": false}"#, encoding: nil,
                    schema: #"{"fields": [{"name": "field1", "type": "integer"}, {"name": "field2", "type": "string"}, {"name": "field3", "type": "number"}]}"#),
    ]

    @Test(.enabled(if: Frictionless.path != nil && Python.available,
                   "needs `frictionless` on PATH (pip install frictionless) and python3 to write the compressed cases"))
    func agreesWithFrictionlessOnDialectsEncodingsAndCompression() throws {
        let dir = try schemaScratchDir()
        for c in Self.cases {
            let path = dir.appendingPathComponent(c.file).path
            if TableCompression.guess(path: path) != nil {
                try Python.compress(c.bytes, to: path)
            } else {
                try Data(c.bytes).write(to: URL(fileURLWithPath: path))
            }
            var resource = #"{"name": "\#(c.name)", "path": "\#(c.file)""#
            if let d = c.dialect { resource += #", "dialect": \#(d)"# }
            if let e = c.encoding { resource += #", "encoding": "\#(e)""# }
            resource += #", "schema": \#(c.schema)}"#
            try Data(resource.utf8).write(to: dir.appendingPathComponent("\(c.name).resource.json"))
        }
        let theirs = SchemaDifferentialResults(count: Self.cases.count)
        let described = Self.cases.filter(\.describe)
        let theirNames = SchemaDifferentialResults(count: described.count)
        DispatchQueue.concurrentPerform(iterations: Self.cases.count + described.count) { k in
            if k < Self.cases.count {
                theirs.set(k, Result { try Frictionless.resourceErrors(directory: dir, resource: "\(Self.cases[k].name).resource.json") })
            } else {
                let c = described[k - Self.cases.count]
                theirNames.set(k - Self.cases.count, Result { try Frictionless.describedNames(directory: dir, table: c.file) })
            }
        }
        for (k, c) in Self.cases.enumerated() {
            let expected = try theirs.get(k).sorted()
            // Ours reads the same resource description: its dialect and encoding.
            let schema = try TableSchema(contentsOf: dir.appendingPathComponent("\(c.name).resource.json").path)
            var ours: [String] = []
            try SchemaValidator(schema: schema).validate(path: dir.appendingPathComponent(c.file).path) { v in
                ours.append("\(v.type) \(v.row.map(String.init) ?? "-") \(v.fieldNumber.map(String.init) ?? "-")")
            }
            ours.sort()
            #expect(ours == expected, "case \(c.name): ours \(ours) vs frictionless \(expected)")
            #expect(!expected.isEmpty || c.name == "windows-1252" || c.name == "zip" || c.name == "utf-16" || c.name == "latin-1",
                    "case \(c.name) was meant to have errors")
        }
        for (k, c) in described.enumerated() {
            let path = dir.appendingPathComponent(c.file).path
            let sniff = try TableSniffer.sniff(path: path)
            let ours = try TableSchema.infer(path: path, layout: sniff.layout).fieldNames
            #expect(ours == (try theirNames.get(k)), "case \(c.name): sniffed \(sniff.layout.dialect.summary(for: .csv))")
        }
    }
}
