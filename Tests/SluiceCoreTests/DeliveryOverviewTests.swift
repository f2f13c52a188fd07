import Foundation
import SluiceCore
import Testing

@Suite struct DeliveryOverviewTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    static func query(
        _ step: DeliveryOverviewStep = .failedDelivery, source: String? = "src", destination: String? = "dst",
        start: String? = "2025-12-31T23:57:30Z", end: String? = "2026-01-01T00:00:00Z", granularity: String? = "MINUTE",
        groupBy: [String] = [], filter: [String: [String]] = [:]
    ) throws(ValidationError) -> DeliveryOverviewQuery {
        try DeliveryOverviewQuery(
            step: step, sourceID: source, destinationID: destination, startTime: start, endTime: end, granularity: granularity,
            groupBy: groupBy, filter: filter, now: now)
    }

    static func field(_ make: () throws(ValidationError) -> DeliveryOverviewQuery) -> String? {
        do {
            _ = try make()
            return nil
        } catch {
            return error.field
        }
    }

    @Test func requiredParametersAreNamed() {
        #expect(Self.field { () throws(ValidationError) in try Self.query(source: nil) } == "sourceId")
        #expect(Self.field { () throws(ValidationError) in try Self.query(destination: nil) } == "destinationConfigId")
        #expect(Self.field { () throws(ValidationError) in try Self.query(start: nil) } == "startTime")
        #expect(Self.field { () throws(ValidationError) in try Self.query(end: nil) } == "endTime")
        #expect(Self.field { () throws(ValidationError) in try Self.query(granularity: nil) } == "granularity")
        #expect(Self.field { () throws(ValidationError) in try Self.query(granularity: "WEEK") } == "granularity")
        // The source steps take no destination
        #expect(Self.field { () throws(ValidationError) in try Self.query(.successfullyReceived, destination: nil) } == nil)
    }

    @Test func windowsFollowSegmentsLimits() {
        // MINUTE: at most 4 hours, from 48 hours ago
        #expect(Self.field { () throws(ValidationError) in try Self.query(start: "2025-12-31T20:00:00Z") } == nil)
        #expect(Self.field { () throws(ValidationError) in try Self.query(start: "2025-12-31T19:59:00Z") } == "startTime")
        #expect(
            Self.field { () throws(ValidationError) in try Self.query(start: "2025-12-29T20:00:00Z", end: "2025-12-29T21:00:00Z") } == "startTime")
        // HOUR: at most 14 days, from 30 days ago; DAY: at most 30 days
        #expect(Self.field { () throws(ValidationError) in try Self.query(start: "2025-12-18T00:00:00Z", granularity: "HOUR") } == nil)
        #expect(Self.field { () throws(ValidationError) in try Self.query(start: "2025-12-17T00:00:00Z", granularity: "HOUR") } == "startTime")
        #expect(Self.field { () throws(ValidationError) in try Self.query(start: "2025-12-02T00:00:00Z", granularity: "DAY") } == nil)
        #expect(Self.field { () throws(ValidationError) in try Self.query(start: "2025-11-30T00:00:00Z", granularity: "DAY") } == "startTime")
        // Order and the future
        #expect(Self.field { () throws(ValidationError) in try Self.query(start: "2026-01-01T00:00:00Z") } == "startTime")
        #expect(Self.field { () throws(ValidationError) in try Self.query(end: "2026-01-01T01:00:00Z") } == "endTime")
    }

    @Test func onlyDiscardReasonGroupsAndFilters() {
        #expect(Self.field { () throws(ValidationError) in try Self.query(groupBy: ["discard Reason"]) } == nil)
        #expect(Self.field { () throws(ValidationError) in try Self.query(groupBy: ["event Name"]) } == "groupBy")
        #expect(Self.field { () throws(ValidationError) in try Self.query(groupBy: ["bogus"]) } == "groupBy")
        // successfully-received has no discard reason
        #expect(Self.field { () throws(ValidationError) in try Self.query(.successfullyReceived, groupBy: ["discard Reason"]) } == "groupBy")
        #expect(Self.field { () throws(ValidationError) in try Self.query(filter: ["discardReason": ["EXPIRED"]]) } == nil)
        #expect(Self.field { () throws(ValidationError) in try Self.query(filter: ["eventType": ["track"]]) } == "filter.eventType")
        #expect(Self.field { () throws(ValidationError) in try Self.query(filter: ["nope": ["x"]]) } == "filter.nope")
    }

    @Test func countsFillTheBucketsOfTheWindow() throws {
        // Given a window from 23:57:30 to 00:00 by minute: buckets 23:57, 23:58, 23:59
        let query = try Self.query(groupBy: ["discard Reason"])
        let first = DeliveryCounters.epochMinute(of: Self.now) - 3
        #expect(query.minuteRange == first..<(first + 3))
        let counts = [
            DeliveryOverviewCount(minute: first, reason: "EXPIRED", count: 2),
            DeliveryOverviewCount(minute: first + 2, reason: "EXPIRED", count: 1),
            DeliveryOverviewCount(minute: first + 1, reason: "DISCARDED", count: 5),
            DeliveryOverviewCount(minute: first + 3, reason: "DISCARDED", count: 100),  // outside the window
        ]
        // When computed grouped by reason
        let grouped = DeliveryOverviewResult.compute(query, counts: counts)
        // Then each reason has a full series, the largest total first
        #expect(grouped.total == 8)
        #expect(grouped.datasets.map(\.discardReason) == ["DISCARDED", "EXPIRED"])
        #expect(grouped.datasets[1].series.map(\.count) == [2, 0, 1])
        #expect(grouped.datasets[1].series.first?.time == Date(timeIntervalSince1970: Double(first * 60)))
        // And without groupBy, one dataset with no reason; a filter keeps the reasons asked for
        let all = DeliveryOverviewResult.compute(try Self.query(), counts: counts)
        #expect(all.datasets.count == 1)
        #expect(all.datasets[0].discardReason == nil)
        #expect(all.datasets[0].series.map(\.count) == [2, 5, 1])
        let expired = DeliveryOverviewResult.compute(try Self.query(filter: ["discardReason": ["EXPIRED"]]), counts: counts)
        #expect(expired.total == 3)
        // And nothing counted is one dataset of zeros, or no dataset when grouped
        #expect(DeliveryOverviewResult.compute(try Self.query(), counts: []).datasets.first?.series.map(\.count) == [0, 0, 0])
        #expect(DeliveryOverviewResult.compute(query, counts: []).datasets.isEmpty)
    }

    @Test func hoursAndDaysAlignToUTC() throws {
        let query = try Self.query(start: "2025-12-31T10:30:00Z", end: "2025-12-31T12:10:00Z", granularity: "HOUR")
        // 10:00, 11:00, 12:00
        #expect(query.bucketCount == 3)
        let tenOClock = DeliveryCounters.epochMinute(of: Self.now) - 14 * 60
        #expect(query.minuteRange == tenOClock..<(tenOClock + 180))
        let result = DeliveryOverviewResult.compute(
            query, counts: [DeliveryOverviewCount(minute: tenOClock + 59, count: 1), DeliveryOverviewCount(minute: tenOClock + 60, count: 2)])
        #expect(result.datasets[0].series.map(\.count) == [1, 2, 0])
    }

    @Test func deliveryCountersBecomeDeliveryCounts() {
        #expect(
            DeliveryOverviewCount.delivery(
                step: .successfulDelivery, minute: 7, successesOnFirstAttempt: 2, successesAfterRetry: 1, discarded: 4, expired: 0)
                == [DeliveryOverviewCount(minute: 7, count: 3, retryCount: 1)])
        #expect(
            DeliveryOverviewCount.delivery(
                step: .failedDelivery, minute: 7, successesOnFirstAttempt: 2, successesAfterRetry: 1, discarded: 4, expired: 0)
                == [DeliveryOverviewCount(minute: 7, reason: DiscardReason.discarded, count: 4)])
    }

    @Test func receivedCountsGroupBySourceAndMinute() {
        let t = Self.now
        let events = [("a", t), ("a", t.addingTimeInterval(30)), ("b", t), ("a", t.addingTimeInterval(60))].map {
            IncomingEvent(sourceID: $0.0, messageID: "m", receivedAt: $0.1, body: [])
        }
        let minute = DeliveryCounters.epochMinute(of: t)
        #expect(
            SourceEventCount.received(events) == [
                SourceEventCount(sourceID: "a", minute: minute, stage: .received, count: 2),
                SourceEventCount(sourceID: "a", minute: minute + 1, stage: .received, count: 1),
                SourceEventCount(sourceID: "b", minute: minute, stage: .received, count: 1),
            ])
    }
}
