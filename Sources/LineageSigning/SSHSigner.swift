/// Something that signs with an SSH key: a key held in memory (`SSHPrivateKey`), or ssh-agent
/// (`SSHAgent.Signer`). `SSHSignature.sign` and `DSSE.sign` take any of them.
public protocol SSHSigner: Sendable {
    var publicKey: SSHPublicKey { get }
    /// An SSH signature blob over `data`: `string algorithm | string signature`, the form ssh-agent
    /// returns and sshsig embeds. RSA keys sign with rsa-sha2-512.
    func signatureBlob(for data: [UInt8]) throws -> [UInt8]
}
