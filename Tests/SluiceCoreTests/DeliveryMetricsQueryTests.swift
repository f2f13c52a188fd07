import Foundation
import Testing

@testable import SluiceCore

@Suite struct DeliveryMetricsQueryTests {
    /// 2023-11-14T22:13:20.000Z
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func iso(_ secondsFromNow: TimeInterval) -> String {
        Timestamps.format(now.addingTimeInterval(secondsFromNow))
    }

    static let hour: TimeInterval = 3600
    static let day: TimeInterval = 86_400

    @Test func defaultsForMinute() throws {
        // Given only a sourceId
        // When the query is checked
        let query = try MetricsQuery(sourceID: "src", granularity: nil, startTime: nil, endTime: nil, now: Self.now)

        // Then it is MINUTE, the last hour up to now
        #expect(query.granularity == .minute)
        #expect(query.endTime == Self.now)
        #expect(query.startTime == Self.now.addingTimeInterval(-Self.hour))
    }

    @Test func defaultsForHourAndDay() throws {
        // Given HOUR and DAY with no times
        // When the queries are checked
        let hour = try MetricsQuery(sourceID: "src", granularity: "HOUR", startTime: nil, endTime: nil, now: Self.now)
        let day = try MetricsQuery(sourceID: "src", granularity: "DAY", startTime: nil, endTime: nil, now: Self.now)

        // Then HOUR covers 7 days, and DAY the 14 days it may (not Segment's documented 30, which it refuses)
        #expect(hour.startTime == Self.now.addingTimeInterval(-7 * Self.day))
        #expect(day.startTime == Self.now.addingTimeInterval(-14 * Self.day))
        #expect(day.endTime == Self.now)
    }

    @Test func defaultStartFollowsAGivenEnd() throws {
        // Given an endTime two hours ago and no startTime
        // When the query is checked
        let query = try MetricsQuery(sourceID: "src", granularity: "MINUTE", startTime: nil, endTime: Self.iso(-2 * Self.hour), now: Self.now)

        // Then the range is the hour before that end
        #expect(query.startTime == Self.now.addingTimeInterval(-3 * Self.hour))
    }

    @Test func defaultStartIsClampedToTheOldestAllowed() throws {
        // Given an endTime 47.5 hours ago at MINUTE granularity
        // When the query is checked
        let query = try MetricsQuery(sourceID: "src", granularity: nil, startTime: nil, endTime: Self.iso(-47.5 * Self.hour), now: Self.now)

        // Then the start is 48 hours ago, not 48.5
        #expect(query.startTime == Self.now.addingTimeInterval(-48 * Self.hour))
    }

    @Test(arguments: [
        ("MINUTE", -4 * hour, 0.0),
        ("MINUTE", -48 * hour, -44 * hour),
        ("HOUR", -7 * day, 0.0),
        ("DAY", -14 * day, 0.0),
        ("DAY", -14 * day - 60, -1 * day),  // inside the clock-skew tolerance
        ("MINUTE", -10.0, 200.0),  // end a little in the future
    ])
    func rangesAtTheLimitsAreAccepted(granularity: String, start: TimeInterval, end: TimeInterval) throws {
        // Given a range at the edge of what the granularity allows
        // When the query is checked
        let query = try MetricsQuery(sourceID: "src", granularity: granularity, startTime: Self.iso(start), endTime: Self.iso(end), now: Self.now)

        // Then it is taken as given
        #expect(query.startTime == Self.now.addingTimeInterval(start))
        #expect(query.endTime == Self.now.addingTimeInterval(end))
    }

    @Test(
        arguments: [
            (nil, nil, nil, nil, "sourceId is required", "sourceId"),
            ("", nil, nil, nil, "sourceId is required", "sourceId"),
            ("src", "minute", nil, nil, "granularity must be one of MINUTE, HOUR, DAY", "granularity"),
            ("src", "WEEK", nil, nil, "granularity must be one of MINUTE, HOUR, DAY", "granularity"),
            ("src", nil, "yesterday", nil, "startTime must be an ISO 8601 date-time", "startTime"),
            ("src", nil, nil, "2023-13-45", "endTime must be an ISO 8601 date-time", "endTime"),
            ("src", nil, iso(-60), iso(-60), "startTime must be before endTime", "startTime"),
            ("src", nil, iso(-30), iso(-60), "startTime must be before endTime", "startTime"),
            ("src", nil, iso(-3600), iso(600), "endTime must not be in the future", "endTime"),
            ("src", nil, iso(-4 * hour - 1), iso(0), "the time range must be at most 4 hours for MINUTE granularity", "startTime"),
            ("src", nil, iso(-49 * hour), iso(-46 * hour), "startTime must be no earlier than 48 hours ago for MINUTE granularity", "startTime"),
            ("src", "HOUR", iso(-7 * day - 2), iso(-1), "the time range must be at most 7 days for HOUR granularity", "startTime"),
            ("src", "HOUR", iso(-8 * day), iso(-6 * day), "startTime must be no earlier than 7 days ago for HOUR granularity", "startTime"),
            ("src", "DAY", iso(-15 * day), iso(-2 * day), "startTime must be no earlier than 14 days ago for DAY granularity", "startTime"),
            ("src", "DAY", iso(-14 * day), iso(60), "the time range must be at most 14 days for DAY granularity", "startTime"),
            ("src", nil, nil, iso(-49 * hour), "endTime must be later than 48 hours ago for MINUTE granularity", "endTime"),
        ] as [(String?, String?, String?, String?, String, String)])
    func badQueriesAreRefused(source: String?, granularity: String?, start: String?, end: String?, message: String, field: String) {
        // Given a query that breaks one rule
        // When it is checked
        // Then a 422 names the field
        #expect(throws: ValidationError(message, field: field)) {
            try MetricsQuery(sourceID: source, granularity: granularity, startTime: start, endTime: end, now: Self.now)
        }
    }

    @Test func minuteRangeCoversWholeMinutes() throws {
        // Given a MINUTE query from 22:00:30 to now (22:13:20)
        let query = try MetricsQuery(sourceID: "src", granularity: nil, startTime: "2023-11-14T22:00:30Z", endTime: nil, now: Self.now)

        // When its minutes are read
        let range = query.minuteRange

        // Then they run from 22:00 through the minute under way (22:13)
        let first = DeliveryCounters.epochMinute(of: Timestamps.parse("2023-11-14T22:00:00Z")!)
        #expect(range == first..<(first + 14))
    }

    @Test func hourAndDayRangesStartOnTheirUnit() throws {
        // Given HOUR and DAY queries starting mid-unit
        let hour = try MetricsQuery(
            sourceID: "s", granularity: "HOUR", startTime: "2023-11-14T10:17:00Z", endTime: "2023-11-14T12:00:00Z", now: Self.now
        )
        let day = try MetricsQuery(
            sourceID: "s", granularity: "DAY", startTime: "2023-11-10T10:17:00Z", endTime: "2023-11-12T00:00:00Z", now: Self.now
        )

        // When their minutes are read
        // Then they start at the top of the hour and at midnight UTC, and end on the (whole-minute) end
        let minute = { (text: String) in DeliveryCounters.epochMinute(of: Timestamps.parse(text)!) }
        #expect(hour.minuteRange == minute("2023-11-14T10:00:00Z")..<minute("2023-11-14T12:00:00Z"))
        #expect(day.minuteRange == minute("2023-11-10T00:00:00Z")..<minute("2023-11-12T00:00:00Z"))
    }
}
