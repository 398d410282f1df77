import Foundation

extension TableSchema {
    /// Infers a Table Schema from a table, as `frictionless describe` does, with one difference
    /// that makes the result a promise: a type is chosen only if *every* non-missing value read
    /// accepts it (frictionless settles for 90 % of a 100-row sample), so validating the same rows
    /// against the inferred schema passes.
    ///
    /// Types are tried in frictionless's order — yearmonth, geopoint, duration, geojson, object,
    /// array, datetime, time, date, integer, number, boolean, year, string — and the first that fits
    /// every value wins; a column with no values at all becomes `any`. A column without a single
    /// missing value is marked `required`. Names come from the header (`field<n>` when blank,
    /// repeated names get a number, as frictionless does).
    ///
    /// - Parameters:
    ///   - sampleRows: read only the first N data rows (nil: the whole file).
    ///   - missingValues: cell texts that mean "no value".
    /// - Throws: `TableReadError` when the file cannot be read (missing, invalid UTF-8, an unclosed quote).
    ///   - layout: how the file is written (dialect, encoding); `TableSniffer` guesses one.
    public static func infer(path: String, format: TableFormat? = nil, layout: TableLayout = TableLayout(), sampleRows: Int? = nil,
                             missingValues: [String] = [""]) throws -> TableSchema {
        let fmt = format ?? TableFormat.guess(path: path) ?? .csv
        let source: SchemaRowSource
        switch fmt {
        case .csv, .tsv: source = try SchemaCSVScanner(path: path, format: fmt, layout: layout)
        case .jsonl: source = try TableReader(path: path, format: .jsonl, layout: layout)
        }
        var names = source.header.map { SchemaNumberParser.pythonStrip($0) }
        for k in names.indices where names[k].isEmpty { names[k] = "field\(k + 1)" }
        var used = Set<String>()
        for k in names.indices {
            var name = names[k], suffix = 2
            while used.contains(name) { name = "\(names[k])\(suffix)"; suffix += 1 }
            used.insert(name)
            names[k] = name
        }

        let candidates: [SchemaFieldType] = [.yearmonth, .geopoint, .duration, .geojson, .object, .array, .datetime, .time, .date,
                                             .integer, .number, .boolean, .year, .string]
        let readers = candidates.map { SchemaCellReader(field: SchemaField(name: "shared", type: $0)) }
        let missing = missingValues.map { Array($0.utf8) }
        var possible = [[Bool]](repeating: [Bool](repeating: true, count: candidates.count), count: names.count)
        var seenValue = [Bool](repeating: false, count: names.count)
        var seenMissing = [Bool](repeating: false, count: names.count)
        var rows = 0
        while try source.next() {
            if let limit = sampleRows, rows >= limit { break }
            rows += 1
            for k in 0..<names.count {
                guard k < source.fieldCount else { seenMissing[k] = true; continue }
                let cell = source.field(k)
                if missing.contains(where: { $0.elementsEqual(cell) }) { seenMissing[k] = true; continue }
                seenValue[k] = true
                for c in 0..<candidates.count where possible[k][c] && candidates[c] != .string {
                    if !SchemaInference.accepts(readers[c], cell) { possible[k][c] = false }
                }
            }
        }
        var fields: [SchemaField] = []
        for (k, name) in names.enumerated() {
            var field: SchemaField
            if !seenValue[k] {
                field = SchemaField(name: name, type: .any)
            } else {
                let c = possible[k].firstIndex(of: true) ?? candidates.count - 1
                field = SchemaField(name: name, type: candidates[c])
            }
            if rows > 0 && !seenMissing[k] { field.constraints.required = true }
            fields.append(field)
        }
        return TableSchema(fields: fields, missingValues: missingValues)
    }
}

enum SchemaInference {
    @inline(__always)
    static func accepts(_ reader: SchemaCellReader, _ cell: UnsafeBufferPointer<UInt8>) -> Bool {
        switch reader.kind {
        case .integer: return reader.integer(cell) != nil
        case .number: return reader.number(cell) != nil
        case .boolean: return reader.boolean(cell) != nil
        case .date: return reader.isDate(cell)
        case .datetime: return reader.datetime(cell) != nil
        case .year: return reader.year(cell) != nil
        case .yearmonth: return reader.yearmonth(cell) != nil
        case .time: return reader.time(cell) != nil
        case .object, .array, .geojson:
            // Cheap reject before parsing JSON.
            guard let first = cell.first(where: { !SchemaNumberParser.isASCIISpace($0) }) else { return false }
            if reader.kind == .array { if first != UInt8(ascii: "[") { return false } } else if first != UInt8(ascii: "{") { return false }
            return reader.value(cell) != nil
        default: return reader.value(cell) != nil
        }
    }
}
