import GRDB
import Synchronization

/// Connections of their own for single-row reads, run on the caller's thread (issue 20).
///
/// A read through the pool (`DatabasePool.read`) goes from Swift's concurrency pool to a GRDB dispatch queue and back:
/// two thread wake-ups around a read of a few microseconds, the largest share of `GET /destinations/{id}`'s CPU.
/// A point read takes one of these connections if one is free and reads on the calling thread (`DispatchQueue.sync`
/// onto an idle queue runs in place); it never waits for one: when all are busy it answers `nil` and the caller reads
/// through the pool as before. So a caller's thread is held only for its own read, never behind another's.
///
/// Each connection sees the database as the pool's readers do (WAL: the last committed state when its read begins).
final class PointReads: Sendable {
    private struct State {
        var idle: [DatabaseQueue]
        var closed = false
    }

    private let state: Mutex<State>

    /// Opens `count` read-only connections to the database file at `path` (whose pool is open: WAL, migrated).
    init(path: String, count: Int, configuration: Configuration) throws {
        var configuration = configuration
        configuration.readonly = true
        state = Mutex(State(idle: try (0..<count).map { _ in try DatabaseQueue(path: path, configuration: configuration) }))
    }

    /// `body`'s result, read on a free connection on this thread; `nil` when none is free, or once closed (the caller
    /// reads through the pool, which then fails as a closed store does).
    ///
    /// - Parameter statements: ``Statements/many`` runs `body` in a read transaction (its statements see one state of
    ///   the database); ``Statements/one`` runs it without one, for a `body` that runs a single statement, which SQLite
    ///   reads in a transaction of its own (GRDB's `BEGIN` and `COMMIT` are parsed anew each time: about 4 % of
    ///   `GET /destinations/{id}`'s CPU).
    func read<T>(_ statements: Statements, _ body: (Database) throws -> T) throws -> T? {
        guard let connection = state.withLock({ $0.closed ? nil : $0.idle.popLast() }) else { return nil }
        defer { giveBack(connection) }
        switch statements {
        case .one: return try connection.inDatabase(body)
        case .many: return try connection.read(body)
        }
    }

    /// How many statements a point read runs.
    enum Statements {
        case one
        case many
    }

    /// Closes the connections that are free; one in use is closed when its read ends. No read starts afterwards: a
    /// closed connection is never used again (SQLite's handle is gone, and reading through it would crash).
    func close() throws {
        let idle = state.withLock { state in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { try connection.close() }
    }

    private func giveBack(_ connection: DatabaseQueue) {
        let closed = state.withLock { state in
            if !state.closed { state.idle.append(connection) }
            return state.closed
        }
        if closed { try? connection.close() }
    }
}
