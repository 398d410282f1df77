import Foundation

/// A left-to-right layered drawing of a lineage graph (Sugiyama style), computed in Swift so the
/// report needs no Graphviz.
///
/// Edges point from the later thing to the earlier one (PROV), so an edge `A → B` places `B` in a
/// layer left of `A`: inputs on the left, outputs on the right. Steps:
/// 1. cycles, which a lineage graph should not have, are broken by reversing DFS back edges;
/// 2. layers are longest paths from the earliest things, then nodes with nothing earlier are pulled
///    right next to the earliest thing that depends on them (a signer sits beside its run);
/// 3. an edge spanning several layers gets a virtual node in each layer it crosses;
/// 4. nodes are ordered within layers by barycenter sweeps, keeping the order with fewest crossings;
/// 5. y comes from aligning each node with its neighbours (order-preserving least squares), x from
///    the layer; widths come from the label.
///
/// Connected parts are laid out separately and stacked top to bottom, largest first. Equal input
/// gives an equal layout. Coordinates are in SVG user units, origin top-left.
public struct LayeredLayout: Sendable, Equatable {
    public struct Point: Sendable, Hashable {
        public let x: Double
        public let y: Double
        public init(x: Double, y: Double) { self.x = x; self.y = y }
    }

    /// A node's box: `x`, `y` are its top-left corner.
    public struct Placed: Sendable, Hashable {
        public let id: String
        /// Layer within the node's connected part; 0 is the earliest.
        public let layer: Int
        public let x: Double
        public let y: Double
        public let width: Double
        public let height: Double

        public var centerY: Double { y + height / 2 }
    }

    /// The drawn path of every edge between two nodes, from the `from` node's side to the `to` node's side.
    public struct Route: Sendable, Hashable {
        public let from: String
        public let to: String
        /// The relations this route draws (several kinds between the same two nodes share one route).
        public let kinds: [GraphEdge.Kind]
        /// Starts at `from`'s border, passes through one pair of points per virtual node (entering and
        /// leaving the layer it crosses), ends at `to`'s border.
        public let points: [Point]
        /// True if the edge was reversed to break a cycle, so it runs left to right.
        public let reversed: Bool
    }

    /// One per graph node, in the graph's order (sorted by id).
    public let nodes: [Placed]
    /// One per distinct ordered pair of nodes joined by an edge, sorted by (from, to).
    public let routes: [Route]
    public let width: Double
    public let height: Double
    /// Number of layers of the widest connected part.
    public let layerCount: Int

    public func placed(_ id: String) -> Placed? { nodes.first { $0.id == id } }

    // Spacing, in user units.
    static let margin = 24.0
    static let layerGap = 72.0
    static let nodeGap = 20.0
    static let virtualGap = 10.0
    static let componentGap = 44.0
    static let orderingPasses = 8
    static let alignmentPasses = 6

    public init(_ graph: LineageSubgraph) {
        let n = graph.nodes.count
        guard n > 0 else {
            nodes = []; routes = []; width = 0; height = 0; layerCount = 0
            return
        }
        let texts = graph.nodes.map(NodeText.init)
        let widths = texts.map(\.width)
        var index: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { index[node.id] = i }

        // Distinct (from, to) pairs with the kinds they carry; self-loops and dangling edges are not drawn.
        var pairIndex: [Pair: Int] = [:]
        var pairs: [Pair] = []
        var pairKinds: [[GraphEdge.Kind]] = []
        for edge in graph.edges {
            guard let u = index[edge.from], let v = index[edge.to], u != v else { continue }
            let pair = Pair(u: u, v: v)
            if let p = pairIndex[pair] {
                if !pairKinds[p].contains(edge.kind) { pairKinds[p].append(edge.kind) }
            } else {
                pairIndex[pair] = pairs.count; pairs.append(pair); pairKinds.append([edge.kind])
            }
        }
        let order = pairs.indices.sorted { (pairs[$0].u, pairs[$0].v) < (pairs[$1].u, pairs[$1].v) }
        pairs = order.map { pairs[$0] }
        pairKinds = order.map { pairKinds[$0] }

        let reversed = LayeredLayout.backEdges(n: n, pairs: pairs)
        // Layering edges: `hi` is later (right), `lo` earlier (left).
        let hiLo = pairs.indices.map { reversed[$0] ? (pairs[$0].v, pairs[$0].u) : (pairs[$0].u, pairs[$0].v) }
        let layer = LayeredLayout.layers(n: n, hiLo: hiLo)

        // Connected parts, largest first, then by smallest id.
        var components = LayeredLayout.components(n: n, pairs: pairs)
        components.sort { ($0.count, $1[0]) > ($1.count, $0[0]) }
        var componentOf = [Int](repeating: 0, count: n)
        for (c, members) in components.enumerated() { for m in members { componentOf[m] = c } }
        var pairsOf = [[Int]](repeating: [], count: components.count)
        for p in pairs.indices { pairsOf[componentOf[pairs[p].u]].append(p) }

        // Each part: normalised layers, virtual nodes, order, vertical positions.
        var dummyBudget = max(20_000, 20 * n)
        var parts: [PartLayout] = []
        var localLayer = [Int](repeating: 0, count: n)
        for (c, members) in components.enumerated() {
            let base = members.map { layer[$0] }.min() ?? 0
            for m in members { localLayer[m] = layer[m] - base }
            let part = PartLayout(members: members, pairs: pairsOf[c], hiLo: hiLo, layer: localLayer,
                                  height: NodeText.height, dummyBudget: &dummyBudget)
            parts.append(part)
        }

        // Columns shared by all parts: layer L starts at columnX[L] and is columnWidth[L] wide.
        let layers = (parts.map(\.layerCount).max() ?? 1)
        var columnWidth = [Double](repeating: 0, count: layers)
        for i in 0..<n { columnWidth[localLayer[i]] = max(columnWidth[localLayer[i]], widths[i]) }
        for l in 0..<layers where columnWidth[l] == 0 { columnWidth[l] = 40 }
        var columnX = [Double](repeating: LayeredLayout.margin, count: layers)
        for l in 1..<max(layers, 1) { columnX[l] = columnX[l - 1] + columnWidth[l - 1] + LayeredLayout.layerGap }

        var placed = [Placed?](repeating: nil, count: n)
        var top = LayeredLayout.margin
        var dummyY: [Int: [Double]] = [:]  // pair → centre y of its virtual nodes, `hi` side first
        for part in parts {
            let shift = top - part.top
            for (v, real) in part.real.enumerated() {
                guard let i = real else { continue }
                let w = widths[i]
                let l = localLayer[i]
                placed[i] = Placed(id: graph.nodes[i].id, layer: l, x: columnX[l] + (columnWidth[l] - w) / 2,
                                   y: part.center[v] + shift - NodeText.height / 2, width: w, height: NodeText.height)
            }
            for (p, chain) in part.chains { dummyY[p] = chain.map { part.center[$0] + shift } }
            top += part.bottom - part.top + LayeredLayout.componentGap
        }
        let nodes = placed.map { $0! }

        var routes: [Route] = []
        routes.reserveCapacity(pairs.count)
        for (p, pair) in pairs.enumerated() {
            let a = nodes[pair.u], b = nodes[pair.v]
            var points: [Point] = []
            let ys = dummyY[p] ?? []
            if !reversed[p] {
                // Right to left: leave `a` on its left side, enter `b` on its right side.
                points.append(Point(x: a.x, y: a.centerY))
                for (k, y) in ys.enumerated() {
                    let l = a.layer - 1 - k
                    points.append(Point(x: columnX[l] + columnWidth[l], y: y))
                    points.append(Point(x: columnX[l], y: y))
                }
                points.append(Point(x: b.x + b.width, y: b.centerY))
            } else {
                // A reversed edge: `a` is left of `b`; the chain was built from `b` (hi) down to `a`.
                points.append(Point(x: a.x + a.width, y: a.centerY))
                for (k, y) in ys.reversed().enumerated() {
                    let l = a.layer + 1 + k
                    points.append(Point(x: columnX[l], y: y))
                    points.append(Point(x: columnX[l] + columnWidth[l], y: y))
                }
                points.append(Point(x: b.x, y: b.centerY))
            }
            routes.append(Route(from: a.id, to: b.id, kinds: pairKinds[p], points: points, reversed: reversed[p]))
        }

        self.nodes = nodes
        self.routes = routes
        self.layerCount = layers
        self.width = columnX[layers - 1] + columnWidth[layers - 1] + LayeredLayout.margin
        self.height = top - LayeredLayout.componentGap + LayeredLayout.margin
    }

    struct Pair: Hashable { var u: Int; var v: Int }

    /// Edges that close a cycle, found by an iterative depth-first search in index order.
    static func backEdges(n: Int, pairs: [Pair]) -> [Bool] {
        var out = [[(to: Int, pair: Int)]](repeating: [], count: n)
        for (p, pair) in pairs.enumerated() { out[pair.u].append((pair.v, p)) }
        var state = [UInt8](repeating: 0, count: n)  // 0 new, 1 on stack, 2 done
        var back = [Bool](repeating: false, count: pairs.count)
        var stack: [(node: Int, next: Int)] = []
        for root in 0..<n where state[root] == 0 {
            state[root] = 1
            stack.append((root, 0))
            while let top = stack.last {
                if top.next < out[top.node].count {
                    stack[stack.count - 1].next += 1
                    let (to, p) = out[top.node][top.next]
                    switch state[to] {
                    case 0: state[to] = 1; stack.append((to, 0))
                    case 1: back[p] = true
                    default: break
                    }
                } else {
                    state[top.node] = 2
                    stack.removeLast()
                }
            }
        }
        return back
    }

    /// Longest path from the earliest nodes, then nodes with nothing earlier moved up to one layer
    /// before the earliest node that depends on them.
    static func layers(n: Int, hiLo: [(Int, Int)]) -> [Int] {
        var later = [[Int]](repeating: [], count: n)
        var earlierCount = [Int](repeating: 0, count: n)
        for (hi, lo) in hiLo { later[lo].append(hi); earlierCount[hi] += 1 }
        var layer = [Int](repeating: 0, count: n)
        var remaining = earlierCount
        var queue = (0..<n).filter { earlierCount[$0] == 0 }
        var head = 0
        while head < queue.count {
            let x = queue[head]; head += 1
            for hi in later[x] {
                layer[hi] = max(layer[hi], layer[x] + 1)
                remaining[hi] -= 1
                if remaining[hi] == 0 { queue.append(hi) }
            }
        }
        for x in 0..<n where earlierCount[x] == 0 && !later[x].isEmpty {
            layer[x] = later[x].map { layer[$0] }.min()! - 1
        }
        return layer
    }

    /// Connected parts (ignoring direction), each sorted by node index.
    static func components(n: Int, pairs: [Pair]) -> [[Int]] {
        var parent = Array(0..<n)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for pair in pairs {
            let a = find(pair.u), b = find(pair.v)
            if a != b { parent[max(a, b)] = min(a, b) }
        }
        var byRoot: [Int: Int] = [:]
        var parts: [[Int]] = []
        for x in 0..<n {
            let r = find(x)
            if let k = byRoot[r] { parts[k].append(x) } else { byRoot[r] = parts.count; parts.append([x]) }
        }
        return parts
    }
}

/// The layered graph of one connected part: real and virtual vertices, their order, their centres.
struct PartLayout {
    /// Vertex → real node index, nil for a virtual node.
    var real: [Int?] = []
    var layerOf: [Int] = []
    var left: [[Int]] = []
    var right: [[Int]] = []
    var height: [Double] = []
    var layers: [[Int]] = []
    var center: [Double] = []
    /// Pair index → its virtual vertices, from the `hi` end to the `lo` end.
    var chains: [(Int, [Int])] = []
    var top = 0.0
    var bottom = 0.0
    var layerCount: Int { layers.count }

    init(members: [Int], pairs: [Int], hiLo: [(Int, Int)], layer: [Int], height nodeHeight: Double, dummyBudget: inout Int) {
        var vertexOf: [Int: Int] = [:]
        for m in members {
            vertexOf[m] = real.count
            real.append(m); layerOf.append(layer[m]); height.append(nodeHeight)
        }
        let count = (members.map { layer[$0] }.max() ?? 0) + 1
        left = Array(repeating: [], count: real.count)
        right = Array(repeating: [], count: real.count)

        func link(_ a: Int, _ b: Int) {  // a is one layer right of b
            left[a].append(b); right[b].append(a)
        }
        for p in pairs {
            let (hi, lo) = hiLo[p]
            let vh = vertexOf[hi]!, vl = vertexOf[lo]!
            let span = layer[hi] - layer[lo]
            if span <= 1 || span - 1 > dummyBudget {
                // Adjacent layers, or too many virtual nodes already: a direct route (it may cross nodes).
                if span == 1 { link(vh, vl) }
                continue
            }
            dummyBudget -= span - 1
            var previous = vh
            var chain: [Int] = []
            for l in stride(from: layer[hi] - 1, to: layer[lo], by: -1) {
                let d = real.count
                real.append(nil); layerOf.append(l); height.append(0)
                left.append([]); right.append([])
                link(previous, d)
                chain.append(d)
                previous = d
            }
            link(previous, vl)
            chains.append((p, chain))
        }

        layers = Array(repeating: [], count: count)
        for v in real.indices { layers[layerOf[v]].append(v) }
        order()
        place()
    }

    // MARK: Ordering

    private mutating func order() {
        var position = [Int](repeating: 0, count: real.count)
        func renumber() { for layer in layers { for (i, v) in layer.enumerated() { position[v] = i } } }
        renumber()
        var best = layers
        var bestCrossings = crossings(position)
        var stale = 0
        for pass in 0..<LayeredLayout.orderingPasses where bestCrossings > 0 {
            let downward = pass % 2 == 0
            let sequence = downward ? Array(1..<max(layers.count, 1)) : Array((0..<max(layers.count - 1, 0)).reversed())
            for l in sequence {
                let keys = layers[l].map { v -> (Double, Int) in
                    let neighbours = downward ? left[v] : right[v]
                    guard !neighbours.isEmpty else { return (Double(position[v]), position[v]) }
                    return (Double(neighbours.reduce(0) { $0 + position[$1] }) / Double(neighbours.count), position[v])
                }
                let sorted = layers[l].indices.sorted { keys[$0] < keys[$1] }
                layers[l] = sorted.map { layers[l][$0] }
                for (i, v) in layers[l].enumerated() { position[v] = i }
            }
            let c = crossings(position)
            if c < bestCrossings { best = layers; bestCrossings = c; stale = 0 } else {
                stale += 1
                if stale >= 3 { break }
            }
        }
        layers = best
    }

    /// Edge crossings between adjacent layers, counted as inversions with a Fenwick tree.
    private func crossings(_ position: [Int]) -> Int {
        var total = 0
        for l in 0..<max(layers.count - 1, 0) {
            var segments: [(Int, Int)] = []
            for v in layers[l] { for w in right[v] { segments.append((position[v], position[w])) } }
            segments.sort { $0 < $1 }
            let size = layers[l + 1].count
            var tree = [Int](repeating: 0, count: size + 1)
            var inserted = 0
            for (_, b) in segments {
                var i = b + 1, atMost = 0
                while i > 0 { atMost += tree[i]; i -= i & -i }
                total += inserted - atMost
                i = b + 1
                while i <= size { tree[i] += 1; i += i & -i }
                inserted += 1
            }
        }
        return total
    }

    // MARK: Vertical placement

    private mutating func place() {
        center = Array(repeating: 0, count: real.count)
        for layer in layers {
            var y = 0.0
            for (i, v) in layer.enumerated() {
                if i > 0 { y += separation(layer[i - 1], v) }
                center[v] = y
            }
        }
        for pass in 0..<LayeredLayout.alignmentPasses {
            let last = pass == LayeredLayout.alignmentPasses - 1
            if last {
                for l in layers.indices { align(l, useLeft: true, useRight: true) }
            } else if pass % 2 == 0 {
                for l in layers.indices { align(l, useLeft: true, useRight: false) }
            } else {
                for l in layers.indices.reversed() { align(l, useLeft: false, useRight: true) }
            }
        }
        top = real.indices.map { center[$0] - height[$0] / 2 }.min() ?? 0
        bottom = real.indices.map { center[$0] + height[$0] / 2 }.max() ?? 0
    }

    private func separation(_ a: Int, _ b: Int) -> Double {
        let gap = real[a] != nil && real[b] != nil ? LayeredLayout.nodeGap : LayeredLayout.virtualGap
        return (height[a] + height[b]) / 2 + gap
    }

    /// Moves the layer's vertices as close as their order and spacing allow to the mean centre of
    /// their neighbours: weighted isotonic regression (pool adjacent violators) on offset targets.
    private mutating func align(_ l: Int, useLeft: Bool, useRight: Bool) {
        let layer = layers[l]
        guard !layer.isEmpty else { return }
        var offset = [Double](repeating: 0, count: layer.count)
        for i in 1..<layer.count { offset[i] = offset[i - 1] + separation(layer[i - 1], layer[i]) }
        var blocks: [(weight: Double, sum: Double, count: Int)] = []
        for (i, v) in layer.enumerated() {
            var neighbours: [Int] = []
            if useLeft { neighbours += left[v] }
            if useRight { neighbours += right[v] }
            let desired: Double, weight: Double
            if neighbours.isEmpty {
                desired = center[v]; weight = 0.25
            } else {
                desired = neighbours.reduce(0) { $0 + center[$1] } / Double(neighbours.count)
                weight = real[v] == nil ? 2 : 1
            }
            blocks.append((weight, weight * (desired - offset[i]), 1))
            while blocks.count > 1 {
                let b = blocks[blocks.count - 1], a = blocks[blocks.count - 2]
                guard a.sum / a.weight > b.sum / b.weight else { break }
                blocks.removeLast(2)
                blocks.append((a.weight + b.weight, a.sum + b.sum, a.count + b.count))
            }
        }
        var i = 0
        for block in blocks {
            let value = block.sum / block.weight
            for _ in 0..<block.count { center[layer[i]] = value + offset[i]; i += 1 }
        }
    }
}
