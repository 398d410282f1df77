import Foundation
import LineageCore
import LineageGit
import LineageStore

extension Repository {
    /// Creates `.lineage/` in `directory`. Everything is built in a temporary sibling directory and
    /// renamed into place last, so an interrupted init leaves no half-made repository.
    @discardableResult
    public static func initialize(at directory: String) throws -> Repository {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        if let existing = findRoot(from: root) { throw LineageError.alreadyARepository(existing) }
        let fm = FileManager.default
        if fm.fileExists(atPath: root + "/.lineage") {
            throw LineageError.invalidArgument("\(root)/.lineage exists but is not a lineage repository — move it away and rerun `lineage init`")
        }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw LineageError.notFound(root, suggestions: [])
        }
        let temp = root + "/.lineage.init-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: temp)
        do {
            let git = try GitRepository.createBare(at: temp, initialBranch: "main")
            _ = git
            try ContentStore.create(at: temp + "/content")
            let config = try GitConfig.open(path: temp + "/config")
            try config.set("lineage.formatVersion", String(formatVersion))
            try AtomicFile.write(Array("\(formatVersion)\n".utf8), to: temp + "/format")
            guard rename(temp, root + "/.lineage") == 0 else {
                throw LineageError.unreadable(root, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? fm.removeItem(atPath: temp)
            if let e = error as? LineageError { throw e }
            throw LineageError.unreadable(root, reason: "cannot create .lineage: \(error)")
        }
        return try open(from: root)
    }
}
