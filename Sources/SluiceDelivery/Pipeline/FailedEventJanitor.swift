import Foundation
import Logging
import ServiceLifecycle
import SluiceCore

/// Forgets failed events older than the retention (`--failed-event-retention`, 7 days by default): once at start, then
/// every minute. A failure is logged and tried again a minute later; nothing else waits on it.
public struct FailedEventJanitor: Service {
    let store: any Store
    let retention: Duration
    let interval: Duration
    let logger: Logger
    let now: @Sendable () -> Date

    public init(
        store: any Store, retention: Duration, interval: Duration = .seconds(60), logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pruneOnce()
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Deletes what the retention no longer keeps; returns how many.
    @discardableResult
    public func pruneOnce() async -> Int {
        let seconds = Double(retention.components.seconds) + Double(retention.components.attoseconds) / 1e18
        do {
            let removed = try await store.deleteFailedEvents(before: now().addingTimeInterval(-seconds))
            if removed > 0 { logger.info("forgot failed events past their retention", metadata: ["count": "\(removed)"]) }
            return removed
        } catch {
            logger.error("could not forget old failed events; trying again later", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
