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
/// such as the event writer or the router would wait for it for ever. A timer checks twice a second; calls take
/// milliseconds, so it wakes only for a slow one.
struct CallDeadline: Sendable {
    /// How long a call waits for a connection.
    let acquireTimeout: Duration
    /// How long a whole call may take once it has a connection.
    let callTimeout: Duration
    let logger: Logger

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
                let timer = Task {
                    // Calls take milliseconds: this wakes only for a slow one, twice a second.
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
                call.onFinish { timer.cancel() }
                call.onCancel { work.cancel() }
            }
        } onCancel: {
            call.cancel()
        }
    }

    /// One call's continuation, resumed exactly once: by the call's result, its deadline or its cancellation.
    final class PendingCall<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var finished = false
            var connection: PostgresConnection?
            var cancelled = false
            var onFinish: (@Sendable () -> Void)?
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

        /// Runs `action` once the call is finished (at once if it is).
        func onFinish(_ action: @escaping @Sendable () -> Void) {
            let finished = state.withLock { state in
                if !state.finished { state.onFinish = action }
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
            let taken = state.withLock { state -> (CheckedContinuation<T, any Error>, (@Sendable () -> Void)?)? in
                guard !state.finished, let continuation = state.continuation else { return nil }
                state.finished = true
                state.continuation = nil
                let action = state.onFinish
                state.onFinish = nil
                state.onCancel = nil
                state.connection = nil
                return (continuation, action)
            }
            guard let (continuation, action) = taken else { return false }
            continuation.resume(with: result)
            action?()
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
