import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Delivery's own client for cleartext HTTP/1.1: a pool of kept-alive connections to each receiver, one request at a
/// time on each.
///
/// AsyncHTTPClient's per-request machinery (its request and transaction state machines, the request's async body
/// and response streams, the pool's bookkeeping) was the largest part of Sluice's CPU when delivering one event a
/// request (BENCHMARKS.md). Delivery needs much less: a head and a body out, a status, `Retry-After` and the start
/// of a body back. This client does just that for `http://host[:port]/path` URLs (``Target/init(url:)``); the live
/// sender hands everything else (`https`, user info in the URL, anything not plainly ASCII) to AsyncHTTPClient.
///
/// - Up to ``DeliveryHTTPSettings/maxConnectionsPerHost`` connections to each host and port; a request waits for one
///   to be free past that. Idle connections are reused (the most recent first) and closed once unused for a minute
///   (looked for every 10 s).
/// - A connection is reused only after a whole response that allows it (HTTP/1.1 without `Connection: close`);
///   anything else (a timeout, an error, a cancelled request) closes it.
/// - Timeouts as ``DeliveryHTTPSettings`` gives them: connecting, each read of the response, and the whole request
///   (waiting for a connection included).
/// - A kept-alive connection the receiver closed while it was idle fails the next request on it before any of the
///   answer arrives; that request is sent once more on a new connection (the receiver saw at most an unanswered
///   request, and delivery is at least once anyway).
/// - Header names must be tokens and values free of control characters but tab (RFC 9110 §5.5), as AsyncHTTPClient
///   checks them; a request with others is not sent (``DeliveryTransportError/invalidRequest(_:)``).
public final class HTTP1Client: Sendable {
    /// Where a request goes: host and port (what connections are pooled by), and what it names there.
    public struct Target: Hashable, Sendable {
        /// The host name or address, without brackets for IPv6.
        public var host: String
        /// The port (80 when the URL gave none).
        public var port: Int
        /// The `Host` header: the URL's authority as written, with brackets and the port when it had them.
        public var hostHeader: String
        /// The path and query (`/` when the URL had no path); the fragment is not sent.
        public var pathAndQuery: String

        /// Reads a plain `http://` URL this client sends to; `nil` for any other (those go to AsyncHTTPClient): another
        /// scheme, user info, an empty host, a port out of range, or a byte outside printable ASCII anywhere.
        public init?(url: String) {
            var bytes = Substring(url).utf8
            let scheme = "http://".utf8
            guard bytes.count > scheme.count,
                zip(bytes.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 || $0 == $1 })
            else { return nil }
            guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
            bytes = bytes.dropFirst(scheme.count)
            let authorityEnd = bytes.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.endIndex
            let authority = bytes[..<authorityEnd]
            guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")) else { return nil }
            var hostPart = authority[...]
            var portPart: Substring.UTF8View.SubSequence?
            if authority.first == UInt8(ascii: "[") {
                guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
                hostPart = authority[authority.index(after: authority.startIndex)..<close]
                let rest = authority[authority.index(after: close)...]
                if let colon = rest.first {
                    guard colon == UInt8(ascii: ":") else { return nil }
                    portPart = rest.dropFirst()
                }
            } else if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
                hostPart = authority[..<colon]
                portPart = authority[authority.index(after: colon)...]
            }
            guard !hostPart.isEmpty else { return nil }
            var port = 80
            if let portPart {
                guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                    let parsed = Int(Substring(portPart)), (1...65_535).contains(parsed)
                else { return nil }
                port = parsed
            }
            host = String(Substring(hostPart))
            self.port = port
            hostHeader = String(Substring(authority))
            var rest = bytes[authorityEnd...]
            if let hash = rest.firstIndex(of: UInt8(ascii: "#")) { rest = rest[..<hash] }
            let path = String(Substring(rest))
            pathAndQuery = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : path)
        }
    }

    let group: any EventLoopGroup
    let settings: DeliveryHTTPSettings
    /// The group's event loops, each as an executor tasks can prefer: a task sending on a loop's executor writes its
    /// requests and reads their answers on that loop, with no hop between threads (``HostPool/acquire(deadline:)``
    /// prefers connections on the loop it runs on).
    public let executors: [any TaskExecutor]
    private let pools = Mutex<(pools: [HostPort: HostPool], shutDown: Bool)>(([:], false))

    /// What connections are pooled by.
    struct HostPort: Hashable {
        var host: String
        var port: Int
    }
    private let sweeper = Mutex<RepeatedTask?>(nil)
    /// How long a connection may sit idle before it is closed.
    static let idleTimeout = TimeAmount.seconds(60)

    /// Creates a client; connections open on `group`'s event loops as requests need them.
    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, settings: DeliveryHTTPSettings = DeliveryHTTPSettings()) {
        self.group = group
        self.settings = settings
        executors = group.makeIterator().map { EventLoopTaskExecutor(loop: $0) }
        // One timer for every idle connection: a timer each, set at every release and cancelled at every reuse, cost
        // more than the requests' own work on the event loops.
        let every = TimeAmount.seconds(10)
        let task = group.next().scheduleRepeatedTask(initialDelay: every, delay: every) { [weak self] _ in
            self?.closeIdle(since: .now() - Self.idleTimeout)
        }
        sweeper.withLock { $0 = task }
    }

    /// Closes every connection; requests waiting for one fail, and new ones are refused.
    public func shutdown() async {
        sweeper.withLock { $0?.cancel() }
        let all = pools.withLock { state in
            state.shutDown = true
            return Array(state.pools.values)
        }
        for pool in all { await pool.close() }
    }

    /// Closes the connections idle since before `cutoff`.
    func closeIdle(since cutoff: NIODeadline) {
        for pool in pools.withLock({ Array($0.pools.values) }) { pool.closeIdle(since: cutoff) }
    }

    /// Sends a request to `target` and returns its answer (any status).
    ///
    /// Throws ``DeliveryTransportError`` when no answer came, or `CancellationError` when the task was cancelled.
    /// - Parameter keep: How many bytes of the response body to keep (the rest is read and dropped).
    public func send(_ spec: HTTPRequestSpec, to target: Target, keep: Int) async throws -> HTTPResponseSpec {
        let head = try Self.head(for: spec, target: target)
        let body = ByteBuffer(bytes: spec.body)
        let deadline = NIODeadline.now() + DeliverySender.timeAmount(settings.requestTimeout)
        guard let pool = self.pool(for: target) else { throw DeliveryTransportError.connectionFailed("client shut down") }
        var sentAgain = false
        while true {
            let (connection, reused) = try await pool.acquire(deadline: deadline)
            do {
                let answer = try await connection.exchange(head: head, body: body, keep: keep, deadline: deadline)
                if answer.reusable { pool.release(connection) } else { connection.close() }
                return answer.response
            } catch {
                // Closed already in most cases; this makes sure a connection that failed is never reused.
                connection.close()
                if Task.isCancelled { throw CancellationError() }
                guard case ExchangeError.closedBeforeAnswer = error else { throw error }
                guard reused, !sentAgain else { throw DeliveryTransportError.connectionFailed("connection closed") }
                sentAgain = true
            }
        }
    }

    private func pool(for target: Target) -> HostPool? {
        pools.withLock { state in
            if state.shutDown { return nil }
            let key = HostPort(host: target.host, port: target.port)
            if let pool = state.pools[key] { return pool }
            let pool = HostPool(target: key, group: group, settings: settings)
            state.pools[key] = pool
            return pool
        }
    }

    /// The request's head: the spec's headers (checked), then `Host` and `Content-Length` unless it gave them.
    static func head(for spec: HTTPRequestSpec, target: Target) throws -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(spec.headers.count + 2)
        var hasHost = false
        var hasLength = false
        for (name, value) in spec.headers {
            guard HTTPField.isToken(name), HTTPField.isValue(value) else { throw DeliveryTransportError.invalidRequest("invalid header field") }
            if !hasHost, name.utf8.count == 4, name.lowercased() == "host" { hasHost = true }
            if !hasLength, name.utf8.count == 14, name.lowercased() == "content-length" { hasLength = true }
            headers.add(name: name, value: value)
        }
        if !hasHost { headers.add(name: "Host", value: target.hostHeader) }
        if !hasLength, !(spec.body.isEmpty && (spec.method == "GET" || spec.method == "HEAD")) {
            headers.add(name: "Content-Length", value: String(spec.body.count))
        }
        guard HTTPField.isToken(spec.method) else { throw DeliveryTransportError.invalidRequest("invalid method") }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: spec.method), uri: target.pathAndQuery, headers: headers)
    }
}

/// An event loop as a task executor: the jobs of a task that prefers it run on the loop's thread.
///
/// The loop must outlive the tasks that prefer it: a loop shut down drops what it is given, and such a task would
/// never resume. The live sender's loops are SwiftNIO's singleton group, which is never shut down.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// How an exchange on one connection failed, as ``HTTP1Client/send(_:to:keep:)`` tells them apart.
enum ExchangeError: Error {
    /// The connection closed before any of the answer arrived.
    case closedBeforeAnswer
}

/// One kept-alive connection: its channel, and the handler that runs one exchange at a time on it.
final class PooledConnection: Sendable {
    let channel: any Channel
    let id: ObjectIdentifier

    init(channel: any Channel) {
        self.channel = channel
        id = ObjectIdentifier(channel)
    }

    /// Writes the request and waits for its whole answer (or the failure); closing the connection on cancellation.
    func exchange(head: HTTPRequestHead, body: ByteBuffer, keep: Int, deadline: NIODeadline) async throws -> ExchangeHandler.Answer {
        let promise = channel.eventLoop.makePromise(of: ExchangeHandler.Answer.self)
        let exchange = ExchangeHandler.Exchange(head: head, body: body, keep: keep, deadline: deadline, promise: promise)
        // A channel closed since it was handed out may have lost its handlers, so the exchange would never reach the
        // handler that answers it: a failed write fails the exchange (a promise completed already stays as it is).
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { _ in promise.fail(ExchangeError.closedBeforeAnswer) }
        channel.writeAndFlush(exchange, promise: written)
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// The connections to one host and port: idle ones, how many are open, and the requests waiting for one.
final class HostPool: Sendable {
    let target: HTTP1Client.HostPort
    let group: any EventLoopGroup
    /// The group's loops, listed once: ``acquire(deadline:)`` looks for the one it runs on at every request.
    let loops: [any EventLoop]
    let settings: DeliveryHTTPSettings

    private struct State {
        /// Connections open or opening (each holds a slot until its channel closes or its connect fails).
        var open = 0
        /// Open connections by id: a connection closed is removed, so it is never handed out again.
        var live: [ObjectIdentifier: PooledConnection] = [:]
        /// Idle connections, the most recently used last, with when each was put back.
        var idle: [(connection: PooledConnection, since: NIODeadline)] = []
        /// Requests waiting for a connection, first come first served: each is handed a connection, or `nil` with a
        /// slot to connect in.
        var waiters: [(id: Int, deadline: NIODeadline, promise: EventLoopPromise<PooledConnection?>)] = []
        var nextWaiter = 0
        /// Whether the timer that times waiting requests out is set (one for the pool, not one a request: each
        /// request setting and cancelling its own, from off the event loop, cost more than its exchange).
        var waiterTimer = false
        var closed = false
    }

    private enum Lease {
        case idle(PooledConnection)
        case connect
        case wait(Int, EventLoopPromise<PooledConnection?>)
    }

    private let state = Mutex(State())

    init(target: HTTP1Client.HostPort, group: any EventLoopGroup, settings: DeliveryHTTPSettings) {
        self.target = target
        self.group = group
        loops = Array(group.makeIterator())
        self.settings = settings
    }

    /// A connection for one request, and whether it was used before: an idle one, a new one, or the next one freed.
    ///
    /// A request sent from one of the group's event loops (a task preferring ``HTTP1Client/executors``) gets an idle
    /// connection of that loop if there is one, and a new connection on that loop: its exchange then stays on the
    /// loop's thread.
    func acquire(deadline: NIODeadline) async throws -> (PooledConnection, reused: Bool) {
        let current = MultiThreadedEventLoopGroup.currentEventLoop.flatMap { current in loops.first { $0 === current } }
        let loop = current ?? group.next()
        let lease: Lease = try state.withLock { state in
            guard !state.closed else { throw DeliveryTransportError.connectionFailed("client shut down") }
            state.idle.removeAll { !$0.connection.channel.isActive }
            let onThisLoop = current.flatMap { current in state.idle.lastIndex { $0.connection.channel.eventLoop === current } }
            if let index = onThisLoop ?? state.idle.indices.last {
                return .idle(state.idle.remove(at: index).connection)
            }
            if state.open < max(settings.maxConnectionsPerHost, 1) {
                state.open += 1
                return .connect
            }
            state.nextWaiter += 1
            let promise = loop.makePromise(of: PooledConnection?.self)
            state.waiters.append((state.nextWaiter, deadline, promise))
            if !state.waiterTimer {
                state.waiterTimer = true
                loop.scheduleTask(deadline: deadline) { self.timeOutWaiters() }
            }
            return .wait(state.nextWaiter, promise)
        }
        switch lease {
        case .idle(let connection):
            return (connection, true)
        case .connect:
            return (try await connect(on: loop, deadline: deadline), false)
        case .wait(let id, let promise):
            let handed = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                self.giveUp(waiter: id, with: CancellationError())
            }
            if let handed { return (handed, true) }
            return (try await connect(on: loop, deadline: deadline), false)
        }
    }

    /// Puts a connection back after a whole answer: to the first waiting request, else among the idle ones.
    func release(_ connection: PooledConnection) {
        let waiter: EventLoopPromise<PooledConnection?>? = state.withLock { state in
            guard state.live[connection.id] != nil, !state.closed else { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst().promise }
            state.idle.append((connection, .now()))
            return nil
        }
        waiter?.succeed(connection)
    }

    /// Closes every connection and fails every waiting request.
    func close() async {
        let (connections, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.waiters = []
                state.idle = []
            }
            return (Array(state.live.values), state.waiters.map(\.promise))
        }
        for waiter in waiters { waiter.fail(DeliveryTransportError.connectionFailed("client shut down")) }
        for connection in connections { try? await connection.channel.close() }
    }

    /// Closes the connections idle since before `cutoff` (their slots free as each closes).
    func closeIdle(since cutoff: NIODeadline) {
        let stale: [PooledConnection] = state.withLock { state in
            let stale = state.idle.filter { $0.since < cutoff }.map(\.connection)
            state.idle.removeAll { $0.since < cutoff }
            return stale
        }
        for connection in stale { connection.close() }
    }

    /// Fails the waiting requests whose deadline has passed, and sets the timer again for the earliest of the rest.
    private func timeOutWaiters() {
        let now = NIODeadline.now()
        let expired: [EventLoopPromise<PooledConnection?>] = state.withLock { state in
            let expired = state.waiters.filter { $0.deadline <= now }.map(\.promise)
            state.waiters.removeAll { $0.deadline <= now }
            if let next = state.waiters.map(\.deadline).min() {
                group.next().scheduleTask(deadline: next) { self.timeOutWaiters() }
            } else {
                state.waiterTimer = false
            }
            return expired
        }
        for promise in expired { promise.fail(DeliveryTransportError.timedOut) }
    }

    private func giveUp(waiter id: Int, with error: any Error) {
        let promise: EventLoopPromise<PooledConnection?>? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).promise
        }
        promise?.fail(error)
    }

    /// A slot is free (a connection closed, or a connect failed): to the first waiting request, which connects in it,
    /// else the pool has one connection fewer.
    private func freeSlot(of id: ObjectIdentifier?) {
        let waiter: EventLoopPromise<PooledConnection?>? = state.withLock { state in
            if let id {
                state.live[id] = nil
                if let index = state.idle.firstIndex(where: { $0.connection.id == id }) { state.idle.remove(at: index) }
            }
            if !state.closed, !state.waiters.isEmpty { return state.waiters.removeFirst().promise }
            state.open -= 1
            return nil
        }
        waiter?.succeed(nil)
    }

    /// Opens a connection in a slot already counted in `open`.
    private func connect(on loop: any EventLoop, deadline: NIODeadline) async throws -> PooledConnection {
        let connectTimeout = min(DeliverySender.timeAmount(settings.connectTimeout), max(deadline - .now(), .zero))
        let readTimeout = DeliverySender.timeAmount(settings.readTimeout)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ExchangeHandler(readTimeout: readTimeout))
                    }
                }
                .connect(host: target.host, port: target.port)
                .get()
        } catch {
            freeSlot(of: nil)
            if Task.isCancelled { throw CancellationError() }
            throw DeliverySender.transportError(error)
        }
        let connection = PooledConnection(channel: channel)
        let closedAlready: Bool = state.withLock { state in
            if state.closed { return true }
            state.live[connection.id] = connection
            return false
        }
        channel.closeFuture.whenComplete { _ in self.freeSlot(of: connection.id) }
        if closedAlready {
            connection.close()
            throw DeliveryTransportError.connectionFailed("client shut down")
        }
        return connection
    }
}

/// Runs one request and its answer at a time on a connection: writes the request it is given, gathers the status,
/// `Retry-After` and the first bytes of the body, and completes the exchange's promise at the answer's end. Fails it
/// (and closes the connection) on a timeout, an error, or the connection closing first.
final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    /// A request to send, and where its answer goes.
    struct Exchange: Sendable {
        var head: HTTPRequestHead
        var body: ByteBuffer
        var keep: Int
        var deadline: NIODeadline
        var promise: EventLoopPromise<Answer>
    }

    /// An answer, and whether the connection may carry another request.
    struct Answer: Sendable {
        var response: HTTPResponseSpec
        var reusable: Bool
    }

    private struct Pending {
        var promise: EventLoopPromise<Answer>
        var keep: Int
        var deadline: NIODeadline
        var status: Int?
        var keepAlive = false
        var retryAfter: String?
        var prefix: [UInt8] = []
        var lastRead: NIODeadline

        /// When it times out: at its deadline, or when a read is overdue, whichever is first.
        func due(_ readTimeout: TimeAmount) -> NIODeadline { min(deadline, lastRead + readTimeout) }
    }

    private let readTimeout: TimeAmount
    private var pending: Pending?
    /// The connection's one timer, and when it fires. It is left running between requests and moved only when a
    /// request is due before it: each request setting and cancelling its own cost more than the rest of its work.
    private var timer: (task: Scheduled<Void>, due: NIODeadline)?

    init(readTimeout: TimeAmount) {
        self.readTimeout = readTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil, context.channel.isActive else {
            exchange.promise.fail(ExchangeError.closedBeforeAnswer)
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        pending = Pending(promise: exchange.promise, keep: exchange.keep, deadline: exchange.deadline, lastRead: .now())
        if let due = pending?.due(readTimeout), timer.map({ $0.due > due }) ?? true {
            timer?.task.cancel()
            schedule(at: due, context: context)
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if exchange.body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(exchange.body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard var current = pending else { return }
        current.lastRead = .now()
        switch unwrapInboundIn(data) {
        case .head(let head):
            // An informational answer (100 Continue and the like) is followed by the real one.
            guard head.status.code >= 200 else {
                pending = current
                return
            }
            current.status = Int(head.status.code)
            current.keepAlive = head.isKeepAlive
            current.retryAfter = head.headers.first(name: "Retry-After")
            pending = current
        case .body(var chunk):
            if current.prefix.count < current.keep {
                current.prefix += chunk.readBytes(length: min(chunk.readableBytes, current.keep - current.prefix.count)) ?? []
            }
            pending = current
        case .end:
            pending = nil
            guard let status = current.status else {
                current.promise.fail(DeliveryTransportError.connectionFailed("malformed response"))
                context.close(promise: nil)
                return
            }
            let retryAfter = current.retryAfter.flatMap { HTTPResponseSpec.retryAfterSeconds($0) }
            current.promise.succeed(
                Answer(response: HTTPResponseSpec(status: status, bodyPrefix: current.prefix, retryAfter: retryAfter), reusable: current.keepAlive))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        fail(current: pending?.status == nil ? ExchangeError.closedBeforeAnswer : DeliveryTransportError.connectionFailed("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let answered = pending?.status != nil
        if !answered, error is HTTPParserError {
            fail(current: DeliveryTransportError.connectionFailed("malformed response"))
        } else if !answered, let error = error as? IOError, [ECONNRESET, EPIPE].contains(error.errnoCode) {
            fail(current: ExchangeError.closedBeforeAnswer)
        } else {
            fail(current: DeliverySender.transportError(error))
        }
        context.close(promise: nil)
    }

    private func fail(current error: any Error) {
        guard let current = pending else { return }
        pending = nil
        current.promise.fail(error)
    }

    private func schedule(at due: NIODeadline, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(deadline: due) {
            let (handler, context) = loopBound.value
            handler.timerFired(context: context)
        }
        timer = (task, due)
    }

    /// Times the request out if it is due (its deadline passed, or no read for the read timeout), else sets the timer
    /// again for when it will be; with no request, the timer stops until the next one.
    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard let due = pending?.due(readTimeout) else { return }
        if NIODeadline.now() >= due {
            fail(current: DeliveryTransportError.timedOut)
            context.close(promise: nil)
        } else {
            schedule(at: due, context: context)
        }
    }
}
