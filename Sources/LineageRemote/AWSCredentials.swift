import Foundation

/// An AWS access key pair, with the token of temporary (session) credentials.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID; self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Names the key id only; the secret and the token never appear in messages or logs.
    public var description: String { "AWS key \(accessKeyID)" }
}

/// Credentials, region and endpoint for S3, found where the AWS tools look for them.
public struct AWSSettings: Sendable, Equatable {
    public let credentials: AWSCredentials
    public let region: String
    /// The endpoint's base URL (`http://127.0.0.1:9000`), or nil for AWS's own
    /// (`https://s3.<region>.amazonaws.com`).
    public let endpoint: String?
    /// Where the credentials came from, for messages: `environment`, `profile dev in /home/u/.aws/credentials`.
    public let credentialSource: String

    public init(credentials: AWSCredentials, region: String, endpoint: String?, credentialSource: String) {
        self.credentials = credentials; self.region = region; self.endpoint = endpoint; self.credentialSource = credentialSource
    }

    /// Resolves the settings from `environment` (pass the process environment, or a dictionary in tests):
    ///
    /// - credentials: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`); else the
    ///   profile `AWS_PROFILE` (default `default`) in the credentials file (`AWS_SHARED_CREDENTIALS_FILE`,
    ///   default `~/.aws/credentials`, sections `[name]`), then in the config file (`AWS_CONFIG_FILE`,
    ///   default `~/.aws/config`, sections `[profile name]` and `[default]`);
    /// - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` in the config file, else `us-east-1`;
    /// - endpoint: `explicitEndpoint`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's
    ///   `endpoint_url` in the config file, else AWS's own.
    ///
    /// Throws `RemoteError.badURL` naming `location` and what to set when no credentials are found,
    /// the profile named does not exist or uses a source lineage cannot read (SSO, processes, roles);
    /// `RemoteError.io` when a file exists but cannot be read.
    public static func resolve(environment env: [String: String], explicitEndpoint: String? = nil, location: String) throws -> AWSSettings {
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        let home = value("HOME") ?? NSHomeDirectory()
        func expand(_ path: String) -> String { path.hasPrefix("~/") ? home + path.dropFirst(1) : path }
        let credentialsPath = expand(value("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials")
        let configPath = expand(value("AWS_CONFIG_FILE") ?? "~/.aws/config")
        let profileNamed = value("AWS_PROFILE")
        let profile = profileNamed ?? "default"

        let credentialsFile = try INIFile.read(credentialsPath)
        let configFile = try INIFile.read(configPath)
        let fromCredentials = credentialsFile?.sections[profile]
        let fromConfig = configFile?.sections[profile == "default" ? "default" : "profile \(profile)"]
            ?? (profile == "default" ? configFile?.sections["profile default"] : nil)

        // Credentials.
        let credentials: AWSCredentials
        let source: String
        if let id = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") {
            credentials = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
            source = "environment"
        } else if value("AWS_ACCESS_KEY_ID") != nil || value("AWS_SECRET_ACCESS_KEY") != nil {
            throw RemoteError.badURL(location, detail: "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; set both (and AWS_SESSION_TOKEN for temporary credentials)")
        } else if let found = keys(in: fromCredentials) {
            credentials = found
            source = "profile \(profile) in \(credentialsPath)"
        } else if let found = keys(in: fromConfig) {
            credentials = found
            source = "profile \(profile) in \(configPath)"
        } else {
            let section = fromCredentials ?? fromConfig
            if let section, let feature = ["credential_process", "sso_session", "sso_start_url", "role_arn", "web_identity_token_file"]
                .first(where: { section[$0] != nil }) {
                throw RemoteError.badURL(location, detail: "AWS profile \(profile) gets its credentials through \(feature), which lineage does not read; export them first (`eval \"$(aws configure export-credentials --profile \(profile) --format env)\"`) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            if profileNamed != nil, section == nil {
                throw RemoteError.badURL(location, detail: "AWS_PROFILE names the profile \(profile), which is in neither \(credentialsPath) nor \(configPath); add it (`aws configure --profile \(profile)`) or unset AWS_PROFILE")
            }
            throw RemoteError.badURL(location, detail: "no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or put aws_access_key_id and aws_secret_access_key in profile \(profile) of \(credentialsPath) (choose the profile with AWS_PROFILE)")
        }

        let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? fromConfig?["region"] ?? "us-east-1"

        var endpoint = explicitEndpoint.flatMap { $0.isEmpty ? nil : $0 }
            ?? value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL") ?? fromConfig?["endpoint_url"]
        if let e = endpoint {
            let lower = e.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), URLComponents(string: e)?.host?.isEmpty == false else {
                throw RemoteError.badURL(location, detail: "the S3 endpoint \(e) is not an http:// or https:// URL; fix --endpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL")
            }
            while endpoint!.hasSuffix("/") { endpoint!.removeLast() }
        }
        return AWSSettings(credentials: credentials, region: region, endpoint: endpoint, credentialSource: source)
    }

    private static func keys(in section: [String: String]?) -> AWSCredentials? {
        guard let section, let id = section["aws_access_key_id"], !id.isEmpty,
              let secret = section["aws_secret_access_key"], !secret.isEmpty else { return nil }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: section["aws_session_token"])
    }
}

/// The INI dialect of the AWS shared files: `[section]`, `key = value`, `#`/`;` comment lines;
/// indented lines (nested settings such as `s3 =` blocks) are skipped. Names of keys are
/// lower-cased; section names are kept as written, with inner runs of spaces folded.
struct INIFile {
    var sections: [String: [String: String]] = [:]

    /// nil when there is no file at `path`.
    static func read(_ path: String) throws -> INIFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RemoteError.io(path: path, operation: "read", errno: EACCES)
        }
        return parse(String(decoding: data, as: UTF8.self))
    }

    static func parse(_ text: String) -> INIFile {
        var file = INIFile()
        var current: String? = nil
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if let first = rawLine.first, first == " " || first == "\t" { continue }
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
                current = name
                if file.sections[name] == nil { file.sections[name] = [:] }
                continue
            }
            guard let section = current, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            // No inline comments: botocore's parser keeps `#` inside values, and so do we.
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            file.sections[section]![key] = value
        }
        return file
    }
}
