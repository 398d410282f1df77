import LineageCore

extension IndexError: CategorizedError {
    public var category: FailureCategory { .system }
}

extension GraphExportError: CategorizedError {
    public var category: FailureCategory { .input }
}
