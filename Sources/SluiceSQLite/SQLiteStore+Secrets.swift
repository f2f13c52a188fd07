import Foundation
import GRDB
import Logging
import SluiceCore
import Synchronization

extension SQLiteStore {
    public func secretKeyCheck() async throws -> String? {
        try await read { db in try String.fetchOne(db, literal: "SELECT key_check FROM secret_key_checks WHERE id = 1") }
    }

    public func holdsSecretsSealedUnderOtherKeys(than keyID: String) async throws -> Bool {
        try await read { db in
            let texts = try String.fetchCursor(db, sql: "SELECT settings FROM destinations UNION ALL SELECT settings FROM subscriptions")
            while let text = try texts.next() {
                if SealedSecret.mentionsOtherKey(in: text, than: keyID) { return true }
            }
            return false
        }
    }

    public func resealSecrets(
        expectedCheck: String?, newCheck: String,
        _ reseal: @escaping @Sendable (SecretHolder, [String: JSONValue]) throws -> [String: JSONValue]?
    ) async throws -> Int {
        let rewritten = try await write { db in
            // Zero what the rewrite frees (the clear values of a migrated store), so that no old value stays
            // in a free part of a page or a free page of the file; the connection's setting is put back after.
            let secureDelete = try Int.fetchOne(db, sql: "PRAGMA secure_delete") ?? 0
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: secureDelete == 1 ? "PRAGMA secure_delete = ON" : "PRAGMA secure_delete = OFF") }
            let current = try String.fetchOne(db, literal: "SELECT key_check FROM secret_key_checks WHERE id = 1")
            guard current == expectedCheck else {
                throw StoreError.conflict("The store's secret key changed meanwhile; run the command again")
            }
            var rewritten = 0
            for row in try Row.fetchAll(db, literal: "SELECT id, metadata_id, settings FROM destinations") {
                let id: String = row["id"]
                guard let settings = try reseal(.destination(metadataID: row["metadata_id"]), Self.object(row["settings"])) else { continue }
                try db.execute(literal: "UPDATE destinations SET settings = \(Self.json(settings)) WHERE id = \(id)")
                rewritten += 1
            }
            let subscriptions = try Row.fetchAll(
                db,
                literal: """
                    SELECT s.id, d.metadata_id, s.action_id, s.settings FROM subscriptions s
                    JOIN destinations d ON d.id = s.destination_id
                    """)
            for row in subscriptions {
                let id: String = row["id"]
                let holder = SecretHolder.subscription(metadataID: row["metadata_id"], actionID: row["action_id"])
                guard let settings = try reseal(holder, Self.object(row["settings"])) else { continue }
                try db.execute(literal: "UPDATE subscriptions SET settings = \(Self.json(settings)) WHERE id = \(id)")
                rewritten += 1
            }
            if current != newCheck {
                try db.execute(
                    literal: """
                        INSERT INTO secret_key_checks (id, key_check) VALUES (1, \(newCheck))
                        ON CONFLICT (id) DO UPDATE SET key_check = excluded.key_check
                        """)
            }
            return rewritten
        }
        if rewritten > 0 {
            // The WAL still holds the pages as they were (the clear values of a migrated store) until it is
            // checkpointed and emptied; with readers at work the checkpoint may stop short, which leaves old
            // frames, overwritten as the WAL is reused.
            await truncateWAL()
        }
        return rewritten
    }

    /// Checkpoints the whole WAL and empties it; returns whether it did. Every open store's checkpointer runs a passive
    /// checkpoint every 100 ms, and while one runs this one fails at once (`SQLITE_BUSY`), so it is tried again, every
    /// 20 ms, `tries` times in all (a second). Waiting for readers is the busy timeout's. Giving up is logged: the WAL's
    /// old frames then stay until it is reused.
    @discardableResult
    func truncateWAL(tries: Int = 50) async -> Bool {
        var failure = "another checkpoint ran all along"
        for attempt in 1...max(tries, 1) {
            do {
                _ = try await writer.writeWithoutTransaction { db in
                    // On the writer's queue, as the pool's close is: a closed store is not handed to SQLite.
                    guard !self.closed.withLock({ $0 }) else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "Connection is closed") }
                    return try db.checkpoint(.truncate)
                }
                return true
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                if attempt < tries { try? await Task.sleep(for: .milliseconds(20)) }
            } catch {
                failure = Self.describe(error)
                break
            }
        }
        logger.warning(
            "could not empty the WAL after rewriting secrets: its earlier pages stay in the -wal file until SQLite reuses it",
            metadata: ["reason": "\(failure)"])
        return false
    }
}
