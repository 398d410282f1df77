import Foundation
import LineageCore
import Testing

extension RightsTests {
    /// Effective rights: what a derived artifact inherits, and from where.
    @Suite struct Inheritance {
        static func ref(_ path: String) -> ArtifactRef { ArtifactRef(path: path, sha256: Digest.of(Data(path.utf8))) }
        static func day(_ s: String) -> CalendarDay { CalendarDay(iso: s)! }

        // users.csv (email, name; health; CC-BY-4.0; consent training+evaluation; retention 2027)
        // clicks.csv (ip-address; CC-BY-NC-4.0; consent training+research, withdrawn 2026-03-01; retention 2026-06-30)
        // raw.bin (no record)
        // features.csv ← users.csv, clicks.csv (own: pii [] ; licence none)
        // model.bin ← features.csv, raw.bin, train.py (code, no record)
        static let users = ref("data/users.csv"), clicks = ref("data/clicks.csv"), raw = ref("data/raw.bin")
        static let features = ref("data/features.csv"), model = ref("models/model.bin"), code = ref("train.py")

        static func graph() throws -> (users: EffectiveRights, clicks: EffectiveRights, raw: EffectiveRights,
                                       features: EffectiveRights, model: EffectiveRights) {
            let u = EffectiveRights.compute(subject: users, kind: .dataset, own: RightsFacts(
                consent: ConsentFacts(status: .granted, scope: ["training", "evaluation"]), license: "cc-by-4.0",
                pii: ["email", "name"], specialCategory: [.health], retentionUntil: day("2027-01-01")), inputs: [])
            let c = EffectiveRights.compute(subject: clicks, kind: .dataset, own: RightsFacts(
                consent: ConsentFacts(status: .withdrawn, scope: ["pre-training", "research"], withdrawnAt: day("2026-03-01"),
                                      withdrawalReason: "user request", withdrawalCommit: String(repeating: "c", count: 40)),
                license: "CC-BY-NC-4.0", pii: ["ip-address", "email"], retentionUntil: day("2026-06-30")), inputs: [])
            let r = EffectiveRights.compute(subject: raw, kind: .dataset, own: nil, inputs: [])
            let py = EffectiveRights.compute(subject: code, kind: .code, own: nil, inputs: [])
            let f = EffectiveRights.compute(subject: features, kind: .dataset, own: RightsFacts(pii: []), inputs: [c, u])
            let m = EffectiveRights.compute(subject: model, kind: .model, own: nil, inputs: [f, r, py, f])
            return (u, c, r, f, m)
        }

        @Test func sourceWithOwnRecordOnly() throws {
            let u = try Self.graph().users
            #expect(u.pii.map(\.value) == ["email", "name"])
            #expect(u.pii.allSatisfy { $0.origin.isOwn })
            #expect(u.licences == [Sourced("CC-BY-4.0", .own)])  // canonical spelling
            #expect(u.consentScope == ["evaluation", "training"])
            #expect(u.retentionUntil == Sourced(Self.day("2027-01-01"), .own))
            #expect(u.withdrawals.isEmpty && u.unrecorded.isEmpty && u.inputs.isEmpty)
            #expect(u.licenceTerms.use == .all && u.licenceTerms.attribution == ["CC-BY-4.0"])
        }

        @Test func directInheritanceNamesTheInput() throws {
            let f = try Self.graph().features
            #expect(f.inputs == [Self.clicks, Self.users])
            // Union of categories; email from both inputs, listed once per input.
            #expect(f.pii.map(\.value) == ["email", "email", "ip-address", "name"])
            #expect(f.pii.first { $0.value == "name" }?.origin == FactOrigin(from: Self.users))
            #expect(f.pii.first { $0.value == "name" }?.origin.description == "inherited from \(Self.users)")
            #expect(f.piiCategories == ["email", "ip-address", "name"])
            #expect(f.specialCategory == [Sourced(.health, FactOrigin(from: Self.users))])
            // Every licence, each with where it came from; obligations combined.
            #expect(Set(f.licences) == [Sourced("CC-BY-4.0", FactOrigin(from: Self.users)), Sourced("CC-BY-NC-4.0", FactOrigin(from: Self.clicks))])
            #expect(f.licenceTerms.use == .nonCommercial)
            #expect(f.licenceTerms.attribution == ["CC-BY-4.0", "CC-BY-NC-4.0"])
            // Scopes intersect: {training, evaluation} ∩ {pre-training, research} = {pre-training}.
            #expect(f.consentScope == ["pre-training"])
            #expect(f.consentScopes.count == 2)
            // Earliest retention, from clicks.
            #expect(f.retentionUntil == Sourced(Self.day("2026-06-30"), FactOrigin(from: Self.clicks)))
            #expect(f.withdrawals == [ConsentWithdrawal(origin: FactOrigin(from: Self.clicks), withdrawnAt: Self.day("2026-03-01"),
                                                         commit: String(repeating: "c", count: 40), reason: "user request")])
            #expect(f.unrecorded.isEmpty)
            #expect(f.own == RightsFacts(pii: []))
        }

        @Test func transitiveInheritanceRecordsThePath() throws {
            let m = try Self.graph().model
            #expect(m.inputs == [Self.features, Self.raw, Self.code])  // duplicate input once, sorted
            let name = try #require(m.pii.first { $0.value == "name" })
            #expect(name.origin == FactOrigin(from: Self.users, via: [Self.features]))
            #expect(name.origin.description == "inherited from \(Self.users) via \(Self.features)")
            #expect(m.withdrawals.first?.origin == FactOrigin(from: Self.clicks, via: [Self.features]))
            #expect(m.retentionUntil?.origin == FactOrigin(from: Self.clicks, via: [Self.features]))
            #expect(m.consentScope == ["pre-training"])
            #expect(m.licenceTerms.use == .nonCommercial)
            // raw.bin has no record; code does not need one.
            #expect(m.unrecorded == [FactOrigin(from: Self.raw)])
            #expect(m.own == nil)
        }

        @Test func sourcesWithoutRecords() throws {
            let g = try Self.graph()
            #expect(g.raw.unrecorded == [.own])
            #expect(EffectiveRights.compute(subject: Self.code, kind: .code, own: nil, inputs: []).unrecorded.isEmpty)
            #expect(EffectiveRights.compute(subject: Self.raw, kind: .dataset, own: RightsFacts(), inputs: []).unrecorded.isEmpty)
            // A derived artifact without its own record is fine: it inherits.
            #expect(g.features.unrecorded.isEmpty)
            // Data a program generated from no data (synthetic) is a source: it needs its own record.
            let py = EffectiveRights.compute(subject: Self.code, kind: .code, own: nil, inputs: [])
            let synthetic = EffectiveRights.compute(subject: Self.ref("data/synthetic.csv"), kind: .dataset, own: nil, inputs: [py])
            #expect(synthetic.unrecorded == [.own])
            #expect(EffectiveRights.compute(subject: Self.model, kind: .model, own: nil, inputs: [synthetic, py]).unrecorded
                    == [FactOrigin(from: Self.ref("data/synthetic.csv"))])
            #expect(g.raw.consentScope == nil && g.raw.licences.isEmpty && g.raw.licenceTerms.use == .unspecified)
        }

        @Test func ownFactsComeFirstAndDiamondsCollapse() throws {
            let g = try Self.graph()
            // A second path to users.csv: model2 ← features, users (direct). The direct path wins.
            let m2 = EffectiveRights.compute(subject: Self.ref("models/m2.bin"), kind: .model, own: RightsFacts(
                license: "Apache-2.0", pii: ["name"], retentionUntil: Self.day("2026-06-30")), inputs: [g.features, g.users])
            let names = m2.pii.filter { $0.value == "name" }
            #expect(names.map(\.origin) == [.own, FactOrigin(from: Self.users)])
            #expect(m2.licences.first == Sourced("Apache-2.0", .own))
            #expect(m2.licences.filter { $0.value == "CC-BY-4.0" }.map(\.origin) == [FactOrigin(from: Self.users)])
            // Equal retention dates: own wins.
            #expect(m2.retentionUntil == Sourced(Self.day("2026-06-30"), .own))
            // The artifact listing itself as an input is ignored.
            let selfLoop = EffectiveRights.compute(subject: Self.users, kind: .dataset, own: g.users.own, inputs: [g.users])
            #expect(selfLoop == g.users)
        }

        @Test func scopeIntersection() {
            func scope(_ lists: [[String]]) -> [String]? {
                let inputs = lists.enumerated().map { i, s in
                    EffectiveRights.compute(subject: Self.ref("d\(i)"), kind: .dataset,
                                            own: RightsFacts(consent: ConsentFacts(status: .granted, scope: s)), inputs: [])
                }
                return EffectiveRights.compute(subject: Self.ref("m"), kind: .model, own: nil, inputs: inputs).consentScope
            }
            #expect(scope([]) == nil)
            #expect(scope([["training"]]) == ["training"])
            #expect(scope([["training", "evaluation"], ["evaluation", "research"]]) == ["evaluation"])
            #expect(scope([["training"], ["fine-tuning", "marketing"]]) == ["fine-tuning"])
            #expect(scope([["training"], ["research"]]) == [])
            #expect(scope([["research"], ["academic"]]) == ["academic"])
            // Consent not required narrows nothing.
            let free = EffectiveRights.compute(subject: Self.ref("free"), kind: .dataset,
                                               own: RightsFacts(consent: ConsentFacts(status: .notRequired, scope: ["x"])), inputs: [])
            #expect(free.consentScope == nil)
            #expect(free.consentCovers(.commercial))
        }

        @Test func describeShowsOwnAndInherited() throws {
            let m = try Self.graph().model
            let text = m.describe().joined(separator: "\n")
            #expect(text.contains("no own rights record"))
            #expect(text.contains("name (inherited from \(Self.users) via \(Self.features))"))
            #expect(text.contains("withdrawn on 2026-03-01 in commit cccccccccccc (inherited from \(Self.clicks) via \(Self.features)): user request"))
            #expect(text.contains("  no rights record  \(Self.raw)"))
            #expect(text.contains("use: non-commercial; attribution: CC-BY-4.0, CC-BY-NC-4.0"))
            let u = try Self.graph().users.describe()
            #expect(u.first == "\(Self.users)")
            #expect(u.contains { $0.contains("retention until") && $0.contains("2027-01-01") })
            #expect(!u.contains { $0.hasPrefix("effective") })  // nothing inherited
        }

        @Test func encodesForJSONOutput() throws {
            let m = try Self.graph().model
            let text = String(decoding: try CanonicalJSON.encode(m), as: UTF8.self)
            #expect(text.contains("\"origin\":{\"from\":{\"path\":\"data/users.csv\""))
            #expect(try CanonicalJSON.decode(EffectiveRights.self, from: Array(text.utf8)) == m)
            let own = String(decoding: try CanonicalJSON.encode(FactOrigin.own), as: UTF8.self)
            #expect(own == "{\"own\":true}")
            #expect(Self.users.description == "data/users.csv@" + Digest.of(Data("data/users.csv".utf8)).hex.prefix(12))
        }
    }
}
