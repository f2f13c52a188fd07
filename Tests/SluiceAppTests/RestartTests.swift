import Foundation
import HTTPTypes
import HummingbirdTesting
import SluiceCore
import SluiceSQLite
import SluiceTesting
import Testing

@testable import SluiceApp

@Suite struct RestartTests {
    @Test func aRestartOnTheSameFileKeepsEverything() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-restart-\(Identifier.make()).sqlite").path
        var settings = AppSettings.testing()
        settings.database = .sqlite(path: path)
        // Given a server that created a source, a destination and a subscription
        let first = try SQLiteStore(path: path)
        let ids = Box()
        try await TestHarness.withApp(settings: settings, store: first) { client, _ in
            let (sourceID, destinationID) = try await client.createWebhookDestination(sharedSecret: "keep-me-1234")
            let subscription = try await client.api(
                .post, "/destinations/\(destinationID)/subscriptions",
                json: ["name": "s", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": false])
            ids.values = [sourceID, destinationID, try #require(subscription.data["destinationSubscription"]?["id"]?.stringValue)]
        }
        let workspace = try await first.workspace()
        try await first.close()
        // When it starts again on the same file
        let second = try SQLiteStore(path: path)
        try await TestHarness.withApp(settings: settings, store: second) { client, store in
            // Then everything is still there
            #expect(try await store.workspace() == workspace)
            let (sourceID, destinationID, subscriptionID) = (ids.values[0], ids.values[1], ids.values[2])
            #expect(try await client.api(.get, "/sources/\(sourceID)").status == .ok)
            let destination = try await client.api(.get, "/destinations/\(destinationID)")
            #expect(destination.data["destination"]?["settings"]?["sharedSecret"] == "••••••••••1234")
            #expect(try await client.api(.get, "/destinations/\(destinationID)/subscriptions/\(subscriptionID)").status == .ok)
            let audit = try await client.api(.get, "/audit-events?pagination.count=50&resourceId=\(destinationID)")
            #expect(audit.data["events"]?.arrayValue?.count == 1)
        }
        try await second.close()
    }
}

final class Box: @unchecked Sendable {
    var values: [String] = []
}
