import Foundation
import SluiceCore
import Testing

/// The contract of the Delivery Overview's counts (#17), on every engine.
@Suite struct DeliveryOverviewStoreTests {
    static let received = Date(timeIntervalSince1970: 1_700_000_000)
    static var minute: Int64 { DeliveryCounters.epochMinute(of: received) }
    static var window: Range<Int64> { (minute - 5)..<(minute + 5) }

    @Test(arguments: StoreKind.allCases)
    func ingestCountsAreAddedWithTheGroupCommit(kind: StoreKind) async throws {
        let store = try await kind.make()
        let minute = Self.minute
        // Given three events of one source in one minute, one of another source, and refusals
        try await store.appendEvents((0..<3).map { incoming("src", $0, at: Self.received) } + [incoming("other", 9, at: Self.received)])
        try await store.appendEvents(
            [incoming("src", 3, at: Self.received.addingTimeInterval(60))],
            refused: [
                SourceEventCount(sourceID: "src", minute: minute, stage: .refused, reason: DiscardReason.invalidJSON, count: 1),
                SourceEventCount(sourceID: "src", minute: minute, stage: .refused, reason: DiscardReason.invalidJSON, count: 2),
            ])
        // Refusals alone (no event) are written too
        try await store.appendEvents(
            [], refused: [SourceEventCount(sourceID: "src", minute: minute, stage: .refused, reason: DiscardReason.tooLarge, count: 4)])
        // When the overview counts are read
        let received = try await store.overviewCounts(step: .successfullyReceived, sourceID: "src", destinationID: nil, minutes: Self.window)
        let refused = try await store.overviewCounts(step: .failedOnIngest, sourceID: "src", destinationID: nil, minutes: Self.window)
        // Then each (minute, reason) is one count, added across commits
        #expect(
            received.sorted { $0.minute < $1.minute }
                == [DeliveryOverviewCount(minute: minute, count: 3), DeliveryOverviewCount(minute: minute + 1, count: 1)])
        #expect(
            refused.sorted { $0.reason < $1.reason }
                == [
                    DeliveryOverviewCount(minute: minute, reason: DiscardReason.invalidJSON, count: 3),
                    DeliveryOverviewCount(minute: minute, reason: DiscardReason.tooLarge, count: 4),
                ])
        #expect(
            try await store.overviewCounts(step: .successfullyReceived, sourceID: "other", destinationID: nil, minutes: Self.window)
                == [DeliveryOverviewCount(minute: minute, count: 1)])
        // And minutes outside the range are left out
        #expect(
            try await store.overviewCounts(step: .successfullyReceived, sourceID: "src", destinationID: nil, minutes: (minute + 1)..<(minute + 2))
                == [DeliveryOverviewCount(minute: minute + 1, count: 1)])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func filteredCountsAtSourceAndDestination(kind: StoreKind) async throws {
        let store = try await kind.make()
        let minute = Self.minute
        try await store.appendEvents((0..<3).map { incoming("src", $0, at: Self.received) })
        let pending = try await store.pendingEvents(limit: 10)
        // Given one event kept from the whole source and two kept from destination d
        try await store.route(
            consumed: pending.map(\.seq), jobs: [],
            filtered: [
                FilteredEvent(eventSeq: pending[0].seq, sourceID: "src", destinationID: "", minute: minute, reason: DiscardReason.sourceDisabled),
                FilteredEvent(eventSeq: pending[1].seq, sourceID: "src", destinationID: "d", minute: minute, reason: "DROP"),
                FilteredEvent(
                    eventSeq: pending[2].seq, sourceID: "src", destinationID: "d", minute: minute, reason: DiscardReason.noMatchingSubscription),
            ])
        // Then the source step reads the first, the destination step the other two
        #expect(
            try await store.overviewCounts(step: .filteredAtSource, sourceID: "src", destinationID: nil, minutes: Self.window)
                == [DeliveryOverviewCount(minute: minute, reason: DiscardReason.sourceDisabled, count: 1)])
        let atDestination = try await store.overviewCounts(step: .filteredAtDestination, sourceID: "src", destinationID: "d", minutes: Self.window)
        #expect(
            atDestination.sorted { $0.reason < $1.reason }
                == [
                    DeliveryOverviewCount(minute: minute, reason: "DROP", count: 1),
                    DeliveryOverviewCount(minute: minute, reason: DiscardReason.noMatchingSubscription, count: 1),
                ])
        #expect(try await store.overviewCounts(step: .filteredAtDestination, sourceID: "src", destinationID: "e", minutes: Self.window).isEmpty)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func deliveryStepsReadTheDeliveryCounters(kind: StoreKind) async throws {
        let store = try await kind.make()
        let minute = Self.minute
        let finished = Self.received.addingTimeInterval(1)
        var counters = DeliveryCounters()
        counters.record(.succeeded, attempt: 1, receivedAt: Self.received, finishedAt: finished)
        counters.record(.succeeded, attempt: 3, receivedAt: Self.received, finishedAt: finished)
        counters.record(.discarded, attempt: 1, receivedAt: Self.received, finishedAt: finished)
        counters.record(.expired, attempt: 0, receivedAt: Self.received, finishedAt: finished)
        counters.record(.expired, attempt: 0, receivedAt: Self.received, finishedAt: finished)
        counters.record(.retried, attempt: 1, receivedAt: Self.received, finishedAt: finished)
        try await store.complete([], metrics: [MetricsDelta(sourceID: "src", destinationID: "d", minute: minute, counters: counters)])
        #expect(
            try await store.overviewCounts(step: .successfulDelivery, sourceID: "src", destinationID: "d", minutes: Self.window)
                == [DeliveryOverviewCount(minute: minute, count: 2, retryCount: 1)])
        let failed = try await store.overviewCounts(step: .failedDelivery, sourceID: "src", destinationID: "d", minutes: Self.window)
        #expect(
            failed.sorted { $0.reason < $1.reason }
                == [
                    DeliveryOverviewCount(minute: minute, reason: DiscardReason.discarded, count: 1),
                    DeliveryOverviewCount(minute: minute, reason: DiscardReason.expired, count: 2),
                ])
        #expect(try await store.overviewCounts(step: .failedDelivery, sourceID: "src", destinationID: "e", minutes: Self.window).isEmpty)
        try await store.close()
    }
}
