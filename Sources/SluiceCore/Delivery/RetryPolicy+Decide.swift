import Foundation

/// What a worker does with an event after an attempt: how to count it, and when to try again.
public struct DeliveryDecision: Sendable, Equatable {
    /// How the attempt is recorded in ``DeliveryCounters``.
    public var disposition: DeliveryCounters.Disposition
    /// When to attempt again; set only when ``disposition`` is ``DeliveryCounters/Disposition/retried``.
    public var nextAttemptAt: Date?

    /// Creates a decision.
    public init(disposition: DeliveryCounters.Disposition, nextAttemptAt: Date? = nil) {
        self.disposition = disposition
        self.nextAttemptAt = nextAttemptAt
    }
}

extension RetryPolicy {
    /// The longest `Retry-After` honoured, in seconds (a day); a longer one waits this long.
    public static let maxRetryAfter: Double = 86_400

    /// Decides what becomes of an event after an attempt.
    ///
    /// A success is `succeeded`; a discard is `discarded`; a retryable failure is `retried` with the time of the
    /// next attempt, or `expired` when ``nextAttempt(afterAttempt:receivedAt:now:using:)`` finds none inside the
    /// window. A retryable failure with the receiver's `Retry-After` waits at least that long (at most
    /// ``maxRetryAfter``), and expires now when that wait ends past the window.
    /// - Parameters:
    ///   - outcome: The attempt's outcome.
    ///   - attempt: Which attempt it was, from 1.
    ///   - receivedAt: The event's `receivedAt`.
    ///   - now: When the attempt ended.
    ///   - generator: The source of randomness for the backoff.
    public func decide(
        _ outcome: DeliveryOutcome,
        attempt: Int,
        receivedAt: Date,
        now: Date,
        using generator: inout some RandomNumberGenerator
    ) -> DeliveryDecision {
        switch outcome {
        case .success:
            return DeliveryDecision(disposition: .succeeded)
        case .discarded:
            return DeliveryDecision(disposition: .discarded)
        case .retryable:
            guard let next = nextAttempt(afterAttempt: attempt, receivedAt: receivedAt, now: now, using: &generator) else {
                return DeliveryDecision(disposition: .expired)
            }
            return DeliveryDecision(disposition: .retried, nextAttemptAt: next)
        case .retryableAfter(_, let seconds):
            // The receiver's wait, when longer than the backoff's; past the window, the event expires now.
            guard let backoff = nextAttempt(afterAttempt: attempt, receivedAt: receivedAt, now: now, using: &generator) else {
                return DeliveryDecision(disposition: .expired)
            }
            let asked = now.addingTimeInterval(min(seconds, Self.maxRetryAfter))
            let next = max(backoff, asked)
            guard next < deadline(receivedAt: receivedAt) else { return DeliveryDecision(disposition: .expired) }
            return DeliveryDecision(disposition: .retried, nextAttemptAt: next)
        }
    }
}
