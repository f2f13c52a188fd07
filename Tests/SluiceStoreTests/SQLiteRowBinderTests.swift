import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import SluiceSQLite

/// The pipeline's inserts bind their rows to SQLite directly (`Statement.bindingRows`): every value must be stored as
/// GRDB's own `execute(arguments:)` stores it, a failed row must fail as GRDB's would, and no binding may outlive the
/// buffer it points into.
@Suite struct SQLiteRowBinderTests {
    /// Columns without a declared type keep each value's own storage class, so `typeof` shows how it was bound.
    private static let schema = "CREATE TABLE t (k INTEGER PRIMARY KEY, a, b, c, d, e, f, g, h, i, j, l, m)"
    private static let insert = "INSERT INTO t (k, a, b, c, d, e, f, g, h, i, j, l, m) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    /// A row's values, each with its storage class (`typeof`) and its bytes as stored (`hex`).
    private static func stored(_ db: Database, key: Int) throws -> [DatabaseValue] {
        let columns = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "l", "m"]
        let row = try #require(
            try Row.fetchOne(
                db, sql: "SELECT \(columns.map { "typeof(\($0)), hex(\($0)), \($0)" }.joined(separator: ", ")) FROM t WHERE k = ?",
                arguments: [key]))
        return Array(row.databaseValues)
    }

    @Test func eachValueIsStoredAsGRDBStoresIt() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: Self.schema)
            let text = "zoë ✓ 𝄞 \"quoted\" \\ back"
            let withNUL = "before\u{0}after"
            let blob: [UInt8] = [0, 1, 0xFF, 0x80]
            let absent: String? = nil
            let noBlob: [UInt8]? = nil
            let noNumber: Int? = nil
            // Given one row as GRDB binds it
            try db.cachedStatement(sql: Self.insert).execute(arguments: [
                1, withNUL, text, "", absent, Int64.max, Int64.min, Data(blob), Data(), noBlob.map { Data($0) }, true, noNumber, 42,
            ])
            // When the same values are bound directly
            try db.cachedStatement(sql: Self.insert).bindingRows { row in
                row.bind(2)
                row.bind(withNUL)
                row.bind(text)
                row.bind("")
                row.bind(absent)
                row.bind(Int64.max)
                row.bind(Int64.min)
                row.bind(blob: blob)
                row.bind(blob: [UInt8]())
                row.bind(blob: noBlob)
                row.bind(true)
                row.bind(noNumber)
                row.bind(Int?.some(42))
                try row.step()
            }
            // Then both rows hold the same values of the same types, a text's NUL, non-ASCII text and an empty text and blob included
            let expected = try Self.stored(db, key: 1)
            #expect(try Self.stored(db, key: 2) == expected)
            let types = stride(from: 0, to: expected.count, by: 3).map { String.fromDatabaseValue(expected[$0]) }
            #expect(types == ["text", "text", "text", "null", "integer", "integer", "blob", "blob", "null", "integer", "null", "integer"])
            #expect(String.fromDatabaseValue(expected[1]) == "6265666F7265")  // "before": a text ends at its NUL, as GRDB binds it
            #expect(String.fromDatabaseValue(expected[5]) == text)
            #expect(String.fromDatabaseValue(expected[19]) == "0001FF80")
            #expect(Data.fromDatabaseValue(expected[23]) == Data())
        }
    }

    @Test func rowsOfEveryLengthKeepTheirOwnValues() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE r (k INTEGER PRIMARY KEY, s TEXT, b BLOB)")
            // Given rows whose values grow and shrink from one to the next, so the buffer is reused at every length
            let rows = (0..<200).map { i in
                (i, String(repeating: "é\(i)", count: (i * 37) % 300), [UInt8]((0..<(i * 53) % 700).map { UInt8(truncatingIfNeeded: $0 &+ i) }))
            }
            try db.cachedStatement(sql: "INSERT INTO r (k, s, b) VALUES (?, ?, ?)").bindingRows { row in
                for (key, text, blob) in rows {
                    row.bind(key)
                    row.bind(text)
                    row.bind(blob: blob)
                    try row.step()
                }
            }
            // Then each row reads back as it was bound
            for (key, text, blob) in rows {
                let stored = try #require(try Row.fetchOne(db, sql: "SELECT s, b FROM r WHERE k = ?", arguments: [key]))
                #expect(stored["s"] as String == text)
                #expect([UInt8](stored["b"] as Data) == blob)
            }
        }
    }

    @Test func aFailedRowThrowsSQLitesErrorAndTheStatementServesAgain() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE u (k INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
            let statement = try db.cachedStatement(sql: "INSERT INTO u (k, name) VALUES (?, ?)")
            // When the second of three rows breaks a constraint
            let error = #expect(throws: DatabaseError.self) {
                try statement.bindingRows { row in
                    for (key, name) in [(1, "a"), (2, "a"), (3, "c")] {
                        row.bind(key)
                        row.bind(name)
                        try row.step()
                    }
                }
            }
            // Then its error is SQLite's, as GRDB would throw it, and the rows after it were not run
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
            #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE)
            #expect(error?.message?.contains("u.name") == true)
            #expect(try Int.fetchAll(db, sql: "SELECT k FROM u ORDER BY k") == [1])
            // And the cached statement serves again, first to GRDB (which would throw the old error from a statement
            // left unreset), then bound directly
            try db.cachedStatement(sql: "INSERT INTO u (k, name) VALUES (?, ?)").execute(arguments: [3, "c"])
            try statement.bindingRows { row in
                row.bind(4)
                row.bind("d")
                try row.step()
            }
            #expect(try Int.fetchAll(db, sql: "SELECT k FROM u ORDER BY k") == [1, 3, 4])
        }
    }

    @Test func aRowOfTooFewOrTooManyValuesIsRefusedAndNotRun() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE p (a, b)")
            let statement = try db.cachedStatement(sql: "INSERT INTO p (a, b) VALUES (?, ?)")
            // When a first row is whole, and the next binds one value of two (the other would still hold the first's)
            let tooFew = #expect(throws: DatabaseError.self) {
                try statement.bindingRows { row in
                    row.bind("first")
                    row.bind("kept")
                    try row.step()
                    row.bind("second")
                    try row.step()
                }
            }
            #expect(tooFew?.resultCode == .SQLITE_MISUSE)
            // Or binds three
            let tooMany = #expect(throws: DatabaseError.self) {
                try statement.bindingRows { row in
                    row.bind("third")
                    row.bind("fourth")
                    row.bind("fifth")
                    try row.step()
                }
            }
            #expect(tooMany?.resultCode == .SQLITE_MISUSE)
            #expect(tooMany?.message?.hasPrefix("3 values for 2 parameters") == true)
            // Then only the whole row was run
            #expect(try Row.fetchAll(db, sql: "SELECT a, b FROM p").map { [$0[0] as String, $0[1] as String] } == [["first", "kept"]])
        }
    }

    @Test func aValueSQLiteRefusesToBindFailsItsRow() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE v (a, b)")
            // Given a connection whose values may be at most 100 bytes
            sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, 100)
            let statement = try db.cachedStatement(sql: "INSERT INTO v (a, b) VALUES (?, ?)")
            // When a row's text is longer
            let error = #expect(throws: DatabaseError.self) {
                try statement.bindingRows { row in
                    row.bind("short")
                    row.bind(String(repeating: "x", count: 101))
                    try row.step()
                }
            }
            // Then SQLite's refusal is the row's error, and nothing was inserted
            #expect(error?.resultCode == .SQLITE_TOOBIG)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM v") == 0)
        }
    }

    @Test func noBindingOutlivesItsRows() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE n (s, b)")
            let statement = try db.cachedStatement(sql: "INSERT INTO n (s, b) VALUES (?, ?)")
            // Given values bound but never stepped (the buffer they point into is gone once the rows are done)
            try statement.bindingRows { row in
                row.bind("left behind")
                row.bind(Int64(7))
            }
            // When the statement is stepped afterwards as it stands
            sqlite3_reset(statement.sqliteStatement)
            #expect(sqlite3_step(statement.sqliteStatement) == SQLITE_DONE)
            sqlite3_reset(statement.sqliteStatement)
            // Then it binds nothing of those rows
            #expect(
                try Row.fetchAll(db, sql: "SELECT typeof(s), typeof(b) FROM n").map { [$0[0] as String, $0[1] as String] } == [["null", "null"]])
        }
    }
}
