import Foundation
import PostgresNIO
import SluiceCore
import Testing

@testable import SluicePostgres

/// The busiest reads by key, and a destination's create and update, are prepared once per connection and then
/// executed by name.
@Suite(.enabled(if: StoreKind.postgresURL != nil, "SLUICE_TEST_POSTGRES is not set"))
struct PostgresPreparedStatementsTests {
    /// A store on a schema of its own, holding one source and one destination.
    func storeWithADestination() async throws -> (PostgresStore, Source, Destination) {
        let url = try #require(StoreKind.postgresURL)
        let store = try await PostgresStore.open(url: url, schema: "t_" + Identifier.make().lowercased(), temporary: true)
        let source = try await storedSource(store)
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        return (store, source, destination)
    }

    @Test func aReadByKeyIsPreparedOnceOnItsConnectionAndReadsTheRowAsItIsNow() async throws {
        let (store, source, destination) = try await storeWithADestination()
        let (first, second, prepared) = try await store.withConnection { conn in
            // When the same read runs twice on one connection, with a write between
            let first = try await store.first(StoredDestinationByID(id: destination.id), conn)
            try await conn.query("UPDATE destinations SET name = 'Renamed' WHERE id = \(destination.id)", logger: store.logger)
            let second = try await store.first(StoredDestinationByID(id: destination.id), conn)
            let prepared = try await store.preparedStatements(conn).filter { $0.0.hasSuffix("_by_id") }
            return (first, second, prepared)
        }
        // Then each read sees the row as it is, and the statement was prepared once
        #expect(first?.name == "Amp")
        #expect(second?.name == "Renamed")
        #expect(prepared.map(\.0) == [StoredDestinationByID.name])
        #expect(prepared.map(\.1) == [StoredDestinationByID.sql])
        // And a source reads with its write keys
        #expect(try await store.withConnection { conn in try await store.first(SourceByID(id: source.id), conn) } == source)
        // And a read by a key that names nothing finds nothing
        #expect(try await store.withConnection { conn in try await store.first(DestinationByID(id: "missing"), conn) } == nil)
        try await store.close()
    }
}

extension PostgresStore {
    /// The statements prepared on `conn`: (name, SQL).
    func preparedStatements(_ conn: PostgresConnection) async throws -> [(String, String)] {
        try await conn.query("SELECT name, statement FROM pg_prepared_statements ORDER BY name", logger: logger)
            .collect().map { try $0.decode((String, String).self) }
    }
}

extension PostgresPreparedStatementsTests {
    @Test func aDestinationsCreateAndUpdateArePreparedAndWriteTheirAuditEventsOnlyWithTheirChange() async throws {
        let (store, source, _) = try await storeWithADestination()
        let made = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        let orphan = Destination.fixture(sourceID: "no-such-source", workspaceID: source.workspaceID)
        let (created, refused, stale, changed, prepared) = try await store.withConnection { conn in
            // When one destination is created on its source, and another on a source that is not there
            let created = try await store.first(CreateDestination(destination: made, audit: [audit("Created", made.id)]), conn)
            let refused = try await store.first(CreateDestination(destination: orphan, audit: [audit("Created", orphan.id)]), conn)
            // And the made one is updated from a version that is not the stored one, then from the stored one
            let (current, settings, updatedAt, filters) = try #require(try await store.first(DestinationByID(id: made.id), conn))
            var renamed = current
            renamed.name = "Renamed"
            let stale = try await store.first(
                UpdateDestinationIfUnchanged(
                    id: made.id, updated: renamed, audit: [audit("Stale", made.id)], current: current,
                    storedSettings: settings, storedUpdatedAt: updatedAt + 1, storedFilters: filters), conn)
            let changed = try await store.first(
                UpdateDestinationIfUnchanged(
                    id: made.id, updated: renamed, audit: [audit("Updated", made.id)], current: current,
                    storedSettings: settings, storedUpdatedAt: updatedAt, storedFilters: filters), conn)
            return (created, refused, stale, changed, try await store.preparedStatements(conn))
        }
        // Then each says how many rows it wrote
        #expect(created == 1)
        #expect(refused == 0)
        #expect(stale == 0)
        #expect(changed == 1)
        // And the rows are as written, with an audit event for each change made and none for the others
        #expect(try await store.destination(id: made.id)?.name == "Renamed")
        #expect(try await store.destination(id: orphan.id) == nil)
        let trail = try await store.withConnection { conn in
            try await store.rows(conn, "SELECT type, resource_id FROM audit_events ORDER BY seq").map { try $0.decode((String, String).self) }
        }
        #expect(trail.map(\.0) == ["Created", "Updated"])
        #expect(trail.allSatisfy { $0.1 == made.id })
        // And both were prepared on the connection, as their SQL
        #expect(prepared.contains { $0 == (CreateDestination.name, CreateDestination.sql) })
        #expect(prepared.contains { $0 == (UpdateDestinationIfUnchanged.name, UpdateDestinationIfUnchanged.sql) })
        try await store.close()
    }

    @Test func aStatementPostgreSQLRefusesClosesItsConnectionAndReadsWorkOnceTheCauseIsGone() async throws {
        let (store, _, destination) = try await storeWithADestination()
        // When the statement cannot be prepared (its table is gone for a moment)
        _ = try await store.withConnection { conn in
            try await conn.query("ALTER TABLE destinations RENAME TO destinations_away", logger: store.logger)
        }
        let closed = try await store.withConnection { conn in
            await #expect(throws: PSQLError.self) { try await store.first(StoredDestinationByID(id: destination.id), conn) }
            return conn.isClosed
        }
        // Then the connection it failed on is closed, not kept with the failed preparation
        #expect(closed)
        _ = try await store.withConnection { conn in
            try await conn.query("ALTER TABLE destinations_away RENAME TO destinations", logger: store.logger)
        }
        // And once the table is back every read finds the destination, on whichever connection
        for _ in 0..<30 { #expect(try await store.storedDestination(id: destination.id)?.id == destination.id) }
        try await store.close()
    }
}
