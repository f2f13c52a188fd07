import Dispatch
import GRDB
import Logging
import Synchronization

/// Copies the write-ahead log back into the database file on a connection of its own, so that the writer never does.
///
/// SQLite's default checkpoints from the connection that commits: once the WAL holds 1,000 pages, the commit that
/// passed them copies every page into the database file and fsyncs it before its caller hears of it, and every write
/// waiting behind it (the single writer) waits for that too. With the writer's automatic checkpoints off, this
/// connection runs a passive checkpoint every ``interval`` (100 ms) instead (one that never waits for a lock and never
/// blocks the writer or a reader), from a dispatch queue of its own, when something was committed since the last one.
/// Durability is the same: a commit is in the WAL, and synced there as `synchronous` says, before it returns; a
/// checkpoint only moves committed pages. The writer starts the WAL over from its beginning, as before, at the first
/// write after a checkpoint has copied all of it.
final class Checkpointer: Sendable {
    /// How often a store's WAL is checkpointed.
    static let interval = DispatchTimeInterval.milliseconds(100)

    private let connection: DatabaseQueue
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        /// Set by ``close()``: no checkpoint starts after it.
        var closed = false
        /// `PRAGMA data_version` when the last checkpoint began (it changes with every commit of another connection).
        var version: Int?
        /// Whether the last checkpoint copied all of the WAL.
        var complete = true
        /// Whether the last checkpoint failed (its error is logged once, not every ``interval``).
        var failing = false
    }

    /// Opens the checkpointing connection to the database file at `path` (whose pool is open: WAL, migrated) and
    /// starts checkpointing.
    ///
    /// - Parameter synchronous: the store's `synchronous` level, which says whether a checkpoint fsyncs.
    /// - Parameter interval: how often to checkpoint; `nil`: only when ``checkpoint()`` is called (for tests).
    init(
        path: String, configuration: Configuration, synchronous: SQLiteStore.Synchronous, interval: DispatchTimeInterval?, logger: Logger
    ) throws {
        connection = try DatabaseQueue(path: path, configuration: configuration)
        let version = try connection.writeWithoutTransaction { db in
            try synchronous.set(on: db)
            // This connection writes nothing of its own; no checkpoint of its commits either.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            return try Self.dataVersion(db)
        }
        // What the WAL holds from before is left until the next commit: a store opened and left (a start refused
        // for a wrong key) keeps its files as they were.
        state = Mutex(State(version: version))
        self.logger = logger
        if let interval { schedule(every: interval) }
    }

    /// Turns the automatic checkpoints of `writer`, the connection that commits, off: this checkpointer does them.
    static func takeOver(from writer: Database) throws {
        try writer.execute(sql: "PRAGMA wal_autocheckpoint = 0")
    }

    private func schedule(every interval: DispatchTimeInterval) {
        // Weakly held: a store dropped without `close()` stops its checkpoints with it.
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + interval) { [weak self] in
            guard let self, self.checkpoint() else { return }
            self.schedule(every: interval)
        }
    }

    private static func dataVersion(_ db: Database) throws -> Int? {
        try Int.fetchOne(db, sql: "PRAGMA data_version")
    }

    /// Runs one passive checkpoint when something was committed since the last one or that one left part of the WAL;
    /// `false` once the checkpointer is closed.
    @discardableResult
    func checkpoint() -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            do {
                try connection.writeWithoutTransaction { db in
                    let version = try Self.dataVersion(db)
                    guard version != state.version || !state.complete else { return }
                    let (log, copied) = try db.checkpoint(.passive)
                    state.version = version
                    state.complete = copied >= log
                }
                if state.failing {
                    state.failing = false
                    logger.notice("the SQLite write-ahead log is checkpointed again")
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                // Another connection is checkpointing (`sluice secrets rotate` empties the WAL): tried again next time.
                state.complete = false
            } catch {
                // The next one tries again; until one succeeds the WAL grows, and nothing committed is lost.
                if !state.failing {
                    logger.warning("could not checkpoint the SQLite write-ahead log", metadata: ["error": "\(error)"])
                }
                state.failing = true
            }
            return true
        }
    }

    /// Stops checkpointing (waiting for one in progress) and closes the connection.
    func close() throws {
        try state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            try connection.close()
        }
    }
}
