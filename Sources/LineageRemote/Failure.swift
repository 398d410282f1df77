import LineageCore

extension RemoteError: CategorizedError {
    public var category: FailureCategory {
        switch self {
        case .unreachable, .io, .protocolError: return .system
        case .newerFormat: return .conflict
        case .notFound, .damaged: return .damaged
        case .denied, .noSuchStore, .badURL: return .input
        }
    }
}

extension HTTPTransportError: CategorizedError {
    public var category: FailureCategory { .system }
}
