import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceCore
import Testing

@testable import SluiceDelivery

@Suite struct DeliveryOutcomeTests {
    @Test(arguments: [
        (200, DeliveryOutcome.success(status: 200)),
        (201, .success(status: 201)),
        (204, .success(status: 204)),
        (299, .success(status: 299)),
        (500, .retryable(reason: "HTTP 500")),
        (502, .retryable(reason: "HTTP 502")),
        (503, .retryable(reason: "HTTP 503")),
        (599, .retryable(reason: "HTTP 599")),
        (429, .retryable(reason: "HTTP 429 (rate limited)")),
        (408, .retryable(reason: "HTTP 408 (request timeout)")),
        (400, .discarded(reason: "HTTP 400")),
        (401, .discarded(reason: "HTTP 401")),
        (404, .discarded(reason: "HTTP 404")),
        (413, .discarded(reason: "HTTP 413")),
        (301, .discarded(reason: "HTTP 301 (redirects are not followed)")),
        (304, .discarded(reason: "HTTP 304 (redirects are not followed)")),
        (600, .retryable(reason: "invalid HTTP status 600")),
    ])
    func statusesAreClassified(status: Int, expected: DeliveryOutcome) async {
        // Given a receiver that answers with the status
        let recorder = RecordingSender(status: status)

        // When an event is delivered to it
        let outcomes = await WebhookIntegration().deliver([Fixtures.event(1)], to: Fixtures.target(), sender: recorder.sender)

        // Then the event's outcome follows the rules
        #expect(outcomes == [expected])
        #expect(DeliveryOutcome.classify(status: status) == expected)
    }

    @Test(arguments: [
        (DeliveryTransportError.timedOut, DeliveryOutcome.retryable(reason: "timed out")),
        (.connectionFailed("connection refused"), .retryable(reason: "connection failed: connection refused")),
        (.invalidRequest("unusable URL"), .discarded(reason: "invalid request: unusable URL")),
    ])
    func transportErrorsAreClassified(error: DeliveryTransportError, expected: DeliveryOutcome) async {
        // Given a sender that gets no response
        let recorder = RecordingSender { _ in throw error }

        // When an event is delivered
        let outcomes = await WebhookIntegration().deliver([Fixtures.event(1)], to: Fixtures.target(), sender: recorder.sender)

        // Then timeouts and connection failures are retried, unusable requests discarded
        #expect(outcomes == [expected])
    }

    @Test func otherErrorsAreRetryableAndSayNothingOfThePayload() async {
        // Given a sender that throws something unexpected, whose text holds a secret
        struct Odd: Error, CustomStringConvertible { var description: String { "secret-token-123" } }
        let sender = DeliverySender { _ in throw Odd() }

        // When the outcome is read
        let outcome = await sender.outcome(of: HTTPRequestSpec(method: "POST", url: "http://127.0.0.1:9/"))

        // Then it is a retryable failure whose reason does not repeat the error's text
        #expect(outcome == .retryable(reason: "connection failed: request failed"))
        #expect(!outcome.reason.contains("secret"))
    }

    @Test func clientErrorsMapToTransportErrors() {
        // Given AsyncHTTPClient's and NIO's errors
        // When they are mapped
        // Then timeouts, bad URLs, closed connections and refusals each get their kind
        let map = { (error: any Error) in DeliverySender.transportError(error) as? DeliveryTransportError }
        #expect(map(HTTPClientError.connectTimeout) == .timedOut)
        #expect(map(HTTPClientError.readTimeout) == .timedOut)
        #expect(map(HTTPClientError.deadlineExceeded) == .timedOut)
        #expect(map(HTTPClientError.invalidURL) == .invalidRequest("unusable URL"))
        #expect(map(HTTPClientError.unsupportedScheme("ftp")) == .invalidRequest("unusable URL"))
        #expect(map(HTTPClientError.remoteConnectionClosed) == .connectionFailed("connection closed"))
        #expect(map(IOError(errnoCode: ECONNREFUSED, reason: "connect")) == .connectionFailed("connection refused"))
        #expect(DeliverySender.transportError(HTTPClientError.cancelled) is CancellationError)
    }
}
