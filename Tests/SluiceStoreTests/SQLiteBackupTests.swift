import Foundation
import GRDB
import SluiceCore
import SluiceSQLite
import Testing

/// `sluice backup` and `sluice restore` on SQLite (issue 19). Each test works in a folder of its
/// own, so that it can also check that nothing is left beside the files it names.
@Suite struct SQLiteBackupTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-backup-\(Identifier.make())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { folder + "/" + name }

    func files() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder).sorted() }

    /// The files named `name` or `name` followed by a suffix (`-wal`, `.tmp-1a2b3c4d`, ...).
    func files(startingWith name: String) throws -> [String] { try files().filter { $0.hasPrefix(name) } }

    /// A store at `name` holding one source; returned open.
    func storeWithSource(_ name: String, slug: String) async throws -> (SQLiteStore, Source) {
        let store = try SQLiteStore(path: path(name))
        var source = Source.fixture(slug: slug)
        source.workspaceID = try await store.workspace().id
        try await store.createSource(source, audit: [])
        return (store, source)
    }

    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
    }

    // MARK: - Backup

    @Test func backupOfAnOpenStoreIsAPrivateSelfContainedCopy() async throws {
        // Given a store that a server has open, with a write in its WAL
        let (store, source) = try await storeWithSource("live.sqlite", slug: "web")
        // When it is backed up
        let summary = try SQLiteBackup.backup(store: path("live.sqlite"), to: path("copy.sqlite"))
        try await store.close()
        // Then the copy is one file, readable by its owner only, in rollback-journal mode
        #expect(summary.lastMigration == sqliteMigrations.last)
        #expect(summary.bytes > 0)
        #expect(try mode(path("copy.sqlite")) == 0o600)
        let copies = try files(startingWith: "copy.sqlite")
        #expect(copies == ["copy.sqlite"])
        var config = Configuration()
        config.readonly = true
        let journal = try await DatabaseQueue(path: path("copy.sqlite"), configuration: config).read { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode")
        }
        #expect(journal == "delete")
        // And it opens as a store holding the write
        let copy = try SQLiteStore(path: path("copy.sqlite"))
        #expect(try await copy.source(id: source.id) == source)
        try await copy.close()
    }

    @Test func backupUnderWritesHoldsEveryWriteAcknowledgedBeforeIt() async throws {
        // Given a store taking writes, one after the other
        let store = try SQLiteStore(path: path("live.sqlite"))
        let acknowledged = Counter()
        let writer = Task {
            var n = 0
            while !Task.isCancelled {
                n += 1
                try await store.createToken(APIToken(id: "t\(n)", hash: "h\(n)", readOnly: false, createdAt: .now), audit: [])
                acknowledged.add()
            }
        }
        while acknowledged.value < 20 { try await Task.sleep(for: .milliseconds(5)) }
        // When it is backed up while they go on
        let before = acknowledged.value
        try SQLiteBackup.backup(store: path("live.sqlite"), to: path("copy.sqlite"))
        let after = acknowledged.value
        writer.cancel()
        _ = await writer.result
        try await store.close()
        // Then the copy holds every write acknowledged before the backup began, and is sound
        let copy = try SQLiteStore(path: path("copy.sqlite"))
        let count = try await copy.tokenCount()
        #expect(count >= before)
        #expect(count <= after + 1)
        try await copy.close()
        let problems = try await DatabaseQueue(path: path("copy.sqlite")).read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(problems == ["ok"])
    }

    @Test func backupNeverReplacesAFileNorCreatesAStore() async throws {
        // Given a store, and a file where the copy would go
        let (store, _) = try await storeWithSource("live.sqlite", slug: "web")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path("copy.sqlite")))
        // Then the backup is refused and the file unchanged
        #expect(throws: SQLiteBackupError.exists(path: path("copy.sqlite"))) {
            try SQLiteBackup.backup(store: path("live.sqlite"), to: path("copy.sqlite"))
        }
        #expect(FileManager.default.contents(atPath: path("copy.sqlite")) == Data("keep me".utf8))
        try await store.close()
        // And a backup of a store that does not exist creates neither it nor the copy
        #expect(throws: SQLiteBackupError.missing(path: path("nothing.sqlite"))) {
            try SQLiteBackup.backup(store: path("nothing.sqlite"), to: path("other.sqlite"))
        }
        let created = try files(startingWith: "nothing.sqlite") + files(startingWith: "other.sqlite") + files(startingWith: "copy.sqlite")
        #expect(created == ["copy.sqlite"])
    }

    // MARK: - Restore

    @Test func restoreRefusesAStoreThatIsOpen() async throws {
        // Given a backup, and a store that a server has open (idle: it is not writing)
        let (old, _) = try await storeWithSource("old.sqlite", slug: "old")
        try SQLiteBackup.backup(store: path("old.sqlite"), to: path("backup.sqlite"))
        try await old.close()
        let (live, source) = try await storeWithSource("live.sqlite", slug: "live")
        let before = try files()
        // When it is restored over
        #expect(throws: SQLiteBackupError.inUse(path: path("live.sqlite"))) {
            try SQLiteBackup.restore(from: path("backup.sqlite"), to: path("live.sqlite"))
        }
        // Then the store is untouched, and nothing is left behind
        #expect(try await live.source(id: source.id) == source)
        #expect(try SQLiteBackup.isInUse(path("live.sqlite")))
        let listed = try files()
        #expect(listed == before)
        try await live.close()
        #expect(try !SQLiteBackup.isInUse(path("live.sqlite")))
    }

    @Test func restoreReplacesAStoppedStoreAndItsStaleLog() async throws {
        // Given a backup, and a stopped store with -wal and -shm files left by a crash
        let (old, backedUp) = try await storeWithSource("old.sqlite", slug: "old")
        try SQLiteBackup.backup(store: path("old.sqlite"), to: path("backup.sqlite"))
        try await old.close()
        let (target, replaced) = try await storeWithSource("live.sqlite", slug: "live")
        try await target.close()
        for suffix in ["-wal", "-shm"] {
            try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: path("live.sqlite" + suffix)))
        }
        // When the backup is restored over it
        let summary = try SQLiteBackup.restore(from: path("backup.sqlite"), to: path("live.sqlite"))
        // Then the store is the backup, private, with no stale files beside it
        #expect(summary.lastMigration == sqliteMigrations.last)
        let stores = try files(startingWith: "live.sqlite")
        #expect(stores == ["live.sqlite"])
        #expect(try mode(path("live.sqlite")) == 0o600)
        let restored = try SQLiteStore(path: path("live.sqlite"))
        #expect(try await restored.source(id: backedUp.id) == backedUp)
        #expect(try await restored.source(id: replaced.id) == nil)
        try await restored.close()
    }

    @Test func restoreIntoANewPathCreatesTheStore() async throws {
        // Given a backup
        let (old, source) = try await storeWithSource("old.sqlite", slug: "old")
        try SQLiteBackup.backup(store: path("old.sqlite"), to: path("backup.sqlite"))
        try await old.close()
        // When it is restored where there is no store yet
        try SQLiteBackup.restore(from: path("backup.sqlite"), to: path("new.sqlite"))
        // Then the new store holds it
        let restored = try SQLiteStore(path: path("new.sqlite"))
        #expect(try await restored.source(id: source.id) == source)
        try await restored.close()
    }

    @Test func restoreRefusesWhatIsNotASoundSluiceStore() async throws {
        // Given a stopped store
        let (target, source) = try await storeWithSource("live.sqlite", slug: "live")
        try await target.close()
        // And files that are not sound Sluice stores of this version
        try Data("not a database, but long enough to look like one's header......".utf8)
            .write(to: URL(fileURLWithPath: path("garbage.sqlite")))
        try await DatabaseQueue(path: path("other.sqlite")).write { db in try db.execute(sql: "CREATE TABLE t (x)") }
        let (newer, _) = try await storeWithSource("newer.sqlite", slug: "newer")
        try await newer.close()
        try await DatabaseQueue(path: path("newer.sqlite")).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
        }
        // Then each restore is refused, naming why
        #expect(throws: SQLiteBackupError.missing(path: path("none.sqlite"))) {
            try SQLiteBackup.restore(from: path("none.sqlite"), to: path("live.sqlite"))
        }
        #expect(throws: SQLiteBackupError.damaged(path: path("garbage.sqlite"), problems: ["file is not a database"])) {
            try SQLiteBackup.restore(from: path("garbage.sqlite"), to: path("live.sqlite"))
        }
        #expect(throws: SQLiteBackupError.notASluiceStore(path: path("other.sqlite"), reason: "it has no migration table (grdb_migrations)")) {
            try SQLiteBackup.restore(from: path("other.sqlite"), to: path("live.sqlite"))
        }
        #expect(throws: SQLiteBackupError.newerSchema(path: path("newer.sqlite"), migrations: ["9999_from_the_future"])) {
            try SQLiteBackup.restore(from: path("newer.sqlite"), to: path("live.sqlite"))
        }
        // And the store is as it was, with nothing left beside it (the check of whether it was in use
        // may have checkpointed its WAL into it)
        let temporary = try files().filter { $0.contains(".tmp-") }
        #expect(temporary == [])
        let store = try SQLiteStore(path: path("live.sqlite"))
        #expect(try await store.source(id: source.id) == source)
        try await store.close()
    }

    @Test func restoreRefusesADamagedBackup() async throws {
        // Given a backup whose pages after the first were overwritten
        let store = try SQLiteStore(path: path("old.sqlite"))
        for n in 0..<300 {
            try await store.createToken(APIToken(id: "t\(n)", hash: "h\(n)", readOnly: false, createdAt: .now), audit: [])
        }
        try SQLiteBackup.backup(store: path("old.sqlite"), to: path("backup.sqlite"))
        try await store.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path("backup.sqlite")))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: Int(size) - 4096))
        try handle.close()
        // Then restoring it is refused as damaged, and no store is created
        #expect {
            try SQLiteBackup.restore(from: path("backup.sqlite"), to: path("live.sqlite"))
        } throws: { error in
            guard case .damaged(let path, let problems) = error as? SQLiteBackupError else { return false }
            return path == self.path("backup.sqlite") && !problems.isEmpty
        }
        let created = try files().filter { $0.hasPrefix("live.sqlite") || $0.contains(".tmp-") }
        #expect(created == [])
    }
}
