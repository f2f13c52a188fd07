import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

extension TestClientProtocol {
    /// A Delivery Overview step over the last ten minutes by minute, with `extra` query parameters.
    func overview(
        _ step: DeliveryOverviewStep, sourceID: String, destinationID: String? = nil, extra: String = ""
    ) async throws -> APIResponse {
        let now = Date.now
        let start = Timestamps.format(now.addingTimeInterval(-600))
        let end = Timestamps.format(now.addingTimeInterval(60))
        var uri = "/delivery-overview/\(step.rawValue)?sourceId=\(sourceID)&startTime=\(start)&endTime=\(end)&granularity=MINUTE"
        if let destinationID { uri += "&destinationConfigId=\(destinationID)" }
        return try await api(.get, uri + extra, headers: [.accept: "application/vnd.segment.v1beta+json"])
    }

    /// The totals of a step grouped by discard reason.
    func overviewReasons(_ step: DeliveryOverviewStep, sourceID: String, destinationID: String? = nil) async throws -> [String: Int] {
        let answer = try await overview(step, sourceID: sourceID, destinationID: destinationID, extra: "&groupBy.0=discard%20Reason")
        var totals: [String: Int] = [:]
        for dataset in answer.data["dataset"]?.arrayValue ?? [] {
            if let reason = dataset["discardReason"]?.stringValue, let total = dataset["total"]?.numberValue { totals[reason] = Int(total) }
        }
        return totals
    }

    func overviewTotal(_ step: DeliveryOverviewStep, sourceID: String, destinationID: String? = nil) async throws -> Int? {
        try await overview(step, sourceID: sourceID, destinationID: destinationID).data["total"]?.numberValue.map { Int($0) }
    }

    /// Sends `body` to `/v1/batch` with a write key in the Basic header.
    func batch(_ writeKey: String, rawBody: String) async throws -> APIResponse {
        let basic = Data("\(writeKey):".utf8).base64EncodedString()
        return try await api(.post, "/v1/batch", rawBody: rawBody, token: nil, headers: [.authorization: "Basic \(basic)"])
    }
}

@Suite struct DeliveryOverviewHTTPTests {
    @Test func everyStepCountsWhatHappenedAndAgreesWithDeliveryMetrics() async throws {
        let rejectMarked: @Sendable ([UInt8]) -> HTTPResponse.Status = { body in
            String(decoding: body, as: UTF8.self).contains("\"reject\"") ? .badRequest : .ok
        }
        try await withReceiver(status: rejectMarked) { port, inbox in
            try await TestHarness.withApp { client, store in
                let (sourceID, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                // Given a batch of two tracks and an identify (no subscription takes identifies), a track the receiver refuses,
                let sent = try await client.batch(
                    writeKey,
                    rawBody: #"{"batch":[{"type":"track","userId":"u","event":"A"},{"type":"track","userId":"u","event":"B"},"#
                        + #"{"type":"identify","userId":"u","traits":{}}]}"#)
                #expect(sent.status == .ok, "\(sent.text)")
                #expect(try await client.track(writeKey, json: ["userId": "u", "event": "R", "properties": ["fate": "reject"]]).status == .ok)
                // a request that is not JSON, a batch of two with an invalid message, and one with an unknown write key
                expectError(try await client.batch(writeKey, rawBody: "{\"batch\":"), .badRequest)
                expectError(
                    try await client.batch(writeKey, rawBody: #"{"batch":[{"type":"track","userId":"u","event":"C"},{"type":"track","event":"D"}]}"#),
                    .badRequest)
                expectError(try await client.batch("unknown-key", rawBody: #"{"batch":[{"type":"track","userId":"u","event":"X"}]}"#), .unauthorized)
                // When everything is delivered
                #expect(try await eventually { inbox.all.count >= 3 })
                let metricsPath = "/destinations/\(destinationID)/delivery-metrics?sourceId=\(sourceID)"
                #expect(
                    try await eventually {
                        let metrics = try await client.api(.get, metricsPath).data["deliveryMetricsSummary"]?["metrics"]?.arrayValue ?? []
                        return metrics.count > 2 && metrics[0]["total"] == 2 && metrics[2]["total"] == 1
                    })
                #expect(try await eventually { try await store.queueDepth() == (0, 0) })
                // Then each step counts it
                #expect(try await client.overviewTotal(.successfullyReceived, sourceID: sourceID) == 4)
                #expect(
                    try await client.overviewReasons(.failedOnIngest, sourceID: sourceID)
                        == [DiscardReason.invalidJSON: 1, DiscardReason.invalidMessage: 2])
                #expect(try await client.overviewTotal(.filteredAtSource, sourceID: sourceID) == 0)
                #expect(
                    try await client.overviewReasons(.filteredAtDestination, sourceID: sourceID, destinationID: destinationID)
                        == [DiscardReason.noMatchingSubscription: 1])
                // And the delivery steps agree with the delivery metrics summary
                let metrics = try #require(try await client.api(.get, metricsPath).data["deliveryMetricsSummary"]?["metrics"]?.arrayValue)
                let successes = try await client.overview(.successfulDelivery, sourceID: sourceID, destinationID: destinationID)
                #expect(successes.headers[.contentType] == "application/vnd.segment.v1beta+json")
                #expect(successes.data["total"] == metrics[0]["total"])
                let dataset = try #require(successes.data["dataset"]?.arrayValue?.first)
                #expect(dataset["totalRetryCount"] == 0)
                // Eleven minutes from a start and an end with seconds: the buckets of the minutes they fall in
                #expect((11...12).contains(dataset["series"]?.arrayValue?.count ?? 0))
                #expect(successes.data["pagination"]?["current"] == "MA==")
                #expect(
                    try await client.overviewReasons(.failedDelivery, sourceID: sourceID, destinationID: destinationID)
                        == [DiscardReason.discarded: 1])
                let expiredAndDiscarded = Int((metrics[1]["total"]?.numberValue ?? -1) + (metrics[2]["total"]?.numberValue ?? -1))
                #expect(try await client.overviewTotal(.failedDelivery, sourceID: sourceID, destinationID: destinationID) == expiredAndDiscarded)

                // Given the destination disabled, then the source disabled, and one track sent in each state
                #expect(try await client.api(.patch, "/destinations/\(destinationID)", json: ["enabled": false]).status == .ok)
                #expect(try await client.track(writeKey, json: ["userId": "u", "event": "E"]).status == .ok)
                #expect(try await eventually { try await store.queueDepth().events == 0 })
                #expect(try await client.api(.patch, "/sources/\(sourceID)", json: ["enabled": false]).status == .ok)
                #expect(try await client.track(writeKey, json: ["userId": "u", "event": "E"]).status == .ok)
                #expect(try await eventually { try await store.queueDepth().events == 0 })
                // Then the disabled source's event is counted at the source; the disabled destination's is not counted
                // (docs/delivery.md), so the destination step still holds only the identify that matched nothing
                #expect(
                    try await client.overviewReasons(.filteredAtDestination, sourceID: sourceID, destinationID: destinationID)
                        == [DiscardReason.noMatchingSubscription: 1])
                #expect(try await client.overviewReasons(.filteredAtSource, sourceID: sourceID) == [DiscardReason.sourceDisabled: 1])
                #expect(try await client.overviewTotal(.successfullyReceived, sourceID: sourceID) == 6)
            }
        }
    }

    @Test func aBodyOverTheLimitIsCountedAsTooLarge() async throws {
        // (Through its Content-Length, which the test client sets; a chunked body that runs over is e2e_hostile.py's.)
        try await TestHarness.withApp { client, _ in
            let (sourceID, _, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:9/hook")
            // Given a batch and a track over 500 KB
            let padding = String(repeating: "x", count: TrackingAPI.maxRequestBytes)
            expectError(try await client.batch(writeKey, rawBody: #"{"batch":[{"userId":"u","event":"\#(padding)"}]}"#), .contentTooLarge)
            expectError(try await client.track(writeKey, json: ["userId": "u", "event": .string(padding)]), .contentTooLarge)
            // Then failed-on-ingest counts both as too large (refusals are written with the next group commit), and
            // nothing was received
            #expect(try await eventually { try await client.overviewReasons(.failedOnIngest, sourceID: sourceID) == [DiscardReason.tooLarge: 2] })
            #expect(try await client.overviewTotal(.successfullyReceived, sourceID: sourceID) == 0)
        }
    }

    @Test func parametersAreCheckedNamingTheField() async throws {
        try await TestHarness.withApp { client, _ in
            let (sourceID, destinationID) = try await client.createWebhookDestination(sharedSecret: "s3cret-key")
            // Required parameters
            expectError(try await client.overview(.failedDelivery, sourceID: sourceID), .unprocessableContent, field: "destinationConfigId")
            expectError(
                try await client.api(.get, "/delivery-overview/successfully-received?sourceId=\(sourceID)"), .unprocessableContent,
                field: "startTime")
            // Dimensions Sluice does not count, and ones Segment does not have
            expectError(
                try await client.overview(.successfulDelivery, sourceID: sourceID, destinationID: destinationID, extra: "&groupBy=event%20Name"),
                .unprocessableContent, field: "groupBy")
            expectError(
                try await client.overview(.successfullyReceived, sourceID: sourceID, extra: "&groupBy%5B0%5D=discard%20Reason"),
                .unprocessableContent, field: "groupBy")
            expectError(
                try await client.overview(.failedOnIngest, sourceID: sourceID, extra: "&filter%5BeventType%5D.0=track"),
                .unprocessableContent, field: "filter.eventType")
            expectError(
                try await client.overview(.failedOnIngest, sourceID: sourceID, extra: "&pagination%5Bcount%5D=0"),
                .unprocessableContent, field: "pagination.count")
            // A filter by reason in the JSON form, and the Go SDK's form
            let json = try await client.overview(
                .failedOnIngest, sourceID: sourceID, extra: "&filter=%7B%22discardReason%22%3A%5B%22INVALID_JSON%22%5D%7D")
            #expect(json.status == .ok, "\(json.text)")
            let go = try await client.overview(.failedOnIngest, sourceID: sourceID, extra: "&filter%5BdiscardReason%5D.0=INVALID_JSON")
            #expect(go.status == .ok, "\(go.text)")
            // Unknown resources, and a destination of another source
            expectError(try await client.overview(.failedOnIngest, sourceID: "nope"), .notFound, field: "sourceId")
            let other = try await client.api(
                .post, "/sources", json: ["slug": "other", "enabled": true, "metadataId": .string(Fixture.netSource)])
            let otherID = try #require(other.data["source"]?["id"]?.stringValue)
            expectError(
                try await client.overview(.failedDelivery, sourceID: otherID, destinationID: destinationID), .notFound,
                field: "destinationConfigId")
            // The beta media type, or JSON
            let alpha = try await client.api(
                .get, "/delivery-overview/failed-on-ingest?sourceId=\(sourceID)", headers: [.accept: "application/vnd.segment.v1alpha+json"])
            #expect(alpha.status == .notAcceptable)
        }
    }
}
