import Dispatch
import GRDB
import Logging
import Synchronization

/// Copies the write-ahead log back into the database file on a connection of its own, so that the writer never does.
///
/// SQLite's default checkpoints from the connection that commits: once the WAL holds 1,000 pages, the commit that
/// passed them copies every page into the database file and fsyncs it before its caller hears of it, and every write
/// waiting behind it (the single writer) waits for that too. With the writer's automatic checkpoints off, this
/// connection runs a passive checkpoint every ``interval`` (100 ms) instead (one that never waits for a lock and never blocks
/// the writer or a reader), from a dispatch queue of its own. Durability is the same: a commit is in the WAL, and
/// synced there as `synchronous` says, before it returns; a checkpoint only moves committed pages. The writer starts
/// the WAL over from its beginning, as before, at the first write after a checkpoint has copied all of it.
final class Checkpointer: Sendable {
    /// How often a store's WAL is checkpointed.
    static let interval = DispatchTimeInterval.milliseconds(100)

    private let connection: DatabaseQueue
    private let logger: Logger
    /// Set by ``close()``: no checkpoint starts after it.
    private let closed = Mutex(false)

    /// Opens the checkpointing connection to the database file at `path` (whose pool is open: WAL, migrated) and
    /// starts checkpointing.
    ///
    /// - Parameter synchronous: the store's `synchronous` level, which says whether a checkpoint fsyncs.
    /// - Parameter interval: how often to checkpoint; `nil`: only when ``checkpoint()`` is called (for tests).
    init(
        path: String, configuration: Configuration, synchronous: SQLiteStore.Synchronous, interval: DispatchTimeInterval?, logger: Logger
    ) throws {
        connection = try DatabaseQueue(path: path, configuration: configuration)
        try connection.writeWithoutTransaction { db in
            try synchronous.set(on: db)
            // This connection writes nothing of its own; no checkpoint of its commits either.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
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

    /// Runs one passive checkpoint; `false` once the checkpointer is closed.
    @discardableResult
    func checkpoint() -> Bool {
        closed.withLock { closed in
            guard !closed else { return false }
            do {
                _ = try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            } catch {
                // The next one tries again; until one succeeds the WAL grows, and nothing committed is lost.
                logger.warning("could not checkpoint the SQLite write-ahead log", metadata: ["error": "\(error)"])
            }
            return true
        }
    }

    /// Stops checkpointing (waiting for one in progress) and closes the connection.
    func close() throws {
        try closed.withLock { closed in
            guard !closed else { return }
            closed = true
            try connection.close()
        }
    }
}
