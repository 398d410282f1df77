import Foundation
import LineageCore

/// Everything lineage knows about one artifact version, gathered by the caller (`lineage datasheet`)
/// from the repository: the datasheet renderers read only this.
public struct DatasheetFacts: Sendable, Equatable, Encodable {
    public var path: String
    public var sha256: Digest
    public var size: UInt64
    public var kind: ArtifactKind
    public var mediaType: String
    /// Columns of a table, when a reader could tell.
    public var columns: [DatasheetColumn]?
    /// Data rows of a table (header excluded), when known.
    public var rowCount: Int?
    /// The version's own rights record.
    public var rights: RightsRecord?
    /// Its rights with everything inherited from its inputs.
    public var effective: EffectiveRights?
    /// Commits that touched this path up to this version, oldest first.
    public var commits: [DatasheetCommit]
    /// Runs that wrote this version.
    public var producedBy: [DatasheetRun]
    /// Artifacts built from this version (models first is nicest).
    public var usedBy: [DatasheetUse]
    /// Validator results recorded for this version.
    public var checks: [DatasheetCheck]
    /// The dataset's web page, if it has one; Croissant's `url` falls back to the source URL, then to the path.
    public var url: String?
    /// A description a person wrote; otherwise one is composed from the facts.
    public var description: String?

    public init(path: String, sha256: Digest, size: UInt64, kind: ArtifactKind, mediaType: String,
                columns: [DatasheetColumn]? = nil, rowCount: Int? = nil, rights: RightsRecord? = nil, effective: EffectiveRights? = nil,
                commits: [DatasheetCommit] = [], producedBy: [DatasheetRun] = [], usedBy: [DatasheetUse] = [],
                checks: [DatasheetCheck] = [], url: String? = nil, description: String? = nil) {
        self.path = path; self.sha256 = sha256; self.size = size; self.kind = kind; self.mediaType = mediaType
        self.columns = columns; self.rowCount = rowCount; self.rights = rights; self.effective = effective
        self.commits = commits; self.producedBy = producedBy; self.usedBy = usedBy; self.checks = checks
        self.url = url; self.description = description
    }

    public var artifact: ArtifactRef { ArtifactRef(path: path, sha256: sha256) }
}

public struct DatasheetColumn: Sendable, Equatable, Encodable {
    public var name: String
    /// A Frictionless Table Schema type (`string`, `integer`, `number`, `boolean`, `date`, `datetime`, ...), if known.
    public var type: String?
    public init(name: String, type: String? = nil) { self.name = name; self.type = type }
}

public struct DatasheetCommit: Sendable, Equatable, Encodable {
    /// Commit id, hex.
    public var id: String
    /// Who signed it (principal or name).
    public var author: String
    /// RFC 3339.
    public var date: String
    public var message: String
    public init(id: String, author: String, date: String, message: String) {
        self.id = id; self.author = author; self.date = date; self.message = message
    }
}

public struct DatasheetRun: Sendable, Equatable, Encodable {
    public var id: String
    public var name: String
    public var argv: [String]
    /// RFC 3339, when known.
    public var endedAt: String?
    public var inputs: [ArtifactRef]
    public init(id: String, name: String, argv: [String], endedAt: String? = nil, inputs: [ArtifactRef] = []) {
        self.id = id; self.name = name; self.argv = argv; self.endedAt = endedAt; self.inputs = inputs
    }
}

public struct DatasheetUse: Sendable, Equatable, Encodable {
    public var artifact: ArtifactRef
    public var kind: ArtifactKind
    /// Name of the run that built it, when known.
    public var run: String?
    public init(artifact: ArtifactRef, kind: ArtifactKind, run: String? = nil) {
        self.artifact = artifact; self.kind = kind; self.run = run
    }
}

public struct DatasheetCheck: Sendable, Equatable, Encodable {
    public var name: String
    public var passed: Bool
    public var detail: String?
    public init(name: String, passed: Bool, detail: String? = nil) {
        self.name = name; self.passed = passed; self.detail = detail
    }
}

/// Datasheets of artifact versions: Markdown after "Datasheets for Datasets" (Gebru et al.), and
/// Croissant 1.0 JSON-LD with the Responsible AI vocabulary (`http://mlcommons.org/croissant/RAI/`).
public enum Datasheet {
    /// The sections, in order.
    public static let sections = ["Motivation", "Composition", "Collection process", "Preprocessing, cleaning and labeling",
                                  "Uses", "Distribution", "Maintenance"]
    /// What a section with no recorded facts says.
    public static let notRecorded = "*Not recorded.*"

    // MARK: Markdown

    /// A Markdown datasheet. Every section is present; a section lineage has no facts for says
    /// "Not recorded" and which command would record them.
    public static func markdown(_ f: DatasheetFacts) -> String {
        let own = f.rights?.facts
        let eff = f.effective
        var out = "# Datasheet: \(f.path)\n\n"
        out += "| | |\n|---|---|\n"
        out += "| Version | `\(f.sha256.prefixed)` |\n"
        out += "| Size | \(f.size) bytes |\n"
        out += "| Media type | \(f.mediaType) |\n"
        out += "| Kind | \(f.kind.rawValue) |\n"
        if let first = f.commits.first {
            out += "| First recorded | \(first.date) by \(cell(first.author)) (commit `\(first.id.prefix(12))`) |\n"
        }
        out += "\nSections after *Datasheets for Datasets* (Gebru et al.), filled from the facts lineage recorded; "
        out += "inherited facts name the input they come from.\n"

        func section(_ title: String, _ lines: [String], hint: String) {
            out += "\n## \(title)\n\n"
            if lines.isEmpty {
                out += "\(notRecorded) \(hint)\n"
            } else {
                out += lines.joined(separator: "\n") + "\n"
            }
        }
        func item(_ label: String, _ value: String) -> String { "- **\(label):** \(value)" }

        // Motivation
        var motivation: [String] = []
        if let d = f.description { motivation.append(item("Description", d)) }
        if let s = own?.source {
            if let issuer = s.issuer { motivation.append(item("Created by", issuer)) }
            if let name = s.name { motivation.append(item("Source", name)) }
        }
        if let scope = own?.consent?.scope, !scope.isEmpty {
            motivation.append(item("Purposes consented to", scope.joined(separator: ", ")))
        }
        section("Motivation", motivation, hint: "Record who issued the data and for what purposes consent was given (`lineage rights set \(f.path) --source URL --consent-scope ...`).")

        // Composition
        var composition: [String] = []
        composition.append(item("Instances", f.rowCount.map { "\($0) rows" } ?? "not recorded"))
        if let cols = f.columns, !cols.isEmpty {
            composition.append(item("Columns", cols.map { c in "`\(c.name)`" + (c.type.map { " (\($0))" } ?? "") }.joined(separator: ", ")))
        }
        if let eff, !eff.pii.isEmpty {
            composition.append(item("Personal data", eff.pii.map { "\($0.value) (\($0.origin))" }.joined(separator: "; ")))
        } else if let p = own?.pii {
            composition.append(item("Personal data", p.isEmpty ? "none declared" : p.joined(separator: ", ")))
        }
        if let eff, !eff.specialCategory.isEmpty {
            composition.append(item("Special-category data (GDPR Art. 9)", eff.specialCategory.map { "\($0.value.rawValue) (\($0.origin))" }.joined(separator: "; ")))
        } else if let s = own?.specialCategory {
            composition.append(item("Special-category data (GDPR Art. 9)", s.isEmpty ? "none declared" : s.map(\.rawValue).joined(separator: ", ")))
        }
        section("Composition", composition, hint: "")

        // Collection process
        var collection: [String] = []
        if let s = own?.source { collection.append(item("Source", "<\(s.url)>")) }
        if let m = own?.method { collection.append(item("Method", m.rawValue)) }
        if let c = own?.collected {
            collection.append(item("Collected", "\(c.text) (\(c.start) to \(c.end.map(\.iso) ?? "ongoing"))"))
        }
        if let b = own?.legalBasis { collection.append(item("Legal basis", "\(b.rawValue) (GDPR Art. \(b.article))")) }
        if let a = own?.art9Condition { collection.append(item("Art. 9 condition", "\(a.rawValue) (GDPR Art. \(a.article))")) }
        if let c = own?.consent {
            var text = c.status?.rawValue ?? "status not recorded"
            if let s = c.scope { text += "; scope: " + (s.isEmpty ? "none" : s.joined(separator: ", ")) }
            collection.append(item("Consent", text))
            if let e = c.evidence { collection.append(item("Consent evidence", "<\(e)>")) }
        }
        section("Collection process", collection, hint: "Record source, method, collection period and legal basis (`lineage rights set \(f.path) --source URL --method ... --collected 2024-01/2024-06 --legal-basis ...`).")

        // Preprocessing
        var preprocessing: [String] = []
        for r in f.producedBy {
            var text = "run `\(r.name)`: `\(r.argv.joined(separator: " "))`"
            if let e = r.endedAt { text += ", ended \(e)" }
            if !r.inputs.isEmpty { text += ", from " + r.inputs.map { "\($0)" }.joined(separator: ", ") }
            preprocessing.append("- " + text)
        }
        section("Preprocessing, cleaning and labeling", preprocessing, hint: "No run that produced this version is recorded (`lineage run` records one).")

        // Uses
        var uses: [String] = []
        if let scope = eff?.consentScope {
            uses.append(item("Consent covers", scope.isEmpty ? "no use (the recorded scopes have none in common)" : scope.joined(separator: ", ")))
        } else if let scope = own?.consent?.scope {
            uses.append(item("Consent covers", scope.isEmpty ? "no use" : scope.joined(separator: ", ")))
        }
        if let terms = licenceTerms(f) {
            uses.append(item("Licence allows", "\(terms.use.rawValue) use"))
        }
        for w in eff?.withdrawals ?? [] {
            var text = "withdrawn"
            if let d = w.withdrawnAt { text += " on \(d)" }
            if let c = w.commit { text += " (commit `\(c.prefix(12))`)" }
            text += w.origin.isOwn ? "" : " for \(w.origin.from!)"
            if let r = w.reason { text += ": \(r)" }
            uses.append(item("Consent", text))
        }
        for u in f.usedBy {
            uses.append(item("Used by", "\(u.artifact) (\(u.kind.rawValue))" + (u.run.map { ", run `\($0)`" } ?? "")))
        }
        section("Uses", uses, hint: "Record the consent scope and licence (`lineage rights set \(f.path) --consent-scope training,evaluation --license SPDX-ID`).")

        // Distribution
        var distribution: [String] = []
        if let eff, !eff.licences.isEmpty {
            for l in eff.licences { distribution.append(item("Licence", licenceText(l.value) + " (\(l.origin))")) }
        } else if let l = own?.license {
            distribution.append(item("Licence", licenceText(l)))
        }
        if let terms = licenceTerms(f) {
            if !terms.attribution.isEmpty { distribution.append(item("Attribution required by", terms.attribution.joined(separator: ", "))) }
            if !terms.shareAlike.isEmpty { distribution.append(item("Share-alike required by", terms.shareAlike.joined(separator: ", "))) }
            if !terms.noDerivatives.isEmpty { distribution.append(item("No derivatives", terms.noDerivatives.joined(separator: ", "))) }
            for c in terms.conflicts { distribution.append(item("Licence conflict", c)) }
        }
        section("Distribution", distribution, hint: "Record the licence (`lineage rights set \(f.path) --license SPDX-ID`).")

        // Maintenance
        var maintenance: [String] = []
        if let s = own?.steward { maintenance.append(item("Steward", "<\(s)>")) }
        if let r = eff?.retentionUntil {
            maintenance.append(item("Retention until", "\(r.value)" + (r.origin.isOwn ? "" : " (\(r.origin))")))
        } else if let r = own?.retentionUntil {
            maintenance.append(item("Retention until", r.iso))
        }
        for c in f.commits {
            maintenance.append(item("Commit `\(c.id.prefix(12))`", "\(c.date), \(c.author): \(c.message.split(separator: "\n").first.map(String.init) ?? "")"))
        }
        for c in f.checks {
            maintenance.append(item("Check \(c.name)", (c.passed ? "passed" : "failed") + (c.detail.map { " — \($0)" } ?? "")))
        }
        section("Maintenance", maintenance, hint: "Record a steward and a retention date (`lineage rights set \(f.path) --steward EMAIL --retention-until YYYY-MM-DD`).")
        return out
    }

    private static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    private static func licenceText(_ id: String) -> String {
        guard let t = Licences.lookup(id) else { return "\(id) (terms unknown)" }
        return "\(t.id) — \(t.name)"
    }

    private static func licenceTerms(_ f: DatasheetFacts) -> CombinedLicenceTerms? {
        if let eff = f.effective, !eff.licences.isEmpty { return eff.licenceTerms }
        if let l = f.rights?.facts.license { return Licences.combine([l]) }
        return nil
    }

    // MARK: Croissant

    /// The Croissant conformance URI this exporter writes.
    public static let croissantConformsTo = "http://mlcommons.org/croissant/1.0"

    /// Croissant 1.0 JSON-LD (pretty-printed, keys sorted) with the RAI vocabulary: the Dataset, its file
    /// as a `cr:FileObject` (content URL, encoding format, SHA-256), a record set when columns are known,
    /// and `rai:` properties filled from the rights facts.
    /// - Parameter contentURL: where the file is seen from where the JSON-LD is written (a relative
    ///   path from the document's directory); default: the path in the repository.
    public static func croissant(_ f: DatasheetFacts, contentURL: String? = nil) throws -> String {
        try CanonicalJSON.pretty(croissantDocument(f, contentURL: contentURL))
    }

    /// Croissant's `version` (MAJOR.MINOR.PATCH): the number of recorded versions of the file, as
    /// the major number — each is different bytes, which Croissant counts as a major change.
    static func croissantVersion(_ f: DatasheetFacts) -> String { "\(max(1, f.commits.count)).0.0" }

    /// Croissant's `citeAs`: a BibTeX entry naming the file, its first author, year, version and digest.
    static func croissantCitation(_ f: DatasheetFacts, creator: String?, url: String) -> String {
        let key = "lineage_" + String(f.sha256.hex.prefix(12))
        var fields = ["  title = {\(f.path)}"]
        if let creator { fields.append("  author = {\(creator)}") }
        if let year = f.commits.first?.date.prefix(4) { fields.append("  year = {\(year)}") }
        fields.append("  version = {\(croissantVersion(f))}")
        fields.append("  howpublished = {\(url)}")
        fields.append("  note = {sha256:\(f.sha256.hex)}")
        return "@misc{\(key),\n" + fields.joined(separator: ",\n") + "\n}"
    }

    static func croissantDocument(_ f: DatasheetFacts, contentURL: String? = nil) -> ExportJSON {
        let own = f.rights?.facts
        let eff = f.effective
        let fileID = f.path
        var d: [String: ExportJSON] = [
            "@context": .object(context),
            "@type": .string("sc:Dataset"),
            "conformsTo": .string(croissantConformsTo),
            "name": .string(f.path),
            "description": .string(f.description ?? composedDescription(f)),
            "url": .string(f.url ?? own?.source?.url ?? f.path),
        ]
        // Licences: SPDX URLs where there is one, otherwise a named CreativeWork.
        let licenceIDs = eff.map { Array(Set($0.licences.map(\.value))).sorted() } ?? own?.license.map { [$0] } ?? []
        if !licenceIDs.isEmpty {
            let items: [ExportJSON] = licenceIDs.map { id in
                if let t = Licences.lookup(id), t.spdx { return .string("https://spdx.org/licenses/\(t.id).html") }
                return .object(["@type": .string("sc:CreativeWork"), "name": .string(id)])
            }
            d["license"] = items.count == 1 ? items[0] : .array(items)
        }
        // Creator: the issuing organisation, else the steward, else whoever signed the first commit.
        if let issuer = own?.source?.issuer {
            d["creator"] = .object(["@type": .string("sc:Organization"), "name": .string(issuer)])
        } else if let steward = own?.steward {
            d["creator"] = .object(["@type": .string("sc:Person"), "name": .string(steward), "email": .string(steward)])
        } else if let first = f.commits.first {
            d["creator"] = .object(["@type": .string("sc:Person"), "name": .string(first.author)])
        }
        if let first = f.commits.first { d["datePublished"] = .string(first.date) }
        d["version"] = .string(croissantVersion(f))
        let creatorName: String? = own?.source?.issuer ?? own?.steward ?? f.commits.first?.author
        d["citeAs"] = .string(croissantCitation(f, creator: creatorName, url: f.url ?? own?.source?.url ?? f.path))
        if let last = f.commits.last, f.commits.count > 1 { d["dateModified"] = .string(last.date) }

        var file: [String: ExportJSON] = [
            "@type": .string("cr:FileObject"),
            "@id": .string(fileID),
            "name": .string(f.path),
            "contentUrl": .string(contentURL ?? f.path),
            "encodingFormat": .string(f.mediaType),
            "sha256": .string(f.sha256.hex),
            "contentSize": .string("\(f.size) B"),
        ]
        if let s = own?.steward { file["description"] = .string("Steward: \(s)") }
        d["distribution"] = .array([.object(file)])

        if let cols = f.columns, !cols.isEmpty {
            let fields: [ExportJSON] = cols.map { c in
                .object([
                    "@type": .string("cr:Field"),
                    "@id": .string("records/\(c.name)"),
                    "name": .string(c.name),
                    "dataType": .string(croissantType(c.type)),
                    "source": .object(["fileObject": .object(["@id": .string(fileID)]), "extract": .object(["column": .string(c.name)])]),
                ])
            }
            d["recordSet"] = .array([.object([
                "@type": .string("cr:RecordSet"), "@id": .string("records"), "name": .string("records"),
                "description": .string(f.rowCount.map { "The rows of \(f.path) (\($0) rows)." } ?? "The rows of \(f.path)."),
                "field": .array(fields),
            ])])
        }

        // Responsible AI.
        var collection: [String] = []
        if let m = own?.method { collection.append("Collection method: \(m.rawValue).") }
        if let s = own?.source { collection.append("Source: \(s.url)" + (s.name.map { " (\($0))" } ?? "") + (s.issuer.map { ", issued by \($0)" } ?? "") + ".") }
        if let b = own?.legalBasis { collection.append("Legal basis: \(b.rawValue) (GDPR Art. \(b.article)).") }
        if let a = own?.art9Condition { collection.append("Special-category condition: \(a.rawValue) (GDPR Art. \(a.article)).") }
        if let c = own?.consent {
            var text = "Consent: \(c.status?.rawValue ?? "status not recorded")"
            if let s = c.scope { text += ", scope " + (s.isEmpty ? "none" : s.joined(separator: ", ")) }
            if let e = c.evidence { text += ", evidence \(e)" }
            collection.append(text + ".")
        }
        if !collection.isEmpty { d["rai:dataCollection"] = .string(collection.joined(separator: " ")) }
        if let m = own?.method { d["rai:dataCollectionType"] = .array([.string(collectionType(m))]) }
        if let c = own?.collected {
            d["rai:dataCollectionTimeframe"] = .array([.string(c.start.iso)] + (c.end.map { [.string($0.iso)] } ?? []))
        }
        var sensitive: [ExportJSON] = []
        let pii = eff?.piiCategories ?? own?.pii ?? []
        sensitive += pii.map { .string("Personal data: \($0)") }
        let special = eff.map { Array(Set($0.specialCategory.map(\.value.rawValue))).sorted() } ?? own?.specialCategory?.map(\.rawValue) ?? []
        sensitive += special.map { .string("Special-category data (GDPR Art. 9): \($0)") }
        if !sensitive.isEmpty { d["rai:personalSensitiveInformation"] = .array(sensitive) }
        var useCases: [ExportJSON] = []
        if let scope = eff?.consentScope ?? own?.consent?.scope {
            useCases.append(.string("Consent covers: " + (scope.isEmpty ? "no use" : scope.joined(separator: ", ")) + "."))
        }
        if let terms = licenceTerms(f) { useCases.append(.string("Licence allows \(terms.use.rawValue) use.")) }
        if !useCases.isEmpty { d["rai:dataUseCases"] = .array(useCases) }
        if !f.producedBy.isEmpty {
            d["rai:dataPreprocessingProtocol"] = .array(f.producedBy.map { r in
                .string("Run \(r.name): \(r.argv.joined(separator: " "))" + (r.inputs.isEmpty ? "" : " from " + r.inputs.map(\.description).joined(separator: ", ")))
            })
        }
        var maintenance: [String] = []
        if let s = own?.steward { maintenance.append("Steward: \(s).") }
        if let r = eff?.retentionUntil?.value ?? own?.retentionUntil { maintenance.append("Retained until \(r); erased after that date.") }
        maintenance.append("Versioned by content digest in a lineage repository; this is version \(f.sha256.prefixed).")
        d["rai:dataReleaseMaintenancePlan"] = .string(maintenance.joined(separator: " "))
        var limitations: [ExportJSON] = []
        for w in eff?.withdrawals ?? [] {
            let whose = w.origin.isOwn ? "this data" : "\(w.origin.from!)"
            limitations.append(.string("Consent withdrawn for \(whose)" + (w.withdrawnAt.map { " on \($0)" } ?? "") + "."))
        }
        for c in f.checks where !c.passed {
            limitations.append(.string("Check \(c.name) failed" + (c.detail.map { ": \($0)" } ?? "") + "."))
        }
        if !limitations.isEmpty { d["rai:dataLimitations"] = .array(limitations) }
        return .object(d)
    }

    /// Croissant 1.0's JSON-LD context (spec appendix, as mlcroissant writes it), with the `rai` and `dct` prefixes.
    static var context: [String: ExportJSON] {
        var c: [String: ExportJSON] = [
            "@language": .string("en"),
            "@vocab": .string("https://schema.org/"),
            "sc": .string("https://schema.org/"),
            "cr": .string("http://mlcommons.org/croissant/"),
            "rai": .string("http://mlcommons.org/croissant/RAI/"),
            "dct": .string("http://purl.org/dc/terms/"),
            "conformsTo": .string("dct:conformsTo"),
            "data": .object(["@id": .string("cr:data"), "@type": .string("@json")]),
            "dataType": .object(["@id": .string("cr:dataType"), "@type": .string("@vocab")]),
            "examples": .object(["@id": .string("cr:examples"), "@type": .string("@json")]),
        ]
        for term in ["citeAs", "column", "extract", "field", "fileProperty", "fileObject", "fileSet", "format", "includes",
                     "isLiveDataset", "jsonPath", "key", "md5", "parentField", "path", "recordSet", "references", "regex",
                     "repeated", "replace", "samplingRate", "separator", "source", "subField", "transform", "equivalentProperty"] {
            c[term] = .string("cr:\(term)")
        }
        return c
    }

    /// Frictionless type → schema.org data type.
    static func croissantType(_ type: String?) -> String {
        switch type {
        case "integer": return "sc:Integer"
        case "number": return "sc:Float"
        case "boolean": return "sc:Boolean"
        case "date": return "sc:Date"
        case "datetime": return "sc:DateTime"
        case "time": return "sc:Time"
        default: return "sc:Text"
        }
    }

    /// Collection method → Croissant RAI's recommended `dataCollectionType` values.
    static func collectionType(_ m: CollectionMethod) -> String {
        switch m {
        case .survey: return "Surveys"
        case .scraped: return "Web Scraping"
        case .sensor: return "Direct measurement"
        case .userGenerated: return "Self-reporting"
        case .crowdsourced: return "Crowdsourcing"
        case .publicRecords: return "Document analysis"
        case .licensed, .derived: return "Secondary Data analysis"
        case .synthetic: return "Software Collection"
        case .internal, .other: return "Others"
        }
    }

    private static func composedDescription(_ f: DatasheetFacts) -> String {
        var s = "\(f.kind.rawValue.capitalized) \(f.path) (\(f.mediaType), \(f.size) bytes"
        if let n = f.rowCount { s += ", \(n) rows" }
        s += ")"
        if let source = f.rights?.facts.source { s += " from \(source.name ?? source.url)" }
        if let m = f.rights?.facts.method { s += ", collected by \(m.rawValue)" }
        return s + ", recorded in a lineage repository at version \(f.sha256.prefixed)."
    }
}
