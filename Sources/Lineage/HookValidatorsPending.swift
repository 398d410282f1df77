import LineageCore
// TEMPORARY: replaced when the validators land.
extension Repository {
    func planSchema(_ entry: HookEntry, context: HookContext) throws -> HookPlan? { throw LineageError.invalidArgument("schema: pending") }
    func planLeakage(_ entry: HookEntry, context: HookContext) throws -> HookPlan? { throw LineageError.invalidArgument("leakage: pending") }
    func planQuality(_ entry: HookEntry, context: HookContext) throws -> HookPlan? { throw LineageError.invalidArgument("quality: pending") }
    func planPII(_ entry: HookEntry, context: HookContext) throws -> HookPlan? { throw LineageError.invalidArgument("pii: pending") }
    func planConsent(_ entry: HookEntry, context: HookContext) throws -> HookPlan? { throw LineageError.invalidArgument("consent: pending") }
}
