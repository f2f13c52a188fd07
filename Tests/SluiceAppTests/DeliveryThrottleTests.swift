import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceApp
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

/// A receiver whose answer the test changes as it goes, noting when each request came.
final class ScriptedReceiver: Sendable {
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields = [:]
    }

    private let answer: Mutex<Answer>
    private let arrivals = Mutex<[(at: ContinuousClock.Instant, body: [UInt8], status: HTTPResponse.Status)]>([])

    init(_ answer: Answer) { self.answer = Mutex(answer) }

    func answer(with answer: Answer) { self.answer.withLock { $0 = answer } }
    var count: Int { arrivals.withLock { $0.count } }
    var times: [ContinuousClock.Instant] { arrivals.withLock { $0.map(\.at) } }
    /// The `properties.n` of every request's event, in order of arrival.
    var numbers: [Int] { arrivals.withLock { $0.compactMap(Self.number) } }
    /// The `properties.n` of every event it took (answered 2xx), in order of arrival.
    var delivered: [Int] { arrivals.withLock { $0.filter { $0.status.kind == .successful }.compactMap(Self.number) } }

    private static func number(_ arrival: (at: ContinuousClock.Instant, body: [UInt8], status: HTTPResponse.Status)) -> Int? {
        (try? JSONValue.parse(arrival.body))?["properties"]?["n"]?.numberValue.map { Int($0) }
    }

    /// Runs it on a free port for `body`.
    func run(_ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("/hook") { request, _ in
            let bytes = Array(try await request.body.collect(upTo: 1_000_000).readableBytesView)
            let answer = self.answer.withLock { $0 }
            self.arrivals.withLock { $0.append((ContinuousClock.now, bytes, answer.status)) }
            return Response(status: answer.status, headers: answer.headers)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }
}

/// Rate limits, vendors' `Retry-After` and the circuit breaker through the API (`/sluice/destinations/{id}/delivery`, #17).
@Suite struct DeliveryThrottleTests {
    private func send(_ client: any TestClientProtocol, _ writeKey: String, _ numbers: Range<Int>) async throws {
        for n in numbers {
            let answer = try await client.track(writeKey, json: ["userId": "u", "event": "Order", "properties": ["n": .number(Double(n))]])
            #expect(answer.status == .ok)
        }
    }

    private func auditTypes(_ client: any TestClientProtocol, _ destinationID: String) async throws -> [String] {
        let audit = try await client.api(.get, "/audit-events?pagination.count=50&resourceId=\(destinationID)")
        return audit.data["events"]?.arrayValue?.compactMap { $0["type"]?.stringValue }.filter { $0.hasPrefix("Destination Delivery") } ?? []
    }

    /// The value of the sample `name` (with its labels) in Prometheus text.
    static func sample(_ text: String, _ name: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.dropFirst(name.count + 1)) }
    }

    @Test func aRateLimitIsSetReadAndRemovedAndBadOnesAreRefused() async throws {
        try await TestHarness.withApp { client, _ in
            let sourceID = try await client.createSource(slug: "limited")
            let destinationID = try await client.createAmplitude(sourceID: sourceID)
            let path = "/sluice/destinations/\(destinationID)/delivery"
            // A destination starts with no limit, hold or failure
            let initial = try await client.api(.get, path)
            #expect(
                initial.data["delivery"]
                    == [
                        "destinationId": .string(destinationID), "paused": false, "pausedAt": .null, "rateLimit": .null, "heldUntil": .null,
                        "failing": false, "failingSince": .null, "failuresSince": .null,
                    ])
            // Wrong bodies are 422s at the field, and change nothing
            let wrong: [(JSONValue, String)] = [
                ([:], "rateLimit"), (["rateLimit": 5], "rateLimit"), (["rateLimit": ["eventsPerSecond": 0]], "rateLimit.eventsPerSecond"),
                (["rateLimit": ["eventsPerSecond": -2]], "rateLimit.eventsPerSecond"),
                (["rateLimit": ["eventsPerSecond": "5"]], "rateLimit.eventsPerSecond"),
                (["rateLimit": ["eventsPerSecond": 1e7]], "rateLimit.eventsPerSecond"), (["rateLimit": [:]], "rateLimit.eventsPerSecond"),
                (["rateLimit": ["eventsPerSecond": 5, "burst": 9]], "rateLimit.burst"), (["paused": true], "paused"),
            ]
            for (body, field) in wrong {
                let refused = try await client.api(.patch, path, json: body)
                #expect(refused.status == .unprocessableContent, "\(body)")
                #expect(refused.error["field"]?.stringValue == field, "\(body): \(refused.text)")
            }
            #expect(try await client.api(.patch, path, rawBody: "{not json").status == .badRequest)
            #expect(try await client.api(.get, path).data["delivery"]?["rateLimit"] == .null)
            // A read-only token, no token and an unknown destination are refused
            #expect(
                try await client.api(.patch, path, json: ["rateLimit": ["eventsPerSecond": 5]], token: TestHarness.readOnlyToken).status == .forbidden
            )
            #expect(try await client.api(.patch, path, json: ["rateLimit": ["eventsPerSecond": 5]], token: nil).status == .unauthorized)
            #expect(
                try await client.api(.patch, "/sluice/destinations/nope/delivery", json: ["rateLimit": ["eventsPerSecond": 5]]).status == .notFound)
            // A limit is set, read back, and audited once (setting it again changes nothing)
            let set = try await client.api(.patch, path, json: ["rateLimit": ["eventsPerSecond": 2.5]])
            #expect(set.status == .ok)
            #expect(set.data["delivery"]?["rateLimit"] == ["eventsPerSecond": 2.5])
            #expect(try await client.api(.patch, path, json: ["rateLimit": ["eventsPerSecond": 2.5]]).status == .ok)
            #expect(try await client.api(.get, path).data["delivery"]?["rateLimit"] == ["eventsPerSecond": 2.5])
            // null removes it
            #expect(try await client.api(.patch, path, json: ["rateLimit": .null]).data["delivery"]?["rateLimit"] == .null)
            #expect(try await auditTypes(client, destinationID) == Array(repeating: AuditEventType.deliveryRateLimitChanged, count: 2))
        }
    }

    @Test func aRateLimitSpreadsDeliveries() async throws {
        let receiver = ScriptedReceiver(.init(status: .ok))
        try await receiver.run { port in
            try await TestHarness.withApp { client, _ in
                let (_, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                // Two events a second, in bursts of two
                let set = try await client.api(.patch, "/sluice/destinations/\(destinationID)/delivery", json: ["rateLimit": ["eventsPerSecond": 2]])
                #expect(set.status == .ok)
                try await send(client, writeKey, 0..<6)
                #expect(try await eventually(seconds: 20) { receiver.count >= 6 })
                // Six events at two a second, two at once: the last left two seconds after the first (at the receiver a
                // little less: the first request also opened the connection). Unlimited, they all come within a few ms.
                let times = receiver.times
                #expect(times.count == 6)
                #expect(times[5] - times[0] >= .milliseconds(1500), "\(times[5] - times[0])")
                #expect(receiver.delivered.sorted() == Array(0..<6))
            }
        }
    }

    @Test func aVendorsRetryAfterHoldsTheWholeDestination() async throws {
        let receiver = ScriptedReceiver(.init(status: .tooManyRequests, headers: [.retryAfter: "2"]))
        try await receiver.run { port in
            try await TestHarness.withApp { client, _ in
                let (_, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                let path = "/sluice/destinations/\(destinationID)/delivery"
                // Given a vendor that answers 429 with Retry-After: 2
                try await send(client, writeKey, 0..<1)
                #expect(try await eventually { receiver.count >= 1 })
                receiver.answer(with: .init(status: .ok))
                #expect(try await eventually { try await client.api(.get, path).data["delivery"]?["heldUntil"]?.stringValue != nil })
                // When more events come, they wait with the first: nothing reaches it for two seconds
                try await send(client, writeKey, 1..<4)
                #expect(try await eventually(seconds: 20) { receiver.delivered.sorted() == Array(0..<4) })
                let times = receiver.times
                #expect(times[1] - times[0] >= .milliseconds(1800), "\(times[1] - times[0])")
                #expect(try await client.api(.get, path).data["delivery"]?["failing"] == false)
            }
        }
    }

    @Test func aDestinationThatKeepsFailingIsMarkedFailingAndAProbeBringsItBack() async throws {
        let settings = {
            var settings = AppSettings.testing()
            settings.breaker.failingAfter = .milliseconds(300)
            settings.breaker.probeInterval = .milliseconds(500)
            return settings
        }()
        let receiver = ScriptedReceiver(.init(status: .internalServerError))
        try await receiver.run { port in
            try await TestHarness.withApp(settings: settings) { client, _ in
                let (_, destinationID, writeKey) = try await client.webhookPipeline(url: "http://127.0.0.1:\(port)/hook")
                let path = "/sluice/destinations/\(destinationID)/delivery"
                // Given a vendor that fails every attempt
                try await send(client, writeKey, 0..<3)
                // Then once every attempt has failed for the breaker's time, the destination is marked failing
                #expect(try await eventually(seconds: 20) { try await client.api(.get, path).data["delivery"]?["failing"] == true })
                let state = try await client.api(.get, path).data["delivery"]
                #expect(state?["failingSince"]?.stringValue.flatMap(Timestamps.parse) != nil)
                #expect(state?["failuresSince"]?.stringValue.flatMap(Timestamps.parse) != nil)
                #expect(try await auditTypes(client, destinationID) == [AuditEventType.deliveryFailing])
                let metrics = try await client.api(.get, "/metrics").text
                #expect(Self.sample(metrics, "sluice_destinations_failing") == 1, "\(metrics)")
                #expect(Self.sample(metrics, "sluice_destination_health_changes_total{change=\"failing\"}") == 1, "\(metrics)")
                // And while it fails, only probes reach the vendor, one at a time
                try await send(client, writeKey, 3..<6)
                let before = receiver.count
                try await Task.sleep(for: .milliseconds(1200))
                #expect(receiver.count - before <= 4, "\(receiver.count - before) requests in 1.2 s")
                // When the vendor comes back, a probe succeeds: it recovers and every event is delivered
                receiver.answer(with: .init(status: .ok))
                #expect(try await eventually(seconds: 30) { try await client.api(.get, path).data["delivery"]?["failing"] == false })
                #expect(try await eventually(seconds: 30) { receiver.delivered.count >= 6 })
                try await Task.sleep(for: .milliseconds(200))
                #expect(receiver.delivered.sorted() == Array(0..<6))
                #expect(try await auditTypes(client, destinationID) == [AuditEventType.deliveryRecovered, AuditEventType.deliveryFailing])
                let after = try await client.api(.get, "/metrics").text
                #expect(Self.sample(after, "sluice_destinations_failing") == 0, "\(after)")
                #expect(Self.sample(after, "sluice_destination_health_changes_total{change=\"recovered\"}") == 1, "\(after)")
            }
        }
    }
}
