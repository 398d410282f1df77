import Foundation
import LineageCore
import LineageSigning

/// The key a user signs with, as configured (`user.signingkey`, in the forms git accepts): a
/// private key file, its `.pub`, or a public key given literally (`key::ssh-ed25519 AAAA…`).
public enum SigningKeySpec: Sendable, Equatable {
    /// A path: a private key file, or a `.pub` file (the private half then in ssh-agent, or beside it).
    case file(String)
    /// A public key given as text; the private half must be in ssh-agent (or reachable by `signing.program`).
    case literal(SSHPublicKey)

    /// Parses a configured value: `key::<line>` or a bare `ssh-…`/`ecdsa-…` line is a literal;
    /// anything else a path (`~/` expanded, relative to `cwd`).
    public static func parse(_ value: String, cwd: String) throws -> SigningKeySpec {
        var text = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("key::") { text.removeFirst(5) }
        else if !(text.hasPrefix("ssh-") || text.hasPrefix("ecdsa-") || text.hasPrefix("sk-")) {
            return .file(SigningKeys.expand(value, cwd: cwd))
        }
        do { return .literal(try SSHPublicKey(openSSH: text)) } catch let e as SigningError {
            throw LineageError.signing("\(withHint(e))")
        }
    }

    /// The private key file, when there is one to read: the path itself, or for a `.pub` the file
    /// beside it without the suffix.
    var privateKeyFile: String? {
        guard case .file(let path) = self else { return nil }
        guard path.hasSuffix(".pub") else { return path }
        let bare = String(path.dropLast(4))
        return FileManager.default.fileExists(atPath: bare) ? bare : nil
    }

    /// How messages name the key.
    var name: String {
        switch self {
        case .file(let path): return path
        case .literal(let key): return "key::\(key.openSSH)"
        }
    }

    /// The public key, without reading any private key material: the literal; the `.pub` file
    /// (given, or beside the private key file); else the clear header of the private key file.
    public func publicKey() throws -> SSHPublicKey {
        switch self {
        case .literal(let key): return key
        case .file(let path):
            let pub = path.hasSuffix(".pub") ? path : path + ".pub"
            if let key = try? Self.readPublicKeyFile(pub) { return key }
            if path.hasSuffix(".pub") {
                // The .pub named could not be read: say why.
                return try Self.readPublicKeyFile(path)
            }
            do { return try SSHPrivateKey.publicKey(ofFile: path) } catch let e as SigningError {
                throw LineageError.signing("signing key \(path): \(withHint(e))")
            }
        }
    }

    /// A public key file: its first line that is not blank or a comment.
    static func readPublicKeyFile(_ path: String) throws -> SSHPublicKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            if !FileManager.default.fileExists(atPath: path) { throw LineageError.signing(withHint(SigningError.keyFileMissing(path: path))) }
            throw LineageError.unreadable(path, reason: "cannot read the public key file")
        }
        let text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("-----BEGIN") {
            throw LineageError.invalidArgument("\(path) is a private key; pass its public half (\(path).pub) — private keys are never read for trust")
        }
        let line = text.split(whereSeparator: \.isNewline).first { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }.map(String.init) ?? ""
        do { return try SSHPublicKey(openSSH: line) } catch let e as SigningError {
            throw LineageError.signing("\(path): \(withHint(e))")
        }
    }
}

/// What makes this user's signatures, chosen as git chooses for SSH signing:
/// 1. a program, when `signing.program` is set (git's `gpg.ssh.program`), run as
///    `<program> -Y sign -n <namespace> -f <key>` with the bytes to sign on stdin;
/// 2. ssh-agent, when `SSH_AUTH_SOCK` is set and the agent holds the configured key;
/// 3. the private key file, decrypted in memory with a passphrase asked on the terminal.
public struct Signer: Sendable {
    public let publicKey: SSHPublicKey
    let method: Method

    enum Method: Sendable {
        case key(SSHPrivateKey)
        case agent(SSHAgent)
        case program(String, SigningKeySpec)
    }

    /// How the signature is made, for messages.
    public var via: String {
        switch method {
        case .key: return "key file"
        case .agent(let agent): return "ssh-agent (\(agent.socketPath))"
        case .program(let program, _): return "\(program) -Y sign"
        }
    }

    /// Finds the signer for `spec`, in the order above. Reads the private key file only when
    /// neither a program nor the agent signs (so a key loaded with `ssh-add` may be moved away).
    static func resolve(_ spec: SigningKeySpec, program: String?, cwd: String,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Signer {
        if let program, !program.isEmpty {
            return Signer(publicKey: try spec.publicKey(), method: .program(program, spec))
        }
        var agentNote: String
        if let agent = SSHAgent(environment: environment) {
            // A key whose public half cannot be learnt without the private file is tried from the file.
            if let key = try? spec.publicKey() {
                do {
                    if try agent.holds(key) { return Signer(publicKey: key, method: .agent(agent)) }
                    agentNote = "the agent at \(agent.socketPath) does not hold it"
                } catch let e as SigningError {
                    agentNote = "\(withHint(e))"
                }
            } else {
                agentNote = "its public key is unknown"
            }
        } else {
            agentNote = "SSH_AUTH_SOCK is not set, so there is no ssh-agent to ask"
        }
        guard let file = spec.privateKeyFile else {
            let key = try spec.publicKey()
            throw LineageError.signing("the signing key \(spec.name) (\(key.fingerprint)) is not in ssh-agent (\(agentNote)) and there is no private key file beside it; load the key into the agent with `ssh-add PRIVATE_KEY_FILE`, or let ssh-keygen sign with `lineage config signing.program ssh-keygen`")
        }
        do {
            let key = try Passphrase.loadKey(path: file)
            return Signer(publicKey: key.publicKey, method: .key(key))
        } catch let e as SigningError {
            throw LineageError.signing("signing key \(file): \(withHint(e))")
        }
    }

    /// Fails unless the signer can still sign: the agent is still there and still holds the key.
    /// Called right before a commit's objects are written, so that an agent gone since the key was
    /// chosen (while hooks ran) stops the commit before anything is written.
    func ensureReady() throws {
        guard case .agent(let agent) = method else { return }
        let holds: Bool
        do { holds = try agent.holds(publicKey) } catch let e as SigningError {
            throw LineageError.signing("\(withHint(e)); nothing was written")
        }
        guard holds else {
            throw LineageError.signing("ssh-agent (\(agent.socketPath)) no longer holds the signing key \(publicKey.fingerprint); load it again with `ssh-add KEYFILE` and retry — nothing was written")
        }
    }

    /// An armored SSH signature (sshsig) over `message`, as `ssh-keygen -Y sign -n <namespace>` writes it.
    func sshsig(_ message: [UInt8], namespace: String) throws -> String {
        do {
            switch method {
            case .key(let key): return try SSHSignature.sign(message, namespace: namespace, key: key)
            case .agent(let agent): return try SSHSignature.sign(message, namespace: namespace, key: SSHAgent.Signer(agent: agent, publicKey: publicKey))
            case .program(let program, let spec): return try runProgram(program, spec: spec, message: message, namespace: namespace)
            }
        } catch let e as SigningError {
            throw LineageError.signing("signing with \(publicKey.fingerprint) through \(via) failed: \(withHint(e))")
        }
    }

    /// A DSSE envelope over `payload`. A signing program makes only sshsig signatures, so with
    /// one the key must be in ssh-agent (or be a key file lineage reads) to sign an envelope.
    func dsse(payload: [UInt8], payloadType: String, cwd: String) throws -> DSSE.Envelope {
        do {
            switch method {
            case .key(let key): return try DSSE.sign(payload: payload, payloadType: payloadType, key: key)
            case .agent(let agent): return try DSSE.sign(payload: payload, payloadType: payloadType, key: SSHAgent.Signer(agent: agent, publicKey: publicKey))
            case .program(let program, let spec):
                let direct: Signer
                do { direct = try Signer.resolve(spec, program: nil, cwd: cwd) } catch {
                    throw LineageError.signing("signing.program (\(program)) makes git's signatures only; an attestation is a DSSE envelope that lineage signs itself, through ssh-agent or from an Ed25519 key file — load the key with `ssh-add` and retry (\(error))")
                }
                return try direct.dsse(payload: payload, payloadType: payloadType, cwd: cwd)
            }
        } catch let e as SigningError {
            throw LineageError.signing("signing the attestation with \(publicKey.fingerprint) through \(via) failed: \(withHint(e))")
        }
    }

    /// `<program> -Y sign -n <namespace> -f <key> [-U]`, the message on stdin, the armored
    /// signature on stdout — git's invocation of `gpg.ssh.program` with the data piped. A literal
    /// key is written to a private temporary file first and marked agent-only with `-U`, as git does.
    private func runProgram(_ program: String, spec: SigningKeySpec, message: [UInt8], namespace: String) throws -> String {
        var keyFile: String
        var temporary: String? = nil
        var argv = [program, "-Y", "sign", "-n", namespace, "-f"]
        switch spec {
        case .file(let path): keyFile = path
        case .literal(let key):
            let dir = NSTemporaryDirectory()
            keyFile = dir + "/lineage-signing-key-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pub"
            guard FileManager.default.createFile(atPath: keyFile, contents: Data((key.openSSH + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw LineageError.unreadable(dir, reason: "cannot write the public key for \(program)")
            }
            temporary = keyFile
        }
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        argv.append(keyFile)
        if temporary != nil { argv.append("-U") }
        let result: (outcome: ProcessOutcome, stdout: [UInt8], stderr: [UInt8])
        do { result = try ProcessRunner.runFilter(argv, in: FileManager.default.currentDirectoryPath, input: message) } catch let e as RunSupportError {
            throw LineageError.signing("signing.program \(program): \(e)")
        }
        let said = String(decoding: result.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.outcome.exitCode == 0 else {
            throw LineageError.signing("`\(argv.joined(separator: " "))` failed (exit \(result.outcome.exitCode))\(said.isEmpty ? "" : ": \(said)"); nothing was written — check the key with `ssh-keygen -y -f \(keyFile)`, load it with `ssh-add`, or unset signing.program with `lineage config --unset signing.program`")
        }
        let armored = String(decoding: result.stdout, as: UTF8.self)
        switch SSHSignature.verify(armored: armored, message: message, namespace: namespace) {
        case .good(let key) where key == publicKey:
            return armored
        case .good(let key):
            throw LineageError.signing("\(program) signed with \(key.fingerprint), not with the configured key \(publicKey.fingerprint); nothing was written — check user.signingkey")
        case .bad(let why), .malformed(let why):
            throw LineageError.signing("\(program) did not produce a valid SSH signature (\(why)); nothing was written")
        }
    }
}
