import Foundation
import HTTPTypes
import Logging
import SluiceApp
import SluiceCore
import SluiceDelivery
import SluiceTesting
import Testing

/// Ingest refused while routing is behind (`--max-routing-backlog`, issue 20).
@Suite struct BackpressureTests {
    /// A process that ingests and does not route (`delivery` off), refusing ingest once 3 events wait.
    private static let settings = {
        var settings = AppSettings.testing()
        settings.delivery = false
        settings.maxRoutingBacklog = 3
        return settings
    }()

    private func batch(_ count: Int) -> JSONValue {
        ["batch": .array((0..<count).map { ["type": "track", "userId": "u", "event": .string("E\($0)")] })]
    }

    @Test func ingestIsRefusedWhileTheBacklogIsAtItsBoundAndAcceptedOnceRoutingCatchesUp() async throws {
        try await TestHarness.withApp(settings: Self.settings) { client, store in
            let sourceID = try await client.createSource(slug: "busy")
            let source = try await client.api(.get, "/sources/\(sourceID)")
            let writeKey = try #require(source.data["source"]?["writeKeys"]?.arrayValue?.first?.stringValue)
            // Given a batch that takes the backlog to its bound (accepted: the bound was not reached before it)
            let first = try await client.track(writeKey, json: batch(3), path: "/v1/batch")
            #expect(first.status == .ok, "\(first.text)")
            // Then the next request is refused with 503, Retry-After and Segment's envelope, and nothing is written
            let refused = try await client.track(writeKey, json: ["userId": "u", "event": "Late"])
            expectError(refused, .serviceUnavailable, type: "ServiceUnavailable")
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.error["message"]?.stringValue?.contains("--max-routing-backlog") == true)
            #expect(try await store.queueDepth().events == 3)
            let metrics = try await client.api(.get, "/metrics").text
            #expect(DeliveryThrottleTests.sample(metrics, "sluice_ingest_backpressure_total") == 1)
            // And it is not counted as received or failed on ingest by the Delivery Overview
            let minutes: Range<Int64> = 0..<Int64.max
            let failed = try await store.overviewCounts(step: .failedOnIngest, sourceID: sourceID, destinationID: nil, minutes: minutes)
            #expect(failed.isEmpty)
            let received = try await store.overviewCounts(step: .successfullyReceived, sourceID: sourceID, destinationID: nil, minutes: minutes)
            #expect(received.map(\.count).reduce(0, +) == 3)
            // When routing takes the events (another process would), ingest is accepted again
            let pending = try await store.pendingEvents(limit: 10)
            try await store.route(consumed: pending.map(\.seq), jobs: [])
            #expect(
                try await eventually(seconds: 10) {
                    try await client.track(writeKey, json: ["userId": "u", "event": "Again"]).status == .ok
                })
            #expect(try await store.queueDepth().events == 1)
        }
    }

    @Test func aFailedReadOfTheBacklogKeepsTheLastDepthAndWhatWasAcceptedSince() async throws {
        let folder = try SecretsAtRestTests.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let logger = Logger(label: "test")
        let store = try await openStore(SecretsAtRestTests.settings(folder + "/sluice.sqlite"), logger: logger, catalog: TestHarness.catalog)
        let backlog = RoutingBacklog(store: store, limit: 10, logger: logger)
        try await store.appendEvents(
            (0..<2).map { IncomingEvent(sourceID: "s", messageID: "m\($0)", receivedAt: Date(), body: Array("{}".utf8)) })
        // Given the depth read from the store (2), and 3 events accepted since
        await backlog.refresh()
        #expect(backlog.pending == 2)
        backlog.add(3)
        // When the next read fails (the store is closed under it)
        try await store.close()
        await backlog.refresh()
        // Then the depth is the last one known, not nothing: ingest is not let through by a store that cannot answer
        #expect(backlog.pending == 5)
        backlog.add(5)
        #expect(backlog.isFull)
    }

    @Test func noBoundAcceptsWhateverWaits() async throws {
        let settings = {
            var settings = Self.settings
            settings.maxRoutingBacklog = nil
            return settings
        }()
        try await TestHarness.withApp(settings: settings) { client, store in
            let sourceID = try await client.createSource(slug: "unbounded")
            let source = try await client.api(.get, "/sources/\(sourceID)")
            let writeKey = try #require(source.data["source"]?["writeKeys"]?.arrayValue?.first?.stringValue)
            for _ in 0..<3 {
                let answer = try await client.track(writeKey, json: batch(5), path: "/v1/batch")
                #expect(answer.status == .ok, "\(answer.text)")
            }
            #expect(try await store.queueDepth().events == 15)
        }
    }
}
