internal import CLibGit2
import Foundation
import Crypto
import LineageCore

/// SHA-256 over a git tree, so that what a signed commit names never rests on SHA-1.
///
/// Merkle-style, like git's own trees but with SHA-256: a blob's digest is SHA-256 of its bytes; a
/// tree's is SHA-256 of one line per entry, in the tree's order, `blob|tree <hex> <name>\n`.
/// Digests of subtrees are cached by object id, so checking a long history where each commit
/// changes a few paths costs a few tree reads per commit, not a walk of the whole tree.
public final class TreeDigester {
    private let repository: GitRepository
    private var cache: [ObjectID: LineageCore.Digest] = [:]
    /// Blobs that could not be read or whose bytes no longer hash to their id, with the path met.
    public private(set) var unreadable: [(path: String, id: ObjectID, error: String)] = []

    /// Told about each tracked-file blob (outside the record directory) the first time a tree
    /// computed here holds it, with its path: `verify` collects the pointers to check this way
    /// without walking the trees a second time.
    public var onNewBlob: ((String, ObjectID) -> Void)?
    /// Told about each entry whose name no tracked path may contain (see `TrackedPath.isValidComponent`).
    public var onUnsafeName: ((String, ObjectID) -> Void)?
    private var seenBlobs = Set<ObjectID>()

    public init(repository: GitRepository) { self.repository = repository }

    /// The digest of `tree`, leaving out the entry at `excluding` (a `/`-separated path), which is
    /// how a commit record can name the digest of the tree that holds it.
    public func digest(ofTree tree: ObjectID, excluding: String? = nil) throws -> LineageCore.Digest {
        try digest(tree: tree, prefix: "", excluding: excluding)
    }

    private func digest(tree id: ObjectID, prefix: String, excluding: String?) throws -> LineageCore.Digest {
        let onExcludedPath = excluding.map { prefix.isEmpty || $0.hasPrefix(prefix + "/") } ?? false
        if !onExcludedPath, let known = cache[id] { return known }
        var oid = id.raw
        var tree: OpaquePointer?
        try GitError.check(git_tree_lookup(&tree, repository.handle.pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(tree) }
        let count = git_tree_entrycount(tree)
        var listing: [UInt8] = []
        listing.reserveCapacity(count * 100)
        for i in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, i), let cName = git_tree_entry_name(entry) else { continue }
            let nameBytes = UnsafeRawBufferPointer(start: cName, count: strlen(cName))
            // Paths are only built along the excluded path; everywhere else names stay C bytes.
            let path: String? = onExcludedPath ? (prefix.isEmpty ? "" : prefix + "/") + String(cString: cName) : nil
            if let path, path == excluding { continue }
            let child = ObjectID(git_tree_entry_id(entry)!)
            let inRecords = prefix == RecordTree.directory || prefix.hasPrefix(RecordTree.directory + "/")
                || (prefix.isEmpty && nameBytes.elementsEqual(RecordTree.directory.utf8))
            if !inRecords, let onUnsafeName, !TrackedPath.isValidComponent(nameBytes, atRoot: prefix.isEmpty) {
                onUnsafeName((prefix.isEmpty ? "" : prefix + "/") + String(cString: cName), child)
            }
            let d: LineageCore.Digest
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE:
                listing.append(contentsOf: "tree ".utf8)
                let childPath = path ?? (prefix.isEmpty ? "" : prefix + "/") + String(cString: cName)
                d = try digest(tree: child, prefix: childPath, excluding: path == nil ? nil : excluding)
            case GIT_OBJECT_BLOB:
                listing.append(contentsOf: "blob ".utf8)
                d = blobDigest(child, path: { path ?? (prefix.isEmpty ? "" : prefix + "/") + String(cString: cName) })
                if !inRecords, let onNewBlob, seenBlobs.insert(child).inserted {
                    onNewBlob(path ?? (prefix.isEmpty ? "" : prefix + "/") + String(cString: cName), child)
                }
            default: continue
            }
            d.appendHex(to: &listing)
            listing.append(32)
            listing.append(contentsOf: nameBytes)
            listing.append(10)
        }
        let result = LineageCore.Digest(SHA256.hash(data: listing))
        if !onExcludedPath { cache[id] = result }
        return result
    }

    private func blobDigest(_ id: ObjectID, path: () -> String) -> LineageCore.Digest {
        if let known = cache[id] { return known }
        do {
            let bytes = try repository.readBlob(id)
            let d = LineageCore.Digest(SHA256.hash(data: bytes))
            cache[id] = d
            return d
        } catch {
            unreadable.append((path(), id, "\(error)"))
            // A digest no real blob has, so the tree's digest cannot match what was signed.
            return LineageCore.Digest(SHA256.hash(data: Array("unreadable \(id.hex)".utf8)))
        }
    }
}
