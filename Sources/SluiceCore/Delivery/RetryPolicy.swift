import Foundation

/// When a failed delivery is tried again, and when it stops being tried.
///
/// Segment retries failed deliveries for four hours with randomized exponential backoff; an event still
/// undelivered then has expired. Sluice does the same with:
/// - a **window** (default 4 hours) counted from the event's `receivedAt`;
/// - a **ceiling** for the wait after attempt *n*: `initialDelay × multiplier^(n-1)`, capped at `maxDelay`
///   (defaults: 1 s doubling to 10 minutes: 1, 2, 4, …, 512 s, then 600 s);
/// - **equal jitter**: the wait is drawn uniformly from `[ceiling / 2, ceiling]`, in whole milliseconds. Half of
///   the ceiling is always waited, so a struggling receiver is never hammered, and the other half spreads retries
///   of events that failed together.
///
/// With the defaults an event failing every time is tried about 40 times in its four hours (11 attempts in the
/// first 13 minutes or so, then one every 5 to 10 minutes).
public struct RetryPolicy: Sendable, Equatable {
    /// How long after `receivedAt` an event may still be attempted.
    public var window: Duration
    /// The ceiling of the wait after the first attempt.
    public var initialDelay: Duration
    /// How much the ceiling grows with each attempt.
    public var multiplier: Double
    /// The largest ceiling.
    public var maxDelay: Duration

    /// Creates a policy; values below their minimum are raised to it (window and delays 1 ms, multiplier 1).
    /// - Parameters:
    ///   - window: How long after receipt an event may still be attempted (default 4 hours).
    ///   - initialDelay: The ceiling of the first wait (default 1 second).
    ///   - multiplier: The growth of the ceiling per attempt (default 2).
    ///   - maxDelay: The largest ceiling (default 10 minutes).
    public init(
        window: Duration = .seconds(4 * 60 * 60),
        initialDelay: Duration = .seconds(1),
        multiplier: Double = 2,
        maxDelay: Duration = .seconds(10 * 60)
    ) {
        self.window = Swift.max(window, .milliseconds(1))
        self.initialDelay = Swift.max(initialDelay, .milliseconds(1))
        self.multiplier = multiplier.isFinite ? Swift.max(multiplier, 1) : 1
        self.maxDelay = Swift.max(maxDelay, self.initialDelay)
    }

    /// The default policy: four hours, 1 s doubling to 10 minutes.
    public static let standard = RetryPolicy()

    /// The longest wait after attempt `attempt` (counted from 1): `initialDelay × multiplier^(attempt-1)`,
    /// capped at ``maxDelay``. Never decreases as `attempt` grows.
    /// - Parameter attempt: How many attempts have been made; values below 1 count as 1.
    /// - Returns: The ceiling, in whole milliseconds.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let cap = Self.milliseconds(maxDelay)
        let exponent = Double(Swift.max(attempt, 1) - 1)
        let grown = Double(Self.milliseconds(initialDelay)) * pow(multiplier, exponent)
        let ms = grown.isFinite && grown < Double(cap) ? Int64(grown.rounded(.down)) : cap
        return .milliseconds(Swift.max(ms, 1))
    }

    /// A random wait after attempt `attempt`: uniform in `[ceiling / 2, ceiling]` (equal jitter).
    /// - Parameters:
    ///   - attempt: How many attempts have been made (1 after the first failure).
    ///   - generator: The source of randomness (seeded in tests).
    /// - Returns: The wait, in whole milliseconds.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = Self.milliseconds(ceiling(afterAttempt: attempt))
        let floor = ceiling / 2
        return .milliseconds(Int64.random(in: floor...ceiling, using: &generator))
    }

    /// When an event received at `receivedAt` stops being attempted.
    public func deadline(receivedAt: Date) -> Date {
        receivedAt.addingTimeInterval(Double(Self.milliseconds(window)) / 1000)
    }

    /// Whether an event received at `receivedAt` has expired at `now`: its window has run out.
    ///
    /// Workers check this before each attempt, so an event whose retry falls due after a long outage expires
    /// without another attempt.
    public func isExpired(receivedAt: Date, now: Date) -> Bool {
        now >= deadline(receivedAt: receivedAt)
    }

    /// When to attempt again after a retryable failure, or `nil` when the event has expired.
    ///
    /// An event whose next attempt would fall at or past its deadline expires now rather than waiting for an
    /// attempt it could not make: every attempt Sluice makes lies inside the window.
    /// - Parameters:
    ///   - attempt: How many attempts have been made.
    ///   - receivedAt: When the event was received.
    ///   - now: The time of the failure.
    ///   - generator: The source of randomness.
    /// - Returns: The time of the next attempt, or `nil` when the event should be recorded as expired.
    public func nextAttempt(
        afterAttempt attempt: Int,
        receivedAt: Date,
        now: Date,
        using generator: inout some RandomNumberGenerator
    ) -> Date? {
        let wait = Double(Self.milliseconds(delay(afterAttempt: attempt, using: &generator))) / 1000
        let next = now.addingTimeInterval(wait)
        return next < deadline(receivedAt: receivedAt) ? next : nil
    }

    /// A duration in whole milliseconds, rounded down.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).partialValue
    }
}
