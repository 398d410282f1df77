import Foundation
import Lineage
import LineageCore
import LineageSigning
import Testing

/// Mutation fuzzing of every parser that reads bytes another machine wrote: records from history,
/// chunk lists, allowed-signers files, armored signatures, lineage.yaml, rights meta files. Each
/// starts from a valid sample and takes seeded random mutations (bit flips, byte insertions and
/// deletions, truncations, splices of interesting tokens); the parser may refuse, never crash, and
/// whatever it accepts must survive a round trip where it has one. Seeded: a failure reproduces.
@Suite struct FuzzTests {
    static let iterations = 1_500

    struct Mutator {
        var state: UInt64
        init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
        static let tokens: [[UInt8]] = ["\"", "\\", "\\u0000", "\\ud800", "{", "}", "[", "]", ":", ",", "null", "1e999", "-0",
                                        "\u{0}", "\n", "\r\n", "\u{FEFF}", "é", "\u{1F600}", "*", "&a", "!!binary", "---", "\t",
                                        "99999999999999999999", "\"\":", "ssh-ed25519 ", "AAAA", "="].map { Array($0.utf8) }

        mutating func mutate(_ input: [UInt8]) -> [UInt8] {
            var b = input
            for _ in 0..<(1 + below(4)) {
                switch below(6) {
                case 0 where !b.isEmpty: let i = below(b.count); b[i] ^= UInt8(1 << below(8))
                case 1: b.insert(UInt8(truncatingIfNeeded: next()), at: below(b.count + 1))
                case 2 where !b.isEmpty: b.remove(at: below(b.count))
                case 3: b = Array(b.prefix(below(b.count + 1)))
                case 4: b.insert(contentsOf: Mutator.tokens[below(Mutator.tokens.count)], at: below(b.count + 1))
                default:
                    if b.count > 2 { let i = below(b.count), j = below(b.count); if i < j { b.insert(contentsOf: b[i..<j], at: below(b.count)) } }
                }
            }
            return b
        }
    }

    func fuzz(_ sample: [UInt8], seed: UInt64, _ body: ([UInt8]) throws -> Void) {
        var m = Mutator(seed: seed)
        for _ in 0..<Self.iterations { _ = try? body(m.mutate(sample)) }
    }

    static let digest = Digest.of(Array("x".utf8))

    @Test func recordsFromHistory() throws {
        let pointer = try Pointer(size: 12, sha256: Self.digest, chunks: Self.digest, kind: .dataset, mediaType: "text/csv").encoded()
        fuzz(pointer, seed: 1) { bytes in
            let p = try Pointer.decode(bytes)
            #expect(try Pointer.decode(try p.encoded()) == p)
        }
        let run = RunRecord(
            id: UUIDv7.generate(milliseconds: 1_795_000_000_123), name: "train", argv: ["python", "train.py"], workingDirectory: ".",
            startedAt: "2026-11-25T21:03:04.123Z", endedAt: "2026-11-25T21:05:00.000Z", exitStatus: 0,
            inputs: [RunArtifact(path: "data/train.csv", sha256: Self.digest, size: 5)],
            outputs: [RunArtifact(path: "models/model.bin", sha256: Self.digest, size: 0)], code: nil,
            environment: EnvironmentInfo(os: "Debian", kernel: "6.1.0", architecture: "x86_64", cpuModel: "cpu", cpuCount: 2,
                                         variables: [:], captures: []),
            agent: RunAgent(principal: "alice@example.org", keyFingerprint: "SHA256:abc", name: "Alice", email: "alice@example.org"))
        fuzz(try run.encoded(), seed: 2) { bytes in
            let r = try RunRecord.decode(bytes)
            #expect(try RunRecord.decode(try r.encoded()) == r)
        }
        let erased = try ErasureRecord(path: "data/a.csv", sha256: Self.digest, size: 3, erasedAt: Date(timeIntervalSince1970: 0),
                                       erasedBy: "A <a@x>", reason: "r").encoded()
        fuzz(erased, seed: 3) { bytes in _ = try ErasureRecord.decode(bytes) }
        let rights = try RightsRecord(path: "data/a.csv", sha256: Self.digest).encoded()
        fuzz(rights, seed: 4) { bytes in _ = try RightsRecord.decode(bytes) }
        fuzz(Array(#"{"contentDigest":"sha256:00","runs":[],"type":"lineage.commit","version":1}"#.utf8), seed: 5) { bytes in _ = try CommitRecord.decode(bytes) }
        let list = ChunkList(entries: [ChunkList.Entry(digest: Self.digest, length: 5)]).encoded()
        fuzz(list, seed: 6) { bytes in _ = try ChunkList.decode(bytes) }
    }

    @Test func trustFilesAndSignatures() throws {
        let key = SSHPrivateKey.generate(comment: "fuzz")
        let line = "alice@example.org namespaces=\"git\",valid-after=\"20240101\" \(key.publicKey.openSSH)\n"
        fuzz(Array(line.utf8), seed: 7) { bytes in _ = try AllowedSigners(parsing: String(decoding: bytes, as: UTF8.self)) }
        let armored = try SSHSignature.sign(Array("hello".utf8), namespace: "git", key: key)
        fuzz(Array(armored.utf8), seed: 8) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try SSHSignature.parse(armored: text)
            _ = SSHSignature.verify(armored: text, message: Array("hello".utf8), namespace: "git")
        }
    }

    @Test func configurationFiles() throws {
        let yaml = "hooks:\n  pre-commit:\n    - leakage: { splits: { train: a.csv, test: b.csv }, key: [id] }\n    - quality: { path: \"data/*.csv\", max-missing: 0.05 }\n    - consent: { require-rights: [dataset], allow: [{ finding: upstream-consent-withdrawn, path: \"m/**\", reason: x }] }\n"
        fuzz(Array(yaml.utf8), seed: 9) { bytes in _ = try ProjectConfig.parse(bytes) }
        let meta = "source: { url: https://e.org, name: n }\nconsent: { status: granted, scope: [training] }\nlicense: CC-BY-4.0\npii: [email]\nretention-until: 2030-01-01\n"
        fuzz(Array(meta.utf8), seed: 10) { bytes in _ = try RightsMeta.parse(String(decoding: bytes, as: UTF8.self)) }
    }
}
