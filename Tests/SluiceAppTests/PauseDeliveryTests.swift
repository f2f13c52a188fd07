import Foundation
import HTTPTypes
import SluiceApp
import SluiceCore
import SluiceSQLite
import SluiceTesting
import Testing

/// Pausing and resuming delivery to a destination through the API (`/sluice/destinations/{id}/delivery`, #17).
@Suite struct PauseDeliveryTests {
    @Test func aPausedDestinationHoldsItsEventsAndResumingDeliversEachOnce() async throws {
        try await withReceiver { port, inbox in
            try await TestHarness.withApp { client, store in
                let (_, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                let path = "/sluice/destinations/\(destinationID)/delivery"
                // A destination starts unpaused
                let initial = try await client.api(.get, path)
                #expect(initial.status == .ok)
                #expect(
                    initial.data["delivery"] == [
                        "destinationId": .string(destinationID), "paused": false, "pausedAt": .null, "rateLimit": .null, "heldUntil": .null,
                        "failing": false, "failingSince": .null, "failuresSince": .null,
                    ])
                // When it is paused
                let paused = try await client.api(.post, path + "/pause")
                #expect(paused.status == .ok)
                #expect(paused.data["delivery"]?["paused"] == true)
                let pausedAt = try #require(paused.data["delivery"]?["pausedAt"]?.stringValue)
                #expect(Timestamps.parse(pausedAt) != nil)
                // Then events sent to it are routed and held, not delivered
                for n in 0..<5 {
                    #expect(
                        try await client.track(writeKey, json: ["userId": "u", "event": "Order", "properties": ["n": .number(Double(n))]]).status
                            == .ok)
                }
                #expect(try await eventually { try await store.queueDepth() == (events: 0, jobs: 5) })
                try await Task.sleep(for: .milliseconds(300))
                #expect(inbox.all.isEmpty)
                // Pausing again keeps the first time
                #expect(try await client.api(.post, path + "/pause").data["delivery"]?["pausedAt"]?.stringValue == pausedAt)
                #expect(try await client.api(.get, path).data["delivery"]?["paused"] == true)
                // When it is resumed, every held event is delivered, once
                let resumed = try await client.api(.post, path + "/resume")
                #expect(resumed.status == .ok)
                #expect(
                    resumed.data["delivery"] == [
                        "destinationId": .string(destinationID), "paused": false, "pausedAt": .null, "rateLimit": .null, "heldUntil": .null,
                        "failing": false, "failingSince": .null, "failuresSince": .null,
                    ])
                #expect(try await eventually { inbox.all.count >= 5 })
                try await Task.sleep(for: .milliseconds(200))
                let delivered = try inbox.all.map { try JSONValue.parse($0.body)["properties"]?["n"] }
                #expect(delivered.count == 5)
                #expect(Set(delivered.compactMap { $0?.numberValue }) == [0, 1, 2, 3, 4])
                // And the audit trail has one pause and one resume
                let audit = try await client.api(.get, "/audit-events?pagination.count=50&resourceId=\(destinationID)")
                let types = audit.data["events"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
                #expect(types.filter { $0.hasPrefix("Destination Delivery") } == ["Destination Delivery Resumed", "Destination Delivery Paused"])
            }
        }
    }

    @Test func aPauseAndTheEventsItHoldsOutliveARestart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-pause-\(Identifier.make()).sqlite").path
        let settings = {
            var settings = AppSettings.testing()
            settings.database = .sqlite(path: path)
            return settings
        }()
        try await withReceiver { port, inbox in
            // Given a paused destination holding three events when its server stops
            let first = try SQLiteStore(path: path)
            let ids = Box()
            try await TestHarness.withApp(settings: settings, store: first) { client, store in
                let (_, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                ids.values = [destinationID]
                #expect(try await client.api(.post, "/sluice/destinations/\(destinationID)/delivery/pause").status == .ok)
                for _ in 0..<3 { #expect(try await client.track(writeKey, json: ["userId": "u", "event": "Held"]).status == .ok) }
                #expect(try await eventually { try await store.queueDepth() == (events: 0, jobs: 3) })
            }
            try await first.close()
            // When it starts again on the same file
            let second = try SQLiteStore(path: path)
            try await TestHarness.withApp(settings: settings, store: second) { client, store in
                let path = "/sluice/destinations/\(ids.values[0])/delivery"
                // Then the destination is still paused and its events still held
                #expect(try await client.api(.get, path).data["delivery"]?["paused"] == true)
                try await Task.sleep(for: .milliseconds(300))
                #expect(inbox.all.isEmpty)
                #expect(try await store.queueDepth().jobs == 3)
                // And resuming delivers all three
                #expect(try await client.api(.post, path + "/resume").status == .ok)
                #expect(try await eventually { inbox.all.count >= 3 })
                try await Task.sleep(for: .milliseconds(200))
                #expect(inbox.all.count == 3)
            }
            try await second.close()
        }
    }

    @Test func unknownDestinationsReadOnlyTokensAndOtherMethodsAreRefused() async throws {
        try await TestHarness.withApp { client, _ in
            let sourceID = try await client.createSource(slug: "paused")
            let destinationID = try await client.createAmplitude(sourceID: sourceID)
            let path = "/sluice/destinations/\(destinationID)/delivery"
            // An unknown destination is a 404 in Segment's envelope
            for (method, suffix) in [(HTTPRequest.Method.get, ""), (.post, "/pause"), (.post, "/resume")] {
                let missing = try await client.api(method, "/sluice/destinations/nope/delivery" + suffix)
                #expect(missing.status == .notFound)
                #expect(missing.error["message"]?.stringValue == "No destination with id nope")
            }
            // A read-only token reads the state but cannot change it
            #expect(try await client.api(.get, path, token: TestHarness.readOnlyToken).status == .ok)
            #expect(try await client.api(.post, path + "/pause", token: TestHarness.readOnlyToken).status == .forbidden)
            #expect(try await client.api(.get, path).data["delivery"]?["paused"] == false)
            // No token is a 401; other methods are a 405
            #expect(try await client.api(.post, path + "/pause", token: nil).status == .unauthorized)
            #expect(try await client.api(.delete, path).status == .methodNotAllowed)
            #expect(try await client.api(.get, path + "/pause").status == .methodNotAllowed)
            // Deleting the destination ends the pause with it
            #expect(try await client.api(.post, path + "/pause").status == .ok)
            #expect(try await client.api(.delete, "/destinations/\(destinationID)").status == .ok)
            #expect(try await client.api(.get, path).status == .notFound)
        }
    }
}
