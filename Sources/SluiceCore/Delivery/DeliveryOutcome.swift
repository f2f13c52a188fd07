/// What one delivery attempt came to, for one event.
///
/// The rules, as Segment applies them:
/// - 2xx: ``success(status:)``.
/// - A timeout, a failed connection, 5xx, 429 (rate limited) and 408 (the receiver's own timeout):
///   ``retryable(reason:)``, tried again with ``RetryPolicy`` until the window runs out.
/// - Any other 4xx, and 3xx (redirects are not followed): ``discarded(reason:)``, never tried again.
/// - A status outside 100...599: retryable (the receiver is broken, not the event).
/// - Settings that cannot make a request (no URL, a bad method): discarded.
///
/// Each case carries a short reason for logs and for the job's last error: a status, `timed out`, a connection
/// error's kind. Reasons never carry payloads, headers or secrets.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The receiver took the event.
    case success(status: Int)
    /// The attempt failed in a way that may pass: try again later.
    case retryable(reason: String)
    /// The receiver refused the event, or it cannot be sent: drop it.
    case discarded(reason: String)
    /// Like ``retryable(reason:)``, but the receiver said when to come back (`Retry-After` on a 429, 503 or any
    /// other retryable answer): the next attempt waits at least that many seconds.
    case retryableAfter(reason: String, seconds: Double)

    /// Classifies an HTTP status code.
    ///
    /// - Parameters:
    ///   - status: The answer's status.
    ///   - retryAfter: The answer's `Retry-After`, in seconds, when it had one; honoured only for answers that are
    ///     retried anyway (a `Retry-After` on a 400 does not make it retryable).
    public static func classify(status: Int, retryAfter: Double? = nil) -> DeliveryOutcome {
        let outcome = classify(status: status)
        if case .retryable(let reason) = outcome, let retryAfter, retryAfter.isFinite, retryAfter > 0 {
            return .retryableAfter(reason: reason, seconds: retryAfter)
        }
        return outcome
    }

    private static func classify(status: Int) -> DeliveryOutcome {
        switch status {
        case 200...299: .success(status: status)
        case 429: .retryable(reason: "HTTP 429 (rate limited)")
        case 408: .retryable(reason: "HTTP 408 (request timeout)")
        case 500...599: .retryable(reason: "HTTP \(status)")
        case 300...399: .discarded(reason: "HTTP \(status) (redirects are not followed)")
        case 100...199, 400...499: .discarded(reason: "HTTP \(status)")
        default: .retryable(reason: "invalid HTTP status \(status)")
        }
    }

    /// The attempt timed out (connecting, or waiting for the response).
    public static let timedOut = DeliveryOutcome.retryable(reason: "timed out")

    /// The connection could not be made or broke.
    /// - Parameter detail: A short kind, e.g. `connection refused`; never a payload.
    public static func connectionFailed(_ detail: String) -> DeliveryOutcome {
        .retryable(reason: "connection failed: \(detail)")
    }

    /// The subscription's or destination's settings cannot make a request for this event.
    /// - Parameter detail: What is wrong, e.g. `url is required`; never a setting's value.
    public static func invalidSettings(_ detail: String) -> DeliveryOutcome {
        .discarded(reason: "invalid settings: \(detail)")
    }

    /// Whether the receiver took the event.
    public var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    /// Whether the event should be tried again (while its window lasts).
    public var isRetryable: Bool {
        switch self {
        case .retryable, .retryableAfter: true
        case .success, .discarded: false
        }
    }

    /// The short reason for logs: `HTTP 200`, `HTTP 503`, `timed out`, ….
    public var reason: String {
        switch self {
        case .success(let status): "HTTP \(status)"
        case .retryable(let reason), .discarded(let reason), .retryableAfter(let reason, _): reason
        }
    }
}
