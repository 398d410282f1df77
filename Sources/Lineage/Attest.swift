import Foundation
import LineageCore
import LineageGit
import LineageSigning

/// in-toto Statement v1 with a SLSA Provenance v1 predicate (https://slsa.dev/provenance/v1).
public struct InTotoStatement: Codable, Sendable, Equatable {
    public struct Subject: Codable, Sendable, Equatable { public let name: String; public let digest: [String: String] }
    public var type = "https://in-toto.io/Statement/v1"
    public let subject: [Subject]
    public var predicateType = "https://slsa.dev/provenance/v1"
    public let predicate: SLSAProvenance

    enum CodingKeys: String, CodingKey { case type = "_type", subject, predicateType, predicate }
}

public struct SLSAProvenance: Codable, Sendable, Equatable {
    public struct ResourceDescriptor: Codable, Sendable, Equatable {
        public var name: String?
        public var uri: String?
        public var digest: [String: String]
        public var annotations: [String: String]?
    }
    public struct ExternalParameters: Codable, Sendable, Equatable { public let name: String; public let argv: [String]; public let workingDirectory: String }
    public struct InternalParameters: Codable, Sendable, Equatable { public let environment: EnvironmentInfo; public let code: CodeVersion? }
    public struct BuildDefinition: Codable, Sendable, Equatable {
        public let buildType: String
        public let externalParameters: ExternalParameters
        public let internalParameters: InternalParameters
        public let resolvedDependencies: [ResourceDescriptor]
    }
    public struct Builder: Codable, Sendable, Equatable { public let id: String }
    public struct Metadata: Codable, Sendable, Equatable { public let invocationId: String; public let startedOn: String; public let finishedOn: String }
    public struct RunDetails: Codable, Sendable, Equatable { public let builder: Builder; public let metadata: Metadata; public let byproducts: [ResourceDescriptor]? }
    public let buildDefinition: BuildDefinition
    public let runDetails: RunDetails
}

/// What `attest` produced: the DSSE envelope (to write out) and the statement inside it.
public struct Attestation: Sendable {
    public let envelope: DSSE.Envelope
    public let statement: InTotoStatement
    public let run: RunRecord
}

extension Repository {
    public static let inTotoPayloadType = "application/vnd.in-toto+json"
    static let buildType = "urn:lineage:buildtype:run:v1"

    /// An in-toto attestation for a tracked file or directory at `revision` (default HEAD): the
    /// subject is its files with their SHA-256, the predicate the SLSA provenance of the run that
    /// produced them, the whole signed in a DSSE envelope with the repository signing key.
    public func attest(_ argument: String, revision: String? = nil, cwd: String) throws -> Attestation {
        let relative = try resolve(argument, cwd: realPath(cwd) ?? cwd).relative
        guard !relative.isEmpty else { throw LineageError.invalidArgument("name a tracked file or directory to attest, not the whole working directory") }
        let commit = try resolveRevision(revision ?? "HEAD")
        let tree = try git.commit(commit).tree
        let files = try git.files(inTree: tree).filter { TrackedPath.within($0.path, relative) }
        guard !files.isEmpty else {
            throw LineageError.notTracked(relative, suggestions: closest(relative, among: try git.files(inTree: tree).map(\.path)))
        }
        let subjects = try files.map { f in (path: f.path, sha256: try pointer(f.id).sha256) }
        let runs = try allRuns(inTree: tree)
        let producing = runs.filter { run in
            subjects.allSatisfy { s in run.outputs.contains { $0.path == s.path && $0.sha256 == s.sha256 } }
        }
        guard let run = producing.max(by: { $0.startedAt < $1.startedAt }) else {
            throw LineageError.invalidArgument("no recorded run produced '\(relative)' as it is at \(commit.hex.prefix(12)) — an attestation describes the run that made an artifact; record one with `lineage run ... -o \(relative) -- <command>`")
        }
        var dependencies = run.inputs.map {
            SLSAProvenance.ResourceDescriptor(name: $0.path, uri: nil, digest: ["sha256": $0.sha256.hex], annotations: nil)
        }
        if let code = run.code, let sha = code.commit {
            var notes: [String: String] = [:]
            if let b = code.branch { notes["branch"] = b }
            if code.dirty { notes["dirty"] = "true"; if let d = code.diffSHA256 { notes["diffSHA256"] = d.hex } }
            dependencies.append(.init(name: "code", uri: code.remoteURL.map { "git+" + $0 }, digest: ["gitCommit": sha],
                                      annotations: notes.isEmpty ? nil : notes))
        }
        let byproducts = run.environment.captures.map {
            SLSAProvenance.ResourceDescriptor(name: $0.record, uri: nil, digest: ["sha256": $0.sha256.hex], annotations: ["kind": $0.kind])
        }
        let statement = InTotoStatement(
            subject: subjects.map { .init(name: $0.path, digest: ["sha256": $0.sha256.hex]) },
            predicate: SLSAProvenance(
                buildDefinition: .init(buildType: Repository.buildType,
                                       externalParameters: .init(name: run.name, argv: run.argv, workingDirectory: run.workingDirectory),
                                       internalParameters: .init(environment: run.environment, code: run.code),
                                       resolvedDependencies: dependencies),
                runDetails: .init(builder: .init(id: "urn:lineage:signer:" + run.agent.principal),
                                  metadata: .init(invocationId: run.id, startedOn: run.startedAt, finishedOn: run.endedAt),
                                  byproducts: byproducts.isEmpty ? nil : byproducts)))
        let payload = try CanonicalJSON.encode(statement)
        let key = try signingKey()
        let envelope = try key.dsse(payload: payload, payloadType: Repository.inTotoPayloadType, cwd: root)
        return Attestation(envelope: envelope, statement: statement, run: run)
    }
}
