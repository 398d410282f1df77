/// Parses one line of an allowed-signers file:
/// `principals [options] keytype base64 [comment]`, following OpenSSH's `sshsig.c`.
struct AllowedSignersLine {
    private let bytes: [UInt8]
    private let number: Int
    private let text: String
    private var pos = 0

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), equals = UInt8(ascii: "=")

    /// The entry on the line, nil for a blank or comment line.
    static func parse(_ text: String, number: Int) throws -> AllowedSigners.Entry? {
        var p = AllowedSignersLine(bytes: Array(text.utf8), number: number, text: text)
        return try p.entry()
    }

    private init(bytes: [UInt8], number: Int, text: String) {
        self.bytes = bytes
        self.number = number
        self.text = text
    }

    private func fail(_ reason: String) -> SigningError {
        .allowedSigners(line: number, content: text, reason: reason)
    }

    private mutating func entry() throws -> AllowedSigners.Entry? {
        skipBlanks()
        guard pos < bytes.count, bytes[pos] != UInt8(ascii: "#") else { return nil }

        let principalField = try token(allowQuoted: true)
        let principals = principalField.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !principals.contains(where: \.isEmpty) else { throw fail("empty principal in \"\(principalField)\"") }

        skipBlanks()
        guard pos < bytes.count else { throw fail("missing key after the principals") }
        var options = Options()
        if !KeyTypeName.looksLikeKeyType(peekWord()) {
            options = try parseOptions(try optionField())
            skipBlanks()
            guard pos < bytes.count else { throw fail("missing key after the options") }
        }

        let type = try token(allowQuoted: false)
        guard SSHPublicKey.Algorithm(rawValue: type) != nil else {
            if KeyTypeName.looksLikeKeyType(type) {
                throw fail("\(SigningError.unsupportedKeyType(found: type, path: nil))")
            }
            throw fail("expected a key type such as ssh-ed25519, found \"\(type)\"")
        }
        skipBlanks()
        guard pos < bytes.count else { throw fail("missing base64 key after \(type)") }
        let encoded = try token(allowQuoted: false)
        guard let wire = Base64.decode(encoded) else { throw fail("the key is not valid base64") }
        let key: SSHPublicKey
        do {
            key = try SSHPublicKey(wire: wire)
        } catch let error as SigningError {
            if case .weakKey = error { throw fail("\(error)") }
            throw fail("the base64 key is not an \(type) public key")
        }
        guard key.algorithm.rawValue == type else { throw fail("the base64 key is not an \(type) public key") }
        skipBlanks()
        let rest = String(decoding: bytes[pos...], as: UTF8.self)
        let comment = rest.isEmpty ? nil : String(rest.reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())

        return AllowedSigners.Entry(principals: principals, namespaces: options.namespaces,
                                    validAfter: options.validAfter, validBefore: options.validBefore,
                                    key: key, comment: comment, line: number)
    }

    private struct Options {
        var namespaces: [String]?
        var validAfter: Int64?
        var validBefore: Int64?
    }

    private mutating func skipBlanks() {
        while pos < bytes.count, bytes[pos] == Self.space || bytes[pos] == Self.tab { pos += 1 }
    }

    private func peekWord() -> String {
        var end = pos
        while end < bytes.count, bytes[end] != Self.space, bytes[end] != Self.tab { end += 1 }
        return String(decoding: bytes[pos..<end], as: UTF8.self)
    }

    /// A whitespace-delimited word, or (when allowed) a double-quoted string that may hold blanks.
    private mutating func token(allowQuoted: Bool) throws -> String {
        if allowQuoted, pos < bytes.count, bytes[pos] == Self.quote {
            guard let close = bytes[(pos + 1)...].firstIndex(of: Self.quote) else {
                throw fail("unterminated quote")
            }
            defer { pos = close + 1 }
            return String(decoding: bytes[(pos + 1)..<close], as: UTF8.self)
        }
        let word = peekWord()
        pos += word.utf8.count
        return word
    }

    /// The options field: runs to the first blank outside double quotes.
    private mutating func optionField() throws -> [UInt8] {
        let start = pos
        var quoted = false
        while pos < bytes.count {
            let b = bytes[pos]
            if b == Self.quote { quoted.toggle() } else if !quoted, b == Self.space || b == Self.tab { break }
            pos += 1
        }
        if quoted { throw fail("unterminated quote in the options") }
        return Array(bytes[start..<pos])
    }

    /// `name[=value]` pairs separated by commas; values quoted or not.
    private func parseOptions(_ field: [UInt8]) throws -> Options {
        var options = Options()
        var i = 0
        var seen = Set<String>()
        while i < field.count {
            let nameStart = i
            while i < field.count, field[i] != Self.equals, field[i] != Self.comma { i += 1 }
            let name = String(decoding: field[nameStart..<i], as: UTF8.self).lowercased()
            var value: String?
            if i < field.count, field[i] == Self.equals {
                i += 1
                if i < field.count, field[i] == Self.quote {
                    guard let close = field[(i + 1)...].firstIndex(of: Self.quote) else { throw fail("unterminated quote in option \(name)") }
                    value = String(decoding: field[(i + 1)..<close], as: UTF8.self)
                    i = close + 1
                } else {
                    let valueStart = i
                    while i < field.count, field[i] != Self.comma { i += 1 }
                    value = String(decoding: field[valueStart..<i], as: UTF8.self)
                }
            }
            if i < field.count {
                guard field[i] == Self.comma else { throw fail("expected a comma after option \(name)") }
                i += 1
                guard i < field.count else { throw fail("the options end with a comma") }
            }
            guard seen.insert(name).inserted else { throw fail("option \(name) is given twice") }

            switch name {
            case "namespaces":
                guard let v = value else { throw fail("namespaces needs a value, e.g. namespaces=\"git\"") }
                options.namespaces = v.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
            case "valid-after", "valid-before":
                guard let v = value, let t = SignerTime.parse(v) else {
                    throw fail("\(name) needs a time YYYYMMDD[HHMM[SS]] optionally followed by Z for UTC, e.g. \(name)=\"20240101Z\"")
                }
                if name == "valid-after" { options.validAfter = t } else { options.validBefore = t }
            case "cert-authority":
                throw fail("cert-authority (certificate-authority keys) is not supported; list each signer's own key instead")
            case "":
                throw fail("empty option")
            default:
                throw fail("unknown option \"\(name)\" (supported: namespaces, valid-after, valid-before)")
            }
        }
        if let a = options.validAfter, let b = options.validBefore, b <= a {
            throw fail("valid-before is not later than valid-after")
        }
        return options
    }
}
