import Foundation
import SluiceCore
import Testing

/// The contract of pausing delivery to a destination (#17), on every engine.
@Suite struct PausedDeliveryStoreTests {
    static let received = Date(timeIntervalSince1970: 1_700_000_000)

    /// A stored destination with three jobs due, and one job of another destination.
    private func queued(_ store: any Store) async throws -> (Destination, Destination) {
        let source = try await storedSource(store)
        let paused = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        let other = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(paused, audit: [])
        try await store.createDestination(other, audit: [])
        try await store.appendEvents((0..<4).map { incoming(source.id, $0, at: Self.received) })
        let pending = try await store.pendingEvents(limit: 10)
        try await store.route(
            consumed: pending.map(\.seq),
            jobs: pending.map {
                NewDeliveryJob(
                    eventSeq: $0.seq, destinationID: $0.event.messageID == "m3" ? other.id : paused.id, subscriptionID: "s", event: $0.event)
            })
        return (paused, other)
    }

    private func auditTypes(_ store: any Store, _ id: String) async throws -> [String] {
        try await store.listAuditEvents(filter: AuditFilter(resourceID: id), page: PageRequest(count: 10)).items.map(\.type)
    }

    @Test(arguments: StoreKind.allCases)
    func aPausedDestinationsJobsWaitUntilItIsResumed(kind: StoreKind) async throws {
        let store = try await kind.make()
        let (paused, other) = try await queued(store)
        let pausedAt = Self.received.addingTimeInterval(0.5)
        // When delivery to one destination is paused
        #expect(try await store.setDeliveryPaused(destinationID: paused.id, at: pausedAt, audit: [audit("Paused", paused.id)]))
        #expect(try await store.deliveryPausedAt(destinationID: paused.id) == pausedAt)
        #expect(try await store.deliveryPausedAt(destinationID: other.id) == nil)
        // Then its jobs are neither claimed nor due, and stay queued; the other destination's are delivered
        let now = Self.received.addingTimeInterval(1)
        let claimed = try await store.claimJobs(now: now, limit: 10, lease: .seconds(60))
        #expect(claimed.map(\.destinationID) == [other.id])
        try await store.complete([.finished(jobID: claimed[0].id)], metrics: [])
        #expect(try await store.nextDueTime() == nil)
        #expect(try await store.queueDepth().jobs == 3)
        // Pausing again changes nothing: the first time stays, no second audit event
        #expect(try await !store.setDeliveryPaused(destinationID: paused.id, at: now, audit: [audit("Paused", paused.id)]))
        #expect(try await store.deliveryPausedAt(destinationID: paused.id) == pausedAt)
        // When it is resumed, its jobs are due and claimed, oldest first
        #expect(try await store.setDeliveryPaused(destinationID: paused.id, at: nil, audit: [audit("Resumed", paused.id)]))
        #expect(try await !store.setDeliveryPaused(destinationID: paused.id, at: nil, audit: [audit("Resumed", paused.id)]))
        #expect(try await store.deliveryPausedAt(destinationID: paused.id) == nil)
        #expect(try await store.nextDueTime() == Self.received)
        #expect(try await store.claimJobs(now: now, limit: 10, lease: .seconds(60)).map(\.messageID) == ["m0", "m1", "m2"])
        // Each change recorded one audit event, in the same transaction
        #expect(try await auditTypes(store, paused.id).sorted() == ["Paused", "Resumed"])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func onlyAnExistingDestinationIsPausedAndDeletingItEndsThePause(kind: StoreKind) async throws {
        let store = try await kind.make()
        let (paused, _) = try await queued(store)
        // A destination that does not exist changes nothing and records nothing
        #expect(try await !store.setDeliveryPaused(destinationID: "nope", at: Self.received, audit: [audit("Paused", "nope")]))
        #expect(try await store.deliveryPausedAt(destinationID: "nope") == nil)
        #expect(try await auditTypes(store, "nope").isEmpty)
        // A deleted destination's pause goes with it
        #expect(try await store.setDeliveryPaused(destinationID: paused.id, at: Self.received, audit: []))
        try await store.deleteDestination(id: paused.id) { _ in [] }
        #expect(try await store.deliveryPausedAt(destinationID: paused.id) == nil)
        try await store.close()
    }
}
