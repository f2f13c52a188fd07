import Foundation
import PostgresNIO
import SluiceCore
import Testing

@testable import SluicePostgres

/// A store opened on a temporary schema (each test's own) drops it at close, so that a test database does not keep
/// every test's tables; any other store leaves its schema as it is.
@Suite(.enabled(if: StoreKind.postgresURL != nil, "SLUICE_TEST_POSTGRES is not set"))
struct PostgresTemporarySchemaTests {
    /// Whether `schema` exists, asked on one of `store`'s connections (whatever its own schema).
    static func exists(_ schema: String, asking store: PostgresStore) async throws -> Bool {
        try await store.withConnection { conn in
            try await conn.query("SELECT count(*) FROM pg_namespace WHERE nspname = \(schema)", logger: store.logger)
                .collect().first?.decode(Int.self) == 1
        }
    }

    /// A store on a schema of its own, to ask with.
    static func witness() async throws -> PostgresStore {
        try await PostgresStore.open(url: try #require(StoreKind.postgresURL), schema: "t_" + Identifier.make().lowercased(), temporary: true)
    }

    @Test func aTemporarySchemaIsDroppedAtCloseAndAnyOtherIsKept() async throws {
        let url = try #require(StoreKind.postgresURL)
        let witness = try await Self.witness()
        let temporary = "t_" + Identifier.make().lowercased()
        let kept = "t_" + Identifier.make().lowercased()
        // Given a store on a temporary schema holding a source, and one on a schema to keep
        let a = try await PostgresStore.open(url: url, schema: temporary, temporary: true)
        _ = try await storedSource(a)
        let b = try await PostgresStore.open(url: url, schema: kept)
        #expect(try await Self.exists(temporary, asking: witness))
        #expect(try await Self.exists(kept, asking: witness))
        // When both close
        try await a.close()
        try await b.close()
        // Then the temporary schema is gone with its tables, and the other is there, its tables as they were
        #expect(try await !Self.exists(temporary, asking: witness))
        #expect(try await Self.exists(kept, asking: witness))
        let again = try await PostgresStore.open(url: url, schema: kept, temporary: true)
        #expect(try await again.listSources(page: PageRequest(count: 10)).totalEntries == 0)
        try await again.close()
        #expect(try await !Self.exists(kept, asking: witness))
        try await witness.close()
    }
}
