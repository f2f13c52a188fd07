import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import SluiceApp
import SluiceCore
import SluiceDelivery
import SluiceTesting
import Testing

/// A destination's event log through the API (`/sluice/destinations/{id}/event-log`, #17).
@Suite struct EventLogTests {
    /// A receiver that refuses (400) what mentions "refuse" and takes the rest.
    static let refuseMarked: @Sendable ([UInt8]) -> HTTPResponse.Status = { body in
        String(decoding: body, as: UTF8.self).contains("refuse") ? .badRequest : .ok
    }

    private func log(_ client: any TestClientProtocol, _ destinationID: String, _ query: String = "") async throws -> [JSONValue] {
        try await client.api(.get, "/sluice/destinations/\(destinationID)/event-log?pagination.count=50\(query)").data["attempts"]?
            .arrayValue ?? []
    }

    @Test func attemptsAreLoggedWithTheirRequestAndAnswerAndSecretsRedacted() async throws {
        try await withReceiver(status: Self.refuseMarked) { port, inbox in
            try await TestHarness.withApp { client, _ in
                let secret = "s3cret-key-123"
                let (_, destinationID, writeKey) = try await client.webhookPipeline(
                    url: "http://127.0.0.1:\(port)/hook?token=\(secret)", secret: secret)
                // Given one event the receiver takes and one it refuses, both mentioning the secret
                #expect(
                    try await client.track(writeKey, json: ["userId": "alice", "event": "Order", "properties": ["note": .string(secret)]])
                        .status == .ok)
                #expect(try await client.track(writeKey, json: ["userId": "bob", "event": "Refund", "properties": ["why": "refuse"]]).status == .ok)
                #expect(try await eventually { try await log(client, destinationID).count == 2 })
                #expect(inbox.all.count == 2)
                // Then each attempt is logged, newest first, with its request and the receiver's answer
                let response = try await client.api(.get, "/sluice/destinations/\(destinationID)/event-log?pagination.count=50")
                #expect(response.status == .ok)
                #expect(response.data["pagination"]?["totalEntries"] == 2)
                #expect(!response.text.contains(secret))
                let alice = try #require(try await log(client, destinationID, "&userId=alice").first)
                #expect(alice["status"] == "DELIVERED")
                #expect(alice["reason"] == "HTTP 200")
                #expect(alice["eventType"] == "track")
                #expect(alice["eventName"] == "Order")
                #expect(alice["attempt"] == 1)
                #expect(alice["request"]?["method"] == "POST")
                #expect(alice["request"]?["url"] == .string("http://127.0.0.1:\(port)/hook?token=[redacted]"))
                let body = try #require(alice["request"]?["body"]?.stringValue)
                #expect(body.contains("\"note\":\"[redacted]\""))
                #expect(body.contains("\"event\":\"Order\""))
                #expect(alice["request"]?["events"] == 1)
                #expect(alice["response"]?["status"] == 200)
                let sent = inbox.all.compactMap { try? JSONValue.parse($0.body) }.first { $0["userId"] == "alice" }
                #expect(alice["messageId"] != nil)
                #expect(alice["messageId"] == sent?["messageId"])
                // And the searches narrow it
                let refused = try await log(client, destinationID, "&status=DISCARDED")
                #expect(refused.map { $0["userId"] } == ["bob"])
                #expect(refused.first?["response"]?["status"] == 400)
                let messageID = try #require(alice["messageId"]?.stringValue)
                #expect(try await log(client, destinationID, "&messageId=\(messageID)").count == 1)
                #expect(try await log(client, destinationID, "&startTime=2999-01-01T00:00:00Z").isEmpty)
                #expect(try await log(client, destinationID, "&status=RETRYING").isEmpty)
            }
        }
    }

    @Test func bodiesAreLeftOutWhenTurnedOff() async throws {
        var testing = AppSettings.testing()
        testing.eventLog.keepBodies = false
        let settings = testing
        try await withReceiver { port, _ in
            try await TestHarness.withApp(settings: settings) { client, _ in
                let (_, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                #expect(
                    try await client.track(writeKey, json: ["userId": "carol", "event": "Order", "properties": ["email": "c@x.io"]]).status == .ok)
                #expect(try await eventually { try await log(client, destinationID).count == 1 })
                let entry = try #require(try await log(client, destinationID).first)
                #expect(entry["request"]?["url"] == .string("http://127.0.0.1:\(port)/hook"))
                #expect(entry["request"]?["body"] == .null)
                #expect(entry["response"]?["status"] == 200)
                #expect(entry["response"]?["body"] == .null)
            }
        }
    }

    @Test func withTheLogOffDeliveryGoesOnAndNothingIsLogged() async throws {
        var testing = AppSettings.testing()
        testing.eventLog.enabled = false
        let settings = testing
        try await withReceiver(status: Self.refuseMarked) { port, inbox in
            try await TestHarness.withApp(settings: settings) { client, _ in
                let (_, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                // Given an event the receiver takes and one it refuses, with the event log off
                #expect(try await client.track(writeKey, json: ["userId": "dan", "event": "Order"]).status == .ok)
                #expect(try await client.track(writeKey, json: ["userId": "eve", "event": "Refund", "properties": ["why": "refuse"]]).status == .ok)
                // Then both are delivered as ever, and the refused one is kept as a failed event for replay
                #expect(try await eventually { inbox.all.count == 2 })
                let failed = "/sluice/failed-events?pagination.count=5&destinationId=\(destinationID)"
                #expect(try await eventually { try await client.api(.get, failed).data["failedEvents"]?.arrayValue?.count == 1 })
                // And the log holds no attempt
                let response = try await client.api(.get, "/sluice/destinations/\(destinationID)/event-log?pagination.count=50")
                #expect(response.status == .ok)
                #expect(response.data["attempts"]?.arrayValue?.isEmpty == true)
                #expect(response.data["pagination"]?["totalEntries"] == 0)
            }
        }
    }

    @Test func badSearchesAreRefusedAndUnknownDestinationsAre404() async throws {
        try await TestHarness.withApp { client, _ in
            let sourceID = try await client.createSource(slug: "log-errors")
            let destinationID = try await client.createAmplitude(sourceID: sourceID)
            let base = "/sluice/destinations/\(destinationID)/event-log"
            #expect(try await client.api(.get, base).status == .unprocessableContent)
            #expect(try await client.api(.get, "\(base)?pagination.count=0").status == .unprocessableContent)
            for query in ["status=LOST", "startTime=yesterday", "endTime=1"] {
                let response = try await client.api(.get, "\(base)?pagination.count=5&\(query)")
                #expect(response.status == .unprocessableContent, "\(query): \(response.text)")
            }
            #expect(try await client.api(.get, "/sluice/destinations/nope/event-log?pagination.count=5").status == .notFound)
            #expect(try await client.api(.post, "\(base)?pagination.count=5").status == .methodNotAllowed)
            let empty = try await client.api(.get, "\(base)?pagination.count=5", token: TestHarness.readOnlyToken)
            #expect(empty.status == .ok)
            #expect(empty.data["attempts"] == [])
        }
    }

    @Test func theJanitorPrunesTheLogByCountAndAgeAndNotAtAllWhenItIsOff() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource(slug: "log-janitor")
            let destinationID = try await client.createAmplitude(sourceID: sourceID)
            let at = Date(timeIntervalSince1970: 1_800_000_000)
            let entries = (0..<3).map { n in
                DeliveryAttempt(
                    sourceID: sourceID, destinationID: destinationID, subscriptionID: "s", messageID: "m\(n)", eventType: "track",
                    eventName: nil, userID: nil, anonymousID: nil, attempt: 1, attemptedAt: at.addingTimeInterval(Double(n)),
                    status: .delivered, reason: "HTTP 200", request: nil)
            }
            try await store.complete([], metrics: [], log: entries)
            let now: @Sendable () -> Date = { at.addingTimeInterval(3600) }
            func janitor(_ log: EventLogSettings) -> RetentionJanitor {
                RetentionJanitor(store: store, failedEventRetention: .seconds(60), eventLog: log, logger: .init(label: "t"), now: now)
            }
            // Off, nothing goes, however old
            #expect(await janitor(EventLogSettings(enabled: false, retention: .seconds(1))).pruneOnce().logEntries == 0)
            // Within the age, beyond the count: the oldest two go
            #expect(await janitor(EventLogSettings(retention: .seconds(3600), maxEntriesPerDestination: 1)).pruneOnce().logEntries == 2)
            #expect(try await log(client, destinationID).map { $0["messageId"] } == ["m2"])
            // Past the age: the last one goes
            #expect(await janitor(EventLogSettings(retention: .seconds(60))).pruneOnce().logEntries == 1)
            #expect(try await log(client, destinationID).isEmpty)
        }
    }
}
