import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore
import Synchronization
import Testing

@testable import SluiceDelivery

/// Delivery's own HTTP/1.1 client: which URLs it takes, the head it writes, and its connections over loopback to a
/// scripted receiver (how many it opens, when it reuses one, when it sends again, its timeouts).
@Suite struct HTTP1ClientTests {
    // MARK: URLs

    @Test func plainHTTPURLsAreTaken() throws {
        let full = try #require(HTTP1Client.Target(url: "http://127.0.0.1:8080/hook/1?a=b&c=%20#part"))
        #expect(full.host == "127.0.0.1")
        #expect(full.port == 8080)
        #expect(full.hostHeader == "127.0.0.1:8080")
        #expect(full.pathAndQuery == "/hook/1?a=b&c=%20")

        let bare = try #require(HTTP1Client.Target(url: "HTTP://Example.com"))
        #expect(bare.host == "Example.com")
        #expect(bare.port == 80)
        #expect(bare.hostHeader == "Example.com")
        #expect(bare.pathAndQuery == "/")

        let v6 = try #require(HTTP1Client.Target(url: "http://[::1]:9000/in"))
        #expect(v6.host == "::1")
        #expect(v6.port == 9000)
        #expect(v6.hostHeader == "[::1]:9000")
        #expect(v6.pathAndQuery == "/in")

        #expect(HTTP1Client.Target(url: "http://h?q=1")?.pathAndQuery == "/?q=1")
        #expect(HTTP1Client.Target(url: "http://h:65535/")?.port == 65_535)
    }

    @Test(arguments: [
        "https://example.com/hook", "ftp://example.com/", "http://", "http:///path", "http://user:pass@example.com/",
        "http://example.com:0/", "http://example.com:65536/", "http://example.com:80x/", "http://example.com:/",
        "http://[::1/", "http://[::1]x/", "http://example.com/a b", "http://example.com/é", "http://exa\tmple.com/", "httpx://h/",
    ])
    func otherURLsAreLeftToAsyncHTTPClient(url: String) {
        #expect(HTTP1Client.Target(url: url) == nil)
    }

    // MARK: The request head

    @Test func theHeadCarriesTheGivenHeadersThenHostAndLength() throws {
        let target = try #require(HTTP1Client.Target(url: "http://127.0.0.1:81/x?y"))
        let spec = HTTPRequestSpec(method: "POST", url: "", headers: [("X-One", "1"), ("content-type", "application/json")], body: Array("{}".utf8))
        let head = try HTTP1Client.head(for: spec, target: target)
        #expect(head.method == .POST)
        #expect(head.uri == "/x?y")
        #expect(head.version == .http1_1)
        #expect(head.headers.map(\.name) == ["X-One", "content-type", "Host", "Content-Length"])
        #expect(head.headers.map(\.value) == ["1", "application/json", "127.0.0.1:81", "2"])

        // A GET without a body says no length; a Host given is kept, not doubled
        let get = try HTTP1Client.head(for: HTTPRequestSpec(method: "GET", url: "", headers: [("host", "vendor.test")]), target: target)
        #expect(get.headers.map(\.name) == ["host"])
        #expect(get.headers["host"] == ["vendor.test"])
    }

    @Test(arguments: [
        ("X-Bad", "a\r\nInjected: 1"), ("X-Bad", "a\nb"), ("X-Bad", "nul\u{0}"), ("Bad Name", "v"), ("", "v"), ("X:Colon", "v"),
    ])
    func headersThatWouldBreakTheHeadAreRefused(name: String, value: String) throws {
        let target = try #require(HTTP1Client.Target(url: "http://127.0.0.1/"))
        #expect(throws: DeliveryTransportError.invalidRequest("invalid header field")) {
            try HTTP1Client.head(for: HTTPRequestSpec(method: "POST", url: "", headers: [(name, value)]), target: target)
        }
        // A tab inside a value is allowed
        #expect(throws: Never.self) {
            try HTTP1Client.head(for: HTTPRequestSpec(method: "POST", url: "", headers: [("X-Tab", "a\tb")]), target: target)
        }
    }

    // MARK: Connections

    @Test func sequentialRequestsShareOneConnection() async throws {
        try await withScriptedReceiver(Script { _ in .ok }) { receiver, client in
            for i in 1...10 {
                let answer = try await client.send(receiver.request(body: "\(i)"), to: receiver.target, keep: 100)
                #expect(answer.status == 200)
            }
            #expect(receiver.log.connections == 1)
            #expect(receiver.log.requests.map(\.body) == (1...10).map { "\($0)" })
        }
    }

    @Test func theRequestArrivesAsWritten() async throws {
        try await withScriptedReceiver(Script { _ in .ok }) { receiver, client in
            let spec = HTTPRequestSpec(
                method: "PATCH", url: "", headers: [("X-Signature", "abc"), ("Content-Type", "application/json")], body: Array(#"{"a":1}"#.utf8))
            _ = try await client.send(spec, to: try #require(HTTP1Client.Target(url: "http://127.0.0.1:\(receiver.port)/in/put?x=1")), keep: 0)
            let got = try #require(receiver.log.requests.first)
            #expect(got.method == "PATCH")
            #expect(got.uri == "/in/put?x=1")
            #expect(got.headers["x-signature"] == "abc")
            #expect(got.headers["content-type"] == "application/json")
            #expect(got.headers["host"] == "127.0.0.1:\(receiver.port)")
            #expect(got.headers["content-length"] == "7")
            #expect(got.body == #"{"a":1}"#)
        }
    }

    @Test func theAnswersStatusRetryAfterAndBodyPrefixComeBack() async throws {
        let body = String(repeating: "x", count: 90) + "0123456789"
        try await withScriptedReceiver(Script { _ in Reply(status: 429, headers: [("Retry-After", "7")], body: body) }) { receiver, client in
            let answer = try await client.send(receiver.request(), to: receiver.target, keep: 95)
            #expect(answer.status == 429)
            #expect(answer.retryAfter == 7)
            #expect(answer.bodyPrefix == Array((String(repeating: "x", count: 90) + "01234").utf8))
            // The rest of the body was read, so the connection carries the next request
            _ = try await client.send(receiver.request(), to: receiver.target, keep: 0)
            #expect(receiver.log.connections == 1)
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withScriptedReceiver(Script { _ in Reply(status: 204, headers: [("Connection", "close")]) }) { receiver, client in
            for _ in 1...3 {
                let answer = try await client.send(receiver.request(), to: receiver.target, keep: 0)
                #expect(answer.status == 204)
            }
            #expect(receiver.log.connections == 3)
        }
    }

    /// A connection closed unanswered, with a FIN (`hangUp`) or a reset (`reset`: the client reads `ECONNRESET`).
    static let unanswered: [Reply] = [.hangUp, .reset]

    @Test(arguments: unanswered) func aKeptConnectionClosedUnderARequestIsTriedOnceMoreOnANewOne(_ close: Reply) async throws {
        // Given a receiver that drops every connection, unanswered, at its second request
        try await withScriptedReceiver(Script { $0.indexOnConnection == 2 ? close : .ok }) { receiver, client in
            // When two requests are sent one after the other
            let first = try await client.send(receiver.request(body: "1"), to: receiver.target, keep: 0)
            let second = try await client.send(receiver.request(body: "2"), to: receiver.target, keep: 0)

            // Then both were answered: the second went again on a new connection, where it was the first request
            #expect(first.status == 200)
            #expect(second.status == 200)
            #expect(receiver.log.connections == 2)
            #expect(receiver.log.requests.map(\.body) == ["1", "2", "2"])
        }
    }

    @Test(arguments: unanswered) func aNewConnectionClosedUnderARequestIsNotTriedAgain(_ close: Reply) async throws {
        try await withScriptedReceiver(Script { _ in close }) { receiver, client in
            await #expect(throws: DeliveryTransportError.connectionFailed("connection closed")) {
                try await client.send(receiver.request(), to: receiver.target, keep: 0)
            }
            #expect(receiver.log.requests.count == 1)
        }
    }

    @Test func anAnswerEndedByClosingTheConnectionIsWhole() async throws {
        // Given a receiver whose answer has no length and ends when it closes the connection (RFC 9112 §6.3)
        let answer = "HTTP/1.1 201 Created\r\nConnection: close\r\n\r\nall of it"
        try await withScriptedReceiver(Script { _ in .rawThenClose(answer) }) { receiver, client in
            // When two requests are sent, each gets the whole answer on a connection of its own
            for _ in 1...2 {
                let response = try await client.send(receiver.request(), to: receiver.target, keep: 100)
                #expect(response.status == 201)
                #expect(response.bodyPrefix == Array("all of it".utf8))
            }
            #expect(receiver.log.connections == 2)
        }
    }

    @Test func aMalformedAnswerIsAConnectionFailure() async throws {
        try await withScriptedReceiver(Script { _ in .raw("NOT HTTP AT ALL\r\n\r\n") }) { receiver, client in
            await #expect(throws: DeliveryTransportError.connectionFailed("malformed response")) {
                try await client.send(receiver.request(), to: receiver.target, keep: 0)
            }
        }
    }

    @Test func noMoreConnectionsThanAllowedAndEveryRequestAnswered() async throws {
        let settings = DeliveryHTTPSettings(maxConnectionsPerHost: 3)
        try await withScriptedReceiver(Script { _ in .ok(after: .milliseconds(20)) }, settings: settings) { receiver, client in
            let statuses = await withTaskGroup(of: Int.self) { group in
                for i in 0..<24 {
                    group.addTask { (try? await client.send(receiver.request(body: "\(i)"), to: receiver.target, keep: 0).status) ?? 0 }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 24))
            #expect(receiver.log.mostOpenAtOnce == 3)
            #expect(receiver.log.connections == 3)
            #expect(Set(receiver.log.requests.map(\.body)) == Set((0..<24).map { "\($0)" }))
        }
    }

    @Test func aRequestSentFromAnEventLoopStaysOnItAndUsesThatLoopsConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let settings = DeliveryHTTPSettings(maxConnectionsPerHost: 2)
        try await withScriptedReceiver(Script { _ in .ok }, settings: settings, group: group) { receiver, client in
            #expect(client.executors.count == 2)
            // Each loop's task is back on its loop after the answer. The second reuses the connection the first opened
            // (an idle connection on another loop is still taken before a new one is opened).
            for (loop, executor) in zip(loops, client.executors) {
                let stayed = try await Task(executorPreference: executor) {
                    _ = try await client.send(receiver.request(), to: receiver.target, keep: 0)
                    return MultiThreadedEventLoopGroup.currentEventLoop === loop
                }.value
                #expect(stayed)
            }
            #expect(receiver.log.connections == 1)
        }
        try await withScriptedReceiver(Script { _ in .ok }, settings: settings, group: group) { receiver, client in
            let pool = receiver.pool(settings, group: group)
            let executors = client.executors
            // One connection on each loop: each opened from its own loop.
            var opened: [PooledConnection] = []
            for executor in executors {
                let (connection, reused) = try await Task(executorPreference: executor) { try await pool.acquire(deadline: .now() + .seconds(5)) }
                    .value
                #expect(!reused)
                opened.append(connection)
            }
            #expect(zip(opened, loops).allSatisfy { $0.channel.eventLoop === $1 })
            // Put back so that the first loop's is the most recently idle; the second loop still gets its own.
            pool.release(opened[1])
            pool.release(opened[0])
            let (again, reused) = try await Task(executorPreference: executors[1]) { try await pool.acquire(deadline: .now() + .seconds(5)) }.value
            #expect(reused)
            #expect(again === opened[1])
            pool.release(again)
            // From off the loops, the most recently idle.
            let (last, _) = try await pool.acquire(deadline: .now() + .seconds(5))
            #expect(last === opened[1])
            await pool.close()
        }
        try await group.shutdownGracefully()
    }

    @Test func aSlowAnswerTimesOutAndSoDoesTheRequestWaitingBehindIt() async throws {
        let settings = DeliveryHTTPSettings(readTimeout: .seconds(5), requestTimeout: .milliseconds(300), maxConnectionsPerHost: 1)
        try await withScriptedReceiver(Script { _ in .ok(after: .seconds(10)) }, settings: settings) { receiver, client in
            @Sendable func attempt() async -> Result<HTTPResponseSpec, any Error> {
                do { return .success(try await client.send(receiver.request(), to: receiver.target, keep: 0)) } catch { return .failure(error) }
            }
            async let first = attempt()
            async let second = attempt()
            let results = await [first, second]
            for result in results {
                #expect(throws: DeliveryTransportError.timedOut) { try result.get() }
            }
        }
    }

    @Test func aRequestWaitingForAConnectionTimesOutAtItsDeadline() async throws {
        let settings = DeliveryHTTPSettings(maxConnectionsPerHost: 1)
        try await withScriptedReceiver(Script { _ in .ok }, settings: settings) { receiver, _ in
            // Given a pool of one connection, held and not put back
            let pool = receiver.pool(settings)
            let (held, _) = try await pool.acquire(deadline: .now() + .seconds(5))

            // When a request waits for a connection until 200 ms from now, it times out then (no connection freed it)
            let started = ContinuousClock.now
            await #expect(throws: DeliveryTransportError.timedOut) { try await pool.acquire(deadline: .now() + .milliseconds(200)) }
            #expect(ContinuousClock.now - started >= .milliseconds(190))

            // When another waits with a later deadline, the connection put back is handed to it
            async let next = pool.acquire(deadline: .now() + .seconds(5))
            try await Task.sleep(for: .milliseconds(50))
            pool.release(held)
            let (handed, reused) = try await next
            #expect(handed === held)
            #expect(reused)
            await pool.close()
        }
    }

    @Test func aRequestOnAConnectionClosedSinceItWasHandedOutFailsAtOnce() async throws {
        try await withScriptedReceiver(Script { _ in .ok }) { receiver, _ in
            // Given a connection handed out, then closed (its handlers gone with it) before the request is written
            let pool = receiver.pool(DeliveryHTTPSettings())
            let (connection, _) = try await pool.acquire(deadline: .now() + .seconds(5))
            try await connection.channel.close()
            let head = try HTTP1Client.head(for: receiver.request(), target: receiver.target)

            // When a request is sent on it, it fails as closed before any answer (and does not wait for its deadline)
            let outcome = Mutex<String?>(nil)
            let task = Task {
                do {
                    _ = try await connection.exchange(head: head, body: ByteBuffer(), keep: 0, deadline: .now() + .seconds(30))
                    outcome.withLock { $0 = "answered" }
                } catch {
                    outcome.withLock { $0 = "\(error)" }
                }
            }
            // "At once" is well before the exchange's 30-second deadline: 10 s leaves room for a machine busy with the
            // whole suite (3 s once did not, in a parallel run on two cores).
            let waitUntil = ContinuousClock.now + .seconds(10)
            while outcome.withLock({ $0 }) == nil, ContinuousClock.now < waitUntil { try await Task.sleep(for: .milliseconds(10)) }
            #expect(outcome.withLock { $0 } == "closedBeforeAnswer")
            if outcome.withLock({ $0 }) != nil { await task.value }
            await pool.close()
        }
    }

    @Test func aCancelledWaitLeavesTheQueueAndTheConnectionGoesIdle() async throws {
        let settings = DeliveryHTTPSettings(maxConnectionsPerHost: 1)
        try await withScriptedReceiver(Script { _ in .ok }, settings: settings) { receiver, _ in
            // Given a pool of one connection, held, and a request waiting for it
            let pool = receiver.pool(settings)
            let (held, _) = try await pool.acquire(deadline: .now() + .seconds(30))
            let waiting = Task { try await pool.acquire(deadline: .now() + .seconds(30)) }
            try await Task.sleep(for: .milliseconds(50))

            // When the waiting request is cancelled, it ends as cancelled
            waiting.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiting.value }

            // Then the connection put back is not handed to it but kept idle, and the next request reuses it
            pool.release(held)
            let (next, reused) = try await pool.acquire(deadline: .now() + .seconds(30))
            #expect(next === held)
            #expect(reused)
            await pool.close()
        }
    }

    @Test func aReadTimeoutIsCountedFromTheLastRead() async throws {
        let settings = DeliveryHTTPSettings(readTimeout: .milliseconds(200), requestTimeout: .seconds(30))
        try await withScriptedReceiver(Script { _ in .ok(after: .seconds(10)) }, settings: settings) { receiver, client in
            await #expect(throws: DeliveryTransportError.timedOut) { try await client.send(receiver.request(), to: receiver.target, keep: 0) }
        }
    }

    @Test func aSlowAnswerOnAReusedConnectionTimesOutToo() async throws {
        // Given a receiver that answers each connection's first request at once and its second after 10 s
        let settings = DeliveryHTTPSettings(readTimeout: .milliseconds(200), requestTimeout: .seconds(30))
        try await withScriptedReceiver(Script { $0.indexOnConnection == 1 ? .ok : .ok(after: .seconds(10)) }, settings: settings) {
            receiver, client in
            // When one request is answered, then a second on the same connection, first right away and once more after
            // the first request's read timeout has passed
            for pause in [Duration.zero, .milliseconds(400)] {
                #expect(try await client.send(receiver.request(), to: receiver.target, keep: 0).status == 200)
                try await Task.sleep(for: pause)
                await #expect(throws: DeliveryTransportError.timedOut) { try await client.send(receiver.request(), to: receiver.target, keep: 0) }

                // Then the second times out by its own read timeout, and its connection is not reused
            }
            #expect(receiver.log.connections == 2)
        }
    }

    @Test func connectionsIdleTooLongAreClosed() async throws {
        try await withScriptedReceiver(Script { _ in .ok }) { receiver, client in
            // Given a connection used once and now idle
            _ = try await client.send(receiver.request(), to: receiver.target, keep: 0)

            // When connections idle since before a moment ago are closed, it stays (it was idle only since then)
            client.closeIdle(since: .now() - .seconds(60))
            _ = try await client.send(receiver.request(), to: receiver.target, keep: 0)
            #expect(receiver.log.connections == 1)

            // When those idle since before now are closed, it goes, and the next request opens another
            client.closeIdle(since: .now() + .milliseconds(1))
            try await receiver.log.waitUntilClosed(1)
            _ = try await client.send(receiver.request(), to: receiver.target, keep: 0)
            #expect(receiver.log.connections == 2)
        }
    }

    @Test func aCancelledRequestStopsWaitingAndClosesItsConnection() async throws {
        try await withScriptedReceiver(Script { _ in .ok(after: .seconds(10)) }) { receiver, client in
            let task = Task { try await client.send(receiver.request(), to: receiver.target, keep: 0) }
            while receiver.log.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            try await receiver.log.waitUntilClosed(1)
        }
    }

    @Test func afterShutdownNothingIsSentAndConnectionsAreClosed() async throws {
        try await withScriptedReceiver(Script { _ in .ok }) { receiver, client in
            _ = try await client.send(receiver.request(), to: receiver.target, keep: 0)
            await client.shutdown()
            try await receiver.log.waitUntilClosed(1)
            await #expect(throws: DeliveryTransportError.connectionFailed("client shut down")) {
                try await client.send(receiver.request(), to: receiver.target, keep: 0)
            }
            #expect(receiver.log.requests.count == 1)
        }
    }

    @Test func aClosedPortIsRefused() async throws {
        let client = HTTP1Client(settings: DeliveryHTTPSettings(connectTimeout: .seconds(2)))
        let target = try #require(HTTP1Client.Target(url: "http://127.0.0.1:1/hook"))
        await #expect(throws: DeliveryTransportError.connectionFailed("connection refused")) {
            try await client.send(HTTPRequestSpec(method: "POST", url: ""), to: target, keep: 0)
        }
        // The failed connect gave its slot back: the next attempt fails the same way rather than waiting
        await #expect(throws: DeliveryTransportError.connectionFailed("connection refused")) {
            try await client.send(HTTPRequestSpec(method: "POST", url: ""), to: target, keep: 0)
        }
        await client.shutdown()
    }
}

// MARK: - The scripted receiver

/// What the scripted receiver does with a request.
enum Reply: Sendable {
    /// Answers after `delay` (default none). Slow answers take 10 s, so a request that ends in a timeout was ended by
    /// its timer, not the answer; tests bound no elapsed time from above (a parallel suite can keep a task from
    /// resuming for seconds).
    case answer(status: Int, headers: [(String, String)], body: String, delay: Duration)
    /// Closes the connection without answering.
    case hangUp
    /// Resets the connection without answering (`SO_LINGER` 0, then close: an RST, not a FIN).
    case reset
    /// Writes these bytes as they are.
    case raw(String)
    /// Writes these bytes as they are, then closes the connection.
    case rawThenClose(String)

    static let ok = Reply.answer(status: 200, headers: [], body: "", delay: .zero)
    static func ok(after delay: Duration) -> Reply { .answer(status: 200, headers: [], body: "", delay: delay) }
    init(status: Int, headers: [(String, String)] = [], body: String = "") {
        self = .answer(status: status, headers: headers, body: body, delay: .zero)
    }
}

/// How the scripted receiver answers each request.
struct Script: Sendable {
    let reply: @Sendable (ScriptedRequest) -> Reply
    init(_ reply: @escaping @Sendable (ScriptedRequest) -> Reply) { self.reply = reply }
}

/// A request the scripted receiver got, and where it came on its connection (1 for the first).
struct ScriptedRequest: Sendable {
    var method: String
    var uri: String
    var headers: [String: String]
    var body: String
    var indexOnConnection: Int
}

/// Connections and requests as the scripted receiver saw them.
final class ReceiverLog: Sendable {
    private struct State {
        var connections = 0
        var open = 0
        var mostOpenAtOnce = 0
        var closed = 0
        var requests: [ScriptedRequest] = []
    }
    private let state = Mutex(State())

    var connections: Int { state.withLock { $0.connections } }
    var mostOpenAtOnce: Int { state.withLock { $0.mostOpenAtOnce } }
    var requests: [ScriptedRequest] { state.withLock { $0.requests } }

    func opened() {
        state.withLock {
            $0.connections += 1
            $0.open += 1
            $0.mostOpenAtOnce = max($0.mostOpenAtOnce, $0.open)
        }
    }
    func closed() {
        state.withLock {
            $0.open -= 1
            $0.closed += 1
        }
    }
    func add(_ request: ScriptedRequest) { state.withLock { $0.requests.append(request) } }

    /// Waits (up to 5 s) until at least `count` connections have closed.
    func waitUntilClosed(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while state.withLock({ $0.closed }) < count {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// A receiver on a loopback port whose answers a closure decides, and the client under test.
struct ScriptedReceiver: Sendable {
    var port: Int
    var log: ReceiverLog
    var target: HTTP1Client.Target { HTTP1Client.Target(url: "http://127.0.0.1:\(port)/hook")! }

    /// A pool of connections to the receiver alone, to drive it directly.
    func pool(_ settings: DeliveryHTTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) -> HostPool {
        HostPool(target: HTTP1Client.HostPort(host: "127.0.0.1", port: port), group: group, settings: settings)
    }

    func request(body: String = "{}") -> HTTPRequestSpec {
        HTTPRequestSpec(method: "POST", url: "http://127.0.0.1:\(port)/hook", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}

private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let script: @Sendable (ScriptedRequest) -> Reply
    let log: ReceiverLog
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var index = 0

    init(script: @escaping @Sendable (ScriptedRequest) -> Reply, log: ReceiverLog) {
        self.script = script
        self.log = log
    }

    func channelActive(context: ChannelHandlerContext) {
        log.opened()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        log.closed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            index += 1
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let request = ScriptedRequest(
                method: head.method.rawValue, uri: head.uri, headers: headers, body: String(buffer: body), indexOnConnection: index)
            log.add(request)
            reply(script(request), context: context)
        }
    }

    private func reply(_ reply: Reply, context: ChannelHandlerContext) {
        switch reply {
        case .hangUp:
            context.close(promise: nil)
        case .reset:
            guard let socket = context.channel as? any SocketOptionProvider else {
                Issue.record("the receiver's channel sets no socket options")
                return context.close(promise: nil)
            }
            let channel = context.channel
            socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        case .raw(let text), .rawThenClose(let text):
            // Under the HTTP encoder: straight to the socket.
            if let encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) {
                encoder.writeAndFlush(NIOAny(ByteBuffer(string: text)), promise: nil)
            }
            if case .rawThenClose = reply { context.close(promise: nil) }
        case .answer(let status, let headers, let body, let delay):
            let send = {
                var fields = HTTPHeaders(headers)
                fields.add(name: "Content-Length", value: String(body.utf8.count))
                context.write(
                    NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields))),
                    promise: nil)
                context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
            }
            if delay == .zero {
                send()
            } else {
                let (seconds, attoseconds) = delay.components
                context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) { send() }
            }
        }
    }
}

/// Starts a scripted receiver on a free loopback port and a client with `settings`, runs `body`, then stops both.
func withScriptedReceiver(
    _ script: Script,
    settings: DeliveryHTTPSettings = DeliveryHTTPSettings(),
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    _ body: (ScriptedReceiver, HTTP1Client) async throws -> Void
) async throws {
    let log = ReceiverLog()
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false)
                try channel.pipeline.syncOperations.addHandler(ScriptedHandler(script: script.reply, log: log))
            }
        }
        .bind(host: "127.0.0.1", port: 0)
        .get()
    let client = HTTP1Client(group: group, settings: settings)
    let receiver = ScriptedReceiver(port: server.localAddress?.port ?? 0, log: log)
    do {
        try await body(receiver, client)
    } catch {
        await client.shutdown()
        try? await server.close()
        throw error
    }
    await client.shutdown()
    try await server.close()
}
