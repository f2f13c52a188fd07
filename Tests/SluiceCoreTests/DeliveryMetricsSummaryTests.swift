import Foundation
import Testing

@testable import SluiceCore

@Suite struct DeliveryMetricsSummaryTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    // MARK: - Counters

    @Test func eachDispositionCountsOnce() {
        // Given one event per path: success at once, success after two failures, a discard, an expiry
        var counters = DeliveryCounters()
        let received = Self.t0

        // When their attempts are recorded
        counters.record(.succeeded, attempt: 1, receivedAt: received, finishedAt: received.addingTimeInterval(0.120))
        counters.record(.retried, attempt: 1, receivedAt: received, finishedAt: received.addingTimeInterval(0.050))
        counters.record(.retried, attempt: 2, receivedAt: received, finishedAt: received.addingTimeInterval(1.2))
        counters.record(.succeeded, attempt: 3, receivedAt: received, finishedAt: received.addingTimeInterval(3.5))
        counters.record(.discarded, attempt: 1, receivedAt: received, finishedAt: received.addingTimeInterval(0.030))
        counters.record(.expired, attempt: 0, receivedAt: received, finishedAt: received.addingTimeInterval(14_400))

        // Then each counter holds its events, and latencies are measured from ingest
        #expect(counters.successesOnFirstAttempt == 1)
        #expect(counters.successesAfterRetry == 1)
        #expect(counters.retried == 2)
        #expect(counters.discarded == 1)
        #expect(counters.expired == 1)
        #expect(counters.timeToSuccess.count == 2 && counters.timeToSuccess.sum == 120 + 3500)
        #expect(counters.timeToFirstAttempt.count == 3 && counters.timeToFirstAttempt.sum == 120 + 50 + 30)
    }

    @Test func countersMerge() {
        // Given two minutes of counters
        var a = DeliveryCounters(successesOnFirstAttempt: 3, successesAfterRetry: 1, expired: 0, discarded: 2, retried: 4)
        a.timeToSuccess.record(milliseconds: 100)
        var b = DeliveryCounters(successesOnFirstAttempt: 1, successesAfterRetry: 0, expired: 5, discarded: 0, retried: 1)
        b.timeToSuccess.record(milliseconds: 300)

        // When they are merged
        let sum = DeliveryCounters.merged([a, b, DeliveryCounters()])

        // Then every counter adds up
        #expect(sum.successesOnFirstAttempt == 4 && sum.successesAfterRetry == 1 && sum.expired == 5)
        #expect(sum.discarded == 2 && sum.retried == 5 && sum.successes == 5)
        #expect(sum.timeToSuccess.count == 2 && sum.timeToSuccess.average == 200)
        #expect(DeliveryCounters().isEmpty && !sum.isEmpty)
    }

    @Test func epochMinutes() {
        // Given times on either side of a minute boundary and before 1970
        // When their minutes are computed
        // Then they round down
        #expect(DeliveryCounters.epochMinute(of: Date(timeIntervalSince1970: 119.999)) == 1)
        #expect(DeliveryCounters.epochMinute(of: Date(timeIntervalSince1970: 120)) == 2)
        #expect(DeliveryCounters.epochMinute(of: Date(timeIntervalSince1970: -1)) == -1)
    }

    // MARK: - Summary

    @Test func metricsComeInTheSeedsOrderWithTheirBreakdowns() throws {
        // Given counters with latencies
        var counters = DeliveryCounters(successesOnFirstAttempt: 7, successesAfterRetry: 2, expired: 1, discarded: 3, retried: 4)
        for value: Int64 in [10, 20, 30, 40, 1000] { counters.timeToSuccess.record(milliseconds: value) }
        counters.timeToFirstAttempt.record(milliseconds: 5)

        // When the summary's metrics are computed
        let metrics = DeliveryMetricsSummary.metrics(counters)

        // Then they come in order, with averages rounded to the millisecond
        #expect(metrics.map(\.name) == ["successes", "expired", "discarded", "retried", "time_to_success", "time_to_first_attempt"])
        #expect(metrics[0].total == 9)
        #expect(metrics[0].breakdown.map(\.name) == ["successes_on_first_attempt", "successes_after_retry"])
        #expect(metrics[0].breakdown.map(\.value) == [7, 2])
        #expect(metrics[1].total == 1 && metrics[2].total == 3 && metrics[3].total == 4)
        #expect(metrics[1].breakdown.isEmpty)
        #expect(metrics[4].total == 5)
        #expect(metrics[4].breakdown.map(\.name) == ["time_to_success_average", "time_to_success_p95"])
        #expect(metrics[4].breakdown.map(\.value) == [220, 1000])
        #expect(metrics[5].breakdown[1].name == "time_to_first_attempt_p95" && metrics[5].breakdown[1].value == 5)
    }

    @Test func emptyCountersGiveZeros() {
        // Given no deliveries at all
        // When the summary's metrics are computed
        let metrics = DeliveryMetricsSummary.metrics(DeliveryCounters())

        // Then every total and value is 0
        #expect(metrics.allSatisfy { $0.total == 0 })
        #expect(metrics.flatMap(\.breakdown).allSatisfy { $0.value == 0 })
    }
}
