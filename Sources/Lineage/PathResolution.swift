import Foundation
import LineageCore

/// What a user's path argument names inside the working directory.
struct ResolvedPath {
    /// Path relative to the root (`""` is the root itself).
    let relative: String
    let stat: FileStat?
}

extension Repository {
    /// Turns a user's argument (relative to `cwd`, or absolute) into a path relative to the root,
    /// refusing paths outside the working directory, inside `.lineage`/`.git`, or through symbolic links.
    func resolve(_ argument: String, cwd: String) throws -> ResolvedPath {
        let base = argument.hasPrefix("/") ? argument : cwd + "/" + argument
        let absolute = lexicallyNormalized(base)
        let rel: String
        if absolute == root { rel = "" }
        else if absolute.hasPrefix(root + "/") { rel = String(absolute.dropFirst(root.count + 1)) }
        else { throw LineageError.outsideWorkingDirectory(argument, root: root) }
        let parts = rel.split(separator: "/").map(String.init)
        if let first = parts.first, first == ".lineage" || first == ".git" { throw LineageError.reservedPath(argument) }
        // Walk component by component so a link anywhere on the way is seen, not just at the end.
        var current = root
        for (i, part) in parts.enumerated() {
            current += "/" + part
            guard let st = FileStat.lstat(current) else { return ResolvedPath(relative: rel, stat: nil) }
            if st.isSymlink {
                guard let target = realPath(current) else { throw LineageError.brokenSymlink(i == parts.count - 1 ? argument : parts[0...i].joined(separator: "/")) }
                if !(target == root || target.hasPrefix(root + "/")) { throw LineageError.symlinkEscapes(argument) }
                throw LineageError.symlinkNotTracked(i == parts.count - 1 ? argument : parts[0...i].joined(separator: "/"))
            }
            if i == parts.count - 1 { return ResolvedPath(relative: rel, stat: st) }
        }
        return ResolvedPath(relative: rel, stat: FileStat.lstat(root))
    }

    /// Regular files below `relativeDirectory`, sorted, skipping `.lineage`/`.git` and anything that
    /// is not a regular file; `skipped` receives the links and special files passed over.
    func walkFiles(under relativeDirectory: String, skipped: inout [String]) throws -> [String] {
        var out: [String] = []
        var stack = [relativeDirectory]
        while let dir = stack.popLast() {
            let absolute = dir.isEmpty ? root : root + "/" + dir
            guard let handle = opendir(absolute) else {
                throw LineageError.unreadable(dir.isEmpty ? "." : dir, reason: String(cString: strerror(errno)))
            }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let nameBytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    Array(raw.prefix(while: { $0 != 0 }))
                }
                // A name that is not UTF-8 cannot be named in a record (records are JSON text): it is
                // reported as skipped, shown with its bytes escaped, never silently renamed.
                guard TrackedPath.isValidUTF8(nameBytes) else {
                    skipped.append((dir.isEmpty ? "" : dir + "/") + TrackedPath.escaped(nameBytes)); continue
                }
                let name = String(decoding: nameBytes, as: UTF8.self)
                if name == "." || name == ".." || name == ".git" || name == ".lineage" { continue }
                if name.hasPrefix(".lineage.") || name.contains(".lineage-tmp-") { continue }
                let rel = dir.isEmpty ? name : dir + "/" + name
                // Names a tracked path cannot hold (see TrackedPath) are reported, not tracked; the
                // other rules hold by construction for names read from a directory.
                if name.utf8.contains(where: { $0 == 10 || $0 == 92 }) { skipped.append(rel); continue }
                var type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    guard let st = FileStat.lstat(root + "/" + rel) else { continue }
                    type = st.isDirectory ? UInt8(DT_DIR) : st.isRegularFile ? UInt8(DT_REG) : st.isSymlink ? UInt8(DT_LNK) : 0
                }
                switch type {
                case UInt8(DT_DIR): stack.append(rel)
                case UInt8(DT_REG): out.append(rel)
                default: skipped.append(rel)
                }
            }
        }
        return out.sortedAsPaths()
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system.
func lexicallyNormalized(_ path: String) -> String {
    var parts: [Substring] = []
    for p in path.split(separator: "/", omittingEmptySubsequences: true) {
        if p == "." { continue }
        if p == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
        parts.append(p)
    }
    return "/" + parts.joined(separator: "/")
}

/// `realpath(3)`, or nil when the path cannot be resolved.
func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
