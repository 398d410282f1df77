import Testing
import LineageRemote

@Suite struct RemoteErrorTests {
    @Test func everyMessageNamesTheRemote() {
        let errors: [RemoteError] = [
            .unreachable(location: "s3://b/p", detail: "connection refused"),
            .denied(location: "s3://b/p", detail: "403"),
            .noSuchStore(location: "s3://b/p"),
            .notFound(location: "s3://b/p", key: "packs/x.pack"),
            .newerFormat(location: "s3://b/p", found: 9, supported: 1),
            .damaged(location: "s3://b/p", key: "packs/x.pack", detail: "flipped byte"),
            .protocolError(location: "s3://b/p", detail: "bad XML"),
        ]
        for e in errors { #expect(e.description.contains("s3://b/p")) }
    }
}
