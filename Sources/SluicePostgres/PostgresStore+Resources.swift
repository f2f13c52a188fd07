import Foundation
import PostgresNIO
import SluiceCore

// Sources, destinations and subscriptions. A write reads its row `FOR UPDATE`, so two processes
// changing one row apply one after the other, each transform seeing the other's result.

// MARK: - Sources

extension PostgresStore {
    static let sourceColumns = """
        id, workspace_id, slug, name, enabled, metadata_id, settings, labels, created_at, updated_at,
        ARRAY(SELECT key FROM write_keys WHERE write_keys.source_id = sources.id ORDER BY position) AS keys
        """

    private func sources(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [Source] {
        try await rows(conn, query).map(Self.source)
    }

    /// A row of ``sourceColumns``.
    static func source(_ row: PostgresRow) throws -> Source {
        let (id, workspaceID, slug, name, enabled, metadataID, settings, labels, createdAt, updatedAt, keys) = try row.decode(
            (String, String, String, String?, Bool, String, String, String, Int64, Int64, [String]).self)
        return Source(
            id: id, workspaceID: workspaceID, slug: slug, name: name, enabled: enabled, metadataID: metadataID,
            settings: Self.object(settings), writeKeys: keys,
            labels: Self.labels(labels), createdAt: Self.date(createdAt),
            updatedAt: Self.date(updatedAt))
    }

    private func checkSlugFree(_ slug: String, except id: String, _ conn: PostgresConnection) async throws {
        if try await !rows(conn, "SELECT 1 FROM sources WHERE slug = \(slug) AND id <> \(id)").isEmpty {
            throw StoreError.conflict("A source with slug \"\(slug)\" already exists", field: "slug")
        }
    }

    private func replaceWriteKeys(of sourceID: String, with keys: [String], _ conn: PostgresConnection) async throws {
        try await conn.query("DELETE FROM write_keys WHERE source_id = \(sourceID)", logger: logger)
        guard !keys.isEmpty else { return }
        try await conn.query(
            """
            INSERT INTO write_keys (key, source_id, position)
            SELECT key, \(sourceID), position - 1 FROM unnest(\(keys)::text[]) WITH ORDINALITY AS k(key, position)
            """, logger: logger)
    }

    /// The source, locked for the rest of the transaction.
    private func lockedSource(id: String, _ conn: PostgresConnection) async throws -> Source {
        guard let source = try await sources(conn, "SELECT \(unescaped: Self.sourceColumns) FROM sources WHERE id = \(id) FOR UPDATE").first
        else { throw StoreError.notFound(resource: "source", id: id) }
        return source
    }

    public func createSource(_ source: Source, audit: [AuditEvent]) async throws {
        try await transaction { conn in
            try await self.checkSlugFree(source.slug, except: source.id, conn)
            try await conn.query(
                """
                INSERT INTO sources (id, workspace_id, slug, name, enabled, metadata_id, settings, labels, created_at, updated_at)
                VALUES (\(source.id), \(source.workspaceID), \(source.slug), \(source.name), \(source.enabled),
                        \(source.metadataID), \(Self.json(source.settings)), \(Self.labelsJSON(source.labels)),
                        \(Self.millis(source.createdAt)), \(Self.millis(source.updatedAt)))
                """, logger: self.logger)
            try await self.replaceWriteKeys(of: source.id, with: source.writeKeys, conn)
            try await Self.insertAudit(audit, conn, logger: self.logger)
        }
    }

    public func source(id: String) async throws -> Source? {
        try await read { conn in
            try await self.first(SourceByID(id: id), conn)
        }
    }

    public func source(writeKey: String) async throws -> Source? {
        try await read { conn in
            try await self.sources(
                conn,
                """
                SELECT \(unescaped: Self.sourceColumns) FROM sources
                WHERE id = (SELECT source_id FROM write_keys WHERE key = \(writeKey))
                """
            ).first
        }
    }

    public func listSources(page: PageRequest) async throws -> Page<Source> {
        try await read { conn in
            let total = try await self.rows(conn, "SELECT COUNT(*) FROM sources").first?.decode(Int.self) ?? 0
            let items = try await self.sources(
                conn, "SELECT \(unescaped: Self.sourceColumns) FROM sources ORDER BY seq LIMIT \(page.count) OFFSET \(page.offset)")
            return Page(items: items, totalEntries: total, request: page)
        }
    }

    public func updateSource(id: String, _ transform: @escaping @Sendable (Source) throws -> (Source, [AuditEvent])) async throws -> Source {
        try await transaction { conn in
            let current = try await self.lockedSource(id: id, conn)
            let (updated, audit) = try Self.calling(transform, current)
            try await self.checkSlugFree(updated.slug, except: id, conn)
            try await conn.query(
                """
                UPDATE sources SET slug = \(updated.slug), name = \(updated.name), enabled = \(updated.enabled),
                    settings = \(Self.json(updated.settings)), labels = \(Self.labelsJSON(updated.labels)),
                    updated_at = \(Self.millis(updated.updatedAt))
                WHERE id = \(id)
                """, logger: self.logger)
            if updated.writeKeys != current.writeKeys {
                try await self.replaceWriteKeys(of: id, with: updated.writeKeys, conn)
            }
            try await Self.insertAudit(audit, conn, logger: self.logger)
            return updated
        }
    }

    public func deleteSource(id: String, audit: @escaping @Sendable (Source, [Destination]) -> [AuditEvent]) async throws {
        try await transaction { conn in
            let source = try await self.lockedSource(id: id, conn)
            let destinations = try await self.destinations(
                conn, "SELECT \(unescaped: Self.destinationColumns) FROM destinations WHERE source_id = \(id) ORDER BY seq")
            try await conn.query("DELETE FROM sources WHERE id = \(id)", logger: self.logger)  // cascades
            try await Self.insertAudit(audit(source, destinations), conn, logger: self.logger)
        }
    }
}

// MARK: - Destinations

extension PostgresStore {
    static let destinationColumns = "id, workspace_id, source_id, metadata_id, name, enabled, settings, created_at, updated_at, filters"

    func destinations(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [Destination] {
        try await rows(conn, query).map { try Self.destination($0).destination }
    }

    /// A row of ``destinationColumns``: the destination, and the stored columns an update may change (its version).
    static func destination(_ row: PostgresRow) throws -> (destination: Destination, settings: String, updatedAt: Int64, filters: String) {
        let (id, workspaceID, sourceID, metadataID, name, enabled, settings, createdAt, updatedAt, filters) = try row.decode(
            (String, String, String, String, String, Bool, String, Int64, Int64, String).self)
        let destination = Destination(
            id: id, workspaceID: workspaceID, sourceID: sourceID, metadataID: metadataID, name: name, enabled: enabled,
            settings: object(settings), createdAt: date(createdAt), updatedAt: date(updatedAt),
            filters: DestinationFilter.filters(storedText: filters))
        return (destination, settings, updatedAt, filters)
    }

    /// The destination, locked for the rest of the transaction.
    private func lockedDestination(id: String, _ conn: PostgresConnection) async throws -> Destination {
        guard
            let destination = try await destinations(
                conn, "SELECT \(unescaped: Self.destinationColumns) FROM destinations WHERE id = \(id) FOR UPDATE"
            ).first
        else { throw StoreError.notFound(resource: "destination", id: id) }
        return destination
    }

    /// One statement, so one round trip and a transaction of its own (where `BEGIN`, a source check, two inserts and
    /// `COMMIT` took five): the destination goes in only if its source row is there (the insert reads it, and the
    /// foreign key locks it against a concurrent delete), its audit events only with it.
    public func createDestination(_ d: Destination, audit: [AuditEvent]) async throws {
        let created = try await withConnection { conn in
            try await self.first(CreateDestination(destination: d, audit: audit), conn) ?? 0
        }
        guard created == 1 else { throw StoreError.notFound(resource: "source", id: d.sourceID) }
    }

    public func destination(id: String) async throws -> Destination? {
        try await read { conn in
            try await self.first(DestinationByID(id: id), conn)?.destination
        }
    }

    public func listDestinations(sourceID: String?, page: PageRequest) async throws -> Page<Destination> {
        try await destinationPage(sourceID: sourceID, page: page, columns: Self.destinationColumns) { conn, query in
            try await self.destinations(conn, query)
        }
    }

    // MARK: Destinations as stored (answers)

    static let storedDestinationColumns = "id, source_id, metadata_id, name, enabled, settings"

    func storedDestinations(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [StoredDestination] {
        try await rows(conn, query).map(Self.storedDestination)
    }

    /// A row of ``storedDestinationColumns``.
    static func storedDestination(_ row: PostgresRow) throws -> StoredDestination {
        let (id, sourceID, metadataID, name, enabled, settings) = try row.decode((String, String, String, String, Bool, String).self)
        return StoredDestination(id: id, sourceID: sourceID, metadataID: metadataID, name: name, enabled: enabled, settingsText: settings)
    }

    public func storedDestination(id: String) async throws -> StoredDestination? {
        try await read { conn in
            try await self.first(StoredDestinationByID(id: id), conn)
        }
    }

    public func listStoredDestinations(sourceID: String?, page: PageRequest) async throws -> Page<StoredDestination> {
        try await destinationPage(sourceID: sourceID, page: page, columns: Self.storedDestinationColumns) { conn, query in
            try await self.storedDestinations(conn, query)
        }
    }

    /// A page of destinations (of one source when `sourceID` is given), oldest first, each row of `columns` read by `read`.
    private func destinationPage<T: Sendable>(
        sourceID: String?, page: PageRequest, columns: String,
        _ items: @escaping @Sendable (PostgresConnection, PostgresQuery) async throws -> [T]
    ) async throws -> Page<T> {
        try await read { conn in
            let total =
                try await self.rows(conn, "SELECT COUNT(*) FROM destinations WHERE \(sourceID)::text IS NULL OR source_id = \(sourceID)")
                .first?.decode(Int.self) ?? 0
            let items = try await items(
                conn,
                """
                SELECT \(unescaped: columns) FROM destinations WHERE \(sourceID)::text IS NULL OR source_id = \(sourceID)
                ORDER BY seq LIMIT \(page.count) OFFSET \(page.offset)
                """)
            return Page(items: items, totalEntries: total, request: page)
        }
    }

    public func enabledDestinations(sourceID: String, metadataIDs: [String]?) async throws -> [Destination] {
        try await read { conn in
            guard let metadataIDs else {
                return try await self.destinations(
                    conn,
                    "SELECT \(unescaped: Self.destinationColumns) FROM destinations WHERE source_id = \(sourceID) AND enabled ORDER BY seq")
            }
            return try await self.destinations(
                conn,
                """
                SELECT \(unescaped: Self.destinationColumns) FROM destinations
                WHERE source_id = \(sourceID) AND metadata_id = ANY(\(metadataIDs)) AND enabled ORDER BY seq
                """)
        }
    }

    /// Runs `transform` on the row as read (one round trip, no transaction), then writes its result in one statement
    /// that changes the row only if it is still the version the transform saw, with the audit events only if it did:
    /// two round trips where locking the row in a transaction takes five. When another write changed (or deleted) the
    /// row in between, the update runs as before: in a transaction, on the row locked as it is.
    public func updateDestination(
        id: String, _ transform: @escaping @Sendable (Destination) throws -> (Destination, [AuditEvent])
    ) async throws
        -> Destination
    {
        let seen = try await read { conn in
            try await self.first(DestinationByID(id: id), conn)
        }
        guard let (current, storedSettings, storedUpdatedAt, storedFilters) = seen else {
            throw StoreError.notFound(resource: "destination", id: id)
        }
        let (updated, audit) = try transform(current)
        let written = try await withConnection { conn in
            try await self.first(
                UpdateDestinationIfUnchanged(
                    id: id, updated: updated, audit: audit, current: current, storedSettings: storedSettings,
                    storedUpdatedAt: storedUpdatedAt, storedFilters: storedFilters), conn) ?? 0
        }
        if written == 1 { return updated }
        return try await transaction { conn in
            let current = try await self.lockedDestination(id: id, conn)
            let (updated, audit) = try Self.calling(transform, current)
            try await conn.query(
                """
                UPDATE destinations SET name = \(updated.name), enabled = \(updated.enabled),
                    settings = \(Self.json(updated.settings)), updated_at = \(Self.millis(updated.updatedAt)),
                    filters = \(DestinationFilter.storedText(updated.filters))
                WHERE id = \(id)
                """, logger: self.logger)
            try await Self.insertAudit(audit, conn, logger: self.logger)
            return updated
        }
    }

    public func deleteDestination(id: String, audit: @escaping @Sendable (Destination) -> [AuditEvent]) async throws {
        try await transaction { conn in
            let current = try await self.lockedDestination(id: id, conn)
            try await conn.query("DELETE FROM destinations WHERE id = \(id)", logger: self.logger)  // cascades to subscriptions
            try await Self.insertAudit(audit(current), conn, logger: self.logger)
        }
    }
}

// MARK: - Subscriptions

extension PostgresStore {
    private static let subscriptionColumns =
        "id, destination_id, name, action_id, action_slug, trigger, enabled, settings, model_id, created_at, updated_at"

    private func subscriptions(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [Subscription] {
        try await rows(conn, query).map { row in
            let (id, destinationID, name, actionID, actionSlug, trigger, enabled, settings, modelID, createdAt, updatedAt) = try row.decode(
                (String, String, String, String, String, String, Bool, String, String, Int64, Int64).self)
            return Subscription(
                id: id, destinationID: destinationID, name: name, actionID: actionID, actionSlug: actionSlug, trigger: trigger,
                enabled: enabled, settings: Self.object(settings), modelID: modelID, createdAt: Self.date(createdAt),
                updatedAt: Self.date(updatedAt))
        }
    }

    /// The subscription, locked for the rest of the transaction.
    private func lockedSubscription(destinationID: String, id: String, _ conn: PostgresConnection) async throws -> Subscription {
        guard
            let current = try await subscriptions(
                conn,
                """
                SELECT \(unescaped: Self.subscriptionColumns) FROM subscriptions
                WHERE id = \(id) AND destination_id = \(destinationID) FOR UPDATE
                """
            ).first
        else { throw StoreError.notFound(resource: "subscription", id: id) }
        return current
    }

    public func createSubscription(_ s: Subscription, audit: [AuditEvent]) async throws {
        try await transaction { conn in
            guard try await !self.rows(conn, "SELECT 1 FROM destinations WHERE id = \(s.destinationID) FOR SHARE").isEmpty else {
                throw StoreError.notFound(resource: "destination", id: s.destinationID)
            }
            try await conn.query(
                """
                INSERT INTO subscriptions (id, destination_id, name, action_id, action_slug, trigger, enabled, settings,
                                           model_id, created_at, updated_at)
                VALUES (\(s.id), \(s.destinationID), \(s.name), \(s.actionID), \(s.actionSlug), \(s.trigger), \(s.enabled),
                        \(Self.json(s.settings)), \(s.modelID), \(Self.millis(s.createdAt)), \(Self.millis(s.updatedAt)))
                """, logger: self.logger)
            try await Self.insertAudit(audit, conn, logger: self.logger)
        }
    }

    public func subscription(destinationID: String, id: String) async throws -> Subscription? {
        try await read { conn in
            try await self.subscriptions(
                conn,
                "SELECT \(unescaped: Self.subscriptionColumns) FROM subscriptions WHERE id = \(id) AND destination_id = \(destinationID)"
            ).first
        }
    }

    public func listSubscriptions(destinationID: String, page: PageRequest) async throws -> Page<Subscription> {
        try await read { conn in
            let total =
                try await self.rows(conn, "SELECT COUNT(*) FROM subscriptions WHERE destination_id = \(destinationID)").first?.decode(Int.self)
                ?? 0
            let items = try await self.subscriptions(
                conn,
                """
                SELECT \(unescaped: Self.subscriptionColumns) FROM subscriptions WHERE destination_id = \(destinationID)
                ORDER BY seq LIMIT \(page.count) OFFSET \(page.offset)
                """)
            return Page(items: items, totalEntries: total, request: page)
        }
    }

    public func subscriptions(destinationIDs: [String]) async throws -> [Subscription] {
        guard !destinationIDs.isEmpty else { return [] }
        return try await read { conn in
            try await self.subscriptions(
                conn,
                "SELECT \(unescaped: Self.subscriptionColumns) FROM subscriptions WHERE destination_id = ANY(\(destinationIDs)) ORDER BY seq")
        }
    }

    public func updateSubscription(
        destinationID: String, id: String, _ transform: @escaping @Sendable (Subscription) throws -> (Subscription, [AuditEvent])
    ) async throws -> Subscription {
        try await transaction { conn in
            let current = try await self.lockedSubscription(destinationID: destinationID, id: id, conn)
            let (updated, audit) = try Self.calling(transform, current)
            try await conn.query(
                """
                UPDATE subscriptions SET name = \(updated.name), trigger = \(updated.trigger), enabled = \(updated.enabled),
                    settings = \(Self.json(updated.settings)), model_id = \(updated.modelID), updated_at = \(Self.millis(updated.updatedAt))
                WHERE id = \(id)
                """, logger: self.logger)
            try await Self.insertAudit(audit, conn, logger: self.logger)
            return updated
        }
    }

    public func deleteSubscription(destinationID: String, id: String, audit: @escaping @Sendable (Subscription) -> [AuditEvent]) async throws {
        try await transaction { conn in
            let current = try await self.lockedSubscription(destinationID: destinationID, id: id, conn)
            try await conn.query("DELETE FROM subscriptions WHERE id = \(id)", logger: self.logger)
            try await Self.insertAudit(audit(current), conn, logger: self.logger)
        }
    }
}
