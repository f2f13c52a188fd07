import Foundation
import GRDB
import Logging
import SluiceCore
import Synchronization

/// The embedded store: SQLite through GRDB.
///
/// A file is opened as a `DatabasePool` in WAL mode (readers never wait for the writer);
/// `temporary()` is such a pool on a file of its own that is removed when the store closes
/// (`--database memory`, and the tests' store).
/// Migrations run when the store opens. Every write is one transaction, committed
/// before the method returns, so nothing acknowledged is lost.
public final class SQLiteStore: Store {
    let writer: any DatabaseWriter
    /// Where ``groupWrite(_:)`` sends its transactions: many writes to a commit.
    private let commits: GroupCommit
    let logger: Logger
    /// Connections for single-row reads on the caller's thread (``pointRead(_:_:)``).
    let pointReads: PointReads
    /// Checkpoints the WAL beside the writer (``Checkpointer``).
    let checkpointer: Checkpointer
    /// The file ``temporary(logger:)`` made, removed (with its `-wal` and `-shm`) when the store closes or goes away.
    let temporaryPath: String?
    /// Set by ``close()`` before it closes the connections. GRDB refuses a statement on a closed connection, but not
    /// the calls that go to SQLite directly (a checkpoint): those check this first.
    let closed = Mutex(false)

    /// Opens (creating when needed) the database file at `path`.
    ///
    /// - Parameters:
    ///   - path: the file; its folder must exist.
    ///   - fullSync: `PRAGMA synchronous = FULL` (fsync each commit: survives power loss) instead of
    ///     `NORMAL` (survives a crash of Sluice, may lose the last commits on power loss).
    /// - Throws: ``StoreError/unavailable(_:)`` when the file cannot be opened or migrated.
    public convenience init(path: String, fullSync: Bool = true, logger: Logger = Logger(label: "sluice.sqlite")) throws {
        try self.init(pool: path, synchronous: fullSync ? .full : .normal, temporary: false, logger: logger)
    }

    /// SQLite's `synchronous` levels this store uses (spliced into a PRAGMA, which binds nothing: constants only).
    enum Synchronous: String {
        case full = "FULL"
        case normal = "NORMAL"
        case off = "OFF"

        /// Sets this level on the connection `db`.
        func set(on db: Database) throws {
            try db.execute(sql: "PRAGMA synchronous = \(rawValue)")
        }
    }

    /// A file store with `pointReadConnections` connections for point reads (none: every read through the pool) that
    /// checkpoints every `checkpointInterval` (`nil`: only when its ``checkpointer`` is told to).
    convenience init(
        path: String, pointReadConnections: Int = ProcessInfo.processInfo.activeProcessorCount, checkpointInterval: DispatchTimeInterval?,
        logger: Logger = Logger(label: "sluice.sqlite")
    ) throws {
        try self.init(
            pool: path, synchronous: .full, temporary: false, logger: logger, pointReadConnections: pointReadConnections,
            checkpointInterval: checkpointInterval)
    }

    private init(
        pool path: String, synchronous: Synchronous, temporary: Bool, logger: Logger,
        pointReadConnections: Int = ProcessInfo.processInfo.activeProcessorCount, checkpointInterval: DispatchTimeInterval? = Checkpointer.interval
    ) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            // Set on the writer once the pool is open: GRDB turns WAL on after `prepareDatabase` and sets
            // `synchronous = NORMAL` with it (no fsync at commit), which would undo a level set there.
            try pool.writeWithoutTransaction { db in
                try synchronous.set(on: db)
                try Checkpointer.takeOver(from: db)
            }
            self.writer = pool
        } catch {
            throw StoreError.unavailable("Cannot open the SQLite database: \(Self.describe(error))")
        }
        self.commits = GroupCommit(writer: writer)
        self.logger = logger
        self.temporaryPath = temporary ? path : nil
        try Self.migrate(writer)
        do {
            try writer.writeWithoutTransaction(Self.createLeases)
        } catch {
            throw StoreError.unavailable("Cannot open the SQLite database: \(Self.describe(error))")
        }
        do {
            // Opened after the migrations: their schema is the one they read.
            pointReads = try PointReads(path: path, count: pointReadConnections, configuration: config)
            checkpointer = try Checkpointer(
                path: path, configuration: config, synchronous: synchronous, interval: checkpointInterval, logger: logger)
        } catch {
            throw StoreError.unavailable("Cannot open the SQLite database: \(Self.describe(error))")
        }
    }

    /// A new, empty store that lives as long as this value: a database file of its own in the temporary folder
    /// (`TMPDIR`, readable by its owner only), opened as a pool with no fsync, and removed when the store is closed.
    /// For `--database memory`: nothing is kept, yet readers do not wait behind the writer as on one connection.
    public static func temporary(logger: Logger = Logger(label: "sluice.sqlite")) throws -> SQLiteStore {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-memory-\(Identifier.make()).sqlite").path
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.unavailable("Cannot create a temporary database in \(FileManager.default.temporaryDirectory.path)")
        }
        do {
            return try SQLiteStore(pool: path, synchronous: .off, temporary: true, logger: logger)
        } catch {
            removeFiles(of: path)
            throw error
        }
    }

    private static func removeFiles(of path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    deinit {
        if let temporaryPath { Self.removeFiles(of: temporaryPath) }
    }

    private static func migrate(_ writer: any DatabaseWriter) throws {
        do {
            try SQLiteMigrations.migrator(workspaceID: Identifier.make()).migrate(writer)
        } catch {
            throw StoreError.unavailable("Cannot migrate the SQLite database: \(Self.describe(error))")
        }
    }

    public func close() async throws {
        closed.withLock { $0 = true }
        try checkpointer.close()
        try pointReads.close()
        try (writer as? DatabasePool)?.close()
        if let temporaryPath { Self.removeFiles(of: temporaryPath) }
    }

    public func appliedMigrations() async throws -> [String] {
        try await read { db in try SQLiteMigrations.migrator(workspaceID: "").appliedMigrations(db) }
    }

    // MARK: - Running statements

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode)" }
        return String(describing: error)
    }

    /// Runs a read, translating driver errors into ``StoreError``.
    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await writer.read(body)
        } catch let error as DatabaseError {
            throw translate(error)
        }
    }

    /// Runs a read of one row or a few (a statement prepared once per connection, no scan) on the caller's thread when
    /// a point-read connection is free (``PointReads``), else as ``read(_:)``; translates driver errors.
    ///
    /// - Parameter statements: how many statements `body` runs: with ``PointReads/Statements/one`` it is read without
    ///   a transaction around it (the statement is one).
    func pointRead<T: Sendable>(
        _ statements: PointReads.Statements, _ body: @Sendable @escaping (Database) throws -> T
    ) async throws -> T {
        do {
            if let value = try pointReads.read(statements, body) { return value }
        } catch let error as DatabaseError {
            throw translate(error)
        }
        return try await read(body)
    }

    /// Runs a write transaction, translating driver errors into ``StoreError``. For the delivery pipeline, whose
    /// writes are batches already (a group commit of events, a claim or a completion of many jobs).
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch let error as DatabaseError {
            throw translate(error)
        }
    }

    /// Runs `body` as a transaction of its own would (all of it committed before this returns, or none of it),
    /// sharing the transaction and its fsync with the other writes waiting at that moment (``GroupCommit``);
    /// translates driver errors into ``StoreError``. For the Public API's writes: one resource each.
    func groupWrite<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await commits.write(body)
        } catch let error as DatabaseError {
            throw translate(error)
        }
    }

    private func translate(_ error: DatabaseError) -> any Error {
        switch error.resultCode {
        case .SQLITE_CONSTRAINT:
            if error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
                return StoreError.notFound(resource: "resource", id: "")
            }
            return StoreError.conflict(error.message ?? "constraint failed")
        case .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CORRUPT,
            .SQLITE_NOTADB, .SQLITE_PERM,
            // A closed store (GRDB: "Connection is closed"), as while `sluice serve` stops.
            .SQLITE_MISUSE:
            logger.error("SQLite cannot serve the request", metadata: ["code": "\(error.extendedResultCode)"])
            return StoreError.unavailable("The store cannot serve the request right now")
        default:
            return error
        }
    }

    /// Prepared once per connection (GRDB's statement cache): every write of the Public API records its audit events.
    private static let insertAuditEvent = """
        INSERT INTO audit_events (id, timestamp, type, actor, resource_id, resource_type, resource_name) VALUES (?, ?, ?, ?, ?, ?, ?)
        """

    static func insertAudit(_ events: [AuditEvent], _ db: Database) throws {
        guard !events.isEmpty else { return }
        let statement = try db.cachedStatement(sql: insertAuditEvent)
        for e in events {
            try statement.execute(arguments: [e.id, millis(e.timestamp), e.type, e.actor, e.resourceID, e.resourceType, e.resourceName])
        }
    }
}

// MARK: - Workspace and tokens

extension SQLiteStore {
    public func workspace() async throws -> Workspace {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, name, slug FROM workspaces LIMIT 1") else {
                throw StoreError.unavailable("The store has no workspace")
            }
            return Workspace(id: row["id"], name: row["name"], slug: row["slug"])
        }
    }

    public func createToken(_ token: APIToken, audit: [AuditEvent]) async throws {
        try await groupWrite { db in
            try db.execute(
                literal: """
                    INSERT INTO api_tokens (id, hash, read_only, created_at)
                    VALUES (\(token.id), \(token.hash), \(token.readOnly), \(Self.millis(token.createdAt)))
                    """)
            try Self.insertAudit(audit, db)
        }
    }

    public func token(hash: String) async throws -> APIToken? {
        try await pointRead(.one) { db in
            try Row.fetchOne(db, literal: "SELECT id, hash, read_only, created_at FROM api_tokens WHERE hash = \(hash)").map {
                APIToken(id: $0["id"], hash: $0["hash"], readOnly: $0["read_only"], createdAt: Self.date($0["created_at"]))
            }
        }
    }

    public func tokenCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM api_tokens") ?? 0 }
    }

    public func listTokens() async throws -> [APIToken] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, hash, read_only, created_at FROM api_tokens ORDER BY created_at, id").map {
                APIToken(id: $0["id"], hash: $0["hash"], readOnly: $0["read_only"], createdAt: Self.date($0["created_at"]))
            }
        }
    }

    public func deleteToken(id: String, audit: [AuditEvent]) async throws {
        try await groupWrite { db in
            try db.execute(literal: "DELETE FROM api_tokens WHERE id = \(id)")
            guard db.changesCount > 0 else { throw StoreError.notFound(resource: "token", id: id) }
            try Self.insertAudit(audit, db)
        }
    }
}

// MARK: - Audit trail and catalog

extension SQLiteStore {
    /// `WHERE` and the conditions joined by `AND`, or nothing when there are none.
    static func whereClause(_ conditions: [SQL]) -> SQL {
        conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }

    public func listAuditEvents(filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        try await read { db in
            var conditions: [SQL] = []
            if let start = filter.startTime { conditions.append("timestamp >= \(Self.millis(start))") }
            if let end = filter.endTime { conditions.append("timestamp <= \(Self.millis(end))") }
            if let id = filter.resourceID { conditions.append("resource_id = \(id)") }
            if let type = filter.resourceType { conditions.append("resource_type = \(type)") }
            let whereClause = Self.whereClause(conditions)
            let total = try Int.fetchOne(db, literal: "SELECT COUNT(*) FROM audit_events \(whereClause)") ?? 0
            let rows = try Row.fetchAll(
                db,
                literal: """
                    SELECT id, timestamp, type, actor, resource_id, resource_type, resource_name FROM audit_events
                    \(whereClause) ORDER BY seq DESC LIMIT \(page.count) OFFSET \(page.offset)
                    """)
            let events = rows.map {
                AuditEvent(
                    id: $0["id"], timestamp: Self.date($0["timestamp"]), type: $0["type"], actor: $0["actor"],
                    resourceID: $0["resource_id"], resourceType: $0["resource_type"], resourceName: $0["resource_name"])
            }
            return Page(items: events, totalEntries: total, request: page)
        }
    }

    public func recordAudit(_ events: [AuditEvent]) async throws {
        try await groupWrite { db in try Self.insertAudit(events, db) }
    }

    public func importedCatalog() async throws -> [UInt8]? {
        try await read { db in
            try Data.fetchOne(db, sql: "SELECT body FROM catalog_imports WHERE id = 1").map { Array($0) }
        }
    }

    public func saveImportedCatalog(_ bytes: [UInt8], audit: [AuditEvent]) async throws {
        try await write { db in
            try db.execute(
                literal: """
                    INSERT INTO catalog_imports (id, body, imported_at) VALUES (1, \(Data(bytes)), \(Self.millis(.now)))
                    ON CONFLICT(id) DO UPDATE SET body = excluded.body, imported_at = excluded.imported_at
                    """)
            try Self.insertAudit(audit, db)
        }
    }
}
