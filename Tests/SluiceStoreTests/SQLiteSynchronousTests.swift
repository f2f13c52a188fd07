import Foundation
import GRDB
import Testing

@testable import SluiceSQLite

/// The level of `synchronous` the writer really commits with (GRDB sets its own when it turns WAL on).
@Suite struct SQLiteSynchronousTests {
    private static func synchronous(_ store: SQLiteStore) async throws -> Int? {
        try await store.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
    }

    @Test func aFileStoreFsyncsEveryCommitUnlessToldNotTo() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let full = try SQLiteStore(path: folder.appendingPathComponent("full.sqlite").path)
        #expect(try await Self.synchronous(full) == 2)  // FULL: the WAL is synced at each commit
        try await full.close()

        let normal = try SQLiteStore(path: folder.appendingPathComponent("normal.sqlite").path, fullSync: false)
        #expect(try await Self.synchronous(normal) == 1)  // NORMAL: synced at checkpoints only
        try await normal.close()

        // Opened again, as at every start
        let again = try SQLiteStore(path: folder.appendingPathComponent("full.sqlite").path)
        #expect(try await Self.synchronous(again) == 2)
        try await again.close()
    }

    @Test func theMemoryStoreNeverFsyncs() async throws {
        let store = try SQLiteStore.temporary()
        #expect(try await Self.synchronous(store) == 0)  // OFF: nothing of it is kept
        try await store.close()
    }
}
