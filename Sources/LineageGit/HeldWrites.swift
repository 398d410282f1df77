internal import CLibGit2
import Foundation
import Glibc
import LineageCore

extension GitRepository {
    /// Runs `body` with every object it writes held back in a scratch directory
    /// (`<repository>/incoming-objects-<pid>-<n>`, git's own quarantine idea): the objects are
    /// readable inside `body`, and move into `objects/` only when it returns. When `body` throws —
    /// a signature refused after the trees were built, say — the scratch directory is deleted and
    /// the object database is as it was. Nested calls join the outer one. Call it holding the
    /// repository write lock.
    ///
    /// The repository's object database is swapped for one whose only writable backend is a
    /// loose backend on the scratch directory (fsynced, as lineage's writes are) and which reads
    /// `objects/` as an alternate (`git_odb_new`, `git_odb_backend_loose`,
    /// `git_odb_add_disk_alternate`, `git_repository_set_odb`); the original is put back after.
    public func holdingWrites<T>(_ body: () throws -> T) throws -> T {
        if holdsWrites { return try body() }
        removeAbandonedIncoming()
        let scratch = path + "/incoming-objects-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard Sys.mkdir(scratch, 0o755) == 0 else {
            throw GitError.os("mkdir", "cannot create \(scratch): \(String(cString: strerror(errno)))")
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        var original: OpaquePointer?
        try GitError.check(git_repository_odb(&original, handle.pointer), "git_repository_odb")
        defer { git_odb_free(original) }
        var staging: OpaquePointer?
        try GitError.check(git_odb_new(&staging), "git_odb_new")
        defer { git_odb_free(staging) }
        var loose: UnsafeMutablePointer<git_odb_backend>?
        try GitError.check(git_odb_backend_loose(&loose, scratch, -1, 1, 0, 0), "git_odb_backend_loose")
        // The odb owns the backend once added (and frees it with itself).
        let added = git_odb_add_backend(staging, loose, 1000)
        if added != 0 { loose?.pointee.free(loose) }
        try GitError.check(added, "git_odb_add_backend")
        try GitError.check(git_odb_add_disk_alternate(staging, path + "/objects"), "git_odb_add_disk_alternate")
        try GitError.check(git_repository_set_odb(handle.pointer, staging), "git_repository_set_odb")
        holdsWrites = true
        defer {
            git_repository_set_odb(handle.pointer, original)
            holdsWrites = false
        }
        let result = try body()
        try publishIncoming(scratch)
        return result
    }

    /// Moves every object file of `scratch` into `objects/` (rename, same file system) and syncs
    /// the directories that received one. An object already there is left as it is.
    private func publishIncoming(_ scratch: String) throws {
        let fm = FileManager.default
        let objects = path + "/objects"
        for fan in (try? fm.contentsOfDirectory(atPath: scratch)) ?? [] where fan.utf8.count == 2 {
            let target = objects + "/" + fan
            if Sys.mkdir(target, 0o755) != 0 && errno != EEXIST {
                throw GitError.os("mkdir", "cannot create \(target): \(String(cString: strerror(errno)))")
            }
            for rest in (try? fm.contentsOfDirectory(atPath: scratch + "/" + fan)) ?? [] where rest.utf8.count == 38 {
                let destination = target + "/" + rest
                if fm.fileExists(atPath: destination) { continue }
                guard Sys.rename(scratch + "/" + fan + "/" + rest, destination) == 0 else {
                    throw GitError.os("rename", "cannot move a new object into \(target): \(String(cString: strerror(errno)))")
                }
            }
            let fd = Glibc.open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 { Sys.fsync(fd); close(fd) }
        }
    }

    /// Scratch directories left by processes that died inside `holdingWrites`: their objects were
    /// never part of any commit.
    private func removeAbandonedIncoming() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix("incoming-objects-") {
            let fields = name.dropFirst("incoming-objects-".count).split(separator: "-")
            guard let pid = fields.first.flatMap({ Int32($0) }), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: path + "/" + name)
        }
    }
}

extension GitError {
    /// An operating-system failure outside libgit2 (a directory that cannot be made, a rename).
    static func os(_ function: String, _ message: String) -> GitError {
        var error = GitError(code: .other(-1), function: function, message: message)
        error.isOSError = true
        return error
    }
}
