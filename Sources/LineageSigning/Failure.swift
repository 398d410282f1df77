import LineageCore

extension SigningError: CategorizedError {
    public var category: FailureCategory {
        switch self {
        case .keyFileMissing, .unprotectedKeyFile, .encryptedKey, .unsupportedKeyType, .notAPrivateKey, .invalidPublicKey,
             .allowedSigners, .invalidPrincipal, .invalidEntry, .wrongPassphrase, .unsupportedEncryption, .weakKey:
            return .input
        case .keyFileUnreadable, .agent: return .system
        case .corruptPrivateKey, .malformedSignature, .malformedEnvelope: return .damaged
        case .signingFailed: return .bug
        }
    }
}
