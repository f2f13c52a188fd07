import Foundation

/// Recognises ISO 8601 dates and date-times in the forms APIs exchange (RFC 3339 and the date alone).
enum ISO8601Text {
    /// Whether the text is `YYYY-MM-DD`, optionally followed by `T` and `hh:mm`, optional `:ss` and fraction,
    /// and an optional zone (`Z`, `±hh:mm`, `±hhmm` or `±hh`), with every part in range.
    static func isDateTime(_ text: String) -> Bool {
        let s = Array(text.utf8)
        var i = 0

        func number(_ digits: Int) -> Int? {
            guard i + digits <= s.count else { return nil }
            var value = 0
            for k in i..<(i + digits) {
                guard s[k] >= UInt8(ascii: "0"), s[k] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(s[k] - UInt8(ascii: "0"))
            }
            i += digits
            return value
        }
        func literal(_ c: Character) -> Bool {
            guard i < s.count, s[i] == c.asciiValue else { return false }
            i += 1
            return true
        }

        guard let year = number(4), literal("-"), let month = number(2), literal("-"), let day = number(2) else { return false }
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard day <= days else { return false }
        if i == s.count { return true }

        guard literal("T") || literal("t"), let hour = number(2), literal(":"), let minute = number(2) else { return false }
        guard hour <= 23, minute <= 59 else { return false }
        if literal(":") {
            guard let second = number(2), second <= 60 else { return false }
            if literal(".") || literal(",") {
                let start = i
                while i < s.count, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") { i += 1 }
                guard i > start else { return false }
            }
        }
        if i == s.count { return true }
        if literal("Z") || literal("z") { return i == s.count }
        guard literal("+") || literal("-"), let zoneHour = number(2), zoneHour <= 23 else { return false }
        if i == s.count { return true }
        _ = literal(":")
        guard let zoneMinute = number(2), zoneMinute <= 59 else { return false }
        return i == s.count
    }
}
