import Foundation
import GRDB
import GRDBSQLite

/// The work of `LineageIndex.subgraph`: walks the run edges level by level, then makes the answer.
///
/// The walk carries integers only (artifact row ids, run numbers) and asks SQLite for many keys
/// per statement (`BatchedRows`); each artifact and each run is looked up once. Every node reached
/// gets a small integer handle; edges are made as handles, ordered with a counting sort on the node
/// order, and turned into `GraphEdge`s (string ids) once, at the end. Text read from SQLite that
/// repeats from row to row (a signer, a commit, a media type) is made into a `String` once and shared.
struct SubgraphBuilder {
    let direction: LineageSubgraph.Direction

    /// Artifact versions reached: row id → slot (in the order found), and slot → row id.
    private var artifactSlot: [Int64: Int32] = [:]
    private var artifactRowIDs: [Int64] = []
    /// Runs reached: number (`run.n`) → slot (in the order found); `runs[slot]` and `runNodes[slot]` once read.
    private var runSlot: [Int64: Int32] = [:]
    private var runs: [RunLinks] = []
    private var runNodes: [GraphNode] = []
    /// Each run's artifacts on the far side of the walk (inputs upstream, outputs downstream), as
    /// row ids; `RunLinks.far` indexes this.
    private var far: [Int64] = []
    /// (artifact, run) for each artifact of the subgraph and each run next to it on the near side
    /// (that generated it upstream, that used it downstream): every artifact is looked up once,
    /// so this is each run's near side within the subgraph, with no second lookup per run.
    private var near: [(artifact: Int64, run: Int32)] = []
    /// The code, environment and signer nodes, each made from the run with the smallest id that names it.
    private var shared: [SharedNode] = []
    private var sharedSlot: [SharedKey: Int32] = [:]
    private var lastShared: [(key: SharedKey, slot: Int32)?] = [nil, nil, nil]
    private var text = TextColumns()

    init(direction: LineageSubgraph.Direction) { self.direction = direction }

    /// What the edges of a run need, once the walk is over.
    private struct RunLinks {
        var far: Range<Int> = 0..<0
        var signer: Int32 = -1
        var code: Int32 = -1        // -1: the run recorded no code version
        var environment: Int32 = -1
    }

    /// What names a shared node: the parts of its id (a code node's id is `code:<commit>`, with
    /// `+<12 hex of the diff>` or `+dirty` when the tree was dirty).
    private enum SharedKey: Hashable {
        case signer(String), code(String, dirty: String?), environment(String)
    }

    private struct SharedNode {
        var holder: String    // the id of the run the node was made from
        var node: GraphNode
    }

    // MARK: walk

    /// Adds the artifact versions reachable from `roots` and the runs between them, to `depth` run hops.
    mutating func walk(_ db: Database, roots: [Int64], depth: Int?) throws {
        let upstream = direction == .upstream
        var step = BatchedRows(db) { keys in
            upstream ? "SELECT artifact, run FROM run_output WHERE artifact IN (\(keys))" : "SELECT artifact, run FROM run_input WHERE artifact IN (\(keys))"
        }
        // Each run comes with the artifacts on its far side as a list of ids (group_concat).
        var runRows = BatchedRows(db) { keys in """
            SELECT n, id, commit_id, name, started, ended, exit_status, argv, cwd, principal, fingerprint,
                   code_commit, code_remote, code_branch, code_dirty, code_diff, env_digest, env_os, env_kernel, env_arch,
                   (SELECT group_concat(artifact) FROM \(upstream ? "run_input" : "run_output") WHERE run = r.n)
            FROM run r WHERE n IN (\(keys))
            """
        }
        var frontier: [Int64] = []
        for r in roots where addArtifact(r) { frontier.append(r) }
        var hops = 0
        // Level by level: the runs next to the frontier, then the new ones' rows, whose far side
        // is the next frontier.
        while !frontier.isEmpty, depth.map({ hops < $0 }) ?? true {
            hops += 1
            var newRuns: [Int64] = []
            let first = runs.count
            try step.forEach(frontier) { r in
                let n = r.int64(1)
                let slot: Int32
                if let known = runSlot[n] { slot = known } else {
                    slot = Int32(runs.count)
                    runSlot[n] = slot
                    runs.append(RunLinks())
                    runNodes.append(Self.placeholder)
                    newRuns.append(n)
                }
                near.append((r.int64(0), slot))
            }
            var read = 0
            try runRows.forEach(newRuns) { try readRun($0); read += 1 }
            guard read == newRuns.count else {
                throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "a run linked to artifact versions has no row")
            }
            var next: [Int64] = []
            for slot in first..<runs.count {
                for a in far[runs[slot].far] where addArtifact(a) { next.append(a) }
            }
            frontier = next
        }
        // Stopped by `depth`: the last artifacts found were not looked up; their near side within
        // the subgraph (runs already found) still makes edges.
        if !frontier.isEmpty {
            try step.forEach(frontier) { r in
                if let slot = runSlot[r.int64(1)] { near.append((r.int64(0), slot)) }
            }
        }
    }

    private static let placeholder = GraphNode(id: "", kind: .run, label: "")

    private mutating func addArtifact(_ id: Int64) -> Bool {
        guard artifactSlot[id] == nil else { return false }
        artifactSlot[id] = Int32(artifactRowIDs.count)
        artifactRowIDs.append(id)
        return true
    }

    /// A run's node, its far side (artifact row ids) and what else it links to, from its row.
    private mutating func readRun(_ row: RawRow) throws {
        guard let slot = runSlot[row.int64(0)].map(Int.init) else { return }
        // Columns from 1: id, commit_id, name, started, ended, exit_status, argv, cwd, principal,
        // fingerprint, code_commit, code_remote, code_branch, code_dirty, code_diff, env_digest,
        // env_os, env_kernel, env_arch, far side.
        let runID = row.string(1)
        let name = text.name.string(row.bytes(3))
        runNodes[slot] = GraphNode(id: "run:" + runID, kind: .run, label: name, attributes: Self.runAttributes.make { i in
            switch i {
            case 0: return name
            case 1: return text.time.string(row.bytes(4))
            case 2: return text.time.string(row.bytes(5))
            case 3: return String(row.int64(6))
            case 4: return text.commit.string(row.bytes(2))
            case 5: return text.argv.string(row.bytes(7))
            default: return text.cwd.string(row.bytes(8))
            }
        })
        let farStart = far.count
        row.appendIDs(20, to: &far)
        runs[slot].far = farStart..<far.count
        let principal = text.principal.string(row.bytes(9)), fingerprint = text.fingerprint.string(row.bytes(10))
        runs[slot].signer = sharedNode(.signer(fingerprint), run: runID) {
            GraphNode(id: "signer:" + fingerprint, kind: .signer, label: principal, attributes: ["principal": principal, "fingerprint": fingerprint])
        }
        if !row.isNull(11) {
            let commit = text.codeCommit.string(row.bytes(11))
            let dirty = !row.isNull(14) && row.int64(14) == 1
            let diff = row.isNull(15) ? nil : text.diff.string(row.bytes(15))
            let remote = row.isNull(12) ? nil : text.remote.string(row.bytes(12))
            let branch = row.isNull(13) ? nil : text.branch.string(row.bytes(13))
            let suffix = dirty ? diff.map { String($0.prefix(12)) } ?? "dirty" : nil
            runs[slot].code = sharedNode(.code(commit, dirty: suffix), run: runID) {
                let codeID = "code:" + commit + (suffix.map { "+" + $0 } ?? "")
                var a = ["commit": commit, "dirty": String(dirty)]
                if let remote { a["remoteURL"] = remote }
                if let branch { a["branch"] = branch }
                if let diff { a["diffSHA256"] = diff }
                return GraphNode(id: codeID, kind: .code, label: String(commit.prefix(12)) + (dirty ? " (dirty)" : ""), attributes: a)
            }
        }
        let envDigest = text.environment.string(row.bytes(16))
        let os = text.os.string(row.bytes(17)), kernel = text.kernel.string(row.bytes(18)), arch = text.arch.string(row.bytes(19))
        runs[slot].environment = sharedNode(.environment(envDigest), run: runID) {
            GraphNode(id: "environment:" + envDigest, kind: .environment, label: "\(os) \(arch)", attributes: ["os": os, "kernel": kernel, "architecture": arch])
        }
    }

    static let runAttributes = AttributeTemplate(["name", "startedAt", "endedAt", "exitStatus", "commit", "argv", "workingDirectory"])
    static let artifactAttributes = AttributeTemplate(["path", "sha256", "size", "artifactKind", "mediaType", "commit"])

    /// The slot of the shared node `key`; its content is the one the run with the smallest id makes
    /// (so the answer does not depend on the order runs are read in).
    private mutating func sharedNode(_ key: SharedKey, run: String, _ make: () -> GraphNode) -> Int32 {
        // Runs read one after another mostly name the same ones, with the very same (shared)
        // strings, so comparing with the last key is cheaper than hashing it.
        let cache: Int
        switch key { case .signer: cache = 0; case .code: cache = 1; case .environment: cache = 2 }
        if let last = lastShared[cache], last.key == key {
            if run < shared[Int(last.slot)].holder { updateHolder(last.slot, run: run, make) }
            return last.slot
        }
        let slot = sharedSlotSlow(key, run: run, make)
        lastShared[cache] = (key, slot)
        return slot
    }

    private mutating func updateHolder(_ slot: Int32, run: String, _ make: () -> GraphNode) {
        let node = make()
        if node != shared[Int(slot)].node { shared[Int(slot)] = SharedNode(holder: run, node: node) }
        else { shared[Int(slot)].holder = run }
    }

    private mutating func sharedSlotSlow(_ key: SharedKey, run: String, _ make: () -> GraphNode) -> Int32 {
        if let slot = sharedSlot[key] {
            if run < shared[Int(slot)].holder { updateHolder(slot, run: run, make) }
            return slot
        }
        let slot = Int32(shared.count)
        shared.append(SharedNode(holder: run, node: make()))
        sharedSlot[key] = slot
        return slot
    }

    // MARK: build

    /// The subgraph: nodes sorted by id, edges sorted by (from, kind, to) without duplicates.
    mutating func build(_ db: Database, roots: [Int64], lap: (String) -> Void) throws -> LineageSubgraph {
        // Nodes: runs (handle = slot), then artifacts, read in row id order, then shared nodes.
        var nodes = runNodes
        runNodes = []
        let runCount = nodes.count
        var artifactNode = [Int32](repeating: -1, count: artifactRowIDs.count)
        nodes.reserveCapacity(runCount + artifactRowIDs.count + shared.count)
        var artifactRows = BatchedRows(db) { keys in
            "SELECT id, path, sha256, size, kind, media_type, first_commit FROM artifact WHERE id IN (\(keys))"
        }
        try artifactRows.forEach(artifactRowIDs.sorted()) { r in
            guard let slot = artifactSlot[r.int64(0)] else { return }
            let pathBytes = r.bytes(1), shaBytes = r.bytes(2)
            let path = String(decoding: pathBytes, as: UTF8.self), sha256 = String(decoding: shaBytes, as: UTF8.self)
            let id = Self.artifactID(pathBytes, shaBytes)
            artifactNode[Int(slot)] = Int32(nodes.count)
            nodes.append(GraphNode(id: id, kind: .artifact, label: path, attributes: Self.artifactAttributes.make { i in
                switch i {
                case 0: return path
                case 1: return sha256
                case 2: return String(r.int64(3))
                case 3: return text.artifactKind.string(r.bytes(4))
                case 4: return text.mediaType.string(r.bytes(5))
                default: return text.commit.string(r.bytes(6))
                }
            }))
        }
        let sharedBase = nodes.count
        for s in shared { nodes.append(s.node) }
        lap("nodes (\(artifactRowIDs.count) artifacts, \(runCount) runs)")

        // Node order: by id. `rank[handle]` is a node's place in it.
        let order = Self.orderByID(nodes)
        var rank = [Int32](repeating: 0, count: nodes.count)
        for (r, h) in order.enumerated() { rank[Int(h)] = Int32(r) }
        let sortedNodes = Self.permuted(&nodes, order)
        lap("sort nodes")

        // Edges, as (kind, to) under their `from` node: counted, then placed, then each node's few
        // sorted; the kinds are numbered in the order of their names.
        let kinds = GraphEdge.Kind.allCases.sorted { $0.rawValue < $1.rawValue }
        func k(_ kind: GraphEdge.Kind) -> UInt64 { UInt64(kinds.firstIndex(of: kind)!) << 32 }
        let used = k(.used), generated = k(.wasGeneratedBy), derived = k(.wasDerivedFrom)
        let associated = k(.wasAssociatedWith), usedCode = k(.usedCode), usedEnvironment = k(.usedEnvironment)
        // The rank of an artifact's node; nil when it is not in the subgraph (a far-side artifact
        // of a run whose row is missing, or beyond `depth`).
        func artifactRank(_ a: Int64) -> Int32? {
            guard let slot = artifactSlot[a], case let n = artifactNode[Int(slot)], n >= 0 else { return nil }
            return rank[Int(n)]
        }
        let farRank: [Int32] = far.map { artifactRank($0) ?? -1 }
        // Each run's near side, as ranks grouped by run (counting sort on the run slot).
        var nearStart = [Int](repeating: 0, count: runs.count + 1)
        for p in near { nearStart[Int(p.run) + 1] += 1 }
        for i in 0..<runs.count { nearStart[i + 1] += nearStart[i] }
        var nearRank = [Int32](repeating: -1, count: near.count)
        do {
            var fill = nearStart
            for p in near { nearRank[fill[Int(p.run)]] = artifactRank(p.artifact) ?? -1; fill[Int(p.run)] += 1 }
        }
        // Each run's inputs and outputs within the subgraph, as ranks: `sideRank[side[2i]..<side[2i + 1]]`
        // are run `i`'s inputs, `sideRank[side[2i + 1]..<side[2i + 2]]` its outputs.
        let upstream = direction == .upstream
        var sideRank: [Int32] = []
        sideRank.reserveCapacity(far.count + near.count)
        var side = [Int](repeating: 0, count: 2 * runs.count + 1)
        for i in runs.indices {
            let farSide = runs[i].far, nearSide = nearStart[i]..<nearStart[i + 1]
            if upstream {
                for j in farSide where farRank[j] >= 0 { sideRank.append(farRank[j]) }
                side[2 * i + 1] = sideRank.count
                for j in nearSide where nearRank[j] >= 0 { sideRank.append(nearRank[j]) }
            } else {
                for j in nearSide where nearRank[j] >= 0 { sideRank.append(nearRank[j]) }
                side[2 * i + 1] = sideRank.count
                for j in farSide where farRank[j] >= 0 { sideRank.append(farRank[j]) }
            }
            side[2 * i + 2] = sideRank.count
        }
        // Count each node's outgoing edges, then place them.
        var start = [Int](repeating: 0, count: sortedNodes.count + 1)
        for (i, run) in runs.enumerated() {
            let ins = side[2 * i + 1] - side[2 * i]
            start[Int(rank[i]) + 1] += ins + (run.code >= 0 ? 3 : 2)
            for o in sideRank[side[2 * i + 1]..<side[2 * i + 2]] { start[Int(o) + 1] += 1 + ins }
        }
        for i in 0..<sortedNodes.count { start[i + 1] += start[i] }
        var keys = [UInt64](repeating: 0, count: start[sortedNodes.count])
        keys.withUnsafeMutableBufferPointer { keys in
            var fill = start
            fill.withUnsafeMutableBufferPointer { fill in
                sideRank.withUnsafeBufferPointer { sideRank in
                    for (i, run) in runs.enumerated() {
                        let r = Int(rank[i])
                        let ins = UnsafeBufferPointer(rebasing: sideRank[side[2 * i]..<side[2 * i + 1]])
                        let outs = UnsafeBufferPointer(rebasing: sideRank[side[2 * i + 1]..<side[2 * i + 2]])
                        var at = fill[r]
                        for input in ins { keys[at] = used | UInt64(input); at += 1 }
                        keys[at] = associated | UInt64(rank[sharedBase + Int(run.signer)]); at += 1
                        if run.code >= 0 { keys[at] = usedCode | UInt64(rank[sharedBase + Int(run.code)]); at += 1 }
                        keys[at] = usedEnvironment | UInt64(rank[sharedBase + Int(run.environment)]); at += 1
                        fill[r] = at
                        for o in outs {
                            var at = fill[Int(o)]
                            keys[at] = generated | UInt64(r); at += 1
                            for input in ins { keys[at] = derived | UInt64(input); at += 1 }
                            fill[Int(o)] = at
                        }
                    }
                }
            }
        }
        let ids = sortedNodes.map(\.id)
        var edges: [GraphEdge] = []
        edges.reserveCapacity(keys.count)
        keys.withUnsafeMutableBufferPointer { keys in
            for from in 0..<sortedNodes.count where start[from] < start[from + 1] {
                var bucket = UnsafeMutableBufferPointer(rebasing: keys[start[from]..<start[from + 1]])
                bucket.sort()
                var last: UInt64? = nil
                for key in bucket where key != last {
                    last = key
                    edges.append(GraphEdge(from: ids[from], to: ids[Int(key & 0xFFFF_FFFF)], kind: kinds[Int(key >> 32)]))
                }
            }
        }
        lap("edges (\(edges.count))")
        let rootIDs = roots.compactMap { id -> String? in
            guard let slot = artifactSlot[id], case let n = artifactNode[Int(slot)], n >= 0 else { return nil }
            return ids[Int(rank[Int(n)])]
        }
        return LineageSubgraph(direction: direction, roots: rootIDs, presortedNodes: sortedNodes, edges: edges)
    }

    /// `"artifact:\(path)@\(sha256)"`, made in one allocation from the column bytes.
    static func artifactID(_ path: UnsafeBufferPointer<UInt8>, _ sha256: UnsafeBufferPointer<UInt8>) -> String {
        let prefix: StaticString = "artifact:"
        let count = prefix.utf8CodeUnitCount + path.count + 1 + sha256.count
        return String(unsafeUninitializedCapacity: count) { out in
            var i = 0
            func put(_ bytes: UnsafeBufferPointer<UInt8>) {
                if let base = bytes.baseAddress { (out.baseAddress! + i).initialize(from: base, count: bytes.count) }
                i += bytes.count
            }
            put(UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
            put(path)
            out[i] = UInt8(ascii: "@"); i += 1
            put(sha256)
            return i
        }
    }

    /// Handles of `nodes` in the order of their ids as Swift compares strings. For ASCII ids (the
    /// usual case) that is the order of their bytes, compared with `memcmp`; otherwise the ids are
    /// compared as strings (Unicode canonical order).
    static func orderByID(_ nodes: [GraphNode]) -> [Int32] {
        var arena: [UInt8] = []
        var bounds: [(start: Int, count: Int)] = []
        bounds.reserveCapacity(nodes.count)
        var high: UInt8 = 0
        for node in nodes {
            var id = node.id
            id.withUTF8 { utf8 in
                bounds.append((arena.count, utf8.count))
                for b in utf8 { high |= b }
                arena.append(contentsOf: utf8)
            }
        }
        var order = (0..<Int32(nodes.count)).map { $0 }
        if high >= 0x80 {
            order.sort { nodes[Int($0)].id < nodes[Int($1)].id }
            return order
        }
        arena.withUnsafeBufferPointer { arena in
            bounds.withUnsafeBufferPointer { bounds in
                let base = arena.baseAddress ?? UnsafePointer(bitPattern: 1)!
                order.withUnsafeMutableBufferPointer { order in
                    order.sort { a, b in
                        let x = bounds[Int(a)], y = bounds[Int(b)]
                        let c = memcmp(base + x.start, base + y.start, min(x.count, y.count))
                        return c != 0 ? c < 0 : x.count < y.count
                    }
                }
            }
        }
        return order
    }

    /// `order.map { nodes[$0] }`, moving the nodes out of `nodes` (left empty) instead of copying them.
    static func permuted(_ nodes: inout [GraphNode], _ order: [Int32]) -> [GraphNode] {
        precondition(order.count == nodes.count)
        let placeholder = GraphNode(id: "", kind: .artifact, label: "")
        let out = [GraphNode](unsafeUninitializedCapacity: order.count) { buffer, count in
            nodes.withUnsafeMutableBufferPointer { source in
                for (r, h) in order.enumerated() {
                    (buffer.baseAddress! + r).initialize(to: (source.baseAddress! + Int(h)).move())
                    (source.baseAddress! + Int(h)).initialize(to: placeholder)
                }
            }
            count = order.count
        }
        nodes = []
        return out
    }
}

/// Attribute dictionaries that all have the same keys, made by copying a template and setting its
/// values by index, so no key is hashed again (a dictionary literal hashes every key, which was a
/// fifth of building a large subgraph). A copy keeps the template's layout, so its indices hold.
struct AttributeTemplate {
    private let template: [String: String]
    private let slots: [Dictionary<String, String>.Index]

    init(_ keys: [String]) {
        var t = [String: String](minimumCapacity: keys.count)
        for k in keys { t[k] = "" }
        template = t
        slots = keys.map { t.index(forKey: $0)! }
    }

    /// A dictionary whose value for the template's `i`-th key is `value(i)`.
    func make(_ value: (Int) -> String) -> [String: String] {
        var d = template
        for i in slots.indices { d.values[slots[i]] = value(i) }
        return d
    }
}

/// Makes `String`s from SQLite text, sharing one `String` among rows of equal text when it repeats
/// from row to row (the last few values of a column are kept). Short text is stored inline in a
/// `String` and is made each time.
struct SharedText {
    private var recent: [String] = []
    private var next = 0

    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.count <= 15 { return String(decoding: bytes, as: UTF8.self) }
        for i in recent.indices where Self.equal(&recent[i], bytes) { return recent[i] }
        let s = String(decoding: bytes, as: UTF8.self)
        if recent.count < 4 { recent.append(s) } else { recent[next] = s; next = (next + 1) % 4 }
        return s
    }

    private static func equal(_ s: inout String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard s.utf8.count == bytes.count else { return false }
        return s.withUTF8 { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
    }
}

/// One `SharedText` per column that repeats.
struct TextColumns {
    var name = SharedText(), time = SharedText(), commit = SharedText(), argv = SharedText(), cwd = SharedText()
    var principal = SharedText(), fingerprint = SharedText(), codeCommit = SharedText(), diff = SharedText()
    var remote = SharedText(), branch = SharedText(), environment = SharedText(), os = SharedText()
    var kernel = SharedText(), arch = SharedText(), artifactKind = SharedText(), mediaType = SharedText()
}
