import Foundation
import Testing
import LineageCore
import LineageStore
@testable import LineageRemote
#if canImport(Glibc)
import Glibc
#endif

/// A store that stops answering after `limit` calls, as if the process using it were killed:
/// that call and every later one throw `.unreachable`, and nothing after it reaches the store.
final class DyingBlobStore: BlobStore, @unchecked Sendable {
    let base: any BlobStore
    let limit: Int
    private let lock = NSLock()
    private var count = 0

    init(_ base: any BlobStore, after limit: Int) { self.base = base; self.limit = limit }

    var location: String { base.location }
    var calls: Int { lock.withLock { count } }

    private func enter() throws {
        let n = lock.withLock { count += 1; return count }
        if n > limit { throw RemoteError.unreachable(location: location, detail: "killed after \(limit) calls") }
    }

    func put(_ key: String, bytes: [UInt8], ifAbsent: Bool) throws -> BlobPutOutcome { try enter(); return try base.put(key, bytes: bytes, ifAbsent: ifAbsent) }
    func put(_ key: String, file path: String, ifAbsent: Bool) throws -> BlobPutOutcome { try enter(); return try base.put(key, file: path, ifAbsent: ifAbsent) }
    func get(_ key: String) throws -> [UInt8] { try enter(); return try base.get(key) }
    func get(_ key: String, ranges: [Range<UInt64>]) throws -> [[UInt8]] { try enter(); return try base.get(key, ranges: ranges) }
    func head(_ key: String) throws -> BlobInfo? { try enter(); return try base.head(key) }
    func list(prefix: String, startAfter: String?) throws -> [BlobInfo] { try enter(); return try base.list(prefix: prefix, startAfter: startAfter) }
    func delete(_ keys: [String]) throws { try enter(); try base.delete(keys) }
    func delete(_ key: String, ifMatch etag: String) throws -> Bool { try enter(); return try base.delete(key, ifMatch: etag) }
    func purge(_ keys: [String]) throws -> Int { try enter(); return try base.purge(keys) }
}

/// A store that runs `hook` once, just before the first ranged read made through it (another
/// client acting on the remote while a download is under way).
final class InterleavingBlobStore: BlobStore, @unchecked Sendable {
    let base: any BlobStore
    private let lock = NSLock()
    private var hook: (() throws -> Void)?

    init(_ base: any BlobStore, beforeFirstRangedRead hook: @escaping () throws -> Void) { self.base = base; self.hook = hook }

    var location: String { base.location }
    func put(_ key: String, bytes: [UInt8], ifAbsent: Bool) throws -> BlobPutOutcome { try base.put(key, bytes: bytes, ifAbsent: ifAbsent) }
    func put(_ key: String, file path: String, ifAbsent: Bool) throws -> BlobPutOutcome { try base.put(key, file: path, ifAbsent: ifAbsent) }
    func get(_ key: String) throws -> [UInt8] { try base.get(key) }
    func get(_ key: String, ranges: [Range<UInt64>]) throws -> [[UInt8]] {
        if let run = lock.withLock({ () -> (() throws -> Void)? in defer { hook = nil }; return hook }) { try run() }
        return try base.get(key, ranges: ranges)
    }
    func head(_ key: String) throws -> BlobInfo? { try base.head(key) }
    func list(prefix: String, startAfter: String?) throws -> [BlobInfo] { try base.list(prefix: prefix, startAfter: startAfter) }
    func delete(_ keys: [String]) throws { try base.delete(keys) }
    func delete(_ key: String, ifMatch etag: String) throws -> Bool { try base.delete(key, ifMatch: etag) }
    func purge(_ keys: [String]) throws -> Int { try base.purge(keys) }
}

/// The remotes the library-level tests run against without a server.
enum LocalBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory, directory
    var description: String { rawValue }

    func make(_ dir: ScratchDir, name: String = "remote") -> any BlobStore {
        switch self {
        case .memory: return MemoryBlobStore()
        case .directory: return DirectoryBlobStore(root: dir.subdirectory(name))
        }
    }
}

/// Copies every object of `from` into `to` (a snapshot of a remote, to start several runs from one state).
func copyObjects(from: any BlobStore, to: any BlobStore) throws {
    for info in try from.list(prefix: "", startAfter: nil) {
        _ = try to.put(info.key, bytes: try from.get(info.key), ifAbsent: false)
    }
}

/// The keys of the objects on `store` whose bytes contain `digest` (a pack holding the object, an
/// index object listing it): after an erasure there must be none.
func objectsMentioning(_ digest: Digest, in store: any BlobStore) throws -> [String] {
    let needle = digest.bytes
    return try store.list(prefix: "", startAfter: nil).map(\.key).filter { key in
        let bytes = try store.get(key)
        guard bytes.count >= needle.count else { return false }
        var i = 0
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}

/// Packs on the store that no index object names.
func unnamedPacks(in store: any BlobStore) throws -> [String] {
    var named = Set<String>()
    for info in try store.list(prefix: "index/", startAfter: nil) {
        named.formUnion(try RemoteIndex.decode(try store.get(info.key), key: info.key, location: store.location).packs.map(\.key))
    }
    return try store.list(prefix: "packs/", startAfter: nil).map(\.key).filter { !named.contains($0) }
}

/// A local store with three groups of objects, sent to a remote in three uploads of small packs,
/// so that the objects to erase share packs with others (`mixed`: every 9th of the first two
/// uploads), and some packs hold only objects to erase (`alone`, sent on their own).
struct EraseScenario {
    let local: ContentStore
    let all: Fixture
    /// Erased objects that share packs with kept ones.
    let mixed: Set<Digest>
    /// Erased objects sent in packs of their own.
    let alone: Set<Digest>
    var erased: Set<Digest> { mixed.union(alone) }
    var kept: Set<Digest> { all.digests.subtracting(erased) }

    static func make(_ dir: ScratchDir, seed: UInt64 = 40) throws -> EraseScenario {
        let local = try dir.store("local")
        let first = try Fixture.make(in: local, seed: seed, small: 300, smallMax: 3000)
        let second = try Fixture.make(in: local, seed: seed + 1, small: 300, smallMax: 3000)
        let third = try Fixture.make(in: local, seed: seed + 2, small: 60, smallMax: 3000)
        let all = Fixture.merged([first, second, third])
        let shared = (first.digests.sorted() + second.digests.sorted()).enumerated().filter { $0.offset % 9 == 0 }.map(\.element)
        return EraseScenario(local: local, all: all, mixed: Set(shared), alone: third.digests)
    }

    /// Sends the three groups in three uploads.
    func upload(to store: any BlobStore, cache: String) throws {
        let remote = RemoteContent(store: store, cacheDirectory: cache, options: tinyPacks())
        let groups = [Set(all.digests.sorted().filter { !alone.contains($0) }.prefix(300)),
                      all.digests.subtracting(alone), alone]
        for g in groups { _ = try remote.upload(g, from: local, jobs: 2) }
    }
}

extension Fixture {
    /// The objects of all of them.
    static func merged(_ fixtures: [Fixture]) -> Fixture {
        var all = Fixture()
        for f in fixtures { all.objects.merge(f.objects) { a, _ in a } }
        return all
    }
}

/// Packs of about 64 KiB: a few hundred small objects make a dozen packs.
func tinyPacks(leaseDuration: TimeInterval = 900) -> RemoteContentOptions {
    RemoteContentOptions(packSize: 64 << 10, memoryPackLimit: 32 << 10, localPackBytes: 1 << 20, leaseDuration: leaseDuration)
}

/// A fresh clone downloads every object of `kept` and each verifies; each of `gone` is refused
/// as not found (no index object lists it).
func expectServes(_ store: any BlobStore, kept: Set<Digest>, gone: Set<Digest>, fixture: Fixture, dir: ScratchDir,
                  sourceLocation: SourceLocation = #_sourceLocation) throws {
    let name = "clone-" + LocalFiles.randomHex()
    let fresh = try dir.store(name)
    let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache-" + name, options: tinyPacks())
    _ = try remote.download(kept, into: fresh, jobs: 3)
    #expect(kept.allSatisfy { (try? fresh.read($0)) == fixture.objects[$0] }, sourceLocation: sourceLocation)
    #expect(fresh.verify().isEmpty, sourceLocation: sourceLocation)
    for d in gone.sorted().prefix(5) {
        guard case .notFound? = remoteError({ try remote.download([d], into: fresh) }) else {
            Issue.record("sha256:\(d.hex) can still be downloaded", sourceLocation: sourceLocation); continue
        }
    }
}
