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
