import Foundation
import Testing

/// Real-world CSV through the CLI (issue 20): declared dialects and encodings in lineage.yaml,
/// `schema infer` sniffing and writing them down, `validate` reading what the schema declares.
@Suite struct DialectCLITests {
    static func latin1(_ s: String) -> Data { Data(s.unicodeScalars.map { UInt8($0.value) }) }

    @Test func schemaInferSniffsWritesAndValidatesTheSameWay() throws {
        let p = try Project(initialize: false)
        defer { p.remove() }
        // French export: a comment line, semicolons, decimal commas, spaces after delimiters, Latin-1.
        try p.write("bornes.csv", Self.latin1("# export du 2026-01-01\nid; nom; puissance\n1; Besançon; 22,5\n2; Orléans; 7,4\n3; Zoë; 11\n"))
        let r = try p.run("schema", "infer", "bornes.csv", "-o", "bornes.schema.json")
        #expect(r.code == 0, "\(r.err)")
        #expect(r.err.contains("iso-8859-1"))
        #expect(r.err.contains("delimiter ';'"))
        #expect(r.err.contains("comment lines '#'"))
        let written = String(decoding: p.read("bornes.schema.json") ?? Data(), as: UTF8.self)
        #expect(written.contains("\"delimiter\" : \";\"") || written.contains("\"delimiter\": \";\""), "\(written)")
        #expect(written.contains("\"commentChar\""))
        #expect(written.contains("\"skipInitialSpace\""))
        #expect(written.contains("iso-8859-1"))
        #expect(written.contains("\"nom\""))
        #expect(!written.contains("# export"))
        // Validation reads exactly what the schema declares.
        let ok = try p.run("validate", "bornes.csv", "--schema", "bornes.schema.json")
        #expect(ok.code == 0, "\(ok.out) \(ok.err)")
        #expect(ok.out.contains("3 rows"))
    }

    @Test func anAmbiguousDelimiterIsAFindingNamingTheCandidates() throws {
        let p = try Project(initialize: false)
        defer { p.remove() }
        try p.write("t.csv", "a,b;c\n1,2;3\n4,5;6\n")
        let r = try p.run("schema", "infer", "t.csv")
        #expect(r.code == 1)
        #expect(r.err.contains("ambiguous"))
        #expect(r.err.contains("','") && r.err.contains("';'"))
        #expect(r.out.contains("\"dialect\""))
    }

    @Test func invalidUTF8SaysHowToDeclareTheEncoding() throws {
        let p = try Project(initialize: false)
        defer { p.remove() }
        try p.write("l.csv", Self.latin1("id,nom\n1,café\n"))
        try p.write("s.json", #"{"fields": [{"name": "id", "type": "integer"}, {"name": "nom", "type": "string"}]}"#)
        let r = try p.run("validate", "l.csv", "--schema", "s.json")
        #expect(r.code == 1)
        #expect(r.out.contains("encoding-error"))
        #expect(r.out.contains("declare it"))
        #expect(!(r.out + r.err).contains("permissions"))
    }

    @Test func hooksReadTheDeclaredDialectAndEncoding() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("data/prices.csv", Self.latin1("id;name;price\n1;café;2.5\n2;thé;3\n"))
        try p.write("schemas/prices.schema.json", #"{"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}, {"name": "price", "type": "number"}]}"#)
        // Undeclared, the semicolon file is one column and Latin-1 is not UTF-8: the commit is refused.
        try p.write("lineage.yaml", "hooks:\n  pre-commit:\n    - schema: { path: data/prices.csv, schema: schemas/prices.schema.json }\n")
        try p.expectOK(["add", "data/prices.csv", "schemas/prices.schema.json"])
        let refused = try p.run("commit", "-m", "undeclared")
        #expect(refused.code == 1)
        try p.write("lineage.yaml", """
            hooks:
              pre-commit:
                - schema: { path: data/prices.csv, schema: schemas/prices.schema.json, dialect: { delimiter: ";" }, encoding: latin-1 }
                - quality: { path: data/prices.csv, max-duplicate-rows: 0, dialect: { delimiter: ";" }, encoding: latin-1 }
                - pii: { path: data/prices.csv, dialect: { delimiter: ";" }, encoding: latin-1 }

            """)
        let ok = try p.run("commit", "-m", "declared")
        #expect(ok.code == 0, "\(ok.out) \(ok.err)")
        #expect(ok.out.contains("schema (lineage.yaml:3) passed"))
    }

    @Test func dialectMistakesInLineageYamlAreConfigErrors() throws {
        let p = try Project()
        defer { p.remove() }
        try p.write("a.csv", "x\n1\n")
        try p.expectOK(["add", "a.csv"])
        let cases: [(yaml: String, expect: [String])] = [
            ("hooks:\n  pre-commit:\n    - pii: { path: a.csv, dialect: { delimiter: ';;' } }\n", ["lineage.yaml:3", "dialect", "exactly one character"]),
            ("hooks:\n  pre-commit:\n    - pii: { path: a.csv, dialect: { delimter: ';' } }\n", ["lineage.yaml:3", "unknown dialect key", "did you mean 'delimiter'"]),
            ("hooks:\n  pre-commit:\n    - pii: { path: a.csv, dialect: ';' }\n", ["lineage.yaml:3", "expected a mapping"]),
            ("hooks:\n  pre-commit:\n    - quality: { path: a.csv, encoding: klingon }\n", ["lineage.yaml:3", "encoding", "iso-8859-1"]),
        ]
        for c in cases {
            try p.write("lineage.yaml", c.yaml)
            let r = try p.run("commit", "-m", "x")
            #expect(r.code == 2, "\(c.yaml): \(r.err)")
            for needle in c.expect { #expect(r.err.contains(needle), "\(c.yaml): missing '\(needle)' in \(r.err)") }
        }
    }
}
