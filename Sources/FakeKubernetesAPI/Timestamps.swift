import Foundation

/// RFC 3339 timestamps as the API server writes them (UTC, `Z`, whole seconds or exactly six
/// fractional digits), without a date formatter: creating an `ISO8601DateFormatter` per write
/// (ICU under the hood) dominated the fake server's CPU time in the operator benchmark.
public enum Timestamps {
    /// `date` as `2006-01-02T15:04:05Z`, or with `micro` as `2006-01-02T15:04:05.000000Z`
    /// (truncated to microseconds, like Go).
    public static func format(_ date: Date, micro: Bool = false) -> String {
        let totalMicros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        var seconds = totalMicros / 1_000_000
        var micros = totalMicros % 1_000_000
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (year, month, day) = civil(fromDays: days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        func append(_ value: Int64, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var rest = value
            for index in stride(from: width - 1, through: 0, by: -1) {
                digits[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            bytes += digits
        }
        append(year, 4); bytes.append(UInt8(ascii: "-"))
        append(month, 2); bytes.append(UInt8(ascii: "-"))
        append(day, 2); bytes.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, 2); bytes.append(UInt8(ascii: ":"))
        append(secondOfDay % 3600 / 60, 2); bytes.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, 2)
        if micro {
            bytes.append(UInt8(ascii: "."))
            append(micros, 6)
        }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `text` already is in the form ``format(_:micro:)`` produces (and names a real
    /// date), so the server can store it as sent without parsing it.
    static func isCanonical(_ text: String, micro: Bool) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count == (micro ? 27 : 20), bytes[bytes.count - 1] == UInt8(ascii: "Z") else { return false }
            func number(_ start: Int, _ width: Int) -> Int? {
                var value = 0
                for byte in bytes[start..<start + width] {
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                }
                return value
            }
            guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
                  bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
                  let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                  let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                  (1...12).contains(month), hour < 24, minute < 60, second < 60
            else { return false }
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            guard (1...monthDays).contains(day) else { return false }
            if micro { return bytes[19] == UInt8(ascii: ".") && number(20, 6) != nil }
            return true
        }
    }

    // Howard Hinnant's civil-from-days (proleptic Gregorian calendar).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day)
    }
}
