import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore

/// Sends one ``HTTPRequestSpec`` and returns the response: the only place delivery touches the network.
///
/// A struct holding a closure, so tests swap in one that records requests and answers as they like; no mocking
/// framework. ``live(httpClient:settings:)`` sends for real with AsyncHTTPClient.
///
/// The closure's contract: it returns the response for any status (a 500 is a response, not an error), and throws
/// ``DeliveryTransportError`` when no response came (timeout, connection failure, a request that cannot be sent),
/// or `CancellationError` when the task was cancelled.
public struct DeliverySender: Sendable {
    /// Sends a request.
    public var send: @Sendable (HTTPRequestSpec) async throws -> HTTPResponseSpec
    /// Told of every request sent through ``answer(to:carrying:)``, once it is answered: how the worker fills the
    /// event log.
    public var observe: (@Sendable (SentRequest) -> Void)?
    /// Where integrations prefer to run the tasks that send their requests (none: the global executor). The live
    /// sender gives its HTTP client's event loops.
    public var executors: [any TaskExecutor] = []

    /// Creates a sender from a closure.
    public init(send: @escaping @Sendable (HTTPRequestSpec) async throws -> HTTPResponseSpec) {
        self.send = send
    }

    /// Sends a request and classifies what came of it with ``DeliveryOutcome``.
    ///
    /// A ``DeliveryTransportError`` gives its own outcome; cancellation is retryable (`cancelled`: the attempt did not
    /// finish, e.g. at shutdown); any other error is a retryable `request failed`.
    public func outcome(of request: HTTPRequestSpec) async -> DeliveryOutcome {
        await answer(to: request).outcome
    }

    /// Sends a request: its response, or the outcome of an attempt that got none (as ``outcome(of:)`` gives it).
    public func answer(to request: HTTPRequestSpec) async -> DeliveryAnswer {
        await answer(to: request, carrying: [])
    }

    /// Sends a request that carries the events at `eventIndexes` (of the events the integration was given), and tells
    /// ``observe`` what came of it.
    public func answer(to request: HTTPRequestSpec, carrying eventIndexes: [Int]) async -> DeliveryAnswer {
        let clock = ContinuousClock()
        let started = clock.now
        let answer: DeliveryAnswer
        do {
            answer = .response(try await send(request))
        } catch let error as DeliveryTransportError {
            answer = .noResponse(error.outcome)
        } catch is CancellationError {
            answer = .noResponse(.retryable(reason: "cancelled"))
        } catch {
            answer = .noResponse(.connectionFailed("request failed"))
        }
        observe?(SentRequest(request: request, answer: answer, duration: clock.now - started, eventIndexes: eventIndexes))
        return answer
    }
}

/// A request sent, as ``DeliverySender/observe`` hears of it.
public struct SentRequest: Sendable {
    public var request: HTTPRequestSpec
    public var answer: DeliveryAnswer
    /// From sending to the answer (or to giving up).
    public var duration: Duration
    /// The events it carried, as indexes into the events the integration was given.
    public var eventIndexes: [Int]
}

/// What came of sending a request: the receiver's answer, or the outcome of an attempt that got none.
public enum DeliveryAnswer: Sendable, Equatable {
    /// The receiver answered (any status).
    case response(HTTPResponseSpec)
    /// No answer came: a timeout, a failed connection, a request that cannot be sent.
    case noResponse(DeliveryOutcome)

    /// The outcome by status and `Retry-After`, or the failure's.
    public var outcome: DeliveryOutcome {
        switch self {
        case .response(let response): response.outcome
        case .noResponse(let outcome): outcome
        }
    }
}

/// Why a request got no response.
public enum DeliveryTransportError: Error, Sendable, Equatable {
    /// Connecting, or waiting for the response, took too long.
    case timedOut
    /// The connection was refused, reset or closed, or the name did not resolve; the detail is a short kind.
    case connectionFailed(String)
    /// The request cannot be sent at all (a URL the client cannot use); retrying will not help.
    case invalidRequest(String)

    /// The outcome of the attempt: timeouts and connection failures are retryable, invalid requests discarded.
    public var outcome: DeliveryOutcome {
        switch self {
        case .timedOut: .timedOut
        case .connectionFailed(let detail): .connectionFailed(detail)
        case .invalidRequest(let detail): .discarded(reason: "invalid request: \(detail)")
        }
    }
}

/// Timeouts and limits for the live sender's HTTP client.
public struct DeliveryHTTPSettings: Sendable, Equatable {
    /// How long to wait for a connection (default 5 s). AsyncHTTPClient retries a refused connection until then, so
    /// this is also how long an attempt on a receiver that is down takes.
    public var connectTimeout: Duration
    /// How long to wait for each read once connected (default 10 s).
    public var readTimeout: Duration
    /// The longest a whole request may take, response body included (default 30 s).
    public var requestTimeout: Duration
    /// Connections kept per receiving host (default 32).
    public var maxConnectionsPerHost: Int
    /// How many bytes of a response body are kept (default 64 KB): for logs, and for integrations that read a batch
    /// answer's per-event results. The rest is read and dropped.
    public var responseBodyPrefix: Int

    /// Creates settings.
    public init(
        connectTimeout: Duration = .seconds(5),
        readTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30),
        maxConnectionsPerHost: Int = 32,
        responseBodyPrefix: Int = 65_536
    ) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.requestTimeout = requestTimeout
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.responseBodyPrefix = responseBodyPrefix
    }
}

extension DeliverySender {
    /// An HTTP client set up for delivery: the settings' timeouts and pool size, redirects not followed (a 3xx is
    /// an answer, and discarded), no decompression.
    ///
    /// The caller owns it: shut it down (`try await client.shutdown()`) when delivery stops, or run it under a
    /// service that does.
    public static func makeHTTPClient(settings: DeliveryHTTPSettings = DeliveryHTTPSettings()) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeAmount(settings.connectTimeout), read: timeAmount(settings.readTimeout)),
            decompression: .disabled
        )
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maxConnectionsPerHost)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// A sender that sends plain `http://` URLs with `http1` (when given) and everything else with `httpClient`, each
    /// request bounded by the settings' `requestTimeout`.
    ///
    /// Errors become ``DeliveryTransportError``: AsyncHTTPClient's connect, read, write, TLS-handshake, pool and
    /// deadline timeouts are ``DeliveryTransportError/timedOut``; a bad URL or a header field that cannot be sent is
    /// ``DeliveryTransportError/invalidRequest(_:)``;
    /// anything else from the network is ``DeliveryTransportError/connectionFailed(_:)`` with a short kind such as
    /// `connection refused`. Cancellation is passed on.
    /// - Parameters:
    ///   - httpClient: The client, e.g. from ``makeHTTPClient(settings:)``; connect and read timeouts are its own.
    ///   - http1: The client for the URLs ``HTTP1Client/Target/init(url:)`` reads (made with the same settings), or
    ///     `nil` to send every request with `httpClient`.
    ///   - settings: The request timeout and how much of a response body to keep.
    public static func live(
        httpClient: HTTPClient, http1: HTTP1Client? = nil, settings: DeliveryHTTPSettings = DeliveryHTTPSettings()
    ) -> DeliverySender {
        let timeout = timeAmount(settings.requestTimeout)
        let keep = max(settings.responseBodyPrefix, 0)
        var sender = DeliverySender { spec in
            if let http1, let target = HTTP1Client.Target(url: spec.url) {
                return try await http1.send(spec, to: target, keep: keep)
            }
            var request = HTTPClientRequest(url: spec.url)
            request.method = HTTPMethod(rawValue: spec.method)
            for header in spec.headers { request.headers.add(name: header.name, value: header.value) }
            request.body = .bytes(ByteBuffer(bytes: spec.body))
            do {
                let response = try await httpClient.execute(request, timeout: timeout)
                var prefix: [UInt8] = []
                for try await var chunk in response.body where prefix.count < keep {
                    prefix += chunk.readBytes(length: min(chunk.readableBytes, keep - prefix.count)) ?? []
                }
                let retryAfter = response.headers.first(name: "Retry-After").flatMap { HTTPResponseSpec.retryAfterSeconds($0) }
                return HTTPResponseSpec(status: Int(response.status.code), bodyPrefix: prefix, retryAfter: retryAfter)
            } catch {
                throw transportError(error)
            }
        }
        sender.executors = http1?.executors ?? []
        return sender
    }

    /// Maps AsyncHTTPClient's and NIO's errors onto ``DeliveryTransportError``; cancellation passes unchanged.
    static func transportError(_ error: any Error) -> any Error {
        if error is CancellationError || error is DeliveryTransportError { return error }
        if let error = error as? HTTPClientError {
            let timeouts: [HTTPClientError] = [
                .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout, .httpProxyHandshakeTimeout, .socksHandshakeTimeout,
            ]
            if timeouts.contains(error) { return DeliveryTransportError.timedOut }
            if [.invalidURL, .emptyHost, .emptyScheme].contains(error) || error.shortDescription == "Unsupported scheme" {
                return DeliveryTransportError.invalidRequest("unusable URL")
            }
            if error.shortDescription == HTTPClientError.invalidHeaderFieldNames([]).shortDescription
                || error.shortDescription == HTTPClientError.invalidHeaderFieldValues([]).shortDescription
            {
                return DeliveryTransportError.invalidRequest("invalid header field")
            }
            if error == .cancelled { return CancellationError() }
            if error == .remoteConnectionClosed { return DeliveryTransportError.connectionFailed("connection closed") }
            // shortDescription carries no associated values: a bounded, payload-free kind.
            return DeliveryTransportError.connectionFailed(error.shortDescription.lowercased())
        }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return transportError(first.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return DeliveryTransportError.connectionFailed("name not resolved") }
            return DeliveryTransportError.connectionFailed("could not connect")
        }
        if let error = error as? IOError {
            return DeliveryTransportError.connectionFailed(errnoKind(error.errnoCode))
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return DeliveryTransportError.timedOut
        }
        return DeliveryTransportError.connectionFailed(String(describing: type(of: error)))
    }

    private static func errnoKind(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ECONNRESET: "connection reset"
        case ETIMEDOUT: "connection timed out"
        case EHOSTUNREACH: "host unreachable"
        case ENETUNREACH: "network unreachable"
        case EPIPE: "broken pipe"
        default: "errno \(code)"
        }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if nanoseconds.overflow { return .nanoseconds(Int64.max) }
        return .nanoseconds(max(nanoseconds.partialValue + attoseconds / 1_000_000_000, 0))
    }
}
