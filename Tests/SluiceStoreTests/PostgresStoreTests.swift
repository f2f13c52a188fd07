import Foundation
import SluiceCore
import SluicePostgres
import Testing

/// What only a database shared by several processes has to get right. Two stores opened on one
/// schema stand for two Sluice processes. Runs when `SLUICE_TEST_POSTGRES` names a database.
@Suite(.enabled(if: StoreKind.postgresURL != nil, "SLUICE_TEST_POSTGRES is not set"))
struct PostgresStoreTests {
    /// Two stores on one new schema, opened at the same time (so both race to migrate).
    func twoProcesses() async throws -> (any Store, any Store) {
        let url = try #require(StoreKind.postgresURL)
        let schema = "t_" + Identifier.make().lowercased()
        async let a = PostgresStore.open(url: url, schema: schema)
        async let b = PostgresStore.open(url: url, schema: schema)
        return try await (a, b)
    }

    @Test func migrationsRunOnceAndWritesAreSeenEverywhere() async throws {
        let (a, b) = try await twoProcesses()
        #expect(
            try await a.appliedMigrations() == allMigrations)
        #expect(try await a.workspace() == b.workspace())
        // A write through one is read through the other at once
        let source = try await storedSource(a)
        #expect(try await b.source(id: source.id) == source)
        #expect(try await b.source(writeKey: source.writeKeys[0])?.id == source.id)
        try await a.close()
        try await b.close()
    }

    @Test func concurrentUpdatesFromTwoProcessesAllLand() async throws {
        let (a, b) = try await twoProcesses()
        let source = try await storedSource(a)
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await a.createDestination(destination, audit: [])
        try await updateSettingsConcurrently(destinationID: destination.id, count: 30, over: [a, b])
        let stored = try #require(try await b.destination(id: destination.id))
        for i in 0..<30 { #expect(stored.settings["k\(i)"] == .number(Double(i))) }
        try await a.close()
        try await b.close()
    }

    @Test func eventsAndJobsGoToOneProcessAtATime() async throws {
        let (a, b) = try await twoProcesses()
        try await a.appendEvents((0..<300).map { incoming("src", $0) })
        // Two routers reading at once get disjoint events
        async let fromA = a.pendingEvents(limit: 200)
        async let fromB = b.pendingEvents(limit: 200)
        let (pa, pb) = try await (fromA, fromB)
        #expect(pa.count + pb.count == 300)
        #expect(Set(pa.map(\.seq)).isDisjoint(with: pb.map(\.seq)))
        try await routeToOneSubscription(pa, through: a)
        try await routeToOneSubscription(pb, through: b)
        #expect(try await a.queueDepth().jobs == 300)
        // Two workers claiming at once never share a job
        let now = Date(timeIntervalSince1970: 1_700_000_010)
        let claimed = try await claimUntilEmpty(workers: [a, b, a, b], now: now, limit: 9)
        #expect(claimed.count == 300)
        #expect(Set(claimed).count == 300)
        // A process starting up does not take the leases of one still running
        try await b.releaseLeases()
        #expect(try await b.claimJobs(now: now, limit: 10, lease: .seconds(60)).isEmpty)
        // When the lease of a process that died ends, the other takes its jobs
        #expect(try await b.claimJobs(now: now.addingTimeInterval(61), limit: 1000, lease: .seconds(60)).count == 300)
        try await a.close()
        try await b.close()
    }

    @Test func aRateLimitAndAProbeHoldAcrossProcesses() async throws {
        let (a, b) = try await twoProcesses()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let source = try await storedSource(a)
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await a.createDestination(destination, audit: [])
        try await a.appendEvents((0..<60).map { incoming(source.id, $0, at: t0) })
        let pending = try await a.pendingEvents(limit: 100)
        try await a.route(
            consumed: pending.map(\.seq),
            jobs: pending.map { NewDeliveryJob(eventSeq: $0.seq, destinationID: destination.id, subscriptionID: "s", event: $0.event) })
        // Given a limit of 5 events a second set through one process
        #expect(try await a.setDeliveryRateLimit(destinationID: destination.id, eventsPerSecond: 5, at: t0, audit: []))
        // When four workers of two processes claim at once, again and again, within the same second
        let first = try await claimUntilEmpty(workers: [a, b, a, b], now: t0, limit: 9)
        // Then they took one bucket's five between them, and a second later five more
        #expect(first.count == 5)
        #expect(try await claimUntilEmpty(workers: [b, a, b, a], now: t0.addingTimeInterval(1), limit: 9).count == 5)
        // When the destination is marked failing through one process, the workers of both share a single probe
        #expect(try await a.setDeliveryRateLimit(destinationID: destination.id, eventsPerSecond: nil, at: t0, audit: []))
        let report = DeliveryHealthReport(
            destinations: [
                DestinationAttempts(destinationID: destination.id, succeeded: 0, failed: 3, startedAt: t0, finishedAt: t0.addingTimeInterval(2))
            ], breaker: BreakerSettings(failingAfter: .seconds(1), probeInterval: .seconds(10)))
        #expect(try await b.complete([], metrics: [], log: [], health: report).map(\.kind) == [.markedFailing])
        #expect(try await a.failingDestinationCount() == 1)
        #expect(try await claimUntilEmpty(workers: [a, b, a, b], now: t0.addingTimeInterval(5), limit: 9).isEmpty)
        #expect(try await claimUntilEmpty(workers: [a, b, a, b], now: t0.addingTimeInterval(12), limit: 9).count == 1)
        try await a.close()
        try await b.close()
    }

    @Test func metricsFromTwoProcessesAddUp() async throws {
        let (a, b) = try await twoProcesses()
        let received = Date(timeIntervalSince1970: 1_700_000_000)
        let one = {
            var counters = DeliveryCounters()
            counters.record(.succeeded, attempt: 1, receivedAt: received, finishedAt: received.addingTimeInterval(0.5))
            return counters
        }()
        let minute = DeliveryCounters.epochMinute(of: received)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                let store = i.isMultiple(of: 2) ? a : b
                group.addTask {
                    try await store.complete([], metrics: [MetricsDelta(sourceID: "s", destinationID: "d", minute: minute, counters: one)])
                }
            }
            try await group.waitForAll()
        }
        let total = try await b.deliveryCounters(sourceID: "s", destinationID: "d", minutes: minute..<(minute + 1))
        #expect(total.successesOnFirstAttempt == 40)
        #expect(total.timeToSuccess.count == 40)
        try await a.close()
        try await b.close()
    }

    @Test func anUnreachableDatabaseIsUnavailable() async throws {
        // A port nothing listens on: opening fails as unavailable, within the acquire timeout.
        let started = ContinuousClock.now
        await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.open(url: "postgres://sluice:x@127.0.0.1:1/sluice", acquireTimeout: .seconds(1))
        }
        // A guard against hanging, not a timing figure: on a loaded 2-core machine the refusal took 24 s once.
        #expect(ContinuousClock.now - started < .seconds(90))
    }

    @Test func urlsAreReadAndCheckedWithoutEchoingThePassword() throws {
        let location = try PostgresStore.Location(url: "postgresql://u%40x:p%2Fw@db.example:6543/app?sslmode=require")
        #expect(location.username == "u@x")
        #expect(location.password == "p/w")
        #expect(location.host == "db.example")
        #expect(location.port == 6543)
        #expect(location.database == "app")
        #expect(location.sslMode == "require")
        #expect(throws: StoreError.self) { try PostgresStore.Location(url: "postgres://u:secret@h/db?sslmode=maybe") }
        do {
            _ = try PostgresStore.Location(url: "postgres://u:secret@/db")
            Issue.record("a URL without a host was accepted")
        } catch {
            #expect(!"\(error)".contains("secret"))
        }
    }
}
