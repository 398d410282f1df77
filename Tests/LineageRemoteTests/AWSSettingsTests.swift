import Foundation
import Testing
import LineageRemote

/// Writes `files` (name → text) into a fresh directory and returns its path.
func scratchDirectory(_ files: [String: String] = [:]) throws -> String {
    let dir = NSTemporaryDirectory() + "lineage-remote-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, text) in files {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    return dir
}

@Suite struct AWSSettingsTests {
    let location = "s3://bucket/p"

    @Test func environmentVariablesComeFirst() throws {
        let home = try scratchDirectory([".aws/credentials": "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = s\n"])
        let s = try AWSSettings.resolve(environment: [
            "HOME": home, "AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok",
            "AWS_DEFAULT_REGION": "eu-central-1",
        ], location: location)
        #expect(s.credentials == AWSCredentials(accessKeyID: "AKENV", secretAccessKey: "secret", sessionToken: "tok"))
        #expect(s.region == "eu-central-1")
        #expect(s.endpoint == nil)
        #expect(s.credentialSource == "environment")
        #expect(!s.credentials.description.contains("secret"))
    }

    @Test func profileFromCredentialsAndRegionFromConfig() throws {
        let home = try scratchDirectory([
            ".aws/credentials": "# comment\n[default]\naws_access_key_id=D\naws_secret_access_key=DS\n\n[dev]\naws_access_key_id = DEV\naws_secret_access_key = DEVS#not-a-comment\naws_session_token = T\n",
            ".aws/config": "[default]\nregion = us-west-1\n[profile dev]\nregion = ap-south-1\ns3 =\n  addressing_style = path\nendpoint_url = http://127.0.0.1:9/\n",
        ])
        let dev = try AWSSettings.resolve(environment: ["HOME": home, "AWS_PROFILE": "dev"], location: location)
        #expect(dev.credentials == AWSCredentials(accessKeyID: "DEV", secretAccessKey: "DEVS#not-a-comment", sessionToken: "T"))
        #expect(dev.region == "ap-south-1")
        #expect(dev.endpoint == "http://127.0.0.1:9")
        #expect(dev.credentialSource.contains("profile dev"))
        let plain = try AWSSettings.resolve(environment: ["HOME": home], location: location)
        #expect(plain.credentials.accessKeyID == "D")
        #expect(plain.region == "us-west-1")
        // AWS_REGION beats the profile's region.
        #expect(try AWSSettings.resolve(environment: ["HOME": home, "AWS_REGION": "sa-east-1"], location: location).region == "sa-east-1")
    }

    @Test func filesNamedByEnvironmentAndKeysInConfig() throws {
        let dir = try scratchDirectory(["cfg": "[profile ci]\naws_access_key_id = CI\naws_secret_access_key = CIS\n"])
        let s = try AWSSettings.resolve(environment: [
            "HOME": "/nonexistent", "AWS_CONFIG_FILE": dir + "/cfg", "AWS_SHARED_CREDENTIALS_FILE": dir + "/none", "AWS_PROFILE": "ci",
        ], location: location)
        #expect(s.credentials.accessKeyID == "CI")
        #expect(s.region == "us-east-1")
    }

    @Test func endpointPrecedence() throws {
        var env = ["HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
                   "AWS_ENDPOINT_URL": "http://general:1", "AWS_ENDPOINT_URL_S3": "http://s3only:2/"]
        #expect(try AWSSettings.resolve(environment: env, location: location).endpoint == "http://s3only:2")
        #expect(try AWSSettings.resolve(environment: env, explicitEndpoint: "https://given", location: location).endpoint == "https://given")
        env["AWS_ENDPOINT_URL_S3"] = nil
        #expect(try AWSSettings.resolve(environment: env, location: location).endpoint == "http://general:1")
        env["AWS_ENDPOINT_URL"] = "ftp://nope"
        #expect(throws: RemoteError.self) { try AWSSettings.resolve(environment: env, location: location) }
    }

    @Test func missingCredentialsSayWhatToSet() throws {
        do {
            _ = try AWSSettings.resolve(environment: ["HOME": "/nonexistent"], location: location)
            Issue.record("resolved without credentials")
        } catch let error as RemoteError {
            guard case .badURL(let where_, let detail) = error else { Issue.record("\(error)"); return }
            #expect(where_ == location)
            #expect(detail.contains("AWS_ACCESS_KEY_ID") && detail.contains("AWS_SECRET_ACCESS_KEY") && detail.contains("AWS_PROFILE"))
        }
        #expect(throws: RemoteError.self) {
            try AWSSettings.resolve(environment: ["HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "only"], location: location)
        }
    }

    @Test func unknownProfileAndSSOProfileAreNamed() throws {
        let home = try scratchDirectory([".aws/config": "[profile sso]\nsso_session = corp\nregion = eu-west-1\n"])
        do {
            _ = try AWSSettings.resolve(environment: ["HOME": home, "AWS_PROFILE": "ghost"], location: location)
            Issue.record("resolved an unknown profile")
        } catch let error as RemoteError {
            #expect(error.description.contains("ghost") && error.description.contains("AWS_PROFILE"))
        }
        do {
            _ = try AWSSettings.resolve(environment: ["HOME": home, "AWS_PROFILE": "sso"], location: location)
            Issue.record("resolved an SSO profile")
        } catch let error as RemoteError {
            #expect(error.description.contains("sso_session") && error.description.contains("export-credentials"))
        }
    }

    @Test func badContentURLs() {
        let env = ["HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]
        for url in ["http://bucket/x", "s3://", "s3://bad bucket/x", "s3:///x"] {
            #expect(throws: RemoteError.self, "\(url)") { try S3BlobStore(url: url, environment: env) }
        }
        let store = try? S3BlobStore(url: "s3://bucket//deep/prefix/", environment: env)
        #expect(store?.location == "s3://bucket/deep/prefix")
        #expect(store?.keyPrefix == "deep/prefix/")
    }
}
