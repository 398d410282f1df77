import ArgumentParser
import Foundation
import Lineage
import LineageCore

/// The rights flags `add` and `rights set` share (vocabulary in FORMATS.md; record in Schemas/rights.schema.json).
struct RightsFlags: ParsableArguments {
    @Option(help: ArgumentHelp("A YAML file with the rights facts (keys as these flags, without --).", valueName: "file")) var meta: String?
    @Option(help: ArgumentHelp("Where the data came from (URL).", valueName: "url")) var source: String?
    @Option(help: ArgumentHelp("When it was collected: an ISO interval, e.g. 2024-01/2024-06.", valueName: "interval")) var collected: String?
    @Option(help: ArgumentHelp("How: survey, scraped, licensed, synthetic, crowdsourced, sensor, user-generated, public-records, internal, derived, other.", valueName: "method")) var method: String?
    @Option(help: ArgumentHelp("GDPR Art. 6 basis: consent, contract, legal-obligation, vital-interests, public-task, legitimate-interests.", valueName: "basis")) var legalBasis: String?
    @Option(help: ArgumentHelp("GDPR Art. 9(2) condition for special-category data, e.g. explicit-consent.", valueName: "condition")) var art9Condition: String?
    @Option(help: ArgumentHelp("Consent status: granted, withdrawn, not-required.", valueName: "status")) var consent: String?
    @Option(help: ArgumentHelp("What the consent covers, comma-separated, e.g. training,evaluation.", valueName: "uses")) var consentScope: String?
    @Option(help: ArgumentHelp("Where the consent is documented (URL).", valueName: "url")) var consentEvidence: String?
    @Option(help: ArgumentHelp("SPDX licence id (or proprietary).", valueName: "spdx")) var license: String?
    @Option(help: ArgumentHelp("Personal-data categories, comma-separated: email,name,phone,...", valueName: "categories")) var pii: String?
    @Option(help: ArgumentHelp("GDPR Art. 9 special categories, comma-separated: health,biometric,...", valueName: "categories")) var specialCategory: String?
    @Option(help: ArgumentHelp("Delete by this date (YYYY-MM-DD).", valueName: "date")) var retentionUntil: String?
    @Option(help: ArgumentHelp("Who answers for the data (e-mail).", valueName: "email")) var steward: String?

    var input: RightsInput {
        var fields: [RightsField: String] = [:]
        let given: [(RightsField, String?)] = [
            (.source, source), (.collected, collected), (.method, method), (.legalBasis, legalBasis), (.art9Condition, art9Condition),
            (.consentStatus, consent), (.consentScope, consentScope), (.consentEvidence, consentEvidence), (.license, license),
            (.pii, pii), (.specialCategory, specialCategory), (.retentionUntil, retentionUntil), (.steward, steward),
        ]
        for (field, value) in given { if let value { fields[field] = value } }
        return RightsInput(metaFile: meta, fields: fields)
    }
}
