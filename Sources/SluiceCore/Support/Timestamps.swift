import Foundation

/// ISO 8601 timestamps as the Public API writes and reads them: `2006-01-02T15:04:05.000Z`.
public enum Timestamps {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFraction = Date.ISO8601FormatStyle()

    /// Formats a date in UTC with milliseconds.
    public static func format(_ date: Date) -> String { withFraction.format(date) }

    /// Parses an ISO 8601 date-time, with or without fractional seconds; `nil` when it is not one.
    public static func parse(_ text: String) -> Date? {
        guard text.utf8.count <= 64 else { return nil }
        if let date = try? withFraction.parse(text) { return date }
        return try? withoutFraction.parse(text)
    }

    /// An ISO 8601 date or date-time as JavaScript's `Date` and dayjs read one for vendors: a date-time without a
    /// zone is UTC, and a date alone is its midnight UTC; `nil` when it is neither.
    public static func parseAssumingUTC(_ text: String) -> Date? {
        parse(text) ?? parse(text + "Z") ?? parse(text + "T00:00:00Z")
    }
}
