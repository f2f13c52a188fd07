import Foundation
import GRDB
import SluiceCore
import Testing

@testable import SluiceSQLite

/// A SQLite store's leases live on its writer's connection: a claim writes nothing to the file, and a store opened
/// anew (a process started again) owns every job.
@Suite struct SQLiteLeasesTests {
    static let received = Date(timeIntervalSince1970: 1_700_000_000)
    static let now = received.addingTimeInterval(1)

    /// A file store (no checkpoints but when asked) in a folder of its own, with `count` jobs routed; closed and
    /// removed after `body`.
    private static func withJobs(_ count: Int, _ body: (SQLiteStore, _ path: String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-leases-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("store.sqlite").path
        let store = try SQLiteStore(path: path, checkpointInterval: nil)
        try await store.appendEvents((0..<count).map { incoming("src", $0, at: received) })
        try await routeToOneSubscription(try await store.pendingEvents(limit: count), through: store)
        try await body(store, path)
        try await store.close()
    }

    @Test func aClaimWritesNothingToTheFile() async throws {
        try await Self.withJobs(50) { store, path in
            // Nothing checkpoints this store, so every commit that writes a page makes its WAL longer.
            let before = try walSize(ofStoreAt: path)
            let claimed = try await store.claimJobs(now: Self.now, limit: 50, lease: .seconds(60))
            #expect(claimed.count == 50)
            #expect(try walSize(ofStoreAt: path) == before)
            // A completion does write (the jobs' deletion): the measure above can see a write.
            try await store.complete(claimed.map { .finished(jobID: $0.id) }, metrics: [])
            #expect(try walSize(ofStoreAt: path) > before)
        }
    }

    @Test func leasedJobsAreNotDueUntilCompletedOrReleased() async throws {
        try await Self.withJobs(3) { store, _ in
            #expect(try await store.nextDueTime() == Self.received)
            let claimed = try await store.claimJobs(now: Self.now, limit: 10, lease: .seconds(60))
            #expect(claimed.count == 3)
            #expect(try await store.nextDueTime() == nil)
            // A retry ends its job's lease: the job is due at its next attempt
            let retryAt = Self.now.addingTimeInterval(30)
            try await store.complete([.retry(jobID: claimed[0].id, attempts: 1, nextAttemptAt: retryAt)], metrics: [])
            #expect(try await store.nextDueTime() == retryAt)
            #expect(try await store.claimJobs(now: Self.now, limit: 10, lease: .seconds(60)).isEmpty)
            // and releasing the leases (a start) makes the others due again, as they were
            try await store.releaseLeases()
            #expect(try await store.nextDueTime() == Self.received)
            let again = try await store.claimJobs(now: Self.now, limit: 10, lease: .seconds(60))
            #expect(again.map(\.id) == claimed.dropFirst().map(\.id))
            // A retried job is leased again once due, and its lease ends with it
            let retried = try await store.claimJobs(now: retryAt, limit: 10, lease: .seconds(60))
            #expect(retried.map(\.id) == [claimed[0].id])
            #expect(retried.first?.attempts == 1)
            try await store.complete((again + retried).map { .finished(jobID: $0.id) }, metrics: [])
            #expect(try await store.queueDepth().jobs == 0)
            #expect(try await store.nextDueTime() == nil)
            #expect(try await store.writer.write { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM temp.delivery_leases") } == 0)
        }
    }

    @Test func aStoreOpenedAgainOwnsEveryJob() async throws {
        try await Self.withJobs(4) { store, path in
            let claimed = try await store.claimJobs(now: Self.now, limit: 10, lease: .seconds(60))
            #expect(claimed.count == 4)
            // As after a crash: the process that leased them is gone, and the next one hands them out at once.
            let next = try SQLiteStore(path: path, checkpointInterval: nil)
            #expect(try await next.nextDueTime() == Self.received)
            #expect(try await next.claimJobs(now: Self.now, limit: 10, lease: .seconds(60)).map(\.id) == claimed.map(\.id))
            try await next.close()
        }
    }
}
