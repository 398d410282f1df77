import Foundation

/// One artifact version: a path and the digest of its bytes.
public struct ArtifactRef: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var path: String
    public var sha256: Digest

    public init(path: String, sha256: Digest) {
        self.path = path; self.sha256 = sha256
    }

    /// `data/users.csv@3f2a9c1b0d4e` — the path and the first 12 hex digits of the digest.
    public var description: String { "\(path)@\(sha256.hex.prefix(12))" }

    // Paths compare as bytes (NFC and NFD spellings are different artifacts).
    public static func == (a: ArtifactRef, b: ArtifactRef) -> Bool { a.sha256 == b.sha256 && a.path.bytesEqual(b.path) }
    public func hash(into hasher: inout Hasher) { PathKey(path).hash(into: &hasher); hasher.combine(sha256) }

    public static func < (a: ArtifactRef, b: ArtifactRef) -> Bool {
        !a.path.bytesEqual(b.path) ? a.path.bytesPrecede(b.path) : a.sha256 < b.sha256
    }
}

/// Where an effective fact comes from: the artifact's own record, or the own record of an artifact
/// upstream of it, reached through a chain of inputs.
public struct FactOrigin: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The artifact whose own record states the fact; nil for the artifact's own record.
    public var from: ArtifactRef?
    /// The artifacts the fact passed through on its way, nearest first: the direct input first, then
    /// its input, ...; empty when `from` is a direct input (or the fact is the artifact's own).
    public var via: [ArtifactRef]

    public static let own = FactOrigin(from: nil, via: [])

    public init(from: ArtifactRef?, via: [ArtifactRef] = []) {
        self.from = from; self.via = from == nil ? [] : via
    }

    public var isOwn: Bool { from == nil }

    /// `own`, `inherited from data/users.csv@3f2a9c1b0d4e`, or
    /// `inherited from data/users.csv@3f2a9c1b0d4e via data/features.csv@9b1c...`.
    public var description: String {
        guard let from else { return "own" }
        return "inherited from \(from)" + (via.isEmpty ? "" : " via " + via.map(\.description).joined(separator: ", "))
    }

    /// This origin as seen one step further downstream, through `input`.
    func through(_ input: ArtifactRef) -> FactOrigin {
        guard let from else { return FactOrigin(from: input) }
        return FactOrigin(from: from, via: [input] + via)
    }

    /// Own first; then by the stating artifact; then shorter chains first.
    public static func < (a: FactOrigin, b: FactOrigin) -> Bool {
        switch (a.from, b.from) {
        case (nil, nil): return false
        case (nil, _): return true
        case (_, nil): return false
        case let (x?, y?):
            if x != y { return x < y }
            if a.via.count != b.via.count { return a.via.count < b.via.count }
            return a.via.lexicographicallyPrecedes(b.via)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        if (try c.decodeIfPresent(Bool.self, forKey: "own")) == true {
            self = .own
        } else {
            self.init(from: try c.decode(ArtifactRef.self, forKey: "from"), via: try c.decodeIfPresent([ArtifactRef].self, forKey: "via") ?? [])
        }
    }

    /// `{"own":true}` or `{"from":{...},"via":[...]}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        if let from {
            try c.encode(from, forKey: "from")
            try c.encode(via, forKey: "via")
        } else {
            try c.encode(true, forKey: "own")
        }
    }
}

/// A value together with where it comes from.
public struct Sourced<Value: Hashable & Sendable & Codable>: Hashable, Sendable, Codable {
    public var value: Value
    public var origin: FactOrigin

    public init(_ value: Value, _ origin: FactOrigin) {
        self.value = value; self.origin = origin
    }
}

/// Consent withdrawn for an artifact's data, or for data upstream of it.
public struct ConsentWithdrawal: Hashable, Sendable, Codable {
    /// Whose consent: own, or the upstream artifact (and the inputs it came through).
    public var origin: FactOrigin
    /// The day the withdrawal takes effect; nil when not recorded (it then counts on every date).
    public var withdrawnAt: CalendarDay?
    /// The signed commit that recorded it, when known.
    public var commit: String?
    public var reason: String?

    public init(origin: FactOrigin, withdrawnAt: CalendarDay?, commit: String?, reason: String?) {
        self.origin = origin; self.withdrawnAt = withdrawnAt; self.commit = commit; self.reason = reason
    }

    /// Whether the withdrawal is in effect on `day`: it has no date, or its date is on or before `day`.
    public func isEffective(on day: CalendarDay) -> Bool { withdrawnAt.map { $0 <= day } ?? true }
}

/// The rights that apply to an artifact version once its inputs are taken into account: its own
/// record plus everything it inherits through the lineage graph, each inherited fact naming the
/// upstream artifact it comes from.
///
/// Rules: personal-data and special categories are the union over the artifact and its inputs;
/// every licence of the artifact and of its inputs applies (`licenceTerms` combines them); the consent
/// scope is the intersection of every scope recorded upstream; the retention date is the earliest;
/// every upstream consent withdrawal is listed. Source, method, legal basis and steward describe how
/// one artifact was collected and are not inherited.
public struct EffectiveRights: Equatable, Sendable, Codable {
    public var subject: ArtifactRef
    public var kind: ArtifactKind
    /// The artifact's own record's facts; nil when it has none.
    public var own: RightsFacts?
    /// Direct inputs, sorted.
    public var inputs: [ArtifactRef]
    /// Sorted by value, then origin (own first).
    public var pii: [Sourced<String>]
    public var specialCategory: [Sourced<SpecialCategory>]
    /// Every licence that applies, with where each comes from.
    public var licences: [Sourced<String>]
    /// The licences' obligations together.
    public var licenceTerms: CombinedLicenceTerms
    /// Every consent scope recorded upstream (and the artifact's own), each a constraint.
    public var consentScopes: [Sourced<[String]>]
    /// Their intersection (`DataUse.isCovered` semantics: `training` also admits `pre-training`);
    /// nil when no scope is recorded anywhere upstream, i.e. consent does not narrow the uses.
    public var consentScope: [String]?
    /// The earliest retention date upstream or own.
    public var retentionUntil: Sourced<CalendarDay>?
    public var withdrawals: [ConsentWithdrawal]
    /// Artifacts without any rights record that this one rests on: sources (built from no data — no
    /// inputs, or only code and environments) other than code and environments themselves. `.own`
    /// when the artifact itself is such a source.
    public var unrecorded: [FactOrigin]

    public init(subject: ArtifactRef, kind: ArtifactKind, own: RightsFacts?, inputs: [ArtifactRef], pii: [Sourced<String>],
                specialCategory: [Sourced<SpecialCategory>], licences: [Sourced<String>], licenceTerms: CombinedLicenceTerms,
                consentScopes: [Sourced<[String]>], consentScope: [String]?, retentionUntil: Sourced<CalendarDay>?,
                withdrawals: [ConsentWithdrawal], unrecorded: [FactOrigin]) {
        self.subject = subject; self.kind = kind; self.own = own; self.inputs = inputs; self.pii = pii
        self.specialCategory = specialCategory; self.licences = licences; self.licenceTerms = licenceTerms
        self.consentScopes = consentScopes; self.consentScope = consentScope; self.retentionUntil = retentionUntil
        self.withdrawals = withdrawals; self.unrecorded = unrecorded
    }

    /// The effective rights of `subject` from its own record (if any) and the effective rights of its
    /// direct inputs (compute those first, in topological order). An input equal to `subject` is ignored.
    ///
    /// A fact that reaches the artifact along several paths is listed once, with the shortest chain.
    public static func compute(subject: ArtifactRef, kind: ArtifactKind, own: RightsFacts?, inputs: [EffectiveRights]) -> EffectiveRights {
        let ins = Dictionary(inputs.filter { $0.subject != subject }.map { ($0.subject, $0) }, uniquingKeysWith: { a, _ in a })
            .values.sorted { $0.subject < $1.subject }

        var pii: [Sourced<String>] = (own?.pii ?? []).map { Sourced($0, .own) }
        var special: [Sourced<SpecialCategory>] = (own?.specialCategory ?? []).map { Sourced($0, .own) }
        var licences: [Sourced<String>] = own?.license.map { [Sourced(Licences.canonical($0) ?? $0, .own)] } ?? []
        var scopes: [Sourced<[String]>] = []
        if let c = own?.consent, c.status != .notRequired, let s = c.scope { scopes.append(Sourced(s, .own)) }
        var retention: [Sourced<CalendarDay>] = own?.retentionUntil.map { [Sourced($0, .own)] } ?? []
        var withdrawals: [ConsentWithdrawal] = []
        if let c = own?.consent, c.status == .withdrawn {
            withdrawals.append(ConsentWithdrawal(origin: .own, withdrawnAt: c.withdrawnAt, commit: c.withdrawalCommit, reason: c.withdrawalReason))
        }
        var unrecorded: [FactOrigin] = []
        // A source is an artifact built from no data: no inputs, or only programs and environments.
        let isSource = ins.allSatisfy { $0.kind == .code || $0.kind == .environment }
        if own == nil, isSource, kind != .code, kind != .environment { unrecorded.append(.own) }

        for input in ins {
            let ref = input.subject
            pii += input.pii.map { Sourced($0.value, $0.origin.through(ref)) }
            special += input.specialCategory.map { Sourced($0.value, $0.origin.through(ref)) }
            licences += input.licences.map { Sourced($0.value, $0.origin.through(ref)) }
            scopes += input.consentScopes.map { Sourced($0.value, $0.origin.through(ref)) }
            if let r = input.retentionUntil { retention.append(Sourced(r.value, r.origin.through(ref))) }
            withdrawals += input.withdrawals.map {
                ConsentWithdrawal(origin: $0.origin.through(ref), withdrawnAt: $0.withdrawnAt, commit: $0.commit, reason: $0.reason)
            }
            unrecorded += input.unrecorded.map { $0.through(ref) }
        }

        let scopeList = dedupe(scopes)
        let licenceList = dedupe(licences)
        return EffectiveRights(
            subject: subject, kind: kind, own: own, inputs: ins.map(\.subject),
            pii: dedupe(pii), specialCategory: dedupe(special), licences: licenceList,
            licenceTerms: Licences.combine(licenceList.map(\.value)),
            consentScopes: scopeList, consentScope: intersect(scopeList.map(\.value)),
            retentionUntil: retention.min { $0.value != $1.value ? $0.value < $1.value : $0.origin < $1.origin },
            withdrawals: dedupeWithdrawals(withdrawals), unrecorded: dedupeOrigins(unrecorded))
    }

    /// Each (value, stating artifact) once, keeping the shortest chain; sorted by value, then origin.
    static func dedupe<V: Hashable & Sendable & Codable>(_ items: [Sourced<V>]) -> [Sourced<V>] {
        var best: [Key<V>: Sourced<V>] = [:]
        for item in items {
            let k = Key(value: item.value, from: item.origin.from)
            if let b = best[k], !(item.origin < b.origin) { continue }
            best[k] = item
        }
        return best.values.sorted { a, b in
            let (x, y) = (sortKey(a.value), sortKey(b.value))
            return x != y ? x < y : a.origin < b.origin
        }
    }

    private struct Key<V: Hashable>: Hashable { let value: V; let from: ArtifactRef? }

    private static func sortKey<V>(_ v: V) -> String {
        if let s = v as? String { return s }
        if let r = v as? any RawRepresentable<String> { return r.rawValue }
        if let l = v as? [String] { return l.joined(separator: ",") }
        return String(describing: v)
    }

    private static func dedupeWithdrawals(_ items: [ConsentWithdrawal]) -> [ConsentWithdrawal] {
        var best: [ArtifactRef?: ConsentWithdrawal] = [:]
        for w in items {
            if let b = best[w.origin.from], !(w.origin < b.origin) { continue }
            best[w.origin.from] = w
        }
        return best.values.sorted { $0.origin < $1.origin }
    }

    private static func dedupeOrigins(_ items: [FactOrigin]) -> [FactOrigin] {
        var best: [ArtifactRef?: FactOrigin] = [:]
        for o in items {
            if let b = best[o.from], !(o < b) { continue }
            best[o.from] = o
        }
        return best.values.sorted()
    }

    /// The uses every scope covers, each named as the narrowest scope entry that admits it; nil for no scopes.
    static func intersect(_ scopes: [[String]]) -> [String]? {
        guard let first = scopes.first else { return nil }
        var candidates = Set(first)
        for s in scopes.dropFirst() { candidates.formUnion(s) }
        return candidates.filter { use in
            scopes.allSatisfy { scope in
                if scope.contains(use) { return true }
                guard let u = DataUse(rawValue: use) else { return false }
                return u.isCovered(by: scope)
            }
        }.sorted()
    }

    // MARK: Reading

    /// The personal-data categories, each once, sorted.
    public var piiCategories: [String] { Array(Set(pii.map(\.value))).sorted() }

    /// Whether consent permits `use`: true when no scope narrows the uses.
    public func consentCovers(_ use: DataUse) -> Bool {
        guard let scope = consentScope else { return true }
        return use.isCovered(by: scope)
    }

    /// Lines for `rights show`: the own facts, then what is inherited and from where.
    public func describe() -> [String] {
        var lines: [String] = []
        func row(_ label: String, _ value: String) {
            lines.append(label.padding(toLength: 20, withPad: " ", startingAt: 0) + value)
        }
        func list<V: Hashable & Sendable & Codable>(_ items: [Sourced<V>], _ text: (V) -> String) -> String {
            items.map { "\(text($0.value)) (\($0.origin))" }.joined(separator: "; ")
        }
        lines.append("\(subject)")
        if let own {
            for line in own.describe() { lines.append("  " + line) }
        } else {
            lines.append("  no own rights record")
        }
        let inheritedOnly = ins(pii) || ins(specialCategory) || ins(licences) || ins(consentScopes)
            || !(retentionUntil?.origin.isOwn ?? true) || withdrawals.contains { !$0.origin.isOwn } || !unrecorded.isEmpty
        guard inheritedOnly || !inputs.isEmpty else { return lines }
        lines.append("effective (own and inherited):")
        if !pii.isEmpty { row("  personal data", list(pii) { $0 }) }
        if !specialCategory.isEmpty { row("  special category", list(specialCategory) { $0.rawValue }) }
        if !licences.isEmpty {
            row("  licences", list(licences) { $0 })
            var terms = "use: \(licenceTerms.use.rawValue)"
            if !licenceTerms.attribution.isEmpty { terms += "; attribution: \(licenceTerms.attribution.joined(separator: ", "))" }
            if !licenceTerms.shareAlike.isEmpty { terms += "; share-alike: \(licenceTerms.shareAlike.joined(separator: ", "))" }
            if !licenceTerms.noDerivatives.isEmpty { terms += "; no derivatives: \(licenceTerms.noDerivatives.joined(separator: ", "))" }
            row("  obligations", terms)
            for c in licenceTerms.conflicts { row("  conflict", c) }
        }
        if let scope = consentScope {
            row("  consent scope", scope.isEmpty ? "none (the recorded scopes have no use in common)" : scope.joined(separator: ", "))
            for s in consentScopes { row("    narrowed by", "\(s.value.joined(separator: ", ")) (\(s.origin))") }
        }
        if let r = retentionUntil { row("  retention until", "\(r.value) (\(r.origin))") }
        for w in withdrawals {
            var text = "withdrawn"
            if let d = w.withdrawnAt { text += " on \(d)" }
            if let c = w.commit { text += " in commit \(c.prefix(12))" }
            text += " (\(w.origin))"
            if let r = w.reason { text += ": \(r)" }
            row("  consent", text)
        }
        for u in unrecorded {
            row("  no rights record", u.isOwn ? "\(subject) itself" : "\(u.from!)" + (u.via.isEmpty ? "" : " via " + u.via.map(\.description).joined(separator: ", ")))
        }
        return lines
    }

    private func ins<V: Hashable & Sendable & Codable>(_ items: [Sourced<V>]) -> Bool { items.contains { !$0.origin.isOwn } }
}

extension RightsFacts {
    /// One line per recorded fact, `label  value`, for `rights show`.
    public func describe() -> [String] {
        var lines: [String] = []
        func row(_ label: String, _ value: String) {
            lines.append(label.padding(toLength: 18, withPad: " ", startingAt: 0) + value)
        }
        if let s = source {
            var text = s.url
            if let n = s.name { text += " (\(n))" }
            if let i = s.issuer { text += ", issued by \(i)" }
            row("source", text)
        }
        if let c = collected { row("collected", c.text) }
        if let m = method { row("method", m.rawValue) }
        if let b = legalBasis { row("legal basis", "\(b.rawValue) (GDPR Art. \(b.article))") }
        if let a = art9Condition { row("art. 9 condition", "\(a.rawValue) (GDPR Art. \(a.article))") }
        if let c = consent {
            var text = c.status?.rawValue ?? "status not recorded"
            if let s = c.scope { text += s.isEmpty ? ", scope: none" : ", scope: \(s.joined(separator: ", "))" }
            row("consent", text)
            if let e = c.evidence { row("consent evidence", e) }
            if c.withdrawnAt != nil || c.withdrawalReason != nil || c.withdrawalCommit != nil {
                var w = "withdrawn"
                if let d = c.withdrawnAt { w += " on \(d)" }
                if let m = c.withdrawalCommit { w += " in commit \(m.prefix(12))" }
                if let r = c.withdrawalReason { w += ": \(r)" }
                row("withdrawal", w)
            }
        }
        if let l = license {
            let terms = Licences.lookup(l).map { " (\($0.use.rawValue) use\($0.attribution ? ", attribution" : "")\($0.shareAlike ? ", share-alike" : "")\($0.noDerivatives ? ", no derivatives" : ""))" } ?? ""
            row("license", l + terms)
        }
        if let p = pii { row("personal data", p.isEmpty ? "none" : p.joined(separator: ", ")) }
        if let s = specialCategory { row("special category", s.isEmpty ? "none" : s.map(\.rawValue).joined(separator: ", ")) }
        if let r = retentionUntil { row("retention until", r.iso) }
        if let s = steward { row("steward", s) }
        if lines.isEmpty { lines.append("no facts recorded") }
        return lines
    }
}
