/// An OpenSSH allowed-signers file (ssh-keygen(1) "ALLOWED SIGNERS"): which keys may sign
/// as which principals, in which namespaces, when. `serialized()` output is read by stock
/// `ssh-keygen -Y verify` / `find-principals`, and therefore by `git verify-commit`.
public struct AllowedSigners: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Principal patterns; `*` and `?` are wildcards when matching.
        public var principals: [String]
        /// Namespace patterns the key may sign in; nil means any.
        public var namespaces: [String]?
        /// Seconds since the epoch; the key is valid from this instant on.
        public var validAfter: Int64?
        /// Seconds since the epoch; the key is valid up to and including this instant.
        public var validBefore: Int64?
        public var key: SSHPublicKey
        public var comment: String?
        /// 1-based line number in the parsed text; 0 for entries added with `add`.
        public var line: Int

        public init(principals: [String], namespaces: [String]? = nil, validAfter: Int64? = nil,
                    validBefore: Int64? = nil, key: SSHPublicKey, comment: String? = nil, line: Int = 0) {
            self.principals = principals
            self.namespaces = namespaces
            self.validAfter = validAfter
            self.validBefore = validBefore
            self.key = key
            self.comment = comment
            self.line = line
        }

        /// OpenSSH's rule: valid-after <= time <= valid-before (both ends inclusive).
        func isValid(at time: Int64) -> Bool {
            if let after = validAfter, time < after { return false }
            if let before = validBefore, time > before { return false }
            return true
        }

        func allows(namespace: String) -> Bool {
            namespaces.map { $0.contains { Wildcard.matches(namespace, pattern: $0) } } ?? true
        }
    }

    public var entries: [Entry]

    public init() { entries = [] }

    /// Parses file text. Blank lines and `#` comments are skipped (and not kept by `serialized()`).
    public init(parsing text: String) throws {
        entries = []
        // Split on scalars: as Characters, "\r\n" is one grapheme and would not split on "\n".
        for (index, rawLine) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if line.last == "\r" { line = line.dropLast() }
            if let entry = try AllowedSignersLine.parse(String(line), number: index + 1) {
                entries.append(entry)
            }
        }
    }

    public enum Lookup: Sendable, Equatable {
        /// Listed for the namespace and valid at the time; the principals it may sign as.
        case trusted(principals: [String])
        /// Listed for the namespace, but outside every entry's validity window.
        case notValidAt(principals: [String])
        /// Not listed, or not for this namespace.
        case unknown
    }

    public func lookup(key: SSHPublicKey, namespace: String, at time: Int64) -> Lookup {
        let listed = entries.filter { $0.key == key && $0.allows(namespace: namespace) }
        guard !listed.isEmpty else { return .unknown }
        let valid = listed.filter { $0.isValid(at: time) }
        return valid.isEmpty ? .notValidAt(principals: Self.union(listed)) : .trusted(principals: Self.union(valid))
    }

    /// Entries with a principal pattern matching `principal` (what `ssh-keygen -Y verify -I` consults).
    public func principals(matching principal: String) -> [Entry] {
        entries.filter { $0.principals.contains { Wildcard.matches(principal, pattern: $0) } }
    }

    /// Accepts principals that survive a round trip through an allowed-signers file unchanged.
    public static func validatePrincipal(_ p: String) throws {
        func reject(_ why: String) -> SigningError { .invalidPrincipal(p, reason: why) }
        if p.isEmpty { throw reject("it is empty") }
        if p.hasPrefix("#") { throw reject("it starts with #, which marks a comment") }
        if p.hasPrefix("!") { throw reject("it starts with !, which negates a pattern") }
        for scalar in p.unicodeScalars {
            switch scalar {
            case " ", "\t": throw reject("it contains whitespace")
            case "\n", "\r": throw reject("it contains a line break")
            case ",": throw reject("it contains a comma, which separates principals")
            case "\"", "'": throw reject("it contains a quote")
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f || scalar.properties.isWhitespace {
                    throw reject("it contains a control or whitespace character")
                }
            }
        }
    }

    /// Appends an entry for one principal; existing entries for the principal or key are kept as they are.
    public mutating func add(principal: String, key: SSHPublicKey, namespaces: [String]? = ["git"],
                             validAfter: Int64? = nil, validBefore: Int64? = nil, comment: String? = nil) throws {
        try Self.validatePrincipal(principal)
        for ns in namespaces ?? [] {
            if ns.isEmpty || ns.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0.value <= 0x20 || $0.value == 0x7f }) {
                throw SigningError.invalidEntry("namespace \"\(ns)\" must be non-empty, without commas, quotes, spaces or control characters (git uses \"git\")")
            }
        }
        // Times OpenSSH can read back: after 1970, before year 10000.
        let range: ClosedRange<Int64> = 1...253_402_300_799
        for t in [validAfter, validBefore].compactMap({ $0 }) where !range.contains(t) {
            throw SigningError.invalidEntry("time \(t) is outside 1970–9999; give seconds since 1970")
        }
        if let a = validAfter, let b = validBefore, b <= a {
            throw SigningError.invalidEntry("valid-before (\(SignerTime.format(b))) must be later than valid-after (\(SignerTime.format(a)))")
        }
        if let c = comment, c.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
            throw SigningError.invalidEntry("the comment must fit on one line")
        }
        entries.append(Entry(principals: [principal], namespaces: namespaces, validAfter: validAfter,
                             validBefore: validBefore, key: key, comment: comment, line: 0))
    }

    /// Removes `principal` (exact name, not pattern) from every entry; entries left without
    /// principals are dropped. Returns how many entries named it.
    @discardableResult
    public mutating func remove(principal: String) -> Int {
        var affected = 0
        var kept: [Entry] = []
        for var entry in entries {
            if entry.principals.contains(principal) {
                affected += 1
                entry.principals.removeAll { $0 == principal }
                if entry.principals.isEmpty { continue }
            }
            kept.append(entry)
        }
        entries = kept
        return affected
    }

    /// One line per entry: `principals [options] ssh-ed25519 BASE64 [comment]\n`. Options are
    /// always quoted because OpenSSH 9.2 refuses unquoted values ("missing start quote").
    public func serialized() -> String {
        var out = ""
        for entry in entries {
            var principals = entry.principals.joined(separator: ",")
            if principals.contains(where: { $0 == " " || $0 == "\t" }) { principals = "\"\(principals)\"" }
            var options: [String] = []
            if let ns = entry.namespaces { options.append("namespaces=\"\(ns.joined(separator: ","))\"") }
            if let a = entry.validAfter { options.append("valid-after=\"\(SignerTime.format(a))\"") }
            if let b = entry.validBefore { options.append("valid-before=\"\(SignerTime.format(b))\"") }
            var fields = [principals]
            if !options.isEmpty { fields.append(options.joined(separator: ",")) }
            fields.append(entry.key.openSSH)
            if let c = entry.comment, !c.isEmpty {
                fields.append(String(c.map { $0.isNewline ? " " : $0 }))
            }
            out += fields.joined(separator: " ") + "\n"
        }
        return out
    }

    private static func union(_ entries: [Entry]) -> [String] {
        var seen = Set<String>()
        return entries.flatMap(\.principals).filter { seen.insert($0).inserted }
    }
}

/// OpenSSH `match_pattern`: `*` matches any run of characters, `?` exactly one; case-sensitive.
enum Wildcard {
    static func matches(_ text: String, pattern: String) -> Bool {
        let t = Array(text.unicodeScalars), p = Array(pattern.unicodeScalars)
        var ti = 0, pi = 0
        var star: Int? = nil, resume = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti], p[pi] != "*" {
                ti += 1; pi += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; resume = ti; pi += 1
            } else if let s = star {
                pi = s + 1; resume += 1; ti = resume
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
