import Logging
import PostgresNIO
import SluiceCore
import Synchronization

/// Runs one store call on a pooled connection and gives up on it at a deadline.
///
/// The call runs in a task of its own that the caller stops waiting for: when no connection comes within
/// ``acquireTimeout`` (the database cannot be reached), when the connection it runs on is closed under it, or when
/// the whole call has not finished within ``callTimeout``. Each ends the call as ``StoreError/unavailable(_:)`` (the
/// API answers 503) and cancels its task. Without it, a statement sent on a connection that PostgreSQL is closing at
/// that moment may never be answered (seen with PostgresNIO 1.33 when the server shuts down under load), and a caller
/// such as the event writer or the router would wait for it for ever.
///
/// A call's timer checks twice a second. Calls take milliseconds, so a call gets its timer only when it is still under
/// way at a tick of ``SlowCalls``, the store's one clock for all its calls. A timer for every call (a task, a sleep, and
/// waking the task to cancel it) cost about a fifth of a `GET`'s CPU on PostgreSQL (BENCHMARKS.md). A call's limits
/// count from its timer's start, about half a second at most after the call's: the calls get a little longer than they
/// did when each timer started with its call, never less.
struct CallDeadline: Sendable {
    /// How long a call waits for a connection.
    let acquireTimeout: Duration
    /// How long a whole call may take once it has a connection.
    let callTimeout: Duration
    let logger: Logger
    /// The calls under way that have no timer yet.
    let slowCalls = SlowCalls()

    /// Runs `body` on a connection of `client`; errors of the driver go through `translate`, and a caller's own
    /// error (``PostgresStore/CallerError``) is passed on unwrapped.
    func run<T: Sendable>(
        on client: PostgresClient, translate: @escaping @Sendable (any Error) -> any Error,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let call = PendingCall<T>()
        let (acquireTimeout, callTimeout, logger) = (self.acquireTimeout, self.callTimeout, self.logger)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                call.start(continuation)
                let work = Task {
                    do {
                        let value = try await client.withConnection { connection in
                            call.acquired(connection)
                            guard !connection.isClosed else { throw StoreError.unavailable("The database connection was lost") }
                            return try await body(connection)
                        }
                        call.finish(.success(value))
                    } catch let error as PostgresStore.CallerError {
                        call.finish(.failure(error.error))
                    } catch {
                        call.finish(.failure(translate(error)))
                    }
                }
                let watched = slowCalls.watch {
                    let timer = Task {
                        try await Self.time(call, work: work, acquireTimeout: acquireTimeout, callTimeout: callTimeout, logger: logger)
                    }
                    call.onFinish { timer.cancel() }
                }
                call.onFinish { slowCalls.forget(watched) }
                call.onCancel { work.cancel() }
            }
        } onCancel: {
            call.cancel()
        }
    }

    /// A slow call's timer: twice a second, gives the call up when it has waited ``acquireTimeout`` for a connection,
    /// when its connection is closed, or when it has run ``callTimeout``. Ends when the call does.
    private static func time<T: Sendable>(
        _ call: PendingCall<T>, work: Task<Void, Never>, acquireTimeout: Duration, callTimeout: Duration, logger: Logger
    ) async throws {
        let started = ContinuousClock.now
        while true {
            try await Task.sleep(for: .milliseconds(500))
            let waited = ContinuousClock.now - started
            let failure: StoreError
            if let connection = call.connection {
                if connection.isClosed {
                    failure = .unavailable("The database connection was lost")
                } else if waited >= callTimeout {
                    failure = .unavailable("The database did not answer in time")
                } else {
                    continue
                }
            } else if waited >= acquireTimeout {
                failure = .unavailable("The database cannot be reached right now")
            } else {
                continue
            }
            if call.finish(.failure(failure)) {
                logger.error("a PostgreSQL call was given up", metadata: ["reason": "\(failure)"])
                work.cancel()
            }
            return
        }
    }

    /// One call's continuation, resumed exactly once: by the call's result, its deadline or its cancellation.
    final class PendingCall<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var finished = false
            var connection: PostgresConnection?
            var cancelled = false
            var onFinish: [@Sendable () -> Void] = []
            var onCancel: (@Sendable () -> Void)?
        }

        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            let cancelled = state.withLock { state in
                state.continuation = continuation
                return state.cancelled
            }
            if cancelled { finish(.failure(CancellationError())) }
        }

        func acquired(_ connection: PostgresConnection) { state.withLock { $0.connection = connection } }
        /// The connection the call runs on, once it has one.
        var connection: PostgresConnection? { state.withLock { $0.connection } }

        /// Runs `action` once the call is finished (at once if it is), after the actions given before it.
        func onFinish(_ action: @escaping @Sendable () -> Void) {
            let finished = state.withLock { state in
                if !state.finished { state.onFinish.append(action) }
                return state.finished
            }
            if finished { action() }
        }

        /// Runs `action` if the caller is cancelled (at once if it was).
        func onCancel(_ action: @escaping @Sendable () -> Void) {
            let cancelled = state.withLock { state in
                if !state.cancelled { state.onCancel = action }
                return state.cancelled
            }
            if cancelled { action() }
        }

        /// Resumes the caller unless it was resumed already; returns whether this call did.
        @discardableResult
        func finish(_ result: Result<T, any Error>) -> Bool {
            let taken = state.withLock { state -> (CheckedContinuation<T, any Error>, [@Sendable () -> Void])? in
                guard !state.finished, let continuation = state.continuation else { return nil }
                state.finished = true
                state.continuation = nil
                let actions = state.onFinish
                state.onFinish = []
                state.onCancel = nil
                state.connection = nil
                return (continuation, actions)
            }
            guard let (continuation, actions) = taken else { return false }
            continuation.resume(with: result)
            for action in actions { action() }
            return true
        }

        func cancel() {
            let action = state.withLock { state -> (@Sendable () -> Void)? in
                state.cancelled = true
                return state.onCancel
            }
            action?()
            finish(.failure(CancellationError()))
        }
    }
}

/// The calls of a store that are under way and have no timer yet, and the one clock that starts their timers: twice a
/// second it starts a timer for each call still under way, and forgets it. The clock runs while calls are under way,
/// and stops at a tick that finds none.
final class SlowCalls: Sendable {
    private struct State {
        var next: UInt64 = 0
        /// Each call's timer, not yet started, by the call's number.
        var waiting: [UInt64: @Sendable () -> Void] = [:]
        var ticking = false
    }

    private let state = Mutex(State())

    /// Watches a call: `startTimer` runs at the first tick that finds it still under way, unless ``forget(_:)`` comes
    /// first. Returns the call's number for ``forget(_:)``.
    func watch(_ startTimer: @escaping @Sendable () -> Void) -> UInt64 {
        let (number, startClock) = state.withLock { state in
            let number = state.next
            state.next &+= 1
            state.waiting[number] = startTimer
            let wasTicking = state.ticking
            state.ticking = true
            return (number, !wasTicking)
        }
        // A task of its own, which nothing cancels: it ends at a tick that finds no call.
        if startClock { Task { await self.tick() } }
        return number
    }

    /// Forgets a call that is over.
    func forget(_ number: UInt64) {
        _ = state.withLock { $0.waiting.removeValue(forKey: number) }
    }

    /// The number of calls watched and not yet timed or forgotten (for tests).
    var count: Int { state.withLock { $0.waiting.count } }

    private func tick() async {
        while true {
            try? await Task.sleep(for: .milliseconds(500))
            let due = state.withLock { state -> [@Sendable () -> Void]? in
                guard !state.waiting.isEmpty else {
                    state.ticking = false
                    return nil
                }
                defer { state.waiting.removeAll(keepingCapacity: true) }
                return Array(state.waiting.values)
            }
            guard let due else { return }
            for startTimer in due { startTimer() }
        }
    }
}
