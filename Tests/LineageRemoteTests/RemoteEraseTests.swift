import Foundation
import Testing
import LineageCore
import LineageStore
@testable import LineageRemote

@Suite struct RemoteEraseTests {
    @Test(arguments: LocalBackend.allCases)
    func erasedObjectsAreGoneAndEveryOtherObjectStillDownloads(backend: LocalBackend) throws {
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir)
        let store = backend.make(dir)
        try scenario.upload(to: store, cache: dir.path + "/cache")
        let packsBefore = try store.list(prefix: "packs/", startAfter: nil).count

        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        let report = try remote.erase(scenario.erased, jobs: 3)
        #expect(report.objectsRemoved == scenario.erased.count)
        #expect(report.notOnRemote == 0)
        #expect(report.packsRewritten > 0)
        #expect(report.packsDropped > 0)            // the packs of the third upload held nothing else
        #expect(report.indexObjectsDeleted == 3)    // every upload's index object listed an erased object
        #expect(report.indexObjectsWritten == 1)
        #expect(report.rounds == 1)
        #expect(report.bytesUploaded > 0 && report.bytesDeleted > 0)
        #expect(report.requests > 0)

        // Nothing on the remote mentions an erased object any more: not a pack, not an index object.
        for d in scenario.erased.sorted().prefix(20) { #expect(try objectsMentioning(d, in: store).isEmpty, "sha256:\(d.hex)") }
        #expect(try unnamedPacks(in: store).isEmpty)
        #expect(try store.list(prefix: "gc/", startAfter: nil).isEmpty)   // the lease and the probe are gone
        #expect(try store.list(prefix: "packs/", startAfter: nil).count < packsBefore)
        #expect(try remote.check(readPacks: true).isEmpty)
        try expectServes(store, kept: scenario.kept, gone: scenario.erased, fixture: scenario.all, dir: dir)

        // The eraser's cache knows only the index objects the remote has.
        let cached = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/cache/index").filter { !$0.hasPrefix(".") })
        let listed = Set(try store.list(prefix: "index/", startAfter: nil).map { String($0.key.dropFirst("index/".count)) })
        #expect(cached == listed)

        // Erasing again finds nothing to do and deletes nothing.
        let again = try remote.erase(scenario.erased)
        #expect(again.objectsRemoved == 0 && again.notOnRemote == scenario.erased.count)
        #expect(again.packsRewritten == 0 && again.indexObjectsDeleted == 0 && again.bytesDeleted == 0)
    }

    /// Requests and bytes follow the packs that held the erased objects, not the remote's size.
    @Test func erasureWorkScalesWithThePacksThatHeldTheObjects() throws {
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir)
        let store = MemoryBlobStore()
        try scenario.upload(to: store, cache: dir.path + "/cache")
        // One erased object: its pack is rewritten (its other objects copied and read back), the
        // other packs are not touched.
        let victim = scenario.mixed.sorted()[3]
        let index = try store.list(prefix: "index/", startAfter: nil).map { try RemoteIndex.decode(store.object($0.key)!, key: $0.key, location: "m") }
        let holder = try #require(index.flatMap(\.packs).first { $0.entries.contains { $0.digest == victim } })
        store.resetCounts()
        let report = try RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks()).erase([victim])
        #expect(report.packsRewritten == 1 && report.packsDropped == 0)
        // The kept objects are read once, the replacement once back; index objects are small.
        #expect(report.bytesDownloaded < 3 * holder.size + 200_000)
        #expect(report.bytesUploaded < holder.size + 200_000)
        #expect(store.counts[.rangeGet] <= 4)
        #expect(report.requests == store.counts.totalRequests)
        #expect(report.requests < 30)
    }

    @Test func aStoreThatCannotDeleteLeavesTheErasurePendingAndTheRemoteAsItWas() throws {
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir)
        let store = MemoryBlobStore()
        try scenario.upload(to: store, cache: dir.path + "/cache")
        let before = store.keys
        store.failCall(1, of: [.delete], andAfter: true, error: .denied(location: store.location, detail: "HTTP 403 AccessDenied"))
        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        let error = remoteCleanupError { try remote.erase(scenario.erased) }
        guard case .cannotDelete(let location, let detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(location == store.location && detail.contains("AccessDenied"))
        #expect(error!.description.contains("stays pending"))
        // Found out before anything was rewritten: the remote holds what it held (and the lease
        // could not be given back: it lapses).
        #expect(store.keys.filter { $0 != RemoteLayout.leaseKey && $0 != RemoteLayout.probeKey } == before)
        try expectServes(store, kept: scenario.all.digests, gone: [], fixture: scenario.all, dir: dir)

        // Permission granted, the lease lapsed: the next run erases.
        store.clearFaults()
        store.setObject(RemoteLayout.leaseKey, Array(#"{"holder":"x","operation":"erasure","acquired":0,"expires":1}"#.utf8))
        let report = try remote.erase(scenario.erased)
        #expect(report.objectsRemoved == scenario.erased.count)
        try expectServes(store, kept: scenario.kept, gone: scenario.erased, fixture: scenario.all, dir: dir)
    }

    /// An erasure killed after any number of requests leaves every object but the erased ones
    /// downloadable, and the next run finishes it: nothing on the remote mentions an erased object.
    @Test(arguments: LocalBackend.allCases)
    func aKilledErasureLeavesTheRemoteReadableAndARerunFinishes(backend: LocalBackend) throws {
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir, seed: 50)
        let original = backend.make(dir, name: "original")
        try scenario.upload(to: original, cache: dir.path + "/cache-upload")
        // How many calls a whole erasure makes.
        let probe = MemoryBlobStore()
        try copyObjects(from: original, to: probe)
        let counter = DyingBlobStore(probe, after: .max)
        _ = try RemoteContent(store: counter, cacheDirectory: dir.path + "/cache-count", options: tinyPacks()).erase(scenario.erased, jobs: 1)
        let total = counter.calls
        #expect(total > 20)

        let step = backend == .memory ? 1 : 4
        for n in stride(from: 1, to: total, by: step) {
            let store = backend.make(dir, name: "run-\(n)")
            try copyObjects(from: original, to: store)
            let cache = dir.path + "/cache-\(n)"
            // The killed run's lease lapses at once (a real one after leaseDuration, or when its
            // process is found gone on the same host).
            let dying = DyingBlobStore(store, after: n)
            #expect(throws: (any Error).self, "killed after \(n) calls") {
                try RemoteContent(store: dying, cacheDirectory: cache, options: tinyPacks(leaseDuration: 0)).erase(scenario.erased, jobs: 1)
            }
            try expectServes(store, kept: scenario.kept, gone: [], fixture: scenario.all, dir: dir)

            let rerun = try RemoteContent(store: store, cacheDirectory: cache, options: tinyPacks()).erase(scenario.erased, jobs: 1)
            #expect(rerun.rounds <= 1, "killed after \(n) calls")
            try expectServes(store, kept: scenario.kept, gone: scenario.erased, fixture: scenario.all, dir: dir)
            for d in [scenario.mixed.min()!, scenario.alone.min()!] {
                #expect(try objectsMentioning(d, in: store).isEmpty, "killed after \(n) calls: sha256:\(d.hex) is still on the remote")
            }
            #expect(try unnamedPacks(in: store).isEmpty, "killed after \(n) calls")
            #expect(try store.list(prefix: "gc/", startAfter: nil).isEmpty, "killed after \(n) calls")
            #expect(try RemoteContent(store: store, cacheDirectory: cache + "-check").check().isEmpty, "killed after \(n) calls")
        }
    }

    /// A download under way while another clone erases: the packs it planned to read are gone,
    /// so it reads the index objects again and takes the objects from the replacements.
    @Test func aDownloadUnderWayReadsTheIndexAgainAndRetries() throws {
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir)
        let store = MemoryBlobStore()
        try scenario.upload(to: store, cache: dir.path + "/cache")
        let eraser = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        let during = InterleavingBlobStore(store, beforeFirstRangedRead: { _ = try eraser.erase(scenario.erased) })
        let reader = RemoteContent(store: during, cacheDirectory: dir.path + "/cache-reader", options: tinyPacks())
        let target = try dir.store("target")
        let got = try reader.download(scenario.kept, into: target, jobs: 1)
        #expect(got.objects == scenario.kept.count)
        #expect(scenario.kept.allSatisfy { (try? target.read($0)) == scenario.all.objects[$0] })
        #expect(target.verify().isEmpty)
        #expect(try objectsMentioning(scenario.mixed.min()!, in: store).isEmpty)   // the erasure did happen meanwhile

        // The same while downloading an erased object too: the rest is fetched, the erased one
        // is not found (no index object lists it any more).
        let store2 = MemoryBlobStore()
        try scenario.upload(to: store2, cache: dir.path + "/cache2")
        let eraser2 = RemoteContent(store: store2, cacheDirectory: dir.path + "/cache2", options: tinyPacks())
        let reader2 = RemoteContent(store: InterleavingBlobStore(store2, beforeFirstRangedRead: { _ = try eraser2.erase(scenario.erased) }),
                                    cacheDirectory: dir.path + "/cache-reader2", options: tinyPacks())
        let target2 = try dir.store("target2")
        let victim = scenario.mixed.min()!
        // One job: the erasure happens before any byte is read (with more, another job may read
        // the object first).
        let error = remoteError { try reader2.download(scenario.kept.union([victim]), into: target2, jobs: 1) }
        guard case .notFound(_, let key)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(key.contains(victim.hex) && key.contains("no index object lists"))
        #expect(scenario.kept.allSatisfy { (try? target2.read($0)) == scenario.all.objects[$0] })
        #expect(!target2.contains(victim))
    }

    /// A clone whose cache still lists what was erased does not take the remote to have it: an
    /// upload that relies on listed objects reads the whole index listing first.
    @Test func anUploadFromAStaleCacheSendsWhatWasErased() throws {
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir)
        let store = MemoryBlobStore()
        try scenario.upload(to: store, cache: dir.path + "/cache-stale")
        _ = try RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks()).erase(scenario.alone)
        // A new upload (same time-stamp second as the erasure's index object, or later) by the stale clone.
        let stale = RemoteContent(store: store, cacheDirectory: dir.path + "/cache-stale", options: tinyPacks())
        let report = try stale.upload(scenario.alone, from: scenario.local)
        #expect(report.objects == scenario.alone.count && report.alreadyPresent == 0)
    }

    @Test func anInterruptedUploadsPackHoldingAnErasedObjectIsDeleted() throws {
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir)
        let store = MemoryBlobStore()
        try scenario.upload(to: store, cache: dir.path + "/cache")
        // Another clone sent packs with an erased object among others, and died before its index
        // object named them (made here on a scratch remote, then planted).
        let other = try dir.store("other")
        let extra = try Fixture.make(in: other, seed: 77, small: 20)
        let victim = scenario.alone.min()!
        let writer = try other.beginWrite()
        try scenario.all.objects[victim]!.withUnsafeBytes { _ = try writer.put($0, digest: victim) }
        try writer.finish()
        let scratch = MemoryBlobStore()
        _ = try RemoteContent(store: scratch, cacheDirectory: dir.path + "/cache-other", options: tinyPacks())
            .upload(extra.digests.union([victim]), from: other)
        for key in scratch.keys where key.hasPrefix("packs/") { store.setObject(key, scratch.object(key)!) }
        #expect(try unnamedPacks(in: store).count == 1)

        let report = try RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks()).erase([victim])
        #expect(report.orphanPacksDeleted == 1)
        #expect(try objectsMentioning(victim, in: store).isEmpty)
    }

    /// A bad lease document, or a lease whose holder (a process of this host) is gone, does not
    /// block an erasure; a live one does, and says whose it is and until when.
    @Test func leases() throws {
        let dir = ScratchDir()
        let scenario = try EraseScenario.make(dir)
        let store = MemoryBlobStore()
        try scenario.upload(to: store, cache: dir.path + "/cache")
        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        let future = Date().timeIntervalSince1970 + 3600
        store.setObject(RemoteLayout.leaseKey, Array("{\"holder\":\"gc on ci-7\",\"operation\":\"gc sweep\",\"acquired\":0,\"expires\":\(future)}".utf8))
        guard case .leaseHeld(_, let holder, let operation, let expires)? = remoteCleanupError({ try remote.erase(scenario.alone) }) else {
            Issue.record("a live lease did not block the erasure"); return
        }
        #expect(holder == "gc on ci-7" && operation == "gc sweep" && abs(expires.timeIntervalSince1970 - future) < 1)
        #expect(store.object(RemoteLayout.leaseKey) != nil)

        let dead = "2147483646"   // above any pid_max: no such process
        store.setObject(RemoteLayout.leaseKey, Array("{\"holder\":\"x\",\"operation\":\"erasure\",\"acquired\":0,\"expires\":\(future),\"host\":\"\(RemoteLease.hostName)\",\"pid\":\(dead)}".utf8))
        #expect(try remote.erase(scenario.alone).objectsRemoved == scenario.alone.count)
        store.setObject(RemoteLayout.leaseKey, Array("not json".utf8))
        #expect(try remote.erase(scenario.mixed).objectsRemoved == scenario.mixed.count)
        #expect(store.object(RemoteLayout.leaseKey) == nil)
    }
}

/// The `RemoteCleanupError` a call throws, or nil.
func remoteCleanupError<T>(_ body: () throws -> T) -> RemoteCleanupError? {
    do { _ = try body(); return nil } catch let e as RemoteCleanupError { return e } catch { return nil }
}
