import GRDB

// Fetching with SQL literals (interpolated values become bound arguments), which GRDB
// spells through `SQLRequest`; these keep the call sites short.

extension Row {
    static func fetchAll(_ db: Database, literal sql: SQL) throws -> [Row] { try fetchAll(db, SQLRequest<Row>(literal: sql)) }
    static func fetchOne(_ db: Database, literal sql: SQL) throws -> Row? { try fetchOne(db, SQLRequest<Row>(literal: sql)) }
}

extension DatabaseValueConvertible where Self: StatementColumnConvertible {
    static func fetchAll(_ db: Database, literal sql: SQL) throws -> [Self] { try fetchAll(db, SQLRequest<Self>(literal: sql)) }
    static func fetchOne(_ db: Database, literal sql: SQL) throws -> Self? { try fetchOne(db, SQLRequest<Self>(literal: sql)) }
}

// Rows read in place. `Row.fetchOne` and `Row.fetchAll` copy each row before handing it over (its values and, for
// each row, its column names as Swift strings): a tenth of the list of 200's CPU and a few percent of a read by id
// (issue 20). These make each row into a value while the statement still holds it, so nothing is copied twice.

extension Statement {
    /// The first row of the answer (to `arguments`, or to those the statement has), made into a value by `make` (which must not keep the row).
    func first<T>(arguments: StatementArguments? = nil, _ make: (Row) throws -> T) throws -> T? {
        let cursor = try Row.fetchCursor(self, arguments: arguments)
        return try withExtendedLifetime(cursor) { try cursor.next().map(make) }
    }

    /// Every row of the answer (to `arguments`, or to those the statement has), each made into a value by `make` (which must not keep the row).
    func all<T>(arguments: StatementArguments? = nil, _ make: (Row) throws -> T) throws -> [T] {
        let cursor = try Row.fetchCursor(self, arguments: arguments)
        var values: [T] = []
        while let row = try cursor.next() { values.append(try make(row)) }
        return values
    }
}
