import Foundation
import PostgresNIO
import SluiceCore
import Testing

@testable import SluicePostgres

/// The busiest reads by key are prepared once per connection and then executed by name.
@Suite(.enabled(if: StoreKind.postgresURL != nil, "SLUICE_TEST_POSTGRES is not set"))
struct PostgresPreparedStatementsTests {
    @Test func aReadByKeyIsPreparedOnceOnItsConnectionAndReadsTheRowAsItIsNow() async throws {
        let url = try #require(StoreKind.postgresURL)
        let store = try await PostgresStore.open(url: url, schema: "t_" + Identifier.make().lowercased())
        let source = try await storedSource(store)
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        let (first, second, prepared) = try await store.withConnection { conn in
            // When the same read runs twice on one connection, with a write between
            let first = try await store.first(StoredDestinationByID(id: destination.id), conn)
            try await conn.query("UPDATE destinations SET name = 'Renamed' WHERE id = \(destination.id)", logger: store.logger)
            let second = try await store.first(StoredDestinationByID(id: destination.id), conn)
            let prepared = try await conn.query("SELECT name, statement FROM pg_prepared_statements", logger: store.logger)
                .collect().map { try $0.decode((String, String).self) }
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
