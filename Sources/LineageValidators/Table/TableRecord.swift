/// The one record protocol of the validators: the current record's fields as bytes (quotes
/// removed, escapes resolved, valid UTF-8), each valid until the reader moves on. Implemented by
/// the streaming reader (`SchemaCSVScanner`, and `TableReader` for every format) and the
/// memory-mapped reader (`MappedRecord`), which both parse with `DelimitedParser`; the schema,
/// leakage, quality and PII validators and `schema infer` read fields only through it.
protocol FieldRecord: AnyObject {
    /// Number of fields in the current record (0 for an empty line).
    var fieldCount: Int { get }
    /// The bytes of field `i` of the current record.
    func field(_ i: Int) -> UnsafeBufferPointer<UInt8>
}

extension FieldRecord {
    @inline(__always)
    func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R { try body(field(i)) }
}

/// A reader of records one at a time, as the schema validator and `schema infer` consume them.
protocol SchemaRowSource: FieldRecord {
    /// The header record(s) (CSV/TSV) or the first object's keys (JSON Lines).
    var header: [String] { get }
    /// Row number of the current record (header = 1).
    var row: Int { get }
    /// Physical line the current record starts on.
    var line: Int { get }
    var bytesRead: Int { get }
    func next() throws -> Bool
}

extension TableReader: SchemaRowSource {}
