import Foundation
import LineageSigning
import Testing

@Suite struct DSSETests {
    @Test func paeMatchesTheSpecVector() {
        let pae = DSSE.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(pae == Array("DSSEv1 29 http://example.com/HelloWorld 11 hello world".utf8))
        #expect(DSSE.pae(payloadType: "", payload: []) == Array("DSSEv1 0  0 ".utf8))
        // Lengths count bytes, not characters.
        #expect(DSSE.pae(payloadType: "é", payload: [0xff]) == Array("DSSEv1 2 é 1 ".utf8) + [0xff])
    }

    @Test func signVerifyAndTamper() throws {
        let key = SSHPrivateKey.generate(comment: "attestor")
        let statement = Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[]}"#.utf8)
        let envelope = try DSSE.sign(payload: statement, payloadType: "application/vnd.in-toto+json", key: key)

        #expect(envelope.signatures.count == 1)
        #expect(envelope.signatures[0].keyid == key.publicKey.fingerprint)
        #expect(try DSSE.payloadBytes(envelope) == statement)
        #expect(Data(base64Encoded: envelope.payload).map(Array.init) == statement)
        #expect(DSSE.verify(envelope, key: key.publicKey))
        #expect(!DSSE.verify(envelope, key: SSHPrivateKey.generate(comment: "").publicKey))

        var tampered = envelope
        tampered.payload = Data(Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[{}]}"#.utf8)).base64EncodedString()
        #expect(!DSSE.verify(tampered, key: key.publicKey))

        var retyped = envelope
        retyped.payloadType = "application/json"
        #expect(!DSSE.verify(retyped, key: key.publicKey))

        var garbage = envelope
        garbage.payload = "%%%"
        #expect(!DSSE.verify(garbage, key: key.publicKey))
        #expect(throws: SigningError.self) { try DSSE.payloadBytes(garbage) }

        // keyids are hints: a signature under another keyid still counts, bad extra signatures do not hurt.
        var relabelled = envelope
        relabelled.signatures = [DSSE.Signature(keyid: "other", sig: "AAAA"), DSSE.Signature(keyid: "", sig: envelope.signatures[0].sig)]
        #expect(DSSE.verify(relabelled, key: key.publicKey))
    }

    @Test func envelopeJSONHasTheSpecFieldNames() throws {
        let key = SSHPrivateKey.generate(comment: "")
        let envelope = try DSSE.sign(payload: Array("{}".utf8), payloadType: "application/vnd.in-toto+json", key: key)
        let json = try JSONEncoder().encode(envelope)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(object.keys) == ["payload", "payloadType", "signatures"])
        let sigs = try #require(object["signatures"] as? [[String: String]])
        #expect(sigs.first.map { Set($0.keys) } == ["keyid", "sig"])
        #expect(try JSONDecoder().decode(DSSE.Envelope.self, from: json) == envelope)
    }

    /// An independent Ed25519 implementation (Python `cryptography`) accepts the signature over PAE.
    @Test(.enabled(if: Tool.hasPythonCryptography(in: "/"), "needs python3 with cryptography (.ci/setup.sh installs it)"))
    func pythonCryptographyVerifiesOurSignature() throws {
        let dir = try TempDir()

        let key = SSHPrivateKey.generate(comment: "")
        let payload = Array(#"{"predicateType":"https://slsa.dev/provenance/v1"}"#.utf8)
        let envelope = try DSSE.sign(payload: payload, payloadType: "application/vnd.in-toto+json", key: key)
        try dir.write("envelope.json", Array(try JSONEncoder().encode(envelope)))
        try dir.write("pub", key.publicKey.raw)
        let script = """
            import base64, json, sys
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            env = json.load(open("envelope.json"))
            body = base64.b64decode(env["payload"])
            t = env["payloadType"].encode()
            pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)
            key = Ed25519PublicKey.from_public_bytes(open("pub", "rb").read())
            key.verify(base64.b64decode(env["signatures"][0]["sig"]), pae)
            try:
                key.verify(base64.b64decode(env["signatures"][0]["sig"]), pae + b"x")
                sys.exit("tampered PAE verified")
            except Exception:
                pass
            print("ok")
            """
        try dir.write("check.py", script)
        let result = try Tool.run(["python3", "check.py"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "ok\n")
    }
}
