import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

@testable import SluiceApp

/// What a test receiver got.
final class Inbox: Sendable {
    struct Item: Sendable {
        var headers: HTTPFields
        var body: [UInt8]
    }

    private let items = Mutex<[Item]>([])
    var all: [Item] { items.withLock { $0 } }
    func add(_ item: Item) { items.withLock { $0.append(item) } }
}

/// Runs a live HTTP receiver on a free port that answers each request with `status(body)`.
func withReceiver(
    status: @escaping @Sendable ([UInt8]) -> HTTPResponse.Status = { _ in .ok },
    _ body: @Sendable (Int, Inbox) async throws -> Void
) async throws {
    let inbox = Inbox()
    let router = Router()
    router.post("/hook") { request, _ in
        let bytes = Array(try await request.body.collect(upTo: 1_000_000).readableBytesView)
        inbox.add(.init(headers: request.headers, body: bytes))
        return Response(status: status(bytes))
    }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    try await app.test(.live) { client in try await body(try #require(client.port), inbox) }
}

extension TestClientProtocol {
    /// A source with a Webhooks (Actions) destination and a subscription to `url`; returns the ids and the write key.
    func webhookPipeline(
        url: String, trigger: String = "type = \"track\"", secret: String = "s3cret-key"
    ) async throws
        -> (sourceID: String, destinationID: String, writeKey: String)
    {
        let (sourceID, destinationID) = try await createWebhookDestination(sharedSecret: secret)
        let subscription = try await api(
            .post, "/destinations/\(destinationID)/subscriptions",
            json: [
                "name": "hook", "actionId": .string(WebhookAction.send), "trigger": .string(trigger), "enabled": true,
                "settings": ["url": .string(url)],
            ])
        #expect(subscription.status == .ok, "\(subscription.text)")
        let source = try await api(.get, "/sources/\(sourceID)")
        return (sourceID, destinationID, try #require(source.data["source"]?["writeKeys"]?.arrayValue?.first?.stringValue))
    }

    func track(_ writeKey: String, json: JSONValue, path: String = "/v1/track") async throws -> APIResponse {
        let basic = Data("\(writeKey):".utf8).base64EncodedString()
        return try await api(.post, path, json: json, token: nil, headers: [.authorization: "Basic \(basic)"])
    }
}

/// Waits until `condition` holds, at most `seconds`.
func eventually(seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

@Suite struct TrackingTests {
    @Test func unknownWriteKeyIs401AndTokensCannotSendEvents() async throws {
        try await TestHarness.withApp { client, store in
            let unknown = try await client.track("nope", json: ["userId": "u", "event": "E"])
            expectError(unknown, .unauthorized)
            // A Public API token is not a write key
            let withToken = try await client.api(.post, "/v1/track", json: ["userId": "u", "event": "E"])
            expectError(withToken, .unauthorized)
            #expect(try await store.queueDepth().events == 0)
        }
    }

    @Test func writeKeysCannotReachThePublicAPI() async throws {
        try await TestHarness.withApp { client, _ in
            let (_, _, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:9/x")
            let response = try await client.api(.get, "/", token: writeKey)
            expectError(response, .unauthorized)
        }
    }

    @Test func badBatchIsRefusedWholeNamingTheIndex() async throws {
        try await TestHarness.withApp(
            settings: {
                var s = AppSettings.testing(); s.delivery = false; return s
            }()
        ) { client, store in
            let (_, _, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:9/x")
            let response = try await client.track(
                writeKey, json: ["batch": [["type": "track", "userId": "a", "event": "ok"], ["type": "track", "event": "no user"]]], path: "/v1/batch"
            )
            expectError(response, .badRequest)
            #expect(response.error["message"]?.stringValue?.hasPrefix("batch[1]") == true)
            #expect(try await store.queueDepth().events == 0)
            expectError(try await client.track(writeKey, json: ["userId": "u"]), .badRequest)  // track needs event
            expectError(try await client.track(writeKey, json: ["userId": "u", "event": "x"], path: "/v1/nope"), .notFound)
            let ok = try await client.track(
                writeKey, json: ["batch": [["type": "identify", "userId": "a"], ["type": "page", "anonymousId": "b"]]], path: "/v1/batch")
            #expect(ok.status == .ok)
            #expect(ok.json == ["success": true])
            #expect(try await store.queueDepth().events == 2)
        }
    }

    @Test func writeKeyInTheBody() async throws {
        try await TestHarness.withApp(
            settings: {
                var s = AppSettings.testing(); s.delivery = false; return s
            }()
        ) { client, store in
            let (_, _, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:9/x")
            let response = try await client.api(.post, "/v1/identify", json: ["writeKey": .string(writeKey), "userId": "u"], token: nil)
            #expect(response.status == .ok)
            let pending = try await store.pendingEvents(limit: 10)
            #expect(pending.count == 1)
            // The write key is not stored with the event
            #expect(!String(decoding: pending[0].event.body, as: UTF8.self).contains(writeKey))
            // The header's key wins over the body's: a good header with a wrong body key is accepted, and the reverse is not
            let headerWins = try await client.track(writeKey, json: ["writeKey": "not-a-key", "userId": "u"], path: "/v1/identify")
            #expect(headerWins.status == .ok)
            let wrongHeader = try await client.track("not-a-key", json: ["writeKey": .string(writeKey), "userId": "u"], path: "/v1/identify")
            expectError(wrongHeader, .unauthorized)
        }
    }

    @Test func eventsAreDeliveredSignedAndCounted() async throws {
        let rejectMarked: @Sendable ([UInt8]) -> HTTPResponse.Status = { body in
            String(decoding: body, as: UTF8.self).contains("\"reject\"") ? .badRequest : .ok
        }
        try await withReceiver(status: rejectMarked) { port, inbox in
            try await TestHarness.withApp { client, _ in
                let (sourceID, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                // When three tracks (one rejected by the receiver) and an identify are sent
                for fate in ["ok", "ok", "reject"] {
                    let response = try await client.track(writeKey, json: ["userId": "u", "event": "Order", "properties": ["fate": .string(fate)]])
                    #expect(response.status == .ok)
                }
                #expect(try await client.track(writeKey, json: ["userId": "u", "traits": [:]], path: "/v1/identify").status == .ok)
                // Then the receiver gets the three tracks, signed, with their message ids
                #expect(try await eventually { inbox.all.count >= 3 })
                try await Task.sleep(for: .milliseconds(200))
                let items = inbox.all
                #expect(items.count == 3)
                for item in items {
                    let event = try JSONValue.parse(item.body)
                    #expect(event["type"] == "track")
                    #expect(item.headers[HTTPField.Name("X-Segment-Message-Id")!] == event["messageId"]?.stringValue)
                    #expect(item.headers[HTTPField.Name("X-Signature")!]?.count == 40)
                }
                // And the delivery metrics count what happened
                let metricsPath = "/destinations/\(destinationID)/delivery-metrics?sourceId=\(sourceID)"
                #expect(
                    try await eventually {
                        let metrics = try await client.api(.get, metricsPath).data["deliveryMetricsSummary"]?["metrics"]?.arrayValue ?? []
                        return metrics.first?["total"] == 2 && metrics.count > 2 && metrics[2]["total"] == 1
                    })
                let summary = try await client.api(.get, metricsPath)
                #expect(summary.headers[.contentType] == "application/json")
                let metrics = try #require(summary.data["deliveryMetricsSummary"]?["metrics"]?.arrayValue)
                #expect(
                    metrics.map { $0["metricName"] } == ["successes", "expired", "discarded", "retried", "time_to_success", "time_to_first_attempt"])
                #expect(metrics[0]["breakdown"]?.arrayValue?.first?["value"] == 2)
                #expect(metrics[1]["total"] == 0)
                #expect(metrics[2]["total"] == 1)
                #expect(metrics[3]["total"] == 0)
                let prometheus = try await client.api(.get, "/metrics")
                #expect(prometheus.text.contains("sluice_delivery_attempts_total{outcome=\"success\"} 2"))
                #expect(prometheus.text.contains("sluice_delivery_attempts_total{outcome=\"discarded\"} 1"))
            }
        }
    }

    @Test func disabledSourceAcceptsAndDoesNotDeliver() async throws {
        try await withReceiver { port, inbox in
            try await TestHarness.withApp { client, store in
                let (sourceID, _, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                #expect(try await client.api(.patch, "/sources/\(sourceID)", json: ["enabled": false]).status == .ok)
                #expect(try await client.track(writeKey, json: ["userId": "u", "event": "E"]).status == .ok)
                #expect(try await eventually { try await store.queueDepth().events == 0 })
                try await Task.sleep(for: .milliseconds(200))
                #expect(inbox.all.isEmpty)
            }
        }
    }
}

@Suite struct DeliveryMetricsTests {
    @Test func rulesOfTheSummary() async throws {
        try await TestHarness.withApp { client, _ in
            let (sourceID, destinationID) = try await client.createWebhookDestination()
            let base = "/destinations/\(destinationID)/delivery-metrics"
            let empty = try await client.api(.get, "\(base)?sourceId=\(sourceID)", headers: [.accept: "application/vnd.segment.v1beta+json"])
            #expect(empty.status == .ok)
            #expect(empty.headers[.contentType] == "application/vnd.segment.v1beta+json")
            #expect(empty.data["deliveryMetricsSummary"]?["destinationMetadataId"] == .string(Fixture.webhooks))
            expectError(try await client.api(.get, base), .unprocessableContent, field: "sourceId")
            expectError(try await client.api(.get, "\(base)?sourceId=other"), .notFound, field: "sourceId")
            expectError(try await client.api(.get, "/destinations/nope/delivery-metrics?sourceId=\(sourceID)"), .notFound)
            expectError(try await client.api(.get, "\(base)?sourceId=\(sourceID)&granularity=WEEK"), .unprocessableContent, field: "granularity")
            let old = Timestamps.format(Date.now.addingTimeInterval(-3 * 86400))
            expectError(
                try await client.api(.get, "\(base)?sourceId=\(sourceID)&startTime=\(old)"), .unprocessableContent, field: "startTime")
            #expect(try await client.api(.get, "\(base)?sourceId=\(sourceID)&granularity=DAY").status == .ok)
            expectError(
                try await client.api(.get, "\(base)?sourceId=\(sourceID)", headers: [.accept: "application/vnd.segment.v1+json"]), .notAcceptable)
        }
    }
}
