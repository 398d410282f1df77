import Foundation
import LineageSigning
import Testing

@Suite struct AllowedSignersParsingTests {
    let a = SSHPrivateKey.generate(comment: "a").publicKey
    let b = SSHPrivateKey.generate(comment: "b").publicKey
    let c = SSHPrivateKey.generate(comment: "c").publicKey
    let d = SSHPrivateKey.generate(comment: "d").publicKey

    var file: String {
        """
        # team signers

        alice@example.org \(a.openSSH) alice's laptop
        bob@example.org,robert@example.org namespaces="git,file" \(b.openSSH)
        \tcarol@example.org valid-after=20240101,valid-before="20250101000000Z" \(c.openSSH)   carol  \r
        *@ci.example.org namespaces=git \(d.openSSH)
        # trailing comment
        """
    }

    @Test func parsesEntriesOptionsAndLineNumbers() throws {
        let signers = try AllowedSigners(parsing: file)
        try #require(signers.entries.count == 4)
        let (alice, bob, carol, ci) = (signers.entries[0], signers.entries[1], signers.entries[2], signers.entries[3])
        #expect(alice.principals == ["alice@example.org"])
        #expect(alice.namespaces == nil)
        #expect(alice.comment == "alice's laptop")
        #expect(alice.line == 3)
        #expect(bob.principals == ["bob@example.org", "robert@example.org"])
        #expect(bob.namespaces == ["git", "file"])
        #expect(bob.comment == nil)
        #expect(bob.line == 4)
        #expect(carol.line == 5)
        #expect(carol.comment == "carol")
        #expect(carol.validBefore == utc(2025, 1, 1))
        // Without "Z" the time is local, as OpenSSH reads it.
        var local = Calendar(identifier: .gregorian)
        local.timeZone = .current
        let localMidnight = Int64(local.date(from: DateComponents(year: 2024, month: 1, day: 1))!.timeIntervalSince1970)
        #expect(carol.validAfter == localMidnight)
        #expect(ci.namespaces == ["git"])
        #expect(ci.key == d)
    }

    @Test func lookupHonoursNamespacesAndValidityWindow() throws {
        let signers = try AllowedSigners(parsing: file)
        let now = utc(2024, 6, 1)
        #expect(signers.lookup(key: a, namespace: "anything", at: now) == .trusted(principals: ["alice@example.org"]))
        #expect(signers.lookup(key: b, namespace: "git", at: now) == .trusted(principals: ["bob@example.org", "robert@example.org"]))
        #expect(signers.lookup(key: b, namespace: "file", at: now) == .trusted(principals: ["bob@example.org", "robert@example.org"]))
        #expect(signers.lookup(key: b, namespace: "email", at: now) == .unknown)
        #expect(signers.lookup(key: SSHPrivateKey.generate(comment: "").publicKey, namespace: "git", at: now) == .unknown)

        #expect(signers.lookup(key: c, namespace: "git", at: utc(2023, 6, 1)) == .notValidAt(principals: ["carol@example.org"]))
        #expect(signers.lookup(key: c, namespace: "git", at: utc(2024, 6, 1)) == .trusted(principals: ["carol@example.org"]))
        #expect(signers.lookup(key: c, namespace: "git", at: utc(2025, 6, 1)) == .notValidAt(principals: ["carol@example.org"]))
        // OpenSSH treats both ends as inclusive (verify time > valid-before is "expired").
        #expect(signers.lookup(key: c, namespace: "git", at: utc(2025, 1, 1)) == .trusted(principals: ["carol@example.org"]))
        #expect(signers.lookup(key: c, namespace: "git", at: utc(2025, 1, 1) + 1) == .notValidAt(principals: ["carol@example.org"]))
    }

    @Test func principalPatternsMatchWithWildcards() throws {
        let signers = try AllowedSigners(parsing: file)
        #expect(signers.principals(matching: "build@ci.example.org").map(\.key) == [d])
        #expect(signers.principals(matching: "robert@example.org").map(\.key) == [b])
        #expect(signers.principals(matching: "mallory@example.org").isEmpty)

        let q = try AllowedSigners(parsing: "user?@example.org \(a.openSSH)\n")
        #expect(q.principals(matching: "user1@example.org").count == 1)
        #expect(q.principals(matching: "user12@example.org").isEmpty)
    }

    @Test(arguments: [
        ("alice@example.org", "missing key"),
        ("alice@example.org ssh-ed25519", "missing base64"),
        ("alice@example.org ssh-ed25519 !!!notbase64", "not valid base64"),
        ("alice@example.org ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQC", "base64"),
        ("alice@example.org foo=\"bar\" KEY", "unknown option"),
        ("alice@example.org ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7", "ssh-rsa"),
        ("alice@example.org ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY=", "ecdsa-sha2-nistp256"),
        ("alice@example.org namespaces=\"git KEY", "unterminated quote"),
        ("alice@example.org cert-authority KEY", "not supported"),
        ("alice@example.org valid-after=\"2024\" KEY", "valid-after"),
        ("alice@example.org valid-after=\"20241301\" KEY", "valid-after"),
        ("alice@example.org valid-after=\"20250101\",valid-before=\"20240101\" KEY", "valid-before"),
        ("alice@example.org namespaces=\"git\",namespaces=\"file\" KEY", "twice"),
        ("alice@example.org namespaces=\"git\", KEY", "comma"),
        ("alice@example.org,,bob@example.org KEY", "empty principal"),
    ])
    func malformedLinesNameTheirLine(line: String, expected: String) throws {
        let text = "# header\n\nok@example.org \(a.openSSH)\n" + line.replacingOccurrences(of: "KEY", with: a.openSSH) + "\n"
        let error = SigningError.from { _ = try AllowedSigners(parsing: text) }
        let description = try #require(error?.description)
        #expect(description.hasPrefix("allowed_signers line 4: "), "\(description)")
        #expect(description.contains(expected), "\(description)")
        guard case .allowedSigners(let n, _, _) = error else {
            Issue.record("wrong error case \(String(describing: error))")
            return
        }
        #expect(n == 4)
    }

    @Test(arguments: ["", "a b", "a\tb", "a\nb", "a\rb", "a,b", "a\"b", "a'b", "#alice", "!alice", "a\u{7}b", "a\u{7f}b", "a\u{a0}b"])
    func badPrincipalsAreRejected(principal: String) throws {
        let error = SigningError.from { try AllowedSigners.validatePrincipal(principal) }
        guard case .invalidPrincipal = error else {
            Issue.record("\(principal.debugDescription) was accepted")
            return
        }
        #expect(error?.description.contains("except spaces") == true)
        var signers = AllowedSigners()
        #expect(throws: SigningError.self) { try signers.add(principal: principal, key: a) }
        #expect(signers.entries.isEmpty)
    }

    @Test(arguments: ["alice@example.org", "Bob", "ci-bot+lineage@example.org", "jöran@example.se", "*@example.org"])
    func goodPrincipalsAreAccepted(principal: String) throws {
        try AllowedSigners.validatePrincipal(principal)
    }
}

@Suite struct AllowedSignersEditingTests {
    let a = SSHPrivateKey.generate(comment: "a").publicKey
    let b = SSHPrivateKey.generate(comment: "b").publicKey

    @Test func addSerializeParseRoundTrip() throws {
        var signers = AllowedSigners()
        try signers.add(principal: "alice@example.org", key: a)
        try signers.add(principal: "bob@example.org", key: b, namespaces: nil, validAfter: utc(2024, 1, 1),
                        validBefore: utc(2026, 7, 1, 12, 30, 5), comment: "bob's key")
        try signers.add(principal: "alice@example.org", key: b, namespaces: ["git", "file"])

        let text = signers.serialized()
        #expect(text == """
            alice@example.org namespaces="git" \(a.openSSH)
            bob@example.org valid-after="20240101000000Z",valid-before="20260701123005Z" \(b.openSSH) bob's key
            alice@example.org namespaces="git,file" \(b.openSSH)

            """)
        var reparsed = try AllowedSigners(parsing: text)
        #expect(reparsed.entries.map(\.line) == [1, 2, 3])
        for i in reparsed.entries.indices { reparsed.entries[i].line = 0 }
        #expect(reparsed == signers)
        #expect(reparsed.serialized() == text)
    }

    @Test func addRejectsInconsistentEntries() {
        var signers = AllowedSigners()
        #expect(throws: SigningError.self) { try signers.add(principal: "a", key: a, validAfter: 100, validBefore: 100) }
        #expect(throws: SigningError.self) { try signers.add(principal: "a", key: a, namespaces: ["git,file"]) }
        #expect(throws: SigningError.self) { try signers.add(principal: "a", key: a, namespaces: [""]) }
        #expect(throws: SigningError.self) { try signers.add(principal: "a", key: a, validAfter: -5) }
        #expect(throws: SigningError.self) { try signers.add(principal: "a", key: a, comment: "two\nlines") }
        #expect(signers.entries.isEmpty)
    }

    @Test func removeDropsPrincipalOrWholeEntry() throws {
        var signers = try AllowedSigners(parsing: """
            bob@example.org,robert@example.org \(b.openSSH)
            alice@example.org \(a.openSSH)
            *@example.org \(a.openSSH)
            """)
        #expect(signers.remove(principal: "robert@example.org") == 1)
        #expect(signers.entries.map(\.principals) == [["bob@example.org"], ["alice@example.org"], ["*@example.org"]])
        #expect(signers.remove(principal: "alice@example.org") == 1)  // exact names only, not patterns
        #expect(signers.entries.map(\.principals) == [["bob@example.org"], ["*@example.org"]])
        #expect(signers.remove(principal: "nobody") == 0)
        #expect(signers.remove(principal: "bob@example.org") == 1)
        #expect(signers.serialized() == "*@example.org \(a.openSSH)\n")
    }
}

@Suite struct AllowedSignersInteropTests {
    /// ssh-keygen reads our serialized file and agrees with our lookup about who is trusted when.
    @Test func sshKeygenAgreesWithOurFileAndTimes() throws {
        let dir = try TempDir()
        let key = SSHPrivateKey.generate(comment: "")
        let msg = try dir.write("msg", "payload\n")
        try dir.write("sig", try SSHSignature.sign(Array("payload\n".utf8), namespace: "git", key: key))

        var signers = AllowedSigners()
        try signers.add(principal: "dana@example.org", key: key.publicKey, validAfter: utc(2020, 1, 1),
                        validBefore: utc(2025, 1, 1), comment: "dana")
        try dir.write("allowed", signers.serialized())

        let found = try Tool.sshKeygen("-Y", "find-principals", "-f", "allowed", "-s", "sig",
                                       "-O", "verify-time=20240601Z", in: dir.path)
        #expect(found.stdout == "dana@example.org\n", "\(found.stderr)")

        let times: [(String, Int64)] = [
            ("20191231235959Z", utc(2019, 12, 31, 23, 59, 59)),
            ("20200101000000Z", utc(2020, 1, 1)),
            ("20250101000000Z", utc(2025, 1, 1)),
            ("20250101000001Z", utc(2025, 1, 1, 0, 0, 1)),
        ]
        for (text, seconds) in times {
            let result = try Tool.sshKeygen("-Y", "verify", "-n", "git", "-f", "allowed", "-I", "dana@example.org",
                                            "-s", "sig", "-O", "verify-time=\(text)", in: dir.path, stdinFile: msg)
            let ours = signers.lookup(key: key.publicKey, namespace: "git", at: seconds)
            let oursTrusted = ours == .trusted(principals: ["dana@example.org"])
            #expect((result.status == 0) == oursTrusted, "at \(text): ssh-keygen \(result.status), ours \(ours)")
        }
    }

    /// Files written the OpenSSH way (by hand, with local times) parse the same as ssh-keygen reads them.
    @Test func sshKeygenAndWeAgreeOnLocalTimes() throws {
        let dir = try TempDir()
        let key = SSHPrivateKey.generate(comment: "")
        let msg = try dir.write("msg", "x")
        try dir.write("sig", try SSHSignature.sign(Array("x".utf8), namespace: "git", key: key))
        let line = "erin@example.org valid-after=\"202401021030\" \(key.publicKey.openSSH)\n"
        try dir.write("allowed", line)
        let signers = try AllowedSigners(parsing: line)
        let after = try #require(signers.entries.first?.validAfter)
        for probe in [after - 1, after] {
            let text = formatUTC(probe)
            let result = try Tool.sshKeygen("-Y", "verify", "-n", "git", "-f", "allowed", "-I", "erin@example.org",
                                            "-s", "sig", "-O", "verify-time=\(text)", in: dir.path, stdinFile: msg)
            let oursTrusted = signers.lookup(key: key.publicKey, namespace: "git", at: probe) != .notValidAt(principals: ["erin@example.org"])
            #expect((result.status == 0) == oursTrusted, "at \(text)")
        }
    }

    private func formatUTC(_ seconds: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMddHHmmss"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))) + "Z"
    }
}
