import GRDB
import Synchronization

/// Runs the store's writes many to a transaction: every write waiting when the writer comes free goes in the next
/// transaction, each in a savepoint of its own, and each caller is answered once that transaction is committed (or
/// has failed). With `synchronous = FULL` that is one fsync for all of them instead of one each, and no write waits
/// for a timer: a write that finds the writer idle starts a transaction at once.
///
/// A write that throws rolls back its own savepoint only and gets its own error; the others commit. A transaction
/// SQLite rolls back by itself (a full disk, an I/O error) or a failed commit fails every write of it with that error,
/// and none of them is kept. So each write keeps the meaning it had as a transaction of its own: all of it is committed
/// before its caller returns, or none of it is.
final class GroupCommit: Sendable {
    private let writer: any DatabaseWriter
    private let state = Mutex(State())

    private struct State {
        var waiting: [any PendingWrite] = []
        var writing = false
    }

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// How many writes wait for the next transaction (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Runs `body` in the next transaction and returns its result once that transaction is committed.
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending(body: body, continuation: continuation)
            let lead = state.withLock { state -> Bool in
                state.waiting.append(pending)
                if state.writing { return false }
                state.writing = true
                return true
            }
            if lead { drain() }
        }
    }

    /// Starts the next transaction on the writer's queue with every write waiting now, or marks the writer idle when
    /// none is. Each transaction's completion, on the writer's queue, answers its writes and starts the next one, so a
    /// run of transactions never leaves the queue for a task of its own. The next one is queued behind whatever else
    /// was queued on the writer meanwhile (the router's and the workers' writes), as before.
    private func drain() {
        let batch = state.withLock { state -> [any PendingWrite] in
            let batch = state.waiting
            state.waiting = []
            if batch.isEmpty { state.writing = false }
            return batch
        }
        if batch.isEmpty { return }
        writer.asyncWrite(
            { db in
                let alone = batch.count == 1
                for pending in batch {
                    pending.run(db, inSavepoint: !alone)
                    // A write alone in its transaction needs no savepoint: its error rolls the transaction back.
                    if alone, let failure = pending.failure { throw failure }
                    // SQLite ends the transaction itself on some errors (SQLITE_FULL, SQLITE_IOERR, ...): the
                    // writes before are gone, and the ones after must not run outside a transaction.
                    guard db.isInsideTransaction else { throw pending.failure ?? GroupCommitError.rolledBack }
                }
            },
            completion: { _, result in
                let error: (any Error)? = if case .failure(let error) = result { error } else { nil }
                for pending in batch { pending.finish(transactionError: error) }
                self.drain()
            })
    }
}

/// The transaction of a group commit ended before its commit, with no error of its own to report.
enum GroupCommitError: Error {
    case rolledBack
}

private protocol PendingWrite: AnyObject, Sendable {
    /// Runs the write in the current transaction (in a savepoint of its own when others share it) and keeps its result
    /// or its error.
    func run(_ db: Database, inSavepoint: Bool)
    /// The write's own error, when it threw.
    var failure: (any Error)? { get }
    /// Answers the caller: the write's result when the transaction committed, else the error.
    func finish(transactionError: (any Error)?)
}

/// One write waiting for its transaction. Its result is set on the writer's queue and read after the transaction
/// (the queue's work happens before `write` returns), so the unchecked `Sendable` holds.
private final class Pending<T: Sendable>: PendingWrite, @unchecked Sendable {
    private let body: @Sendable (Database) throws -> T
    private let continuation: CheckedContinuation<T, any Error>
    private var outcome: Result<T, any Error>?

    init(body: @Sendable @escaping (Database) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ db: Database, inSavepoint: Bool) {
        guard inSavepoint else {
            outcome = Result { try body(db) }
            return
        }
        outcome = Result {
            var value: T?
            try db.inSavepoint {
                value = try body(db)
                return .commit
            }
            guard let value else { throw GroupCommitError.rolledBack }
            return value
        }
    }

    var failure: (any Error)? {
        if case .failure(let error) = outcome { return error }
        return nil
    }

    func finish(transactionError: (any Error)?) {
        switch (outcome, transactionError) {
        case (.failure(let error), _):
            continuation.resume(throwing: error)
        case (.success(let value), nil):
            continuation.resume(returning: value)
        case (_, let error?):
            continuation.resume(throwing: error)
        case (nil, nil):
            continuation.resume(throwing: GroupCommitError.rolledBack)
        }
    }
}
