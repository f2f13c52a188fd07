import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import SluiceApp
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceDelivery

/// Destination filters in the data plane: the router applies a destination's enabled filters to every event
/// before the subscription triggers, delivers what they leave, and counts what they keep back.
@Suite struct FilterRoutingTests {
    @Test func eventsPassTheDestinationsFiltersBeforeDelivery() async throws {
        var settings = AppSettings.testing()
        settings.delivery = false  // this test runs the router itself
        try await TestHarness.withApp(settings: settings) { client, store in
            // Given a Webhooks destination with a subscription for every track event, and three filters
            let (sourceID, destinationID) = try await client.createWebhookDestination(sharedSecret: "s")
            let subscription = try await client.api(
                .post, "/destinations/\(destinationID)/subscriptions",
                json: [
                    "name": "all", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": true,
                    "settings": ["url": "http://127.0.0.1:9/hook"],
                ])
            #expect(subscription.status == .ok, "\(subscription.text)")
            let path = "/destination/\(destinationID)/filters"
            func filter(_ title: String, _ condition: String, _ actions: JSONValue, enabled: Bool = true) async throws {
                let response = try await client.api(
                    .post, path,
                    json: [
                        "sourceId": .string(sourceID), "if": .string(condition), "actions": actions, "title": .string(title),
                        "enabled": .bool(enabled),
                    ])
                #expect(response.status == .ok, "\(response.text)")
            }
            try await filter("no tests", #"event = "Test Event""#, [["type": "DROP"]])
            try await filter("no pii", "all", [["type": "DROP_PROPERTIES", "fields": ["properties": ["email"], "context": ["ip"]]]])
            try await filter("off", "all", [["type": "DROP"]], enabled: false)
            // When events arrive and are routed
            let now = Date()
            let events: [JSONValue] = [
                [
                    "type": "track", "event": "Order Completed", "messageId": "m1", "properties": ["email": "a@example.com", "total": 3],
                    "context": ["ip": "1.2.3.4", "locale": "en"],
                ],
                ["type": "track", "event": "Test Event", "messageId": "m2", "properties": ["email": "b@example.com"]],
                ["type": "track", "event": "Signed Up", "messageId": "m3", "properties": ["plan": "pro"]],
                ["type": "identify", "messageId": "m4", "traits": ["email": "c@example.com"]],
            ]
            let stats = PipelineStats()
            #expect(try await Self.route(events, of: sourceID, at: now, in: store, stats: stats) == 4)
            // Then the test event is not delivered, the others lose the dropped properties, and the identify matches no trigger
            let jobs = try await store.claimJobs(now: now.addingTimeInterval(1), limit: 10, lease: .seconds(60))
            let bodies = jobs.compactMap { try? JSONValue.parse($0.body) }
            #expect(jobs.map(\.messageID).sorted() == ["m1", "m3"])
            let first = try #require(bodies.first { $0["messageId"] == "m1" })
            #expect(first["properties"] == ["total": 3])
            #expect(first["context"] == ["locale": "en"])
            #expect(bodies.first { $0["messageId"] == "m3" }?["properties"] == ["plan": "pro"])
            // And the dropped event is counted for the destination, in the store and in /metrics' counters; the identify
            // too, in the store, as matching no subscription (the Delivery Overview's filtered-at-destination, #17)
            let minute = DeliveryCounters.epochMinute(of: now)
            #expect(
                try await store.filteredCounts(sourceID: sourceID, destinationID: destinationID, minutes: minute..<(minute + 1))
                    == ["DROP": 1, DiscardReason.noMatchingSubscription: 1])
            #expect(
                stats.prometheusText(pendingEvents: 0, waitingJobs: 0).contains(
                    "sluice_events_filtered_total{destination_id=\"\(destinationID)\",reason=\"DROP\"} 1"))
        }
    }

    @Test func destinationsWithoutSubscriptionsCountEveryEventAsMatchingNone() async throws {
        var settings = AppSettings.testing()
        settings.delivery = false  // this test runs the router itself
        try await TestHarness.withApp(settings: settings) { client, store in
            // Given three Webhooks destinations on one source: one with a subscription, one with only a filter, one bare
            let (sourceID, subscribed) = try await client.createWebhookDestination()
            func destination() async throws -> String {
                let response = try await client.api(
                    .post, "/destinations",
                    json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.webhooks), "settings": ["sharedSecret": ""]])
                #expect(response.status == .ok, "\(response.text)")
                return try #require(response.data["destination"]?["id"]?.stringValue)
            }
            let filteredOnly = try await destination()
            let bare = try await destination()
            let subscription = try await client.api(
                .post, "/destinations/\(subscribed)/subscriptions",
                json: [
                    "name": "tracks", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": true,
                    "settings": ["url": "http://127.0.0.1:9/hook"],
                ])
            #expect(subscription.status == .ok, "\(subscription.text)")
            let filter = try await client.api(
                .post, "/destination/\(filteredOnly)/filters",
                json: [
                    "sourceId": .string(sourceID), "if": #"event = "Test Event""#, "actions": [["type": "DROP"]], "title": "no tests",
                    "enabled": true,
                ])
            #expect(filter.status == .ok, "\(filter.text)")
            // When a track, a test track and an identify are routed
            let now = Date()
            let events: [JSONValue] = [
                ["type": "track", "event": "Signed Up", "messageId": "m1"],
                ["type": "track", "event": "Test Event", "messageId": "m2"],
                ["type": "identify", "messageId": "m3"],
            ]
            #expect(try await Self.route(events, of: sourceID, at: now, in: store) == 3)
            // Then only the subscribed destination gets jobs, and every other event is counted where it stopped
            let jobs = try await store.claimJobs(now: now.addingTimeInterval(1), limit: 10, lease: .seconds(60))
            #expect(jobs.map(\.messageID).sorted() == ["m1", "m2"])
            #expect(Set(jobs.map(\.destinationID)) == [subscribed])
            let minute = DeliveryCounters.epochMinute(of: now)
            func counts(_ destinationID: String) async throws -> [String: Int64] {
                try await store.filteredCounts(sourceID: sourceID, destinationID: destinationID, minutes: minute..<(minute + 1))
            }
            #expect(try await counts(subscribed) == [DiscardReason.noMatchingSubscription: 1])
            #expect(try await counts(filteredOnly) == ["DROP": 1, DiscardReason.noMatchingSubscription: 2])
            #expect(try await counts(bare) == [DiscardReason.noMatchingSubscription: 3])
        }
    }

    @Test func withoutFiltersTriggersSeeTheMembersTheyReadAndJobsTakeTheWholeEvent() async throws {
        var settings = AppSettings.testing()
        settings.delivery = false  // this test runs the router itself
        try await TestHarness.withApp(settings: settings) { client, store in
            // Given two Webhooks destinations of one source, no filters, triggers reading nested and top-level members
            let (sourceID, destinations) = try await Self.destinations(
                subscribedBy: [#"type = "track" and properties.order.total > 2"#, #"context.locale = "en" or userId = "u9""#], client)
            let (big, english) = (destinations[0], destinations[1])
            // When events with members no trigger reads (strings holding brackets and quotes among them) are routed
            let now = Date()
            let events: [JSONValue] = [
                [
                    "type": "track", "messageId": "m1", "properties": ["order": ["total": 3], "note": "}]\"{["],
                    "context": ["locale": "en", "page": ["path": "/"]], "integrations": ["All": false, "x\"]": "\\\"}"],
                ],
                ["type": "track", "messageId": "m2", "properties": ["order": ["total": 1]], "context": ["locale": "fr"]],
                ["type": "identify", "messageId": "m3", "userId": "u9", "traits": ["tags": ["a", ["b"]], "note": "\"]}"]],
            ]
            #expect(try await Self.route(events, of: sourceID, at: now, in: store) == 3)
            // Then each trigger decided on what it reads, and each job carries the event whole, as ingested
            let jobs = try await store.claimJobs(now: now.addingTimeInterval(1), limit: 10, lease: .seconds(60))
            #expect(Set(jobs.filter { $0.destinationID == big }.map(\.messageID)) == ["m1"])
            #expect(Set(jobs.filter { $0.destinationID == english }.map(\.messageID)) == ["m1", "m3"])
            for job in jobs {
                #expect(try JSONValue.parse(job.body) == events.first { $0["messageId"]?.stringValue == job.messageID })
            }
            let minute = DeliveryCounters.epochMinute(of: now)
            #expect(
                try await store.filteredCounts(sourceID: sourceID, destinationID: big, minutes: minute..<(minute + 1))
                    == [DiscardReason.noMatchingSubscription: 2])
        }
    }

    @Test func triggersTheirGatesRuleOutAreNotMatchedAndTheOthersAre() async throws {
        var settings = AppSettings.testing()
        settings.delivery = false  // this test runs the router itself
        try await TestHarness.withApp(settings: settings) { client, store in
            // Given three Webhooks destinations of one source whose triggers each require one member's exact string
            let (sourceID, destinations) = try await Self.destinations(
                subscribedBy: [#"type = "track" and event = "Order Completed""#, #"type = "identify""#, #"userId = "u9" and type = "track""#],
                client)
            // When events with near misses (case, a number for a string, the member missing) are routed
            let now = Date()
            let events: [JSONValue] = [
                ["type": "track", "event": "Order Completed", "userId": "u9", "messageId": "m1"],
                ["type": "track", "event": "order completed", "userId": "u9", "messageId": "m2"],
                ["type": "track", "event": 5, "userId": "U9", "messageId": "m3"],
                ["type": "identify", "userId": "u9", "messageId": "m4"],
                ["type": "page", "name": "Order Completed", "messageId": "m5"],
            ]
            #expect(try await Self.route(events, of: sourceID, at: now, in: store) == 5)
            // Then each destination has the events its trigger matches, as Segment's evaluator decides them
            let jobs = try await store.claimJobs(now: now.addingTimeInterval(1), limit: 20, lease: .seconds(60))
            #expect(destinations.map { id in Set(jobs.filter { $0.destinationID == id }.map(\.messageID)) } == [["m1"], ["m4"], ["m1", "m2"]])
        }
    }

    /// Webhooks destinations of one new source, each with one enabled subscription of a trigger of `triggers`, in order.
    static func destinations(subscribedBy triggers: [String], _ client: any TestClientProtocol) async throws -> (sourceID: String, ids: [String]) {
        let (sourceID, first) = try await client.createWebhookDestination()
        var ids = [first]
        while ids.count < triggers.count {
            let created = try await client.api(
                .post, "/destinations",
                json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.webhooks), "settings": ["sharedSecret": ""]])
            ids.append(try #require(created.data["destination"]?["id"]?.stringValue))
        }
        for (id, trigger) in zip(ids, triggers) {
            let subscription = try await client.api(
                .post, "/destinations/\(id)/subscriptions",
                json: [
                    "name": "s", "actionId": .string(WebhookAction.send), "trigger": .string(trigger), "enabled": true,
                    "settings": ["url": "http://127.0.0.1:9/hook"],
                ])
            #expect(subscription.status == .ok, "\(subscription.text)")
        }
        return (sourceID, ids)
    }

    /// Stores `events` as ingest does (each message's `messageId` its id) and routes them once; answers how many the
    /// router consumed.
    static func route(
        _ events: [JSONValue], of sourceID: String, at now: Date, in store: any Store, stats: PipelineStats? = nil
    ) async throws -> Int {
        try await store.appendEvents(
            events.map {
                IncomingEvent(sourceID: sourceID, messageID: $0["messageId"]?.stringValue ?? "", receivedAt: now, body: JSONWriter.encode($0))
            })
        let router = EventRouter(
            store: store, integrations: .webhooksOnly, incoming: PipelineSignal(), routed: PipelineSignal(), logger: Logger(label: "test"),
            stats: stats)
        return try await router.routeOnce()
    }

    @Test func aStoredFilterThatNoLongerParsesDropsEverything() throws {
        // A stored condition Sluice would refuse today (none can be stored through the API) keeps every event back,
        // as Segment does with invalid FQL, rather than let through what the filter was meant to stop
        let filter = DestinationFilter(
            id: "f", sourceID: "s", destinationID: "d", condition: "event = ", actions: [["type": "DROP_PROPERTIES"]], title: "t",
            description: nil, enabled: true, createdAt: Date(), updatedAt: Date())
        let rule = try #require(EventRouter.rule(filter))
        #expect(DestinationFilters.apply([rule], to: ["type": "track"]) == .dropped(.drop))
        // A stored filter that parses is compiled as written
        var good = filter
        good.condition = "event = 'x'"
        good.actions = [["type": "DROP"]]
        let compiled = try #require(EventRouter.rule(good))
        #expect(DestinationFilters.apply([compiled], to: ["type": "track", "event": "y"]) == .kept(["type": "track", "event": "y"]))
        #expect(DestinationFilters.apply([compiled], to: ["type": "track", "event": "x"]) == .dropped(.drop))
    }
}
