import Foundation

/// A parameter or metric value as a run record stores it: a JSON scalar or a list of them.
/// Mappings never appear: nested keys are flattened with dots (`train.lr`) before they are stored.
public indirect enum RecordValue: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([RecordValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let l = try? c.decode([RecordValue].self) { self = .list(l); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "a parameter or metric value is a JSON scalar or a list of them")
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .list(let l): try c.encode(l)
        }
    }

    /// The number, when this is one.
    public var number: Double? { if case .number(let d) = self { return d } else { return nil } }

    /// As a person reads it: numbers without a needless `.0`, strings bare, lists in brackets.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return RecordValue.format(d)
        case .string(let s): return s
        case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// `42` for 42.0, `0.1` for 0.1 (the shortest text that reads back as the same double).
    public static func format(_ d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}

/// Values of one parameters or metrics file, by dotted key.
public typealias RecordValues = [String: RecordValue]
