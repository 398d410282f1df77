import Testing

/// One moto_server per suite: started before the suite's first test, stopped after its last.
/// Use as `@Suite(.enabled(if: MotoServer.isAvailable, "…"), .motoServer)`; tests read
/// `MotoSuiteTrait.current`.
public struct MotoSuiteTrait: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    @TaskLocal public static var current: MotoServer?

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard MotoServer.isAvailable else { try await function(); return }
        let server = try MotoServer.start()
        defer { server.stop() }
        try await Self.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == MotoSuiteTrait {
    /// Runs the suite against its own moto_server.
    public static var motoServer: Self { MotoSuiteTrait() }
}
