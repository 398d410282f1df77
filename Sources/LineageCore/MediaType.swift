/// A media type guessed from a path's extension; `application/octet-stream` when unknown.
public enum MediaType {
    static let table: [String: String] = [
        "csv": "text/csv", "tsv": "text/tab-separated-values", "txt": "text/plain", "json": "application/json",
        "jsonl": "application/jsonl", "ndjson": "application/x-ndjson", "parquet": "application/vnd.apache.parquet",
        "yaml": "application/yaml", "yml": "application/yaml", "md": "text/markdown", "html": "text/html",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "wav": "audio/wav",
        "gz": "application/gzip", "zip": "application/zip", "tar": "application/x-tar", "npy": "application/x-npy",
        "pt": "application/octet-stream", "onnx": "application/onnx", "py": "text/x-python", "xml": "application/xml",
    ]

    public static func guess(path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "application/octet-stream" }
        return table[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}
