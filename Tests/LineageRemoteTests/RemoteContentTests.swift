import Foundation
import Testing
import LineageCore
import LineageStore
@testable import LineageRemote

@Suite struct RemoteContentTests {
    // MARK: - Round trips

    @Test func roundTripThroughMemory() throws {
        let dir = ScratchDir()
        let local = try dir.store("a")
        let fixture = try Fixture.make(in: local, seed: 1, small: 3000, large: 3)
        let remoteStore = MemoryBlobStore()
        let up = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-a", options: smallPacks())
        let sent = try up.upload(fixture.digests, from: local, jobs: 4)
        #expect(sent.objects == fixture.digests.count)
        #expect(sent.packs >= 3)
        #expect(sent.indexKey != nil)
        // format.json GET (absent) and PUT, the packs, the index object.
        #expect(sent.requests == sent.packs + 3)
        #expect(remoteStore.keys.filter { $0.hasPrefix("packs/") }.count == sent.packs)

        let fresh = try dir.store("b")
        let down = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-b", options: smallPacks())
        let got = try down.download(fixture.digests, into: fresh, jobs: 4)
        #expect(got.objects == fixture.digests.count)
        #expect(fixture.allRead(from: fresh))
        #expect(fresh.verify().isEmpty)
        // Downloading again moves nothing and asks the remote nothing.
        let again = try down.download(fixture.digests, into: fresh, jobs: 4)
        #expect(again.objects == 0 && again.requests == 0 && again.alreadyPresent == fixture.digests.count)
    }

    @Test func roundTripThroughADirectory() throws {
        let dir = ScratchDir()
        let local = try dir.store("a")
        let fixture = try Fixture.make(in: local, seed: 2, small: 2000, large: 2)
        let remoteStore = DirectoryBlobStore(root: dir.subdirectory("remote"))
        let up = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-a", options: smallPacks())
        let sent = try up.upload(fixture.digests, from: local, jobs: 3)
        #expect(sent.objects == fixture.digests.count)
        let packs = try remoteStore.list(prefix: "packs/", startAfter: nil)
        #expect(packs.count == sent.packs)
        #expect(try remoteStore.list(prefix: "index/", startAfter: nil).count == 1)
        #expect(RemoteLayout.parseFormat(try remoteStore.get("lineage/format.json")) == 1)

        let fresh = try dir.store("b")
        let down = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-b", options: smallPacks())
        _ = try down.download(fixture.digests, into: fresh, jobs: 3)
        #expect(fixture.allRead(from: fresh))
        #expect(fresh.verify().isEmpty)
    }

    /// A remote pack is a local pack file byte for byte: its entries are the local store's stored
    /// (compressed) bytes, not recompressed, and its name is the SHA-256 of its chunk table.
    @Test func packsCarryTheStoredBytesAndAreNamedByTheirTable() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 3, small: 200)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache").upload(fixture.digests, from: local)
        let indexKey = try #require(remoteStore.keys.first { $0.hasPrefix("index/") })
        let indexBytes = try #require(remoteStore.object(indexKey))
        #expect(indexKey.hasSuffix("-" + Digest.of(indexBytes).hex + ".idx"))
        let index = try RemoteIndex.decode(indexBytes, key: indexKey, location: "test")
        #expect(index.packs.count == 1)
        let pack = index.packs[0]
        let packBytes = try #require(remoteStore.object(pack.key))
        #expect(UInt64(packBytes.count) == pack.size)
        #expect(Array(packBytes.prefix(4)) == Array("LPK1".utf8))
        var compressed = 0
        for e in pack.entries {
            let stored = try local.readStored(e.digest)
            #expect(stored.compressed == e.compressed)
            let start = Int(e.offset) + 41
            #expect(Array(packBytes[start..<(start + Int(e.storedLength))]) == stored.payload)
            if e.compressed { compressed += 1 }
        }
        #expect(compressed > 0)
        // Pack into a directory: a copy of that pack with an index makes a readable local pack.
        let copy = try dir.store("copy")
        let name = "pack-" + String(repeating: "ab", count: 32)
        try Data(packBytes).write(to: URL(fileURLWithPath: copy.packsDirectory + "/" + name + ".pack"))
        let reopened = try ContentStore(directory: copy.directory)
        #expect(fixture.allRead(from: reopened))
    }

    // MARK: - Re-sending and interruptions

    @Test func uploadingAgainSendsNothing() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 4, small: 1500)
        let remoteStore = MemoryBlobStore()
        let remote = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks())
        _ = try remote.upload(fixture.digests, from: local)
        let written = remoteStore.counts.bytesWritten
        remoteStore.resetCounts()
        let again = try remote.upload(fixture.digests, from: local)
        #expect(again.objects == 0 && again.packs == 0 && again.indexKey == nil)
        #expect(again.alreadyPresent == fixture.digests.count)
        // A listing of index/ from the newest index object known (the format document was read once
        // by this instance); relying on what it lists, a listing of all of index/ (a gc or an
        // erasure may have deleted index objects the cache has) and of gc/marks/ (an upload does
        // not rely on packs a pending gc mark names). No new index object.
        #expect(again.requests == 3)
        #expect(remoteStore.counts.totalRequests == 3)
        #expect(remoteStore.counts[.list] == 3)
        #expect(remoteStore.counts[.put] == 0)

        // Another clone with an empty cache reads the format document, lists index/ (all of it),
        // reads the one index object, lists gc/marks/, and sends nothing either.
        remoteStore.resetCounts()
        let other = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2", options: smallPacks())
        let third = try other.upload(fixture.digests, from: local)
        #expect(third.objects == 0 && third.requests == 4)
        #expect(remoteStore.counts.bytesWritten == 0 && written > 0)
    }

    /// A remote that lost its objects (emptied, recreated, rolled back) is not taken to hold what
    /// the cache of its index objects says: the next upload sends everything again.
    @Test func aRemoteThatLostItsObjectsIsNotTrustedFromTheCache() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 21, small: 300)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache").upload(fixture.digests, from: local)
        // Emptied but for its format document.
        try remoteStore.delete(remoteStore.keys.filter { $0 != RemoteLayout.formatKey })
        let again = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache").upload(fixture.digests, from: local)
        #expect(again.objects == fixture.digests.count)
        // Emptied entirely.
        try remoteStore.delete(remoteStore.keys)
        let third = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache").upload(fixture.digests, from: local)
        #expect(third.objects == fixture.digests.count)
        try expectEveryIndexedPackIsThere(remoteStore, dir: dir)
        #expect(remoteStore.keys.filter { $0.hasPrefix("index/") }.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/cache/index").count == 1)
    }

    @Test func anInterruptedUploadIsFinishedByRunningItAgain() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 5, small: 3000)
        let remoteStore = MemoryBlobStore()
        let remote = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks(512 << 10))
        // The third pack upload fails: two packs are there, no index object is.
        remoteStore.failCall(3, of: [.put], keyPrefix: "packs/")
        #expect(throws: RemoteError.self) { try remote.upload(fixture.digests, from: local, jobs: 1) }
        let firstPacks = remoteStore.keys.filter { $0.hasPrefix("packs/") }
        #expect(firstPacks.count == 2)
        #expect(!remoteStore.keys.contains { $0.hasPrefix("index/") })
        let firstBytes = remoteStore.counts.bytesWritten

        remoteStore.resetCounts()
        let report = try remote.upload(fixture.digests, from: local, jobs: 1)
        #expect(report.objects == fixture.digests.count)
        // The two packs already sent are checked with a HEAD each and not sent again.
        #expect(remoteStore.counts[.head] == 2)
        let allPacks = remoteStore.keys.filter { $0.hasPrefix("packs/") }
        #expect(remoteStore.counts[.put] == allPacks.count - 2 + 1)    // the rest, and the index
        #expect(Set(firstPacks).isSubset(of: Set(allPacks)))
        let packBytes = allPacks.reduce(0) { $0 + remoteStore.object($1)!.count }
        let indexBytes = remoteStore.keys.filter { $0.hasPrefix("index/") }.reduce(0) { $0 + remoteStore.object($1)!.count }
        // Every pack byte was sent once (plus the format document and the index object).
        #expect(Int(firstBytes + remoteStore.counts.bytesWritten) == packBytes + indexBytes + RemoteLayout.formatDocument().count)
        try expectEveryIndexedPackIsThere(remoteStore, dir: dir)

        let fresh = try dir.store("fresh")
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2").download(fixture.digests, into: fresh)
        #expect(fixture.allRead(from: fresh))
    }

    @Test func temporaryFilesOfDeadUploadsAreRemovedFromTheCache() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 25, small: 30)
        let cache = dir.path + "/cache"
        let dead = "2147483646"   // above any pid_max: no such process
        let stale = [cache + "/tmp/pack-\(dead)-1f", cache + "/index/.tmp-\(dead)-2e", cache + "/pending/.tmp-\(dead)-3d"]
        let live = cache + "/tmp/pack-\(getpid())-4c"
        for d in ["tmp", "index", "pending"] { try FileManager.default.createDirectory(atPath: cache + "/" + d, withIntermediateDirectories: true) }
        for f in stale + [live] { FileManager.default.createFile(atPath: f, contents: Data([1])) }
        _ = try RemoteContent(store: MemoryBlobStore(), cacheDirectory: cache).upload(fixture.digests, from: local)
        for f in stale { #expect(!FileManager.default.fileExists(atPath: f), "\(f)") }
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/tmp") == ["pack-\(getpid())-4c"])
    }

    /// Several interruptions at different points, with parallel uploads: whatever happens, an index
    /// object never names a pack the remote lacks, and the last run completes the upload.
    @Test(arguments: [1, 2, 4, 6])
    func interruptionsNeverLeaveAnIndexNamingAMissingPack(failAt: Int) throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 6, small: 2500)
        let remoteStore = MemoryBlobStore()
        let remote = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks(256 << 10))
        remoteStore.failCall(failAt, of: [.put], keyPrefix: "packs/")
        #expect(throws: RemoteError.self) { try remote.upload(fixture.digests, from: local, jobs: 3) }
        try expectEveryIndexedPackIsThere(remoteStore, dir: dir)
        // The index object itself fails on the second try.
        remoteStore.failCall(1, of: [.put], keyPrefix: "index/")
        #expect(throws: RemoteError.self) { try remote.upload(fixture.digests, from: local, jobs: 3) }
        try expectEveryIndexedPackIsThere(remoteStore, dir: dir)
        _ = try remote.upload(fixture.digests, from: local, jobs: 3)
        try expectEveryIndexedPackIsThere(remoteStore, dir: dir)
        let check = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-check")
        #expect(try check.locate(fixture.digests).missing.isEmpty)
    }

    @Test func anInterruptedDownloadKeepsWhatItVerifiedAndResumes() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 17, small: 3000)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks(512 << 10)).upload(fixture.digests, from: local)
        let fresh = try dir.store("fresh")
        let down = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2", options: smallPacks(512 << 10))
        remoteStore.failCall(4, of: [.rangeGet])
        #expect(throws: RemoteError.self) { try down.download(fixture.digests, into: fresh, jobs: 1) }
        let kept = fresh.allDigests().count
        #expect(kept > 0 && kept < fixture.digests.count)
        #expect(fresh.verify().isEmpty)
        remoteStore.resetCounts()
        let rest = try down.download(fixture.digests, into: fresh, jobs: 2)
        #expect(rest.objects == fixture.digests.count - kept && rest.alreadyPresent == kept)
        let allPackBytes = remoteStore.keys.filter { $0.hasPrefix("packs/") }.reduce(0) { $0 + remoteStore.object($1)!.count }
        #expect(Int(remoteStore.counts.bytesRead) < allPackBytes)
        #expect(fixture.allRead(from: fresh))
    }

    @Test func progressIsReportedOnTheCallersThread() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 18, small: 2000)
        let remoteStore = MemoryBlobStore()
        let caller = Thread.current
        var seen: [TransferProgress] = []
        var elsewhere = 0
        let remote = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks(256 << 10))
        let up = try remote.upload(fixture.digests, from: local, jobs: 4) { p in
            seen.append(p)
            if Thread.current !== caller { elsewhere += 1 }
        }
        #expect(!seen.isEmpty && elsewhere == 0)
        #expect(seen.last == TransferProgress(objects: fixture.digests.count, totalObjects: fixture.digests.count,
                                              bytes: up.bytes, totalBytes: up.bytes))
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.objects <= $1.objects && $0.bytes <= $1.bytes })
        seen = []
        let fresh = try dir.store("fresh")
        let down = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2", options: smallPacks(256 << 10))
            .download(fixture.digests, into: fresh, jobs: 4) { p in
                seen.append(p)
                if Thread.current !== caller { elsewhere += 1 }
            }
        #expect(elsewhere == 0)
        #expect(seen.last?.objects == fixture.digests.count && seen.last?.bytes == down.bytes)
    }

    /// Two clones push overlapping content at the same time, to memory and to a directory: both
    /// finish, every index names packs that are there, and a third clone gets everything.
    @Test(arguments: ["memory", "directory"])
    func concurrentUploadersBothSucceed(backend: String) throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 26, small: 2000)
        let sorted = fixture.digests.sorted()
        let store: any BlobStore = backend == "memory" ? MemoryBlobStore() : DirectoryBlobStore(root: dir.subdirectory("remote"))
        let halves = [Set(sorted[0..<1400]), Set(sorted[600...])]
        let reports = ResultSlots<TransferReport>(count: 2)
        let root = dir.path
        try ParallelJobs().run(count: 2, jobs: 2, work: { i in
            let remote = RemoteContent(store: store, cacheDirectory: root + "/cache-\(i)", options: smallPacks(256 << 10))
            reports.set(i, try remote.upload(halves[i], from: local, jobs: 3))
        }, onProgress: {})
        #expect(reports.values.allSatisfy { $0 != nil })
        let checker = RemoteContent(store: store, cacheDirectory: dir.path + "/cache-check", options: smallPacks(256 << 10))
        #expect(try checker.check(readPacks: true).isEmpty)
        let fresh = try dir.store("fresh")
        _ = try checker.download(fixture.digests, into: fresh, jobs: 4)
        #expect(fixture.allRead(from: fresh))
        #expect(fresh.verify().isEmpty)
    }

    // MARK: - Partial downloads and request counts

    @Test func aPartialDownloadReadsLittleMoreThanItAsks() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 7, small: 5000)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks(2 << 20)).upload(fixture.digests, from: local)
        // 1% of the objects, and a run of neighbours in storage order (one file's chunks).
        let order = local.storedObjects(fixture.digests).present
        var wanted = Set(order.enumerated().filter { $0.offset % 100 == 7 }.map(\.element.digest))
        for o in order[1000..<1040] { wanted.insert(o.digest) }
        let askedStored = order.filter { wanted.contains($0.digest) }.reduce(0) { $0 + 41 + Int($1.storedLength) }

        let fresh = try dir.store("fresh")
        remoteStore.resetCounts()
        let report = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2").download(wanted, into: fresh)
        let indexBytes = remoteStore.keys.filter { $0.hasPrefix("index/") }.reduce(0) { $0 + remoteStore.object($1)!.count }
        let packBytesRead = Int(remoteStore.counts.bytesRead) - indexBytes - RemoteLayout.formatDocument().count
        #expect(packBytesRead == Int(report.bytes))
        #expect(Double(packBytesRead) <= 1.5 * Double(askedStored))
        // The run of 40 neighbours came in one ranged read.
        #expect(remoteStore.counts[.rangeGet] < wanted.count - 30)
        #expect(Set(fresh.allDigests()) == wanted)
        #expect(fresh.verify().isEmpty)
    }

    /// A clone reads every chunk list, then the chunks they name: uploads keep the lists together,
    /// so each phase takes a few ranged reads, not one per file.
    @Test func aCloneReadsChunkListsThenChunksInFewRequests() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let files = dir.subdirectory("files")
        var r = TestRandom(state: 24)
        var lists = Set<Digest>(), chunks = Set<Digest>()
        let writer = try local.beginWrite()
        for i in 0..<1500 {
            let path = files + "/f\(i)"
            try Data(i % 3 == 0 ? r.text(200 + i) : r.bytes(1000 + 7 * i)).write(to: URL(fileURLWithPath: path))
            let result = try local.ingest(file: path, into: writer)
            lists.insert(result.chunkListDigest)
            chunks.formUnion(result.chunkList.entries.map(\.digest))
        }
        try writer.finish()
        let remoteStore = MemoryBlobStore()
        let up = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks())
            .upload(lists.union(chunks), from: local)
        #expect(up.packs >= 3)

        let fresh = try dir.store("fresh")
        let clone = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2", options: smallPacks())
        remoteStore.resetCounts()
        _ = try clone.download(lists, into: fresh)
        #expect(remoteStore.counts[.rangeGet] <= 2)
        var named = Set<Digest>()
        for l in lists { named.formUnion(try fresh.chunkList(l).entries.map(\.digest)) }
        #expect(named == chunks)
        remoteStore.resetCounts()
        _ = try clone.download(named, into: fresh)
        #expect(remoteStore.counts[.rangeGet] <= up.packs + 1)
        #expect(fresh.verify().isEmpty && fresh.allDigests().count == lists.count + chunks.count)
    }

    /// 100,000 small objects: one request per pack, plus the format document (read and written)
    /// and the index object.
    @Test func manySmallObjectsTakeOneRequestPerPack() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 8, small: 100_000, smallMax: 1200)
        let packSize: UInt64 = 8 << 20
        let remoteStore = MemoryBlobStore()
        let report = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache",
                                       options: RemoteContentOptions(packSize: packSize)).upload(fixture.digests, from: local, jobs: 4)
        let stored = remoteStore.keys.filter { $0.hasPrefix("packs/") }.reduce(UInt64(0)) { $0 + UInt64(remoteStore.object($1)!.count) }
        let minimum = Int((stored + packSize - 1) / packSize)
        #expect(report.packs <= minimum + 1)
        #expect(report.requests == report.packs + 3)
        #expect(remoteStore.counts.totalRequests == report.requests)
        #expect(remoteStore.counts[.list] == 0 && remoteStore.counts[.head] == 0)
    }

    // MARK: - Damage

    @Test func aFlippedByteIsRefusedAndNothingDamagedIsStored() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 9, small: 800)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks()).upload(fixture.digests, from: local)
        let index = try onlyIndex(remoteStore)
        let pack = index.packs[0]
        let victim = pack.entries[pack.entries.count / 2]
        remoteStore.flipByte(of: pack.key, at: victim.offset + 41 + UInt64(victim.storedLength / 2))

        let fresh = try dir.store("fresh")
        let down = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2", options: smallPacks())
        let error = try #require(throws: RemoteError.self) { try down.download(fixture.digests, into: fresh, jobs: 1) }
        let d = try #require(damage(error))
        #expect(d.key == pack.key)
        #expect(d.detail.contains(victim.digest.hex))
        #expect(error.description.contains("memory://test"))
        #expect(fresh.verify().isEmpty)
        #expect(!fresh.contains(victim.digest))
        // Every other object was fetched and verified before the damage was reported, and stays;
        // once the remote is mended, the rest comes.
        let kept = fresh.allDigests().count
        #expect(kept == fixture.digests.count - 1)
        remoteStore.clearFlips()
        let rest = try down.download(fixture.digests, into: fresh, jobs: 1)
        #expect(rest.objects == fixture.digests.count - kept)
        #expect(fixture.allRead(from: fresh))
    }

    @Test func aFlippedByteInAnEntryHeaderIsRefused() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 10, small: 50)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache").upload(fixture.digests, from: local)
        let pack = try onlyIndex(remoteStore).packs[0]
        remoteStore.flipByte(of: pack.key, at: pack.entries[3].offset + 20)   // inside the digest
        let fresh = try dir.store("fresh")
        let error = try #require(throws: RemoteError.self) {
            try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2").download(fixture.digests, into: fresh)
        }
        #expect(damage(error)?.detail.contains(pack.entries[3].digest.hex) == true)
        #expect(fresh.verify().isEmpty)
    }

    @Test func aTruncatedPackIsRefused() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 11, small: 600)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache").upload(fixture.digests, from: local)
        let pack = try onlyIndex(remoteStore).packs[0]
        remoteStore.truncate(pack.key, to: Int(pack.size / 2))
        let fresh = try dir.store("fresh")
        let error = try #require(throws: RemoteError.self) {
            try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2").download(fixture.digests, into: fresh)
        }
        let d = try #require(damage(error))
        #expect(d.key == pack.key && d.detail.contains("truncated") && d.detail.contains("sha256:"))
        #expect(fresh.verify().isEmpty)
        #expect(fresh.allDigests().count < fixture.digests.count)
    }

    /// A store that notices the damage itself (S3 answers 416 past the end of a truncated pack)
    /// throws `.damaged` for the pack; the refusal still names an object it hides.
    @Test func damageTheStoreReportsNamesTheObject() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 23, small: 100)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache").upload(fixture.digests, from: local)
        let pack = try onlyIndex(remoteStore).packs[0]
        remoteStore.failCall(1, of: [.rangeGet], error: .damaged(location: "memory://test", key: pack.key, detail: "past the end"))
        let error = try #require(throws: RemoteError.self) {
            try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2").download(fixture.digests, into: try dir.store("fresh"))
        }
        let d = try #require(damage(error))
        #expect(d.key == pack.key && d.detail.hasPrefix("past the end;") && d.detail.contains("sha256:" + pack.entries[0].digest.hex))
    }

    @Test func anIndexNamingAMissingPackIsRefused() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 12, small: 1500)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks()).upload(fixture.digests, from: local)
        let index = try onlyIndex(remoteStore)
        #expect(index.packs.count > 1)
        try remoteStore.delete([index.packs[1].key])
        let fresh = try dir.store("fresh")
        let error = try #require(throws: RemoteError.self) {
            try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2", options: smallPacks()).download(fixture.digests, into: fresh, jobs: 1)
        }
        let d = try #require(damage(error))
        #expect(d.key == index.packs[1].key)
        #expect(d.detail.contains("index/") && d.detail.contains("sha256:"))
        #expect(fresh.verify().isEmpty)
    }

    @Test func aDamagedIndexObjectIsRefused() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 13, small: 100)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache").upload(fixture.digests, from: local)
        let key = try #require(remoteStore.keys.first { $0.hasPrefix("index/") })
        remoteStore.flipByte(of: key, at: 30)
        let fresh = try dir.store("fresh")
        let error = try #require(throws: RemoteError.self) {
            try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2").download(fixture.digests, into: fresh)
        }
        #expect(damage(error)?.key == key)
        #expect(fresh.allDigests().isEmpty)
    }

    /// The same refusals over a directory remote whose files were damaged on disk.
    @Test func aDamagedDirectoryRemoteIsRefused() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 19, small: 1200)
        let remoteStore = DirectoryBlobStore(root: dir.subdirectory("remote"))
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks()).upload(fixture.digests, from: local)
        let packs = try remoteStore.list(prefix: "packs/", startAfter: nil)
        #expect(packs.count >= 2)
        // One pack loses its second half, another gets a byte flipped near its end.
        let first = dir.path + "/remote/" + packs[0].key, second = dir.path + "/remote/" + packs[1].key
        chmod(first, 0o644); chmod(second, 0o644)
        #expect(truncate(first, off_t(packs[0].size / 2)) == 0)
        var bytes = [UInt8](FileManager.default.contents(atPath: second)!)
        bytes[bytes.count - 3] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: second))
        for (i, key) in [packs[0].key, packs[1].key].enumerated() {
            let fresh = try dir.store("fresh-\(i)")
            let down = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-\(i)", options: smallPacks())
            let inPack = try RemoteIndex.decode(try remoteStore.get(try remoteStore.list(prefix: "index/", startAfter: nil)[0].key),
                                                key: "index", location: "l").packs.first { $0.key == key }!
            let error = try #require(throws: RemoteError.self) {
                try down.download(Set(inPack.entries.map(\.digest)), into: fresh, jobs: 2)
            }
            #expect(damage(error)?.key == key)
            #expect(error.description.contains(remoteStore.location))
            #expect(fresh.verify().isEmpty)
        }
    }

    @Test func checkFindsMissingShortAndDamagedPacks() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 22, small: 2000)
        let remoteStore = MemoryBlobStore()
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks()).upload(fixture.digests, from: local)
        let checker = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-check", options: smallPacks(256 << 10))
        #expect(try checker.check().isEmpty)
        #expect(try checker.check(readPacks: true).isEmpty)
        let packs = try onlyIndex(remoteStore).packs.sorted { $0.id < $1.id }
        #expect(packs.count >= 3)
        try remoteStore.delete([packs[0].key])
        remoteStore.truncate(packs[1].key, to: 100)
        let victim = packs[2].entries[7]
        remoteStore.flipByte(of: packs[2].key, at: victim.offset + 50)
        remoteStore.resetCounts()
        let cheap = try checker.check()
        #expect(remoteStore.counts[.list] == 1 && remoteStore.counts[.head] == packs.count && remoteStore.counts[.rangeGet] == 0)
        #expect(cheap.map(\.key) == [packs[0].key, packs[1].key])
        #expect(cheap[0].objects.count == packs[0].entries.count && cheap[1].detail.contains("100 bytes"))
        let thorough = try checker.check(readPacks: true)
        #expect(thorough.map(\.key) == [packs[0].key, packs[1].key, packs[2].key])
        #expect(thorough[2].objects == [victim.digest])
        #expect(thorough[2].description.contains(victim.digest.hex))
    }

    /// What `check` finds, `repair` sends again from a clone that has it; downloads then work:
    /// a pack damaged at rest is passed over for the new one, a missing pack is put back.
    @Test func repairSendsAgainWhatCheckFound() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 27, small: 1500)
        let remoteStore = MemoryBlobStore()
        let remote = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: smallPacks())
        _ = try remote.upload(fixture.digests, from: local)
        let packs = try onlyIndex(remoteStore).packs
        #expect(packs.count >= 2)
        // Damage at rest: a flipped byte in one pack, another pack gone.
        let victim = packs[0].entries[5]
        var bytes = remoteStore.object(packs[0].key)!
        bytes[Int(victim.offset) + 41] ^= 1
        remoteStore.setObject(packs[0].key, bytes)
        try remoteStore.delete([packs[1].key])
        // "Push again" alone does not help: the index objects list everything.
        #expect(try remote.upload(fixture.digests, from: local).objects == 0)
        let problems = try remote.check(readPacks: true)
        #expect(Set(problems.map(\.key)) == [packs[0].key, packs[1].key])
        #expect(throws: RemoteError.self) { try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/c1").download(fixture.digests, into: try dir.store("f1")) }

        let repaired = try remote.repair(problems, from: local)
        #expect(repaired.objects == 1 + packs[1].entries.count)
        // The missing pack is back under its name (same objects, same order); the damaged one stays.
        #expect(remoteStore.object(packs[1].key) != nil)
        #expect(try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/c2").check(readPacks: true).map(\.key) == [packs[0].key])
        let fresh = try dir.store("fresh")
        let report: TransferReport
        do { report = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/c3").download(fixture.digests, into: fresh, jobs: 3) }
        catch { Issue.record("download after repair: \(error)"); return }
        #expect(report.objects == fixture.digests.count)
        #expect(fixture.allRead(from: fresh))
        #expect(fresh.verify().isEmpty)
        // Nothing to repair from a clone that lacks the objects.
        let empty = try dir.store("empty")
        #expect(try remote.repair(problems, from: empty).objects == 0)
    }

    @Test func aNewerFormatIsRefused() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 14, small: 10)
        let remoteStore = MemoryBlobStore()
        remoteStore.setObject("lineage/format.json", Array("{\"format\": 2, \"packs\": \"v2/\"}".utf8))
        let remote = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache")
        #expect(throws: RemoteError.newerFormat(location: "memory://test", found: 2, supported: 1)) {
            try remote.upload(fixture.digests, from: local)
        }
        #expect(throws: RemoteError.newerFormat(location: "memory://test", found: 2, supported: 1)) {
            try remote.download(fixture.digests, into: try dir.store("fresh"))
        }
        #expect(remoteStore.keys == ["lineage/format.json"])
        remoteStore.setObject("lineage/format.json", Array("not json".utf8))
        let error = try #require(throws: RemoteError.self) { try remote.locate(fixture.digests) }
        #expect(damage(error)?.key == "lineage/format.json")
    }

    @Test func objectsNoIndexListsAreNamedAsMissing() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 15, small: 20)
        let remoteStore = MemoryBlobStore()
        let remote = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache")
        let some = Set(fixture.digests.sorted().prefix(10))
        _ = try remote.upload(some, from: local)
        let located = try remote.locate(fixture.digests)
        #expect(located.present == some)
        #expect(located.missing == fixture.digests.subtracting(some))
        let absent = fixture.digests.subtracting(some).min()!
        #expect(throws: RemoteError.notFound(location: "memory://test",
                                             key: "content object sha256:\(absent.hex) (and 9 more objects), which no index object lists")) {
            try remote.download(fixture.digests, into: try dir.store("fresh"))
        }
        // Uploading something the local store does not have is refused before anything is sent.
        let stranger = Digest.of(Array("not here".utf8))
        remoteStore.resetCounts()
        #expect(throws: StoreError.missingObject(stranger)) { try remote.upload([stranger], from: local) }
        #expect(remoteStore.counts[.put] == 0)
    }

    // MARK: - Index objects

    /// A clone reads only the index objects it has not seen, and learns about another clone's upload.
    @Test func onlyNewIndexObjectsAreRead() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 16, small: 300)
        let sorted = fixture.digests.sorted()
        let remoteStore = MemoryBlobStore()
        let alice = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/alice")
        let bob = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/bob")
        _ = try alice.upload(Set(sorted[0..<100]), from: local)
        _ = try bob.upload(Set(sorted[100..<200]), from: local)
        #expect(try bob.locate(Set(sorted[0..<200])).missing.isEmpty)
        remoteStore.resetCounts()
        // Alice knows her own index object; she reads Bob's only.
        #expect(try alice.locate(Set(sorted[0..<200])).missing.isEmpty)
        #expect(remoteStore.counts[.get] == 1)     // Bob's index object (the format document was read before)
        remoteStore.resetCounts()
        #expect(try alice.locate(Set(sorted[0..<200])).missing.isEmpty)
        #expect(remoteStore.counts.totalRequests == 1)   // the listing only
        // A new instance over the same cache reads no index object again.
        remoteStore.resetCounts()
        let alice2 = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/alice")
        #expect(try alice2.locate(Set(sorted[0..<200])).missing.isEmpty)
        #expect(remoteStore.counts[.get] == 1)
        // A damaged cached copy is dropped and read again.
        let cached = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/alice/index").sorted()
        #expect(cached.count == 2)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.path + "/alice/index/" + cached[0]))
        remoteStore.resetCounts()
        let alice3 = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/alice")
        #expect(try alice3.locate(Set(sorted[0..<200])).missing.isEmpty)
        #expect(remoteStore.counts[.get] == 2)
    }

    /// An index object named earlier than the listing window (a writer whose clock was behind) is
    /// missed by the cheap listing but found by the full one a miss triggers.
    @Test func anIndexFromABackwardClockIsFoundWhenSomethingIsMissing() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let fixture = try Fixture.make(in: local, seed: 20, small: 40)
        let sorted = fixture.digests.sorted()
        let remoteStore = MemoryBlobStore()
        let alice = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/alice")
        _ = try alice.upload(Set(sorted[0..<20]), from: local)
        // Bob, two days behind, uploads the rest: move his index object back in time.
        let bob = RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/bob")
        let bobs = try #require(try bob.upload(Set(sorted[20...]), from: local).indexKey)
        let bytes = remoteStore.object(bobs)!
        try remoteStore.delete([bobs])
        remoteStore.setObject(RemoteLayout.indexKey(time: Date().addingTimeInterval(-2 * 86400), bytes: bytes), bytes)
        remoteStore.resetCounts()
        #expect(try alice.locate(Set(sorted[0..<20])).missing.isEmpty)
        #expect(remoteStore.counts[.list] == 1)
        #expect(try alice.locate(fixture.digests).missing.isEmpty)
        #expect(remoteStore.counts[.list] == 3)
        let fresh = try dir.store("fresh")
        #expect(try alice.download(fixture.digests, into: fresh).objects == fixture.digests.count)
    }

    @Test func emptyAndPackSizedObjectsTravel() throws {
        let dir = ScratchDir()
        let local = try dir.store()
        let packSize: UInt64 = 64 << 10
        var r = TestRandom(state: 1)
        // Empty; filling a pack exactly; bigger than a pack; tiny; compressible and bigger than a ranged read.
        let objects: [[UInt8]] = [[], r.bytes(Int(packSize) - 8 - 41), r.bytes(Int(packSize)), r.bytes(10), r.text(300_000)]
        let writer = try local.beginWrite()
        for o in objects { try o.withUnsafeBytes { _ = try writer.put($0, digest: Digest.of(o)) } }
        try writer.finish()
        let digests = Set(objects.map { Digest.of($0) })
        let remoteStore = MemoryBlobStore()
        let options = RemoteContentOptions(packSize: packSize, maxRangeSize: 32 << 10, memoryPackLimit: 16 << 10)
        let up = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache", options: options).upload(digests, from: local)
        #expect(up.packs >= 3)
        let fresh = try dir.store("fresh")
        _ = try RemoteContent(store: remoteStore, cacheDirectory: dir.path + "/cache-2", options: options).download(digests, into: fresh, jobs: 3)
        for o in objects { #expect(try fresh.read(Digest.of(o)) == o) }
        #expect(fresh.verify().isEmpty)
    }

    @Test func indexObjectsAreCheckedWhenParsed() throws {
        let e = RemotePackEntry(digest: Digest.of([1]), offset: 8, storedLength: 1, rawLength: 1, compressed: false)
        let good = RemoteIndex(packs: [RemotePack(entries: [e])])
        #expect(try RemoteIndex.decode(good.encoded(), key: "k", location: "l") == good)
        var renamed = good.encoded()
        renamed[12] ^= 1   // the pack id
        #expect(damage(try error { try RemoteIndex.decode(renamed, key: "k", location: "l") })?.detail.contains("name") == true)
        let gap = RemotePackEntry(digest: Digest.of([2]), offset: 60, storedLength: 1, rawLength: 1, compressed: false)
        let holes = RemoteIndex(packs: [RemotePack(entries: [e, gap])]).encoded()
        #expect(damage(try error { try RemoteIndex.decode(holes, key: "k", location: "l") }) != nil)
        var newer = good.encoded()
        newer[7] = 2
        #expect(throws: RemoteError.newerFormat(location: "l", found: 2, supported: 1)) { try RemoteIndex.decode(newer, key: "k", location: "l") }
        #expect(damage(try error { try RemoteIndex.decode(Array(good.encoded().dropLast()), key: "k", location: "l") }) != nil)
    }

    @Test func indexKeysSortByTime() {
        let a = RemoteLayout.indexKey(time: Date(timeIntervalSince1970: 1_700_000_000), bytes: [1])
        let b = RemoteLayout.indexKey(time: Date(timeIntervalSince1970: 1_700_000_001), bytes: [0])
        #expect(a == "index/20231114T221320Z-" + Digest.of([1]).hex + ".idx")
        #expect(a.utf8.lexicographicallyPrecedes(b.utf8))
        #expect(RemoteLayout.indexKey(a, minusHours: 24) == "index/20231113T221320Z")
    }

    // MARK: - Helpers

    private func onlyIndex(_ store: MemoryBlobStore) throws -> RemoteIndex {
        let keys = store.keys.filter { $0.hasPrefix("index/") }
        #expect(keys.count == 1)
        let key = try #require(keys.first)
        return try RemoteIndex.decode(store.object(key)!, key: key, location: store.location)
    }

    private func error(_ body: () throws -> Any) throws -> any Error {
        do { _ = try body() } catch { return error }
        throw RemoteError.protocolError(location: "test", detail: "no error thrown")
    }

    /// Every pack any index object names is in the store with the size the index gives.
    private func expectEveryIndexedPackIsThere(_ store: MemoryBlobStore, dir: ScratchDir) throws {
        for key in store.keys where key.hasPrefix("index/") {
            let index = try RemoteIndex.decode(store.object(key)!, key: key, location: store.location)
            for p in index.packs { #expect(store.object(p.key).map { UInt64($0.count) } == p.size, "\(key) names \(p.key)") }
        }
    }
}
