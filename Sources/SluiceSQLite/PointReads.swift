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
    private let idle: Mutex<[DatabaseQueue]>

    /// Opens `count` read-only connections to the database file at `path` (whose pool is open: WAL, migrated).
    init(path: String, count: Int, configuration: Configuration) throws {
        var configuration = configuration
        configuration.readonly = true
        idle = Mutex(try (0..<count).map { _ in try DatabaseQueue(path: path, configuration: configuration) })
    }

    /// `body`'s result, read on a free connection on this thread in a read-only transaction; `nil` when none is free.
    func read<T>(_ body: (Database) throws -> T) throws -> T? {
        guard let connection = idle.withLock({ $0.popLast() }) else { return nil }
        defer { idle.withLock { $0.append(connection) } }
        return try connection.read(body)
    }

    /// Closes the connections that are free (all of them once no read runs).
    func close() throws {
        for connection in idle.withLock({ $0 }) { try connection.close() }
    }
}
