internal import CLibGit2

/// The single owner of a libgit2 handle: frees it exactly once, when the last Swift reference goes.
final class Managed<Pointer> {
    let pointer: Pointer
    private let free: (Pointer) -> Void

    init(_ pointer: Pointer, free: @escaping (Pointer) -> Void) {
        self.pointer = pointer
        self.free = free
    }

    deinit { free(pointer) }
}

/// libgit2 is initialised once per process, the first time any wrapper touches it.
enum Libgit2 {
    static let initialized: Void = {
        git_libgit2_init()
        // Loose objects and refs are fsynced, so a commit survives a crash once lineage reports it.
        _ = lineage_git_set_fsync(1)
        // Objects read back are re-hashed and compared with their id; `verify` relies on it.
        _ = lineage_git_set_strict_hash_verification(1)
    }()

    static func ensure() { _ = initialized }
}
