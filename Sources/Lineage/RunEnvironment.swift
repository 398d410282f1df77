#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LineageCore

/// What a run records about the machine and process environment it ran in.
public enum RunEnvironment {
    /// Environment variables a run record may hold: the ones that change what ML code computes
    /// (devices, thread counts, hash seeds, interpreter paths, locale, time zone). Never secrets,
    /// nor PATH, HOME, USER or HOSTNAME.
    public static let allowedVariables: [String] = [
        "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "CUBLAS_WORKSPACE_CONFIG", "NVIDIA_VISIBLE_DEVICES",
        "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
        "PYTHONHASHSEED", "PYTHONPATH", "PYTHONOPTIMIZE", "PYTHONUTF8",
        "VIRTUAL_ENV", "CONDA_DEFAULT_ENV", "CONDA_PREFIX",
        "TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC", "TF_ENABLE_ONEDNN_OPTS",
        "PYTORCH_CUDA_ALLOC_CONF", "JAX_PLATFORMS", "JAX_ENABLE_X64", "XLA_FLAGS",
        "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE",
        "LANG", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "TZ", "SOURCE_DATE_EPOCH",
    ]

    /// The machine's description and the allow-listed variables present in `environment`.
    ///
    /// `os` is PRETTY_NAME of `/etc/os-release` (else `uname -s`), `kernel` is `uname -r`,
    /// `architecture` is `uname -m`, `cpuModel` the first "model name" of `/proc/cpuinfo`
    /// (nil where there is none, e.g. most ARM kernels). `captures` is empty; the verb adds them.
    public static func capture(environment: [String: String] = ProcessInfo.processInfo.environment) -> EnvironmentInfo {
        let names = unameFields()
        var variables: [String: String] = [:]
        for name in allowedVariables { if let value = environment[name] { variables[name] = value } }
        return EnvironmentInfo(
            os: osName() ?? names.sysname,
            kernel: names.release,
            architecture: names.machine,
            cpuModel: cpuModel(),
            cpuCount: ProcessInfo.processInfo.activeProcessorCount,
            variables: variables,
            captures: [])
    }

    /// The output of `python3 -m pip freeze` (or `pip freeze` when there is no python3), both looked up
    /// on the PATH of `environment` and run with it.
    /// - Throws: `RunSupportError.captureFailed` with pip's stderr when it fails or neither program exists.
    public static func pipFreeze(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [UInt8] {
        let here = FileManager.default.currentDirectoryPath
        let command: [String]
        if let python = try? ProcessRunner.resolve("python3", in: here, environment: environment) {
            command = [python, "-m", "pip", "freeze"]
        } else if let pip = try? ProcessRunner.resolve("pip", in: here, environment: environment) {
            command = [pip, "freeze"]
        } else {
            throw RunSupportError.captureFailed(
                "--env-capture pip needs python3 (with pip) or pip on PATH; neither was found — activate the environment the command uses, or drop --env-capture pip")
        }
        let (status, out, err) = try collect(command, environment: environment)
        guard status == 0 else {
            let why = String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw RunSupportError.captureFailed(
                "`\(command.joined(separator: " "))` exited with status \(status)\(why.isEmpty ? "" : ": \(why)") — install pip in that environment (python3 -m ensurepip), or drop --env-capture pip")
        }
        return out
    }

    /// Runs `command` with stdin from /dev/null and returns its status, stdout and stderr.
    private static func collect(_ command: [String], environment: [String: String]) throws -> (Int32, [UInt8], [UInt8]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw RunSupportError.captureFailed("cannot start `\(command[0])`: \(error.localizedDescription)")
        }
        // Drain stderr beside stdout so that neither pipe fills up and blocks the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, Array(stdout), Array(errBox.data))
    }

    private static func unameFields() -> (sysname: String, release: String, machine: String) {
        var u = utsname()
        guard uname(&u) == 0 else { return ("unknown", "unknown", "unknown") }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return (text(u.sysname), text(u.release), text(u.machine))
    }

    /// PRETTY_NAME of os-release(5), unquoted.
    private static func osName() -> String? {
        for file in ["/etc/os-release", "/usr/lib/os-release"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("PRETTY_NAME=") {
                let value = unquote(line.dropFirst("PRETTY_NAME=".count))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    private static func unquote(_ raw: Substring) -> String {
        var v = raw.trimmingCharacters(in: .whitespaces)
        guard let q = v.first, q == "\"" || q == "'", v.count >= 2, v.last == q else { return v }
        v = String(v.dropFirst().dropLast())
        if q == "'" { return v }
        var out = ""
        var escaped = false
        for ch in v {
            if escaped { out.append(ch); escaped = false } else if ch == "\\" { escaped = true } else { out.append(ch) }
        }
        return out
    }

    private static func cpuModel() -> String? {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        return nil
        #else
        var size = 0
        guard sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: size)
        guard sysctlbyname("machdep.cpu.brand_string", &buffer, &size, nil, 0) == 0 else { return nil }
        return String(cString: buffer)
        #endif
    }
}
