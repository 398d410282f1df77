import Foundation
import LineageCore
import Testing

/// The built-in licence table: lookup, suggestions, permitted uses, combination.
@Suite struct LicenceTests {
    @Test func tableCoversTheRequiredLicences() throws {
        var required = ["CC0-1.0", "ODbL-1.0", "ODC-By-1.0", "PDDL-1.0", "CDLA-Permissive-1.0", "CDLA-Permissive-2.0", "CDLA-Sharing-1.0",
                        "MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
                        "GPL-3.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later",
                        "AGPL-3.0-only", "AGPL-3.0-or-later", "MPL-2.0", "Unlicense", "proprietary", "OpenRAIL"]
        for v in ["1.0", "2.0", "2.5", "3.0", "4.0"] {
            required += ["CC-BY-\(v)", "CC-BY-SA-\(v)", "CC-BY-NC-\(v)", "CC-BY-NC-SA-\(v)", "CC-BY-ND-\(v)", "CC-BY-NC-ND-\(v)"]
        }
        for id in required {
            #expect(Licences.lookup(id)?.id == id, "\(id)")
        }
        #expect(Set(Licences.table.map(\.id)).count == Licences.table.count)  // no duplicates
        #expect(Licences.table.map(\.id) == Licences.table.map(\.id).sorted())
    }

    @Test func termsOfRepresentativeLicences() throws {
        func terms(_ id: String) -> (LicenceUseClass, Bool, Bool, Bool) {
            let t = Licences.lookup(id)!
            return (t.use, t.attribution, t.shareAlike, t.noDerivatives)
        }
        #expect(terms("CC0-1.0") == (.all, false, false, false))
        #expect(terms("CC-BY-4.0") == (.all, true, false, false))
        #expect(terms("CC-BY-SA-3.0") == (.all, true, true, false))
        #expect(terms("CC-BY-NC-2.0") == (.nonCommercial, true, false, false))
        #expect(terms("CC-BY-NC-SA-4.0") == (.nonCommercial, true, true, false))
        #expect(terms("CC-BY-ND-4.0") == (.all, true, false, true))
        #expect(terms("CC-BY-NC-ND-4.0") == (.nonCommercial, true, false, true))
        #expect(terms("ODbL-1.0") == (.all, true, true, false))
        #expect(terms("CDLA-Sharing-1.0") == (.all, true, true, false))
        #expect(terms("CDLA-Permissive-2.0") == (.all, true, false, false))
        #expect(terms("PDDL-1.0") == (.all, false, false, false))
        #expect(terms("MIT") == (.all, true, false, false))
        #expect(terms("GPL-3.0-only") == (.all, true, true, false))
        #expect(terms("proprietary") == (.unspecified, false, false, false))
        #expect(Licences.lookup("MIT")?.spdx == true && Licences.lookup("proprietary")?.spdx == false)
        #expect(Licences.lookup("OpenRAIL")?.note?.contains("use restrictions") == true)
    }

    @Test func lookupIsCaseInsensitiveAndCanonical() {
        #expect(Licences.canonical("cc-by-sa-4.0") == "CC-BY-SA-4.0")
        #expect(Licences.canonical(" apache-2.0 ") == "Apache-2.0")
        #expect(Licences.canonical("Proprietary") == "proprietary")
        #expect(Licences.canonical("odbl-1.0") == "ODbL-1.0")
        #expect(Licences.canonical("licenseref-acme-data-terms") == "LicenseRef-acme-data-terms")
        #expect(Licences.lookup("LicenseRef-acme")?.use == .unspecified)
        #expect(Licences.lookup("LicenseRef-") == nil)
        #expect(Licences.lookup("LicenseRef-a b") == nil)
        #expect(Licences.lookup("CC-BY-4") == nil)
        #expect(Licences.lookup("") == nil)
    }

    @Test func suggestionsForUnknownIDs() throws {
        #expect(Licences.suggestions(for: "CC-BY-4").first == "CC-BY-4.0")
        #expect(Licences.suggestions(for: "CC BY NC 4.0").first == "CC-BY-NC-4.0")
        #expect(Licences.suggestions(for: "cc_by_sa_4.0").first == "CC-BY-SA-4.0")
        #expect(Licences.suggestions(for: "Apache2").first == "Apache-2.0")
        #expect(Licences.suggestions(for: "MIT License").first == "MIT")
        #expect(Licences.suggestions(for: "ODBL").first == "ODbL-1.0")
        #expect(Licences.suggestions(for: "GPL-3.0") == ["GPL-3.0-only", "GPL-3.0-or-later"])
        #expect(Licences.suggestions(for: "completely different words").isEmpty)
        #expect(Licences.suggestions(for: "CC-BY").count <= 3)

        do {
            _ = try Licences.resolve("CC-BY-4", field: "license")
            Issue.record("accepted CC-BY-4")
        } catch let e as RecordFieldError {
            #expect(e.field == "license")
            #expect(e.message.hasPrefix("'CC-BY-4' is not an SPDX licence identifier lineage knows — did you mean 'CC-BY-4.0'"))
            #expect(e.message.contains("LicenseRef-<name>") && e.message.contains("proprietary"))
        }
        #expect(throws: RecordFieldError.self) { try Licences.resolve("zzzz-unknown") }
        #expect(try Licences.resolve("mit").id == "MIT")
    }

    @Test func permittedUses() {
        #expect(Licences.permits("CC-BY-4.0", use: .commercial) == .permitted)
        #expect(Licences.permits("CC0-1.0", use: .training) == .permitted)
        #expect(Licences.permits("MIT", use: .redistribution) == .permitted)
        guard case .forbidden(let why) = Licences.permits("CC-BY-NC-4.0", use: .commercial) else {
            Issue.record("NC allowed commercial use"); return
        }
        #expect(why == "CC-BY-NC-4.0 allows non-commercial use only")
        #expect(Licences.permits("CC-BY-NC-4.0", use: .research) == .permitted)
        #expect(Licences.permits("CC-BY-NC-SA-4.0", use: .training) == .permitted)
        #expect(Licences.permits("cc-by-nc-nd-4.0", use: .commercial) == .forbidden("CC-BY-NC-ND-4.0 allows non-commercial use only"))
        if case .unclear(let why) = Licences.permits("CC-BY-ND-4.0", use: .training) {
            #expect(why.contains("adaptations"))
        } else { Issue.record("ND training should be unclear") }
        #expect(Licences.permits("CC-BY-ND-4.0", use: .evaluation) == .permitted)
        #expect(Licences.permits("CC-BY-ND-4.0", use: .redistribution) == .permitted)
        if case .unclear(let why) = Licences.permits("proprietary", use: .commercial) {
            #expect(why.contains("proprietary terms"))
        } else { Issue.record("proprietary should be unclear") }
        if case .unclear = Licences.permits("LicenseRef-x", use: .research) {} else { Issue.record("LicenseRef should be unclear") }
        if case .unclear = Licences.permits("NotALicence", use: .research) {} else { Issue.record("unknown should be unclear") }
    }

    @Test func combiningObligations() {
        let none = Licences.combine([])
        #expect(none.use == .unspecified && none.licences.isEmpty && none.conflicts.isEmpty)

        let permissive = Licences.combine(["MIT", "CC0-1.0", "cc-by-4.0", "CC-BY-4.0"])
        #expect(permissive.licences == ["CC-BY-4.0", "CC0-1.0", "MIT"])
        #expect(permissive.use == .all)
        #expect(permissive.attribution == ["CC-BY-4.0", "MIT"])
        #expect(permissive.shareAlike.isEmpty && permissive.conflicts.isEmpty && permissive.unknown.isEmpty)

        let mixed = Licences.combine(["CC-BY-SA-4.0", "CC-BY-NC-4.0"])
        #expect(mixed.use == .nonCommercial)
        #expect(mixed.shareAlike == ["CC-BY-SA-4.0"])
        #expect(mixed.conflicts == ["CC-BY-SA-4.0 requires adaptations to be shared under its terms, which allow commercial use, but CC-BY-NC-4.0 allows non-commercial use only"])

        let twoShareAlike = Licences.combine(["ODbL-1.0", "GPL-3.0-only"])
        #expect(twoShareAlike.shareAlike == ["GPL-3.0-only", "ODbL-1.0"])
        #expect(twoShareAlike.conflicts.count == 1 && twoShareAlike.conflicts[0].contains("GPL-3.0-only and ODbL-1.0"))

        let nd = Licences.combine(["CC-BY-ND-4.0", "MIT"])
        #expect(nd.noDerivatives == ["CC-BY-ND-4.0"])
        #expect(nd.conflicts.count == 1)
        #expect(Licences.combine(["CC-BY-ND-4.0"]).conflicts.isEmpty)

        let unknown = Licences.combine(["MIT", "LicenseRef-acme", "bogus"])
        #expect(unknown.unknown == ["bogus"])
        #expect(unknown.licences == ["LicenseRef-acme", "MIT", "bogus"])
        #expect(unknown.use == .unspecified)
        #expect(Licences.combine(["MIT", "proprietary"]).use == .unspecified)
        #expect(LicenceUseClass.all < .nonCommercial && LicenceUseClass.nonCommercial < .academic && LicenceUseClass.academic < .unspecified)
    }

    @Test func editDistance() {
        #expect(Suggest.distance("", "abc") == 3)
        #expect(Suggest.distance("kitten", "sitting") == 3)
        #expect(Suggest.distance("same", "same") == 0)
        #expect(Suggest.closest(to: "concent", among: ["consent", "contract"]) == ["consent"])
        #expect(Suggest.closest(to: "x", among: ["consent"]).isEmpty)
    }
}
