import Foundation
import GRDB
import Testing

@testable import SluiceSQLite

/// Rows made into values while the statement holds them (`Statement.first`, `Statement.all`, `SQLiteStore.bytes`):
/// the same values as GRDB's copying `Row.fetchOne` and `Row.fetchAll`, each row's own.
@Suite struct SQLiteRowsInPlaceTests {
    private func database() throws -> DatabaseQueue {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, body BLOB)")
            try db.execute(sql: "INSERT INTO t (id, name, body) VALUES (1, 'one', x'0001ff'), (2, 'two', NULL), (3, 'three', x'')")
        }
        return db
    }

    @Test func everyRowIsItsOwnAndMatchesWhatACopyingReadGives() throws {
        let db = try database()
        try db.read { db in
            let statement = try db.makeStatement(sql: "SELECT id, name, body FROM t WHERE id >= ? ORDER BY id")
            let inPlace = try statement.all(arguments: [1]) { row in
                (row[0] as Int, row[1] as String, try SQLiteStore.bytes(row, 2))
            }
            let copied = try Row.fetchAll(db, sql: "SELECT id, name, body FROM t WHERE id >= ? ORDER BY id", arguments: [1]).map { row in
                (row[0] as Int, row[1] as String, (row[2] as Data?).map { Array($0) } ?? [])
            }
            #expect(inPlace.map(\.0) == copied.map(\.0))
            #expect(inPlace.map(\.1) == ["one", "two", "three"])
            #expect(inPlace.map(\.2) == copied.map(\.2))
            #expect(inPlace.map(\.2) == [[0x00, 0x01, 0xFF], [], []])
            // The statement serves again, with other arguments
            #expect(try statement.all(arguments: [3]) { $0[1] as String } == ["three"])
        }
    }

    @Test func firstIsTheFirstRowOrNone() throws {
        let db = try database()
        try db.read { db in
            let statement = try db.makeStatement(sql: "SELECT name FROM t WHERE id >= ? ORDER BY id")
            #expect(try statement.first(arguments: [2]) { $0[0] as String } == "two")
            #expect(try statement.first(arguments: [9]) { $0[0] as String } == nil)
            // Arguments the statement was made with are used when none are given
            let literal = try db.makeStatement(literal: "SELECT name FROM t WHERE id = \(3)")
            #expect(try literal.first { $0[0] as String } == "three")
        }
    }

    @Test func anUpdateReturningRowsChangesThemAllAndReturnsEach() throws {
        let db = try database()
        try db.write { db in
            let statement = try db.makeStatement(sql: "UPDATE t SET name = upper(name) WHERE id IN (1, 3) RETURNING id, name")
            let returned = try statement.all { row in "\(row[0] as Int):\(row[1] as String)" }
            #expect(returned.sorted() == ["1:ONE", "3:THREE"])
            #expect(try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY id") == ["ONE", "two", "THREE"])
        }
    }
}
