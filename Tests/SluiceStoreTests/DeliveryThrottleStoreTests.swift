import Foundation
import SluiceCore
import Testing

/// The contract of rate limits, vendors' `Retry-After` and the circuit breaker (#17), on every engine.
@Suite struct DeliveryThrottleStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// Two stored destinations: `count` jobs due at `t0` for the first, three for the other.
    private func queued(_ store: any Store, count: Int) async throws -> (Destination, Destination) {
        let source = try await storedSource(store)
        let first = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        let other = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(first, audit: [])
        try await store.createDestination(other, audit: [])
        try await store.appendEvents((0..<(count + 3)).map { incoming(source.id, $0, at: Self.t0) })
        let pending = try await store.pendingEvents(limit: 100)
        try await store.route(
            consumed: pending.map(\.seq),
            jobs: pending.enumerated().map { index, event in
                NewDeliveryJob(eventSeq: event.seq, destinationID: index < count ? first.id : other.id, subscriptionID: "s", event: event.event)
            })
        return (first, other)
    }

    private func claim(_ store: any Store, at seconds: Double) async throws -> [DeliveryJob] {
        try await store.claimJobs(now: Self.t0.addingTimeInterval(seconds), limit: 100, lease: .seconds(300))
    }

    /// Puts claimed jobs back, due at once.
    private func putBack(_ store: any Store, _ jobs: [DeliveryJob]) async throws {
        try await store.complete(jobs.map { .retry(jobID: $0.id, attempts: 1, nextAttemptAt: Self.t0) }, metrics: [])
    }

    private func report(_ attempts: [DestinationAttempts]) -> DeliveryHealthReport {
        DeliveryHealthReport(destinations: attempts, breaker: BreakerSettings(failingAfter: .seconds(60), probeInterval: .seconds(10)))
    }

    private func attempts(_ id: String, succeeded: Int = 0, failed: Int = 0, at seconds: Double, retryAfter: Double? = nil) -> DestinationAttempts {
        DestinationAttempts(
            destinationID: id, succeeded: succeeded, failed: failed, startedAt: Self.t0.addingTimeInterval(seconds - 0.5),
            finishedAt: Self.t0.addingTimeInterval(seconds), retryAfterUntil: retryAfter.map { Self.t0.addingTimeInterval(seconds + $0) })
    }

    private func auditTypes(_ store: any Store, _ id: String) async throws -> [String] {
        try await store.listAuditEvents(filter: AuditFilter(resourceID: id), page: PageRequest(count: 10)).items.map(\.type).sorted()
    }

    @Test(arguments: StoreKind.allCases)
    func aRateLimitedDestinationGivesWhatItsBucketHolds(kind: StoreKind) async throws {
        let store = try await kind.make()
        let (limited, other) = try await queued(store, count: 10)
        // When the destination is limited to 2 events a second (a new limit starts with a full bucket)
        #expect(
            try await store.setDeliveryRateLimit(destinationID: limited.id, eventsPerSecond: 2, at: Self.t0, audit: [audit("Limited", limited.id)]))
        #expect(
            try await !store.setDeliveryRateLimit(destinationID: limited.id, eventsPerSecond: 2, at: Self.t0, audit: [audit("Limited", limited.id)]))
        #expect(try await store.deliveryState(destinationID: limited.id).rateLimit == 2)
        // Then a claim takes two of its jobs and every job of the other destination
        let first = try await claim(store, at: 0)
        #expect(first.filter { $0.destinationID == limited.id }.count == 2)
        #expect(first.filter { $0.destinationID == other.id }.count == 3)
        // And nothing more until a token comes back, half a second later, which is when the next job is due
        #expect(try await claim(store, at: 0.1).isEmpty)
        #expect(try await store.nextDueTime() == Self.t0.addingTimeInterval(0.5))
        #expect(try await claim(store, at: 0.5).count == 1)
        // A long wait fills the bucket to one second's worth, no more
        #expect(try await claim(store, at: 60).count == 2)
        // When the limit is removed, the rest go at once
        #expect(
            try await store.setDeliveryRateLimit(
                destinationID: limited.id, eventsPerSecond: nil, at: Self.t0, audit: [audit("Unlimited", limited.id)]))
        #expect(try await claim(store, at: 60).count == 5)
        #expect(try await auditTypes(store, limited.id) == ["Limited", "Unlimited"])
        // An unknown destination changes nothing
        #expect(try await !store.setDeliveryRateLimit(destinationID: "nope", eventsPerSecond: 5, at: Self.t0, audit: [audit("Limited", "nope")]))
        #expect(try await store.deliveryState(destinationID: "nope") == DestinationDeliveryState(destinationID: "nope"))
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aRetryAfterHoldsTheWholeDestination(kind: StoreKind) async throws {
        let store = try await kind.make()
        let (held, other) = try await queued(store, count: 4)
        // Given one job of the destination answered with Retry-After: 30
        let one = try await store.claimJobs(now: Self.t0, limit: 1, lease: .seconds(300))
        #expect(one.map(\.destinationID) == [held.id])
        let changes = try await store.complete(
            [.retry(jobID: one[0].id, attempts: 1, nextAttemptAt: Self.t0.addingTimeInterval(31))], metrics: [], log: [],
            health: report([attempts(held.id, failed: 1, at: 1, retryAfter: 30)]))
        #expect(changes.isEmpty)
        // Then its other jobs wait too, until then; the other destination's do not
        #expect(try await store.deliveryState(destinationID: held.id).heldUntil == Self.t0.addingTimeInterval(31))
        #expect(try await claim(store, at: 2).map(\.destinationID) == [other.id, other.id, other.id])
        #expect(try await store.nextDueTime() == Self.t0.addingTimeInterval(31))
        #expect(try await claim(store, at: 30).isEmpty)
        #expect(try await claim(store, at: 31).count == 4)
        // And a Retry-After of a year (12 digits of seconds are read) holds it for a day at most
        _ = try await store.complete([], metrics: [], log: [], health: report([attempts(held.id, failed: 1, at: 40, retryAfter: 999_999_999_999)]))
        #expect(try await store.deliveryState(destinationID: held.id).heldUntil == Self.t0.addingTimeInterval(40 + RetryPolicy.maxRetryAfter))
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aDestinationWhoseEveryAttemptFailsIsMarkedFailingProbedAndRecovers(kind: StoreKind) async throws {
        let store = try await kind.make()
        let (failing, other) = try await queued(store, count: 5)
        // Given attempts that fail, for less than the breaker's minute: nothing changes but the run's start
        var jobs = try await claim(store, at: 0)
        try await putBack(store, jobs)
        #expect(try await store.complete([], metrics: [], log: [], health: report([attempts(failing.id, failed: 5, at: 1)])).isEmpty)
        #expect(try await store.deliveryState(destinationID: failing.id).failingFrom == Self.t0.addingTimeInterval(0.5))
        #expect(try await store.deliveryState(destinationID: failing.id).failingSince == nil)
        // When they have failed for a minute
        let marked = try await store.complete([], metrics: [], log: [], health: report([attempts(failing.id, failed: 5, at: 61)]))
        #expect(marked == [DeliveryHealthChange(destinationID: failing.id, kind: .markedFailing, at: Self.t0.addingTimeInterval(61))])
        // Then it is failing, held until the first probe, counted, and audited once
        let state = try await store.deliveryState(destinationID: failing.id)
        #expect(state.failingSince == Self.t0.addingTimeInterval(61))
        #expect(state.heldUntil == Self.t0.addingTimeInterval(71))
        #expect(try await store.failingDestinationCount() == 1)
        #expect(try await auditTypes(store, failing.id) == [AuditEventType.deliveryFailing])
        jobs = try await claim(store, at: 62)
        #expect(jobs.map(\.destinationID) == [other.id, other.id, other.id])
        // A probe is one job at a time
        let probe = try await claim(store, at: 71)
        #expect(probe.map(\.destinationID) == [failing.id])
        #expect(try await claim(store, at: 72).isEmpty)
        // A failed probe holds it for another interval, with no new audit event
        try await putBack(store, probe)
        #expect(try await store.complete([], metrics: [], log: [], health: report([attempts(failing.id, failed: 1, at: 72)])).isEmpty)
        #expect(try await store.deliveryState(destinationID: failing.id).heldUntil == Self.t0.addingTimeInterval(82))
        #expect(try await claim(store, at: 81).isEmpty)
        let second = try await claim(store, at: 82)
        #expect(second.count == 1)
        // When a probe succeeds, it recovers and every job goes
        try await store.complete([.finished(jobID: second[0].id)], metrics: [])
        let recovered = try await store.complete([], metrics: [], log: [], health: report([attempts(failing.id, succeeded: 1, at: 83)]))
        #expect(recovered.map(\.kind) == [.recovered])
        #expect(try await store.deliveryState(destinationID: failing.id) == DestinationDeliveryState(destinationID: failing.id))
        #expect(try await store.failingDestinationCount() == 0)
        #expect(try await claim(store, at: 83).count == 4)
        #expect(try await auditTypes(store, failing.id) == [AuditEventType.deliveryFailing, AuditEventType.deliveryRecovered])
        // A destination that no longer exists keeps no state
        #expect(try await store.complete([], metrics: [], log: [], health: report([attempts("nope", failed: 1, at: 100)])).isEmpty)
        #expect(try await store.deliveryState(destinationID: "nope") == DestinationDeliveryState(destinationID: "nope"))
        try await store.close()
    }
}
