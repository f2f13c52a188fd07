import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import SluiceApp
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

@testable import SluiceDelivery

/// Routing at ingest (issue 20): accepted events are committed as their jobs when nothing committed before them waits
/// to be routed and the store keeps a routing version (SQLite); otherwise they wait for the router as before. Either
/// way the jobs and the Delivery Overview's counts are the same.
@Suite struct RoutingAtIngestTests {
    /// A router and a writer over `store`, as `sluice serve` pairs them (the writer asks the router first); the writer
    /// commits through `queue` when one is given.
    static func pipeline(_ store: any Store, writingThrough queue: (any IngestQueue)? = nil) -> (EventRouter, EventWriter) {
        let incoming = PipelineSignal()
        let router = EventRouter(
            store: store, integrations: .webhooksOnly, incoming: incoming, routed: PipelineSignal(), logger: Logger(label: "test"))
        return (router, EventWriter(store: queue ?? store, notify: incoming, router: router))
    }

    /// Runs `body` on an app whose pipeline is off (each test runs a router and a writer itself), with a source and
    /// one Webhooks destination whose subscription takes track events.
    static func withTrackDestination(
        _ body: @Sendable (_ client: any TestClientProtocol, _ store: any Store, _ sourceID: String, _ destinationID: String) async throws -> Void
    ) async throws {
        var settings = AppSettings.testing()
        settings.delivery = false
        try await TestHarness.withApp(settings: settings) { client, store in
            let (sourceID, ids) = try await FilterRoutingTests.destinations(subscribedBy: [#"type = "track""#], client)
            try await body(client, store, sourceID, ids[0])
        }
    }

    /// A new Webhooks destination of `sourceID`, with no subscription.
    static func addDestination(to sourceID: String, _ client: any TestClientProtocol) async throws -> String {
        let created = try await client.api(
            .post, "/destinations",
            json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.webhooks), "settings": ["sharedSecret": ""]])
        return try #require(created.data["destination"]?["id"]?.stringValue, "\(created.text)")
    }

    /// Gives `destinationID` an enabled subscription that takes track events.
    static func subscribeToTrack(_ destinationID: String, _ client: any TestClientProtocol) async throws {
        let subscription = try await client.api(
            .post, "/destinations/\(destinationID)/subscriptions",
            json: [
                "name": "s", "actionId": .string(WebhookAction.send), "trigger": #"type = "track""#, "enabled": true,
                "settings": ["url": "http://127.0.0.1:9/hook"],
            ])
        #expect(subscription.status == .ok, "\(subscription.text)")
    }

    static func events(_ sourceID: String, _ messages: [JSONValue], at now: Date) -> [IncomingEvent] {
        messages.map {
            IncomingEvent(sourceID: sourceID, messageID: $0["messageId"]?.stringValue ?? "", receivedAt: now, body: JSONWriter.encode($0))
        }
    }

    /// Every due job's (destination, message id), sorted.
    static func jobs(_ store: any Store, at now: Date) async throws -> [String] {
        try await store.claimJobs(now: now.addingTimeInterval(1), limit: 100, lease: .seconds(60)).map { "\($0.destinationID) \($0.messageID)" }
            .sorted()
    }

    @Test func eventsAcceptedWhenNothingWaitsAreCommittedAsTheirJobs() async throws {
        // Given a source with a Webhooks destination whose subscription takes track events
        try await Self.withTrackDestination { _, store, sourceID, destinationID in
            let (router, writer) = Self.pipeline(store)
            let keepsVersion = try await store.routingVersion() != nil
            let now = Date()
            // When events arrive before the router has looked for waiting events
            let first = Self.events(
                sourceID, [["type": "track", "event": "a", "messageId": "m1"], ["type": "identify", "messageId": "m2"]], at: now)
            #expect(try await writer.append(first) == false)
            // Then they wait for it, and it routes them
            #expect(try await store.queueDepth() == (events: 2, jobs: 0))
            #expect(try await router.routeOnce() == 2)
            #expect(try await router.routeOnce() == 0)
            // When more arrive once nothing waits
            let second = Self.events(
                sourceID, [["type": "track", "event": "b", "messageId": "m3"], ["type": "identify", "messageId": "m4"]], at: now)
            let routed = try await writer.append(second)
            // Then a store that keeps a routing version commits them as their jobs, with no event left to route
            #expect(routed == keepsVersion)
            if !routed { #expect(try await router.routeOnce() == 2) }
            #expect(try await store.queueDepth() == (events: 0, jobs: 2))
            // And either way the jobs and the counts are those the router gives: each track event to the destination,
            // each identify counted as matching no subscription, and all four received
            #expect(try await Self.jobs(store, at: now) == ["\(destinationID) m1", "\(destinationID) m3"])
            let minute = DeliveryCounters.epochMinute(of: now)
            #expect(
                try await store.filteredCounts(sourceID: sourceID, destinationID: destinationID, minutes: minute..<(minute + 1))
                    == [DiscardReason.noMatchingSubscription: 2])
            let received = try await store.overviewCounts(
                step: .successfullyReceived, sourceID: sourceID, destinationID: nil, minutes: minute..<(minute + 1))
            #expect(received.reduce(0) { $0 + $1.count } == 4)
        }
    }

    @Test func aChangeToWhatRoutingReadsTakesEffectForTheNextBatch() async throws {
        // Given a destination taking track events, and a pipeline whose router has found nothing waiting
        try await Self.withTrackDestination { client, store, sourceID, first in
            let (router, writer) = Self.pipeline(store)
            #expect(try await router.routeOnce() == 0)
            let now = Date()
            func send(_ id: String) async throws {
                if try await !writer.append(Self.events(sourceID, [["type": "track", "event": "e", "messageId": .string(id)]], at: now)) {
                    #expect(try await router.routeOnce() == 1)
                }
            }
            try await send("m1")
            // When a second destination with a subscription is added to the source
            let second = try await Self.addDestination(to: sourceID, client)
            try await Self.subscribeToTrack(second, client)
            try await send("m2")
            // And then the first destination is disabled
            let disabled = try await client.api(.patch, "/destinations/\(first)", json: ["enabled": false])
            #expect(disabled.status == .ok, "\(disabled.text)")
            try await send("m3")
            // Then each event went where the routes were at the moment it arrived, not where they were for the first
            #expect(try await Self.jobs(store, at: now) == ["\(first) m1", "\(first) m2", "\(second) m2", "\(second) m3"].sorted())
        }
    }

    @Test func routesThatChangeBeforeTheirCommitWriteNothing() async throws {
        try await Self.withTrackDestination { client, store, sourceID, destinationID in
            let (router, _) = Self.pipeline(store)
            #expect(try await router.routeOnce() == 0)
            let events = Self.events(sourceID, [["type": "track", "event": "e", "messageId": "m1"]], at: Date())
            // Given events routed at ingest (a store that keeps no version routes nothing there)
            guard let routing = try await router.routeAtIngest(events) else {
                #expect(try await store.routingVersion() == nil)
                return
            }
            #expect(routing.jobs.map(\.destinationID) == [destinationID])
            // When their destination is disabled before they are committed
            let disabled = try await client.api(.patch, "/destinations/\(destinationID)", json: ["enabled": false])
            #expect(disabled.status == .ok, "\(disabled.text)")
            // Then their commit is refused, and nothing of it is written
            await #expect(throws: RoutesChanged()) { try await store.appendRoutedEvents(events, routing: routing, refused: []) }
            #expect(try await store.queueDepth() == (events: 0, jobs: 0))
            // And routed again, they go nowhere
            let again = try #require(try await router.routeAtIngest(events))
            #expect(again.jobs.isEmpty)
        }
    }

    /// The writer's side of ``IngestQueue`` over `base`, running `change` before each routed commit reaches it: a
    /// Public API write landing between routing at ingest and its commit, made to happen every time.
    final class ChangeBeforeRoutedCommit: IngestQueue {
        let base: any Store
        let change: @Sendable () async throws -> Void
        let changes = Mutex(0)

        init(_ base: any Store, change: @escaping @Sendable () async throws -> Void) {
            self.base = base
            self.change = change
        }

        func appendEvents(_ events: [IncomingEvent], refused: [SourceEventCount]) async throws {
            try await base.appendEvents(events, refused: refused)
        }

        func appendRoutedEvents(_ events: [IncomingEvent], routing: IngestRouting, refused: [SourceEventCount]) async throws {
            try await change()
            changes.withLock { $0 += 1 }
            try await base.appendRoutedEvents(events, routing: routing, refused: refused)
        }
    }

    @Test func aBatchWhoseRoutesChangeBeforeItsCommitIsCommittedUnroutedAndRoutedUnderTheNewRoutes() async throws {
        try await Self.withTrackDestination { client, store, sourceID, destinationID in
            // Given a writer whose routed commits meet a write that disables the destination just before them
            let queue = ChangeBeforeRoutedCommit(store) {
                let disabled = try await client.api(.patch, "/destinations/\(destinationID)", json: ["enabled": false])
                #expect(disabled.status == .ok, "\(disabled.text)")
            }
            let (router, writer) = Self.pipeline(store, writingThrough: queue)
            let keepsVersion = try await store.routingVersion() != nil
            #expect(try await router.routeOnce() == 0)
            // When a track event is accepted
            let events = Self.events(sourceID, [["type": "track", "event": "e", "messageId": "m1"]], at: Date())
            // Then it is committed, unrouted (the routes it was routed under no longer hold), and not lost
            #expect(try await writer.append(events) == false)
            #expect(queue.changes.withLock { $0 } == (keepsVersion ? 1 : 0))
            #expect(try await store.queueDepth() == (events: 1, jobs: 0))
            // And it holds routing at ingest back until the router has routed it, under the routes of now
            #expect(try await router.routeAtIngest(events) == nil)
            #expect(try await router.routeOnce() == 1)
            // (a store that keeps no version never routed it at ingest, so its destination was never disabled)
            #expect(try await Self.jobs(store, at: Date()) == (keepsVersion ? [] : ["\(destinationID) m1"]))
        }
    }

    @Test func aBatchWhoseRoutesCannotBeReadIsCommittedUnroutedAndWaitsForTheRouter() async throws {
        try await Self.withTrackDestination { _, store, sourceID, destinationID in
            let (router, writer) = Self.pipeline(store)
            #expect(try await router.routeOnce() == 0)
            // Given a destination whose secret cannot be opened: sealed under another key, written past the sealed store
            let sealed = try #require(store as? SealedStore)
            let foreign = try SecretKeyring.ephemeral().seal(JSONWriter.encode(.string("sealed-elsewhere")))
            func setSecret(_ value: JSONValue?) async throws {
                _ = try await sealed.base.updateDestination(id: destinationID) { destination in
                    var next = destination
                    next.settings["sharedSecret"] = value
                    return (next, [])
                }
            }
            let original = try await sealed.base.destination(id: destinationID)?.settings["sharedSecret"]
            try await setSecret(.string(foreign))
            // (whose routes are read at ingest only on a store that keeps a routing version: SQLite)
            let keepsVersion = try await store.routingVersion() != nil
            if keepsVersion {
                await #expect(throws: SecretError.self) { try await router.routeAtIngest(Self.events(sourceID, [["type": "track"]], at: Date())) }
            }
            // When a track event is accepted
            let events = Self.events(sourceID, [["type": "track", "event": "e", "messageId": "m1"]], at: Date())
            // Then it is committed unrouted, not refused: the routes' failed read is the router's to retry
            #expect(try await writer.append(events) == false)
            #expect(try await store.queueDepth() == (events: 1, jobs: 0))
            // and the router's pass, which reads them too, fails and leaves it
            await #expect(throws: SecretError.self) { try await router.routeOnce() }
            #expect(try await store.queueDepth() == (events: 1, jobs: 0))
            // And once the destination can be read again, the router routes it (on PostgreSQL, not before the failed
            // pass's claim on the event runs out, so that no other process routes it meanwhile)
            try await setSecret(original)
            guard keepsVersion else { return }
            #expect(try await router.routeOnce() == 1)
            #expect(try await Self.jobs(store, at: Date()) == ["\(destinationID) m1"])
        }
    }

    @Test func eventsCommittedUnroutedHoldBackRoutingAtIngestUntilTheRouterHasRoutedThem() async throws {
        try await Self.withTrackDestination { _, store, sourceID, _ in
            let (router, _) = Self.pipeline(store)
            let events = Self.events(sourceID, [["type": "track", "event": "e", "messageId": "m1"]], at: Date())
            let keepsVersion = try await store.routingVersion() != nil
            // Before the router has looked, nothing is routed at ingest: events of an earlier run may be waiting
            #expect(try await router.routeAtIngest(events) == nil)
            #expect(try await router.routeOnce() == 0)
            #expect(try await router.routeAtIngest(events) != nil || !keepsVersion)
            // A batch committed unrouted holds it back again, until the router has found nothing after it
            router.willCommitUnrouted()
            try await store.appendEvents(events)
            #expect(try await router.routeAtIngest(events) == nil)
            #expect(try await router.routeOnce() == 1)
            #expect(try await router.routeAtIngest(events) == nil)
            #expect(try await router.routeOnce() == 0)
            #expect(try await router.routeAtIngest(events) != nil || !keepsVersion)
        }
    }

    @Test func theRoutingVersionMovesWithWhatRoutingReadsAndNothingElse() async throws {
        try await Self.withTrackDestination { client, store, sourceID, destinationID in
            guard var last = try await store.routingVersion() else { return }  // PostgreSQL keeps none
            func moved(_ what: Comment) async throws {
                let now = try #require(try await store.routingVersion())
                #expect(now > last, what)
                last = now
            }
            let second = try await Self.addDestination(to: sourceID, client)
            try await moved("a destination made")
            try await Self.subscribeToTrack(second, client)
            try await moved("a subscription made")
            // Events, their routing, jobs and their outcomes do not move it
            try await store.appendEvents(Self.events(sourceID, [["type": "track", "event": "e", "messageId": "m1"]], at: Date()))
            let (router, _) = Self.pipeline(store)
            #expect(try await router.routeOnce() == 1)
            let jobs = try await store.claimJobs(now: Date().addingTimeInterval(1), limit: 10, lease: .seconds(60))
            #expect(jobs.count == 2)
            try await store.complete(jobs.map { .finished(jobID: $0.id) }, metrics: [])
            #expect(try await store.routingVersion() == last)
            let subscriptions = try await client.api(.get, "/destinations/\(destinationID)/subscriptions?pagination.count=10")
            let subscriptionID = try #require(subscriptions.data["subscriptions"]?.arrayValue?.first?["id"]?.stringValue)
            let disabled = try await client.api(
                .patch, "/destinations/\(destinationID)/subscriptions/\(subscriptionID)", json: ["input": ["enabled": false]])
            #expect(disabled.status == .ok, "\(disabled.text)")
            try await moved("a subscription changed")
            #expect(try await client.api(.patch, "/sources/\(sourceID)", json: ["enabled": false]).status == .ok)
            try await moved("a source changed")
            let filter = try await client.api(
                .post, "/destination/\(destinationID)/filters",
                json: ["sourceId": .string(sourceID), "if": "all", "actions": [["type": "DROP"]], "title": "t", "enabled": true])
            #expect(filter.status == .ok, "\(filter.text)")
            try await moved("a filter made")
            #expect(try await client.api(.delete, "/destinations/\(destinationID)").status == .ok)
            try await moved("a destination deleted")
        }
    }
}
