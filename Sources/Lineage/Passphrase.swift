#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LineageSigning

/// Asking for the passphrase of an encrypted key file, the way ssh does: only when lineage runs on
/// a terminal (standard input is one), on the terminal itself, without echo. Each key file is
/// asked for once per process; the decrypted key stays in this process's memory, never on disk.
enum Passphrase {
    /// Whether a passphrase can be asked for: standard input is a terminal.
    static var interactive: Bool { isatty(STDIN_FILENO) == 1 }

    /// The key at `path`, decrypted with a passphrase asked on the terminal when it is encrypted
    /// (not asked at all when it is not); the same key again, without asking, for the rest of the
    /// process while the file is unchanged.
    static func loadKey(path: String) throws -> SSHPrivateKey {
        let identity = FileIdentity(path: path)
        if let identity, let key = cache.key(for: path, identity: identity) { return key }
        let key = try SSHPrivateKey.load(path: path, passphrase: interactive ? { try ask("Enter passphrase for \(path): ") } : nil)
        if let identity { cache.store(key, for: path, identity: identity) }
        return key
    }

    /// Reads one line from the terminal with echo off, the prompt on the terminal too. Works a
    /// byte at a time with the terminal's signal keys off, so that ^C here cancels the prompt
    /// (and lineage) with the terminal's settings put back, rather than leaving echo off.
    /// Returns nil when there is no terminal to ask on.
    static func ask(_ prompt: String, confirm: String? = nil) throws -> String? {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        let (input, output) = tty >= 0 ? (tty, tty) : (STDIN_FILENO, STDERR_FILENO)
        defer { if tty >= 0 { close(tty) } }
        guard isatty(input) == 1 else { return nil }
        let first = try readHidden(prompt, input: input, output: output)
        guard let confirm else { return first }
        let second = try readHidden(confirm, input: input, output: output)
        guard first == second else { throw LineageError.invalidArgument("the passphrases do not match; nothing was written — run the command again") }
        return first
    }

    private static func readHidden(_ prompt: String, input: Int32, output: Int32) throws -> String {
        var saved = termios()
        guard tcgetattr(input, &saved) == 0 else {
            throw LineageError.unreadable("/dev/tty", reason: "cannot switch off echo to ask for the passphrase (\(String(cString: strerror(errno)))); load the key with `ssh-add` instead")
        }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        withUnsafeMutableBytes(of: &quiet.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        // TCSANOW, not TCSAFLUSH: what was typed ahead of the prompt is kept.
        tcsetattr(input, TCSANOW, &quiet)
        // Echo is off before the prompt appears, so an answer typed at the prompt is never shown.
        writeAll(output, Array(prompt.utf8))
        defer {
            tcsetattr(input, TCSANOW, &saved)
            writeAll(output, Array("\n".utf8))
        }
        var line: [UInt8] = []
        while true {
            var byte: UInt8 = 0
            let n = read(input, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }                                    // end of input: what was typed so far
            switch byte {
            case 0x0a, 0x0d: return String(decoding: line, as: UTF8.self)
            case 0x03: throw LineageError.invalidArgument("cancelled at the passphrase prompt; nothing was signed or written")
            case 0x04 where line.isEmpty: return ""
            case 0x7f, 0x08: if !line.isEmpty { line.removeLast() }  // backspace
            case 0x15: line.removeAll()                             // ^U: start again
            default: line.append(byte)
            }
        }
        return String(decoding: line, as: UTF8.self)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    /// The file a cached key came from, so that a key file replaced meanwhile is read again.
    private struct FileIdentity: Equatable {
        let device: UInt64, inode: UInt64, size: Int64, modified: Int

        init?(path: String) {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            device = UInt64(st.st_dev); inode = UInt64(st.st_ino); size = Int64(st.st_size)
            #if canImport(Darwin)
            modified = st.st_mtimespec.tv_sec * 1_000_000_000 + st.st_mtimespec.tv_nsec
            #else
            modified = st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec
            #endif
        }
    }

    /// Thread safety: the keys are behind `lock`.
    private final class Cache: @unchecked Sendable {
        private let lock = NSLock()
        private var keys: [String: (FileIdentity, SSHPrivateKey)] = [:]

        func key(for path: String, identity: FileIdentity) -> SSHPrivateKey? {
            lock.lock(); defer { lock.unlock() }
            guard let (known, key) = keys[path], known == identity else { return nil }
            return key
        }

        func store(_ key: SSHPrivateKey, for path: String, identity: FileIdentity) {
            lock.lock(); defer { lock.unlock() }
            keys[path] = (identity, key)
        }
    }

    private static let cache = Cache()
}
