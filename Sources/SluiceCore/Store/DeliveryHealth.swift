import Foundation

/// What stands between a destination and its next delivery, beside its jobs' own retry times (issue 17): a pause, a
/// rate limit, a vendor's `Retry-After`, and the circuit breaker of a destination whose every attempt has failed for a
/// while. Shared by every process on one database.
public struct DestinationDeliveryState: Sendable, Equatable {
    public var destinationID: String
    /// When delivery was paused (`POST …/delivery/pause`), or `nil`.
    public var pausedAt: Date?
    /// The most events a second its workers send, across every process, or `nil` for no limit.
    public var rateLimit: Double?
    /// No attempt starts before this time: a vendor's `Retry-After`, the rate limit, or the next probe of a failing
    /// destination. `nil` when nothing holds it.
    public var heldUntil: Date?
    /// The start of the current run of failed attempts (none succeeded since), or `nil`.
    public var failingFrom: Date?
    /// When the destination was marked failing (its deliveries wait, bar one probe at a time), or `nil`.
    public var failingSince: Date?

    public init(
        destinationID: String, pausedAt: Date? = nil, rateLimit: Double? = nil, heldUntil: Date? = nil, failingFrom: Date? = nil,
        failingSince: Date? = nil
    ) {
        self.destinationID = destinationID
        self.pausedAt = pausedAt
        self.rateLimit = rateLimit
        self.heldUntil = heldUntil
        self.failingFrom = failingFrom
        self.failingSince = failingSince
    }

    /// The largest rate limit accepted, in events a second.
    public static let maximumRateLimit = 1_000_000.0
}

/// What one batch of attempts showed about one destination.
public struct DestinationAttempts: Sendable, Equatable {
    public var destinationID: String
    /// Attempts the vendor took.
    public var succeeded: Int
    /// Attempts made that did not deliver (refused, failed, timed out): expiries without an attempt are not counted.
    public var failed: Int
    /// When the batch started.
    public var startedAt: Date
    /// When the batch ended.
    public var finishedAt: Date
    /// The latest time a `Retry-After` of the batch asked the destination to wait until, or `nil`.
    public var retryAfterUntil: Date?

    public init(destinationID: String, succeeded: Int, failed: Int, startedAt: Date, finishedAt: Date, retryAfterUntil: Date? = nil) {
        self.destinationID = destinationID
        self.succeeded = succeeded
        self.failed = failed
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.retryAfterUntil = retryAfterUntil
    }
}

/// A destination marked failing, or back from failing.
public struct DeliveryHealthChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Every attempt failed for the breaker's time: deliveries wait, bar one probe at a time.
        case markedFailing
        /// A probe (or any attempt) succeeded: deliveries go on.
        case recovered
    }

    public var destinationID: String
    public var kind: Kind
    public var at: Date

    public init(destinationID: String, kind: Kind, at: Date) {
        self.destinationID = destinationID
        self.kind = kind
        self.at = at
    }
}

/// When a destination is marked failing, and how often a failing one is probed (issue 17).
public struct BreakerSettings: Sendable, Equatable {
    /// How long every attempt must fail (`--failing-after`, default 30 minutes).
    public var failingAfter: Duration
    /// How long a failing destination waits between probes (`--probe-interval`, default 1 minute).
    public var probeInterval: Duration

    public init(failingAfter: Duration = .seconds(30 * 60), probeInterval: Duration = .seconds(60)) {
        self.failingAfter = failingAfter
        self.probeInterval = probeInterval
    }
}

/// The attempts of a batch, and how the store is to read them (``DeliveryQueue/complete(_:metrics:log:health:)``).
public struct DeliveryHealthReport: Sendable {
    public var destinations: [DestinationAttempts]
    public var breaker: BreakerSettings
    /// The destinations' names, for their audit events.
    public var names: [String: String]

    public init(destinations: [DestinationAttempts], breaker: BreakerSettings, names: [String: String] = [:]) {
        self.destinations = destinations
        self.breaker = breaker
        self.names = names
    }

    /// No attempts to read.
    public static let none = DeliveryHealthReport(destinations: [], breaker: BreakerSettings())

    /// The actor of the audit events the breaker records.
    public static let auditActor = "sluice/delivery"

    /// The audit event of a change, recorded in the transaction that makes it.
    public func audit(_ change: DeliveryHealthChange) -> AuditEvent {
        AuditEvent(
            timestamp: change.at, type: change.kind == .markedFailing ? AuditEventType.deliveryFailing : AuditEventType.deliveryRecovered,
            actor: Self.auditActor, resourceID: change.destinationID, resourceType: "destination", resourceName: names[change.destinationID] ?? "")
    }

    /// A destination's stored health, in epoch milliseconds as the stores keep it.
    public struct Health: Sendable, Equatable {
        public var holdUntil: Int64
        public var failingFrom: Int64?
        public var failingSince: Int64?

        public init(holdUntil: Int64 = 0, failingFrom: Int64? = nil, failingSince: Int64? = nil) {
            self.holdUntil = holdUntil
            self.failingFrom = failingFrom
            self.failingSince = failingSince
        }
    }

    /// A destination's health after a batch's attempts, and the change it makes, if any.
    ///
    /// - A `Retry-After` holds the whole destination until then (at most ``RetryPolicy/maxRetryAfter``), not only the
    ///   job it answered.
    /// - Any success ends the run of failures; a failing destination recovers.
    /// - Failures only: the run starts (or goes on); once it has lasted ``BreakerSettings/failingAfter`` the destination is marked
    ///   failing and held for ``BreakerSettings/probeInterval``. A failing destination's failed probe holds it for another interval.
    /// - A failing destination's batch with no attempt (its jobs expired on pickup) frees the next probe at once.
    public func apply(_ attempts: DestinationAttempts, to health: Health) -> (Health, DeliveryHealthChange.Kind?) {
        var next = health
        let at = Self.millis(attempts.finishedAt)
        let asked = attempts.retryAfterUntil.map {
            min(Self.millis($0), at + RetryPolicy.milliseconds(.seconds(RetryPolicy.maxRetryAfter)))
        }
        if attempts.succeeded > 0 {
            next.failingFrom = nil
            if health.failingSince != nil {
                next.failingSince = nil
                next.holdUntil = asked ?? 0
                return (next, .recovered)
            }
            if let asked { next.holdUntil = max(next.holdUntil, asked) }
            return (next, nil)
        }
        if attempts.failed > 0 {
            let from = health.failingFrom ?? Self.millis(attempts.startedAt)
            next.failingFrom = from
            let probe = at + RetryPolicy.milliseconds(breaker.probeInterval)
            if health.failingSince != nil {
                next.holdUntil = max(probe, asked ?? 0)
                return (next, nil)
            }
            if let asked { next.holdUntil = max(next.holdUntil, asked) }
            if at - from >= RetryPolicy.milliseconds(breaker.failingAfter) {
                next.failingSince = at
                next.holdUntil = max(next.holdUntil, probe)
                return (next, .markedFailing)
            }
            return (next, nil)
        }
        if health.failingSince != nil { next.holdUntil = 0 }
        return (next, nil)
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}

/// A destination's token bucket: at most `rate` events a second, in bursts of up to a second's worth (at least one).
public struct RateBucket: Sendable, Equatable {
    public var rate: Double
    public var tokens: Double
    /// When `tokens` was counted, in epoch milliseconds.
    public var at: Int64

    public init(rate: Double, tokens: Double, at: Int64) {
        self.rate = rate
        self.tokens = tokens
        self.at = at
    }

    /// The most tokens the bucket holds.
    public var burst: Double { max(1, rate) }

    /// The bucket at `now`, refilled.
    public func refilled(at now: Int64) -> RateBucket {
        let elapsed = Double(max(0, now - at)) / 1000
        return RateBucket(rate: rate, tokens: min(burst, tokens + elapsed * rate), at: max(now, at))
    }

    /// How many events may go now.
    public var allowance: Int { tokens >= 1 ? Int(tokens.rounded(.down)) : 0 }

    /// The bucket after `count` events went, and when the next may (0 when one may go now).
    public func taking(_ count: Int) -> (bucket: RateBucket, holdUntil: Int64) {
        var next = self
        next.tokens -= Double(count)
        guard next.tokens < 1 else { return (next, 0) }
        return (next, at + Int64(((1 - next.tokens) / rate * 1000).rounded(.up)))
    }
}
