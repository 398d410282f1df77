import Crypto
import LineageCore

/// SHA-256 of a buffer (swift-crypto; BoringSSL's SHA-NI/AVX code where the CPU has it).
@inline(__always)
func sha256(_ buffer: UnsafeRawBufferPointer) -> LineageCore.Digest {
    var hasher = SHA256()
    hasher.update(bufferPointer: buffer)
    return LineageCore.Digest(hasher.finalize())
}
