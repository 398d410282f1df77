import Foundation

/// The field types of the Frictionless Table Schema.
public enum SchemaFieldType: String, Sendable, CaseIterable, Codable {
    case string, number, integer, boolean, object, array, date, time, datetime, year, yearmonth, duration, geopoint, geojson, any

    /// The constraints frictionless supports for the type (`unique` is allowed for every type).
    var supportedConstraints: [String] {
        switch self {
        case .string: return ["required", "minLength", "maxLength", "pattern", "enum"]
        case .number, .integer, .date, .time, .datetime, .year, .yearmonth:
            return ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"]
        case .object, .array: return ["required", "minLength", "maxLength", "enum"]
        case .boolean, .duration, .geopoint, .geojson, .any: return ["required", "enum"]
        }
    }
}

/// A field's constraints, as written in the schema. Bounds and enum values keep their JSON form
/// (a number, or a string such as a date) and are read with the field's type when validating.
public struct SchemaConstraints: Sendable, Equatable {
    public var required = false
    public var unique = false
    public var minLength: Int?
    public var maxLength: Int?
    public var minimum: SchemaJSON?
    public var maximum: SchemaJSON?
    public var exclusiveMinimum: SchemaJSON?
    public var exclusiveMaximum: SchemaJSON?
    /// A regular expression the whole value must match.
    public var pattern: String?
    /// The `enum` constraint.
    public var enumValues: [SchemaJSON]?

    public init(required: Bool = false, unique: Bool = false) { self.required = required; self.unique = unique }

    var isEmpty: Bool { self == SchemaConstraints() }
}

/// One field (column) of a Table Schema.
public struct SchemaField: Sendable, Equatable {
    public var name: String
    public var type: SchemaFieldType
    /// `default`, a string format (`email`, `uri`, `uuid`, `binary`), `any` or a strptime pattern
    /// for dates and times, `array`/`object` for geopoints, `topojson` for geojson.
    public var format: String
    public var title: String?
    public var description: String?
    public var constraints: SchemaConstraints
    /// The field's own missing values; nil means the schema's.
    public var missingValues: [String]?
    public var trueValues: [String]
    public var falseValues: [String]
    public var bareNumber: Bool
    public var decimalChar: String
    public var groupChar: String

    public static let defaultTrueValues = ["true", "True", "TRUE", "1"]
    public static let defaultFalseValues = ["false", "False", "FALSE", "0"]

    public init(name: String, type: SchemaFieldType, format: String = "default", constraints: SchemaConstraints = .init(),
                title: String? = nil, description: String? = nil, missingValues: [String]? = nil,
                trueValues: [String] = SchemaField.defaultTrueValues, falseValues: [String] = SchemaField.defaultFalseValues,
                bareNumber: Bool = true, decimalChar: String = ".", groupChar: String = "") {
        self.name = name; self.type = type; self.format = format; self.constraints = constraints
        self.title = title; self.description = description; self.missingValues = missingValues
        self.trueValues = trueValues; self.falseValues = falseValues
        self.bareNumber = bareNumber; self.decimalChar = decimalChar; self.groupChar = groupChar
    }
}

/// A foreign key within the same table: `fields` must take values that `referenceFields` take in
/// some row.
public struct SchemaForeignKey: Sendable, Equatable {
    public var fields: [String]
    public var referenceFields: [String]
    public init(fields: [String], referenceFields: [String]) { self.fields = fields; self.referenceFields = referenceFields }
}

/// A Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/): fields with
/// types, formats and constraints, missing values, a primary key and foreign keys within the table.
public struct TableSchema: Sendable, Equatable {
    public var fields: [SchemaField]
    /// Cell texts read as "no value" (default `[""]`).
    public var missingValues: [String]
    public var primaryKey: [String]
    public var foreignKeys: [SchemaForeignKey]
    /// How the table is written, when the schema came in a resource description
    /// (`{"dialect": {…}, "encoding": "…", "schema": {…}}`); nil for a bare Table Schema.
    public var layout: TableLayout?

    public init(fields: [SchemaField], missingValues: [String] = [""], primaryKey: [String] = [], foreignKeys: [SchemaForeignKey] = [],
                layout: TableLayout? = nil) {
        self.fields = fields; self.missingValues = missingValues; self.primaryKey = primaryKey; self.foreignKeys = foreignKeys
        self.layout = layout
    }

    public var fieldNames: [String] { fields.map(\.name) }

    /// Largest schema file read: 16 MiB (a schema describes columns; anything larger is the wrong file).
    public static let maxFileBytes = 16 << 20

    /// Reads and checks a Table Schema JSON file (at most `maxFileBytes`).
    public init(contentsOf path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: TableSchema.maxFileBytes + 1) ?? Data() else {
            throw TableSchemaError(file: path, path: "", problem: "cannot read the schema file",
                                   hint: "check that the path is right and the file is readable")
        }
        try? handle.close()
        guard data.count <= TableSchema.maxFileBytes else {
            throw TableSchemaError(file: path, path: "", problem: "the schema file is larger than \(TableSchema.maxFileBytes >> 20) MiB, the most lineage reads",
                                   hint: "check that the path names the schema, not the data")
        }
        do {
            try self.init(json: Array(data))
        } catch var error as TableSchemaError {
            error.file = path
            throw error
        }
    }

    /// Parses and checks a Table Schema from JSON bytes.
    public init(json bytes: [UInt8]) throws {
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard UTF8Check.isValid(bytes) else {
            throw TableSchemaError(path: "", problem: "the schema is not valid UTF-8", hint: "save the schema file as UTF-8 JSON")
        }
        let json: SchemaJSON
        do {
            json = try SchemaJSON.parse(bytes)
        } catch let e as SchemaJSON.ParseError {
            let line = bytes[..<min(e.offset, bytes.count)].filter { $0 == 0x0A }.count + 1
            throw TableSchemaError(path: "", problem: "the schema is not valid JSON (\(e.message) on line \(line))",
                                   hint: "fix the JSON syntax; a Table Schema is a JSON object with a \"fields\" array")
        }
        try self.init(descriptor: json)
    }

    /// Reads a Table Schema from a parsed JSON descriptor, checking it as frictionless does.
    ///
    /// A Frictionless resource description is read too: its `schema` is the schema, and its
    /// `dialect` and `encoding` (when given) say how the table is written (`layout`).
    public init(descriptor json: SchemaJSON) throws {
        if case .object = json, let inner = json["schema"] {
            guard case .object = inner else {
                throw TableSchemaError(path: "schema", problem: "\"schema\" is \(inner.typeName), not a JSON object",
                                       hint: "a resource description holds its Table Schema as {\"schema\": {\"fields\": […]}}")
            }
            do {
                self = try SchemaDescriptorReader.read(inner)
            } catch var e as TableSchemaError {
                e.path = e.path.isEmpty ? "schema" : "schema." + e.path
                throw e
            }
            var layout = TableLayout()
            do {
                if let d = json["dialect"] { layout.dialect = try TableDialect(json: d) }
                if let e = json["encoding"] {
                    guard case .string(let name) = e else { throw TableDialectError(key: "encoding", message: "expected a name such as \"utf-8\" or \"iso-8859-1\"") }
                    layout.encoding = try TableEncoding(name: name)
                }
            } catch let e as TableDialectError {
                throw TableSchemaError(path: e.key == "encoding" ? "encoding" : "dialect.\(e.key)", problem: e.message,
                                       hint: "see https://specs.frictionlessdata.io/csv-dialect/ for the dialect's keys")
            }
            self.layout = layout
            return
        }
        self = try SchemaDescriptorReader.read(json)
    }

    /// A resource description of this schema with `layout` (`dialect`, `encoding`, `schema`):
    /// what `schema infer` writes when the table is not RFC 4180 UTF-8.
    public func resourceDescriptor(format: TableFormat, layout: TableLayout) -> SchemaJSON {
        var members: [(String, SchemaJSON)] = []
        members.append(("encoding", .string(layout.encoding.description)))
        if format != .jsonl { members.append(("dialect", .object(layout.dialect.descriptor(for: format)))) }
        members.append(("schema", descriptor))
        return .object(members)
    }

    /// The schema as a JSON descriptor (what `frictionless` and `TableSchema(json:)` read).
    public var descriptor: SchemaJSON {
        var members: [(String, SchemaJSON)] = [("fields", .array(fields.map(\.descriptor)))]
        if missingValues != [""] { members.append(("missingValues", .array(missingValues.map { .string($0) }))) }
        if primaryKey.count == 1 { members.append(("primaryKey", .string(primaryKey[0]))) }
        else if !primaryKey.isEmpty { members.append(("primaryKey", .array(primaryKey.map { .string($0) }))) }
        if !foreignKeys.isEmpty {
            members.append(("foreignKeys", .array(foreignKeys.map { fk in
                .object([("fields", .array(fk.fields.map { .string($0) })),
                         ("reference", .object([("resource", .string("")), ("fields", .array(fk.referenceFields.map { .string($0) }))]))])
            })))
        }
        return .object(members)
    }

    /// Pretty JSON, ending with a newline.
    public var jsonText: String { descriptor.pretty() + "\n" }

    /// Writes the schema as pretty JSON.
    public func write(to path: String) throws {
        try Data(jsonText.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension SchemaField {
    var descriptor: SchemaJSON {
        var m: [(String, SchemaJSON)] = [("name", .string(name)), ("type", .string(type.rawValue))]
        if format != "default" { m.append(("format", .string(format))) }
        if let title { m.append(("title", .string(title))) }
        if let description { m.append(("description", .string(description))) }
        if let missingValues { m.append(("missingValues", .array(missingValues.map { .string($0) }))) }
        if type == .boolean {
            if trueValues != SchemaField.defaultTrueValues { m.append(("trueValues", .array(trueValues.map { .string($0) }))) }
            if falseValues != SchemaField.defaultFalseValues { m.append(("falseValues", .array(falseValues.map { .string($0) }))) }
        }
        if type == .number || type == .integer, !bareNumber { m.append(("bareNumber", .bool(false))) }
        if type == .number {
            if decimalChar != "." { m.append(("decimalChar", .string(decimalChar))) }
            if !groupChar.isEmpty { m.append(("groupChar", .string(groupChar))) }
        }
        var c: [(String, SchemaJSON)] = []
        if constraints.required { c.append(("required", .bool(true))) }
        if constraints.unique { c.append(("unique", .bool(true))) }
        if let v = constraints.minLength { c.append(("minLength", .number(String(v)))) }
        if let v = constraints.maxLength { c.append(("maxLength", .number(String(v)))) }
        if let v = constraints.minimum { c.append(("minimum", v)) }
        if let v = constraints.maximum { c.append(("maximum", v)) }
        if let v = constraints.exclusiveMinimum { c.append(("exclusiveMinimum", v)) }
        if let v = constraints.exclusiveMaximum { c.append(("exclusiveMaximum", v)) }
        if let v = constraints.pattern { c.append(("pattern", .string(v))) }
        if let v = constraints.enumValues { c.append(("enum", .array(v))) }
        if !c.isEmpty { m.append(("constraints", .object(c))) }
        return .object(m)
    }
}

/// A schema file that is not a valid Table Schema: where (a JSON path such as `fields[2].type`),
/// what is wrong, and what to do.
public struct TableSchemaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The schema file, when read from one.
    public var file: String?
    /// JSON path of the offending value (`fields[2].type`); empty for the document itself.
    public var path: String
    public var problem: String
    public var hint: String

    public init(file: String? = nil, path: String, problem: String, hint: String) {
        self.file = file; self.path = path; self.problem = problem; self.hint = hint
    }

    public var description: String {
        var s = file.map { "\($0): " } ?? ""
        s += "not a valid Table Schema: "
        if !path.isEmpty { s += "\(path): " }
        return s + problem + " — " + hint
    }
}

/// Reads a schema descriptor, checking it the way frictionless's metadata profile and field
/// classes do, and reporting the first problem with its JSON path.
enum SchemaDescriptorReader {
    static let knownFieldKeys: Set<String> = ["name", "type", "format", "title", "description", "constraints", "missingValues",
                                              "trueValues", "falseValues", "bareNumber", "floatNumber", "decimalChar", "groupChar",
                                              "rdfType", "example", "arrayItem", "categories", "categoriesOrdered"]

    static func read(_ json: SchemaJSON) throws -> TableSchema {
        guard case .object = json else {
            throw TableSchemaError(path: "", problem: "the schema is \(json.typeName), not a JSON object",
                                   hint: "write a JSON object such as {\"fields\": [{\"name\": \"id\", \"type\": \"integer\"}]}")
        }
        guard let fieldsJSON = json["fields"] else {
            throw TableSchemaError(path: "fields", problem: "the schema has no \"fields\"",
                                   hint: "add a \"fields\" array with one {\"name\": …, \"type\": …} object per column")
        }
        guard case let .array(items) = fieldsJSON else {
            throw TableSchemaError(path: "fields", problem: "\"fields\" is \(fieldsJSON.typeName), not an array",
                                   hint: "make \"fields\" an array of field objects")
        }
        if let fm = json["fieldsMatch"], fm != .string("exact") {
            throw TableSchemaError(path: "fieldsMatch", problem: "fieldsMatch \(fm.pretty()) is not supported (lineage matches columns by position)",
                                   hint: "remove \"fieldsMatch\" or set it to \"exact\", and list the fields in the column order of the file")
        }
        var schemaMissing = [""]
        if let mv = json["missingValues"] { schemaMissing = try missingValues(mv, path: "missingValues") }

        var fields: [SchemaField] = []
        var seen: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let field = try readField(item, path: "fields[\(i)]")
            if let first = seen[field.name] {
                throw TableSchemaError(path: "fields[\(i)].name", problem: "field name \"\(field.name)\" is used twice (also fields[\(first)])",
                                       hint: "give every field a distinct name")
            }
            seen[field.name] = i
            fields.append(field)
        }

        var primaryKey: [String] = []
        if let pk = json["primaryKey"] {
            primaryKey = try names(pk, path: "primaryKey")
            for (k, name) in primaryKey.enumerated() where seen[name] == nil {
                throw TableSchemaError(path: primaryKey.count == 1 && pk.isString ? "primaryKey" : "primaryKey[\(k)]",
                                       problem: "primary key field \"\(name)\" is not a field of the schema",
                                       hint: "name fields from \"fields\" (\(fields.map(\.name).joined(separator: ", ")))")
            }
        }

        var foreignKeys: [SchemaForeignKey] = []
        if let fks = json["foreignKeys"] {
            guard case let .array(list) = fks else {
                throw TableSchemaError(path: "foreignKeys", problem: "\"foreignKeys\" is \(fks.typeName), not an array",
                                       hint: "write [{\"fields\": [\"parent_id\"], \"reference\": {\"resource\": \"\", \"fields\": [\"id\"]}}]")
            }
            for (k, fk) in list.enumerated() {
                let p = "foreignKeys[\(k)]"
                guard case .object = fk else {
                    throw TableSchemaError(path: p, problem: "a foreign key is \(fk.typeName), not an object",
                                           hint: "write {\"fields\": [\"parent_id\"], \"reference\": {\"resource\": \"\", \"fields\": [\"id\"]}}")
                }
                guard let f = fk["fields"] else {
                    throw TableSchemaError(path: "\(p).fields", problem: "the foreign key has no \"fields\"", hint: "name the referencing fields")
                }
                let own = try names(f, path: "\(p).fields")
                guard let ref = fk["reference"], case .object = ref else {
                    throw TableSchemaError(path: "\(p).reference", problem: "the foreign key has no \"reference\" object",
                                           hint: "add \"reference\": {\"resource\": \"\", \"fields\": [...]}")
                }
                if let r = ref["resource"], r != .string("") {
                    throw TableSchemaError(path: "\(p).reference.resource",
                                           problem: "foreign keys to another resource (\(r.pretty())) are not supported; only keys within the same table",
                                           hint: "use \"resource\": \"\" to reference this table, or check the other table separately")
                }
                guard let rf = ref["fields"] else {
                    throw TableSchemaError(path: "\(p).reference.fields", problem: "the reference has no \"fields\"", hint: "name the referenced fields")
                }
                let other = try names(rf, path: "\(p).reference.fields")
                guard own.count == other.count else {
                    throw TableSchemaError(path: "\(p).reference.fields",
                                           problem: "the foreign key has \(own.count) fields but its reference has \(other.count)",
                                           hint: "list as many referenced fields as referencing ones, in the same order")
                }
                for name in own + other where seen[name] == nil {
                    throw TableSchemaError(path: p, problem: "foreign key field \"\(name)\" is not a field of the schema",
                                           hint: "name fields from \"fields\" (\(fields.map(\.name).joined(separator: ", ")))")
                }
                foreignKeys.append(SchemaForeignKey(fields: own, referenceFields: other))
            }
        }
        return TableSchema(fields: fields, missingValues: schemaMissing, primaryKey: primaryKey, foreignKeys: foreignKeys)
    }

    private static func names(_ v: SchemaJSON, path: String) throws -> [String] {
        switch v {
        case let .string(s): return [s]
        case let .array(items):
            return try items.enumerated().map { k, item in
                guard case let .string(s) = item else {
                    throw TableSchemaError(path: "\(path)[\(k)]", problem: "a field name is \(item.typeName), not a string", hint: "write field names as strings")
                }
                return s
            }
        default:
            throw TableSchemaError(path: path, problem: "expected a field name or an array of field names, found \(v.typeName)",
                                   hint: "write \"id\" or [\"id\", \"version\"]")
        }
    }

    private static func missingValues(_ v: SchemaJSON, path: String) throws -> [String] {
        guard case let .array(items) = v else {
            throw TableSchemaError(path: path, problem: "missingValues is \(v.typeName), not an array", hint: "write an array of strings such as [\"\", \"NA\"]")
        }
        return try items.enumerated().map { k, item in
            switch item {
            case let .string(s): return s
            case .object where item["value"]?.isString == true:
                // Data Package v2: {"value": "...", "label": "..."}
                guard case let .string(s) = item["value"]! else { return "" }
                return s
            default:
                throw TableSchemaError(path: "\(path)[\(k)]", problem: "a missing value is \(item.typeName), not a string",
                                       hint: "write missing values as strings, e.g. \"NA\" rather than null")
            }
        }
    }

    private static func strings(_ v: SchemaJSON, path: String) throws -> [String] {
        guard case let .array(items) = v else {
            throw TableSchemaError(path: path, problem: "expected an array of strings, found \(v.typeName)", hint: "write e.g. [\"yes\", \"Y\"]")
        }
        return try items.enumerated().map { k, item in
            guard case let .string(s) = item else {
                throw TableSchemaError(path: "\(path)[\(k)]", problem: "expected a string, found \(item.typeName)", hint: "quote the value")
            }
            return s
        }
    }

    static func readField(_ json: SchemaJSON, path: String) throws -> SchemaField {
        guard case .object = json else {
            throw TableSchemaError(path: path, problem: "a field is \(json.typeName), not an object",
                                   hint: "write each field as {\"name\": \"…\", \"type\": \"…\"}")
        }
        guard let nameJSON = json["name"] else {
            throw TableSchemaError(path: "\(path).name", problem: "the field has no name", hint: "add \"name\": the column's header label")
        }
        guard case let .string(name) = nameJSON else {
            throw TableSchemaError(path: "\(path).name", problem: "the field name is \(nameJSON.typeName), not a string", hint: "write the name as a string")
        }
        var type = SchemaFieldType.string
        if let t = json["type"] {
            guard case let .string(text) = t else {
                throw TableSchemaError(path: "\(path).type", problem: "the type is \(t.typeName), not a string",
                                       hint: "use one of \(SchemaFieldType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let known = SchemaFieldType(rawValue: text) else {
                throw TableSchemaError(path: "\(path).type", problem: "unknown field type \"\(text)\"",
                                       hint: "use one of \(SchemaFieldType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            type = known
        }
        var field = SchemaField(name: name, type: type)
        if let f = json["format"] {
            guard case var .string(format) = f else {
                throw TableSchemaError(path: "\(path).format", problem: "the format is \(f.typeName), not a string", hint: "write the format as a string")
            }
            if format.hasPrefix("fmt:") { format.removeFirst(4) }
            field.format = format
        }
        try checkFormat(field, path: "\(path).format")
        func string(_ key: String) throws -> String? {
            guard let v = json[key] else { return nil }
            guard case let .string(s) = v else {
                throw TableSchemaError(path: "\(path).\(key)", problem: "\(key) is \(v.typeName), not a string", hint: "write \(key) as a string")
            }
            return s
        }
        func bool(_ key: String) throws -> Bool? {
            guard let v = json[key] else { return nil }
            guard case let .bool(b) = v else {
                throw TableSchemaError(path: "\(path).\(key)", problem: "\(key) is \(v.typeName), not true or false", hint: "write \(key) as true or false")
            }
            return b
        }
        field.title = try string("title")
        field.description = try string("description")
        if let mv = json["missingValues"] { field.missingValues = try missingValues(mv, path: "\(path).missingValues") }
        if type == .boolean {
            if let v = json["trueValues"] { field.trueValues = try strings(v, path: "\(path).trueValues") }
            if let v = json["falseValues"] { field.falseValues = try strings(v, path: "\(path).falseValues") }
        }
        if type == .number || type == .integer { field.bareNumber = try bool("bareNumber") ?? true }
        if type == .number {
            field.decimalChar = try string("decimalChar") ?? "."
            field.groupChar = try string("groupChar") ?? ""
            if field.decimalChar.isEmpty {
                throw TableSchemaError(path: "\(path).decimalChar", problem: "decimalChar is empty", hint: "use \".\" or \",\"")
            }
            if try bool("floatNumber") == true {
                // Floats compare like decimals for everything validated here; nothing to do.
            }
        }
        if type == .array, json["arrayItem"] != nil {
            throw TableSchemaError(path: "\(path).arrayItem", problem: "arrayItem is not supported by lineage yet",
                                   hint: "remove arrayItem (the cell is still checked to be a JSON array)")
        }
        if let r = json["required"] {
            _ = r
            throw TableSchemaError(path: "\(path).required", problem: "\"required\" belongs inside \"constraints\"",
                                   hint: "write \"constraints\": {\"required\": true}")
        }
        if let c = json["constraints"] {
            field.constraints = try readConstraints(c, field: field, path: "\(path).constraints")
        }
        return field
    }

    static func checkFormat(_ field: SchemaField, path: String) throws {
        let format = field.format
        switch field.type {
        case .string:
            guard ["default", "email", "uri", "binary", "uuid"].contains(format) else {
                let extra = format == "wkt" ? " (wkt is not supported by lineage)" : ""
                throw TableSchemaError(path: path, problem: "unknown string format \"\(format)\"\(extra)",
                                       hint: "use default, email, uri, binary or uuid")
            }
        case .date, .time, .datetime:
            if format == "default" || format == "any" { return }
            do { _ = try SchemaStrptime(format: format) } catch let e as SchemaStrptime.FormatError {
                throw TableSchemaError(path: path, problem: "date/time pattern \"\(format)\": \(e.message)",
                                       hint: "use \"default\" (ISO 8601), \"any\", or a strptime pattern such as \"%d/%m/%Y\"")
            }
        case .geopoint:
            guard ["default", "array", "object"].contains(format) else {
                throw TableSchemaError(path: path, problem: "unknown geopoint format \"\(format)\"", hint: "use default (\"lon, lat\"), array or object")
            }
        default:
            return
        }
    }

    static func readConstraints(_ c: SchemaJSON, field: SchemaField, path: String) throws -> SchemaConstraints {
        guard case let .object(members) = c else {
            throw TableSchemaError(path: path, problem: "constraints is \(c.typeName), not an object", hint: "write e.g. {\"required\": true}")
        }
        var out = SchemaConstraints()
        let supported = field.type.supportedConstraints + ["unique"]
        for (key, value) in members {
            let p = "\(path).\(key)"
            guard supported.contains(key) else {
                let known = ["required", "unique", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "enum"]
                throw TableSchemaError(path: p, problem: known.contains(key) ? "constraint \"\(key)\" is not supported by type \"\(field.type.rawValue)\""
                                                                             : "unknown constraint \"\(key)\"",
                                       hint: "constraints for \(field.type.rawValue): \(supported.joined(separator: ", "))")
            }
            switch key {
            case "required", "unique":
                guard case let .bool(b) = value else {
                    throw TableSchemaError(path: p, problem: "\(key) is \(value.typeName), not true or false", hint: "write \"\(key)\": true")
                }
                if key == "required" { out.required = b } else { out.unique = b }
            case "minLength", "maxLength":
                guard let n = value.intValue, n >= 0 else {
                    throw TableSchemaError(path: p, problem: "\(key) is \(value.pretty()), not a non-negative integer", hint: "write a whole number such as 1")
                }
                if key == "minLength" { out.minLength = n } else { out.maxLength = n }
            case "pattern":
                guard case let .string(pattern) = value else {
                    throw TableSchemaError(path: p, problem: "pattern is \(value.typeName), not a string", hint: "write the regular expression as a string")
                }
                do { _ = try NSRegularExpression(pattern: "^" + pattern + "$") } catch {
                    throw TableSchemaError(path: p, problem: "pattern \"\(pattern)\" is not a valid regular expression", hint: "fix the regular expression")
                }
                out.pattern = pattern
            case "enum":
                guard case let .array(values) = value else {
                    throw TableSchemaError(path: p, problem: "enum is \(value.typeName), not an array", hint: "list the allowed values in an array")
                }
                // A value the field's type cannot read never matches (as in frictionless); only
                // an enum where no value can match is refused.
                if !values.isEmpty, values.allSatisfy({ SchemaCellReader.readConstraintValue($0, field: field) == nil }) {
                    throw TableSchemaError(path: p, problem: "no enum value is a valid \(field.type.rawValue)\(field.format == "default" ? "" : " (format \(field.format))"), so every value would fail",
                                           hint: "write values the field's type and format accept")
                }
                out.enumValues = values
            default:   // bounds
                guard SchemaCellReader.readConstraintValue(value, field: field) != nil else {
                    throw TableSchemaError(path: p, problem: "\(key) \(value.pretty()) is not a valid \(field.type.rawValue)",
                                           hint: "write a bound the field's type and format accept")
                }
                switch key {
                case "minimum": out.minimum = value
                case "maximum": out.maximum = value
                case "exclusiveMinimum": out.exclusiveMinimum = value
                default: out.exclusiveMaximum = value
                }
            }
        }
        return out
    }
}

extension SchemaJSON {
    var isString: Bool { if case .string = self { return true }; return false }
}
