import ServiceLifecycle
import Synchronization

/// Wakes the waiting loops of a pipeline stage when there is new work, without losing a wake-up.
///
/// `notify()` may be called any number of times; a waiter returns at once if a notification
/// arrived since the last one was consumed, else when one arrives, when `timeout` passes, when
/// its task is cancelled, or when graceful shutdown begins (inside a `ServiceGroup`), so that an
/// idle loop does not hold up its service's shutdown. Any number of loops may wait at once; a
/// notification wakes them all.
public final class PipelineSignal: Sendable {
    private struct State {
        var pending = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waits ended (cancelled, or their service shutting down) before they had begun to wait.
        var ended: Set<Int> = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Records that there is work, waking every waiter.
    public func notify() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.waiters.isEmpty {
                state.pending = true
                return []
            }
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits for a notification, at most `timeout`; returns sooner when its task is cancelled or graceful shutdown begins.
    public func wait(timeout: Duration) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withGracefulShutdownHandler {
                    await withTaskCancellationHandler {
                        await withCheckedContinuation { continuation in
                            let resumeNow = self.state.withLock { state -> Bool in
                                let ended = state.ended.remove(id) != nil
                                if ended || state.pending || Task.isCancelled {
                                    state.pending = false
                                    return true
                                }
                                state.waiters[id] = continuation
                                return false
                            }
                            if resumeNow { continuation.resume() }
                        }
                    } onCancel: {
                        self.end(id)
                    }
                } onGracefulShutdown: {
                    self.end(id)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
            }
            await group.next()
            group.cancelAll()
        }
        // Both handlers are gone now; one may have ended the wait after it had returned.
        state.withLock { _ = $0.ended.remove(id) }
    }

    /// Resumes one waiter if it is waiting, or has it return at once when it begins to.
    private func end(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            state.ended.insert(id)
            return nil
        }
        waiter?.resume()
    }
}

/// Sleeps for `duration`, or less when its task is cancelled or graceful shutdown begins: a loop's wait after a failure
/// must not hold up its service's shutdown either.
func waitBeforeRetrying(_ duration: Duration) async {
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}
