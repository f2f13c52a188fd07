import Foundation
import GRDB
import SluiceCore

extension SQLiteStore {
    private static let sourceColumnList = "id, workspace_id, slug, name, enabled, metadata_id, settings, labels, created_at, updated_at"
    private static let sourceColumns = SQL(sql: sourceColumnList)
    // The reads of one source, prepared once per connection (GRDB's statement cache): `POST /destinations` reads its
    // source, and the Tracking API a source by write key.
    private static let sourceByID = "SELECT \(sourceColumnList) FROM sources WHERE id = ?"
    private static let sourceByWriteKey = """
        SELECT \(sourceColumnList) FROM sources WHERE id = (SELECT source_id FROM write_keys WHERE key = ?)
        """
    private static let writeKeysOfSource = "SELECT key FROM write_keys WHERE source_id = ? ORDER BY position"

    /// A row of ``sourceColumnList``, by position, with the source's write keys.
    private static func source(_ row: Row, _ db: Database) throws -> Source {
        let id: String = row[0]
        let keys = try String.fetchAll(db.cachedStatement(sql: writeKeysOfSource), arguments: [id])
        return Source(
            id: id, workspaceID: row[1], slug: row[2], name: row[3], enabled: row[4], metadataID: row[5], settings: object(row[6]),
            writeKeys: keys, labels: Self.labels(row[7]), createdAt: date(row[8]), updatedAt: date(row[9]))
    }

    /// The source `id`, with its write keys.
    private static func source(id: String, _ db: Database) throws -> Source? {
        try db.cachedStatement(sql: sourceByID).first(arguments: [id]) { try source($0, db) }
    }

    private static func checkSlugFree(_ slug: String, except id: String, _ db: Database) throws {
        if try Bool.fetchOne(db, literal: "SELECT 1 FROM sources WHERE slug = \(slug) AND id != \(id)") == true {
            throw StoreError.conflict("A source with slug \"\(slug)\" already exists", field: "slug")
        }
    }

    private static func replaceWriteKeys(of sourceID: String, with keys: [String], _ db: Database) throws {
        try db.execute(literal: "DELETE FROM write_keys WHERE source_id = \(sourceID)")
        for (position, key) in keys.enumerated() {
            try db.execute(literal: "INSERT INTO write_keys (key, source_id, position) VALUES (\(key), \(sourceID), \(position))")
        }
    }

    public func createSource(_ source: Source, audit: [AuditEvent]) async throws {
        try await groupWrite { db in
            try Self.checkSlugFree(source.slug, except: source.id, db)
            try db.execute(
                literal: """
                    INSERT INTO sources (id, workspace_id, slug, name, enabled, metadata_id, settings, labels, created_at, updated_at)
                    VALUES (\(source.id), \(source.workspaceID), \(source.slug), \(source.name), \(source.enabled),
                            \(source.metadataID), \(Self.json(source.settings)), \(Self.labelsJSON(source.labels)),
                            \(Self.millis(source.createdAt)), \(Self.millis(source.updatedAt)))
                    """)
            try Self.replaceWriteKeys(of: source.id, with: source.writeKeys, db)
            try Self.insertAudit(audit, db)
        }
    }

    public func source(id: String) async throws -> Source? {
        try await pointRead(.many) { db in
            try Self.source(id: id, db)
        }
    }

    public func source(writeKey: String) async throws -> Source? {
        try await pointRead(.many) { db in
            try db.cachedStatement(sql: Self.sourceByWriteKey).first(arguments: [writeKey]) { try Self.source($0, db) }
        }
    }

    public func listSources(page: PageRequest) async throws -> Page<Source> {
        try await read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sources") ?? 0
            let items = try db.makeStatement(
                literal: "SELECT \(Self.sourceColumns) FROM sources ORDER BY seq LIMIT \(page.count) OFFSET \(page.offset)"
            ).all { try Self.source($0, db) }
            return Page(items: items, totalEntries: total, request: page)
        }
    }

    public func updateSource(id: String, _ transform: @escaping @Sendable (Source) throws -> (Source, [AuditEvent])) async throws -> Source {
        try await groupWrite { db in
            guard let current = try Self.source(id: id, db) else { throw StoreError.notFound(resource: "source", id: id) }
            let (updated, audit) = try transform(current)
            try Self.checkSlugFree(updated.slug, except: id, db)
            try db.execute(
                literal: """
                    UPDATE sources SET slug = \(updated.slug), name = \(updated.name), enabled = \(updated.enabled),
                        settings = \(Self.json(updated.settings)), labels = \(Self.labelsJSON(updated.labels)),
                        updated_at = \(Self.millis(updated.updatedAt))
                    WHERE id = \(id)
                    """)
            try Self.replaceWriteKeys(of: id, with: updated.writeKeys, db)
            try Self.insertAudit(audit, db)
            return updated
        }
    }

    public func deleteSource(id: String, audit: @escaping @Sendable (Source, [Destination]) -> [AuditEvent]) async throws {
        try await groupWrite { db in
            guard let source = try Self.source(id: id, db) else { throw StoreError.notFound(resource: "source", id: id) }
            let destinations = try Self.destinations(db, literal: "WHERE source_id = \(id) ORDER BY seq")
            try db.execute(literal: "DELETE FROM sources WHERE id = \(id)")  // cascades to keys, destinations, subscriptions
            try Self.insertAudit(audit(source, destinations), db)
        }
    }
}
