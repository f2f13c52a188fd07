import Foundation
import SluiceCore
import Testing

/// The contract of failed events and their replay (#17), on every engine.
@Suite struct FailedEventStoreTests {
    static let received = Date(timeIntervalSince1970: 1_700_000_000)

    private func count(_ store: any Store, _ filter: FailedEventFilter) async throws -> Int {
        try await store.failedEvents(filter, page: PageRequest(count: 10)).totalEntries
    }

    private func messageIDs(
        _ store: any Store, _ filter: FailedEventFilter = FailedEventFilter(), page: PageRequest = PageRequest(count: 10)
    )
        async throws -> [String]
    {
        try await store.failedEvents(filter, page: page).items.map(\.messageID)
    }

    /// A destination with four jobs (m0...m3) of one subscription, claimed.
    private func claimed(_ store: any Store) async throws -> (Destination, [DeliveryJob]) {
        let source = try await storedSource(store)
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        try await store.appendEvents((0..<4).map { incoming(source.id, $0, at: Self.received) })
        let pending = try await store.pendingEvents(limit: 10)
        try await store.route(
            consumed: pending.map(\.seq),
            jobs: pending.map { NewDeliveryJob(eventSeq: $0.seq, destinationID: destination.id, subscriptionID: "s", event: $0.event) })
        let jobs = try await store.claimJobs(now: Self.received.addingTimeInterval(1), limit: 10, lease: .seconds(60))
        return (destination, jobs)
    }

    @Test(arguments: StoreKind.allCases)
    func givingUpKeepsTheEventWithItsReasonAndReplayMovesItBackIntoDelivery(kind: StoreKind) async throws {
        let store = try await kind.make()
        let (destination, jobs) = try await claimed(store)
        let failedAt = Self.received.addingTimeInterval(2)
        // When one job is discarded, one expires, one succeeds and one is retried
        try await store.complete(
            [
                .failed(jobID: jobs[0].id, status: .discarded, reason: "HTTP 400", attempts: 1, at: failedAt),
                .failed(jobID: jobs[1].id, status: .expired, reason: "HTTP 503", attempts: 7, at: failedAt.addingTimeInterval(60)),
                .finished(jobID: jobs[2].id),
                .retry(jobID: jobs[3].id, attempts: 1, nextAttemptAt: failedAt.addingTimeInterval(5)),
            ], metrics: [])
        // Then the two that gave up are failed events, newest first, with what the job held
        #expect(try await store.queueDepth().jobs == 1)
        let all = try await store.failedEvents(FailedEventFilter(), page: PageRequest(count: 10))
        #expect(all.totalEntries == 2)
        #expect(all.items.map(\.messageID) == ["m1", "m0"])
        let discarded = try #require(all.items.last)
        #expect(discarded.status == .discarded)
        #expect(discarded.reason == "HTTP 400")
        #expect(discarded.attempts == 1)
        #expect(discarded.failedAt == failedAt)
        #expect(discarded.receivedAt == Self.received)
        #expect(discarded.destinationID == destination.id)
        #expect(discarded.subscriptionID == "s")
        #expect(discarded.body == jobs[0].body)
        #expect(all.items.first?.attempts == 7)
        // And each filter narrows
        #expect(try await messageIDs(store, FailedEventFilter(status: .expired)) == ["m1"])
        #expect(try await count(store, FailedEventFilter(messageID: "m0")) == 1)
        #expect(try await count(store, FailedEventFilter(destinationID: "other")) == 0)
        #expect(try await count(store, FailedEventFilter(ids: [discarded.id])) == 1)
        #expect(
            try await count(store, FailedEventFilter(startTime: failedAt.addingTimeInterval(1))) == 1
        )
        #expect(try await count(store, FailedEventFilter(endTime: failedAt)) == 1)
        #expect(try await messageIDs(store, page: PageRequest(count: 1, offset: 1)) == ["m0"])
        // When the discarded one is replayed
        let replayAt = Self.received.addingTimeInterval(3600)
        let counts = Counts()
        let replayed = try await store.replayFailedEvents(FailedEventFilter(ids: [discarded.id]), at: replayAt) { perDestination in
            counts.value = perDestination
            return [audit("Replayed", destination.id, resourceType: "destination")]
        }
        // Then it is a new job due now, with a whole window, no attempts, and its message id and body; no longer failed
        #expect(replayed == 1)
        #expect(counts.value == [destination.id: 1])
        #expect(try await messageIDs(store, FailedEventFilter()) == ["m1"])
        let again = try await store.claimJobs(now: replayAt, limit: 10, lease: .seconds(60))
        let job = try #require(again.first { $0.messageID == "m0" })
        #expect(job.attempts == 0)
        #expect(job.receivedAt == replayAt)
        #expect(job.body == jobs[0].body)
        #expect(
            try await store.listAuditEvents(filter: AuditFilter(resourceID: destination.id), page: PageRequest(count: 10)).items.map(\.type) == [
                "Replayed"
            ])
        // Replaying what matches nothing changes nothing and records nothing
        #expect(try await store.replayFailedEvents(FailedEventFilter(ids: [discarded.id]), at: replayAt) { _ in [audit("X", "x")] } == 0)
        #expect(try await store.listAuditEvents(filter: AuditFilter(resourceID: "x"), page: PageRequest(count: 10)).totalEntries == 0)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func retentionForgetsOldFailuresAndADeletedDestinationTakesItsOwn(kind: StoreKind) async throws {
        let store = try await kind.make()
        let (destination, jobs) = try await claimed(store)
        try await store.complete(
            [
                .failed(jobID: jobs[0].id, status: .discarded, reason: "HTTP 400", attempts: 1, at: Self.received),
                .failed(jobID: jobs[1].id, status: .discarded, reason: "HTTP 400", attempts: 1, at: Self.received.addingTimeInterval(100)),
            ], metrics: [])
        // Older than the cutoff goes; the cutoff itself stays
        #expect(try await store.deleteFailedEvents(before: Self.received.addingTimeInterval(100)) == 1)
        #expect(try await messageIDs(store, FailedEventFilter()) == ["m1"])
        // A deleted destination's failed events go with it, and a job of a deleted destination that gives up is not kept
        try await store.deleteDestination(id: destination.id) { _ in [] }
        #expect(try await count(store, FailedEventFilter()) == 0)
        try await store.complete([.failed(jobID: jobs[2].id, status: .discarded, reason: "gone", attempts: 0, at: Self.received)], metrics: [])
        #expect(try await count(store, FailedEventFilter()) == 0)
        #expect(try await store.queueDepth().jobs == 1)
        try await store.close()
    }
}

final class Counts: @unchecked Sendable {
    var value: [String: Int] = [:]
}
