import Foundation
import GRDB
import SluiceCore
import Testing

@testable import SluiceSQLite

/// Single-row reads on the caller's thread (``PointReads``): they see every committed write, never wait for a busy
/// connection, and fall back to the pool.
@Suite struct SQLitePointReadsTests {
    @Test func aPointReadSeesWhatWasCommittedBeforeIt() async throws {
        let store = try SQLiteStore(path: temporaryPath())
        let source = try await storedSource(store)
        // When a destination is created, then changed, each read right after its write
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        #expect(try await store.destination(id: destination.id)?.name == "Amp")
        _ = try await store.updateDestination(id: destination.id) { current in
            var updated = current
            updated.name = "Renamed"
            return (updated, [])
        }
        // Then each read shows the write before it
        #expect(try await store.destination(id: destination.id)?.name == "Renamed")
        #expect(try await store.storedDestination(id: destination.id)?.name == "Renamed")
        try await store.close()
    }

    @Test func aReadWhileEveryConnectionIsBusyIsNotMadeThere() async throws {
        let path = temporaryPath()
        let store = try SQLiteStore(path: path)
        let reads = try PointReads(path: path, count: 1, configuration: Configuration())
        // When a read runs on the one connection, a second read (here: from inside it) finds none free
        let inner = try reads.read(.many) { db -> Int?? in
            let nested = try reads.read(.one) { db in try Int.fetchOne(db, sql: "SELECT 2") }
            #expect(try Int.fetchOne(db, sql: "SELECT 1") == 1)
            return nested
        }
        #expect(inner == .some(.none))
        // And once it is over the connection serves again
        #expect(try reads.read(.one) { db in try Int.fetchOne(db, sql: "SELECT 3") } == 3)
        try reads.close()
        try await store.close()
    }

    /// A closed store's point read fails as an error, said as a read's: it never uses a connection that was closed
    /// (SQLite's handle is gone; reading through it crashed the process). Every other call after close is in the store
    /// contract (`aClosedStoreFailsItsCallsAndClosesAgainQuietly`).
    @Test func aPointReadAfterCloseFailsInsteadOfUsingAClosedConnection() async throws {
        let store = try SQLiteStore(path: temporaryPath())
        let source = try await storedSource(store)
        #expect(try await store.source(id: source.id) != nil)
        try await store.close()
        await #expect(throws: StoreError.unavailable("The store cannot serve the request right now")) {
            try await store.source(id: source.id)
        }
    }

    @Test func aConnectionInUseWhenClosingFinishesItsReadAndIsNotUsedAgain() async throws {
        let path = temporaryPath()
        let store = try SQLiteStore(path: path)
        let reads = try PointReads(path: path, count: 1, configuration: Configuration())
        // When the reads are closed while their one connection reads
        let value = try reads.read(.one) { db in
            try reads.close()
            return try Int.fetchOne(db, sql: "SELECT 1")
        }
        // Then that read finishes, and no read is made on that connection again (it was closed as the read ended)
        #expect(value == 1)
        #expect(try reads.read(.one) { db in try Int.fetchOne(db, sql: "SELECT 2") } == nil)
        try await store.close()
    }

    @Test func aReadOfSeveralStatementsHasATransactionAndOneStatementNone() async throws {
        let path = temporaryPath()
        let store = try SQLiteStore(path: path)
        let reads = try PointReads(path: path, count: 1, configuration: Configuration())
        // A read of several statements sees one state of the database: it runs in a transaction
        #expect(try reads.read(.many) { db in db.isInsideTransaction } == true)
        // One statement is its own transaction: no BEGIN and COMMIT around it
        #expect(try reads.read(.one) { db in db.isInsideTransaction } == false)
        try reads.close()
        try await store.close()
    }

    @Test func withNoConnectionFreeEveryPointReadGoesThroughThePool() async throws {
        // A store whose point reads never find a free connection (it has none)
        let store = try SQLiteStore(path: temporaryPath(), pointReadConnections: 0, checkpointInterval: Checkpointer.interval)
        let source = try await storedSource(store)
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        // Then each read by key is answered through the pool, as on a free connection
        #expect(try await store.source(id: source.id) == source)
        #expect(try await store.source(writeKey: source.writeKeys[0]) == source)
        #expect(try await store.destination(id: destination.id) == destination)
        #expect(try await store.storedDestination(id: destination.id)?.settingsText == SQLiteStore.json(destination.settings))
        #expect(try await store.destination(id: "missing") == nil)
        try await store.close()
    }
}
