import Foundation
import LineageCore
import LineageGit
import LineageStore

/// The content objects (chunk lists and chunks) a set of commits reaches that the other side does
/// not already hold: what a push must upload before the remote's reference may move.
public struct ContentReach: Sendable, Equatable {
    /// Chunk-list objects, sorted.
    public var chunkLists: [Digest] = []
    /// Chunks, sorted; every chunk of a listed chunk list that the other side is not known to hold.
    public var chunks: [Digest] = []
    /// Chunk lists the pushed commits name that are not in the local store (a `--no-content`
    /// clone, or erased bytes without a tombstone): they cannot be sent.
    public var missing: [(path: String, digest: Digest)] = []
    /// Commits the computation walked (reachable from the pushed commits, not from the known ones).
    public var commits = 0

    /// Every digest to send: chunk lists first (a reader needs them to find the chunks), then chunks.
    public var all: [Digest] { chunkLists + chunks }
    public var isEmpty: Bool { chunkLists.isEmpty && chunks.isEmpty }

    public static func == (a: ContentReach, b: ContentReach) -> Bool {
        a.chunkLists == b.chunkLists && a.chunks == b.chunks && a.commits == b.commits
            && a.missing.map(\.digest) == b.missing.map(\.digest)
    }
}

/// Moves content objects between the local store and a remote content location. The pack layout
/// (`RemoteContent` of LineageRemote) implements it; tests may pass their own.
public protocol ContentTransfer: AnyObject {
    /// Where the bytes go (`s3://bucket/prefix`, a directory), for messages. Never a credential.
    var location: String { get }
    /// Makes every digest present on the remote (already-present ones cost nothing).
    func upload(_ digests: [Digest], from store: ContentStore) throws
    /// Copies the digests into the local store, each verified against its SHA-256 before it is stored.
    func download(_ digests: [Digest], into store: ContentStore) throws
}

extension Repository {
    /// The content objects reachable from `commits` minus those reachable from `known` (the
    /// remote's references as last fetched): the history the remote already has tells what bytes it
    /// already has, since a remote reference only ever moves after all its bytes arrived.
    ///
    /// New commits are those reachable from `commits` and not from `known`. Their pointers are the
    /// blobs each adds or changes against its first parent; pointers present in the trees of the
    /// boundary (known commits those new ones build on, and the known tips) are taken as held. Of the
    /// rest, the chunk lists and chunks not named by a held pointer's chunk list are the answer.
    /// Erased versions (a tombstone in the pushed tree) are left out: their bytes are gone on purpose.
    public func contentReach(from commits: [ObjectID], excluding known: [ObjectID]) throws -> ContentReach {
        var reach = ContentReach()
        let knownPresent = known.filter { git.contains($0) }
        let new = try git.walk(from: commits, hiding: knownPresent)
        reach.commits = new.count
        guard !new.isEmpty else { return reach }
        let newSet = Set(new)

        // Pointers the new commits add, with a path for messages.
        var candidates: [ObjectID: String] = [:]
        var boundary = Set(knownPresent)
        var erased = Set<Digest>()
        for id in new {
            let info = try git.commit(id)
            let baseTree = try info.parents.first.map { try git.commit($0).tree }
            for f in try git.changedBlobs(from: baseTree, to: info.tree) where candidates[f.id] == nil { candidates[f.id] = f.path }
            for p in info.parents where !newSet.contains(p) { boundary.insert(p) }
        }
        for id in commits { erased.formUnion(try erasures(inTree: try git.commit(id).tree).keys) }

        // What the other side holds: the pointers of the boundary trees, their chunk lists and chunks.
        var heldPointers = Set<ObjectID>()
        var heldLists = Set<Digest>()
        var heldChunks = Set<Digest>()
        for id in boundary {
            for f in try git.files(inTree: try git.commit(id).tree) where heldPointers.insert(f.id).inserted {
                guard let p = try? pointer(f.id), heldLists.insert(p.chunks).inserted else { continue }
                // A held list that is not local (a partial clone) only costs re-sending shared chunks.
                if let list = try? store.chunkList(p.chunks) { for e in list.entries { heldChunks.insert(e.digest) } }
            }
        }

        var lists = Set<Digest>()
        var chunks = Set<Digest>()
        for (blob, path) in candidates.sorted(by: { $0.value.bytesPrecede($1.value) }) where !heldPointers.contains(blob) {
            let p = try pointer(blob)
            if erased.contains(p.sha256) || heldLists.contains(p.chunks) || lists.contains(p.chunks) { continue }
            let list: ChunkList
            do { list = try store.chunkList(p.chunks) } catch StoreError.missingObject {
                reach.missing.append((path, p.chunks)); continue
            }
            lists.insert(p.chunks)
            for e in list.entries where !heldChunks.contains(e.digest) { chunks.insert(e.digest) }
        }
        reach.chunkLists = lists.sorted()
        reach.chunks = chunks.sorted()
        return reach
    }
}
