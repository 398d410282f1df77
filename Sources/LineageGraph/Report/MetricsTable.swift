import Foundation
import LineageCore

/// A model card's metrics: the table of what the run that made this version measured, and a small
/// SVG chart of each numeric metric over every version of the model (oldest first, this one marked).
enum MetricsTable {
    /// `file:key` (just `key` when one file holds them all) → value, sorted, from a run's JSON attribute.
    static func values(_ json: String?) -> [(key: String, value: RecordValue)]? {
        guard let json, let files = try? CanonicalJSON.decode([String: RecordValues].self, from: Array(json.utf8)) else { return nil }
        return flatten(files)
    }

    static func flatten(_ files: [String: RecordValues]) -> [(key: String, value: RecordValue)] {
        let prefix = files.count > 1
        return files.keys.sorted().flatMap { file in
            files[file]!.sorted { $0.key < $1.key }.map { (prefix ? file + ":" + $0.key : $0.key, $0.value) }
        }
    }

    struct Point: Decodable { var run: String; var startedAt: String; var sha256: String; var metrics: [String: RecordValues] }

    static func write(_ w: inout MarkupWriter, metrics: String?, history: String?, version: String?) {
        guard let rows = values(metrics), !rows.isEmpty else { return }
        let points = history.flatMap { try? CanonicalJSON.decode([Point].self, from: Array($0.utf8)) } ?? []
        w.element("h4", text: "Metrics"); w.raw("\n")
        w.raw("<table class=\"data metrics\">\n<thead><tr><th>Metric</th><th>Value</th><th>Over the model's versions</th></tr></thead>\n<tbody>\n")
        for row in rows {
            w.raw("<tr>"); w.element("td", text: row.key); w.element("td", text: row.value.description)
            let series: [(value: Double, current: Bool, label: String)] = points.compactMap { p in
                guard let v = Dictionary(flatten(p.metrics), uniquingKeysWith: { a, _ in a })[row.key]?.number, v.isFinite else { return nil }
                return (v, p.sha256 == version, "\(p.startedAt) sha256:\(p.sha256.prefix(12)): \(RecordValue.format(v))")
            }
            w.raw("<td>" + (series.count > 1 ? chart(series, name: row.key) : "") + "</td></tr>\n")
        }
        w.raw("</tbody>\n</table>\n")
    }

    /// A 200×48 line chart with a dot per version (the current one filled), each titled with its value.
    static func chart(_ series: [(value: Double, current: Bool, label: String)], name: String) -> String {
        let width = 200.0, height = 48.0, pad = 5.0
        let lo = series.map(\.value).min()!, hi = series.map(\.value).max()!
        let span = hi - lo
        func x(_ i: Int) -> Double { pad + (width - 2 * pad) * Double(i) / Double(series.count - 1) }
        func y(_ v: Double) -> Double { span == 0 ? height / 2 : height - pad - (height - 2 * pad) * (v - lo) / span }
        func f(_ d: Double) -> String { String(format: "%.1f", d) }
        var svg = "<svg class=\"metric-chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
        svg += "<title>" + Markup.text("\(name) over \(series.count) versions, from \(RecordValue.format(series.first!.value)) to \(RecordValue.format(series.last!.value))") + "</title>"
        svg += "<polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" points=\""
            + series.enumerated().map { "\(f(x($0.offset))),\(f(y($0.element.value)))" }.joined(separator: " ") + "\"/>"
        for (i, p) in series.enumerated() {
            svg += "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(p.value)))\" r=\"\(p.current ? 4 : 2.5)\" fill=\"\(p.current ? "currentColor" : "white")\" stroke=\"currentColor\">"
                + "<title>" + Markup.text(p.label) + "</title></circle>"
        }
        return svg + "</svg>"
    }
}
