import Foundation
import GRDB
import SluiceCore
import Synchronization
import Testing

@testable import SluiceSQLite

/// A destination's update on SQLite runs its transform before the transaction, on the row as read, and writes that
/// result only if the row is unchanged when the transaction runs; otherwise it runs the transform again inside it.
@Suite struct SQLiteOptimisticUpdateTests {
    struct Refused: Error {}

    static func storeWithDestination() async throws -> (SQLiteStore, Destination) {
        let store = try SQLiteStore(path: temporaryPath())
        let source = try await storedSource(store)
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        return (store, destination)
    }

    @Test func withNothingInBetweenTheTransformRunsOnceAndItsResultIsWritten() async throws {
        let (store, destination) = try await Self.storeWithDestination()
        let runs = Mutex(0)
        let updated = try await store.updateDestination(id: destination.id) { current in
            runs.withLock { $0 += 1 }
            var next = current
            next.settings["k"] = "v"
            return (next, [audit("Integration Modified", current.id, resourceType: "destination")])
        }
        #expect(runs.withLock { $0 } == 1)
        #expect(updated.settings["k"] == "v")
        #expect(try await store.destination(id: destination.id)?.settings["k"] == "v")
        let audited = try await store.listAuditEvents(filter: AuditFilter(resourceType: "destination"), page: PageRequest(count: 10))
        #expect(audited.items.map(\.type) == ["Integration Modified"])
        try await store.close()
    }

    @Test func aWriteInBetweenMakesTheTransformRunAgainOnTheRowAsItIs() async throws {
        let (store, destination) = try await Self.storeWithDestination()
        let seen = Mutex<[String]>([])
        let updated = try await store.updateDestination(id: destination.id) { current in
            let first = seen.withLock { seen in
                seen.append(current.name)
                return seen.count == 1
            }
            if first {
                // Another write lands after the row was read and before the update's transaction
                try store.writer.write { db in
                    try db.execute(sql: "UPDATE destinations SET name = 'Renamed elsewhere' WHERE id = ?", arguments: [current.id])
                }
            }
            var next = current
            next.settings["k"] = "v"
            return (next, [])
        }
        // Then the transform ran again on the changed row, and neither change is lost
        #expect(seen.withLock { $0 } == ["Amp", "Renamed elsewhere"])
        #expect(updated.name == "Renamed elsewhere" && updated.settings["k"] == "v")
        let stored = try #require(try await store.destination(id: destination.id))
        #expect(stored.name == "Renamed elsewhere" && stored.settings["k"] == "v")
        try await store.close()
    }

    @Test func aTransformThatThrowsChangesNothing() async throws {
        let (store, destination) = try await Self.storeWithDestination()
        await #expect(throws: Refused.self) {
            _ = try await store.updateDestination(id: destination.id) { _ in throw Refused() }
        }
        #expect(try await store.destination(id: destination.id) == destination)
        await #expect(throws: StoreError.self) {
            _ = try await store.updateDestination(id: "missing") { current in (current, []) }
        }
        try await store.close()
    }
}
