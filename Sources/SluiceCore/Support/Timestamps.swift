import Foundation

/// ISO 8601 timestamps as the Public API writes and reads them: `2006-01-02T15:04:05.000Z`.
public enum Timestamps {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFraction = Date.ISO8601FormatStyle()

    /// Formats a date in UTC with milliseconds, truncated (as Foundation's ISO 8601 style writes them).
    ///
    /// Written here for the years 1600 to 9999, not by Foundation's formatter, for two reasons: a time read from
    /// text came back a millisecond early about one time in three (`….221Z` read and written again as `….220Z`:
    /// Foundation truncates a `Double` a hair below the millisecond), and an event's times are written at ingest,
    /// where the formatter cost a microsecond each. A time within a microsecond of the next millisecond counts as
    /// that millisecond. Other years are left to Foundation.
    public static func format(_ date: Date) -> String {
        let millis = (date.timeIntervalSinceReferenceDate * 1_000 + 0.001).rounded(.down)
        guard millis.magnitude < 1e15 else { return withFraction.format(date) }
        var total = Int64(millis) + 978_307_200_000
        let millisecond = Int(((total % 1_000) + 1_000) % 1_000)
        total = (total - Int64(millisecond)) / 1_000
        let secondOfDay = Int(((total % 86_400) + 86_400) % 86_400)
        let days = Int((total - Int64(secondOfDay)) / 86_400)
        // Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count from 1970-01-01.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        guard (1_600...9_999).contains(year) else { return withFraction.format(date) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3_600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        bytes.append(UInt8(ascii: "."))
        digits(millisecond, 3)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses an ISO 8601 date-time, with or without fractional seconds; `nil` when it is not one.
    public static func parse(_ text: String) -> Date? {
        guard text.utf8.count <= 64 else { return nil }
        if let date = parseCommonForm(text) { return date }
        if let date = try? withFraction.parse(text) { return date }
        return try? withoutFraction.parse(text)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.sssZ`, the form Segment's libraries send, read without
    /// Foundation's parser (which costs a microsecond, most of the time an Amplitude event takes to build); `nil` for
    /// any other form, for a date or time out of range and for years before 1600, which ``parse(_:)`` leaves to Foundation.
    static func parseCommonForm(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { u -> Date? in
            guard u.count == 20 || u.count == 24, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T"),
                u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"), u[u.count - 1] == UInt8(ascii: "Z")
            else { return nil }
            func number(_ start: Int, _ length: Int) -> Int? {
                var value = 0
                for i in start..<(start + length) {
                    guard u[i] >= UInt8(ascii: "0"), u[i] <= UInt8(ascii: "9") else { return nil }
                    value = value * 10 + Int(u[i] - UInt8(ascii: "0"))
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
                let minute = number(14, 2), let second = number(17, 2)
            else { return nil }
            var millis = 0
            if u.count == 24 {
                guard u[19] == UInt8(ascii: "."), let fraction = number(20, 3) else { return nil }
                millis = fraction
            }
            // Before 1600 Foundation's calendar is Julian (until October 1582): left to it.
            guard year >= 1600, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60,
                second < 60
            else {
                return nil
            }
            // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            let days = era * 146_097 + dayOfEra - 719_468
            let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
            // Computed as Foundation's parser computes it, so that the same text gives the same Date to the last bit.
            return Date(timeIntervalSinceReferenceDate: Double(seconds - 978_307_200) + Double(millis) / 1_000)
        }
    }

    /// The days of a month of the Gregorian calendar.
    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// An ISO 8601 date or date-time as JavaScript's `Date` and dayjs read one for vendors: a date-time without a
    /// zone is UTC, and a date alone is its midnight UTC; `nil` when it is neither.
    public static func parseAssumingUTC(_ text: String) -> Date? {
        parse(text) ?? parse(text + "Z") ?? parse(text + "T00:00:00Z")
    }
}
