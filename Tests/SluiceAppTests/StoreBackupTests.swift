import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceApp

/// What `sluice backup` and `sluice restore` do with each kind of `--database` (the SQLite work
/// itself is tested in SluiceStoreTests' `SQLiteBackupTests`).
@Suite struct StoreBackupTests {
    @Test func backupAndRestoreOfAPostgreSQLStoreNameItsTools() throws {
        // Given a PostgreSQL store
        let database = AppSettings.Database.postgres(url: "postgres://u:p@127.0.0.1:1/db")
        // Then backup and restore are refused, naming pg_dump and pg_restore
        #expect {
            try StoreBackup.backup(database, to: "/nonexistent/sluice.dump")
        } throws: { error in
            (error as? StoreBackupError)?.message.contains("pg_dump --format=custom") == true
        }
        #expect {
            try StoreBackup.restore("/nonexistent/sluice.dump", to: database)
        } throws: { error in
            (error as? StoreBackupError)?.message.contains("pg_restore --clean --if-exists") == true
        }
    }

    @Test func backupAndRestoreOfAStoreInMemoryAreRefused() throws {
        #expect {
            try StoreBackup.backup(.memory, to: "/nonexistent/copy.sqlite")
        } throws: { error in
            (error as? StoreBackupError)?.message.contains("nothing to back up") == true
        }
        #expect {
            try StoreBackup.restore("/nonexistent/copy.sqlite", to: .memory)
        } throws: { error in
            (error as? StoreBackupError)?.message.contains("nothing to restore into") == true
        }
    }

    @Test func aSQLiteStoreIsCopied() async throws {
        // Given a SQLite store on disk
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-backup-\(Identifier.make())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let database = AppSettings.Database.sqlite(path: folder + "/sluice.sqlite")
        let store = try await openStore(AppSettings(database: database), logger: .init(label: "test"))
        try await TokenAuthenticator(store: store).ensure("a-token-to-find-again", actor: "test")
        // When it is backed up while open, and the backup restored to a new path
        let backup = try StoreBackup.backup(database, to: folder + "/backup.sqlite")
        try await store.close()
        let restoredPath = AppSettings.Database.sqlite(path: folder + "/restored.sqlite")
        let restored = try StoreBackup.restore(folder + "/backup.sqlite", to: restoredPath)
        // Then the restored store has the token, and opens with the original store's key (its secrets are sealed under it)
        #expect(restored == backup)
        var settings = AppSettings(database: restoredPath)
        settings.secretKey = .file(path: folder + "/sluice.sqlite.key")
        let reopened = try await openStore(settings, logger: .init(label: "test"))
        #expect(try await reopened.token(hash: TokenAuthenticator.hash("a-token-to-find-again")) != nil)
        try await reopened.close()
    }
}
