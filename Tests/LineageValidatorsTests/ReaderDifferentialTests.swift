import Foundation
import Testing
@testable import LineageValidators

/// The one table reader and the one JSON parser against Python's `csv` and `json` modules (what
/// frictionless reads with) on hostile fixtures written by the test: quotes inside fields, CRLF/CR/LF
/// mixes, a byte-order mark, unclosed quotes, empty fields and lines, embedded newlines, very long
/// fields, invalid UTF-8, lone surrogate escapes, deep nesting, awkward numbers. Python parses every
/// fixture in one run; each of our readers must give the same rows, or refuse what Python refuses.
/// Where lineage deliberately refuses what Python accepts, the fixture says so and why
/// (`Expect.weRefuse`), and the test checks that Python still accepts it — so the list of
/// differences stays true.
///
/// CSV is read by both drivers of the one parser: the streaming `TableReader` (schema, `schema
/// infer`, and every non-plain file) and the memory-mapped `MappedRecord` (leakage, quality, PII).
@Suite(.enabled(if: Python.available, "needs python3: its csv and json modules are the reference (CI installs python3)"))
struct ReaderDifferentialTests {
    enum Expect: Sendable {
        case same
        /// lineage refuses, Python accepts: the reason.
        case weRefuse(String)
    }

    struct Fixture: Sendable {
        var name: String
        var bytes: [UInt8]
        var expect: Expect = .same
        /// csv.reader keyword arguments (CSV fixtures); the dialect we read with.
        var python = ""
        var dialect: [(String, String)] = []
        var format: TableFormat = .csv
    }

    static let unclosed = "Python's non-strict csv reader ends an unclosed quoted field at the end of the file and returns it; lineage refuses, because a validator must not guess where a row ends (an unclosed quote swallows every row after it)"

    static func b(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let csvFixtures: [Fixture] = [
        Fixture(name: "quotes", bytes: b("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n\"\"\"\",\"\",a\"b\n")),
        Fixture(name: "text-after-quote", bytes: b("\"a\"b,\"c\"\"d\"e\"f\",g\n")),
        Fixture(name: "space-before-quote", bytes: b(" \"a\", b ,\"c\" \n")),
        Fixture(name: "crlf-cr-lf-mix", bytes: b("a,b\r\n1,2\r3,4\n5,6\r\n\r7,8\r")),
        Fixture(name: "embedded-newlines", bytes: b("\"x\r\ny\",\"p\rq\",\"m\nn\"\r\n\"\n\",\"\r\",\"\r\n\"\n")),
        Fixture(name: "bom", bytes: [0xEF, 0xBB, 0xBF] + b("id,name\n1,\u{FEFF}x\n")),
        Fixture(name: "bom-quoted", bytes: [0xEF, 0xBB, 0xBF] + b("\"id\",name\n")),
        Fixture(name: "empty-fields", bytes: b(",,\n,\n\"\",\"\"\n\"\"\n,\"\",\n")),
        Fixture(name: "empty-lines", bytes: b("a\n\nb\n\r\n\rc\n\n")),
        Fixture(name: "trailing-delimiter-at-eof", bytes: b("a,b,")),
        Fixture(name: "quoted-field-at-eof", bytes: b("a,\"b\"")),
        Fixture(name: "cr-after-quote-at-eof", bytes: b("\"a\"\r")),
        Fixture(name: "only-newline", bytes: b("\n")),
        Fixture(name: "empty-file", bytes: []),
        Fixture(name: "nul-byte", bytes: b("a\u{0}b,c\n\"\u{0}\"\n")),
        Fixture(name: "unicode", bytes: b("é,😀,\"中文\"\n")),
        Fixture(name: "long-unquoted", bytes: b("h\n") + [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20) + b("\nend\n")),
        Fixture(name: "long-quoted", bytes: b("h\n\"") + Array((0..<200_000).flatMap { _ in b("ab\"\"\n,") }) + b("\"\nend\n")),
        Fixture(name: "unclosed-quote", bytes: b("a,b\n1,\"open\n2,3\n"), expect: .weRefuse(unclosed)),
        Fixture(name: "unclosed-after-doubled", bytes: b("\"a\"\""), expect: .weRefuse(unclosed)),
        Fixture(name: "lone-quote", bytes: b("\""), expect: .weRefuse(unclosed)),
        Fixture(name: "invalid-utf8", bytes: b("a,b\n1,") + [0xC3, 0x28] + b("\n")),
        Fixture(name: "invalid-utf8-quoted-halves", bytes: b("\"") + [0xC3] + b("\"") + [0xA9] + b("\n")),
        Fixture(name: "encoded-surrogate", bytes: b("a,") + [0xED, 0xA0, 0x80] + b("\n")),
        Fixture(name: "overlong", bytes: b("a,") + [0xC0, 0xAF] + b("\n")),
        Fixture(name: "truncated-at-eof", bytes: b("a,") + [0xE2, 0x82]),
        Fixture(name: "tsv", bytes: b("a\tb\n\"x\ty\"\t\"q\"\"\"\n,\t\n"), python: "delimiter='\\t'", format: .tsv),
        // Declared dialects (the general path of the parser).
        Fixture(name: "semicolon", bytes: b("a;b\n\"x;y\";\"z\"\"\"\n1,2;3\n"), python: "delimiter=';'", dialect: [("delimiter", ";")]),
        Fixture(name: "escape-no-doublequote", bytes: b("a|b\n'x\\'y'|c\\|d\n'p''q'|\\\n\n"),
                python: "delimiter='|', quotechar=\"'\", escapechar='\\\\', doublequote=False",
                dialect: [("delimiter", "|"), ("quoteChar", "'"), ("escapeChar", "\\"), ("doubleQuote", "false")]),
        Fixture(name: "skip-initial-space", bytes: b("a, b,  \"c, d\"\n   \n ,\n"), python: "skipinitialspace=True", dialect: [("skipInitialSpace", "true")]),
        Fixture(name: "no-quoting", bytes: b("a,\"b\n\"c\",d\"\n"), python: "quoting=csv.QUOTE_NONE", dialect: [("quoteChar", "")]),
        Fixture(name: "escape-in-quotes-cr", bytes: b("\"a\\\rb\",c\r\n"), python: "escapechar='\\\\'", dialect: [("escapeChar", "\\")]),
        Fixture(name: "dialect-unclosed", bytes: b("a;\"b\n"), expect: .weRefuse(unclosed), python: "delimiter=';'", dialect: [("delimiter", ";")]),
    ]

    // MARK: - Python

    /// Runs `script` with the fixture directory as argument; its stdout parsed as a JSON object.
    static func python(_ script: String, dir: String) throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, dir]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DifferentialFailure(message: "python3 failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return object
    }

    static let csvScript = """
        import csv, json, os, sys
        csv.field_size_limit(1 << 30)
        d = sys.argv[1]
        out = {}
        for name in sorted(os.listdir(d)):
            if not name.endswith('.kw'): continue
            base = name[:-3]
            kw = eval('dict(' + open(os.path.join(d, name)).read() + ')')
            try:
                # utf-8-sig: a byte-order mark is an encoding mark, not text (lineage drops it too).
                with open(os.path.join(d, base), newline='', encoding='utf-8-sig', errors='strict') as f:
                    out[base] = {'rows': list(csv.reader(f, **kw))}
            except Exception as e:
                out[base] = {'error': type(e).__name__ + ': ' + str(e)}
        print(json.dumps(out))
        """

    // MARK: - Our readers

    /// Every record as the streaming reader reads it (no header: the first record is data).
    static func streamed(_ path: String, _ fixture: Fixture, blockSize: Int) throws -> [[String]] {
        let layout = TableLayout(dialect: try dialect(fixture.dialect.filter { $0.1 != "" }).with { d in
            if fixture.dialect.contains(where: { $0 == ("quoteChar", "") }) { d.quoteChar = nil }
        })
        let reader = try TableReader(path: path, format: fixture.format, layout: layout, hasHeader: false, blockSize: blockSize)
        var rows: [[String]] = []
        while try reader.next() { rows.append(reader.fields) }
        return rows
    }

    /// Every record as the memory-mapped readers read it (leakage, quality, PII): BOM skipped,
    /// records parsed in place, raw bytes checked.
    static func mapped(_ path: String, _ fixture: Fixture) throws -> [[String]] {
        let file = try MappedFile(path: path)
        guard let base = file.base else { return [] }
        var pos = file.count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF ? 3 : 0
        let record = MappedRecord(base: base, count: file.count, delimiter: fixture.format == .tsv ? 0x09 : 0x2C)
        var rows: [[String]] = []
        while pos < file.count {
            let next = record.parse(at: pos)
            if let message = record.malformed { throw TableReadError(path: path, line: 0, message: message) }
            if UTF8Check.firstInvalid(base, pos, next) != nil { throw TableReadError(path: path, line: 0, message: TableReadError.invalidUTF8) }
            rows.append((0..<record.fieldCount).map(record.string))
            pos = next
        }
        return rows
    }

    static func write(_ fixtures: [Fixture], to dir: String) throws {
        for f in fixtures {
            try Data(f.bytes).write(to: URL(fileURLWithPath: dir + "/" + f.name))
            try Data(f.python.utf8).write(to: URL(fileURLWithPath: dir + "/" + f.name + ".kw"))
        }
    }

    @Test func csvAgreesWithPythonsCSVModule() throws {
        let dir = try leakageScratchDir()
        try Self.write(Self.csvFixtures, to: dir)
        let theirs = try Self.python(Self.csvScript, dir: dir)
        for fixture in Self.csvFixtures {
            let path = dir + "/" + fixture.name
            let python = theirs[fixture.name] as? [String: Any]
            let pythonRows = python?["rows"] as? [[String]]
            var readings: [(String, Result<[[String]], Error>)] = [
                ("TableReader", Result { try Self.streamed(path, fixture, blockSize: 1 << 20) }),
                ("TableReader, 64-byte blocks", Result { try Self.streamed(path, fixture, blockSize: 64) }),
            ]
            if fixture.dialect.isEmpty { readings.append(("MappedRecord", Result { try Self.mapped(path, fixture) })) }
            for (reader, result) in readings {
                switch (fixture.expect, result) {
                case (.same, .success(let ours)):
                    #expect(pythonRows != nil, "\(fixture.name): \(reader) read it, Python refused: \(python?["error"] ?? "?")")
                    if let pythonRows { #expect(ours == pythonRows, "\(fixture.name): \(reader)") }
                case (.same, .failure(let error)):
                    #expect(pythonRows == nil, "\(fixture.name): \(reader) refused (\(error)), Python read \(pythonRows ?? [])")
                case (.weRefuse, .success(let ours)):
                    Issue.record("\(fixture.name): \(reader) read \(ours), but lineage refuses this on purpose")
                case (.weRefuse, .failure(let error)):
                    #expect(error is TableReadError, "\(fixture.name): \(reader)")
                }
            }
            if case .weRefuse(let why) = fixture.expect {
                #expect(pythonRows != nil, "\(fixture.name): the stated difference is gone (Python refuses it too): \(why)")
            }
        }
    }

    // MARK: - JSON

    /// A canonical text of a JSON value that both sides produce: numbers keep their text, strings
    /// are the hex of their UTF-8, objects keep every member in order.
    static func canonical(_ v: SchemaJSON) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let t): return "n:" + t
        case .string(let s): return "s:" + s.utf8.map { String(format: "%02x", $0) }.joined()
        case .array(let items): return "[" + items.map(canonical).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.map { canonical(.string($0.0)) + "=" + canonical($0.1) }.joined(separator: ",") + "}"
        }
    }

    static let pythonCanonical = """
        import json, os, sys
        class Num(str): pass
        class Obj(list): pass
        def canon(v):
            if v is None: return 'null'
            if v is True: return 'true'
            if v is False: return 'false'
            if isinstance(v, Num): return 'n:' + v
            if isinstance(v, str): return 's:' + v.encode('utf-8').hex()   # a lone surrogate cannot be encoded: raises
            parts = []   # loops, not generator expressions: one frame per level, so depth 600 stays under the recursion limit
            if isinstance(v, Obj):
                for k, x in v: parts.append(canon(k) + '=' + canon(x))
                return '{' + ','.join(parts) + '}'
            if isinstance(v, list):
                for x in v: parts.append(canon(x))
                return '[' + ','.join(parts) + ']'
            raise TypeError(type(v))
        def loads(text):
            return json.loads(text, parse_int=Num, parse_float=Num, parse_constant=Num, object_pairs_hook=Obj)
        def outcome(f):
            try:
                return {'value': f()}
            except UnicodeEncodeError as e:
                return {'unencodable': str(e)}
            except Exception as e:
                return {'error': type(e).__name__ + ': ' + str(e)}
        """

    static let jsonScript = pythonCanonical + "\n" + """
        d = sys.argv[1]
        out = {}
        for name in sorted(os.listdir(d)):
            data = open(os.path.join(d, name), 'rb').read()
            out[name] = outcome(lambda: canon(loads(data.decode('utf-8'))))
        print(json.dumps(out))
        """

    static let lone = "Python's json module turns a lone surrogate escape (\\ud800) into a str that cannot be written as UTF-8; lineage refuses it, located, because it is not a character (and a cell or key holding it could not be reported or hashed as text)"
    static let deep = "lineage bounds nesting at 512 levels so a hostile file cannot exhaust the stack; Python's json module goes to its recursion limit (about 1000)"

    static func nested(_ depth: Int) -> [UInt8] { [UInt8](repeating: UInt8(ascii: "["), count: depth) + [UInt8](repeating: UInt8(ascii: "]"), count: depth) }

    static let jsonFixtures: [Fixture] = [
        Fixture(name: "object", bytes: b(#"{"a": 1, "b": [true, false, null], "c": {"d": "e"}, "a": -2.5}"#)),
        Fixture(name: "escapes", bytes: b(#"["\u00e9\/\"\\\b\f\n\r\t", "\u0000", "\ud83d\ude00", "é😀"]"#)),
        Fixture(name: "lone-high", bytes: b(#"["\ud800"]"#), expect: .weRefuse(lone)),
        Fixture(name: "lone-low", bytes: b(#""\udc00""#), expect: .weRefuse(lone)),
        Fixture(name: "high-then-letter", bytes: b(#""\ud800\u0041""#), expect: .weRefuse(lone)),
        Fixture(name: "reversed-pair", bytes: b(#""\ude00\ud83d""#), expect: .weRefuse(lone)),
        Fixture(name: "lone-key", bytes: b(#"{"\udbff": 1}"#), expect: .weRefuse(lone)),
        Fixture(name: "nested-100", bytes: nested(100)),
        Fixture(name: "nested-511", bytes: nested(511)),
        Fixture(name: "nested-600", bytes: nested(600), expect: .weRefuse(deep)),
        Fixture(name: "nested-100000", bytes: nested(100_000)),
        Fixture(name: "nested-unclosed", bytes: [UInt8](repeating: UInt8(ascii: "["), count: 50)),
        Fixture(name: "n-1e999", bytes: b("1e999")),
        Fixture(name: "n-minus-zero", bytes: b("-0")),
        Fixture(name: "n-minus-zero-float", bytes: b("[-0.0e0, 0.0, 1E+2, 1.5e-10, 2E-0]")),
        Fixture(name: "n-01", bytes: b("01")),
        Fixture(name: "n-minus-01", bytes: b("-01")),
        Fixture(name: "n-1dot", bytes: b("1.")),
        Fixture(name: "n-dot5", bytes: b(".5")),
        Fixture(name: "n-plus1", bytes: b("+1")),
        Fixture(name: "n-minus", bytes: b("-")),
        Fixture(name: "n-2e", bytes: b("2e")),
        Fixture(name: "n-huge", bytes: b("[123456789012345678901234567890, -1e-999]")),
        Fixture(name: "n-constants", bytes: b("[NaN, Infinity, -Infinity]")),
        Fixture(name: "n-nan-lower", bytes: b("nan")),
        Fixture(name: "raw-tab-in-string", bytes: b("\"a\tb\"")),
        Fixture(name: "bad-escape", bytes: b(#""\x41""#)),
        Fixture(name: "short-unicode-escape", bytes: b(#""\u12""#)),
        Fixture(name: "whitespace", bytes: b(" \t\n\r {} \r\n")),
        Fixture(name: "vertical-tab", bytes: b("\u{0B}1")),
        Fixture(name: "two-values", bytes: b("1 2")),
        Fixture(name: "empty", bytes: []),
        Fixture(name: "bom", bytes: [0xEF, 0xBB, 0xBF] + b("{}")),
        Fixture(name: "trailing-comma", bytes: b("[1,]")),
        Fixture(name: "trailing-comma-object", bytes: b(#"{"a": 1,}"#)),
        Fixture(name: "single-quotes", bytes: b("{'a': 1}")),
        Fixture(name: "invalid-utf8-in-string", bytes: b("\"") + [0xFF] + b("\"")),
        Fixture(name: "encoded-surrogate", bytes: b("\"") + [0xED, 0xA0, 0x80] + b("\"")),
        Fixture(name: "unterminated-string", bytes: b("\"abc")),
        Fixture(name: "literals", bytes: b("[true, false, null]")),
        Fixture(name: "bad-literal", bytes: b("tru")),
    ]

    @Test func jsonAgreesWithPythonsJSONModule() throws {
        let dir = try leakageScratchDir()
        for f in Self.jsonFixtures { try Data(f.bytes).write(to: URL(fileURLWithPath: dir + "/" + f.name)) }
        let theirs = try Self.python(Self.jsonScript, dir: dir)
        for fixture in Self.jsonFixtures {
            let python = theirs[fixture.name] as? [String: Any] ?? [:]
            let ours = Result { try SchemaJSON.parse(fixture.bytes) }
            switch (fixture.expect, ours) {
            case (.same, .success(let value)):
                #expect(python["value"] as? String == Self.canonical(value), "\(fixture.name): Python says \(python)")
            case (.same, .failure(let error)):
                #expect(python["error"] != nil, "\(fixture.name): we refused (\(error)), Python read \(python)")
            case (.weRefuse(let why), .success(let value)):
                Issue.record("\(fixture.name): read \(Self.canonical(value)), but lineage refuses this on purpose: \(why)")
            case (.weRefuse(let why), .failure):
                #expect(python["value"] != nil || python["unencodable"] != nil, "\(fixture.name): the stated difference is gone: \(why)")
            }
        }
    }

    // MARK: - JSON Lines

    /// Python's reading of JSON Lines by lineage's rules (lines split at LF, a trailing CR dropped,
    /// lines of spaces and tabs skipped, a leading byte-order mark dropped; each line one object;
    /// columns are the first object's keys, a repeated key's last value wins, other keys are extra
    /// cells; a string is its text, null empty, a number its text, a nested value its JSON, compared
    /// canonically). The flattening is lineage's rule written again in Python; the JSON is Python's.
    static let jsonlScript = pythonCanonical + "\n" + """
        def field(v):
            if v is None: return ['t', '']
            if v is True: return ['t', 'true']
            if v is False: return ['t', 'false']
            if isinstance(v, Num): return ['t', str.__str__(v)]
            if isinstance(v, str): v.encode('utf-8'); return ['t', v]
            return ['j', canon(v)]
        def read(data):
            if data.startswith(b'\\xef\\xbb\\xbf'): data = data[3:]
            header, index, rows = None, {}, []
            for line in data.split(b'\\n'):
                if line.endswith(b'\\r'): line = line[:-1]
                if all(c in b' \\t' for c in line): continue
                obj = loads(line.decode('utf-8'))
                if not isinstance(obj, Obj): raise ValueError('not an object')
                if header is None:
                    header = []
                    for k, _ in obj:
                        k.encode('utf-8')   # a key holding a lone surrogate cannot be a column name
                        if k not in index: index[k] = len(header); header.append(k)
                cols, extras = [['t', '']] * len(header), []
                for k, v in obj:
                    if k in index: cols[index[k]] = field(v)
                    else: extras.append(field(v))
                rows.append(cols + extras)
            return {'header': header or [], 'rows': rows}
        d = sys.argv[1]
        out = {}
        for name in sorted(os.listdir(d)):
            out[name] = outcome(lambda: read(open(os.path.join(d, name), 'rb').read()))
        print(json.dumps(out))
        """

    static let jsonlFixtures: [Fixture] = [
        Fixture(name: "mixed", bytes: b("{\"a\": 1, \"b\": \"x\"}\n{\"b\": \"y\\n\", \"a\": 2, \"c\": null}\n\n  \t\n{\"a\": [1, {\"k\": \"\\ud83d\\ude00\"}], \"b\": true}\r\n")),
        Fixture(name: "bom", bytes: [0xEF, 0xBB, 0xBF] + b("{\"id\": 1}\n")),
        Fixture(name: "numbers", bytes: b("{\"a\": 1e999, \"b\": -0, \"c\": NaN, \"d\": -Infinity, \"e\": 0.5E-3}\n")),
        Fixture(name: "duplicate-keys", bytes: b("{\"a\": 1, \"a\": 2, \"b\": 3}\n{\"z\": 1, \"z\": 2}\n")),
        Fixture(name: "no-final-newline", bytes: b("{\"a\": \"x\"}")),
        Fixture(name: "n-01", bytes: b("{\"a\": 01}\n")),
        Fixture(name: "n-plus", bytes: b("{\"a\": +1}\n")),
        Fixture(name: "lone-surrogate", bytes: b("{\"a\": \"ok\"}\n{\"a\": \"\\ud800\"}\n"), expect: .weRefuse(lone)),
        Fixture(name: "lone-surrogate-nested", bytes: b("{\"a\": {\"k\": \"\\udc00\"}}\n"), expect: .weRefuse(lone)),
        Fixture(name: "lone-surrogate-key", bytes: b("{\"\\ud800\": 1}\n"), expect: .weRefuse(lone)),
        Fixture(name: "deep-value", bytes: b("{\"a\": ") + nested(600) + b("}\n"), expect: .weRefuse(deep)),
        Fixture(name: "not-an-object", bytes: b("[1, 2]\n")),
        Fixture(name: "text-after", bytes: b("{\"a\": 1} x\n")),
        Fixture(name: "invalid-utf8-key", bytes: b("{\"") + [0xC3, 0x28] + b("\": 1}\n")),
        Fixture(name: "cr-inside-line", bytes: b("{\"a\": 1}\r{\"a\": 2}\n")),
        Fixture(name: "unclosed-nested", bytes: b("{\"a\": [1, {\"b\": 2]}\n")),
    ]

    @Test func jsonLinesAgreeWithPythonsJSONModule() throws {
        let dir = try leakageScratchDir()
        for f in Self.jsonlFixtures { try Data(f.bytes).write(to: URL(fileURLWithPath: dir + "/" + f.name + ".jsonl")) }
        let theirs = try Self.python(Self.jsonlScript, dir: dir)
        for fixture in Self.jsonlFixtures {
            let python = theirs[fixture.name + ".jsonl"] as? [String: Any] ?? [:]
            let ours = Result { () throws -> (header: [String], rows: [[String]]) in
                let all = try readAll(dir + "/" + fixture.name + ".jsonl", blockSize: 64)
                return (all.header, all.rows)
            }
            switch (fixture.expect, ours) {
            case (.same, .success(let table)):
                guard let value = python["value"] as? [String: Any], let header = value["header"] as? [String],
                      let rows = value["rows"] as? [[[String]]] else {
                    Issue.record("\(fixture.name): we read \(table), Python says \(python)")
                    continue
                }
                #expect(table.header == header, "\(fixture.name)")
                #expect(table.rows.count == rows.count, "\(fixture.name)")
                for (mine, theirs) in zip(table.rows, rows) {
                    #expect(mine.count == theirs.count, "\(fixture.name)")
                    for (cell, expected) in zip(mine, theirs) {
                        if expected[0] == "t" {
                            #expect(cell == expected[1], "\(fixture.name)")
                        } else {
                            #expect((try? Self.canonical(SchemaJSON.parse(cell))) == expected[1], "\(fixture.name): \(cell)")
                        }
                    }
                }
            case (.same, .failure(let error)):
                #expect(python["error"] != nil, "\(fixture.name): we refused (\(error)), Python read \(python)")
            case (.weRefuse(let why), .success(let table)):
                Issue.record("\(fixture.name): read \(table), but lineage refuses this on purpose: \(why)")
            case (.weRefuse(let why), .failure(let error)):
                #expect(error is TableReadError, "\(fixture.name)")
                #expect(python["value"] != nil || python["unencodable"] != nil, "\(fixture.name): the stated difference is gone: \(why)")
            }
        }
    }
}

extension TableDialect {
    /// A copy changed by `change`.
    func with(_ change: (inout TableDialect) -> Void) -> TableDialect {
        var copy = self
        change(&copy)
        return copy
    }
}
