import LineageCore

extension GitError: CategorizedError {
    public var category: FailureCategory {
        if code == .locked { return .conflict }
        if isOSError { return .system }
        return .damaged
    }
}

extension TransportError: CategorizedError {
    public var category: FailureCategory {
        switch self {
        case .leaseBroken, .rejected, .changedHostKey: return .conflict
        case .unreachable: return .system
        case .badURL, .authentication, .unknownHostKey, .failed: return .input
        }
    }
}
