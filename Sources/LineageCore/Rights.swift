import Foundation

// Consent and rights facts about one artifact version (schema `Schemas/rights.schema.json`).
// Vocabulary: `../shared/design/FORMATS.md`, "Consent and rights vocabulary".

// MARK: - Errors and validation issues

/// A value that cannot be read, named by the field it belongs to (`consent.scope`, `legal-basis`).
/// The message says what is wrong and what to write instead.
public struct RecordFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Dotted path of the member (`consent.scope`); empty for the record as a whole.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field; self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// One problem `RightsFacts.validate(today:)` found.
public struct RightsIssue: Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var severity: Severity
    public var field: RightsField
    public var message: String

    public init(_ severity: Severity, _ field: RightsField, _ message: String) {
        self.severity = severity; self.field = field; self.message = message
    }

    /// `error: legal-basis: ...` / `warning: retention-until: ...`
    public var description: String { "\(severity.rawValue): \(field.name): \(message)" }
}

/// What `validate` found: errors block a write; warnings are printed and the write goes ahead.
public struct RightsValidation: Equatable, Sendable {
    public var errors: [RightsIssue]
    public var warnings: [RightsIssue]
    public var isValid: Bool { errors.isEmpty }

    public init(errors: [RightsIssue] = [], warnings: [RightsIssue] = []) {
        self.errors = errors; self.warnings = warnings
    }
}

// MARK: - Calendar days and collection periods

/// A calendar date without a time of day (proleptic Gregorian, UTC), written `YYYY-MM-DD`.
public struct CalendarDay: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let days: Int64

    public init(days: Int64) { self.days = days }

    /// Nil when the date does not exist (month 13, 30 February) or the year is outside 1...9999.
    public init?(year: Int64, month: Int64, day: Int64) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= CivilDate.daysInMonth(year: year, month: month) else { return nil }
        days = CivilDate.days(year: year, month: month, day: day)
    }

    /// Parses exactly `YYYY-MM-DD` (ISO 8601 calendar date, extended form); nil otherwise.
    public init?(iso text: String) {
        let c = Array(text.utf8)
        guard c.count == 10, c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-"),
              let y = decimal(c[0..<4]), let m = decimal(c[5..<7]), let d = decimal(c[8..<10]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The UTC calendar day that contains `date`.
    public init(date: Date) {
        days = Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// Today in UTC.
    public static func today() -> CalendarDay { CalendarDay(date: Date()) }

    public var components: (year: Int64, month: Int64, day: Int64) { CivilDate.date(days: days) }

    /// `YYYY-MM-DD`.
    public var iso: String {
        let (y, m, d) = components
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    public var description: String { iso }

    public static func < (a: CalendarDay, b: CalendarDay) -> Bool { a.days < b.days }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let day = CalendarDay(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date: \(text)"))
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(iso)
    }

    /// Reads a `YYYY-MM-DD` value for `field`, with a message that says what to write.
    public static func parse(_ text: String, field: String) throws -> CalendarDay {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let day = CalendarDay(iso: t) { return day }
        if t.utf8.count == 10, t.range(of: #"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"#, options: .regularExpression) != nil {
            throw RecordFieldError(field: field, message: "'\(t)' is not a date that exists; write a calendar date as YYYY-MM-DD, e.g. 2027-12-31")
        }
        throw RecordFieldError(field: field, message: "'\(t)' is not a date; write it as YYYY-MM-DD, e.g. 2027-12-31")
    }
}

private func decimal(_ s: ArraySlice<UInt8>) -> Int64? {
    var v: Int64 = 0
    for b in s {
        guard b >= 48, b <= 57 else { return nil }
        v = v * 10 + Int64(b - 48)
    }
    return s.isEmpty ? nil : v
}

private func pad(_ v: Int64, _ width: Int) -> String {
    let t = String(v)
    return t.count >= width ? t : String(repeating: "0", count: width - t.count) + t
}

/// When data was collected: an ISO 8601 time interval of calendar dates, kept as written.
///
/// Each end is `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; a reduced-precision start means its first day and a
/// reduced-precision end its last (`2024-01/2024-06` is 2024-01-01 through 2024-06-30). A single
/// value is the whole of that year, month or day; `2024-01/..` is still ongoing (ISO 8601-2 open end).
public struct CollectionPeriod: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The interval as written, e.g. `2024-01/2024-06`.
    public let text: String
    /// The first day of the period.
    public let start: CalendarDay
    /// The last day of the period (inclusive); nil for an open end (`..`).
    public let end: CalendarDay?

    /// Parses `text`; errors name `field` and say which forms are accepted.
    public init(_ text: String, field: String = "collected") throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        let hint = "write an ISO 8601 interval such as 2024-01/2024-06 or 2024-01-05/2024-02-01 (a single 2024-03 means that whole month; 2024-01/.. is still ongoing)"
        let parts = t.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !t.isEmpty, parts.count <= 2 else {
            throw RecordFieldError(field: field, message: "'\(t)' is not a collection period; \(hint)")
        }
        func endpoint(_ s: String) throws -> (first: CalendarDay, last: CalendarDay) {
            let c = Array(s.utf8)
            func bad(_ why: String) -> RecordFieldError {
                RecordFieldError(field: field, message: "'\(t)' is not a collection period: \(why); \(hint)")
            }
            guard let y = c.count >= 4 ? decimal(c[0..<4]) : nil, y >= 1 else { throw bad("'\(s)' is not YYYY, YYYY-MM or YYYY-MM-DD") }
            switch c.count {
            case 4:
                return (CalendarDay(year: y, month: 1, day: 1)!, CalendarDay(year: y, month: 12, day: 31)!)
            case 7 where c[4] == UInt8(ascii: "-"):
                guard let m = decimal(c[5..<7]) else { throw bad("'\(s)' is not YYYY, YYYY-MM or YYYY-MM-DD") }
                guard (1...12).contains(m) else { throw bad("month \(m) does not exist") }
                return (CalendarDay(year: y, month: m, day: 1)!,
                        CalendarDay(year: y, month: m, day: CivilDate.daysInMonth(year: y, month: m))!)
            case 10 where c[4] == UInt8(ascii: "-") && c[7] == UInt8(ascii: "-"):
                guard let m = decimal(c[5..<7]), let d = decimal(c[8..<10]) else { throw bad("'\(s)' is not YYYY, YYYY-MM or YYYY-MM-DD") }
                guard (1...12).contains(m) else { throw bad("month \(m) does not exist") }
                guard let day = CalendarDay(year: y, month: m, day: d) else { throw bad("\(s) does not exist") }
                return (day, day)
            default:
                throw bad("'\(s)' is not YYYY, YYYY-MM or YYYY-MM-DD")
            }
        }
        let first = try endpoint(parts[0])
        var last: CalendarDay? = first.last
        if parts.count == 2 {
            last = parts[1] == ".." ? nil : try endpoint(parts[1]).last
        }
        if let last, last < first.first {
            throw RecordFieldError(field: field, message: "'\(t)' ends (\(last)) before it starts (\(first.first)); put the earlier date first")
        }
        self.text = t; self.start = first.first; self.end = last
    }

    public var description: String { text }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}

// MARK: - Vocabularies

/// A closed vocabulary of the rights record: a string enum with a name for error messages.
public protocol RightsTerm: RawRepresentable, CaseIterable, Hashable, Sendable, Codable where RawValue == String {
    /// What the values are, for messages: "GDPR Art. 6(1) legal basis".
    static var termName: String { get }
}

extension RightsTerm {
    /// Reads a value typed by a person: case, spaces and underscores do not matter
    /// (`Legitimate interests` reads as `legitimate-interests`). Unknown values are errors that
    /// name `field`, suggest the closest values and list them all.
    public static func parse(_ text: String, field: String) throws -> Self {
        let t = text.trimmingCharacters(in: .whitespaces)
        let folded = t.lowercased().replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "_", with: "-")
        if let v = Self(rawValue: folded) { return v }
        throw unknown(t, field: field)
    }

    /// Reads a value exactly as records store it.
    static func strict(_ text: String, field: String) throws -> Self {
        if let v = Self(rawValue: text) { return v }
        throw unknown(text, field: field)
    }

    static func unknown(_ text: String, field: String) -> RecordFieldError {
        let all = allCases.map(\.rawValue)
        let near = Suggest.closest(to: text, among: all)
        let hint = near.isEmpty ? "; use" : " — did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))? Use"
        return RecordFieldError(field: field, message: "'\(text)' is not a \(termName)\(hint) one of: \(all.joined(separator: ", "))")
    }
}

/// How the data was obtained (in the spirit of the Data & Trust Alliance's "method" and Croissant RAI's
/// `dataCollectionType`).
public enum CollectionMethod: String, RightsTerm {
    case survey, scraped, licensed, synthetic, crowdsourced, sensor
    case userGenerated = "user-generated"
    case publicRecords = "public-records"
    case `internal`, derived, other
    public static let termName = "collection method"
}

/// The lawful basis for processing personal data, GDPR Art. 6(1)(a)–(f).
public enum LegalBasis: String, RightsTerm {
    case consent, contract
    case legalObligation = "legal-obligation"
    case vitalInterests = "vital-interests"
    case publicTask = "public-task"
    case legitimateInterests = "legitimate-interests"
    public static let termName = "GDPR Art. 6(1) legal basis"

    /// `6(1)(a)` ... `6(1)(f)`.
    public var article: String {
        let letter = ["consent": "a", "contract": "b", "legal-obligation": "c", "vital-interests": "d",
                      "public-task": "e", "legitimate-interests": "f"][rawValue]!
        return "6(1)(\(letter))"
    }
}

/// The condition that lifts the ban on processing special categories of data, GDPR Art. 9(2)(a)–(j).
public enum Art9Condition: String, RightsTerm {
    /// (a) explicit consent of the data subject.
    case explicitConsent = "explicit-consent"
    /// (b) obligations in employment, social security and social protection law.
    case employment
    /// (c) vital interests of a data subject who cannot consent.
    case vitalInterests = "vital-interests"
    /// (d) a not-for-profit body's members or regular contacts.
    case nonprofit
    /// (e) data manifestly made public by the data subject.
    case madePublic = "made-public"
    /// (f) legal claims, or courts acting judicially.
    case legalClaims = "legal-claims"
    /// (g) substantial public interest on the basis of law.
    case substantialPublicInterest = "substantial-public-interest"
    /// (h) preventive or occupational medicine, diagnosis, health or social care.
    case healthCare = "health-care"
    /// (i) public interest in public health.
    case publicHealth = "public-health"
    /// (j) archiving in the public interest, scientific or historical research, statistics.
    case research
    public static let termName = "GDPR Art. 9(2) condition"

    /// `9(2)(a)` ... `9(2)(j)`.
    public var article: String {
        let letters = "abcdefghij".map(String.init)
        return "9(2)(\(letters[Self.allCases.firstIndex(of: self)!]))"
    }
}

/// Where consent stands for the people the data is about.
public enum ConsentStatus: String, RightsTerm {
    case granted, withdrawn
    case notRequired = "not-required"
    public static let termName = "consent status"
}

/// Special categories of personal data, GDPR Art. 9(1).
public enum SpecialCategory: String, RightsTerm {
    case racialEthnicOrigin = "racial-ethnic-origin"
    case politicalOpinions = "political-opinions"
    case religiousBeliefs = "religious-beliefs"
    case tradeUnion = "trade-union"
    case genetic, biometric, health
    case sexLife = "sex-life"
    case sexualOrientation = "sexual-orientation"
    public static let termName = "GDPR Art. 9 special category"
}

/// A use of data or of a model built from it: what `audit --use` asks about and what consent scopes
/// and licences permit.
public enum DataUse: String, RightsTerm {
    case training
    case preTraining = "pre-training"
    case fineTuning = "fine-tuning"
    case evaluation, research, academic, commercial
    case nonCommercial = "non-commercial"
    case redistribution
    public static let termName = "data use"

    /// The broader use this one is a kind of: pre-training and fine-tuning are training; academic is research.
    public var broader: DataUse? {
        switch self {
        case .preTraining, .fineTuning: return .training
        case .academic: return .research
        default: return nil
        }
    }

    /// Whether a consent scope (a list of uses) covers this use: it names it, or a broader use of it.
    public func isCovered(by scope: [String]) -> Bool {
        var u: DataUse? = self
        while let x = u {
            if scope.contains(x.rawValue) { return true }
            u = x.broader
        }
        return false
    }
}

/// Personal-data categories lineage knows by name. Records may use others (any lowercase
/// `word-word` id); these exist to catch typos.
public enum PersonalDataCategory {
    public static let known: [String] = [
        "name", "email", "phone", "address", "postal-code", "ip-address", "device-id", "cookie-id", "username",
        "national-id", "passport-number", "tax-id", "credit-card", "iban", "bank-account", "date-of-birth", "age",
        "gender", "location", "photo", "voice", "employee-id", "customer-id", "vehicle-id", "free-text",
    ]
}

// MARK: - Facts

/// Where the data came from.
public struct RightsSource: Hashable, Sendable, Codable {
    /// Absolute URL (or URN) of the data's origin.
    public var url: String
    /// Human name of the source, e.g. `2024 customer survey`.
    public var name: String?
    /// Who issued the data (an organisation).
    public var issuer: String?

    public init(url: String, name: String? = nil, issuer: String? = nil) {
        self.url = url; self.name = name; self.issuer = issuer
    }
}

/// Consent of the people the data is about.
public struct ConsentFacts: Hashable, Sendable, Codable {
    public var status: ConsentStatus?
    /// The uses consent was given for (`training`, `evaluation`, ...; see `DataUse`).
    public var scope: [String]?
    /// URL of the consent documentation (form text, records).
    public var evidence: String?
    /// The day the withdrawal takes effect (`consent withdraw --effective`).
    public var withdrawnAt: CalendarDay?
    public var withdrawalReason: String?
    /// Id (hex) of the signed commit that recorded the withdrawal. A commit cannot name itself, so the
    /// record written by `consent withdraw` has none; records written later carry it forward, and
    /// readers fill it in from history.
    public var withdrawalCommit: String?

    public init(status: ConsentStatus? = nil, scope: [String]? = nil, evidence: String? = nil, withdrawnAt: CalendarDay? = nil,
                withdrawalReason: String? = nil, withdrawalCommit: String? = nil) {
        self.status = status; self.scope = scope; self.evidence = evidence; self.withdrawnAt = withdrawnAt
        self.withdrawalReason = withdrawalReason; self.withdrawalCommit = withdrawalCommit
    }

    public var isEmpty: Bool { self == ConsentFacts() }
}

/// Every fact a rights record can hold. All optional: nil means "not recorded" (an empty list means
/// "recorded: none"). Also the shape of a partial update (`rights set`): only non-nil members change.
public struct RightsFacts: Hashable, Sendable {
    public var source: RightsSource?
    public var collected: CollectionPeriod?
    public var method: CollectionMethod?
    public var legalBasis: LegalBasis?
    public var art9Condition: Art9Condition?
    public var consent: ConsentFacts?
    /// An SPDX licence identifier (see `Licences`), `LicenseRef-...`, or `proprietary`.
    public var license: String?
    /// Personal-data categories present (`email`, `name`, ...).
    public var pii: [String]?
    public var specialCategory: [SpecialCategory]?
    /// The data must be erased after this day.
    public var retentionUntil: CalendarDay?
    /// E-mail address of the person answerable for the data.
    public var steward: String?

    public init(source: RightsSource? = nil, collected: CollectionPeriod? = nil, method: CollectionMethod? = nil,
                legalBasis: LegalBasis? = nil, art9Condition: Art9Condition? = nil, consent: ConsentFacts? = nil,
                license: String? = nil, pii: [String]? = nil, specialCategory: [SpecialCategory]? = nil,
                retentionUntil: CalendarDay? = nil, steward: String? = nil) {
        self.source = source; self.collected = collected; self.method = method; self.legalBasis = legalBasis
        self.art9Condition = art9Condition; self.consent = consent; self.license = license; self.pii = pii
        self.specialCategory = specialCategory; self.retentionUntil = retentionUntil; self.steward = steward
    }

    public var isEmpty: Bool { self == RightsFacts() }
}

/// A settable fact, named as `lineage.yaml`-style meta files and `add`/`rights set` flags name it.
public enum RightsField: String, CaseIterable, Sendable, Hashable, Codable {
    case source = "source"
    case sourceName = "source.name"
    case sourceIssuer = "source.issuer"
    case collected = "collected"
    case method = "method"
    case legalBasis = "legal-basis"
    case art9Condition = "art9-condition"
    case consentStatus = "consent.status"
    case consentScope = "consent.scope"
    case consentEvidence = "consent.evidence"
    case consentWithdrawnAt = "consent.withdrawn-at"
    case consentWithdrawalReason = "consent.withdrawal-reason"
    case consentWithdrawalCommit = "consent.withdrawal-commit"
    case license = "license"
    case pii = "pii"
    case specialCategory = "special-category"
    case retentionUntil = "retention-until"
    case steward = "steward"

    /// The name in meta files (nested keys dotted): `legal-basis`, `consent.scope`.
    public var name: String { rawValue }

    /// The member's path in the JSON record: `legalBasis`, `consent.scope`, `source.url`.
    public var jsonPath: String {
        switch self {
        case .source: return "source.url"
        case .sourceName: return "source.name"
        case .sourceIssuer: return "source.issuer"
        case .collected: return "collected"
        case .method: return "method"
        case .legalBasis: return "legalBasis"
        case .art9Condition: return "art9Condition"
        case .consentStatus: return "consent.status"
        case .consentScope: return "consent.scope"
        case .consentEvidence: return "consent.evidence"
        case .consentWithdrawnAt: return "consent.withdrawnAt"
        case .consentWithdrawalReason: return "consent.withdrawalReason"
        case .consentWithdrawalCommit: return "consent.withdrawalCommit"
        case .license: return "license"
        case .pii: return "pii"
        case .specialCategory: return "specialCategory"
        case .retentionUntil: return "retentionUntil"
        case .steward: return "steward"
        }
    }

    /// The `add` / `rights set` flag that sets it (`--consent-scope`); nil for facts only a meta file
    /// or `consent withdraw` sets.
    public var flag: String? {
        switch self {
        case .source: return "--source"
        case .collected: return "--collected"
        case .method: return "--method"
        case .legalBasis: return "--legal-basis"
        case .art9Condition: return "--art9-condition"
        case .consentStatus: return "--consent"
        case .consentScope: return "--consent-scope"
        case .consentEvidence: return "--consent-evidence"
        case .license: return "--license"
        case .pii: return "--pii"
        case .specialCategory: return "--special-category"
        case .retentionUntil: return "--retention-until"
        case .steward: return "--steward"
        case .sourceName, .sourceIssuer, .consentWithdrawnAt, .consentWithdrawalReason, .consentWithdrawalCommit: return nil
        }
    }

    /// The field a flag sets: `--legal-basis` or `legal-basis` → `.legalBasis`.
    public init?(flag: String) {
        let f = flag.hasPrefix("--") ? flag : "--" + flag
        guard let v = RightsField.allCases.first(where: { $0.flag == f }) else { return nil }
        self = v
    }

    /// Whether the value is a list (comma-separated on the command line).
    public var isList: Bool { self == .consentScope || self == .pii || self == .specialCategory }
}

extension RightsFacts {
    /// Sets one fact from text a person typed (a flag value or a meta-file scalar). Lists are
    /// comma-separated (`email, name`); an empty text sets an empty list. Errors name the field.
    public mutating func set(_ field: RightsField, text: String) throws {
        if field.isList {
            let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            try set(field, list: items)
            return
        }
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = field.name
        func nonEmpty() throws -> String {
            guard !t.isEmpty else { throw RecordFieldError(field: name, message: "is empty; give a value, or leave the field out") }
            return t
        }
        switch field {
        case .source:
            var s = source ?? RightsSource(url: "")
            s.url = try nonEmpty()
            source = s
        case .sourceName:
            guard source != nil else { throw RecordFieldError(field: name, message: "needs source.url too; give the source as a URL") }
            source?.name = try nonEmpty()
        case .sourceIssuer:
            guard source != nil else { throw RecordFieldError(field: name, message: "needs source.url too; give the source as a URL") }
            source?.issuer = try nonEmpty()
        case .collected: collected = try CollectionPeriod(try nonEmpty(), field: name)
        case .method: method = try CollectionMethod.parse(try nonEmpty(), field: name)
        case .legalBasis: legalBasis = try LegalBasis.parse(try nonEmpty(), field: name)
        case .art9Condition: art9Condition = try Art9Condition.parse(try nonEmpty(), field: name)
        case .consentStatus: consent = try with(consent ?? ConsentFacts()) { $0.status = try ConsentStatus.parse(try nonEmpty(), field: name) }
        case .consentEvidence: consent = try with(consent ?? ConsentFacts()) { $0.evidence = try nonEmpty() }
        case .consentWithdrawnAt:
            consent = try with(consent ?? ConsentFacts()) { $0.withdrawnAt = try CalendarDay.parse(try nonEmpty(), field: name) }
        case .consentWithdrawalReason: consent = try with(consent ?? ConsentFacts()) { $0.withdrawalReason = try nonEmpty() }
        case .consentWithdrawalCommit: consent = try with(consent ?? ConsentFacts()) { $0.withdrawalCommit = try nonEmpty().lowercased() }
        case .license: license = try Licences.resolve(try nonEmpty(), field: name).id
        case .retentionUntil: retentionUntil = try CalendarDay.parse(try nonEmpty(), field: name)
        case .steward: steward = try nonEmpty()
        case .consentScope, .pii, .specialCategory: break  // lists, above
        }
    }

    /// Sets a list fact from its items (duplicates dropped, order kept). Items are read like `set(_:text:)`.
    public mutating func set(_ field: RightsField, list items: [String]) throws {
        let name = field.name
        var seen = Set<String>()
        var out: [String] = []
        for raw in items {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { throw RecordFieldError(field: name, message: "has an empty item; list values like email, name") }
            let folded: String
            switch field {
            case .specialCategory: folded = try SpecialCategory.parse(item, field: name).rawValue
            case .consentScope, .pii:
                folded = item.lowercased().replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "_", with: "-")
                guard isKebabID(folded) else {
                    throw RecordFieldError(field: name, message: "'\(item)' is not a category id; use lowercase words joined by '-', e.g. ip-address")
                }
            default:
                throw RecordFieldError(field: name, message: "is not a list")
            }
            if seen.insert(folded).inserted { out.append(folded) }
        }
        switch field {
        case .specialCategory: specialCategory = out.map { SpecialCategory(rawValue: $0)! }
        case .pii: pii = out
        case .consentScope: consent = with(consent ?? ConsentFacts()) { $0.scope = out }
        default: break
        }
    }

    /// Facts from flag values (`[.legalBasis: "consent", .pii: "email,name"]`); errors name the field.
    public init(fields: [RightsField: String]) throws {
        self.init()
        for field in RightsField.allCases {
            if let text = fields[field] { try set(field, text: text) }
        }
    }

    /// These facts with `update`'s non-nil members written over them (consent and source member by
    /// member), then the `clearing` fields removed: what `rights set` stores.
    public func applying(_ update: RightsFacts, clearing: Set<RightsField> = []) -> RightsFacts {
        var r = self
        if let s = update.source {
            var merged = r.source ?? RightsSource(url: s.url)
            if !s.url.isEmpty { merged.url = s.url }
            if let n = s.name { merged.name = n }
            if let i = s.issuer { merged.issuer = i }
            r.source = merged
        }
        if let v = update.collected { r.collected = v }
        if let v = update.method { r.method = v }
        if let v = update.legalBasis { r.legalBasis = v }
        if let v = update.art9Condition { r.art9Condition = v }
        if let c = update.consent {
            var merged = r.consent ?? ConsentFacts()
            if let v = c.status { merged.status = v }
            if let v = c.scope { merged.scope = v }
            if let v = c.evidence { merged.evidence = v }
            if let v = c.withdrawnAt { merged.withdrawnAt = v }
            if let v = c.withdrawalReason { merged.withdrawalReason = v }
            if let v = c.withdrawalCommit { merged.withdrawalCommit = v }
            r.consent = merged
        }
        if let v = update.license { r.license = v }
        if let v = update.pii { r.pii = v }
        if let v = update.specialCategory { r.specialCategory = v }
        if let v = update.retentionUntil { r.retentionUntil = v }
        if let v = update.steward { r.steward = v }
        for field in clearing {
            switch field {
            case .source: r.source = nil
            case .sourceName: r.source?.name = nil
            case .sourceIssuer: r.source?.issuer = nil
            case .collected: r.collected = nil
            case .method: r.method = nil
            case .legalBasis: r.legalBasis = nil
            case .art9Condition: r.art9Condition = nil
            case .consentStatus: r.consent?.status = nil
            case .consentScope: r.consent?.scope = nil
            case .consentEvidence: r.consent?.evidence = nil
            case .consentWithdrawnAt: r.consent?.withdrawnAt = nil
            case .consentWithdrawalReason: r.consent?.withdrawalReason = nil
            case .consentWithdrawalCommit: r.consent?.withdrawalCommit = nil
            case .license: r.license = nil
            case .pii: r.pii = nil
            case .specialCategory: r.specialCategory = nil
            case .retentionUntil: r.retentionUntil = nil
            case .steward: r.steward = nil
            }
        }
        if r.consent?.isEmpty == true { r.consent = nil }
        return r
    }

    /// These facts with consent withdrawn as of `effective` (what `consent withdraw` stores). Refuses a
    /// second withdrawal and an empty reason.
    public func withdrawingConsent(effective: CalendarDay, reason: String) throws -> RightsFacts {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else {
            throw RecordFieldError(field: RightsField.consentWithdrawalReason.name, message: "is empty; say why consent was withdrawn (--reason \"...\")")
        }
        if let c = consent, c.status == .withdrawn {
            let when = c.withdrawnAt.map { " on \($0)" } ?? ""
            throw RecordFieldError(field: RightsField.consentStatus.name,
                                   message: "consent was already withdrawn\(when); nothing changed — `lineage rights show` shows the withdrawal")
        }
        var r = self
        var c = r.consent ?? ConsentFacts()
        c.status = .withdrawn
        c.withdrawnAt = effective
        c.withdrawalReason = why
        c.withdrawalCommit = nil
        r.consent = c
        return r
    }
}

private func with<T>(_ value: T, _ change: (inout T) throws -> Void) rethrows -> T {
    var v = value
    try change(&v)
    return v
}

func isKebabID(_ s: String) -> Bool {
    s.range(of: #"^[a-z0-9]+(-[a-z0-9]+)*$"#, options: .regularExpression) != nil
}

// MARK: - Validation

extension RightsFacts {
    /// Checks the facts as a whole. Errors: an unknown or deprecated licence id (with the closest
    /// known ones), a source or evidence that is not an absolute URL, a steward that is not an e-mail
    /// address, withdrawal details while consent is not withdrawn, malformed ids and commit ids, duplicates.
    /// Warnings: retention already past on `today`; special-category data without an Art. 9 condition;
    /// personal data without a legal basis; likely typos in categories and scopes.
    public func validate(today: CalendarDay) -> RightsValidation {
        var v = RightsValidation()
        func error(_ f: RightsField, _ m: String) { v.errors.append(RightsIssue(.error, f, m)) }
        func warn(_ f: RightsField, _ m: String) { v.warnings.append(RightsIssue(.warning, f, m)) }

        if let s = source {
            if !isAbsoluteURL(s.url) {
                error(.source, "'\(s.url)' is not an absolute URL; give where the data came from, e.g. https://example.org/survey-2024")
            }
            if s.name?.trimmingCharacters(in: .whitespaces).isEmpty == true { error(.sourceName, "is empty; give a name or leave it out") }
            if s.issuer?.trimmingCharacters(in: .whitespaces).isEmpty == true { error(.sourceIssuer, "is empty; give an issuer or leave it out") }
        }
        if let l = license {
            do { _ = try Licences.resolve(l, field: RightsField.license.name) } catch let e as RecordFieldError {
                error(.license, e.message)
            } catch {}
        }
        if let s = steward, !isEmailAddress(s) {
            error(.steward, "'\(s)' is not an e-mail address; give the steward's address, e.g. data-steward@example.org")
        }
        checkCategories(pii, field: .pii, known: PersonalDataCategory.known, error: error, warn: warn)
        if let sc = specialCategory, Set(sc).count != sc.count {
            let dup = Dictionary(grouping: sc, by: { $0 }).filter { $0.value.count > 1 }.keys.map(\.rawValue).sorted()
            error(.specialCategory, "lists \(dup.joined(separator: ", ")) more than once")
        }
        if let c = consent {
            checkCategories(c.scope, field: .consentScope, known: DataUse.allCases.map(\.rawValue), error: error, warn: warn)
            if let e = c.evidence, !isAbsoluteURL(e) {
                error(.consentEvidence, "'\(e)' is not an absolute URL; link the consent form or records, e.g. https://example.org/consent/v2.pdf")
            }
            if let commit = c.withdrawalCommit, commit.range(of: "^([0-9a-f]{40}|[0-9a-f]{64})$", options: .regularExpression) == nil {
                error(.consentWithdrawalCommit, "'\(commit)' is not a full commit id (40 or 64 lowercase hex digits)")
            }
            if c.status != .withdrawn {
                let state = c.status.map { "is \($0.rawValue)" } ?? "is not recorded"
                for (f, present) in [(RightsField.consentWithdrawnAt, c.withdrawnAt != nil),
                                     (.consentWithdrawalReason, c.withdrawalReason != nil),
                                     (.consentWithdrawalCommit, c.withdrawalCommit != nil)] where present {
                    error(f, "is set but consent.status \(state); withdraw consent with `lineage consent withdraw`, or remove \(f.name)")
                }
            } else if c.withdrawnAt == nil {
                warn(.consentWithdrawnAt, "consent is withdrawn but not when; `audit --at` then counts the withdrawal on every date — record the day it took effect")
            }
            if legalBasis == .consent, c.status == .notRequired {
                warn(.consentStatus, "is not-required, but the legal basis is consent; set the legal basis the data is really processed under, or the consent status")
            }
        }
        if let r = retentionUntil, r < today {
            warn(.retentionUntil, "\(r) has already passed (today is \(today)); erase the data (`lineage erase`) or record the extended retention date")
        }
        let special = specialCategory ?? []
        if !special.isEmpty, art9Condition == nil {
            let list = special.map(\.rawValue).joined(separator: ", ")
            if let b = legalBasis {
                warn(.art9Condition, "special-category data (\(list)) needs a GDPR Art. 9(2) condition besides the legal basis (\(b.rawValue)); set art9-condition, e.g. explicit-consent")
            } else {
                warn(.art9Condition, "special-category data (\(list)) needs a legal basis and a GDPR Art. 9(2) condition; set legal-basis and art9-condition")
            }
        }
        if art9Condition != nil, special.isEmpty {
            warn(.specialCategory, "art9-condition is set but no special-category data is declared; list it (e.g. health) or remove art9-condition")
        }
        if !(pii ?? []).isEmpty || !special.isEmpty, legalBasis == nil {
            warn(.legalBasis, "personal data is declared but no legal basis; set legal-basis (one of \(LegalBasis.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return v
    }

    private func checkCategories(_ items: [String]?, field: RightsField, known: [String],
                                 error: (RightsField, String) -> Void, warn: (RightsField, String) -> Void) {
        guard let items else { return }
        var seen = Set<String>()
        for item in items {
            if !isKebabID(item) {
                error(field, "'\(item)' is not a category id; use lowercase words joined by '-', e.g. ip-address")
            } else if !known.contains(item) {
                let near = Suggest.closest(to: item, among: known, maxDistance: 2)
                if !near.isEmpty { warn(field, "'\(item)' is not a known \(field == .pii ? "personal-data category" : "use") — did you mean '\(near[0])'?") }
            }
            if !seen.insert(item).inserted { error(field, "lists '\(item)' more than once") }
        }
    }
}

/// `scheme:rest` with a letter-first scheme, no spaces, and something after the colon.
func isAbsoluteURL(_ s: String) -> Bool {
    guard s.range(of: #"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"#, options: .regularExpression) != nil else { return false }
    if s.lowercased().hasPrefix("http:") || s.lowercased().hasPrefix("https:") {
        guard let host = URLComponents(string: s)?.host, !host.isEmpty else { return false }
    }
    return true
}

/// `local@domain.tld`, one `@`, no spaces.
func isEmailAddress(_ s: String) -> Bool {
    s.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s.]+$"#, options: .regularExpression) != nil
}

// MARK: - The record

/// The rights record of one artifact version, stored in the signed commit that sets it
/// (schema `Schemas/rights.schema.json`).
///
/// JSON: canonical, flat — `type`, `version`, `path`, `sha256` and the facts' members side by side;
/// members not recorded are omitted, never `null`. `record.license` reads `record.facts.license`.
@dynamicMemberLookup
public struct RightsRecord: Sendable, Equatable, Hashable, Codable {
    public static let currentVersion = 1
    public static let typeTag = "lineage.rights"
    /// Record type tag, always `"lineage.rights"`.
    public var type: String = RightsRecord.typeTag
    public var version: Int = RightsRecord.currentVersion
    /// Path relative to the repository root, `/`-separated.
    public var path: String
    /// The digest of the artifact version the facts are about.
    public var sha256: Digest
    public var facts: RightsFacts

    public init(path: String, sha256: Digest, facts: RightsFacts = RightsFacts()) {
        self.path = path; self.sha256 = sha256; self.facts = facts
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<RightsFacts, T>) -> T {
        get { facts[keyPath: keyPath] }
        set { facts[keyPath: keyPath] = newValue }
    }

    /// The record as canonical JSON (`CanonicalJSON.encode`): equal records are equal bytes.
    public func encoded() throws -> [UInt8] { try CanonicalJSON.encode(self) }

    /// Reads a rights record strictly: other record types, newer versions, unknown members and
    /// mistyped values are `RecordFieldError`s that name the member (`consent.scope: expected an array of strings`).
    public static func decode(_ bytes: [UInt8]) throws -> RightsRecord {
        let value: StrictJSON
        do { value = try CanonicalJSON.decode(StrictJSON.self, from: bytes) } catch {
            throw RecordFieldError(field: "", message: "not a rights record: the bytes are not a JSON document")
        }
        return try RightsRecord(strict: value)
    }

    /// The facts checked as a whole (`RightsFacts.validate`), plus the record's own members.
    public func validate(today: CalendarDay) -> RightsValidation {
        facts.validate(today: today)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.encode(type, forKey: "type")
        try c.encode(version, forKey: "version")
        try c.encode(path, forKey: "path")
        try c.encode(sha256, forKey: "sha256")
        try facts.encodeMembers(into: &c)
    }

    public init(from decoder: any Decoder) throws {
        self = try RightsRecord(strict: try StrictJSON(from: decoder))
    }

    init(strict value: StrictJSON) throws {
        let o = try StrictObject(value, field: "")
        let type = try o.string("type") ?? ""
        guard type == RightsRecord.typeTag else {
            throw RecordFieldError(field: "type", message: type.isEmpty ? "missing; not a rights record" : "not a rights record (type \(type))")
        }
        guard let version = try o.integer("version") else { throw RecordFieldError(field: "version", message: "missing") }
        guard version <= Int64(RightsRecord.currentVersion), version >= 1 else {
            throw RecordFieldError(field: "version", message: "rights record version \(version) is newer than this lineage understands; upgrade lineage")
        }
        try o.rejectUnknown(["type", "version", "path", "sha256"] + RightsFacts.memberNames)
        guard let path = try o.string("path"), !path.isEmpty else { throw RecordFieldError(field: "path", message: "missing or empty") }
        guard let digestText = try o.string("sha256") else { throw RecordFieldError(field: "sha256", message: "missing") }
        guard let digest = Digest(hex: digestText), digestText.hasPrefix("sha256:") else {
            throw RecordFieldError(field: "sha256", message: "'\(digestText)' is not sha256:<64 hex digits>")
        }
        self.init(path: path, sha256: digest, facts: try RightsFacts(members: o))
        self.version = Int(version)
    }
}

extension RightsFacts: Codable {
    /// JSON member names, in the record and in `--json` output.
    static let memberNames = ["source", "collected", "method", "legalBasis", "art9Condition", "consent", "license", "pii",
                              "specialCategory", "retentionUntil", "steward"]

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try encodeMembers(into: &c)
    }

    public init(from decoder: any Decoder) throws {
        let o = try StrictObject(try StrictJSON(from: decoder), field: "")
        try o.rejectUnknown(RightsFacts.memberNames)
        try self.init(members: o)
    }

    func encodeMembers(into c: inout KeyedEncodingContainer<AnyKey>) throws {
        try c.encodeIfPresent(source, forKey: "source")
        try c.encodeIfPresent(collected, forKey: "collected")
        try c.encodeIfPresent(method, forKey: "method")
        try c.encodeIfPresent(legalBasis, forKey: "legalBasis")
        try c.encodeIfPresent(art9Condition, forKey: "art9Condition")
        try c.encodeIfPresent(consent, forKey: "consent")
        try c.encodeIfPresent(license, forKey: "license")
        try c.encodeIfPresent(pii, forKey: "pii")
        try c.encodeIfPresent(specialCategory, forKey: "specialCategory")
        try c.encodeIfPresent(retentionUntil, forKey: "retentionUntil")
        try c.encodeIfPresent(steward, forKey: "steward")
    }

    init(members o: StrictObject) throws {
        self.init()
        if let s = try o.object("source") {
            try s.rejectUnknown(["url", "name", "issuer"])
            guard let url = try s.string("url") else { throw RecordFieldError(field: "source.url", message: "missing; a source needs its URL") }
            source = RightsSource(url: url, name: try s.string("name"), issuer: try s.string("issuer"))
        }
        collected = try o.string("collected").map { try CollectionPeriod($0, field: "collected") }
        method = try o.string("method").map { try CollectionMethod.strict($0, field: "method") }
        legalBasis = try o.string("legalBasis").map { try LegalBasis.strict($0, field: "legalBasis") }
        art9Condition = try o.string("art9Condition").map { try Art9Condition.strict($0, field: "art9Condition") }
        if let c = try o.object("consent") {
            try c.rejectUnknown(["status", "scope", "evidence", "withdrawnAt", "withdrawalReason", "withdrawalCommit"])
            consent = ConsentFacts(
                status: try c.string("status").map { try ConsentStatus.strict($0, field: "consent.status") },
                scope: try c.stringArray("scope"),
                evidence: try c.string("evidence"),
                withdrawnAt: try c.string("withdrawnAt").map { try CalendarDay.parse($0, field: "consent.withdrawnAt") },
                withdrawalReason: try c.string("withdrawalReason"),
                withdrawalCommit: try c.string("withdrawalCommit"))
        }
        license = try o.string("license")
        pii = try o.stringArray("pii")
        specialCategory = try o.stringArray("specialCategory").map { try $0.map { try SpecialCategory.strict($0, field: "specialCategory") } }
        retentionUntil = try o.string("retentionUntil").map { try CalendarDay.parse($0, field: "retentionUntil") }
        steward = try o.string("steward")
    }
}

// MARK: - Strict JSON reading

/// A coding key made from any string (flat records, dynamic members).
struct AnyKey: CodingKey, ExpressibleByStringLiteral {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
    init(stringLiteral value: String) { stringValue = value }
}

/// A JSON value as parsed, with booleans, integers and other numbers kept apart, so that records can be
/// read strictly (no `1` for `true`, no `"1"` for `1`).
enum StrictJSON: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case string(String)
    case array([StrictJSON])
    case object([String: StrictJSON])

    init(from decoder: any Decoder) throws {
        if let c = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [String: StrictJSON] = [:]
            for key in c.allKeys { members[key.stringValue] = try c.decode(StrictJSON.self, forKey: key) }
            self = .object(members)
            return
        }
        if var a = try? decoder.unkeyedContainer() {
            var items: [StrictJSON] = []
            while !a.isAtEnd { items.append(try a.decode(StrictJSON.self)) }
            self = .array(items)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let u = try? c.decode(UInt64.self) { self = .unsigned(u) }
        else { self = .number(try c.decode(Double.self)) }
    }

    /// `a string`, `an object`, ... for messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .unsigned, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Reads the members of one JSON object, naming each by its dotted path in errors.
struct StrictObject {
    let members: [String: StrictJSON]
    /// Dotted path of this object (`consent`); empty at the top.
    let field: String

    init(_ value: StrictJSON, field: String) throws {
        guard case .object(let m) = value else {
            throw RecordFieldError(field: field, message: "expected an object, found \(value.kindName)")
        }
        members = m; self.field = field
    }

    func path(_ key: String) -> String { field.isEmpty ? key : field + "." + key }

    /// Throws for the first member (in sorted order) that is not one of `known`, suggesting the closest.
    func rejectUnknown(_ known: [String]) throws {
        for key in members.keys.sorted() where !known.contains(key) {
            let near = Suggest.closest(to: key, among: known)
            let hint = near.isEmpty ? "; the" : " — did you mean '\(near[0])'? The"
            throw RecordFieldError(field: path(key), message: "unknown member\(hint) known members are \(known.joined(separator: ", "))")
        }
    }

    private func present(_ key: String) throws -> StrictJSON? {
        guard let v = members[key] else { return nil }
        if v == .null { throw RecordFieldError(field: path(key), message: "is null; leave the member out instead") }
        return v
    }

    func string(_ key: String) throws -> String? {
        guard let v = try present(key) else { return nil }
        guard case .string(let s) = v else { throw RecordFieldError(field: path(key), message: "expected a string, found \(v.kindName)") }
        return s
    }

    func integer(_ key: String) throws -> Int64? {
        guard let v = try present(key) else { return nil }
        guard case .integer(let i) = v else { throw RecordFieldError(field: path(key), message: "expected an integer, found \(v.kindName)") }
        return i
    }

    func unsigned(_ key: String) throws -> UInt64? {
        guard let v = try present(key) else { return nil }
        switch v {
        case .integer(let i) where i >= 0: return UInt64(i)
        case .unsigned(let u): return u
        default: throw RecordFieldError(field: path(key), message: "expected a non-negative integer, found \(v.kindName)")
        }
    }

    func stringArray(_ key: String) throws -> [String]? {
        guard let v = try present(key) else { return nil }
        guard case .array(let items) = v else { throw RecordFieldError(field: path(key), message: "expected an array of strings, found \(v.kindName)") }
        return try items.map { item in
            guard case .string(let s) = item else {
                throw RecordFieldError(field: path(key), message: "expected an array of strings, found an item that is \(item.kindName)")
            }
            return s
        }
    }

    func object(_ key: String) throws -> StrictObject? {
        guard let v = try present(key) else { return nil }
        return try StrictObject(v, field: path(key))
    }
}
