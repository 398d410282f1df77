import LineageCore

extension StoreError: CategorizedError {
    public var category: FailureCategory {
        switch self {
        case .corruptObject, .missingObject, .corruptPackIndex, .corruptPack, .contentMismatch, .notAStore: return .damaged
        case .fileChanged: return .input
        case .io: return .system
        case .lockBusy, .newerFormat: return .conflict
        }
    }
}
