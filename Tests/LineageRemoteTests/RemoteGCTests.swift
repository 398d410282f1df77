import Foundation
import Testing
import LineageCore
import LineageStore
@testable import LineageRemote

/// A remote with objects that refs reach (`reachable`), packs that hold only objects nothing
/// reaches any more (`alone`: a deleted branch's), and packs of which about half is unreachable
/// (`halfGone`).
struct GCScenario {
    let local: ContentStore
    let all: Fixture
    let kept: Set<Digest>
    let alone: Set<Digest>
    let halfGone: Set<Digest>
    var garbage: Set<Digest> { alone.union(halfGone) }
    var reachable: Set<Digest> { kept }

    static func make(_ dir: ScratchDir, on store: any BlobStore, seed: UInt64 = 60) throws -> GCScenario {
        let local = try dir.store("local")
        let a = try Fixture.make(in: local, seed: seed, small: 200, smallMax: 3000)
        let g = try Fixture.make(in: local, seed: seed + 1, small: 80, smallMax: 3000)
        let m = try Fixture.make(in: local, seed: seed + 2, small: 200, smallMax: 3000)
        let all = Fixture.merged([a, g, m])
        let halfGone = Set(m.digests.sorted().enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache-upload", options: tinyPacks())
        for group in [a.digests, g.digests, m.digests] { _ = try remote.upload(group, from: local, jobs: 2) }
        return GCScenario(local: local, all: all, kept: a.digests.union(m.digests.subtracting(halfGone)), alone: g.digests, halfGone: halfGone)
    }
}

let day: TimeInterval = 86_400
/// A fixed start, so that the memory store's clock and `now` agree.
let t0 = Date(timeIntervalSince1970: 1_800_000_000)

@Suite struct RemoteGCTests {
    @Test func markThenSweepAfterTheGracePeriodRemovesWhatNoRefReaches() throws {
        let dir = ScratchDir()
        let store = MemoryBlobStore()
        store.setTime(t0)
        let scenario = try GCScenario.make(dir, on: store)
        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())

        // Written a day ago: too young for a grace period of a week.
        store.setTime(t0 + day)
        let early = try remote.gcMark(reachable: scenario.reachable, grace: 7 * day, now: t0 + day)
        #expect(early.markKey == nil && early.packsTooYoung > 0)

        store.setTime(t0 + 8 * day)
        let mark = try remote.gcMark(reachable: scenario.reachable, grace: 7 * day, now: t0 + 8 * day)
        let markKey = try #require(mark.markKey)
        #expect(mark.packsToDelete > 0 && mark.packsToRewrite > 0 && mark.orphanPacks == 0)
        #expect(mark.garbageObjects == scenario.garbage.count)
        #expect(mark.reachableNotListed == 0 && mark.missingPacks == 0)
        #expect(mark.sweepableAt == t0 + 15 * day)
        // The mark works from the index objects and one listing of packs/: a handful of requests.
        #expect(mark.requests < 20)

        // Before the grace period has passed, a sweep does nothing.
        store.setTime(t0 + 9 * day)
        let tooSoon = try remote.gcSweep(reachable: scenario.reachable, now: t0 + 9 * day)
        #expect(tooSoon.marksSwept.isEmpty && tooSoon.marksNotDue == [markKey: t0 + 15 * day])
        try expectServes(store, kept: scenario.all.digests, gone: [], fixture: scenario.all, dir: dir)

        store.setTime(t0 + 15 * day + 60)
        let sweep = try remote.gcSweep(reachable: scenario.reachable, now: t0 + 15 * day + 60)
        #expect(sweep.marksSwept == [markKey])
        #expect(sweep.packsDeleted == mark.packsToDelete && sweep.packsRewritten == mark.packsToRewrite)
        #expect(sweep.objectsRemoved == scenario.garbage.count && sweep.objectsRereferenced == 0)
        #expect(sweep.bytesDeleted > 0)
        try expectServes(store, kept: scenario.reachable, gone: scenario.garbage, fixture: scenario.all, dir: dir)
        #expect(try unnamedPacks(in: store).isEmpty)
        #expect(try store.list(prefix: "gc/", startAfter: nil).isEmpty)
        #expect(try remote.check(readPacks: true).isEmpty)
        for d in scenario.garbage.sorted().prefix(10) { #expect(try objectsMentioning(d, in: store).isEmpty) }
    }

    /// Between mark and sweep, another clone pushes again what the mark found unreachable. Its
    /// upload does not rely on the marked packs (it sends the objects again, in packs of other
    /// names); the sweep keeps what the refs reach again, and what it deletes the new packs hold.
    @Test(arguments: [true, false])
    func anUploadBetweenMarkAndSweepKeepsWhatItReferences(refMovedBeforeSweep: Bool) throws {
        let dir = ScratchDir()
        let store = MemoryBlobStore()
        store.setTime(t0)
        let scenario = try GCScenario.make(dir, on: store)
        let gc = RemoteContent(store: store, cacheDirectory: dir.path + "/cache-gc", options: tinyPacks())
        store.setTime(t0 + 8 * day)
        let mark = try gc.gcMark(reachable: scenario.reachable, grace: 7 * day, now: t0 + 8 * day)
        let markKey = try #require(mark.markKey)
        let markedPacks = Set(try JSONDecoder().decode(GCMark.self, from: Data(store.object(markKey)!)).packs.map(\.key))

        // The branch comes back: the same objects, packed the same way, from a clone that knows
        // the remote lists them all (its cache has every index object).
        store.setTime(t0 + 9 * day)
        let pusher = RemoteContent(store: store, cacheDirectory: dir.path + "/cache-upload", options: tinyPacks())
        let sent = try pusher.upload(scenario.alone, from: scenario.local)
        #expect(sent.objects == scenario.alone.count && sent.alreadyPresent == 0)
        let index = try RemoteIndex.decode(store.object(try #require(sent.indexKey))!, key: sent.indexKey!, location: "m")
        #expect(markedPacks.isDisjoint(with: index.packs.map(\.key)))
        // Each would have had a marked pack's name: a nonce object gives it another.
        #expect(index.packs.flatMap(\.entries).count == scenario.alone.count + index.packs.count)

        store.setTime(t0 + 16 * day)
        let reachable = refMovedBeforeSweep ? scenario.reachable.union(scenario.alone) : scenario.reachable
        let sweep = try gc.gcSweep(reachable: reachable, now: t0 + 16 * day)
        #expect(sweep.marksSwept == [markKey])
        #expect(sweep.objectsRereferenced == (refMovedBeforeSweep ? scenario.alone.count : 0))
        #expect(sweep.objectsRemoved == scenario.halfGone.count)
        try expectServes(store, kept: scenario.reachable.union(scenario.alone), gone: scenario.halfGone, fixture: scenario.all, dir: dir)
        #expect(try remote(store, dir).check(readPacks: true).isEmpty)
    }

    @Test(arguments: LocalBackend.allCases)
    func withNoGracePeriodOnAnyStore(backend: LocalBackend) throws {
        let dir = ScratchDir()
        let store = backend.make(dir)
        let scenario = try GCScenario.make(dir, on: store)
        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        let mark = try remote.gcMark(reachable: scenario.reachable, grace: 0)
        #expect(mark.garbageObjects == scenario.garbage.count)
        // Re-referenced between mark and sweep: one object of a wholly unreachable pack.
        let back = scenario.alone.min()!
        let sweep = try remote.gcSweep(reachable: scenario.reachable.union([back]))
        #expect(sweep.objectsRereferenced == 1)
        #expect(sweep.objectsRemoved == scenario.garbage.count - 1)
        try expectServes(store, kept: scenario.reachable.union([back]), gone: scenario.garbage.subtracting([back]), fixture: scenario.all, dir: dir)
        #expect(try remote.check(readPacks: true).isEmpty)
        #expect(try store.list(prefix: "gc/", startAfter: nil).isEmpty)
    }

    /// A sweep killed after any number of calls leaves everything reachable downloadable; the
    /// next sweep (the mark is still there) finishes.
    @Test func aKilledSweepIsFinishedByTheNext() throws {
        let dir = ScratchDir()
        let original = MemoryBlobStore()
        original.setTime(t0)
        let scenario = try GCScenario.make(dir, on: original, seed: 70)
        let now = t0 + 15 * day
        /// The uploaded remote, marked (the mark names this copy's entity tags).
        func marked(_ n: Int) throws -> MemoryBlobStore {
            let copy = MemoryBlobStore()
            copy.setTime(t0)
            try copyObjects(from: original, to: copy)
            copy.setTime(t0 + 8 * day)
            _ = try RemoteContent(store: copy, cacheDirectory: dir.path + "/cache-mark-\(n)", options: tinyPacks())
                .gcMark(reachable: scenario.reachable, grace: 7 * day, now: t0 + 8 * day)
            copy.setTime(now)
            return copy
        }
        let counter = DyingBlobStore(try marked(0), after: .max)
        _ = try RemoteContent(store: counter, cacheDirectory: dir.path + "/cache-count", options: tinyPacks()).gcSweep(reachable: scenario.reachable, now: now, jobs: 1)
        let total = counter.calls
        #expect(total > 20)
        for n in 1..<total {
            let store = try marked(n)
            let cache = dir.path + "/cache-\(n)"
            #expect(throws: (any Error).self, "killed after \(n) calls") {
                try RemoteContent(store: DyingBlobStore(store, after: n), cacheDirectory: cache, options: tinyPacks(leaseDuration: 0))
                    .gcSweep(reachable: scenario.reachable, now: now, jobs: 1)
            }
            try expectServes(store, kept: scenario.reachable, gone: [], fixture: scenario.all, dir: dir)
            // A minute later: the killed run's lease (renewed as it went) has lapsed.
            _ = try RemoteContent(store: store, cacheDirectory: cache, options: tinyPacks())
                .gcSweep(reachable: scenario.reachable, now: now + 60, jobs: 1)
            try expectServes(store, kept: scenario.reachable, gone: scenario.garbage, fixture: scenario.all, dir: dir)
            #expect(try unnamedPacks(in: store).isEmpty, "killed after \(n) calls")
            #expect(try store.list(prefix: "gc/", startAfter: nil).isEmpty, "killed after \(n) calls")
            #expect(try remote(store, dir).check().isEmpty, "killed after \(n) calls")
        }
    }

    @Test func aLapsedLeaseIsTakenOverAndALiveOneIsNot() throws {
        let dir = ScratchDir()
        let store = MemoryBlobStore()
        store.setTime(t0)
        let scenario = try GCScenario.make(dir, on: store)
        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        func lease(expires: Date) {
            store.setObject(RemoteLayout.leaseKey, Array("{\"holder\":\"laptop pid 4242 run 9\",\"operation\":\"gc sweep\",\"acquired\":0,\"expires\":\(expires.timeIntervalSince1970)}".utf8))
        }
        store.setTime(t0 + 8 * day)
        lease(expires: t0 + 8 * day + 600)
        let error = remoteCleanupError { try remote.gcMark(reachable: scenario.reachable, grace: 7 * day, now: t0 + 8 * day) }
        guard case .leaseHeld(_, "laptop pid 4242 run 9", "gc sweep", t0 + 8 * day + 600)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(error!.description.contains("gc sweep by laptop pid 4242 run 9"))
        // The run that held it was killed; its lease lapsed.
        lease(expires: t0 + 8 * day - 1)
        #expect(try remote.gcMark(reachable: scenario.reachable, grace: 7 * day, now: t0 + 8 * day).markKey != nil)
        #expect(store.object(RemoteLayout.leaseKey) == nil)
    }

    @Test func aStoreWithoutConditionalRequestsIsRefusedUnlessNobodyElseWrites() throws {
        let dir = ScratchDir()
        let store = MemoryBlobStore()
        let scenario = try GCScenario.make(dir, on: store)
        store.setConditionalRequests(false)
        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        let error = remoteCleanupError { try remote.gcMark(reachable: scenario.reachable, grace: 0) }
        guard case .noConditionalRequests(_, let detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(detail.contains("If-None-Match"))
        #expect(error!.description.contains("--no-concurrent-writers"))
        #expect(try store.list(prefix: "gc/", startAfter: nil).isEmpty)
        #expect(throws: RemoteCleanupError.self) { try remote.gcSweep(reachable: scenario.reachable) }

        _ = try remote.gcMark(reachable: scenario.reachable, grace: 0, allowUnconditional: true)
        let sweep = try remote.gcSweep(reachable: scenario.reachable, allowUnconditional: true)
        #expect(sweep.objectsRemoved == scenario.garbage.count)
        try expectServes(store, kept: scenario.reachable, gone: scenario.garbage, fixture: scenario.all, dir: dir)
    }

    /// gc measures the grace period by the store's clock and its own: a client hours off is refused.
    @Test func aClockHoursOffIsRefused() throws {
        let dir = ScratchDir()
        let store = MemoryBlobStore()
        store.setTime(t0)
        let scenario = try GCScenario.make(dir, on: store)
        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        let error = remoteCleanupError { try remote.gcMark(reachable: scenario.reachable, grace: 0, now: t0 + 3 * 3600) }
        guard case .clockSkew(_, let seconds)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(abs(seconds - 3 * 3600) < 2)
        #expect(error!.description.contains("10800 seconds"))
        #expect(store.object(RemoteLayout.leaseKey) == nil)
        #expect(try store.list(prefix: "gc/marks/", startAfter: nil).isEmpty)
    }

    /// Packs an interrupted upload left, that no index object names, are collected once old.
    @Test func packsNoIndexNamesAreCollectedWhenOld() throws {
        let dir = ScratchDir()
        let store = MemoryBlobStore()
        store.setTime(t0)
        let scenario = try GCScenario.make(dir, on: store)
        let other = try dir.store("other")
        let extra = try Fixture.make(in: other, seed: 99, small: 100)
        store.failCall(1, of: [.put], keyPrefix: "index/")
        #expect(throws: RemoteError.self) {
            try RemoteContent(store: store, cacheDirectory: dir.path + "/cache-other", options: tinyPacks()).upload(extra.digests, from: other)
        }
        let orphans = try unnamedPacks(in: store)
        #expect(!orphans.isEmpty)
        let remote = RemoteContent(store: store, cacheDirectory: dir.path + "/cache", options: tinyPacks())
        store.setTime(t0 + 8 * day)
        let mark = try remote.gcMark(reachable: scenario.all.digests, grace: 7 * day, now: t0 + 8 * day)
        #expect(mark.orphanPacks == orphans.count && mark.packsToDelete == 0 && mark.packsToRewrite == 0)
        store.setTime(t0 + 15 * day)
        let sweep = try remote.gcSweep(reachable: scenario.all.digests, now: t0 + 15 * day)
        #expect(sweep.orphanPacksDeleted == orphans.count)
        #expect(try unnamedPacks(in: store).isEmpty)
        try expectServes(store, kept: scenario.all.digests, gone: [], fixture: scenario.all, dir: dir)
    }

    private func remote(_ store: any BlobStore, _ dir: ScratchDir) -> RemoteContent {
        RemoteContent(store: store, cacheDirectory: dir.path + "/cache-" + LocalFiles.randomHex(), options: tinyPacks())
    }
}
