/// Dead Simple Signing Envelope v1 (secure-systems-lab/dsse), as in-toto attestations use it,
/// signed over the pre-authentication encoding: raw Ed25519, ECDSA P-256 (DER, SHA-256) or RSA
/// (PKCS#1 v1.5, SHA-512) — see `SSHPublicKey.isValidSignature`.
public enum DSSE {
    /// `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in ASCII decimal bytes.
    /// Binding the type into the signed bytes stops a payload being reinterpreted as another type.
    public static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }

    public struct Signature: Codable, Sendable, Equatable {
        public var keyid: String
        /// Standard base64 of the raw signature.
        public var sig: String

        public init(keyid: String, sig: String) {
            self.keyid = keyid
            self.sig = sig
        }
    }

    public struct Envelope: Codable, Sendable, Equatable {
        /// Standard base64 of the payload bytes.
        public var payload: String
        public var payloadType: String
        public var signatures: [Signature]

        public init(payload: String, payloadType: String, signatures: [Signature]) {
            self.payload = payload
            self.payloadType = payloadType
            self.signatures = signatures
        }
    }

    /// An envelope with one signature whose keyid is the key's SSH fingerprint.
    public static func sign(payload: [UInt8], payloadType: String, key: some SSHSigner) throws -> Envelope {
        let message = pae(payloadType: payloadType, payload: payload)
        let sig = try key.publicKey.rawSignature(fromBlob: try key.signatureBlob(for: message), for: message)
        return Envelope(payload: Base64.encode(payload), payloadType: payloadType,
                        signatures: [Signature(keyid: key.publicKey.fingerprint, sig: Base64.encode(sig))])
    }

    /// True when some signature verifies under `key`. keyids are hints only (the DSSE spec says
    /// not to rely on them), so every signature is tried.
    public static func verify(_ envelope: Envelope, key: SSHPublicKey) -> Bool {
        guard let payload = try? payloadBytes(envelope) else { return false }
        let signed = pae(payloadType: envelope.payloadType, payload: payload)
        return envelope.signatures.contains { signature in
            guard let sig = Base64.decodeLenient(signature.sig) else { return false }
            return key.isValidSignature(sig, for: signed)
        }
    }

    /// The decoded payload (standard base64; URL-safe and unpadded forms are accepted too).
    public static func payloadBytes(_ envelope: Envelope) throws -> [UInt8] {
        guard let bytes = Base64.decodeLenient(envelope.payload) else {
            throw SigningError.malformedEnvelope("\"payload\" is not base64")
        }
        return bytes
    }
}
