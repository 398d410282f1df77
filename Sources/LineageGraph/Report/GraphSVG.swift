import Foundation

/// Draws a laid-out lineage graph as an inline SVG element: one link per node to its card, one
/// path per route with an arrowhead at the earlier thing and the relation as a tooltip.
enum GraphSVG {
    static let namespace = "http://www.w3.org/2000/svg"
    /// Drawings up to this wide shrink to fit the page; wider ones keep their size and scroll.
    static let fitWidth = 1_800.0

    static func render(_ layout: LayeredLayout, index: ReportIndex) -> String {
        let graph = index.graph
        let c = HumanUnits.coordinate
        var w = MarkupWriter()
        let width = c(layout.width), height = c(layout.height)
        w.raw("<svg xmlns=\"\(namespace)\" class=\"lineage\(layout.width <= fitWidth ? " fit" : "")\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-labelledby=\"graph-title\">\n")
        w.element("title", ["id": "graph-title"], text: "Lineage graph: \(count(graph.nodes.count, "node")), \(count(graph.edges.count, "edge"))")
        w.raw("\n<defs>\n")
        let kinds = EdgeStyle.precedence.filter { kind in layout.routes.contains { EdgeStyle.main($0.kinds) == kind } }
        for kind in kinds { w.line(marker(kind)) }
        w.raw("</defs>\n<g class=\"edges\">\n")

        var labels: [String: String] = [:]
        for node in graph.nodes { labels[node.id] = node.label.isEmpty ? node.id : node.label }
        for route in layout.routes {
            let kind = EdgeStyle.main(route.kinds)
            let d = path(route.points)
            w.open("g", ["class": "edge e-\(Markup.slug(kind.rawValue))"])
            let relation = route.kinds.map(\.rawValue).joined(separator: ", ")
            w.element("title", text: "\(labels[route.from] ?? route.from) —\(relation)→ \(labels[route.to] ?? route.to)"
                      + (route.reversed ? " (drawn reversed: part of a cycle)" : ""))
            w.raw("<path class=\"hit\" d=\"\(d)\"/>")
            var line = "<path class=\"line\" d=\"\(d)\" fill=\"none\" stroke=\"\(EdgeStyle.colour(kind))\" stroke-width=\"1.4\""
            if let dash = EdgeStyle.dash(kind) { line += " stroke-dasharray=\"\(dash)\"" }
            line += " marker-end=\"url(#arrow-\(Markup.slug(kind.rawValue)))\"/>"
            w.raw(line)
            w.close("g")
            w.raw("\n")
        }
        w.raw("</g>\n<g class=\"nodes\">\n")

        let roots = Set(graph.roots)
        for (node, placed) in zip(graph.nodes, layout.nodes) {
            let style = NodeStyle(node)
            let text = NodeText(node)
            let isRoot = roots.contains(node.id)
            w.open("a", ["href": "#" + (index.anchor[node.id] ?? "")])
            w.open("g", ["class": "node \(style.cssClass)" + (isRoot ? " root" : ""), "id": "node-" + (index.anchor[node.id] ?? "")])
            w.element("title", text: text.full + "\n" + style.name + (isRoot ? " · subject of this report" : "") + "\n" + node.id)
            w.raw(style.outline(x: placed.x, y: placed.y, width: placed.width, height: placed.height, strokeWidth: isRoot ? 3 : 1.5))
            let mid = c(placed.x + placed.width / 2)
            let drop = style.shape == .house ? 5.0 : 0
            w.open("text", ["class": "label", "x": mid, "y": c(placed.y + 19 + drop), "text-anchor": "middle", "font-weight": isRoot ? "600" : nil])
            w.text(text.title)
            w.close("text")
            w.open("text", ["class": "sub", "x": mid, "y": c(placed.y + 35 + drop / 2), "text-anchor": "middle"])
            w.text(text.subtitle)
            w.close("text")
            w.close("g")
            w.close("a")
            w.raw("\n")
        }
        w.raw("</g>\n</svg>")
        return w.output
    }

    /// A legend of the node kinds and relations present, each with a small sample drawing.
    static func legend(_ layout: LayeredLayout, index: ReportIndex) -> String {
        let graph = index.graph
        var w = MarkupWriter()
        w.raw("<ul class=\"legend\" aria-label=\"Legend\">\n")
        let present = Set(graph.nodes.map(NodeStyle.init))
        for style in NodeStyle.allCases where present.contains(style) {
            w.raw("<li>")
            w.raw("<svg xmlns=\"\(namespace)\" width=\"30\" height=\"18\" viewBox=\"0 0 30 18\" aria-hidden=\"true\">")
            w.raw(style.outline(x: 1.5, y: 2, width: 27, height: 14, strokeWidth: 1.5))
            w.raw("</svg>")
            w.text(style.name)
            w.raw("</li>\n")
        }
        if graph.nodes.contains(where: { graph.roots.contains($0.id) }) {
            w.raw("<li><svg xmlns=\"\(namespace)\" width=\"30\" height=\"18\" viewBox=\"0 0 30 18\" aria-hidden=\"true\">")
            w.raw("<rect x=\"2\" y=\"2.5\" width=\"26\" height=\"13\" rx=\"6.5\" fill=\"#ffffff\" stroke=\"#1f2937\" stroke-width=\"3\"/></svg>")
            w.text("subject (bold outline)")
            w.raw("</li>\n")
        }
        let relations = EdgeStyle.precedence.filter { kind in layout.routes.contains { $0.kinds.contains(kind) } }
        for kind in relations {
            w.raw("<li><svg xmlns=\"\(namespace)\" width=\"38\" height=\"18\" viewBox=\"0 0 38 18\" aria-hidden=\"true\">")
            var line = "<path d=\"M36,9 L6,9\" fill=\"none\" stroke=\"\(EdgeStyle.colour(kind))\" stroke-width=\"1.4\""
            if let dash = EdgeStyle.dash(kind) { line += " stroke-dasharray=\"\(dash)\"" }
            w.raw(line + "/>")
            w.raw("<path d=\"M10,5 L2,9 L10,13 z\" fill=\"\(EdgeStyle.colour(kind))\"/></svg>")
            w.open("span", ["title": EdgeStyle.meaning(kind)])
            w.text(kind.rawValue)
            w.close("span")
            w.raw("</li>\n")
        }
        w.raw("</ul>")
        return w.output
    }

    private static func marker(_ kind: GraphEdge.Kind) -> String {
        "<marker id=\"arrow-\(Markup.slug(kind.rawValue))\" viewBox=\"0 0 10 10\" refX=\"9.5\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto\">"
            + "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"\(EdgeStyle.colour(kind))\"/></marker>"
    }

    /// Straight through virtual nodes, S-shaped (horizontal tangents) between layers.
    static func path(_ points: [LayeredLayout.Point]) -> String {
        let c = HumanUnits.coordinate
        guard let first = points.first else { return "" }
        var d = "M\(c(first.x)),\(c(first.y))"
        for (a, b) in zip(points, points.dropFirst()) {
            if a.y == b.y {
                d += " L\(c(b.x)),\(c(b.y))"
            } else {
                let mx = c((a.x + b.x) / 2)
                d += " C\(mx),\(c(a.y)) \(mx),\(c(b.y)) \(c(b.x)),\(c(b.y))"
            }
        }
        return d
    }

    static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }
}
