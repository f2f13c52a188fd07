import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

@Suite struct AuditTrailTests {
    @Test func writesAreRecordedNewestFirst() async throws {
        try await TestHarness.withApp { client, _ in
            let sourceID = try await client.createSource(slug: "audited")
            let destinationID = try await client.createAmplitude(sourceID: sourceID)
            let disabled = try await client.api(.patch, "/destinations/\(destinationID)", json: ["enabled": false])
            #expect(disabled.status == .ok)
            let response = try await client.api(.get, "/audit-events?pagination.count=50")
            #expect(response.status == .ok)
            let events = try #require(response.data["events"]?.arrayValue)
            let types = events.compactMap { $0["type"]?.stringValue }.filter { !$0.contains("Token") }
            #expect(types == ["Integration Disabled", "Integration Created", "Source Created"])
            let first = events[0]
            #expect(first["resourceId"]?.stringValue == destinationID)
            #expect(first["actor"]?.stringValue?.hasPrefix("public-api-token/") == true)
            #expect(first["timestamp"]?.stringValue.flatMap(Timestamps.parse) != nil)
            let filtered = try await client.api(.get, "/audit-events?pagination.count=50&resourceId=\(sourceID)")
            #expect(filtered.data["events"]?.arrayValue?.count == 1)
            let byType = try await client.api(.get, "/audit-events?pagination.count=50&resourceType=destination")
            #expect(byType.data["events"]?.arrayValue?.count == 2)
            let future = try await client.api(.get, "/audit-events?pagination.count=50&startTime=2999-01-01T00:00:00Z")
            #expect(future.data["events"]?.arrayValue?.isEmpty == true)
            let past = try await client.api(.get, "/audit-events?pagination.count=50&endTime=2000-01-01T00:00:00.000Z")
            #expect(past.data["events"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func badTimeFilterIs422() async throws {
        try await TestHarness.withApp { client, _ in
            expectError(
                try await client.api(.get, "/audit-events?pagination.count=5&startTime=yesterday"), .unprocessableContent, field: "startTime")
        }
    }
}
