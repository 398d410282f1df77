import Foundation

/// Escaping for text that goes into the report. The report is written as polyglot markup: valid
/// HTML that is also well-formed XML, so the same escaping serves the HTML and the inline SVG.
enum Markup {
    /// Text content: `&`, `<`, `>` escaped; characters XML forbids (most C0 controls, U+FFFE,
    /// U+FFFF) replaced by U+FFFD so a hostile label cannot break the document.
    static func text(_ raw: String) -> String {
        var out = ""
        out.reserveCapacity(raw.utf8.count)
        for scalar in raw.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF || (0x7F...0x9F).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Attribute values (always written in double quotes): text escaping plus quotes, and
    /// whitespace as character references so it survives attribute normalisation.
    static func attribute(_ raw: String) -> String {
        var out = ""
        for scalar in text(raw).unicodeScalars {
            switch scalar {
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A fragment identifier made only of `[a-z0-9-]`, readable and safe in `href` and `id`.
    static func slug(_ raw: String) -> String {
        var out = ""
        var dash = false
        for scalar in raw.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar); dash = false
            } else if !dash, !out.isEmpty {
                out += "-"; dash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "node" : String(out.prefix(80))
    }
}

/// A minimal writer for the report's markup.
struct MarkupWriter {
    private(set) var output = ""

    init() { output.reserveCapacity(1 << 16) }

    mutating func raw(_ s: String) { output += s }
    mutating func text(_ s: String) { output += Markup.text(s) }
    mutating func line(_ s: String) { output += s; output += "\n" }

    /// `<name a="v" ...>` with escaped attribute values; nil values are left out.
    mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String?> = [:], selfClosing: Bool = false) {
        output += "<" + name
        for (key, value) in attributes {
            guard let value else { continue }
            output += " \(key)=\"\(Markup.attribute(value))\""
        }
        output += selfClosing ? "/>" : ">"
    }

    mutating func close(_ name: String) { output += "</\(name)>" }

    /// `<name ...>escaped text</name>`.
    mutating func element(_ name: String, _ attributes: KeyValuePairs<String, String?> = [:], text: String) {
        open(name, attributes); self.text(text); close(name)
    }
}
