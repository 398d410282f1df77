import Foundation
import Testing
@testable import LineageValidators

private func found(_ text: String, column: String? = nil) -> [PIICategory] {
    PIIValidator.matches(in: text, column: column).map(\.category)
}

private func only(_ text: String, _ category: PIICategory, column: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    let m = PIIValidator.matches(in: text, column: column)
    #expect(m.map(\.category) == [category], "\(text)", sourceLocation: sourceLocation)
}

private func none(_ text: String, column: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(PIIValidator.matches(in: text, column: column).isEmpty, "\(text)", sourceLocation: sourceLocation)
}

@Suite struct PIIMatcherTests {
    @Test func emails() {
        only("contact john.smith@example.com today", .email)
        only("<a.b-c+tag@mail.example.co.uk>", .email)
        only("x,jane_doe99@sub.domain.org,y", .email)
        none("@handle and user@localhost and a@b.c and foo@.com and @example.com")
        none("name@domain.c0m")
        let m = PIIValidator.matches(in: "write to john@example.com.")
        #expect(m.first?.masked == "j***@e***.com")
        #expect(m.first?.range == 9..<25)
    }

    @Test func phones() {
        for text in ["+1 415 555 2671", "+14155552671", "+44 20 7946 0958", "+44 (0)20 7946 0958", "+49-30-1234567",
                     "(555) 123-4567", "+1 (555) 123-4567", "555-123-4567", "555.123.4567", "1-800-555-0199",
                     "020 7946 0958", "01 23 45 67 89", "call 030 1234567 now"] {
            only(text, .phone)
        }
        // Digits-only ids, dates, decimals, times, years and short numbers are not phone numbers…
        for text in ["12345678901", "id 5551234567", "2024-01-05", "2024-01-05 10:30:00", "3.14159265", "1,234,567",
                     "12.345.678", "1999 2000 2001", "+0 123 456 789", "555-1234", "order 12-34", "+12345",
                     "4560 264 4400", "977 400 7520", "123-456-7890"] {
            none(text)
        }
        // …unless the column's name says so.
        only("5551234567", .phone, column: "phone_number")
        only("5551234567", .phone, column: "Mobile")
        only("5551234567", .phone, column: "tel")
        none("5551234567", column: "hotel_id")
        #expect(PIIValidator.matches(in: "+44 20 7946 0958").first?.masked == "+** ** **** **58")
    }

    @Test func creditCardsAreLuhnValidWithAKnownIssuer() {
        let valid = ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444",
                     "5105 1051 0510 5100", "378282246310005", "3782 822463 10005", "6011111111111117",
                     "3530111333300000", "30569309025904", "4012888888881881", "2223003122003222"]
        for text in valid { only("card: \(text).", .creditCard) }
        for text in ["4111111111111112", "4111 1111 1111 1112", "1234567890123452", "9111111111111111",
                     "4111 1111-1111 1111", "41111111111111111111"] {
            none(text)
        }
        #expect(PIIValidator.matches(in: "4111 1111 1111 1111").first?.masked == "**** **** **** 1111")
        #expect(PIIValidator.matches(in: "5555555555554444").first?.masked == "************4444")
    }

    @Test func ibansAreMod97Valid() {
        for text in ["GB82WEST12345698765432", "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32",
                     "FR1420041010050500013M02606", "NL91ABNA0417164300", "CH9300762011623852957", "NO9386011117947"] {
            only("iban \(text) ok", .iban)
        }
        for text in ["GB83WEST12345698765432",   // wrong check digits
                     "DE8937040044053201300",    // one character short for DE
                     "XX82WEST12345698765432",   // no such country
                     "GB82WEST123456987654321",  // too long
                     "gb82west12345698765432"] {
            #expect(!found(text).contains(.iban), "\(text)")
        }
        #expect(PIIValidator.matches(in: "GB82WEST12345698765432").first?.masked == "GB****************5432")
    }

    @Test func socialSecurityNumbersFollowTheRules() {
        only("ssn 123-45-6789", .ssn)
        only("078-05-1121", .ssn)
        for text in ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "123456789", "123 45 6789"] {
            none(text)
        }
        only("123456789", .ssn, column: "SSN")
        only("123 45 6789", .ssn, column: "social_security_number")
        none("000456789", column: "ssn")
        #expect(PIIValidator.matches(in: "123-45-6789").first?.masked == "***-**-6789")
    }

    @Test func ipAddresses() {
        for text in ["192.168.1.1", "10.0.0.255", "host 8.8.8.8:53", "0.0.0.0"] { only(text, .ipAddress) }
        for text in ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "v1.2.3.4"] { none(text) }
        for text in ["2001:db8::1", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "fe80::1%eth0", "::1",
                     "[2001:db8:85a3::8a2e:370:7334]:443", "::ffff:192.0.2.128", "2001:db8:0:0:1:0:0:1"] {
            only(text, .ipAddress)
        }
        for text in ["10:30:00", "std::vector", "Foo::Bar", "00:1a:2b:3c:4d:5e", "x[1::2]", "a:b", "1:2:3:4:5:6:7:8:9",
                     "2001:db8::1::2"] {
            none(text)
        }
        #expect(PIIValidator.matches(in: "192.168.1.1").first?.masked == "192.*.*.*")
        #expect(PIIValidator.matches(in: "2001:db8::1").first?.masked == "2001:***::*")
    }

    @Test func categoriesCanBeLimited() {
        let text = "a@b.example 192.168.0.1 +44 20 7946 0958"
        #expect(PIIValidator.matches(in: text).map(\.category) == [.email, .ipAddress, .phone])
        #expect(PIIValidator.matches(in: text, categories: [.phone]).map(\.category) == [.phone])
    }

    @Test func masksNeverShowTheValue() {
        let values: [(String, PIICategory)] = [("john@example.com", .email), ("+44 20 7946 0958", .phone), ("4111111111111111", .creditCard),
                                              ("GB82WEST12345698765432", .iban), ("123-45-6789", .ssn), ("10.20.30.40", .ipAddress)]
        for (v, c) in values {
            let masked = PIIValidator.mask(v, as: c)
            #expect(masked != v)
            #expect(masked.contains("*"))
        }
    }
}

@Suite struct PIIScanTests {
    @Test func csvPerColumnWithRowsAndMaskedSamples() throws {
        let csv = """
        id,name,contact,phone,note
        1,Ann,ann@example.com,555-123-4567,fine
        2,Bob,"bob@example.org",5551234567,"card 4111 1111 1111 1111"
        3,Cy,none,n/a,"two
        lines, ip 10.1.2.3"
        4,Di,di@example.net,,plain

        """
        let path = try writeScratch("people.csv", csv)
        let scan = try PIIValidator.scan(path: path)
        #expect(scan.kind == .table)
        #expect(scan.rows == 5)
        #expect(scan.categories == [.email, .phone, .creditCard, .ipAddress])
        let email = try #require(scan.hits.first { $0.category == .email })
        #expect(email.column == "contact")
        #expect(email.count == 3)
        #expect(email.rows == [2, 3, 5])
        #expect(email.samples == ["a***@e***.com", "b***@e***.org", "d***@e***.net"])
        let phone = try #require(scan.hits.first { $0.category == .phone })
        #expect(phone.column == "phone")
        #expect(phone.count == 2)          // the bare digits count in a column named phone
        #expect(scan.columns(.creditCard) == ["note"])
        #expect(scan.hits.first { $0.category == .ipAddress }?.rows == [4])

        let report = PIIValidator.report(scans: [scan], declared: ["email", "phone"])
        #expect(report.outcome == .failed)
        #expect(Set(report.findings.map(\.check)) == ["credit-card", "ip-address"])
        #expect(report.counts["email"] == 3)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        for raw in ["ann@example.com", "555-123-4567", "4111 1111 1111 1111", "10.1.2.3", "5551234567"] {
            #expect(!json.contains(raw), "\(raw) leaked into the report")
        }
    }

    @Test func textFilesPerLine() throws {
        let text = "hello\r\nmail me at a.person@example.com\nnothing here 12345\n\nIBAN DE89 3704 0044 0532 0130 00 and 8.8.4.4\n"
        let path = try writeScratch("notes.txt", text)
        let scan = try PIIValidator.scan(path: path)
        #expect(scan.kind == .text)
        #expect(scan.rows == 5)
        #expect(scan.hits.map(\.category) == [.email, .iban, .ipAddress])
        #expect(scan.hits.map(\.rows) == [[2], [5], [5]])
        #expect(scan.hits.allSatisfy { $0.column == nil })
        #expect(scan.hits[1].samples == ["DE** **** **** **** **30 00"])
    }

    @Test func jsonLinesPerKey() throws {
        let path = try writeScratch("events.jsonl", "{\"user\": \"x@example.com\", \"ip\": \"2001:db8::7\"}\n{\"user\": \"none\", \"ip\": \"10.0.0.1\"}\n")
        let scan = try PIIValidator.scan(path: path)
        #expect(scan.hits.map(\.column) == ["user", "ip"])
        #expect(scan.hits.first { $0.category == .ipAddress }?.rows == [2, 3])
    }

    @Test func binaryFilesAreSkipped() throws {
        let path = try writeScratch("image.png", [0x89, 0x50, 0x4E, 0x47, 0, 0] + Array("a@example.com".utf8))
        let scan = try PIIValidator.scan(path: path)
        #expect(scan.kind == .binary)
        #expect(scan.hits.isEmpty)
        #expect(throws: TableReadError.self) { try PIIValidator.scan(path: "/nonexistent/file.csv") }
    }

    @Test func piecesOnThreadsGiveTheSameResultAsOnePiece() throws {
        // ~4 MiB, with a quoted field holding line breaks across every possible cut.
        var csv = "id,text,contact\n"
        var row = 0
        func add(_ text: String, _ contact: String) { row += 1; csv += "\(row),\(text),\(contact)\n" }
        for i in 0..<60_000 { add("value \(i) plain", i % 97 == 0 ? "user\(i)@example.com" : "-") }
        var big = "\"multi"
        for i in 0..<30_000 { big += "\nline \(i) with +44 20 7946 \(String(format: "%04d", i % 10_000)) inside" }
        big += "\""
        add(big, "quoted@example.com")
        for i in 0..<40_000 { add("tail \(i)", i % 101 == 0 ? "10.0.\(i % 256).1" : "-") }
        let path = try writeScratch("big.csv", csv)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let one = try PIIValidator.scan(path: path, options: PIIOptions(threads: 1))
        for threads in [2, 3, 8] {
            let many = try PIIValidator.scan(path: path, options: PIIOptions(threads: threads))
            #expect(many == one, "threads \(threads)")
        }
        #expect(one.rows == 100_002)
        #expect(one.count(.phone) == 30_000)
        #expect(one.hits.first { $0.category == .phone }?.rows.allSatisfy { $0 == 60_002 } == true)
        #expect(one.count(.email) == 620)
        let ip = try #require(one.hits.first { $0.category == .ipAddress })
        #expect(ip.rows.first == 60_003)

        let text = try writeScratch("big.txt", String(repeating: "some words and a@example.com then 192.168.0.1\n", count: 60_000))
        defer { try? FileManager.default.removeItem(atPath: (text as NSString).deletingLastPathComponent) }
        let t1 = try PIIValidator.scan(path: text, options: PIIOptions(threads: 1))
        let t4 = try PIIValidator.scan(path: text, options: PIIOptions(threads: 4))
        #expect(t1 == t4)
        #expect(t1.count(.email) == 60_000 && t1.rows == 60_000)
    }
}

@Suite struct PIIPolicyTests {
    @Test func noRightsRecord() {
        let f = PIIValidator.policyFindings(found: [.email, .ssn], declared: nil, file: "data/x.csv")
        #expect(f.count == 1)
        #expect(f[0].check == "no-rights-record")
        #expect(f[0].severity == .error)
        #expect(f[0].message.contains("email, ssn"))
        #expect(f[0].message.contains("national-id"))
        #expect(PIIValidator.policyFindings(found: [], declared: nil).isEmpty)
    }

    @Test func undeclaredCategories() {
        let f = PIIValidator.policyFindings(found: [.email, .phone, .ssn, .iban], declared: ["email", "National_ID", "bank-account"])
        #expect(f.map(\.check) == ["phone"])
        #expect(f[0].message.contains("does not declare phone"))
        #expect(PIIValidator.policyFindings(found: [.email], declared: ["email"]).isEmpty)
        #expect(PIIValidator.policyFindings(found: [.ipAddress], declared: []).map(\.check) == ["ip-address"])
    }

    @Test func reportWithoutRightsRecord() throws {
        let path = try writeScratch("log.txt", "from 10.0.0.1\n")
        let clean = try writeScratch("clean.txt", "nothing\n")
        let scans = try [PIIValidator.scan(path: path), PIIValidator.scan(path: clean)]
        let report = PIIValidator.report(scans: scans, declared: nil)
        #expect(report.findings.map(\.check) == ["no-rights-record", "ip-address"])
        #expect(report.findings[1].examples == ["10.*.*.*"])
        #expect(report.findings[1].rows == [1])
        #expect(PIIValidator.report(scans: scans, declared: ["ip-address"]).outcome == .passed)
        #expect(PIIValidator.report(scans: [scans[1]], declared: nil).outcome == .passed)
    }
}
