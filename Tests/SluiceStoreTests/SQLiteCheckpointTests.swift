import Foundation
import GRDB
import Logging
import SluiceTesting
import Testing

@testable import SluiceSQLite

/// The WAL is copied into the database file by the store's ``Checkpointer``, never by the writer's commits.
@Suite struct SQLiteCheckpointTests {
    /// Rows of `filler` in the database file itself, its WAL left out: a copy of the file alone, opened, reads only it.
    private static func rowsInFile(_ path: String, folder: URL) throws -> Int {
        let copy = folder.appendingPathComponent("copy-\(UUID().uuidString).sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let queue = try DatabaseQueue(path: copy)
        defer { try? queue.close() }
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") ?? 0 }
    }

    /// `rows` rows of 4 KB, 100 to a commit.
    private static func fill(_ store: SQLiteStore, rows: Int) async throws {
        for _ in 0..<(rows / 100) {
            try await store.write { db in
                for _ in 0..<100 { try db.execute(sql: "INSERT INTO filler (x) VALUES (randomblob(4096))") }
            }
        }
    }

    /// Runs `body` on a new file store (checkpointing every `interval`) with an empty table `filler` in its database
    /// file; closes the store and removes its folder after.
    private static func withStore(
        checkpointInterval interval: DispatchTimeInterval?, logger: Logger = Logger(label: "sluice.sqlite"),
        _ body: (SQLiteStore, _ path: String, _ folder: URL) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("store.sqlite").path
        let store = try SQLiteStore(path: path, checkpointInterval: interval, logger: logger)
        try await store.write { db in try db.execute(sql: "CREATE TABLE filler (x BLOB)") }
        store.checkpointer.checkpoint()
        try await body(store, path, folder)
        try await store.close()
    }

    @Test func theWritersCommitsNeverCheckpointTheCheckpointerDoes() async throws {
        try await Self.withStore(checkpointInterval: nil) { store, path, folder in
            #expect(try await store.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 0)

            // About 1,500 pages: SQLite's own default would have checkpointed at the commit that passed 1,000.
            try await Self.fill(store, rows: 1_500)
            #expect(try Self.rowsInFile(path, folder: folder) == 0)

            #expect(store.checkpointer.checkpoint())
            #expect(try Self.rowsInFile(path, folder: folder) == 1_500)
            try store.checkpointer.close()
            #expect(!store.checkpointer.checkpoint())
        }
    }

    @Test func whatTheWALHeldWhenTheStoreWasOpenedWaitsForACommit() async throws {
        try await Self.withStore(checkpointInterval: nil) { store, path, folder in
            try await Self.fill(store, rows: 100)
            // Another store opened on the file (as a start refused for a wrong key opens it) changes nothing in it
            let other = try SQLiteStore(path: path, checkpointInterval: nil)
            #expect(other.checkpointer.checkpoint())
            #expect(try Self.rowsInFile(path, folder: folder) == 0)
            // until something is committed
            try await Self.fill(store, rows: 100)
            other.checkpointer.checkpoint()
            #expect(try Self.rowsInFile(path, folder: folder) == 200)
            try await other.close()
        }
    }

    @Test func aCheckpointThatFindsAnotherUnderWayIsTriedAgainNotReported() async throws {
        try await Self.withStore(checkpointInterval: nil) { store, path, folder in
            let logs = LogCapture()
            let checkpointer = try Checkpointer(
                path: path, configuration: Configuration(), synchronous: .full, interval: nil,
                logger: Logger(label: "test") { _ in logs.handler() })
            defer { try? checkpointer.close() }
            try await Self.fill(store, rows: 100)

            // While another connection's TRUNCATE checkpoint is under way, this store's checkpointer, running
            // meanwhile, is told the database is busy and says nothing.
            try await Self.withACheckpointUnderWay(path) { #expect(checkpointer.checkpoint()) }
            #expect(checkpointer.checkpoint())
            #expect(try Self.rowsInFile(path, folder: folder) == 100)
            #expect(logs.all.isEmpty, "\(logs.all)")
        }
    }

    /// Runs `body` while another connection's TRUNCATE checkpoint (as `sluice secrets rotate` runs) is under way on
    /// the file at `path`, holding the checkpoint lock: it waits for a reader that holds its snapshot until `body` is
    /// done. Both finish before this returns.
    private static func withACheckpointUnderWay(_ path: String, _ body: () async throws -> Void) async throws {
        let reader = try DatabaseQueue(path: path)
        let (reading, release, waitedFor) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        var waiting = Configuration()
        waiting.busyMode = .callback { tries in
            if tries == 0 { waitedFor.signal() }
            usleep(1_000)
            return tries < 20_000
        }
        let truncating = try DatabaseQueue(path: path, configuration: waiting)
        async let readerDone: Void = Self.onThread {
            try reader.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master")
                reading.signal()
                release.wait()
            }
        }
        try await Self.onThread { reading.wait() }
        async let truncated: Void = Self.onThread {
            _ = try truncating.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        }
        // Its busy handler is called once it waits for the reader, the checkpoint lock held.
        #expect(try await Self.onThread { waitedFor.wait(timeout: .now() + 20) } == .success)
        do {
            try await body()
        } catch {
            release.signal()
            throw error
        }
        release.signal()
        try await readerDone
        try await truncated
    }

    @Test func emptyingTheWALAfterSecretsAreRewrittenWaitsOutACheckpointUnderWay() async throws {
        try await Self.withStore(checkpointInterval: nil) { store, path, _ in
            try await Self.fill(store, rows: 100)
            var emptying: Task<Bool, Never>?
            try await Self.withACheckpointUnderWay(path) {
                // Started while the other checkpoint holds the lock: its first tries fail at once, and it tries again
                emptying = Task { await store.truncateWAL() }
                try await Task.sleep(for: .milliseconds(200))
            }
            // until the other is done, and then it empties the WAL.
            #expect(await emptying?.value == true)
            #expect(try walSize(ofStoreAt: path) == 0)
        }
    }

    @Test func givingUpOnEmptyingTheWALIsLogged() async throws {
        let logs = LogCapture()
        // No checkpointer of its own: one that had copied the whole WAL would let the other checkpoint finish at once,
        // its reader then reading the file alone.
        try await Self.withStore(checkpointInterval: nil, logger: Logger(label: "test") { _ in logs.handler() }) { store, path, _ in
            try await Self.fill(store, rows: 100)
            try await Self.withACheckpointUnderWay(path) {
                #expect(await store.truncateWAL(tries: 3) == false)
            }
            #expect(logs.text.contains("could not empty the WAL after rewriting secrets"), "\(logs.all)")
            #expect(logs.text.contains("another checkpoint ran all along"), "\(logs.all)")
        }
    }

    /// An error other than a busy database (here: the store closed under it) is not tried again: it gives up at once
    /// and logs that error as the reason.
    @Test func aFailureOtherThanBusyGivesUpAtOnceAndIsLoggedAsItself() async throws {
        let logs = LogCapture()
        try await Self.withStore(checkpointInterval: nil, logger: Logger(label: "test") { _ in logs.handler() }) { store, _, _ in
            try await store.close()
            #expect(await store.truncateWAL(tries: 50) == false)
            // Its own error as the reason: given up at the first (a busy store's 50 tries would leave the other reason)
            #expect(logs.text.contains("could not empty the WAL after rewriting secrets"), "\(logs.all)")
            #expect(logs.text.contains("Connection is closed"), "\(logs.all)")
            #expect(!logs.text.contains("another checkpoint ran all along"), "\(logs.all)")
        }
    }

    /// Runs `body`, which blocks, on a thread of its own rather than one of the few that the test's tasks share.
    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    @Test func aStoreCheckpointsOnItsOwn() async throws {
        try await Self.withStore(checkpointInterval: Checkpointer.interval) { store, path, folder in
            try await Self.fill(store, rows: 100)
            // Every `Checkpointer.interval` (100 ms): waited for, up to 20 s on a busy machine. A copy taken while the
            // checkpoint writes the file can be torn (SQLite then finds it malformed): it counts as not there yet.
            let deadline = ContinuousClock.now + .seconds(20)
            var rows = 0
            while rows < 100, ContinuousClock.now < deadline {
                rows = (try? Self.rowsInFile(path, folder: folder)) ?? 0
                if rows < 100 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(rows == 100)
        }
    }

    @Test func theWALStartsOverOnceCheckpointed() async throws {
        try await Self.withStore(checkpointInterval: nil) { store, path, folder in
            try await Self.fill(store, rows: 300)
            store.checkpointer.checkpoint()
            let first = try walSize(ofStoreAt: path)
            for _ in 0..<4 {
                try await Self.fill(store, rows: 300)
                store.checkpointer.checkpoint()
            }
            // Five rounds of about 1.2 MB: the WAL reused from its start, not grown to hold them all.
            #expect(first > 1_000_000)
            #expect(try walSize(ofStoreAt: path) < first * 3 / 2)
            #expect(try Self.rowsInFile(path, folder: folder) == 1_500)
        }
    }
}
