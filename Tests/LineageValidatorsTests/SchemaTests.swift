import Foundation
import Testing
@testable import LineageValidators

/// A scratch directory for one schema test.
func schemaScratchDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lineage-schema-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

func schemaScratch(_ name: String, _ bytes: [UInt8]) throws -> String {
    let path = try schemaScratchDir().appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func schemaScratch(_ name: String, _ text: String) throws -> String { try schemaScratch(name, Array(text.utf8)) }

/// Validates `csv` against the schema JSON and returns every violation as (type, row, field).
func violations(_ schemaJSON: String, _ csv: String, name: String = "t.csv") throws -> [String] {
    let schema = try TableSchema(json: Array(schemaJSON.utf8))
    let path = try schemaScratch(name, csv)
    var out: [String] = []
    try SchemaValidator(schema: schema).validate(path: path) { v in
        out.append("\(v.type) \(v.row.map(String.init) ?? "-") \(v.fieldNumber.map(String.init) ?? "-")")
    }
    return out
}

@Suite struct SchemaModelTests {
    func loadError(_ json: String) -> TableSchemaError? {
        do { _ = try TableSchema(json: Array(json.utf8)); return nil } catch let e as TableSchemaError { return e } catch { return nil }
    }

    @Test func loadsAFullSchemaAndWritesItBack() throws {
        let json = """
        {"fields": [
          {"name": "id", "type": "integer", "constraints": {"required": true, "unique": true, "minimum": 1}},
          {"name": "price", "type": "number", "decimalChar": ",", "groupChar": ".", "constraints": {"maximum": 1000.5}},
          {"name": "ok", "type": "boolean", "trueValues": ["Y"], "falseValues": ["N"]},
          {"name": "day", "type": "date", "format": "%d/%m/%Y", "constraints": {"minimum": "01/01/2020"}},
          {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{2}", "enum": ["DE", "FR"], "minLength": 2, "maxLength": 2}},
          {"name": "parent", "type": "integer"},
          {"name": "note"}
        ],
        "missingValues": ["", "NA"], "primaryKey": "id",
        "foreignKeys": [{"fields": "parent", "reference": {"resource": "", "fields": "id"}}]}
        """
        let schema = try TableSchema(json: Array(json.utf8))
        #expect(schema.fieldNames == ["id", "price", "ok", "day", "code", "parent", "note"])
        #expect(schema.fields[6].type == .string)   // no type: string, as frictionless reads v1 schemas
        #expect(schema.primaryKey == ["id"])
        #expect(schema.foreignKeys == [SchemaForeignKey(fields: ["parent"], referenceFields: ["id"])])
        #expect(schema.missingValues == ["", "NA"])
        #expect(schema.fields[2].trueValues == ["Y"])
        #expect(schema.fields[3].format == "%d/%m/%Y")
        #expect(schema.fields[4].constraints.enumValues == [.string("DE"), .string("FR")])
        // Written and read back: the same schema.
        let again = try TableSchema(json: Array(schema.jsonText.utf8))
        #expect(again == schema)
    }

    @Test func invalidSchemasNameTheProblemAndItsPath() throws {
        let cases: [(String, String, String)] = [
            ("{\"fields\": [", "", "not valid JSON"),
            ("[1, 2]", "", "not a JSON object"),
            ("{\"primaryKey\": \"id\"}", "fields", "no \"fields\""),
            ("{\"fields\": {}}", "fields", "not an array"),
            ("{\"fields\": [{\"name\": \"a\"}, 3]}", "fields[1]", "not an object"),
            ("{\"fields\": [{\"type\": \"integer\"}]}", "fields[0].name", "no name"),
            ("{\"fields\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\", \"type\": \"int\"}]}", "fields[2].type", "unknown field type \"int\""),
            ("{\"fields\": [{\"name\": \"a\", \"type\": \"integer\", \"constraints\": {\"pattern\": \"x\"}}]}", "fields[0].constraints.pattern", "not supported by type \"integer\""),
            ("{\"fields\": [{\"name\": \"a\", \"constraints\": {\"minLength\": -1}}]}", "fields[0].constraints.minLength", "non-negative integer"),
            ("{\"fields\": [{\"name\": \"a\", \"constraints\": {\"pattern\": \"(\"}}]}", "fields[0].constraints.pattern", "not a valid regular expression"),
            ("{\"fields\": [{\"name\": \"a\", \"type\": \"integer\", \"constraints\": {\"minimum\": \"x\"}}]}", "fields[0].constraints.minimum", "not a valid integer"),
            ("{\"fields\": [{\"name\": \"a\", \"type\": \"date\", \"constraints\": {\"maximum\": \"31/12/2020\"}}]}", "fields[0].constraints.maximum", "not a valid date"),
            ("{\"fields\": [{\"name\": \"a\", \"constraints\": {\"required\": \"yes\"}}]}", "fields[0].constraints.required", "not true or false"),
            ("{\"fields\": [{\"name\": \"a\", \"required\": true}]}", "fields[0].required", "inside \"constraints\""),
            ("{\"fields\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", "fields[1].name", "used twice"),
            ("{\"fields\": [{\"name\": \"a\"}], \"primaryKey\": \"id\"}", "primaryKey", "\"id\" is not a field"),
            ("{\"fields\": [{\"name\": \"a\"}], \"primaryKey\": [\"a\", \"b\"]}", "primaryKey[1]", "\"b\" is not a field"),
            ("{\"fields\": [{\"name\": \"a\"}], \"foreignKeys\": [{\"fields\": \"a\", \"reference\": {\"resource\": \"other\", \"fields\": \"a\"}}]}",
             "foreignKeys[0].reference.resource", "another resource"),
            ("{\"fields\": [{\"name\": \"a\"}], \"foreignKeys\": [{\"fields\": [\"a\"], \"reference\": {\"fields\": [\"a\", \"a\"]}}]}",
             "foreignKeys[0].reference.fields", "1 fields but its reference has 2"),
            ("{\"fields\": [{\"name\": \"a\", \"type\": \"date\", \"format\": \"%Q\"}]}", "fields[0].format", "not supported"),
            ("{\"fields\": [{\"name\": \"a\", \"format\": \"phone\"}]}", "fields[0].format", "unknown string format"),
            ("{\"fields\": [{\"name\": \"a\"}], \"missingValues\": [null]}", "missingValues[0]", "not a string"),
            ("{\"fields\": [{\"name\": \"a\", \"format\": \"email\", \"constraints\": {\"enum\": [\"x\"]}}]}", "fields[0].constraints.enum", "no enum value"),
        ]
        for (json, path, words) in cases {
            let error = loadError(json)
            #expect(error != nil, "accepted: \(json)")
            guard let error else { continue }
            #expect(error.path == path, "\(json) → \(error)")
            #expect(error.problem.contains(words), "\(json) → \(error)")
            #expect(!error.hint.isEmpty)
            #expect(error.description.contains("not a valid Table Schema"))
        }
    }

    @Test func aSchemaFileErrorNamesTheFile() throws {
        let path = try schemaScratch("s.json", "{\"fields\": [{\"name\": \"a\", \"type\": \"text\"}]}")
        #expect(throws: TableSchemaError.self) { try TableSchema(contentsOf: path) }
        do { _ = try TableSchema(contentsOf: path) } catch let e as TableSchemaError {
            #expect(e.file == path)
            #expect(e.description.hasPrefix(path + ": not a valid Table Schema: fields[0].type: unknown field type \"text\""))
        }
        #expect(throws: TableSchemaError.self) { try TableSchema(contentsOf: path + ".missing") }
    }
}

@Suite struct SchemaTypeTests {
    /// The field's reading of one cell: valid or a type error.
    func valid(_ type: SchemaFieldType, _ cell: String, format: String = "default", _ configure: (inout SchemaField) -> Void = { _ in }) -> Bool {
        var field = SchemaField(name: "f", type: type, format: format)
        configure(&field)
        let reader = SchemaCellReader(field: field)
        let bytes = Array(cell.utf8)
        return bytes.withUnsafeBufferPointer { reader.value($0) != nil }
    }

    @Test func integers() {
        for ok in ["1", "-5", "+7", " 12 ", "007", "1_000", "-0", "\u{0663}", "99999999999999999999999"] { #expect(valid(.integer, ok), "\(ok)") }
        for bad in ["1e3", "1.0", "0x10", "1__0", "_1", "1_", "abc", "1 2", "3.5", "--1"] { #expect(!valid(.integer, bad), "\(bad)") }
        #expect(valid(.integer, "12 apples") == false)
        #expect(valid(.integer, "$12 apples") { $0.bareNumber = false })
    }

    @Test func numbers() {
        for ok in ["1.5", "-0.0", "1e5", "1E-3", ".5", "5.", "NaN", "nan", "-inf", "Infinity", "1_0.5", " 2.5 ", "+.5", "1e400"] {
            #expect(valid(.number, ok), "\(ok)")
        }
        for bad in ["1,5", "abc", "1e", ".", "e5", "1.2.3", "0x10", "-"] { #expect(!valid(.number, bad), "\(bad)") }
        #expect(valid(.number, "1.234,5") { $0.decimalChar = ","; $0.groupChar = "." })
        #expect(!valid(.number, "1.5") { $0.decimalChar = "," })   // a '.' is refused when decimalChar is something else
        #expect(valid(.number, "€ 12.50 EUR") { $0.bareNumber = false })
        #expect(valid(.number, "-5%") { $0.bareNumber = false })
    }

    @Test func booleans() {
        for ok in ["true", "True", "TRUE", "1", "false", "False", "FALSE", "0"] { #expect(valid(.boolean, ok)) }
        for bad in ["yes", "t", "tRue", "TRUE "] { #expect(!valid(.boolean, bad)) }
        #expect(valid(.boolean, "Y") { $0.trueValues = ["Y"]; $0.falseValues = ["N"] })
        #expect(!valid(.boolean, "true") { $0.trueValues = ["Y"]; $0.falseValues = ["N"] })
    }

    @Test func dates() {
        for ok in ["2020-01-01", "2020-1-5", "2020-02-29", "2020-11-1"] { #expect(valid(.date, ok), "\(ok)") }
        for bad in ["2020-02-30", "2019-02-29", "0000-01-01", "2020-13-01", "2020-00-10", "20200101", "2020/01/01", "2020-1-123",
                    " 2020-01-01", "2020-01-01T00:00:00"] {
            #expect(!valid(.date, bad), "\(bad)")
        }
        #expect(valid(.date, "01/02/2020", format: "%d/%m/%Y"))
        #expect(valid(.date, "1/2/2020", format: "%d/%m/%Y"))
        #expect(!valid(.date, "31/02/2020", format: "%d/%m/%Y"))
        #expect(valid(.date, "jan 2 2020", format: "%b %d %Y"))
        #expect(valid(.date, "January 02 2020", format: "%B %d %Y"))
        #expect(valid(.date, "20200102", format: "%Y%m%d"))
        #expect(valid(.date, "2020-01-02", format: "any"))
        #expect(valid(.date, "Jan 2, 2020", format: "any"))
        #expect(!valid(.date, "not a date", format: "any"))
    }

    @Test func datetimes() {
        for ok in ["2020-01-01T10:00:00", "2020-01-01T10:00:00Z", "2020-01-01 10:00:00", "2020-01-01T10:00:00+01:00", "2020-01-01T10:00:00+0100",
                   "2020-01-01T10:00:00+01", "2020-01-01T10:00:00.123456", "2020-01-01T24:00:00", "2020-01-01X10:00:00", "2020-01-01T10:00:00,5",
                   "2020-01-01T10:00:00.1234567Z"] {
            #expect(valid(.datetime, ok), "\(ok)")
        }
        for bad in ["2020-01-01T25:00:00", "2020-01-01T10:00", "2020-01-01", "2020-02-30T10:00:00", "2020-01-01T10:00:60",
                    "2020-01-01T10:00:00-25:00", "2020-01-01T24:00:01"] {
            #expect(!valid(.datetime, bad), "\(bad)")
        }
        #expect(valid(.datetime, "2020-01-02 10:30", format: "%Y-%m-%d %H:%M"))
        #expect(valid(.datetime, "2020-01-02  10:30", format: "%Y-%m-%d %H:%M"))   // whitespace in the pattern matches a run
        #expect(!valid(.datetime, "2020-01-02T10:30", format: "%Y-%m-%d %H:%M"))
        #expect(valid(.datetime, "2020-01-02T10:30:00Z", format: "%Y-%m-%dT%H:%M:%S%z"))
    }

    @Test func times() {
        for ok in ["10:00:00", "23:59:59", "24:00:00", "10:00:00Z", "10:00:00+01:00", "10:00:00.5"] { #expect(valid(.time, ok), "\(ok)") }
        for bad in ["10:00", "24:00:01", "1:00:00", "25:00:00", "10:00:00 ", "100000"] { #expect(!valid(.time, bad), "\(bad)") }
        #expect(valid(.time, "12:00 pm", format: "%I:%M %p"))
        #expect(!valid(.time, "13:00 PM", format: "%I:%M %p"))
    }

    @Test func yearsAndYearMonths() {
        for ok in ["2020", "0000", "9999", " 202", "20_0"] { #expect(valid(.year, ok), "\(ok)") }
        for bad in ["10000", "-100", "abcd", "2020.0", "0"] { #expect(!valid(.year, bad), "\(bad)") }
        for ok in ["2020-05", "2020-5", "2020-+5"] { #expect(valid(.yearmonth, ok), "\(ok)") }
        for bad in ["2020-13", "2020-0", "2020-05-01", "-2020-05", "x-5"] { #expect(!valid(.yearmonth, bad), "\(bad)") }
    }

    @Test func stringFormats() {
        for ok in ["a@b.co", "a.b@x.yz", "A@B.COM", "\"qx\"@b.com", "é@b.com", "a@bü.com", "x@a.b-c.com"] { #expect(valid(.string, ok, format: "email"), "\(ok)") }
        for bad in ["a@b", "a.b@x.y.z", "\"q x\"@b.com", "\"q\\ x\"@b.com", "a..b@x.com", "x@-a.com", "a@b.c1", "user@exa_mple.com", "a@ex.com.", "plain"] {
            #expect(!valid(.string, bad, format: "email"), "\(bad)")
        }
        for ok in ["http://x", "mailto:a", "urn:isbn:1", "x:"] { #expect(valid(.string, ok, format: "uri"), "\(ok)") }
        for bad in ["1http://x", "://x", "noscheme"] { #expect(!valid(.string, bad, format: "uri"), "\(bad)") }
        for ok in ["123e4567-e89b-12d3-a456-426614174000", "{123e4567e89b12d3a456426614174000}", "urn:uuid:123e4567-e89b-12d3-a456-426614174000"] {
            #expect(valid(.string, ok, format: "uuid"), "\(ok)")
        }
        for bad in ["123e4567-e89b-12d3-a456-42661417400", "zzze4567-e89b-12d3-a456-426614174000"] { #expect(!valid(.string, bad, format: "uuid")) }
        for ok in ["aGVsbG8=", "aGVsbA==", "abcd", "ab==", "aGVs bG8=", "!!!!"] { #expect(valid(.string, ok, format: "binary"), "\(ok)") }
        for bad in ["aGVsbG8", "a", "abc", "a==="] { #expect(!valid(.string, bad, format: "binary"), "\(bad)") }
    }

    @Test func structuredTypes() {
        #expect(valid(.object, "{\"a\": 1}"))
        #expect(!valid(.object, "[1]"))
        #expect(!valid(.object, "{\"a\":"))
        #expect(valid(.array, "[1, NaN]"))
        #expect(!valid(.array, "{}"))
        #expect(valid(.geopoint, "90, 45"))
        #expect(!valid(.geopoint, "181,0"))
        #expect(!valid(.geopoint, "1,2,3"))
        #expect(valid(.geopoint, "[1, 2]", format: "array"))
        #expect(valid(.geopoint, "{\"lon\": 1, \"lat\": 2}", format: "object"))
        #expect(valid(.geojson, "{\"type\": \"Point\", \"coordinates\": [1, 2]}"))
        #expect(valid(.geojson, "{\"type\": \"Feature\", \"geometry\": null, \"properties\": {}}"))
        #expect(!valid(.geojson, "{\"type\": \"Point\"}"))
        #expect(!valid(.geojson, "{\"type\": \"Point\", \"coordinates\": [1, 2, 3]}"))
        for ok in ["P1Y", "P1Y2M3DT4H5M6S", "PT0S", "PT", "P1W", "-P1D", "P1.5Y", "P1,5D", "P0001-02-03T04:05:06"] { #expect(valid(.duration, ok), "\(ok)") }
        for bad in ["P", "1D", "P1D2Y"] { #expect(!valid(.duration, bad), "\(bad)") }
        #expect(valid(.any, "anything"))
    }

    @Test func decimalsCompareAndHashLikePython() {
        func d(_ s: String) -> SchemaDecimal { Array(s.utf8).withUnsafeBufferPointer { SchemaNumberParser.pythonDecimal($0)! } }
        #expect(SchemaHasher.hash(d("1")) == SchemaHasher.hash(d("1.000")))
        #expect(SchemaHasher.hash(d("100")) == SchemaHasher.hash(d("1e2")))
        #expect(SchemaHasher.hash(d("-0")) == SchemaHasher.hash(d("0.0")))
        #expect(SchemaHasher.hash(d("1.5")) != SchemaHasher.hash(d("15")))
        #expect(SchemaDecimal.compare(d("2.5"), d("10")) == -1)
        #expect(SchemaDecimal.compare(d("10.0"), d("1e1")) == 0)
        #expect(SchemaDecimal.compare(d("-3"), d("-20")) == 1)
        #expect(SchemaDecimal.compare(d("123456789012345678901234567890"), d("123456789012345678901234567891")) == -1)
        #expect(SchemaDecimal.compare(d("0.30000000000000001"), d("0.3")) == 1)
        #expect(SchemaDecimal.compare(d("nan"), d("1")) == nil)
        #expect(SchemaDecimal.compare(d("-inf"), d("-1e300")) == -1)
        #expect(d("1e2").exactInt == 100)
        #expect(d("1.50").exactInt == nil)
    }
}

@Suite struct SchemaConstraintTests {
    @Test func requiredAndMissingValues() throws {
        let schema = """
        {"fields": [{"name": "a", "type": "integer", "constraints": {"required": true}, "missingValues": ["-"]},
                    {"name": "b", "type": "integer", "constraints": {"required": true}}], "missingValues": ["", "NA"]}
        """
        // a's missing value is "-" only (a field's own list replaces the schema's), so "" and "NA"
        // are not integers there; b's are "" and "NA".
        #expect(try violations(schema, "a,b\n-,NA\n,1\nNA,-\n1,2\n") == [
            "blank-row 2 -", "type-error 3 1", "type-error 4 1", "type-error 4 2",
        ])
    }

    @Test func stringConstraints() throws {
        let schema = """
        {"fields": [{"name": "s", "constraints": {"minLength": 2, "maxLength": 4, "pattern": "[a-z]+", "enum": ["ab", "abc", "abcde", "A", "é1"]}}]}
        """
        #expect(try violations(schema, "s\nab\na\nabcde\nA\né1\nxyz\n") == [
            "constraint-error 3 1", "constraint-error 3 1",            // minLength, enum
            "constraint-error 4 1",                                    // maxLength
            "constraint-error 5 1", "constraint-error 5 1",            // minLength, pattern
            "constraint-error 6 1",                                    // pattern (é is not [a-z])
            "constraint-error 7 1",                                    // enum
        ])
    }

    @Test func numericAndTemporalBounds() throws {
        let schema = """
        {"fields": [{"name": "n", "type": "number", "constraints": {"minimum": 0, "maximum": "10.5"}},
                    {"name": "i", "type": "integer", "constraints": {"exclusiveMinimum": 1, "exclusiveMaximum": 5, "enum": [2, "3", 9]}},
                    {"name": "d", "type": "date", "constraints": {"minimum": "2020-01-01"}},
                    {"name": "y", "type": "year", "constraints": {"maximum": 2020}},
                    {"name": "ym", "type": "yearmonth", "constraints": {"minimum": "2020-03"}}]}
        """
        #expect(try violations(schema, "n,i,d,y,ym\n0,2,2020-01-01,2020,2020-03\n-0.5,1,2019-12-31,2021,2020-02\nNaN,3,,,\n10.51,9,,,\n") == [
            "constraint-error 3 1", "constraint-error 3 2", "constraint-error 3 2", "constraint-error 3 3", "constraint-error 3 4", "constraint-error 3 5",
            "constraint-error 4 1", "constraint-error 4 1",            // NaN fails both bounds
            "constraint-error 5 1", "constraint-error 5 2",            // 10.51 > 10.5; 9 is not < 5
        ])
    }

    @Test func uniqueComparesValuesNotText() throws {
        let schema = """
        {"fields": [{"name": "i", "type": "integer", "constraints": {"unique": true}},
                    {"name": "n", "type": "number", "constraints": {"unique": true}},
                    {"name": "s", "constraints": {"unique": true}}]}
        """
        // 01 == 1, 1.0 == 1e0 == 1, NaN is never equal to itself, strings compare exactly.
        #expect(try violations(schema, "i,n,s\n1,1.0,a\n01,1e0,A\n3,NaN,a\n4,NaN,\n5,,\n") == [
            "unique-error 3 1", "unique-error 3 2", "unique-error 4 3",
        ])
    }

    @Test func primaryAndForeignKeys() throws {
        let schema = """
        {"fields": [{"name": "id", "type": "integer"}, {"name": "v", "type": "string"}, {"name": "parent", "type": "integer"}],
         "primaryKey": ["id", "v"], "foreignKeys": [{"fields": "parent", "reference": {"resource": "", "fields": "id"}}]}
        """
        // Row 3 references id 4, which only appears later (row 5): fine. Row 6 references 9: nothing has it.
        #expect(try violations(schema, "id,v,parent\n1,a,\n2,a,4\n1,a,1\n4,,1\n,,9\n") == [
            "primary-key 4 -", "primary-key 6 -", "foreign-key 6 -",
        ])
        // A long sequential key, then one repeat out of order.
        var csv = "id,v,parent\n"
        for k in 1...5000 { csv += "\(k),x,\n" }
        csv += "17,x,\n"
        #expect(try violations(schema, csv) == ["primary-key 5002 -"])
    }
}

@Suite struct SchemaValidatorTests {
    let schema = """
    {"fields": [{"name": "id", "type": "integer", "constraints": {"required": true}}, {"name": "name"}, {"name": "score", "type": "number"}]}
    """

    @Test func headerErrors() throws {
        #expect(try violations(schema, "id,id,\n1,a,2\n") == ["duplicate-label 1 2", "blank-label 1 3"])
        #expect(try violations(schema, "id,nom,score,extra\n1,a,2,x\n") == ["extra-label 1 4", "incorrect-label 1 2"])
        #expect(try violations(schema, "id\n1\n") == ["missing-label 1 2", "missing-label 1 3"])
    }

    @Test func raggedRowsAndBlankRows() throws {
        #expect(try violations(schema, "id,name,score\n1,a,2,x,y\n1\n\n,,\n,,,z\n,a\n") == [
            "extra-cell 2 4", "extra-cell 2 5",
            "missing-cell 3 2", "missing-cell 3 3",
            "blank-row 4 -", "blank-row 5 -", "blank-row 6 -",
            "constraint-error 7 1", "missing-cell 7 3",
        ])
    }

    @Test func invalidUTF8IsAnEncodingErrorFinding() throws {
        let path = try schemaScratch("u.csv", Array("id,name,score\n1,a,2\n2,".utf8) + [0xFF, 0xFE] + Array(",3\n4,b,x\n".utf8))
        let report = try SchemaValidator(schema: TableSchema(json: Array(schema.utf8))).validate(path: path, displayPath: "data/u.csv")
        #expect(report.outcome == .failed)
        let finding = try #require(report.findings.first)
        #expect(finding.check == "encoding-error")
        #expect(finding.rows == [3])
        #expect(finding.file == "data/u.csv")
        #expect(finding.message.contains("line 3"))
        #expect(finding.message.contains("UTF-8"))
        #expect(report.counts["rows"] == 1)   // validation stops at the bad record
    }

    @Test func invalidUTF8InTheHeaderToo() throws {
        let path = try schemaScratch("h.csv", Array("id,n".utf8) + [0xC3, 0x28] + Array(",score\n1,a,2\n".utf8))
        var seen: [SchemaViolation] = []
        try SchemaValidator(schema: TableSchema(json: Array(schema.utf8))).validate(path: path) { seen.append($0) }
        #expect(seen.map(\.type) == ["encoding-error"])
        #expect(seen.first?.row == 1)
        // A file that is not there is the caller's problem: it throws.
        #expect(throws: TableReadError.self) { try SchemaValidator(schema: TableSchema(json: Array(schema.utf8))).validate(path: path + ".gone") }
    }

    @Test func anUnclosedQuoteIsASourceError() throws {
        #expect(try violations(schema, "id,name,score\n1,\"open,2\n3,b,4\n") == ["source-error 2 -"])
    }

    @Test func emptyFileIsASourceError() throws {
        #expect(try violations(schema, "") == ["source-error - -"])
        #expect(try violations(schema, "id,name,score\n") == [])
    }

    @Test func jsonLinesAreValidatedToo() throws {
        let text = "{\"id\": 1, \"name\": \"a\", \"score\": 1.5}\n{\"id\": \"x\", \"name\": \"b\", \"score\": null}\n{\"id\": 3, \"score\": 2}\n"
        #expect(try violations(schema, text, name: "t.jsonl") == ["type-error 3 1"])
    }

    @Test func quotedFieldsAcrossReadBlocks() throws {
        // Records cut across the scanner's read blocks must read as TableReader reads them.
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab,\"\n\r xé1")
        var text = "h1,h2,h3\n"
        for _ in 0..<400 {
            let cells = (0..<3).map { _ -> String in
                let s = String((0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                return s.contains(where: { ",\"\n\r".contains($0) }) || Bool.random(using: &rng) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            text += cells.joined(separator: ",") + (Bool.random(using: &rng) ? "\r\n" : "\n")
        }
        let path = try schemaScratch("q.csv", text)
        let reader = try TableReader(path: path)
        var expected: [[String]] = [], lines: [Int] = []
        while try reader.next() { expected.append(reader.fields); lines.append(reader.line) }
        for block in [64, 100, 4096] {
            let scanner = try SchemaCSVScanner(path: path, blockSize: block)
            #expect(scanner.header == reader.header)
            var got: [[String]] = [], gotLines: [Int] = []
            while try scanner.next() {
                got.append((0..<scanner.fieldCount).map { String(decoding: scanner.field($0), as: UTF8.self) })
                gotLines.append(scanner.line)
            }
            #expect(got == expected)
            #expect(gotLines == lines)
        }
        // Malformed input fails at the same line as TableReader says.
        for (name, tail) in [("q", Array("x,\"open\n1,2\n".utf8)), ("u", Array("x,".utf8) + [0xE2, 0x28, 0xA1] + Array("\n".utf8))] {
            let bad = try schemaScratch("\(name)-bad.csv", Array(text.utf8) + tail)
            var readerError: TableReadError?, scannerError: TableReadError?
            do { let r = try TableReader(path: bad); while try r.next() {} } catch let e as TableReadError { readerError = e }
            do { let s = try SchemaCSVScanner(path: bad, blockSize: 100); while try s.next() {} } catch let e as TableReadError { scannerError = e }
            #expect(readerError != nil)
            #expect(scannerError?.line == readerError?.line)
            #expect(scannerError?.message == readerError?.message)
        }
    }

    @Test func reportGroupsFindingsPerCheckAndColumn() throws {
        var csv = "id,name,score\n"
        for k in 1...20 { csv += k % 2 == 0 ? "\(k),n,bad\(k)\n" : "\(k),n,\(k).5\n" }
        let path = try schemaScratch("r.csv", csv)
        let report = try SchemaValidator(schema: TableSchema(json: Array(schema.utf8))).validate(path: path)
        #expect(report.validator == "schema")
        #expect(report.outcome == .failed)
        #expect(report.counts["rows"] == 20)
        #expect(report.counts["errors"] == 10)
        #expect(report.findings.count == 1)
        let f = report.findings[0]
        #expect(f.check == "type-error")
        #expect(f.column == "score")
        #expect(f.fieldNumber == 3)
        #expect(f.count == 10)
        #expect(f.rows == [3, 5, 7, 9, 11])
        #expect(f.examples == ["bad2", "bad4", "bad6", "bad8", "bad10"])
        #expect(f.message.contains("number"))
    }
}

@Suite struct SchemaInferenceTests {
    @Test func infersTypesAndRequiredAndTheFileThenValidates() throws {
        let csv = """
        id,price,active,day,when,month,code,note,empty,doc
        1,1.5,true,2020-01-01,2020-01-01T10:00:00Z,2020-01,A1,hello,,{"a": 1}
        2,2,false,2020-02-29,2020-01-01T10:00:00+01:00,2020-12,B2,,,{}
        3,-0.25,TRUE,2021-12-31,2021-06-30T23:59:59,2021-05,C3,"with, comma",,{"b": [1]}

        """
        let path = try schemaScratch("i.csv", csv)
        let schema = try TableSchema.infer(path: path)
        #expect(schema.fields.map(\.type) == [.integer, .number, .boolean, .date, .datetime, .yearmonth, .string, .string, .any, .object])
        #expect(schema.fields.map(\.constraints.required) == [true, true, true, true, true, true, true, false, false, true])
        // Pretty JSON that loads back to the same schema…
        let text = schema.jsonText
        #expect(text.contains("\n  \"fields\": [\n"))
        let loaded = try TableSchema(json: Array(text.utf8))
        #expect(loaded == schema)
        // …and validates the file it came from.
        let report = try SchemaValidator(schema: loaded).validate(path: path)
        #expect(report.findings == [], "\(report.findings)")
    }

    @Test func inferredSchemasValidateGeneratedFiles() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            var csv = "a,b,c,d,e\n"
            for k in 0..<300 {
                let a = Int.random(in: -5...5, using: &rng)
                let b = Bool.random(using: &rng) ? "\(Double(Int.random(in: 0...999, using: &rng)) / 8)" : "\(k)"
                let c = ["true", "false", "1", "0"].randomElement(using: &rng)!
                let d = Int.random(in: 0...9, using: &rng) == 0 ? "" : "2024-0\(Int.random(in: 1...9, using: &rng))-1\(Int.random(in: 0...9, using: &rng))"
                let e = ["x", "2020", "y z", "\"q,\""].randomElement(using: &rng)!
                csv += "\(a),\(b),\(c),\(d),\(e)\n"
            }
            let path = try schemaScratch("g.csv", csv)
            let schema = try TableSchema.infer(path: path)
            #expect(schema.fields[0].type == .integer)
            #expect(schema.fields[3].type == .date || schema.fields[3].type == .any)
            let report = try SchemaValidator(schema: TableSchema(json: Array(schema.jsonText.utf8))).validate(path: path)
            #expect(report.findings.isEmpty, "\(schema.jsonText)\n\(report.findings)")
        }
    }

    @Test func sampleRowsLimitsWhatIsRead() throws {
        let path = try schemaScratch("s.csv", "n\n1\n2\nx\n")
        #expect(try TableSchema.infer(path: path, sampleRows: 2).fields[0].type == .integer)
        #expect(try TableSchema.infer(path: path).fields[0].type == .string)
    }
}

@Suite struct SchemaDriftTests {
    func schema(_ fields: [(String, SchemaFieldType)]) -> TableSchema {
        TableSchema(fields: fields.map { SchemaField(name: $0.0, type: $0.1) })
    }

    @Test func removedAddedRenamedRetyped() {
        let before = schema([("id", .integer), ("name", .string), ("age", .integer), ("city", .string), ("gone", .date)])
        let after = schema([("id", .integer), ("full_name", .string), ("age", .number), ("city", .string), ("zip", .integer), ("new", .boolean)])
        let drift = SchemaDrift.compare(previous: before, current: after)
        #expect(drift.changes == [
            .retyped(name: "age", from: .integer, to: .number, position: 3),
            .renamed(from: "name", to: "full_name", position: 2),
            .removed(name: "gone", position: 5),
            .added(name: "zip", position: 5),
            .added(name: "new", position: 6),
        ])
        let warn = drift.findings(severity: .warn, file: "data/x.csv")
        #expect(warn.map(\.check) == ["field-retyped", "field-renamed", "field-removed", "field-added", "field-added"])
        #expect(warn.allSatisfy { $0.severity == .warning && $0.file == "data/x.csv" })
        #expect(drift.report(severity: .warn).outcome == .warned)
        #expect(drift.report(severity: .fail).outcome == .failed)
        #expect(drift.report(severity: .fail).counts["field-added"] == 2)
        #expect(warn[1].message.contains("renamed to \"full_name\""))
    }

    @Test func sameSchemaNoDrift() {
        let s = schema([("id", .integer), ("name", .string)])
        #expect(SchemaDrift.compare(previous: s, current: s).isEmpty)
        #expect(SchemaDrift.compare(previous: s, current: s).report(severity: .fail).outcome == .passed)
        // A rename needs the same type at the same position; otherwise it is a removal and an addition.
        let d = SchemaDrift.compare(previous: s, current: schema([("id", .integer), ("label", .integer)]))
        #expect(d.changes == [.removed(name: "name", position: 2), .added(name: "label", position: 2)])
    }
}
