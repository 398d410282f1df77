import Foundation

/// What a graph node shows in the drawing: a title line (the label, shortened to fit) and a
/// subtitle line (what kind of thing it is, and one telling fact). The layout sizes boxes from
/// these strings and the SVG renderer draws exactly them, so both agree on widths.
struct NodeText: Equatable, Sendable {
    /// The label as drawn, shortened in the middle when long (the end of a path is what people read).
    var title: String
    var subtitle: String
    /// The full label, for the tooltip.
    var full: String

    static let titleLimit = 38
    static let titleFontSize = 13.0
    static let subtitleFontSize = 11.0
    static let height = 44.0
    static let minWidth = 84.0
    static let maxWidth = 340.0
    static let padding = 28.0

    init(_ node: GraphNode) {
        let label = node.label.isEmpty ? node.id : node.label
        full = label
        title = NodeText.shorten(label, to: NodeText.titleLimit)
        subtitle = NodeText.subtitle(node)
    }

    /// Box width from the estimated text width of both lines.
    var width: Double {
        let text = max(NodeText.estimatedWidth(title, fontSize: NodeText.titleFontSize),
                       NodeText.estimatedWidth(subtitle, fontSize: NodeText.subtitleFontSize))
        return min(NodeText.maxWidth, max(NodeText.minWidth, (text + NodeText.padding).rounded(.up)))
    }

    static func subtitle(_ node: GraphNode) -> String {
        let a = node.attributes
        var parts: [String]
        switch node.kind {
        case .artifact:
            parts = [a["artifactKind"].flatMap { $0.isEmpty ? nil : $0 } ?? "artifact"]
            if let size = a["size"].flatMap(Int64.init) { parts.append(HumanUnits.bytes(size)) }
        case .run:
            parts = ["run"]
            if let status = a["exitStatus"], !status.isEmpty { parts.append("exit \(status)") }
        case .code:
            parts = ["code"]
            if let branch = a["branch"], !branch.isEmpty { parts.append(branch) }
        case .environment:
            parts = ["environment"]
            if let kernel = a["kernel"], !kernel.isEmpty { parts.append("kernel " + kernel) }
        case .signer:
            parts = ["signer"]
        }
        return shorten(parts.joined(separator: " · "), to: 44)
    }

    /// Keeps the head and the (longer) tail of a long string, joined by an ellipsis.
    static func shorten(_ text: String, to limit: Int) -> String {
        let characters = Array(text)
        guard characters.count > limit, limit > 4 else { return text }
        let head = (limit - 1) / 3
        let tail = limit - 1 - head
        return String(characters[..<head]) + "…" + String(characters[(characters.count - tail)...])
    }

    /// A font-independent estimate: average glyph advance of a sans-serif face, wide scripts double.
    static func estimatedWidth(_ text: String, fontSize: Double) -> Double {
        var ems = 0.0
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if scalar.properties.generalCategory == .nonspacingMark || v == 0x200D || (0xFE00...0xFE0F).contains(v) { continue }
            ems += isWide(v) ? 1.0 : (v == 0x20 ? 0.3 : 0.6)
        }
        return ems * fontSize
    }

    private static func isWide(_ v: UInt32) -> Bool {
        (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
    }
}

/// Numbers as people read them, independent of the locale of the machine that renders.
enum HumanUnits {
    /// `1.5 MiB`; exact below 1 KiB.
    static func bytes(_ count: Int64) -> String {
        if count < 1024 { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        let text = value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
        return "\(text) \(units[unit])"
    }

    /// `1,572,864`.
    static func grouped(_ count: Int64) -> String {
        let digits = String(count.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return count < 0 ? "-" + out : out
    }

    /// `12.3 s`, `4 min 05 s`, `2 h 03 min`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 0 { return "negative (\(String(format: "%.3f", seconds)) s)" }
        if seconds < 60 { return String(format: seconds < 10 ? "%.2f s" : "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, (whole % 3600) / 60)
    }

    /// SVG coordinates: at most one decimal, no trailing `.0`, never exponent notation.
    static func coordinate(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        let text = String(format: "%.1f", tenths / 10)
        if text.hasSuffix(".0") { return String(text.dropLast(2)) == "-0" ? "0" : String(text.dropLast(2)) }
        return text
    }
}
