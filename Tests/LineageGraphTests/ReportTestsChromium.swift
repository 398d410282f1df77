import Foundation
@testable import LineageGraph
import Testing

/// Renders the report in headless Chromium and checks a real page came out. Skipped when no
/// Chromium is installed (the test set-up installs the Debian package `chromium`).
extension ReportTests {
    static let chromium: String? = findExecutable(["chromium", "chromium-browser"])

    static func findExecutable(_ names: [String]) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for name in names {
            for directory in path.split(separator: ":") {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Runs a program to completion, or kills it after `timeout` seconds. Returns its exit status
    /// (nil on timeout) and its combined output, kept in a file so a chatty program never blocks.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws -> (status: Int32?, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("report-run-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            Thread.sleep(forTimeInterval: 1)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (timedOut ? nil : process.terminationStatus, output)
    }

    /// Decodes an 8-bit PNG with Python's zlib and reports how many distinct colours it has and
    /// the share of the most common one; nil when python3 is not available.
    static func pixelVariety(_ png: String) throws -> (colours: Int, dominantShare: Double)? {
        guard let python = findExecutable(["python3"]) else { return nil }
        let script = #"""
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\x89PNG\r\n\x1a\n'
        pos, idat, ihdr = 8, b'', None
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            if kind == b'IHDR': ihdr = struct.unpack('>IIBBBBB', body)
            elif kind == b'IDAT': idat += body
            pos += 12 + length
        width, height, depth, colour, _, _, interlace = ihdr
        assert depth == 8 and interlace == 0 and colour in (0, 2, 4, 6), ihdr
        bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        raw = zlib.decompress(idat)
        stride = width * bpp
        previous = bytearray(stride)
        counts = {}
        for y in range(height):
            start = y * (stride + 1)
            kind = raw[start]
            row = bytearray(raw[start + 1:start + 1 + stride])
            if kind == 1:
                for i in range(bpp, stride): row[i] = (row[i] + row[i - bpp]) & 255
            elif kind == 2:
                row = bytearray((a + b) & 255 for a, b in zip(row, previous))
            elif kind == 3:
                for i in range(stride):
                    left = row[i - bpp] if i >= bpp else 0
                    row[i] = (row[i] + ((left + previous[i]) >> 1)) & 255
            elif kind == 4:
                for i in range(stride):
                    a = row[i - bpp] if i >= bpp else 0
                    b = previous[i]
                    c = previous[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    row[i] = (row[i] + predictor) & 255
            if y % 2 == 0:
                for x in range(0, stride, bpp * 2):
                    key = bytes(row[x:x + bpp])
                    counts[key] = counts.get(key, 0) + 1
            previous = row
        total = sum(counts.values())
        print(len(counts), max(counts.values()) / total)
        """#
        let result = try run(python, ["-c", script, png], timeout: 300)
        guard result.status == 0 else {
            Issue.record("PNG decoding failed: \(result.output)")
            return nil
        }
        let fields = result.output.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let colours = Int(fields[0]), let share = Double(fields[1]) else { return nil }
        return (colours, share)
    }

    @Test(.enabled(if: ReportTests.chromium != nil, "chromium is not installed (Debian package: chromium)"))
    func rendersInHeadlessChromium() throws {
        let chromium = try #require(ReportTests.chromium)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("report.html")
        let shot = directory.appendingPathComponent("shot.png")
        try Data(ReportFixture.render().utf8).write(to: page)

        let result = try ReportTests.run(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--hide-scrollbars", "--user-data-dir=\(directory.path)/profile",
            "--screenshot=\(shot.path)", "--window-size=1400,1000", page.absoluteString,
        ], timeout: 180)
        #expect(result.status == 0, "chromium failed: \(result.output)")

        let png = try Data(contentsOf: shot)
        #expect(png.count > 8_000, "screenshot is only \(png.count) bytes")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        if let variety = try ReportTests.pixelVariety(shot.path) {
            // A blank or error page is one or two flat colours; the report has text, fills and lines.
            #expect(variety.colours > 20, "only \(variety.colours) colours")
            #expect(variety.dominantShare < 0.97, "one colour covers \(variety.dominantShare) of the page")
        }
    }
}
