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
    /// Decides what becomes of an event after an attempt.
    ///
    /// A success is `succeeded`; a discard is `discarded`; a retryable failure is `retried` with the time of the
    /// next attempt, or `expired` when ``nextAttempt(afterAttempt:receivedAt:now:using:)`` finds none inside the
    /// window.
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
        }
    }
}
