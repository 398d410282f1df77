import Foundation

/// Just enough XML for S3's answers and requests: find the elements of a name, take their text,
/// escape text. Works on UTF-8 bytes, so a key with combining characters next to a tag is
/// still found byte for byte (a `String` search would match whole grapheme clusters).
/// S3's documents have no CDATA, no comments inside the elements read here, and unprefixed names.
enum S3XML {
    /// The content of every element named `name`, in document order (elements of the same name
    /// nested in one another are not expected and are returned outermost only).
    static func elements(_ name: String, in bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        let open = Array("<\(name)".utf8)
        let close = Array("</\(name)>".utf8)
        var out: [ArraySlice<UInt8>] = []
        var i = bytes.startIndex
        while let start = find(open, in: bytes, from: i) {
            var j = start + open.count
            guard j < bytes.endIndex else { break }
            let next = bytes[j]
            // `<Name>`, `<Name attr="…">` or `<Name/>`; not `<NameLonger>`.
            guard next == UInt8(ascii: ">") || next == UInt8(ascii: "/") || next == UInt8(ascii: " ")
                || next == UInt8(ascii: "\t") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") else {
                i = j; continue
            }
            while j < bytes.endIndex, bytes[j] != UInt8(ascii: ">") { j += 1 }
            guard j < bytes.endIndex else { break }
            if bytes[j - 1] == UInt8(ascii: "/") {
                out.append(bytes[j..<j]); i = j + 1; continue
            }
            let contentStart = j + 1
            guard let end = find(close, in: bytes, from: contentStart) else { break }
            out.append(bytes[contentStart..<end])
            i = end + close.count
        }
        return out
    }

    static func elements(_ name: String, in bytes: [UInt8]) -> [ArraySlice<UInt8>] { elements(name, in: bytes[...]) }

    /// The unescaped text of the first element named `name`, or nil when there is none.
    static func text(_ name: String, in bytes: ArraySlice<UInt8>) -> String? {
        elements(name, in: bytes).first.map { unescape($0) }
    }

    static func text(_ name: String, in bytes: [UInt8]) -> String? { text(name, in: bytes[...]) }

    /// Replaces the five predefined entities and numeric character references.
    static func unescape(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            guard b == UInt8(ascii: "&"), let semi = bytes[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                out.append(b); i += 1; continue
            }
            let entity = String(decoding: bytes[(i + 1)..<semi], as: UTF8.self)
            var scalar: UnicodeScalar?
            switch entity {
            case "amp": scalar = "&"
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(UnicodeScalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst(1)).flatMap(UnicodeScalar.init)
                }
            }
            if let scalar {
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
                i = semi + 1
            } else {
                out.append(b); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, for element content.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.endIndex - start >= needle.count else { return nil }
        let first = needle[0]
        var i = start
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first {
                var k = 1
                while k < needle.count, haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
