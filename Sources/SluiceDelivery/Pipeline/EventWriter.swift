import Foundation
import SluiceCore
import Synchronization

/// Commits accepted events to the store, many requests' events in one transaction (group commit).
///
/// Each caller of ``append(_:)`` returns once its events are committed, or with the store's
/// error, and nothing of its events is kept then. While one transaction is being written, the
/// events of other requests gather and go in the next one, so a busy server commits in large
/// batches without any request waiting for a timer.
public final class EventWriter: Sendable {
    private struct Waiting {
        var events: [IncomingEvent]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var writing = false
    }

    private let store: any DeliveryQueue
    private let state = Mutex(State())
    private let routed: PipelineSignal

    /// - Parameters:
    ///   - store: where events are committed.
    ///   - routed: notified after each commit, so the router looks at once.
    public init(store: any DeliveryQueue, notify routed: PipelineSignal) {
        self.store = store
        self.routed = routed
    }

    /// Commits `events`; returns when they are durable.
    ///
    /// - Throws: the store's error (``StoreError/unavailable(_:)`` when it cannot write).
    public func append(_ events: [IncomingEvent]) async throws {
        guard !events.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let lead = state.withLock { state -> Bool in
                state.waiting.append(Waiting(events: events, continuation: continuation))
                if state.writing { return false }
                state.writing = true
                return true
            }
            if lead { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let batch = state.waiting
                state.waiting = []
                if batch.isEmpty { state.writing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                try await store.appendEvents(batch.flatMap(\.events))
                for waiting in batch { waiting.continuation.resume() }
                routed.notify()
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
