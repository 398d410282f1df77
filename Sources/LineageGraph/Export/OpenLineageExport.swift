import Foundation
import LineageCore

/// `--format openlineage`: one OpenLineage 2-0-2 RunEvent per run of the subgraph, as JSON Lines
/// (one compact, key-sorted JSON object per line), ordered by event time, then run id.
///
/// Each event has `eventType` `COMPLETE` (lineage records a run once it has ended),
/// `eventTime` the run's `endedAt` (else `startedAt`), `run.runId` the run's UUID, `job` the
/// namespace and the run's name, `inputs` the artifacts the run used and `outputs` those it
/// generated, each named by its path in the namespace. A dataset whose SHA-256 is known carries
/// the standard `version` facet (`DatasetVersionDatasetFacet`) with `datasetVersion` =
/// `sha256:<hex>`. A run of a pipeline stage carries its parameter values and metrics as the
/// custom run facets `lineage_params` and `lineage_metrics` (file → dotted key → value).
public enum OpenLineageExport {
    /// The `producer` of every event and facet lineage writes.
    public static let producer = "https://lineage.example/lineage"
    public static let runEventSchemaURL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    public static let datasetVersionFacetSchemaURL =
        "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"

    static func render(_ graph: LineageSubgraph, namespace: String) throws -> String {
        let index = ExportGraph(graph)
        var events: [(time: String, id: String, event: ExportJSON)] = []
        for run in graph.nodes where run.kind == .run {
            let time = try eventTime(run)
            let uuid = run.exportLocalID
            guard UUID(uuidString: uuid) != nil else { throw GraphExportError.runIDNotUUID(runID: run.id) }
            let inputs = (index.outgoing[run.id] ?? []).filter { $0.kind == .used }.map(\.to)
            let outputs = (index.incoming[run.id] ?? []).filter { $0.kind == .wasGeneratedBy }.map(\.from)
            let event: ExportJSON = .object([
                "eventType": .string("COMPLETE"),
                "eventTime": .string(time),
                "producer": .string(producer),
                "schemaURL": .string(runEventSchemaURL),
                "run": .object(["runId": .string(uuid.lowercased()), "facets": .object(runFacets(run))]),
                "job": .object([
                    "namespace": .string(namespace),
                    "name": .string(run.attributes["name"].flatMap { $0.isEmpty ? nil : $0 } ?? run.label),
                    "facets": .object([:]),
                ]),
                "inputs": .array(datasets(inputs, index, namespace, extra: "inputFacets")),
                "outputs": .array(datasets(outputs, index, namespace, extra: "outputFacets")),
            ])
            events.append((time, run.id, event))
        }
        events.sort { ($0.time, $0.id) < ($1.time, $1.id) }
        return try events.map { String(decoding: try CanonicalJSON.encode($0.event), as: UTF8.self) + "\n" }.joined()
    }

    /// `lineage_params` and `lineage_metrics`, when the run recorded them.
    static func runFacets(_ run: GraphNode) -> [String: ExportJSON] {
        var facets: [String: ExportJSON] = [:]
        for name in ["params", "metrics"] {
            guard let values = ExportJSON.attribute(run, name) else { continue }
            facets["lineage_" + name] = .object([
                "_producer": .string(producer),
                "_schemaURL": .string("https://lineage.example/schemas/run.schema.json#/properties/" + name),
                name: values,
            ])
        }
        return facets
    }

    static func eventTime(_ run: GraphNode) throws -> String {
        for key in ["endedAt", "startedAt"] {
            if let t = run.attributes[key], ExportText.isDateTime(t) { return t }
        }
        throw GraphExportError.runWithoutTime(runID: run.id)
    }

    /// The artifacts among `ids`, each once, sorted by path then id.
    static func datasets(_ ids: [String], _ index: ExportGraph, _ namespace: String, extra: String) -> [ExportJSON] {
        let artifacts = Set(ids).compactMap { index.nodes[$0] }.filter { $0.kind == .artifact }
        let named = artifacts.map { (name: $0.attributes["path"] ?? $0.exportPathFromID ?? $0.label, node: $0) }
        return named.sorted { ($0.name, $0.node.id) < ($1.name, $1.node.id) }.map { name, node in
            var facets: [String: ExportJSON] = [:]
            if let hex = node.exportSHA256Hex {
                facets["version"] = .object([
                    "_producer": .string(producer),
                    "_schemaURL": .string(datasetVersionFacetSchemaURL),
                    "datasetVersion": .string("sha256:" + hex),
                ])
            }
            return .object([
                "namespace": .string(namespace),
                "name": .string(name),
                "facets": .object(facets),
                extra: .object([:]),
            ])
        }
    }
}
