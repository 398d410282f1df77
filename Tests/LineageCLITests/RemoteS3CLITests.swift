import Foundation
import LineageTestSupport
import Testing

/// History in a bare repository, bytes on S3 (a real moto_server on loopback): push, clone with the
/// content, and a teammate's push fetched back — through the CLI, with the standard AWS variables.
@Suite(.enabled(if: MotoServer.isAvailable, "needs moto_server (pip install 'moto[server]')"), .motoServer)
struct RemoteS3CLITests {
    @Test func pushAndCloneWithContentOnS3() throws {
        let moto = try #require(MotoSuiteTrait.current)
        try moto.createBucket("team-data")
        let env = moto.clientEnvironment()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("remote-s3-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }

        let alice = try Project()
        defer { alice.remove() }
        let bytes = randomData(3_000_000, seed: 21)
        try alice.write("data/train.csv", bytes)
        try alice.expectOK(["add", "data/train.csv"])
        try alice.expectOK(["commit", "-m", "first"])
        try alice.expectOK(["remote", "add", "origin", base + "/team.git", "--content", "s3://team-data/projects/demo"])
        try alice.expectOK(["remote", "set-content", "origin", "s3://team-data/projects/demo"])
        let push = try alice.run(["push"], env: env)
        #expect(push.code == 0, "\(push.out)\(push.err)")
        // What S3 holds: packs and an index under the prefix, nothing per chunk.
        let log = moto.requestLog().filter { $0.contains("PUT") && $0.contains("/team-data/projects/demo/") }
        #expect(log.contains { $0.contains("/packs/") } && log.contains { $0.contains("/index/") }, "\(log)")
        #expect(log.count < 10, "\(log.count) PUTs for one small push")

        let trust = (try JSONSerialization.jsonObject(with: try alice.expectOK(["trust", "list", "--json"]).outData) as! [String: Any])["keys"] as! [[String: Any]]
        let fp = trust[0]["fingerprint"] as! String
        let clone = try CLI.run(["clone", base + "/team.git", "bob", "--trust-root", fp], in: base, env: env)
        #expect(clone.code == 0, "\(clone.out)\(clone.err)")
        let bob = Project(existing: base + "/bob")
        #expect(bob.read("data/train.csv") == bytes)
        #expect(try bob.run("verify").code == 0)

        // Without credentials, the failure names what to set and changes nothing.
        var noCreds = env
        for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] { noCreds[k] = "" }
        noCreds["AWS_SHARED_CREDENTIALS_FILE"] = base + "/none"
        noCreds["AWS_CONFIG_FILE"] = base + "/none"
        try alice.write("data/more.csv", "id\n1\n")
        try alice.expectOK(["add", "data/more.csv"])
        try alice.expectOK(["commit", "-m", "more"])
        let remoteHead = try CLI.tool("/usr/bin/git", ["--git-dir", base + "/team.git", "rev-parse", "refs/lineage/heads/main"], in: "/").out
        let refused = try alice.run(["push"], env: noCreds)
        #expect(refused.code != 0 && refused.err.contains("AWS_ACCESS_KEY_ID"), "\(refused.err)")
        #expect(try CLI.tool("/usr/bin/git", ["--git-dir", base + "/team.git", "rev-parse", "refs/lineage/heads/main"], in: "/").out == remoteHead)

        // A per-remote endpoint (kept in Bob's .lineage/config, never in the history) replaces AWS_ENDPOINT_URL.
        #expect(try alice.run(["push"], env: env).code == 0)
        let endpoint = try #require(env["AWS_ENDPOINT_URL"] ?? env["AWS_ENDPOINT_URL_S3"])
        var noEndpoint = env
        noEndpoint["AWS_ENDPOINT_URL"] = nil
        noEndpoint["AWS_ENDPOINT_URL_S3"] = nil
        let bad = try bob.run(["remote", "set-content", "origin", "s3://team-data/projects/demo", "--endpoint", "ftp://x"])
        #expect(bad.code == 2 && bad.err.contains("not an http(s) URL"), "\(bad.err)")
        try bob.expectOK(["remote", "set-content", "origin", "s3://team-data/projects/demo", "--endpoint", endpoint])
        let pulled = try bob.run(["pull"], env: noEndpoint)
        #expect(pulled.code == 0, "\(pulled.out)\(pulled.err)")
        #expect(bob.read("data/more.csv") == Data("id\n1\n".utf8))
    }

    /// Issue 14's fault injection through the CLI: a proxy between lineage and moto answers 503,
    /// cuts requests and answers mid-body, loses the answer of a write and delays; push, clone and
    /// pull still finish, every byte checked (verify), and each fault was really met.
    @Test func pushCloneAndPullFinishThroughDroppedConnectionsAnd503s() throws {
        let moto = try #require(MotoSuiteTrait.current)
        try moto.createBucket("faulty")
        let proxy = try FaultProxy(upstreamPort: moto.port)
        defer { proxy.stop() }
        let env = moto.clientEnvironment(extra: ["AWS_ENDPOINT_URL": proxy.endpoint])
        let base = try scratchDirectory("remote-faults")
        defer { try? FileManager.default.removeItem(atPath: base) }

        let alice = try Project()
        defer { alice.remove() }
        let big = randomData(6_000_000, seed: 31)
        try alice.write("data/big.bin", big)
        try alice.write("data/small.csv", "id\n1\n")
        try alice.expectOK(["add", "data"])
        try alice.expectOK(["commit", "-m", "first"])
        try alice.expectOK(["remote", "add", "origin", base + "/team.git", "--content", "s3://faulty/p"])
        try alice.expectOK(["remote", "set-content", "origin", "s3://faulty/p"])
        proxy.inject(.respond(status: 503, code: "SlowDown"), method: "PUT")
        proxy.inject(.dropRequest(afterBodyBytes: 100_000), method: "PUT")
        proxy.inject(.delay(seconds: 0.3), method: "PUT")
        let push = try alice.run(["push"], env: env)
        #expect(push.code == 0, "\(push.out)\(push.err)")
        #expect(proxy.pendingFaults == 0 && proxy.appliedFaults.count == 3, "\(proxy.appliedFaults)")

        proxy.inject(.dropResponse(afterBodyBytes: 200_000), method: "GET")
        proxy.inject(.respond(status: 503, code: "ServiceUnavailable"), method: "GET")
        proxy.inject(.delay(seconds: 0.3), method: "GET")
        let clone = try CLI.run(["clone", base + "/team.git", "bob", "--trust-root", try alice.rootFingerprint()], in: base, env: env)
        #expect(clone.code == 0, "\(clone.out)\(clone.err)")
        #expect(proxy.pendingFaults == 0 && proxy.appliedFaults.count == 6, "\(proxy.appliedFaults)")
        let bob = Project(existing: base + "/bob")
        #expect(bob.read("data/big.bin") == big)
        #expect(try bob.run(["verify"], env: env).code == 0)

        // A write whose answer is lost happened anyway: the retry settles it instead of failing.
        var grown = big
        grown.append(randomData(500_000, seed: 32))
        try alice.write("data/big.bin", grown)
        try alice.expectOK(["add", "data/big.bin"])
        try alice.expectOK(["commit", "-m", "more rows"])
        proxy.inject(.loseAnswer, method: "PUT")
        let second = try alice.run(["push"], env: env)
        #expect(second.code == 0, "\(second.out)\(second.err)")
        proxy.inject(.dropResponse(afterBodyBytes: 1_000), method: "GET")
        let pulled = try bob.run(["pull"], env: env)
        #expect(pulled.code == 0, "\(pulled.out)\(pulled.err)")
        #expect(proxy.pendingFaults == 0, "\(proxy.appliedFaults)")
        #expect(bob.read("data/big.bin") == grown)
        #expect(try bob.run(["verify"], env: env).code == 0)
    }
}
