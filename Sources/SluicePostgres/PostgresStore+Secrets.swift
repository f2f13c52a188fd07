import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore {
    public func secretKeyCheck() async throws -> String? {
        try await read { conn in
            let check = try await self.rows(conn, "SELECT key_check FROM secret_key_checks WHERE id = 1").first?.decode(String.self)
            return check == "" ? nil : check
        }
    }

    public func holdsSecretsSealedUnderOtherKeys(than keyID: String) async throws -> Bool {
        try await read { conn in
            let rows = try await self.rows(conn, "SELECT settings FROM destinations UNION ALL SELECT settings FROM subscriptions")
            return try rows.contains { row in SealedSecret.mentionsOtherKey(in: try row.decode(String.self), than: keyID) }
        }
    }

    public func resealSecrets(
        expectedCheck: String?, newCheck: String,
        _ reseal: @escaping @Sendable (SecretHolder, [String: JSONValue]) throws -> [String: JSONValue]?
    ) async throws -> Int {
        try await transaction { conn in
            // The check row is created locked first, so that two processes resealing at once (a start-up
            // and a rotation) go one after the other, the second seeing the first's check.
            try await conn.query(
                "INSERT INTO secret_key_checks (id, key_check) VALUES (1, '') ON CONFLICT (id) DO NOTHING", logger: self.logger)
            let stored = try await self.rows(conn, "SELECT key_check FROM secret_key_checks WHERE id = 1 FOR UPDATE")
                .first?.decode(String.self)
            let current = stored == "" ? nil : stored
            guard current == expectedCheck else {
                throw StoreError.conflict("The store's secret key changed meanwhile; run the command again")
            }
            var rewritten = 0
            let destinations = try await self.rows(conn, "SELECT id, metadata_id, settings FROM destinations FOR UPDATE")
            for row in destinations {
                let (id, metadataID, text) = try row.decode((String, String, String).self)
                guard let settings = try Self.calling({ try reseal(.destination(metadataID: metadataID), $0) }, Self.object(text))
                else { continue }
                try await conn.query("UPDATE destinations SET settings = \(Self.json(settings)) WHERE id = \(id)", logger: self.logger)
                rewritten += 1
            }
            let subscriptions = try await self.rows(
                conn,
                """
                SELECT s.id, d.metadata_id, s.action_id, s.settings FROM subscriptions s
                JOIN destinations d ON d.id = s.destination_id FOR UPDATE OF s
                """)
            for row in subscriptions {
                let (id, metadataID, actionID, text) = try row.decode((String, String, String, String).self)
                let holder = SecretHolder.subscription(metadataID: metadataID, actionID: actionID)
                guard let settings = try Self.calling({ try reseal(holder, $0) }, Self.object(text)) else { continue }
                try await conn.query("UPDATE subscriptions SET settings = \(Self.json(settings)) WHERE id = \(id)", logger: self.logger)
                rewritten += 1
            }
            try await conn.query("UPDATE secret_key_checks SET key_check = \(newCheck) WHERE id = 1", logger: self.logger)
            return rewritten
        }
    }
}
