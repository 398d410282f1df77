import Foundation
import LineageCore
@testable import LineageGraph
import Testing

/// The export formats read back by the stock Python tools: `prov` for PROV-JSON,
/// `openlineage-python` for OpenLineage events, `jsonschema` for `--json`.
/// Serialized, because a test may first have to `pip install` what it needs.
@Suite(.serialized) struct ExportInteropTests {
    /// Runs `script` with python3 and returns its standard output parsed as JSON; nil when python3
    /// is missing. Installs `packages` with pip first when `imports` cannot be imported.
    func python(_ script: String, args: [String] = [], imports: String, packages: [String]) throws -> Any? {
        guard let python3 = Tool.find("python3") else { return nil }
        if try Tool.run(python3, ["-c", "import \(imports)"]).code != 0 {
            var pip = try Tool.run(python3, ["-m", "pip", "install", "-q"] + packages)
            if pip.code != 0 { pip = try Tool.run(python3, ["-m", "pip", "install", "-q", "--break-system-packages"] + packages) }
            try #require(pip.code == 0, "pip install \(packages.joined(separator: " ")): \(pip.err)")
        }
        let r = try Tool.run(python3, ["-c", script] + args)
        try #require(r.code == 0, "python: \(r.err)")
        return try JSONSerialization.jsonObject(with: Data(r.out.utf8))
    }

    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let provScript = """
        import json, sys, warnings
        warnings.simplefilter("error")  # prov warns about what its next major version will reject
        from prov.model import (ProvDocument, ProvEntity, ProvActivity, ProvAgent, ProvUsage,
                                ProvGeneration, ProvDerivation, ProvAssociation)
        doc = ProvDocument.deserialize(content=open(sys.argv[1], encoding="utf-8").read(), format="json")
        def ids(cls):
            return sorted(str(r.identifier) for r in doc.get_records(cls))
        def pairs(cls, a, b):
            out = []
            for r in doc.get_records(cls):
                f = {str(k): v for k, v in r.formal_attributes if v is not None}
                out.append([str(f[a]), str(f[b])])
            return sorted(out)
        times = {}
        for r in doc.get_records(ProvActivity):
            f = {str(k): v for k, v in r.formal_attributes if v is not None}
            times[str(r.identifier)] = [f[k].isoformat() for k in ("prov:startTime", "prov:endTime") if k in f]
        labels = {}
        for r in doc.get_records((ProvEntity, ProvActivity, ProvAgent)):
            labels[str(r.identifier)] = {str(k): str(v) for k, v in r.extra_attributes}
        again = ProvDocument.deserialize(content=doc.serialize(format="json"), format="json")
        assert again == doc, "prov's own PROV-JSON of the document reads back differently"
        doc.get_provn()
        print(json.dumps({
            "entities": ids(ProvEntity), "activities": ids(ProvActivity), "agents": ids(ProvAgent),
            "used": pairs(ProvUsage, "prov:activity", "prov:entity"),
            "wasGeneratedBy": pairs(ProvGeneration, "prov:entity", "prov:activity"),
            "wasDerivedFrom": pairs(ProvDerivation, "prov:generatedEntity", "prov:usedEntity"),
            "wasAssociatedWith": pairs(ProvAssociation, "prov:activity", "prov:agent"),
            "times": times, "attributes": labels,
        }))
        """

    @Test(arguments: ["trace", "awkward"])
    func provPackageReadsPROVJSON(_ which: String) throws {
        let graph = which == "trace" ? ExportFixture.trace : ExportFixture.awkward
        let file = try write(try GraphRenderer.render(graph, format: .provJSON))
        defer { try? FileManager.default.removeItem(atPath: file) }
        guard let parsed = try python(Self.provScript, args: [file], imports: "prov", packages: ["prov"]) else {
            return  // python3 is not installed: nothing to check against.
        }
        let read = try #require(parsed as? [String: Any])
        func ids(_ kinds: Set<GraphNode.Kind>) -> [String] {
            graph.nodes.filter { kinds.contains($0.kind) }.map { ProvJSONExport.qname($0.id) }.sorted()
        }
        func pairs(_ kinds: Set<GraphEdge.Kind>) -> [[String]] {
            graph.edges.filter { kinds.contains($0.kind) }.map { [ProvJSONExport.qname($0.from), ProvJSONExport.qname($0.to)] }
                .sorted { $0.lexicographicallyPrecedes($1) }
        }
        #expect(read["entities"] as? [String] == ids([.artifact, .code, .environment]))
        #expect(read["activities"] as? [String] == ids([.run]))
        #expect(read["agents"] as? [String] == ids([.signer]))
        #expect(read["used"] as? [[String]] == pairs([.used, .usedCode, .usedEnvironment]))
        #expect(read["wasGeneratedBy"] as? [[String]] == pairs([.wasGeneratedBy]))
        #expect(read["wasDerivedFrom"] as? [[String]] == pairs([.wasDerivedFrom]))
        #expect(read["wasAssociatedWith"] as? [[String]] == pairs([.wasAssociatedWith]))
        let times = try #require(read["times"] as? [String: [String]])
        for run in graph.nodes where run.kind == .run {
            #expect(times[ProvJSONExport.qname(run.id)]?.count == 2, "\(run.id) start and end time")
        }
        if which == "trace" {
            #expect(times[ProvJSONExport.qname(ExportFixture.r1ID)] == ["2024-05-01T10:00:00+00:00", "2024-05-01T10:00:05.250000+00:00"])
        }
        // Every attribute of every node comes back as a lineage: string, the label as prov:label.
        let attributes = try #require(read["attributes"] as? [String: [String: String]])
        for node in graph.nodes {
            let back = try #require(attributes[ProvJSONExport.qname(node.id)], "\(node.id)")
            #expect(back["prov:label"] == node.label)
            for (name, value) in node.attributes { #expect(back["lineage:" + name] == value, "\(node.id) \(name)") }
        }
    }

    static let openLineageScript = """
        import json, sys
        from openlineage.client.serde import Serde
        from openlineage.client.generated.base import (RunEvent, Run, Job, InputDataset, OutputDataset, EventType)
        from openlineage.client.generated.dataset_version_dataset import DatasetVersionDatasetFacet
        def facets(raw):
            out = {}
            for key, f in raw.items():
                assert key == "version", key
                facet = DatasetVersionDatasetFacet(datasetVersion=f["datasetVersion"], producer=f["_producer"])
                assert facet._schemaURL == f["_schemaURL"], (facet._schemaURL, f["_schemaURL"])
                out[key] = facet
            return out
        summary = []
        for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
            e = json.loads(line)
            # The client's attrs validators check the UUID, the ISO 8601 time and the URIs.
            event = RunEvent(
                eventType=EventType(e["eventType"]), eventTime=e["eventTime"], producer=e["producer"],
                run=Run(runId=e["run"]["runId"], facets=e["run"]["facets"]),
                job=Job(namespace=e["job"]["namespace"], name=e["job"]["name"], facets=e["job"]["facets"]),
                inputs=[InputDataset(namespace=d["namespace"], name=d["name"], facets=facets(d["facets"]),
                                     inputFacets=d["inputFacets"]) for d in e["inputs"]],
                outputs=[OutputDataset(namespace=d["namespace"], name=d["name"], facets=facets(d["facets"]),
                                       outputFacets=d["outputFacets"]) for d in e["outputs"]])
            assert event.schemaURL == e["schemaURL"], event.schemaURL
            # The client writes the event back exactly as lineage wrote it.
            assert Serde.to_dict(event) == e, (Serde.to_dict(event), e)
            summary.append({
                "runId": event.run.runId, "eventType": event.eventType.value, "eventTime": event.eventTime,
                "job": [event.job.namespace, event.job.name],
                "inputs": [[d.namespace, d.name, d.facets["version"].datasetVersion] for d in event.inputs],
                "outputs": [[d.namespace, d.name, d.facets["version"].datasetVersion] for d in event.outputs],
            })
        print(json.dumps(summary))
        """

    @Test func openLineageClientReadsEvents() throws {
        for graph in [ExportFixture.trace, ExportFixture.awkward] {
            let file = try write(try GraphRenderer.render(graph, format: .openlineage, namespace: "file://host/repo"))
            defer { try? FileManager.default.removeItem(atPath: file) }
            guard let parsed = try python(Self.openLineageScript, args: [file], imports: "openlineage.client", packages: ["openlineage-python"]) else {
                return  // python3 is not installed: nothing to check against.
            }
            let events = try #require(parsed as? [[String: Any]])
            let runs = graph.nodes.filter { $0.kind == .run }
            #expect(Set(events.compactMap { $0["runId"] as? String }) == Set(runs.map { String($0.id.dropFirst(4)) }))
            for event in events {
                let runID = "run:" + (event["runId"] as? String ?? "")
                let run = try #require(graph.node(runID))
                func datasets(_ ids: [String]) -> [[String]] {
                    ids.compactMap { graph.node($0) }.filter { $0.kind == .artifact }
                        .map { ["file://host/repo", $0.attributes["path"]!, $0.attributes["sha256"]!] }
                        .sorted { $0.lexicographicallyPrecedes($1) }
                }
                #expect(event["eventType"] as? String == "COMPLETE")
                #expect(event["eventTime"] as? String == run.attributes["endedAt"])
                #expect(event["job"] as? [String] == ["file://host/repo", run.attributes["name"]!])
                #expect(event["inputs"] as? [[String]] == datasets(graph.edges.filter { $0.from == runID && $0.kind == .used }.map(\.to)))
                #expect(event["outputs"] as? [[String]] == datasets(graph.edges.filter { $0.to == runID && $0.kind == .wasGeneratedBy }.map(\.from)))
            }
            if graph == ExportFixture.trace {
                let train = try #require(events.first { $0["runId"] as? String == ExportFixture.r2UUID })
                #expect(train["inputs"] as? [[String]] == [["file://host/repo", "data/v2.csv", "sha256:" + ExportFixture.hex("2")]])
                #expect(train["outputs"] as? [[String]] == [["file://host/repo", "models/model.onnx", "sha256:" + ExportFixture.hex("3")]])
            }
        }
    }

    /// Validates with every file of Schemas/ registered by its `$id` (the graph schema refers to common.schema.json).
    static let schemaScript = """
        import glob, json, os, sys, jsonschema
        from referencing import Registry, Resource
        registry = Registry()
        for f in glob.glob(os.path.join(sys.argv[1], "*.json")):
            s = json.load(open(f)); registry = registry.with_resource(s["$id"], Resource.from_contents(s))
        schema = json.load(open(os.path.join(sys.argv[1], "lineage-graph.schema.json"))); doc = json.load(open(sys.argv[2]))
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        validator.validate(doc)
        rejected = []
        def bad(name, mutate):
            d = json.loads(json.dumps(doc)); mutate(d)
            try:
                validator.validate(d)
            except jsonschema.ValidationError:
                rejected.append(name)
        bad("direction", lambda d: d.__setitem__("direction", "sideways"))
        bad("edge kind", lambda d: d["edges"][0].__setitem__("kind", "inspired"))
        bad("node kind", lambda d: d["nodes"][0].__setitem__("kind", "dataset"))
        bad("id of another kind", lambda d: d["nodes"][0].__setitem__("kind", "run"))
        bad("size as text", lambda d: d["nodes"][0]["attributes"].__setitem__("size", "12"))
        bad("bare hex digest", lambda d: d["nodes"][0]["attributes"].__setitem__("sha256", "ab" * 32))
        bad("unknown member", lambda d: d.__setitem__("extra", 1))
        bad("missing label", lambda d: d["nodes"][0].pop("label"))
        bad("missing schema", lambda d: d.pop("schema"))
        print(json.dumps(rejected))
        """

    @Test func jsonMatchesItsSchema() throws {
        let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Schemas").path
        for graph in [ExportFixture.trace, ExportFixture.impact, ExportFixture.awkward] {
            let file = try write(try GraphRenderer.json(graph))
            defer { try? FileManager.default.removeItem(atPath: file) }
            guard let rejected = try python(Self.schemaScript, args: [schemas, file], imports: "jsonschema, referencing", packages: ["jsonschema"]) else {
                return  // python3 is not installed: nothing to check against.
            }
            #expect(rejected as? [String] == ["direction", "edge kind", "node kind", "id of another kind",
                                              "size as text", "bare hex digest", "unknown member", "missing label", "missing schema"])
        }
    }
}
