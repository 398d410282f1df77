import LineageCore

extension TableReadError: CategorizedError { public var category: FailureCategory { .input } }
extension LeakageError: CategorizedError { public var category: FailureCategory { .input } }
extension MissingColumnError: CategorizedError { public var category: FailureCategory { .input } }
extension TableDialectError: CategorizedError { public var category: FailureCategory { .input } }
extension TableSchemaError: CategorizedError { public var category: FailureCategory { .input } }
