import Foundation
import LineageCore

/// The `valid-after` / `valid-before` time syntax of allowed-signers files, as OpenSSH's
/// `parse_absolute_time` reads it: `YYYYMMDD[HHMM[SS]]`, UTC when suffixed with `Z` (or `UTC`),
/// local time otherwise.
enum SignerTime {
    /// Seconds since the epoch, or nil when the text is not such a time or is not after 1970
    /// (OpenSSH rejects zero and negative times too).
    static func parse(_ text: String, timeZone: TimeZone = .current) -> Int64? {
        var digits = Substring(text)
        var utc = false
        if digits.count > 1, digits.last == "Z" || digits.last == "z" {
            utc = true
            digits = digits.dropLast()
        } else if digits.count > 3, digits.suffix(3).uppercased() == "UTC" {
            utc = true
            digits = digits.dropLast(3)
        }
        guard [8, 12, 14].contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }

        func field(_ offset: Int, _ length: Int) -> Int {
            let start = digits.index(digits.startIndex, offsetBy: offset)
            return Int(digits[start..<digits.index(start, offsetBy: length)]) ?? -1
        }
        let year = field(0, 4), month = field(4, 2), day = field(6, 2)
        let hour = digits.count >= 12 ? field(8, 2) : 0
        let minute = digits.count >= 12 ? field(10, 2) : 0
        let second = digits.count == 14 ? field(12, 2) : 0
        guard year >= 1970, (1...12).contains(month), (1...Int(CivilDate.daysInMonth(year: Int64(year), month: Int64(month)))).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }

        let seconds: Int64
        if utc {
            let days = CivilDate.days(year: Int64(year), month: Int64(month), day: Int64(day))
            seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        } else {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            guard let date = calendar.date(from: components) else { return nil }
            seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        }
        return seconds > 0 ? seconds : nil
    }

    /// `YYYYMMDDHHMMSSZ` in UTC, which OpenSSH 9.x reads back exactly.
    static func format(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (y, m, d) = CivilDate.date(days: days)
        func two<I: BinaryInteger>(_ v: I) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var year = String(y)
        while year.count < 4 { year = "0" + year }
        return year + two(m) + two(d) + two(secondOfDay / 3600) + two(secondOfDay / 60 % 60) + two(secondOfDay % 60) + "Z"
    }
}
