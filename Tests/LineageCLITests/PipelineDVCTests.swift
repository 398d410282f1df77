import Foundation
import Testing

/// `lineage repro` against DVC's `dvc repro` on the same pipeline (the same `stages:` text as
/// lineage.yaml and as dvc.yaml): after each of a scripted sequence of edits, both tools must
/// rerun the same stages (a run-cache restore counts as a rerun for both).
@Suite("Pipelines against DVC")
struct PipelineDVCTests {
    static let dvc: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/dvc" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let stages = """
        stages:
          prepare:
            cmd: sh prepare.sh ${prepare.rows}
            deps: [prepare.sh, data/raw.csv]
            params: [prepare.rows]
            outs: [data/train.csv, data/test.csv]
          train:
            cmd: sh train.sh ${train.lr}
            deps: [train.sh, data/train.csv]
            params: [train.lr]
            outs: [models/model.txt]
          evaluate:
            cmd: sh evaluate.sh
            deps: [evaluate.sh, models/model.txt, data/test.csv]
            outs: [eval.txt]
            metrics: [metrics.json]

        """

    /// The same files in both directories.
    static func write(_ files: [String: String], to dirs: [String]) throws {
        for dir in dirs {
            for (path, text) in files {
                let url = URL(fileURLWithPath: dir + "/" + path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
        }
    }

    static func append(_ path: String, _ text: String, in dirs: [String]) throws {
        for dir in dirs {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/" + path))
            try handle.seekToEnd(); try handle.write(contentsOf: Data(text.utf8)); try handle.close()
        }
    }

    /// Stages `dvc repro` ran or restored from its run cache, read from its output.
    static func dvcReran(_ output: String) -> Set<String> {
        var out = Set<String>()
        for line in output.split(separator: "\n") {
            for marker in ["Running stage '", "Stage '"] where line.hasPrefix(marker) {
                let rest = line.dropFirst(marker.count)
                guard let end = rest.firstIndex(of: "'") else { continue }
                let name = String(rest[..<end])
                if marker == "Running stage '" || line.contains("is cached") { out.insert(name) }
            }
        }
        return out
    }

    @Test(.enabled(if: dvc != nil, "needs dvc (pip install dvc; .ci/setup.sh installs it)"))
    func bothToolsRerunTheSameStagesAfterEachEdit() throws {
        let p = try Project()
        defer { p.remove() }
        let dvcDir = p.dir + "-dvc"
        try FileManager.default.createDirectory(atPath: dvcDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dvcDir) }
        let dvc = Self.dvc!
        let env = ["DVC_NO_ANALYTICS": "1"]
        let initialized = try CLI.tool(dvc, ["init", "--no-scm", "-q"], in: dvcDir, env: env)
        #expect(initialized.code == 0, "\(initialized.err)")
        let dirs = [p.dir, dvcDir]
        var raw = "id,x\n"
        for i in 1...8 { raw += "\(i),\(i * i)\n" }
        try Self.write([
            "data/raw.csv": raw,
            "params.yaml": "prepare:\n  rows: 4\ntrain:\n  lr: 0.1\n",
            "prepare.sh": "mkdir -p data\nhead -n \"$1\" data/raw.csv > data/train.csv\ntail -n 2 data/raw.csv > data/test.csv\n",
            "train.sh": "mkdir -p models\n(cat data/train.csv; echo \"lr=$1\") | sha256sum > models/model.txt\n",
            "evaluate.sh": "n=$(wc -l < data/test.csv)\nprintf '{\"rows\": %s}\\n' \"$n\" > metrics.json\ncat models/model.txt data/test.csv > eval.txt\n",
        ], to: dirs)
        try Data(Self.stages.utf8).write(to: URL(fileURLWithPath: p.dir + "/lineage.yaml"))
        try Data(Self.stages.utf8).write(to: URL(fileURLWithPath: dvcDir + "/dvc.yaml"))

        let edits: [(String, () throws -> Void)] = [
            ("first run", {}),
            ("nothing changed", {}),
            ("a training parameter", { try Self.write(["params.yaml": "prepare:\n  rows: 4\ntrain:\n  lr: 0.2\n"], to: dirs) }),
            ("a preparation parameter", { try Self.write(["params.yaml": "prepare:\n  rows: 5\ntrain:\n  lr: 0.2\n"], to: dirs) }),
            ("a comment in the training code", { try Self.append("train.sh", "# tuned\n", in: dirs) }),
            ("a parameter back to an earlier value", { try Self.write(["params.yaml": "prepare:\n  rows: 5\ntrain:\n  lr: 0.1\n"], to: dirs) }),
            ("a row appended to the raw data (only the test split changes)", { try Self.append("data/raw.csv", "9,81\n", in: dirs) }),
            ("an output deleted", { for d in dirs { try FileManager.default.removeItem(atPath: d + "/eval.txt") } }),
            ("a parameter no stage declares", { try Self.write(["params.yaml": "prepare:\n  rows: 5\n  unused: 3\ntrain:\n  lr: 0.1\n"], to: dirs) }),
            ("the evaluation command", {
                let changed = Self.stages.replacingOccurrences(of: "cmd: sh evaluate.sh", with: "cmd: sh evaluate.sh && true")
                try Data(changed.utf8).write(to: URL(fileURLWithPath: p.dir + "/lineage.yaml"))
                try Data(changed.utf8).write(to: URL(fileURLWithPath: dvcDir + "/dvc.yaml"))
            }),
        ]
        var sets: [Set<String>] = []
        for (what, edit) in edits {
            try edit()
            let d = try CLI.tool(dvc, ["repro"], in: dvcDir, env: env)
            #expect(d.code == 0, "dvc repro after \(what): \(d.out)\(d.err)")
            let l = try p.run(["repro", "--json"])
            #expect(l.code == 0, "lineage repro after \(what): \(l.err)")
            let stages = (try JSONSerialization.jsonObject(with: l.outData) as? [String: Any])?["stages"] as? [[String: Any]] ?? []
            let ours = Set(stages.filter { ["ran", "reused"].contains($0["action"] as? String) }.map { $0["name"] as! String })
            let theirs = Self.dvcReran(d.out + d.err)
            #expect(ours == theirs, "after \(what): lineage reran \(ours.sorted()), dvc reran \(theirs.sorted())\n\(d.out)")
            sets.append(ours)
        }
        // The sequence exercises every case: all, none, one, several, downstream left alone.
        #expect(sets[0] == ["prepare", "train", "evaluate"] && sets[1].isEmpty && sets[2] == ["train", "evaluate"])
        #expect(sets[4] == ["train"] && sets[6] == ["prepare", "evaluate"] && sets[8].isEmpty)
    }
}
