import Foundation
import LineageCore
import LineageRemote
import LineageStore

/// The content step of push, fetch and clone over the pack layout (`RemoteContent`).
final class RemoteContentTransfer: ContentTransfer {
    let content: RemoteContent
    let progress: ProgressReporter
    let jobs: Int
    var location: String { content.location }

    init(_ content: RemoteContent, jobs: Int, progress: ProgressReporter) { self.content = content; self.jobs = jobs; self.progress = progress }

    func upload(_ digests: [Digest], from store: ContentStore) throws {
        _ = try content.upload(Set(digests), from: store, jobs: jobs) { p in
            self.progress.update(phase: "Sending content", done: p.bytes, total: p.totalBytes, unit: .bytes)
        }
        progress.finish()
    }

    func download(_ digests: [Digest], into store: ContentStore) throws {
        _ = try content.download(Set(digests), into: store, jobs: jobs) { p in
            self.progress.update(phase: "Fetching content", done: p.bytes, total: p.totalBytes, unit: .bytes)
        }
        progress.finish()
    }
}

extension Repository {
    /// Where a remote's transfer remembers index objects and unfinished packs (derived; deletable).
    func remoteCacheDirectory(_ remote: String) -> String { layout.dotLineage + "/remote-cache/" + remote }

    /// The content transfer for a remote's content location: a directory (the default one beside
    /// a path remote's history is created on first use; a configured one must exist), or nil when
    /// the remote has no content location. `s3://` locations go through `S3BlobStore`.
    func contentTransfer(for remote: RemoteConfig, progress: ProgressReporter = SilentProgress()) throws -> ContentTransfer? {
        guard let location = remote.effectiveContent else { return nil }
        if location.hasPrefix("s3://") {
            // Endpoint (`--endpoint` first), region and credentials from the standard AWS environment and
            // files (AWS_ENDPOINT_URL[_S3], AWS_PROFILE, ~/.aws/credentials, ~/.aws/config); never from the history.
            let store = try S3BlobStore(url: location, endpoint: remote.endpoint)
            return RemoteContentTransfer(RemoteContent(store: store, cacheDirectory: remoteCacheDirectory(remote.name)), jobs: transferJobs, progress: progress)
        }
        if remote.content == nil, !FileManager.default.fileExists(atPath: location) {
            try? FileManager.default.createDirectory(atPath: location, withIntermediateDirectories: true)
        }
        let store = DirectoryBlobStore(root: location)
        return RemoteContentTransfer(RemoteContent(store: store, cacheDirectory: remoteCacheDirectory(remote.name)), jobs: transferJobs, progress: progress)
    }
}
