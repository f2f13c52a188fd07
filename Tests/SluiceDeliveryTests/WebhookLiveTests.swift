import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SluiceCore
import Synchronization
import Testing

@testable import SluiceDelivery

/// Deliveries over loopback to a real HTTP server: a Hummingbird app on port 0 that records what it receives; each
/// through delivery's own HTTP/1.1 client (what the live sender uses for `http://` URLs) and through AsyncHTTPClient
/// (what it uses for the rest), which must give the same outcomes.
@Suite struct WebhookLiveTests {
    @Test(arguments: LiveClient.allCases) func singleEventsArriveSignedWithTheirMessageIds(client: LiveClient) async throws {
        try await withReceiver(client: client) { port, inbox, sender in
            // Given a subscription to the receiver, and a shared secret
            let target = Fixtures.target(["url": .string("http://127.0.0.1:\(port)/hook/200")], destination: ["sharedSecret": "Jefe"])
            let events = (1...3).map { Fixtures.event($0) }

            // When three events are delivered for real
            let outcomes = await WebhookIntegration().deliver(events, to: target, sender: sender)

            // Then each arrived once, as JSON, signed over the bytes received, with its messageId
            #expect(outcomes == Array(repeating: .success(status: 200), count: 3))
            let received = inbox.items.sorted { ($0.headers["x-segment-message-id"] ?? "") < ($1.headers["x-segment-message-id"] ?? "") }
            #expect(received.count == 3)
            for (item, event) in zip(received, events) {
                #expect(item.method == "POST")
                let parsed = try JSONValue.parse(item.body)
                #expect(parsed == event)
                #expect(item.headers["x-segment-message-id"] == event["messageId"]?.stringValue)
                #expect(item.headers["x-signature"] == WebhookIntegration.signature(body: item.body, secret: "Jefe"))
                #expect(item.headers["content-type"] == "application/json")
            }
        }
    }

    @Test(arguments: LiveClient.allCases) func aBatchArrivesAsOneArray(client: LiveClient) async throws {
        try await withReceiver(client: client) { port, inbox, sender in
            // Given batching with PATCH
            let target = Fixtures.target(["url": .string("http://127.0.0.1:\(port)/hook/202"), "method": "PATCH", "enable_batching": true])
            let events = (1...4).map { Fixtures.event($0) }

            // When four events are delivered
            let outcomes = await WebhookIntegration().deliver(events, to: target, sender: sender)

            // Then one request carried them all, in order
            #expect(outcomes == Array(repeating: .success(status: 202), count: 4))
            #expect(inbox.items.count == 1)
            #expect(inbox.items.first?.method == "PATCH")
            let body = try JSONValue.parse(inbox.items.first?.body ?? [])
            #expect(body == .array(events))
        }
    }

    @Test(arguments: LiveClient.allCases) func failuresAreClassifiedFromRealAnswers(client: LiveClient) async throws {
        try await withReceiver(client: client) { port, _, sender in
            // Given receivers that fail, refuse and redirect
            let webhook = WebhookIntegration()
            func deliver(_ path: String) async -> DeliveryOutcome {
                let target = Fixtures.target(["url": .string("http://127.0.0.1:\(port)/hook/\(path)")])
                return await webhook.deliver([Fixtures.event(1)], to: target, sender: sender)[0]
            }

            // When an event is delivered to each
            // Then 500 and 429 are retried, 400 discarded, and a redirect is not followed
            #expect(await deliver("500") == .retryable(reason: "HTTP 500"))
            #expect(await deliver("429") == .retryable(reason: "HTTP 429 (rate limited)"))
            #expect(await deliver("400") == .discarded(reason: "HTTP 400"))
            #expect(await deliver("302") == .discarded(reason: "HTTP 302 (redirects are not followed)"))
        }
    }

    @Test(arguments: LiveClient.allCases) func aSlowReceiverTimesOut(client: LiveClient) async throws {
        let settings = DeliveryHTTPSettings(connectTimeout: .seconds(2), readTimeout: .milliseconds(300), requestTimeout: .milliseconds(500))
        try await withReceiver(client: client, settings: settings) { port, _, sender in
            // Given a receiver that answers after 2 seconds, and a 500 ms request timeout
            let target = Fixtures.target(["url": .string("http://127.0.0.1:\(port)/hook/slow")])

            // When an event is delivered
            let outcomes = await WebhookIntegration().deliver([Fixtures.event(1)], to: target, sender: sender)

            // Then it timed out, retryably, without waiting for the answer (which would have been a success)
            #expect(outcomes == [.timedOut])
        }
    }

    @Test(arguments: LiveClient.allCases) func aClosedPortIsAConnectionFailure(client kind: LiveClient) async throws {
        // Given nothing listening (port 1 on loopback); AsyncHTTPClient retries refused connections until the connect
        // timeout, so keep it short
        let settings = DeliveryHTTPSettings(connectTimeout: .milliseconds(300))
        let client = DeliverySender.makeHTTPClient(settings: settings)
        let http1 = kind == .http1 ? HTTP1Client(settings: settings) : nil
        let sender = DeliverySender.live(httpClient: client, http1: http1, settings: settings)
        let target = Fixtures.target(["url": "http://127.0.0.1:1/hook"])

        // When an event is delivered
        let outcomes = await WebhookIntegration().deliver([Fixtures.event(1)], to: target, sender: sender)
        try await client.shutdown()
        await http1?.shutdown()

        // Then the connection failure is retryable
        #expect(outcomes == [.connectionFailed("connection refused")])
    }

    @Test(arguments: LiveClient.allCases) func aHeaderThatWouldBreakTheRequestIsNotSent(client: LiveClient) async throws {
        try await withReceiver(client: client) { port, inbox, sender in
            // Given a request whose header value carries a line break
            let request = HTTPRequestSpec(
                method: "POST", url: "http://127.0.0.1:\(port)/hook/200", headers: [("X-Custom", "a\r\nX-Injected: 1")], body: Array("{}".utf8))

            // When it is sent
            let outcome = await sender.outcome(of: request)

            // Then it is discarded (sending it again cannot help) and nothing arrived
            #expect(outcome == .discarded(reason: "invalid request: invalid header field"))
            #expect(inbox.items.isEmpty)
        }
    }
}

/// Which client the live sender sends `http://` URLs with.
enum LiveClient: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case http1
    case asyncHTTPClient
    var testDescription: String { rawValue }
}

// MARK: - The receiver

/// What the receiver got.
struct ReceivedRequest: Sendable {
    var method: String
    var path: String
    /// Header names in lower case.
    var headers: [String: String]
    var body: [UInt8]
}

final class Inbox: Sendable {
    private let storage = Mutex<[ReceivedRequest]>([])

    func add(_ item: ReceivedRequest) { storage.withLock { $0.append(item) } }

    var items: [ReceivedRequest] { storage.withLock { $0 } }
}

/// Starts a receiver on a free loopback port, runs `body` with a live sender, then stops both.
///
/// `/hook/{status}` answers with that status after recording the request; `/hook/slow` answers 200 after 2 s;
/// `/hook/302` redirects to `/hook/200`.
func withReceiver(
    client kind: LiveClient = .http1,
    settings: DeliveryHTTPSettings = DeliveryHTTPSettings(),
    _ body: @Sendable (_ port: Int, _ inbox: Inbox, _ sender: DeliverySender) async throws -> Void
) async throws {
    let inbox = Inbox()
    let router = Router()
    let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
        let bytes = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        inbox.add(ReceivedRequest(method: request.method.rawValue, path: request.uri.path, headers: headers, body: Array(buffer: bytes)))
        let code = context.parameters.get("status") ?? "200"
        switch code {
        case "slow":
            try await Task.sleep(for: .seconds(2))
            return Response(status: .ok)
        case "302":
            return Response(status: .found, headers: [.location: "/hook/200"])
        default:
            return Response(status: HTTPResponse.Status(code: Int(code) ?? 200))
        }
    }
    router.post("hook/:status", use: handler)
    router.put("hook/:status", use: handler)
    router.patch("hook/:status", use: handler)

    var logger = Logger(label: "test-receiver")
    logger.logLevel = .error
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        },
        logger: logger
    )
    let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let client = DeliverySender.makeHTTPClient(settings: settings)
        let http1 = kind == .http1 ? HTTP1Client(settings: settings) : nil
        do {
            try await body(port, inbox, DeliverySender.live(httpClient: client, http1: http1, settings: settings))
        } catch {
            try? await client.shutdown()
            await http1?.shutdown()
            await services.triggerGracefulShutdown()
            throw error
        }
        try await client.shutdown()
        await http1?.shutdown()
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
    }
}
