import Foundation
import Logging
import ServiceLifecycle
import SluiceCore

/// Forgets what the retention settings no longer keep, once at start and then every minute: failed events older than
/// `--failed-event-retention` (7 days by default), and event log entries older than `--event-log-retention` (24 hours)
/// or beyond a destination's newest `--event-log-max-entries` (10,000). A failure is logged and tried again a minute
/// later; nothing else waits on it.
public struct RetentionJanitor: Service {
    let store: any Store
    let failedEventRetention: Duration
    /// The event log's retention; nothing is pruned when the log is off (what an earlier run logged is kept as it is).
    let eventLog: EventLogSettings
    let interval: Duration
    let logger: Logger
    let now: @Sendable () -> Date

    public init(
        store: any Store, failedEventRetention: Duration, eventLog: EventLogSettings, interval: Duration = .seconds(60), logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.failedEventRetention = failedEventRetention
        self.eventLog = eventLog
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pruneOnce()
                // Cancelled at shutdown: the loop ends and the service returns (a thrown CancellationError would
                // make `sluice serve` exit 1 on SIGTERM).
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Deletes what the retention no longer keeps; returns how many failed events and log entries went.
    @discardableResult
    public func pruneOnce() async -> (failedEvents: Int, logEntries: Int) {
        let failed = await prune("failed events") { try await store.deleteFailedEvents(before: cutoff(failedEventRetention)) }
        guard eventLog.enabled else { return (failed, 0) }
        let entries = await prune("event log entries") {
            try await store.pruneDeliveryAttempts(before: cutoff(eventLog.retention), keepPerDestination: eventLog.maxEntriesPerDestination)
        }
        return (failed, entries)
    }

    private func cutoff(_ retention: Duration) -> Date {
        now().addingTimeInterval(-(Double(retention.components.seconds) + Double(retention.components.attoseconds) / 1e18))
    }

    private func prune(_ what: String, _ body: () async throws -> Int) async -> Int {
        do {
            let removed = try await body()
            if removed > 0 { logger.info("forgot \(what) past their retention", metadata: ["count": "\(removed)"]) }
            return removed
        } catch is CancellationError {
            return 0  // the server is stopping: nothing failed, and the next start prunes again
        } catch {
            logger.error("could not forget old \(what); trying again later", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
