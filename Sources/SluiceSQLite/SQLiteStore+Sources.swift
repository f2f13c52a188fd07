import Foundation
import GRDB
import SluiceCore

extension SQLiteStore {
    private static let sourceColumns: SQL =
        "id, workspace_id, slug, name, enabled, metadata_id, settings, labels, created_at, updated_at"

    private static func source(_ row: Row, _ db: Database) throws -> Source {
        let id: String = row["id"]
        let keys = try String.fetchAll(db, literal: "SELECT key FROM write_keys WHERE source_id = \(id) ORDER BY position")
        return Source(
            id: id, workspaceID: row["workspace_id"], slug: row["slug"], name: row["name"], enabled: row["enabled"],
            metadataID: row["metadata_id"], settings: object(row["settings"]), writeKeys: keys, labels: Self.labels(row["labels"]),
            createdAt: date(row["created_at"]), updatedAt: date(row["updated_at"]))
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
            try Row.fetchOne(db, literal: "SELECT \(Self.sourceColumns) FROM sources WHERE id = \(id)").map { try Self.source($0, db) }
        }
    }

    public func source(writeKey: String) async throws -> Source? {
        try await pointRead(.many) { db in
            try Row.fetchOne(
                db,
                literal: """
                    SELECT \(Self.sourceColumns) FROM sources
                    WHERE id = (SELECT source_id FROM write_keys WHERE key = \(writeKey))
                    """
            ).map { try Self.source($0, db) }
        }
    }

    public func listSources(page: PageRequest) async throws -> Page<Source> {
        try await read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sources") ?? 0
            let rows = try Row.fetchAll(
                db, literal: "SELECT \(Self.sourceColumns) FROM sources ORDER BY seq LIMIT \(page.count) OFFSET \(page.offset)")
            return Page(items: try rows.map { try Self.source($0, db) }, totalEntries: total, request: page)
        }
    }

    public func updateSource(id: String, _ transform: @escaping @Sendable (Source) throws -> (Source, [AuditEvent])) async throws -> Source {
        try await groupWrite { db in
            guard let row = try Row.fetchOne(db, literal: "SELECT \(Self.sourceColumns) FROM sources WHERE id = \(id)") else {
                throw StoreError.notFound(resource: "source", id: id)
            }
            let (updated, audit) = try transform(try Self.source(row, db))
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
            guard let row = try Row.fetchOne(db, literal: "SELECT \(Self.sourceColumns) FROM sources WHERE id = \(id)") else {
                throw StoreError.notFound(resource: "source", id: id)
            }
            let source = try Self.source(row, db)
            let destinations = try Self.destinations(db, literal: "WHERE source_id = \(id) ORDER BY seq")
            try db.execute(literal: "DELETE FROM sources WHERE id = \(id)")  // cascades to keys, destinations, subscriptions
            try Self.insertAudit(audit(source, destinations), db)
        }
    }
}
