import Foundation

/// The checked query of `GET /destinations/{destinationId}/delivery-metrics`.
///
/// Rules (NOTES.md, current API):
/// - `sourceId` is required.
/// - `granularity` is `MINUTE` (default), `HOUR` or `DAY`, spelled in capitals as the OpenAPI enum has it.
/// - `startTime` and `endTime` are ISO 8601. `endTime` defaults to now; `startTime` to 1 hour before `endTime`
///   (MINUTE), 7 days (HOUR) or 30 days (DAY), moved forward to the oldest allowed start when it would fall
///   before it. (Segment documents 30 days for DAY, but allows 14: a query that gives no times must succeed.)
///   Without `startTime`, an `endTime` at or before the oldest allowed start is refused (field `endTime`).
/// - Allowed: MINUTE at most 4 hours long, starting no earlier than 48 hours ago; HOUR at most 7 days, no
///   earlier than 7 days ago; DAY at most 14 days, no earlier than 14 days ago. `startTime` before `endTime`.
/// - Clocks differ: `endTime` may be up to ``clockSkew`` (5 minutes) after now, and `startTime` up to
///   ``clockSkew`` before the oldest allowed start (a script computing "48 hours ago" is not refused for the
///   milliseconds its request took).
///
/// Every violation is a 422 ``ValidationError`` naming the field.
public struct MetricsQuery: Sendable, Equatable {
    /// How finely Segment aggregates; Sluice records by minute and sums over the whole range.
    public enum Granularity: String, Sendable, CaseIterable {
        case minute = "MINUTE"
        case hour = "HOUR"
        case day = "DAY"

        /// The length of one unit.
        public var unit: TimeInterval {
            switch self {
            case .minute: 60
            case .hour: 3600
            case .day: 86_400
            }
        }

        /// The default range when `startTime` is not given.
        public var defaultRange: TimeInterval {
            switch self {
            case .minute: 3600
            case .hour: 7 * 86_400
            case .day: 30 * 86_400
            }
        }

        /// The longest range allowed.
        public var maxRange: TimeInterval {
            switch self {
            case .minute: 4 * 3600
            case .hour: 7 * 86_400
            case .day: 14 * 86_400
            }
        }

        /// How far back a range may start.
        public var maxAge: TimeInterval {
            switch self {
            case .minute: 48 * 3600
            case .hour: 7 * 86_400
            case .day: 14 * 86_400
            }
        }

        /// The limits as a person reads them, for error messages.
        var rangeText: String {
            switch self {
            case .minute: "4 hours"
            case .hour: "7 days"
            case .day: "14 days"
            }
        }

        var ageText: String {
            switch self {
            case .minute: "48 hours"
            case .hour: "7 days"
            case .day: "14 days"
            }
        }
    }

    /// The tolerance for clients whose clocks differ from the server's: 5 minutes.
    public static let clockSkew: TimeInterval = 300

    /// The source whose deliveries are counted.
    public var sourceID: String
    /// The granularity asked for.
    public var granularity: Granularity
    /// The start of the range (inclusive).
    public var startTime: Date
    /// The end of the range (exclusive).
    public var endTime: Date

    /// Checks the raw query parameters and fills in the defaults.
    /// - Parameters:
    ///   - sourceID: `sourceId`, as given.
    ///   - granularity: `granularity`, as given.
    ///   - startTime: `startTime`, as given.
    ///   - endTime: `endTime`, as given.
    ///   - now: The server's current time.
    /// - Throws: ``ValidationError`` (422) with `field` set to `sourceId`, `granularity`, `startTime` or `endTime`.
    public init(sourceID: String?, granularity: String?, startTime: String?, endTime: String?, now: Date) throws(ValidationError) {
        guard let sourceID, !sourceID.isEmpty else {
            throw ValidationError("sourceId is required", field: "sourceId")
        }
        var chosen = Granularity.minute
        if let granularity {
            guard let parsed = Granularity(rawValue: granularity) else {
                throw ValidationError("granularity must be one of MINUTE, HOUR, DAY", field: "granularity")
            }
            chosen = parsed
        }
        let end = try Self.date(endTime, field: "endTime") ?? now
        let oldest = now.addingTimeInterval(-chosen.maxAge)
        if end > now.addingTimeInterval(Self.clockSkew) {
            throw ValidationError("endTime must not be in the future", field: "endTime")
        }
        let start: Date
        if let given = try Self.date(startTime, field: "startTime") {
            start = given
        } else {
            guard end > oldest else {
                throw ValidationError(
                    "endTime must be later than \(chosen.ageText) ago for \(chosen.rawValue) granularity",
                    field: "endTime"
                )
            }
            start = Swift.max(end.addingTimeInterval(-chosen.defaultRange), oldest)
        }
        guard start < end else {
            throw ValidationError("startTime must be before endTime", field: "startTime")
        }
        if start < oldest.addingTimeInterval(-Self.clockSkew) {
            throw ValidationError(
                "startTime must be no earlier than \(chosen.ageText) ago for \(chosen.rawValue) granularity",
                field: "startTime"
            )
        }
        if end.timeIntervalSince(start) > chosen.maxRange {
            throw ValidationError(
                "the time range must be at most \(chosen.rangeText) for \(chosen.rawValue) granularity",
                field: "startTime"
            )
        }
        self.sourceID = sourceID
        self.granularity = chosen
        self.startTime = start
        self.endTime = end
    }

    /// The minutes to sum, as ``DeliveryCounters/epochMinute(of:)`` numbers them: from the start rounded down to
    /// the granularity's unit (UTC) to the end rounded up to the minute, end exclusive.
    ///
    /// Counters are kept per minute, so a range is read in whole minutes; an `endTime` of now includes the
    /// minute under way.
    public var minuteRange: Range<Int64> {
        let unitMinutes = Int64(granularity.unit / 60)
        let first = DeliveryCounters.epochMinute(of: startTime)
        let alignedFirst = first - ((first % unitMinutes) + unitMinutes) % unitMinutes
        let endMinutes = endTime.timeIntervalSince1970 / 60
        let last = Int64(endMinutes.rounded(.up))
        return alignedFirst..<Swift.max(last, alignedFirst + 1)
    }

    private static func date(_ text: String?, field: String) throws(ValidationError) -> Date? {
        guard let text else { return nil }
        guard let date = Timestamps.parse(text) else {
            throw ValidationError("\(field) must be an ISO 8601 date-time", field: field)
        }
        return date
    }
}
