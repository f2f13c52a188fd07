import Foundation
import GRDB
import Synchronization
import Testing

@testable import SluiceSQLite

/// Many writes to a transaction, each still all-or-nothing (``GroupCommit``).
@Suite struct SQLiteGroupCommitTests {
    /// Counts the transactions a database commits and rolls back.
    private final class Commits: TransactionObserver, Sendable {
        let committed = Mutex(0)
        let rolledBack = Mutex(0)
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { committed.withLock { $0 += 1 } }
        func databaseDidRollback(_ db: Database) { rolledBack.withLock { $0 += 1 } }
    }

    private struct Failure: Error, Equatable {
        let index: Int
    }

    private static func database() throws -> (DatabaseQueue, Commits) {
        let queue = try DatabaseQueue()
        try queue.write { db in try db.execute(sql: "CREATE TABLE items (n INTEGER PRIMARY KEY)") }
        let commits = Commits()
        queue.add(transactionObserver: commits, extent: .databaseLifetime)
        return (queue, commits)
    }

    private static func items(_ queue: DatabaseQueue) throws -> [Int] {
        try queue.read { db in try Int.fetchAll(db, sql: "SELECT n FROM items ORDER BY n") }
    }

    /// Holds the writer inside a first write until `count` more writes wait, then lets them all go; returns what each
    /// of them gave (its value or its error), in the order given.
    private static func writesWaitingBehindOne(
        _ commits: GroupCommit, _ bodies: [@Sendable (Database) throws -> Int]
    ) async throws -> [Result<Int, any Error>] {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let first = Task {
            try await commits.write { db in
                entered.signal()
                release.wait()
                try db.execute(sql: "INSERT INTO items (n) VALUES (0)")
                return 0
            }
        }
        while entered.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(1)) }
        let tasks = bodies.map { body in
            Task { () -> Result<Int, any Error> in
                do { return .success(try await commits.write(body)) } catch { return .failure(error) }
            }
        }
        while commits.waitingCount < bodies.count { try await Task.sleep(for: .milliseconds(1)) }
        release.signal()
        #expect(try await first.value == 0)
        var results: [Result<Int, any Error>] = []
        for task in tasks { results.append(await task.value) }
        return results
    }

    @Test func writesThatWaitTogetherShareOneCommitAndEachGetsItsOwnResult() async throws {
        let (queue, observed) = try Self.database()
        let commits = GroupCommit(writer: queue)
        let bodies: [@Sendable (Database) throws -> Int] = (1...10).map { n in
            { db in
                try db.execute(sql: "INSERT INTO items (n) VALUES (?)", arguments: [n])
                return n * 100
            }
        }
        let results = try await Self.writesWaitingBehindOne(commits, bodies)
        #expect(results.map { try? $0.get() } == (1...10).map { $0 * 100 })
        #expect(try Self.items(queue) == Array(0...10))
        // The first write alone, then the ten that waited behind it in one transaction
        #expect(observed.committed.withLock { $0 } == 2)
    }

    @Test func aWriteThatThrowsLeavesNothingAndTheOthersOfItsTransactionCommit() async throws {
        let (queue, observed) = try Self.database()
        let commits = GroupCommit(writer: queue)
        let bodies: [@Sendable (Database) throws -> Int] = (1...6).map { n in
            { db in
                try db.execute(sql: "INSERT INTO items (n) VALUES (?)", arguments: [n])
                if n.isMultiple(of: 3) { throw Failure(index: n) }  // after its insert: the savepoint must undo it
                return n
            }
        }
        let results = try await Self.writesWaitingBehindOne(commits, bodies)
        for (n, result) in zip(1..., results) {
            if n.isMultiple(of: 3) {
                #expect(throws: Failure(index: n)) { try result.get() }
            } else {
                #expect(try result.get() == n)
            }
        }
        #expect(try Self.items(queue) == [0, 1, 2, 4, 5])
        #expect(observed.committed.withLock { $0 } == 2)
    }

    @Test func aWriteAloneThatThrowsRollsItsTransactionBack() async throws {
        let (queue, observed) = try Self.database()
        let commits = GroupCommit(writer: queue)
        await #expect(throws: Failure(index: 1)) {
            try await commits.write { db in
                try db.execute(sql: "INSERT INTO items (n) VALUES (1)")
                throw Failure(index: 1)
            }
        }
        #expect(try Self.items(queue) == [])
        #expect(observed.committed.withLock { $0 } == 0)
        #expect(observed.rolledBack.withLock { $0 } == 1)
        // The writer is free again
        #expect(
            try await commits.write { db in
                try db.execute(sql: "INSERT INTO items (n) VALUES (2)"); return 2
            } == 2)
        #expect(try Self.items(queue) == [2])
    }

    @Test func aCommitThatFailsFailsEveryWriteOfItThoughEachRanAndKeepsNone() async throws {
        let (queue, _) = try Self.database()
        // A deferred foreign key is checked at the commit only: each write's savepoint is released, the commit refused
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE parents (n INTEGER PRIMARY KEY)")
            try db.execute(sql: "CREATE TABLE children (parent INTEGER REFERENCES parents (n) DEFERRABLE INITIALLY DEFERRED)")
        }
        let commits = GroupCommit(writer: queue)
        let bodies: [@Sendable (Database) throws -> Int] = [
            { db in
                try db.execute(sql: "INSERT INTO items (n) VALUES (1)"); return 1
            },
            { db in
                try db.execute(sql: "INSERT INTO children (parent) VALUES (42)"); return 2
            },
        ]
        let results = try await Self.writesWaitingBehindOne(commits, bodies)
        for result in results {
            #expect(throws: DatabaseError.self) { try result.get() }
        }
        #expect(try Self.items(queue) == [0])
        #expect(try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM children") } == 0)
    }

    @Test func aTransactionThatEndsBeforeItsCommitFailsEveryWriteOfItAndKeepsNone() async throws {
        let (queue, _) = try Self.database()
        let commits = GroupCommit(writer: queue)
        // The second write ends the shared transaction the way SQLite does on a full disk or an I/O error
        let bodies: [@Sendable (Database) throws -> Int] = [
            { db in
                try db.execute(sql: "INSERT INTO items (n) VALUES (1)"); return 1
            },
            { db in
                try db.execute(sql: "ROLLBACK"); return 2
            },
            { db in
                try db.execute(sql: "INSERT INTO items (n) VALUES (3)"); return 3
            },
        ]
        let results = try await Self.writesWaitingBehindOne(commits, bodies)
        for result in results { #expect(throws: (any Error).self) { try result.get() } }
        #expect(try Self.items(queue) == [0])
        // Later writes commit as before
        #expect(
            try await commits.write { db in
                try db.execute(sql: "INSERT INTO items (n) VALUES (4)"); return 4
            } == 4)
        #expect(try Self.items(queue) == [0, 4])
    }
}
