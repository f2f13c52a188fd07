import Logging
import ServiceLifecycle
import SluiceCore
import Synchronization

/// Back-pressure on ingest (issue 20): how many committed events wait to be routed, so that the Tracking API can
/// refuse more (503 with `Retry-After`) while that passes `--max-routing-backlog`, instead of letting the queue grow
/// without bound when events come faster than routing takes them.
///
/// The depth is read from the store every ``interval`` (``DeliveryQueue/pendingEventSpan()``: two index reads at any
/// depth, and every process's events on a shared database), and the events this process accepts in between are added
/// to it, so that a burst between two reads counts at once. Ingest asks ``isFull``, which touches no store.
public final class RoutingBacklog: Service, Sendable {
    /// The depth at which ingest is refused, or `nil` for no bound (then the service need not run).
    public let limit: Int?
    let store: any Store
    let interval: Duration
    let logger: Logger
    private let depth = Atomic<Int>(0)
    /// Whether the last read found the backlog at its bound (logged when it changes).
    private let wasFull = Atomic<Bool>(false)

    public init(store: any Store, limit: Int?, interval: Duration = .milliseconds(200), logger: Logger) {
        self.store = store
        self.limit = limit
        self.interval = interval
        self.logger = logger
    }

    /// The events waiting to be routed, as last read plus what this process accepted since.
    public var pending: Int { depth.load(ordering: .relaxed) }

    /// Whether ingest is to be refused now.
    public var isFull: Bool {
        guard let limit else { return false }
        return pending >= limit
    }

    /// Counts events this process accepted since the last read.
    public func add(_ count: Int) {
        guard limit != nil else { return }
        depth.add(count, ordering: .relaxed)
    }

    /// Reads the depth from the store. A failed read keeps the last value (logged at debug: the store's own errors
    /// are answered to the requests that meet them).
    public func refresh() async {
        do {
            depth.store(try await store.pendingEventSpan(), ordering: .relaxed)
        } catch {
            logger.debug("could not read the routing backlog; keeping the last value", metadata: ["error": "\(error)"])
            return
        }
        let full = isFull
        guard wasFull.exchange(full, ordering: .relaxed) != full, let limit else { return }
        if full {
            logger.warning(
                "routing is behind: ingest answers 503 until the events waiting to be routed fall below --max-routing-backlog",
                metadata: ["pending": "\(pending)", "limit": "\(limit)"])
        } else {
            logger.notice("routing caught up: ingest accepts events again", metadata: ["pending": "\(pending)", "limit": "\(limit)"])
        }
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.refresh()
                // Cancelled at shutdown: the loop ends and the service returns (a thrown CancellationError would
                // make `sluice serve` exit 1 on SIGTERM).
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}
