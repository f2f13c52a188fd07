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
