import Foundation

/// What happened to deliveries for one source, one destination and one minute: the record behind the delivery
/// metrics summary.
///
/// Each event delivered to a destination ends exactly once as a success (first attempt or after retries), a
/// discard or an expiry; ``retried`` counts the failed attempts that were followed by another. The minute is the
/// minute in which the attempt (or the expiry) happened, from ``epochMinute(of:)``.
///
/// Latencies are measured from the event's `receivedAt` (ingest): ``timeToFirstAttempt`` when its first attempt
/// finishes, whatever its outcome; ``timeToSuccess`` when an attempt succeeds. Counters of several minutes add
/// up with ``merge(_:)``.
public struct DeliveryCounters: Sendable, Equatable {
    /// Events delivered on their first attempt.
    public var successesOnFirstAttempt: Int64 = 0
    /// Events delivered after one or more retries.
    public var successesAfterRetry: Int64 = 0
    /// Events whose retry window ran out before a success.
    public var expired: Int64 = 0
    /// Events the receiver refused (other 4xx) or that could not be sent.
    public var discarded: Int64 = 0
    /// Attempts that failed in a retryable way and were scheduled again.
    public var retried: Int64 = 0
    /// Milliseconds from ingest to the successful attempt's end.
    public var timeToSuccess = LatencyHistogram()
    /// Milliseconds from ingest to the first attempt's end.
    public var timeToFirstAttempt = LatencyHistogram()

    /// Creates empty counters.
    public init() {}

    /// Creates counters with the given values (from a store row).
    public init(
        successesOnFirstAttempt: Int64,
        successesAfterRetry: Int64,
        expired: Int64,
        discarded: Int64,
        retried: Int64,
        timeToSuccess: LatencyHistogram = LatencyHistogram(),
        timeToFirstAttempt: LatencyHistogram = LatencyHistogram()
    ) {
        self.successesOnFirstAttempt = successesOnFirstAttempt
        self.successesAfterRetry = successesAfterRetry
        self.expired = expired
        self.discarded = discarded
        self.retried = retried
        self.timeToSuccess = timeToSuccess
        self.timeToFirstAttempt = timeToFirstAttempt
    }

    /// What became of an event after an attempt (or without one, for an expiry).
    public enum Disposition: Sendable, Equatable {
        /// The attempt succeeded.
        case succeeded
        /// The attempt failed retryably and another is scheduled.
        case retried
        /// The attempt was refused for good, or the event could not be sent.
        case discarded
        /// The window ran out: after a failed attempt, or before one could be made.
        case expired
    }

    /// Whether nothing was recorded.
    public var isEmpty: Bool { self == DeliveryCounters() }

    /// All successes.
    public var successes: Int64 { successesOnFirstAttempt + successesAfterRetry }

    /// Records what became of one event after one attempt.
    /// - Parameters:
    ///   - disposition: What became of it.
    ///   - attempt: Which attempt this was, from 1; 0 for an expiry without an attempt.
    ///   - receivedAt: The event's `receivedAt` (ingest).
    ///   - finishedAt: When the attempt ended (or the expiry was noticed).
    public mutating func record(_ disposition: Disposition, attempt: Int, receivedAt: Date, finishedAt: Date) {
        let latency = Self.milliseconds(from: receivedAt, to: finishedAt)
        if attempt == 1 { timeToFirstAttempt.record(milliseconds: latency) }
        switch disposition {
        case .succeeded:
            if attempt <= 1 { successesOnFirstAttempt += 1 } else { successesAfterRetry += 1 }
            timeToSuccess.record(milliseconds: latency)
        case .retried:
            retried += 1
        case .discarded:
            discarded += 1
        case .expired:
            expired += 1
        }
    }

    /// Adds another record's counts to these.
    public mutating func merge(_ other: DeliveryCounters) {
        successesOnFirstAttempt += other.successesOnFirstAttempt
        successesAfterRetry += other.successesAfterRetry
        expired += other.expired
        discarded += other.discarded
        retried += other.retried
        timeToSuccess.merge(other.timeToSuccess)
        timeToFirstAttempt.merge(other.timeToFirstAttempt)
    }

    /// The sum of several records.
    public static func merged(_ records: some Sequence<DeliveryCounters>) -> DeliveryCounters {
        records.reduce(into: DeliveryCounters()) { $0.merge($1) }
    }

    /// The minute a time falls in, counted from 1970-01-01T00:00Z: the key of a record.
    public static func epochMinute(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / 60).rounded(.down))
    }

    /// Whole milliseconds from `start` to `end`, 0 when `end` is earlier.
    static func milliseconds(from start: Date, to end: Date) -> Int64 {
        let interval = end.timeIntervalSince(start) * 1000
        guard interval.isFinite, interval > 0 else { return 0 }
        return interval >= Double(Int64.max) ? Int64.max : Int64(interval.rounded())
    }
}
