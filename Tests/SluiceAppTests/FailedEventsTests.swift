import Foundation
import HTTPTypes
import Logging
import SluiceApp
import SluiceCore
import SluiceDelivery
import SluiceTesting
import Synchronization
import Testing

/// A receiver's answer that a test can change while it runs.
final class Answer: Sendable {
    private let status = Mutex(HTTPResponse.Status.badRequest)
    var current: HTTPResponse.Status { status.withLock { $0 } }
    func set(_ value: HTTPResponse.Status) { status.withLock { $0 = value } }
}

/// Failed events and their replay through the API (`/sluice/failed-events`, #17).
@Suite struct FailedEventsTests {
    @Test func refusedEventsAreKeptWithTheirReasonAndReplayDeliversThemOnce() async throws {
        let answer = Answer()
        let status: @Sendable ([UInt8]) -> HTTPResponse.Status = { _ in answer.current }
        try await withReceiver(status: status) { port, inbox in
            try await TestHarness.withApp { client, store in
                let (sourceID, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                // Given a receiver that refuses (400) three events
                for n in 0..<3 {
                    #expect(
                        try await client.track(writeKey, json: ["userId": "u", "event": "Order", "properties": ["n": .number(Double(n))]]).status
                            == .ok)
                }
                let list = "/sluice/failed-events?pagination.count=10&destinationId=\(destinationID)"
                #expect(try await eventually { try await client.api(.get, list).data["failedEvents"]?.arrayValue?.count == 3 })
                // Then each is a failed event with its reason, attempts and the event itself
                let listed = try await client.api(.get, list)
                #expect(listed.status == .ok)
                let events = try #require(listed.data["failedEvents"]?.arrayValue)
                #expect(listed.data["pagination"]?["totalEntries"] == 3)
                for event in events {
                    #expect(event["status"] == "DISCARDED")
                    #expect(event["reason"] == "HTTP 400")
                    #expect(event["attempts"] == 1)
                    #expect(event["sourceId"]?.stringValue == sourceID)
                    #expect(event["event"]?["event"] == "Order")
                    #expect(event["messageId"] == event["event"]?["messageId"])
                    #expect(event["failedAt"]?.stringValue.flatMap(Timestamps.parse) != nil)
                }
                #expect(inbox.all.count == 3)
                // When the receiver recovers and two of them are replayed by id
                answer.set(.ok)
                let ids = events.prefix(2).compactMap { $0["id"] }
                let replayed = try await client.api(.post, "/sluice/failed-events/replay", json: ["ids": .array(Array(ids))])
                #expect(replayed.status == .ok)
                #expect(replayed.data["replayed"] == 2)
                // Then those two are delivered once more, with their message ids, and only the third is still failed
                #expect(try await eventually { inbox.all.count >= 5 })
                try await Task.sleep(for: .milliseconds(200))
                #expect(inbox.all.count == 5)
                let again = Set(inbox.all.suffix(2).compactMap { $0.headers[HTTPField.Name("X-Segment-Message-Id")!] })
                #expect(again == Set(events.prefix(2).compactMap { $0["messageId"]?.stringValue }))
                let left = try await client.api(.get, list).data["failedEvents"]?.arrayValue ?? []
                #expect(left.map { $0["id"] } == [events[2]["id"]])
                // And replaying the rest by destination empties the list; the audit trail has one event per replay
                #expect(
                    try await client.api(.post, "/sluice/failed-events/replay", json: ["destinationId": .string(destinationID)]).data["replayed"] == 1
                )
                #expect(try await eventually { inbox.all.count >= 6 })
                #expect(try await eventually { try await store.queueDepth().jobs == 0 })
                #expect(try await client.api(.get, list).data["pagination"]?["totalEntries"] == 0)
                let audit = try await client.api(.get, "/audit-events?pagination.count=50&resourceId=\(destinationID)")
                let types = audit.data["events"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
                #expect(types.filter { $0.contains("Replayed") } == ["Destination Failed Events Replayed", "Destination Failed Events Replayed"])
            }
        }
    }

    @Test func badSelectionsAreRefusedAndChangeNothing() async throws {
        try await TestHarness.withApp { client, _ in
            let replay = "/sluice/failed-events/replay"
            for (body, field) in [
                (JSONValue.object([:]), "ids"), (["ids": []], "ids"), (["ids": ["abc"]], "ids"), (["ids": "1"], "ids"),
                (["startTime": "yesterday"], "startTime"), (["startTime": "2026-01-01T00:00:00Z", "status": "LOST"], "status"),
                (["messageId": 5], "messageId"),
            ] {
                let response = try await client.api(.post, replay, json: body)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(response.error["field"]?.stringValue == field, "\(body): \(response.text)")
            }
            #expect(try await client.api(.post, replay, json: ["destinationId": "nope"]).status == .notFound)
            #expect(try await client.api(.post, replay, rawBody: "{").status == .badRequest)
            // Listing: pagination is required, a bad status or time is a 422, an unknown destination a 404
            #expect(try await client.api(.get, "/sluice/failed-events").status == .unprocessableContent)
            #expect(try await client.api(.get, "/sluice/failed-events?pagination.count=5&status=x").status == .unprocessableContent)
            #expect(try await client.api(.get, "/sluice/failed-events?pagination.count=5&endTime=x").status == .unprocessableContent)
            #expect(try await client.api(.get, "/sluice/failed-events?pagination.count=5&destinationId=nope").status == .notFound)
            let empty = try await client.api(.get, "/sluice/failed-events?pagination.count=5")
            #expect(empty.status == .ok)
            #expect(empty.data["failedEvents"] == [])
            // A read-only token lists but does not replay
            #expect(try await client.api(.get, "/sluice/failed-events?pagination.count=5", token: TestHarness.readOnlyToken).status == .ok)
            #expect(
                try await client.api(.post, replay, json: ["startTime": "2026-01-01T00:00:00Z"], token: TestHarness.readOnlyToken).status
                    == .forbidden)
            #expect(try await client.api(.post, replay, json: ["startTime": "2026-01-01T00:00:00Z"]).data["replayed"] == 0)
        }
    }

    @Test func theJanitorForgetsWhatTheRetentionNoLongerKeeps() async throws {
        // The test routes and claims the job itself: the app's own workers, polling, could claim it first.
        var settings = AppSettings.testing()
        settings.delivery = false
        try await TestHarness.withApp(settings: settings) { client, store in
            let sourceID = try await client.createSource(slug: "janitor")
            let destinationID = try await client.createAmplitude(sourceID: sourceID)
            try await store.appendEvents([IncomingEvent(sourceID: sourceID, messageID: "m", receivedAt: Date(), body: Array("{}".utf8))])
            let pending = try await store.pendingEvents(limit: 10)
            try await store.route(
                consumed: pending.map(\.seq),
                jobs: pending.map { NewDeliveryJob(eventSeq: $0.seq, destinationID: destinationID, subscriptionID: "s", event: $0.event) })
            let job = try #require(try await store.claimJobs(now: Date().addingTimeInterval(1), limit: 1, lease: .seconds(60)).first)
            let failedAt = Date(timeIntervalSince1970: 1_800_000_000)
            try await store.complete([.failed(jobID: job.id, status: .expired, reason: "timed out", attempts: 3, at: failedAt)], metrics: [])
            // Within the retention it stays; past it, it goes
            let within = RetentionJanitor(
                store: store, failedEventRetention: .seconds(3600), eventLog: EventLogSettings(enabled: false), logger: .init(label: "t"),
                now: { failedAt.addingTimeInterval(3600) })
            #expect(await within.pruneOnce().failedEvents == 0)
            let past = RetentionJanitor(
                store: store, failedEventRetention: .seconds(3600), eventLog: EventLogSettings(enabled: false), logger: .init(label: "t"),
                now: { failedAt.addingTimeInterval(3601) })
            #expect(await past.pruneOnce().failedEvents == 1)
            #expect(try await store.failedEvents(FailedEventFilter(), page: PageRequest(count: 5)).totalEntries == 0)
        }
    }
}
