import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import SluiceCore
import Synchronization

/// The PostgreSQL store: PostgresNIO's connection pool, plain SQL with bound parameters.
///
/// Several Sluice processes may share one database. Every write is one transaction, committed
/// before the method returns; rows a write changes are read `FOR UPDATE`, so concurrent writes
/// of one row from any process apply one after the other. Migrations run at start-up under an
/// advisory lock, so processes starting together migrate once.
///
/// When PostgreSQL cannot be reached, every call fails with ``StoreError/unavailable(_:)`` about a second at most after
/// ``acquireTimeout`` (``CallDeadline``; the API answers 503); the pool reconnects by itself when it is back.
///
/// Its connection pool runs one of two ways: as a service in the caller's `ServiceGroup`
/// (``connect(url:schema:acquireTimeout:logger:)``, then ``clientService`` in the group and ``migrate()`` as the
/// step before anything else; `sluice serve` does this), or in a task of the store's own from
/// ``open(url:schema:temporary:acquireTimeout:logger:)`` to ``close()`` (one-shot commands and tests).
public final class PostgresStore: Store {
    let client: PostgresClient
    let logger: Logger
    /// The task running ``client`` when the store runs it itself (``open(url:schema:temporary:acquireTimeout:logger:)``).
    private let runner: Task<Void, Never>?
    /// The schema ``migrate()`` creates when missing, if the store uses one of its own.
    private let schema: String?
    /// The schema ``close()`` drops: ``schema`` when it is a throw-away one
    /// (``open(url:schema:temporary:acquireTimeout:logger:)``), otherwise `nil`.
    private let schemaDroppedAtClose: String?
    /// Whether ``close()`` has run: a second close does nothing (as SQLite's), rather than drop the schema again.
    private let closed = Mutex(false)
    /// How long a call waits for a connection before it fails as unavailable.
    var acquireTimeout: Duration { deadline.acquireTimeout }
    /// How long a whole call may take before it fails as unavailable (a safety net: calls take milliseconds).
    var callTimeout: Duration { deadline.callTimeout }
    /// Gives up on a call at its deadline (``CallDeadline``).
    let deadline: CallDeadline
    /// How long (ms) an event handed to a router stays its own: routing a batch takes well under a
    /// second, and the events of a router that died go to another after this.
    let eventClaim: Int64 = 5_000

    /// The most connections a store's pool holds. The pool opens a connection when calls need one and closes it
    /// after a minute unused. A pool that kept a minimum open would arm no idle timer on each connection it gets back
    /// (faster reads, BENCHMARKS.md), but with a minimum of 20 (equal to this maximum) PostgresNIO 1.33's pool
    /// stopped the process on a failed precondition when a call came while fewer were open, as after PostgreSQL
    /// restarted. A smaller minimum is untried, so it keeps none.
    static let connections = 20

    /// Where and how to connect, read from `postgres://user:password@host:port/database?sslmode=...`.
    public struct Location: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String?
        /// `disable` (the default), `prefer` or `require`.
        public var sslMode: String

        /// Reads a `postgres://` or `postgresql://` URL. User and password may be percent-encoded.
        ///
        /// - Throws: ``StoreError/unavailable(_:)`` naming what is wrong (never echoing the password).
        public init(url: String) throws {
            guard let parts = URLComponents(string: url), parts.scheme == "postgres" || parts.scheme == "postgresql",
                let host = parts.host, !host.isEmpty
            else {
                throw StoreError.unavailable("--database must look like postgres://user:password@host:port/database")
            }
            self.host = host
            self.port = parts.port ?? 5432
            self.username = parts.user ?? "postgres"
            self.password = parts.password
            let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
            self.database = path.isEmpty ? nil : path
            self.sslMode = parts.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
            guard ["disable", "prefer", "require"].contains(sslMode) else {
                throw StoreError.unavailable("sslmode must be disable, prefer or require")
            }
        }

        /// The pool's configuration: at most ``PostgresStore/connections`` connections, none kept open unused.
        func configuration(schema: String?) throws -> PostgresClient.Configuration {
            let tls: PostgresClient.Configuration.TLS
            switch sslMode {
            case "require": tls = .require(.makeClientConfiguration())
            case "prefer": tls = .prefer(.makeClientConfiguration())
            default: tls = .disable
            }
            var config = PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
            config.options.connectTimeout = .seconds(3)
            config.options.maximumConnections = PostgresStore.connections
            config.options.minimumConnections = 0
            var parameters = [("application_name", "sluice")]
            if let schema { parameters.append(("search_path", schema)) }
            config.options.additionalStartupParameters = parameters
            return config
        }
    }

    /// A store whose connection pool is not running yet and whose migrations have not run: run ``clientService`` in a
    /// `ServiceGroup`, then call ``migrate()`` before anything else (calls wait for the pool until it runs).
    ///
    /// - Parameters:
    ///   - url: `postgres://user:password@host:port/database` (`?sslmode=disable|prefer|require`).
    ///   - schema: a schema to use instead of `public` (tests give each store its own); created by ``migrate()`` when
    ///     missing.
    ///   - acquireTimeout: how long a call waits for a connection before it fails as unavailable.
    /// - Throws: ``StoreError/unavailable(_:)`` for a URL or schema name that cannot be used.
    public static func connect(
        url: String, schema: String? = nil, acquireTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "sluice.postgres")
    ) throws -> PostgresStore {
        try make(url: url, schema: schema, acquireTimeout: acquireTimeout, logger: logger, runsItsClient: false, schemaDroppedAtClose: nil)
    }

    /// Connects with a pool the store runs itself until ``close()``, runs the migrations and returns the store.
    ///
    /// - Parameters:
    ///   - temporary: whether `schema` is a throw-away schema that ``close()`` drops with everything in it (each test's
    ///     own, so that a test database does not keep every test's tables). Never the `public` schema: without a
    ///     `schema`, nothing is dropped.
    ///   - others: as ``connect(url:schema:acquireTimeout:logger:)``.
    /// - Throws: ``StoreError/unavailable(_:)`` when the database cannot be reached or migrated.
    public static func open(
        url: String, schema: String? = nil, temporary: Bool = false, acquireTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "sluice.postgres")
    ) async throws -> PostgresStore {
        let store = try make(
            url: url, schema: schema, acquireTimeout: acquireTimeout, logger: logger, runsItsClient: true,
            schemaDroppedAtClose: temporary ? schema : nil)
        do {
            try await store.migrate()
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    private static func make(
        url: String, schema: String?, acquireTimeout: Duration, logger: Logger, runsItsClient: Bool, schemaDroppedAtClose: String?
    ) throws -> PostgresStore {
        let location = try Location(url: url)
        if let schema {
            guard schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !schema.isEmpty else {
                throw StoreError.unavailable("A schema name is letters, digits and underscores")
            }
        }
        return PostgresStore(
            client: PostgresClient(configuration: try location.configuration(schema: schema), backgroundLogger: logger), schema: schema,
            acquireTimeout: acquireTimeout, logger: logger, runsItsClient: runsItsClient, schemaDroppedAtClose: schemaDroppedAtClose)
    }

    private init(
        client: PostgresClient, schema: String?, acquireTimeout: Duration, logger: Logger, runsItsClient: Bool, schemaDroppedAtClose: String?
    ) {
        self.client = client
        self.schema = schema
        self.schemaDroppedAtClose = schemaDroppedAtClose
        self.logger = logger
        self.deadline = CallDeadline(acquireTimeout: acquireTimeout, callTimeout: .seconds(20), logger: logger)
        self.runner = runsItsClient ? Task { await client.run() } : nil
    }

    /// The connection pool, to run in a `ServiceGroup` (a store from ``connect(url:schema:acquireTimeout:logger:)``).
    /// It stops at the group's graceful shutdown; put it before the services that use the store, so that it stops
    /// after them.
    public var clientService: some Service { client }

    /// The step before anything else on a store from ``connect(url:schema:acquireTimeout:logger:)``: applies the
    /// migrations not yet applied (creating the store's schema first when it has one).
    ///
    /// - Throws: ``StoreError/unavailable(_:)`` when the database cannot be reached or migrated.
    public func migrate() async throws {
        try await migrate(creatingSchema: schema)
    }

    /// Stops the pool when the store runs it itself; a pool run as a service stops with its group. A store opened on a
    /// temporary schema drops it first (the pool stops even when that fails, and the failure is thrown).
    public func close() async throws {
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard let runner, first else { return }
        var dropFailure: (any Error)?
        if let schema = schemaDroppedAtClose {
            do {
                try await dropSchema(schema)
            } catch {
                dropFailure = error
            }
        }
        runner.cancel()
        await runner.value
        if let dropFailure { throw dropFailure }
    }

    // MARK: - Running statements

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    /// Marks an error thrown by a caller's transform, so that it is passed on as it is.
    struct CallerError: Error { let error: any Error }

    /// Runs `body` on a pooled connection, under ``deadline``: it fails as unavailable when no connection comes
    /// within ``acquireTimeout``, when the connection is lost, or when the whole call has not finished within
    /// ``callTimeout``.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await deadline.run(on: client, translate: { self.translate($0) }, body)
    }

    /// Runs `body` in a transaction (READ COMMITTED), retried up to three times on a deadlock or a
    /// serialization failure, translating driver errors into ``StoreError``.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withConnection { conn in
                    try await conn.query("BEGIN", logger: self.logger)
                    do {
                        let value = try await body(conn)
                        try await conn.query("COMMIT", logger: self.logger)
                        return value
                    } catch {
                        // A connection that failed is closed by the pool (which rolls the transaction back);
                        // a statement sent on it now would never be answered.
                        if Self.connectionIsUsable(after: error), !conn.isClosed {
                            _ = try? await conn.query("ROLLBACK", logger: self.logger)
                        }
                        throw error
                    }
                }
            } catch let error as PSQLError where attempt < 3 && Self.isRetryable(error) {
                logger.debug("retrying a transaction", metadata: ["sqlstate": "\(error.serverInfo?[.sqlState] ?? "")"])
                continue
            }
        }
    }

    /// Runs a read on a pooled connection.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection(body)
    }

    /// Runs a statement and collects its rows.
    @discardableResult
    func rows(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRow] {
        try await conn.query(query, logger: logger).collect()
    }

    /// Calls a caller's transform, marking what it throws as the caller's.
    static func calling<In, Out>(_ transform: (In) throws -> Out, _ value: In) throws -> Out {
        do { return try transform(value) } catch { throw CallerError(error: error) }
    }

    /// Whether the connection can take another statement after `error`: yes after a statement the
    /// server refused, or an error of Sluice's own; no after a lost connection.
    static func connectionIsUsable(after error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return true }
        guard error.code == .server else { return false }
        // The server ending the session (admin shutdown, crash, connection failure) closes it next.
        let state = error.serverInfo?[.sqlState] ?? ""
        return !state.hasPrefix("57") && !state.hasPrefix("08")
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    private func translate(_ error: any Error) -> any Error {
        switch error {
        case is StoreError, is CancellationError:
            return error
        case let error as PSQLError where error.code == .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            switch state {
            case "23505":
                return StoreError.conflict("The resource clashes with one that exists")
            case "23503":
                return StoreError.notFound(resource: "resource", id: "")
            case "40001", "40P01":
                return error  // retried by `transaction`
            case _ where state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57") || state == "25006":
                // connection exceptions, insufficient resources (disk full), operator intervention, read-only transaction
                logger.error("PostgreSQL cannot serve the request", metadata: ["sqlstate": "\(state)"])
                return StoreError.unavailable("The database cannot serve the request right now")
            default:
                logger.error("PostgreSQL refused a statement", metadata: ["sqlstate": "\(state)", "error": "\(error.serverInfo?[.message] ?? "")"])
                return error
            }
        default:
            // The connection was lost or never made, the pool is closed or gave up connecting.
            logger.error("PostgreSQL cannot be reached", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return StoreError.unavailable("The database cannot be reached right now")
        }
    }

    static func insertAudit(_ events: [AuditEvent], _ conn: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        try await conn.query(
            """
            INSERT INTO audit_events (id, timestamp, type, actor, resource_id, resource_type, resource_name)
            \(auditRows: events)
            """, logger: logger)
    }
}

extension PostgresQuery.StringInterpolation {
    /// `SELECT * FROM unnest(...)` of `events` as rows of `audit_events` (id, timestamp, type, actor, resource_id,
    /// resource_type, resource_name), each column one bound array: the one place that spells an audit insert's rows,
    /// for ``PostgresStore/insertAudit(_:_:logger:)`` and the statements that insert audit events with their change.
    mutating func appendInterpolation(auditRows events: [AuditEvent]) {
        appendLiteral("SELECT * FROM unnest(")
        for (index, (column, type)) in zip(AuditRows.columns(events), AuditRows.types).enumerated() {
            if index > 0 { appendLiteral(", ") }
            appendInterpolation(column)
            appendLiteral("::\(type.cast)")
        }
        appendLiteral(")")
    }
}

// MARK: - Workspace, tokens, audit trail, catalog

extension PostgresStore {
    public func appliedMigrations() async throws -> [String] {
        try await read { conn in
            try await self.rows(conn, "SELECT id FROM sluice_migrations ORDER BY id").map { try $0.decode(String.self) }
        }
    }

    public func workspace() async throws -> Workspace {
        try await read { conn in
            guard let row = try await self.rows(conn, "SELECT id, name, slug FROM workspaces LIMIT 1").first else {
                throw StoreError.unavailable("The store has no workspace")
            }
            let (id, name, slug) = try row.decode((String, String, String).self)
            return Workspace(id: id, name: name, slug: slug)
        }
    }

    private static func token(_ row: PostgresRow) throws -> APIToken {
        let (id, hash, readOnly, createdAt) = try row.decode((String, String, Bool, Int64).self)
        return APIToken(id: id, hash: hash, readOnly: readOnly, createdAt: date(createdAt))
    }

    public func createToken(_ token: APIToken, audit: [AuditEvent]) async throws {
        try await transaction { conn in
            try await conn.query(
                """
                INSERT INTO api_tokens (id, hash, read_only, created_at)
                VALUES (\(token.id), \(token.hash), \(token.readOnly), \(Self.millis(token.createdAt)))
                """, logger: self.logger)
            try await Self.insertAudit(audit, conn, logger: self.logger)
        }
    }

    public func token(hash: String) async throws -> APIToken? {
        try await read { conn in
            try await self.rows(conn, "SELECT id, hash, read_only, created_at FROM api_tokens WHERE hash = \(hash)").first.map(Self.token)
        }
    }

    public func tokenCount() async throws -> Int {
        try await read { conn in try await self.rows(conn, "SELECT COUNT(*) FROM api_tokens").first?.decode(Int.self) ?? 0 }
    }

    public func listTokens() async throws -> [APIToken] {
        try await read { conn in
            try await self.rows(conn, "SELECT id, hash, read_only, created_at FROM api_tokens ORDER BY created_at, id").map(Self.token)
        }
    }

    public func deleteToken(id: String, audit: [AuditEvent]) async throws {
        try await transaction { conn in
            guard try await !self.rows(conn, "DELETE FROM api_tokens WHERE id = \(id) RETURNING id").isEmpty else {
                throw StoreError.notFound(resource: "token", id: id)
            }
            try await Self.insertAudit(audit, conn, logger: self.logger)
        }
    }

    public func listAuditEvents(filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        // NULL parameters switch a condition off, so the statement is one text with bound values.
        let start = filter.startTime.map(Self.millis)
        let end = filter.endTime.map(Self.millis)
        let conditions = """
            ($1::int8 IS NULL OR timestamp >= $1) AND ($2::int8 IS NULL OR timestamp <= $2)
            AND ($3::text IS NULL OR resource_id = $3) AND ($4::text IS NULL OR resource_type = $4)
            """
        func bindings() throws -> PostgresBindings {
            var binds = PostgresBindings()
            binds.append(start)
            binds.append(end)
            binds.append(filter.resourceID)
            binds.append(filter.resourceType)
            return binds
        }
        var listBinds = try bindings()
        listBinds.append(page.count)
        listBinds.append(page.offset)
        let count = PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM audit_events WHERE \(conditions)", binds: try bindings())
        let list = PostgresQuery(
            unsafeSQL: """
                SELECT id, timestamp, type, actor, resource_id, resource_type, resource_name FROM audit_events
                WHERE \(conditions) ORDER BY seq DESC LIMIT $5 OFFSET $6
                """, binds: listBinds)
        return try await read { conn in
            let total = try await self.rows(conn, count).first?.decode(Int.self) ?? 0
            let events = try await self.rows(conn, list).map { row in
                let (id, timestamp, type, actor, resourceID, resourceType, resourceName) = try row.decode(
                    (String, Int64, String, String, String, String, String).self)
                return AuditEvent(
                    id: id, timestamp: Self.date(timestamp), type: type, actor: actor, resourceID: resourceID, resourceType: resourceType,
                    resourceName: resourceName)
            }
            return Page(items: events, totalEntries: total, request: page)
        }
    }

    public func recordAudit(_ events: [AuditEvent]) async throws {
        try await transaction { conn in try await Self.insertAudit(events, conn, logger: self.logger) }
    }

    public func importedCatalog() async throws -> [UInt8]? {
        try await read { conn in
            try await self.rows(conn, "SELECT body FROM catalog_imports WHERE id = 1").first.map { Self.bytes(try $0.decode(ByteBuffer.self)) }
        }
    }

    public func saveImportedCatalog(_ bytes: [UInt8], audit: [AuditEvent]) async throws {
        try await transaction { conn in
            try await conn.query(
                """
                INSERT INTO catalog_imports (id, body, imported_at) VALUES (1, \(ByteBuffer(bytes: bytes)), \(Self.millis(.now)))
                ON CONFLICT (id) DO UPDATE SET body = excluded.body, imported_at = excluded.imported_at
                """, logger: self.logger)
            try await Self.insertAudit(audit, conn, logger: self.logger)
        }
    }
}
