import Foundation
import Synchronization

/// Fixed-window request counting per token and bucket.
///
/// Segment limits Create, Update and Remove Destination Subscription to 5 requests a minute
/// (NOTES.md); it does not publish its general limit, so Sluice's is a product choice
/// (``general``: 60,000 a minute per token unless `--rate-limit-general` says otherwise), documented in the README.
final class RateLimiter: Sendable {
    /// A counting bucket and its limit per window.
    struct Bucket: Sendable, Hashable {
        let name: String
        let limit: Int
    }

    /// Everything but subscription writes.
    let general: Bucket
    static let subscriptionWrites = Bucket(name: "subscription-writes", limit: 5)

    /// The outcome of counting one request.
    struct Decision: Sendable, Equatable {
        var allowed: Bool
        var consumed: Int
        var remaining: Int
        /// When the window restarts.
        var reset: Date
    }

    private struct Window {
        var start: Date
        var count: Int
    }

    private let windows = Mutex<[String: Window]>([:])
    private let window: TimeInterval
    private let now: @Sendable () -> Date

    init(window: TimeInterval = 60, generalLimit: Int = 60_000, now: @escaping @Sendable () -> Date = { Date() }) {
        self.general = Bucket(name: "general", limit: generalLimit)
        self.window = window
        self.now = now
    }

    /// Counts one request of `key` (a token id) against `bucket`.
    func consume(_ bucket: Bucket, key: String) -> Decision {
        let now = self.now()
        return windows.withLock { windows in
            let id = bucket.name + "/" + key
            var current = windows[id] ?? Window(start: now, count: 0)
            if now.timeIntervalSince(current.start) >= window { current = Window(start: now, count: 0) }
            let reset = current.start.addingTimeInterval(window)
            guard current.count < bucket.limit else {
                windows[id] = current
                return Decision(allowed: false, consumed: current.count, remaining: 0, reset: reset)
            }
            current.count += 1
            windows[id] = current
            if windows.count > 100_000 { windows = windows.filter { now.timeIntervalSince($0.value.start) < window } }
            return Decision(allowed: true, consumed: current.count, remaining: bucket.limit - current.count, reset: reset)
        }
    }

    /// `Sat, 28 Nov 2026 11:21:00 GMT`: RFC 5322 as HTTP writes dates.
    static func httpDate(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format: """
                    \(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \
                    \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT
                    """,
                locale: Locale(identifier: "en_US_POSIX"), timeZone: TimeZone(identifier: "GMT")!, calendar: Calendar(identifier: .gregorian)))
    }
}
