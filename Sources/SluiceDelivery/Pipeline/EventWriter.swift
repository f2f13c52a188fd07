import Foundation
import SluiceCore
import Synchronization

/// Commits accepted events to the store, many requests' events in one transaction (group commit).
///
/// Each caller of ``append(_:)`` returns once its events are committed, or with the store's
/// error, and nothing of its events is kept then. While one transaction is being written, the
/// events of other requests gather and go in the next one, so a busy server commits in large
/// batches without any request waiting for a timer.
///
/// Requests the Tracking API refuses for a known source are counted the same way (``refuse(sourceID:reason:count:at:)``):
/// summed in memory per (source, minute, reason) and written with the next commit, never one write per request.
///
/// With a router, a batch is committed already routed when the router can route it at once
/// (``EventRouter/routeAtIngest(_:)``): its jobs go in, in the same one transaction, instead of events that wait.
public final class EventWriter: Sendable {
    private struct Waiting {
        var events: [IncomingEvent]
        var continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var refused: [SourceEventCount: Int64] = [:]
        var writing = false
    }

    private let store: any IngestQueue
    private let state = Mutex(State())
    private let routed: PipelineSignal
    private let router: EventRouter?

    /// - Parameters:
    ///   - store: where events are committed.
    ///   - routed: notified after each commit of events left to route, so the router looks at once.
    ///   - router: routes events as they are accepted when it can; `nil`: every event is left to route.
    public init(store: any IngestQueue, notify routed: PipelineSignal, router: EventRouter? = nil) {
        self.store = store
        self.routed = routed
        self.router = router
    }

    /// Commits `events`; returns when they are durable: `true` when they were committed routed (as their jobs), `false`
    /// when they wait to be routed.
    ///
    /// - Throws: the store's error (``StoreError/unavailable(_:)`` when it cannot write).
    @discardableResult
    public func append(_ events: [IncomingEvent]) async throws -> Bool {
        guard !events.isEmpty else { return false }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
            let lead = state.withLock { state -> Bool in
                state.waiting.append(Waiting(events: events, continuation: continuation))
                if state.writing { return false }
                state.writing = true
                return true
            }
            if lead { Task { await self.drain() } }
        }
    }

    /// Counts events the Tracking API refused for a source, for the Delivery Overview's failed-on-ingest step; they are
    /// written with the next commit (one is started when none is under way). Counts of a commit that fails are lost,
    /// as the request was answered already.
    /// - Parameters:
    ///   - sourceID: The source whose write key the request carried.
    ///   - reason: The discard reason (``DiscardReason``).
    ///   - count: The events refused (1 for a request whose events cannot be counted).
    ///   - at: When the request was refused.
    public func refuse(sourceID: String, reason: String, count: Int64, at date: Date) {
        let key = SourceEventCount(sourceID: sourceID, minute: DeliveryCounters.epochMinute(of: date), stage: .refused, reason: reason, count: 0)
        let lead = state.withLock { state -> Bool in
            state.refused[key, default: 0] += count
            if state.writing { return false }
            state.writing = true
            return true
        }
        if lead { Task { await self.drain() } }
    }

    private func drain() async {
        while true {
            let (batch, refused) = state.withLock { state -> ([Waiting], [SourceEventCount]) in
                let batch = state.waiting
                let refused = state.refused.map { key, count in
                    var total = key
                    total.count = count
                    return total
                }
                state.waiting = []
                state.refused = [:]
                if batch.isEmpty, refused.isEmpty { state.writing = false }
                return (batch, refused)
            }
            if batch.isEmpty, refused.isEmpty { return }
            do {
                let events = batch.flatMap(\.events)
                let committedRouted = try await commitRouted(events, refused: refused)
                if !committedRouted {
                    if !events.isEmpty { router?.willCommitUnrouted() }
                    try await store.appendEvents(events, refused: refused)
                    if !events.isEmpty { routed.notify() }
                }
                for waiting in batch { waiting.continuation.resume(returning: committedRouted) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// Commits `events` already routed, when the router can route them now; `false` when they are to be committed
    /// unrouted (nothing was written then).
    private func commitRouted(_ events: [IncomingEvent], refused: [SourceEventCount]) async throws -> Bool {
        // A failure to read the routes leaves the events to the router, which tries again on its own.
        guard let router, let routing = try? await router.routeAtIngest(events) else { return false }
        do {
            try await store.appendRoutedEvents(events, routing: routing, refused: refused)
        } catch is RoutesChanged {
            // The routes changed while they were worked out: the router routes these under the new ones.
            return false
        }
        router.didRoute(jobs: routing.jobs, filtered: routing.filtered)
        return true
    }
}
