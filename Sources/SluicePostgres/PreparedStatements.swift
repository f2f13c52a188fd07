import PostgresNIO
import SluiceCore

// The reads of one row by key that answer the Public API's busiest operations, as prepared statements: PostgresNIO
// prepares each once per connection (by its name) and then only binds and executes it, so PostgreSQL parses and plans
// it once per connection instead of once per request (issue 20). Their SQL is constant text (the stores' column lists
// spliced in); the values are bound.

/// A statement reading a row by its `id`, bound as its one parameter (`$1`).
///
/// Each names itself (`name`): PostgresNIO's default name is the type's name, worked out at run time on every execution.
protocol ReadByID: PostgresPreparedStatement {
    var id: String { get }
}

extension ReadByID {
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }
}

/// A destination's answer columns (``StoredDestination``, ``PostgresStore/storedDestinationColumns``) by id.
struct StoredDestinationByID: ReadByID {
    static let name = "sluice_stored_destination_by_id"
    static let sql = "SELECT \(PostgresStore.storedDestinationColumns) FROM destinations WHERE id = $1"
    let id: String

    func decodeRow(_ row: PostgresRow) throws -> StoredDestination { try PostgresStore.storedDestination(row) }
}

/// A destination and its version (``PostgresStore/destinationColumns``, ``PostgresStore/destination(_:)``) by id.
struct DestinationByID: ReadByID {
    static let name = "sluice_destination_by_id"
    static let sql = "SELECT \(PostgresStore.destinationColumns) FROM destinations WHERE id = $1"
    let id: String

    func decodeRow(_ row: PostgresRow) throws -> (destination: Destination, settings: String, updatedAt: Int64, filters: String) {
        try PostgresStore.destination(row)
    }
}

/// A source (with its write keys, ``PostgresStore/sourceColumns``) by id: every destination's create reads it first.
struct SourceByID: ReadByID {
    static let name = "sluice_source_by_id"
    static let sql = "SELECT \(PostgresStore.sourceColumns) FROM sources WHERE id = $1"
    let id: String

    func decodeRow(_ row: PostgresRow) throws -> Source { try PostgresStore.source(row) }
}

extension PostgresStore {
    /// The first row `statement` reads (all of them are read), or `nil` when it reads none.
    ///
    /// When PostgreSQL refuses the statement, the connection is closed before the error is passed on: PostgresNIO keeps
    /// a failed preparation for the life of its connection (every later execution of that statement there fails the
    /// same way, whatever has changed since), and a closed connection is replaced by the pool.
    func first<Statement: PostgresPreparedStatement>(
        _ statement: Statement, _ conn: PostgresConnection
    ) async throws -> Statement.Row? {
        do {
            var first: Statement.Row?
            for try await row in try await conn.execute(statement, logger: logger) where first == nil { first = row }
            return first
        } catch let error as PSQLError where error.code == .server {
            try? await conn.close()
            throw error
        }
    }
}

// The Public API's two busiest writes, as prepared statements too. Each is one statement (a `WITH` of the change and
// its audit events), and parsing and planning it was half of PostgreSQL's work for it: `pgbench -M prepared` ran the
// create 1.9 times as often a second as `-M extended` (BENCHMARKS.md).

/// A destination's create: inserted only if its source row is there (the insert reads it), its audit events only with
/// it. Its one row is the number of destinations made: 1, or 0 when the source is missing.
struct CreateDestination: PostgresPreparedStatement {
    static let name = "sluice_create_destination"
    static let sql = """
        WITH made AS (
            INSERT INTO destinations (id, workspace_id, source_id, metadata_id, name, enabled, settings, created_at, updated_at,
                                      filters)
            SELECT $1, $2, id, $3, $4, $5, $6, $7, $8, $9 FROM sources WHERE id = $10
            RETURNING id),
        \(AuditRows.logged(from: 11, with: "made"))
        SELECT COUNT(*) FROM made
        """
    static let bindingDataTypes: [PostgresDataType] =
        [.text, .text, .text, .text, .bool, .text, .int8, .int8, .text, .text] + AuditRows.dataTypes
    let destination: Destination
    let audit: [AuditEvent]

    func makeBindings() throws -> PostgresBindings {
        let d = destination
        var bindings = PostgresBindings(capacity: 10 + AuditRows.types.count)
        bindings.append(d.id)
        bindings.append(d.workspaceID)
        bindings.append(d.metadataID)
        bindings.append(d.name)
        bindings.append(d.enabled)
        bindings.append(PostgresStore.json(d.settings))
        bindings.append(PostgresStore.millis(d.createdAt))
        bindings.append(PostgresStore.millis(d.updatedAt))
        bindings.append(DestinationFilter.storedText(d.filters))
        bindings.append(d.sourceID)
        AuditRows.bind(audit, into: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int { try row.decode(Int.self) }
}

/// A destination's update, written only if the row is still the version it was worked out on (its name, enabled,
/// settings, `updated_at` and filters as read), with its audit events. Its one row is the number of rows changed: 1,
/// or 0 when the row has changed since (or is gone).
struct UpdateDestinationIfUnchanged: PostgresPreparedStatement {
    static let name = "sluice_update_destination_if_unchanged"
    static let sql = """
        WITH changed AS (
            UPDATE destinations SET name = $1, enabled = $2, settings = $3, updated_at = $4, filters = $5
            WHERE id = $6 AND name = $7 AND enabled = $8 AND settings = $9 AND updated_at = $10 AND filters = $11
            RETURNING id),
        \(AuditRows.logged(from: 12, with: "changed"))
        SELECT COUNT(*) FROM changed
        """
    static let bindingDataTypes: [PostgresDataType] =
        [.text, .bool, .text, .int8, .text, .text, .text, .bool, .text, .int8, .text] + AuditRows.dataTypes
    let id: String
    let updated: Destination
    let audit: [AuditEvent]
    /// The row as it was read: its destination, and its settings, `updated_at` and filters as stored.
    let current: Destination
    let storedSettings: String
    let storedUpdatedAt: Int64
    let storedFilters: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 11 + AuditRows.types.count)
        bindings.append(updated.name)
        bindings.append(updated.enabled)
        bindings.append(PostgresStore.json(updated.settings))
        bindings.append(PostgresStore.millis(updated.updatedAt))
        bindings.append(DestinationFilter.storedText(updated.filters))
        bindings.append(id)
        bindings.append(current.name)
        bindings.append(current.enabled)
        bindings.append(storedSettings)
        bindings.append(storedUpdatedAt)
        bindings.append(storedFilters)
        AuditRows.bind(audit, into: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int { try row.decode(Int.self) }
}

/// Audit events as rows of `audit_events` (id, timestamp, type, actor, resource_id, resource_type, resource_name):
/// `SELECT * FROM unnest(...)` of seven arrays, one a column. The one place that spells them, for the prepared
/// statements above and for ``PostgresQuery/StringInterpolation/appendInterpolation(auditRows:)``.
enum AuditRows {
    /// Each array's type, in the columns' order: as SQL casts it, and as a prepared statement declares it.
    static let types: [(cast: String, data: PostgresDataType)] = [
        ("text[]", .textArray), ("int8[]", .int8Array), ("text[]", .textArray), ("text[]", .textArray), ("text[]", .textArray),
        ("text[]", .textArray), ("text[]", .textArray),
    ]
    /// The arrays' types as a prepared statement declares its parameters'.
    static var dataTypes: [PostgresDataType] { types.map(\.data) }

    /// `SELECT * FROM unnest($first::text[], ...)`, its arrays bound from parameter `first` on.
    static func sql(from first: Int) -> String {
        let arrays = types.enumerated().map { "$\(first + $0.offset)::\($0.element.cast)" }
        return "SELECT * FROM unnest(\(arrays.joined(separator: ", ")))"
    }

    /// `logged AS (INSERT INTO audit_events ...)`, a statement's part that inserts its audit events, their arrays bound
    /// from parameter `first` on, only when its part named `change` wrote a row.
    static func logged(from first: Int, with change: String) -> String {
        """
        logged AS (
            INSERT INTO audit_events (id, timestamp, type, actor, resource_id, resource_type, resource_name)
            \(sql(from: first))
            WHERE EXISTS (SELECT 1 FROM \(change)))
        """
    }

    /// The columns' arrays, in ``types``' order.
    static func columns(_ events: [AuditEvent]) -> [any PostgresDynamicTypeEncodable] {
        [
            events.map(\.id), events.map { PostgresStore.millis($0.timestamp) }, events.map(\.type), events.map(\.actor),
            events.map(\.resourceID), events.map(\.resourceType), events.map(\.resourceName),
        ]
    }

    /// Binds the columns' arrays, in ``types``' order.
    static func bind(_ events: [AuditEvent], into bindings: inout PostgresBindings) {
        for column in columns(events) { bindings.append(column) }
    }
}
