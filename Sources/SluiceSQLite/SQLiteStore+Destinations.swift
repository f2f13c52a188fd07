import Foundation
import GRDB
import SluiceCore

extension SQLiteStore {
    private static let destinationColumnList = "id, workspace_id, source_id, metadata_id, name, enabled, settings, created_at, updated_at, filters"
    private static let destinationColumns = SQL(sql: destinationColumnList)
    /// The read of one destination by id, prepared once per connection (GRDB's statement cache): the hot read of
    /// `GET /destinations/{id}`.
    private static let destinationByID = "SELECT \(destinationColumnList) FROM destinations WHERE id = ?"

    static func destinations(_ db: Database, literal tail: SQL) throws -> [Destination] {
        try db.makeStatement(literal: "SELECT \(destinationColumns) FROM destinations \(tail)").all(destination)
    }

    /// A row of ``destinationColumnList``, read by position (a lookup by name lowercases the name every time).
    static func destination(_ row: Row) -> Destination {
        Destination(
            id: row[0], workspaceID: row[1], sourceID: row[2], metadataID: row[3], name: row[4], enabled: row[5], settings: object(row[6]),
            createdAt: date(row[7]), updatedAt: date(row[8]), filters: DestinationFilter.filters(storedText: row[9]))
    }

    // The Public API's writes of a destination, prepared once per connection (GRDB's statement cache).
    private static let sourceExists = "SELECT 1 FROM sources WHERE id = ?"
    private static let insertDestination = """
        INSERT INTO destinations (id, workspace_id, source_id, metadata_id, name, enabled, settings, created_at, updated_at, filters)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    private static let updateDestinationByID = """
        UPDATE destinations SET name = ?, enabled = ?, settings = ?, updated_at = ?, filters = ? WHERE id = ?
        """

    public func createDestination(_ d: Destination, audit: [AuditEvent]) async throws {
        try await groupWrite { db in
            guard try Bool.fetchOne(db.cachedStatement(sql: Self.sourceExists), arguments: [d.sourceID]) == true else {
                throw StoreError.notFound(resource: "source", id: d.sourceID)
            }
            try db.cachedStatement(sql: Self.insertDestination).execute(arguments: [
                d.id, d.workspaceID, d.sourceID, d.metadataID, d.name, d.enabled, Self.json(d.settings), Self.millis(d.createdAt),
                Self.millis(d.updatedAt), DestinationFilter.storedText(d.filters),
            ])
            try Self.insertAudit(audit, db)
        }
    }

    public func destination(id: String) async throws -> Destination? {
        try await pointRead(.one) { db in try db.cachedStatement(sql: Self.destinationByID).first(arguments: [id], Self.destination) }
    }

    public func listDestinations(sourceID: String?, page: PageRequest) async throws -> Page<Destination> {
        try await destinationPage(sourceID: sourceID, page: page, statements: Self.destinationPages, Self.destination)
    }

    // MARK: Destinations as stored (answers)

    private static let storedDestinationColumnList = "id, source_id, metadata_id, name, enabled, settings"
    private static let storedDestinationByID = "SELECT \(storedDestinationColumnList) FROM destinations WHERE id = ?"

    /// A row of ``storedDestinationColumnList``, by position.
    static func storedDestination(_ row: Row) -> StoredDestination {
        StoredDestination(id: row[0], sourceID: row[1], metadataID: row[2], name: row[3], enabled: row[4], settingsText: row[5])
    }

    public func storedDestination(id: String) async throws -> StoredDestination? {
        try await pointRead(.one) { db in
            try db.cachedStatement(sql: Self.storedDestinationByID).first(arguments: [id], Self.storedDestination)
        }
    }

    public func listStoredDestinations(sourceID: String?, page: PageRequest) async throws -> Page<StoredDestination> {
        try await destinationPage(
            sourceID: sourceID, page: page, statements: Self.storedDestinationPages, Self.storedDestination)
    }

    /// The statements of a page of destinations of one list of columns, for every destination or one source's: made
    /// once from constants, prepared once per connection (GRDB's statement cache). The counts do not depend on the
    /// columns.
    struct DestinationPageSQL: Sendable {
        static let count = "SELECT COUNT(*) FROM destinations"
        static let countOfSource = "SELECT COUNT(*) FROM destinations WHERE source_id = ?"
        let rows: String
        let rowsOfSource: String

        init(columns: String) {
            rows = "SELECT \(columns) FROM destinations ORDER BY seq LIMIT ? OFFSET ?"
            rowsOfSource = "SELECT \(columns) FROM destinations WHERE source_id = ? ORDER BY seq LIMIT ? OFFSET ?"
        }
    }

    private static let destinationPages = DestinationPageSQL(columns: destinationColumnList)
    private static let storedDestinationPages = DestinationPageSQL(columns: storedDestinationColumnList)

    /// A page of destinations (of one source when `sourceID` is given), oldest first, each row made by `make`.
    private func destinationPage<T: Sendable>(
        sourceID: String?, page: PageRequest, statements: DestinationPageSQL, _ make: @escaping @Sendable (Row) -> T
    ) async throws -> Page<T> {
        try await read { db in
            let (count, rows) =
                sourceID == nil ? (DestinationPageSQL.count, statements.rows) : (DestinationPageSQL.countOfSource, statements.rowsOfSource)
            let arguments: StatementArguments = sourceID.map { [$0] } ?? []
            let total = try Int.fetchOne(db.cachedStatement(sql: count), arguments: arguments) ?? 0
            let items = try db.cachedStatement(sql: rows).all(arguments: arguments + [page.count, page.offset], make)
            return Page(items: items, totalEntries: total, request: page)
        }
    }

    public func enabledDestinations(sourceID: String, metadataIDs: [String]?) async throws -> [Destination] {
        try await read { db in
            guard let metadataIDs else {
                return try Self.destinations(db, literal: "WHERE source_id = \(sourceID) AND enabled = 1 ORDER BY seq")
            }
            guard !metadataIDs.isEmpty else { return [] }
            return try Self.destinations(
                db, literal: "WHERE source_id = \(sourceID) AND metadata_id IN \(metadataIDs) AND enabled = 1 ORDER BY seq")
        }
    }

    public func updateDestination(
        id: String, _ transform: @escaping @Sendable (Destination) throws -> (Destination, [AuditEvent])
    ) async throws
        -> Destination
    {
        try await groupWrite { db in
            guard let current = try db.cachedStatement(sql: Self.destinationByID).first(arguments: [id], Self.destination) else {
                throw StoreError.notFound(resource: "destination", id: id)
            }
            let (updated, audit) = try transform(current)
            try db.cachedStatement(sql: Self.updateDestinationByID).execute(arguments: [
                updated.name, updated.enabled, Self.json(updated.settings), Self.millis(updated.updatedAt),
                DestinationFilter.storedText(updated.filters), id,
            ])
            try Self.insertAudit(audit, db)
            return updated
        }
    }

    public func deleteDestination(id: String, audit: @escaping @Sendable (Destination) -> [AuditEvent]) async throws {
        try await groupWrite { db in
            guard let current = try Self.destinations(db, literal: "WHERE id = \(id)").first else {
                throw StoreError.notFound(resource: "destination", id: id)
            }
            try db.execute(literal: "DELETE FROM destinations WHERE id = \(id)")  // cascades to subscriptions
            try Self.insertAudit(audit(current), db)
        }
    }
}
