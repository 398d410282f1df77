import Foundation

/// What a licence allows, in the spirit of the Data Provenance Initiative's licence table:
/// who may use the work (`all`, `non-commercial`, `academic`, or `unspecified` when unknown).
///
/// Ordered from least to most restrictive, so combining licences takes the maximum.
public enum LicenceUseClass: String, Codable, Sendable, CaseIterable, Comparable {
    case all
    case nonCommercial = "non-commercial"
    case academic
    case unspecified

    public static func < (a: LicenceUseClass, b: LicenceUseClass) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The terms lineage knows for one licence.
public struct LicenceTerms: Hashable, Sendable, Codable {
    /// Canonical spelling: the SPDX identifier, `LicenseRef-...`, or one of lineage's own words
    /// (`proprietary`, `unknown`, `NOASSERTION`, `OpenRAIL*`).
    public var id: String
    public var name: String
    public var use: LicenceUseClass
    /// Credit must be given (and usually the licence notice kept).
    public var attribution: Bool
    /// Adaptations must be shared under the same (or a compatible) licence.
    public var shareAlike: Bool
    /// Adapted material may not be shared (CC ND).
    public var noDerivatives: Bool
    /// True for identifiers on the SPDX licence list.
    public var spdx: Bool
    /// Anything else a reader must know (use restrictions of RAIL licences, ...).
    public var note: String?

    public init(id: String, name: String, use: LicenceUseClass, attribution: Bool, shareAlike: Bool,
                noDerivatives: Bool = false, spdx: Bool = true, note: String? = nil) {
        self.id = id; self.name = name; self.use = use; self.attribution = attribution; self.shareAlike = shareAlike
        self.noDerivatives = noDerivatives; self.spdx = spdx; self.note = note
    }
}

/// Whether a licence permits a use.
public enum LicenceVerdict: Equatable, Sendable {
    case permitted
    /// The licence forbids the use; the reason says why.
    case forbidden(String)
    /// lineage cannot tell (unknown or proprietary terms, no-derivatives and training, ...): a person must check.
    case unclear(String)
}

/// The obligations of several licences together (a derived artifact's inputs).
public struct CombinedLicenceTerms: Equatable, Sendable, Codable {
    /// Canonical ids, each once, sorted.
    public var licences: [String]
    /// The most restrictive use class among them; `unspecified` when there are none or one is unknown.
    public var use: LicenceUseClass
    /// Licences that require attribution.
    public var attribution: [String]
    /// Licences that require adaptations to be shared alike.
    public var shareAlike: [String]
    /// Licences that forbid sharing adaptations.
    public var noDerivatives: [String]
    /// Ids not in lineage's table (`LicenseRef-...`, misspellings in old records): their terms are unknown.
    public var unknown: [String]
    /// Terms that cannot all be met at once, as sentences.
    public var conflicts: [String]

    public init(licences: [String] = [], use: LicenceUseClass = .unspecified, attribution: [String] = [], shareAlike: [String] = [],
                noDerivatives: [String] = [], unknown: [String] = [], conflicts: [String] = []) {
        self.licences = licences; self.use = use; self.attribution = attribution; self.shareAlike = shareAlike
        self.noDerivatives = noDerivatives; self.unknown = unknown; self.conflicts = conflicts
    }
}

/// lineage's built-in licence table and what follows from it.
public enum Licences {
    /// Every licence lineage knows, sorted by id.
    public static let table: [LicenceTerms] = buildTable().sorted { $0.id < $1.id }

    private static let byLowercasedID: [String: LicenceTerms] = {
        var m: [String: LicenceTerms] = [:]
        for t in table { m[t.id.lowercased()] = t }
        return m
    }()

    /// Deprecated SPDX ids and what to write instead.
    static let deprecated: [String: [String]] = [
        "gpl-2.0": ["GPL-2.0-only", "GPL-2.0-or-later"], "gpl-2.0+": ["GPL-2.0-or-later"],
        "gpl-3.0": ["GPL-3.0-only", "GPL-3.0-or-later"], "gpl-3.0+": ["GPL-3.0-or-later"],
        "lgpl-2.1": ["LGPL-2.1-only", "LGPL-2.1-or-later"], "lgpl-2.1+": ["LGPL-2.1-or-later"],
        "lgpl-3.0": ["LGPL-3.0-only", "LGPL-3.0-or-later"], "lgpl-3.0+": ["LGPL-3.0-or-later"],
        "agpl-3.0": ["AGPL-3.0-only", "AGPL-3.0-or-later"],
    ]

    /// The terms of `id`, looked up without regard to case; `LicenseRef-*` ids (SPDX's form for licences
    /// not on its list) are accepted with unspecified terms. Nil when unknown.
    public static func lookup(_ id: String) -> LicenceTerms? {
        let t = id.trimmingCharacters(in: .whitespaces)
        if let terms = byLowercasedID[t.lowercased()] { return terms }
        if t.lowercased().hasPrefix("licenseref-"), t.count > 11,
           t.range(of: "^[A-Za-z0-9.-]+$", options: .regularExpression) != nil {
            let canonical = "LicenseRef-" + t.dropFirst(11)
            return LicenceTerms(id: canonical, name: "custom licence \(canonical)", use: .unspecified, attribution: false,
                                shareAlike: false, spdx: false, note: "terms not known to lineage; read the licence text")
        }
        return nil
    }

    /// The canonical spelling of `id` (`cc-by-4.0` → `CC-BY-4.0`); nil when unknown.
    public static func canonical(_ id: String) -> String? { lookup(id)?.id }

    /// Known ids closest to `id` (edit distance, ignoring case and punctuation), best first.
    public static func suggestions(for id: String, limit: Int = 3) -> [String] {
        if let replacements = deprecated[id.trimmingCharacters(in: .whitespaces).lowercased()] { return replacements }
        return Suggest.closest(to: id, among: table.map(\.id), limit: limit, loose: true)
    }

    /// The terms of `id`, or an error naming `field` that suggests the closest known ids.
    public static func resolve(_ id: String, field: String = "license") throws -> LicenceTerms {
        let t = id.trimmingCharacters(in: .whitespaces)
        if let terms = lookup(t) { return terms }
        if let replacements = deprecated[t.lowercased()] {
            throw RecordFieldError(field: field, message: "'\(t)' is a deprecated SPDX identifier; write \(replacements.joined(separator: " or ")) instead")
        }
        let near = suggestions(for: t)
        let hint = near.isEmpty ? "." : " — did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?"
        throw RecordFieldError(field: field, message: "'\(t)' is not an SPDX licence identifier lineage knows\(hint) Write the exact id from https://spdx.org/licenses/ (e.g. CC-BY-4.0), LicenseRef-<name> for a licence not on that list, or proprietary for terms set by contract.")
    }

    /// Whether `licence` permits `use`. Unknown licences, `unspecified` use classes, and no-derivatives
    /// licences for uses that adapt the data (training) are `.unclear`.
    public static func permits(_ licence: String, use: DataUse) -> LicenceVerdict {
        guard let t = lookup(licence) else {
            return .unclear("lineage does not know the terms of '\(licence)'; check them by hand")
        }
        switch (t.use, use) {
        case (.unspecified, _):
            let what = t.id == "proprietary" ? "proprietary terms (set by contract)" : "terms lineage does not know"
            return .unclear("\(t.id) has \(what); check that they allow \(use.rawValue) use")
        case (.nonCommercial, .commercial), (.academic, .commercial):
            return .forbidden("\(t.id) allows \(t.use.rawValue) use only")
        case (.academic, .nonCommercial):
            return .unclear("\(t.id) allows academic use only; non-commercial use outside research may not be covered")
        default:
            break
        }
        if t.noDerivatives, [.training, .preTraining, .fineTuning].contains(use) {
            return .unclear("\(t.id) forbids sharing adaptations; whether a model trained on the data is one is unsettled — get legal advice before sharing the model")
        }
        return .permitted
    }

    /// The obligations of all of `ids` together: the most restrictive use class, every attribution,
    /// share-alike and no-derivatives duty, and the terms that contradict each other.
    public static func combine(_ ids: [String]) -> CombinedLicenceTerms {
        var known: [LicenceTerms] = []
        var unknown = Set<String>()
        var seen = Set<String>()
        for id in ids {
            if let t = lookup(id) {
                if seen.insert(t.id).inserted { known.append(t) }
            } else {
                unknown.insert(id)
            }
        }
        known.sort { $0.id < $1.id }
        var r = CombinedLicenceTerms()
        r.licences = (known.map(\.id) + unknown).sorted()
        r.unknown = unknown.sorted()
        r.use = known.isEmpty || !unknown.isEmpty ? .unspecified : known.map(\.use).max()!
        r.attribution = known.filter(\.attribution).map(\.id)
        r.shareAlike = known.filter(\.shareAlike).map(\.id)
        r.noDerivatives = known.filter(\.noDerivatives).map(\.id)
        if r.shareAlike.count > 1 {
            r.conflicts.append("\(r.shareAlike.joined(separator: " and ")) each require adaptations to be shared under their own terms; a work derived from all of them may not be shareable at all")
        }
        for sa in known where sa.shareAlike && sa.use == .all {
            for other in known where other.id != sa.id && (other.use == .nonCommercial || other.use == .academic) {
                r.conflicts.append("\(sa.id) requires adaptations to be shared under its terms, which allow commercial use, but \(other.id) allows \(other.use.rawValue) use only")
            }
        }
        for nd in known where nd.noDerivatives && known.count > 1 {
            r.conflicts.append("\(nd.id) forbids sharing adaptations, so a work combining it with other inputs may not be shared")
        }
        return r
    }

    // MARK: The table

    private static func buildTable() -> [LicenceTerms] {
        var t: [LicenceTerms] = []
        func add(_ id: String, _ name: String, _ use: LicenceUseClass, attribution: Bool, shareAlike: Bool = false,
                 noDerivatives: Bool = false, spdx: Bool = true, note: String? = nil) {
            t.append(LicenceTerms(id: id, name: name, use: use, attribution: attribution, shareAlike: shareAlike,
                                  noDerivatives: noDerivatives, spdx: spdx, note: note))
        }
        // Creative Commons, every version SPDX lists.
        let versions = ["1.0", "2.0", "2.5", "3.0", "4.0"]
        for v in versions {
            add("CC-BY-\(v)", "Creative Commons Attribution \(v)", .all, attribution: true)
            add("CC-BY-SA-\(v)", "Creative Commons Attribution-ShareAlike \(v)", .all, attribution: true, shareAlike: true)
            add("CC-BY-NC-\(v)", "Creative Commons Attribution-NonCommercial \(v)", .nonCommercial, attribution: true)
            add("CC-BY-NC-SA-\(v)", "Creative Commons Attribution-NonCommercial-ShareAlike \(v)", .nonCommercial, attribution: true, shareAlike: true)
            add("CC-BY-ND-\(v)", "Creative Commons Attribution-NoDerivatives \(v)", .all, attribution: true, noDerivatives: true)
            add("CC-BY-NC-ND-\(v)", "Creative Commons Attribution-NonCommercial-NoDerivatives \(v)", .nonCommercial, attribution: true, noDerivatives: true)
        }
        add("CC0-1.0", "Creative Commons Zero 1.0 (public domain dedication)", .all, attribution: false)
        add("CC-PDDC", "Creative Commons Public Domain Dedication and Certification", .all, attribution: false)
        // Open data licences.
        add("ODbL-1.0", "Open Data Commons Open Database License 1.0", .all, attribution: true, shareAlike: true)
        add("ODC-By-1.0", "Open Data Commons Attribution License 1.0", .all, attribution: true)
        add("PDDL-1.0", "Open Data Commons Public Domain Dedication and License 1.0", .all, attribution: false)
        add("DbCL-1.0", "Database Contents License 1.0", .all, attribution: false)
        add("CDLA-Permissive-1.0", "Community Data License Agreement Permissive 1.0", .all, attribution: true)
        add("CDLA-Permissive-2.0", "Community Data License Agreement Permissive 2.0", .all, attribution: true)
        add("CDLA-Sharing-1.0", "Community Data License Agreement Sharing 1.0", .all, attribution: true, shareAlike: true)
        add("OGL-UK-3.0", "Open Government Licence v3.0", .all, attribution: true)
        add("etalab-2.0", "Etalab Open License 2.0", .all, attribution: true)
        add("DL-DE-BY-2.0", "Data licence Germany – attribution – version 2.0", .all, attribution: true)
        add("C-UDA-1.0", "Computational Use of Data Agreement 1.0", .all, attribution: true,
            note: "allows computational use (training, analysis); redistributing the data itself is restricted")
        // Permissive software licences.
        add("MIT", "MIT License", .all, attribution: true)
        add("MIT-0", "MIT No Attribution", .all, attribution: false)
        add("BSD-2-Clause", "BSD 2-Clause \"Simplified\" License", .all, attribution: true)
        add("BSD-3-Clause", "BSD 3-Clause \"New\" or \"Revised\" License", .all, attribution: true)
        add("BSD-3-Clause-Clear", "BSD 3-Clause Clear License", .all, attribution: true)
        add("0BSD", "BSD Zero Clause License", .all, attribution: false)
        add("ISC", "ISC License", .all, attribution: true)
        add("Apache-2.0", "Apache License 2.0", .all, attribution: true)
        add("Zlib", "zlib License", .all, attribution: false)
        add("BSL-1.0", "Boost Software License 1.0", .all, attribution: true)
        add("PSF-2.0", "Python Software Foundation License 2.0", .all, attribution: true)
        add("PostgreSQL", "PostgreSQL License", .all, attribution: true)
        add("Unlicense", "The Unlicense", .all, attribution: false)
        add("WTFPL", "Do What The F*ck You Want To Public License", .all, attribution: false)
        add("Artistic-2.0", "Artistic License 2.0", .all, attribution: true)
        add("OFL-1.1", "SIL Open Font License 1.1", .all, attribution: true, shareAlike: true)
        // Copyleft software licences.
        for (v, name) in [("2.0", "GNU General Public License v2.0"), ("3.0", "GNU General Public License v3.0")] {
            add("GPL-\(v)-only", "\(name) only", .all, attribution: true, shareAlike: true)
            add("GPL-\(v)-or-later", "\(name) or later", .all, attribution: true, shareAlike: true)
        }
        for (v, name) in [("2.1", "GNU Lesser General Public License v2.1"), ("3.0", "GNU Lesser General Public License v3.0")] {
            add("LGPL-\(v)-only", "\(name) only", .all, attribution: true, shareAlike: true)
            add("LGPL-\(v)-or-later", "\(name) or later", .all, attribution: true, shareAlike: true)
        }
        add("AGPL-3.0-only", "GNU Affero General Public License v3.0 only", .all, attribution: true, shareAlike: true)
        add("AGPL-3.0-or-later", "GNU Affero General Public License v3.0 or later", .all, attribution: true, shareAlike: true)
        add("MPL-2.0", "Mozilla Public License 2.0", .all, attribution: true, shareAlike: true)
        add("EPL-2.0", "Eclipse Public License 2.0", .all, attribution: true, shareAlike: true)
        add("EUPL-1.2", "European Union Public License 1.2", .all, attribution: true, shareAlike: true)
        add("CDDL-1.0", "Common Development and Distribution License 1.0", .all, attribution: true, shareAlike: true)
        // Model licences with use restrictions (not on the SPDX list).
        let rail = "responsible-AI licence: use restrictions apply and must be passed on to anyone given the model or derivatives"
        add("OpenRAIL", "Open Responsible AI License", .all, attribution: true, spdx: false, note: rail)
        add("OpenRAIL-M", "Open Responsible AI License for models", .all, attribution: true, spdx: false, note: rail)
        add("BigScience-OpenRAIL-M", "BigScience Open RAIL-M License", .all, attribution: true, spdx: false, note: rail)
        add("CreativeML-OpenRAIL-M", "CreativeML Open RAIL-M License", .all, attribution: true, spdx: false, note: rail)
        // No licence terms known.
        add("proprietary", "Proprietary terms set by contract", .unspecified, attribution: false, spdx: false,
            note: "terms are in a contract or agreement, not a public licence; check them by hand")
        add("NOASSERTION", "No licence asserted (SPDX NOASSERTION)", .unspecified, attribution: false,
            note: "the licence was not determined")
        add("unknown", "Licence not known", .unspecified, attribution: false, spdx: false,
            note: "the licence was not determined")
        return t
    }
}

/// "Did you mean" for identifiers: Levenshtein distance, ignoring case.
public enum Suggest {
    /// Up to `limit` of `candidates` closest to `text`, best first. `maxDistance` defaults to about a third
    /// of the text's length (at least 2). With `loose`, punctuation and spaces are ignored too and a
    /// candidate whose letters start the text's (or the reverse) counts as one edit away (`MIT License` → `MIT`).
    public static func closest(to text: String, among candidates: [String], limit: Int = 3, maxDistance: Int? = nil,
                               loose: Bool = false) -> [String] {
        let t = text.lowercased()
        let threshold = maxDistance ?? max(2, t.count / 3)
        func alnum(_ s: String) -> String { String(s.lowercased().filter { $0.isLetter || $0.isNumber }) }
        let ta = alnum(text)
        var scored: [(Int, String)] = []
        for c in candidates {
            var d = distance(t, c.lowercased())
            if loose {
                let ca = alnum(c)
                d = min(d, distance(ta, ca))
                if ta.count >= 3, ca.count >= 3, ta.hasPrefix(ca) || ca.hasPrefix(ta) { d = min(d, 1) }
            }
            if d <= threshold { scored.append((d, c)) }
        }
        scored.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        return Array(scored.prefix(limit).map(\.1))
    }

    /// Levenshtein edit distance over Unicode scalars.
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
