import GRDB
import GRDBSQLite

extension Statement {
    /// Runs this statement once for each row that `body` binds, binding each value to SQLite directly.
    ///
    /// For the pipeline's inserts, which run once for every event, job or attempt: GRDB's
    /// `execute(arguments:)` boxes every value of every row in a `StatementArguments` and binds it from there, and a
    /// statement of more than 20 parameters has SQLite copy each string and blob once more. Here the row's strings and
    /// blobs are copied once, into a buffer kept from row to row, and bound from it with `SQLITE_STATIC`; numbers are
    /// bound as they come. The statement is still GRDB's (from its cache) and runs in the transaction GRDB opened
    /// around `body`: GRDB's own bookkeeping around a statement (transaction observers, of which Sluice has none, and
    /// the aborted-transaction check) is skipped, which is safe only because a failed step throws at once and so ends
    /// the write.
    ///
    /// A failed step throws a `DatabaseError` with SQLite's code and message, and leaves the statement reset for its
    /// next use. The bindings are cleared when `body` returns, so no later use can read the buffer after it is gone.
    func bindingRows(_ body: (inout RowBinder) throws -> Void) throws {
        var binder = RowBinder(sqliteStatement, sql: sql)
        sqlite3_reset(sqliteStatement)
        defer { sqlite3_clear_bindings(sqliteStatement) }
        try body(&binder)
    }
}

/// The values of one row at a time for ``GRDB/Statement/bindingRows(_:)``: each `bind` takes the next parameter, in
/// the statement's order; ``step()`` runs the row and starts the next.
struct RowBinder {
    private let statement: OpaquePointer
    private let sql: String
    /// The row's strings and blobs, end to end, bound at ``step()`` (an array may move while it grows).
    private var bytes: [UInt8] = []
    private var spans: [Span] = []
    private var index: Int32 = 0
    /// The first bind of the row that SQLite refused (a value over its length limit, say), thrown at ``step()``.
    private var refused: Int32 = SQLITE_OK

    private struct Span {
        let index: Int32
        let start: Int
        let count: Int
        let isText: Bool
    }

    fileprivate init(_ statement: OpaquePointer, sql: String) {
        self.statement = statement
        self.sql = sql
    }

    mutating func bind(_ value: Int64) {
        index += 1
        check(sqlite3_bind_int64(statement, index, value))
    }

    mutating func bind(_ value: Int) {
        bind(Int64(value))
    }

    mutating func bind(_ value: Bool) {
        bind(Int64(value ? 1 : 0))
    }

    mutating func bind(_ value: Int?) {
        if let value { bind(value) } else { bindNull() }
    }

    /// Binds `value` as text up to its first NUL, if it has one, as GRDB binds a `String` (a C string).
    mutating func bind(_ value: String) {
        index += 1
        let start = bytes.count
        bytes.append(contentsOf: value.utf8)
        if let nul = bytes[start...].firstIndex(of: 0) { bytes.removeSubrange(nul...) }
        spans.append(Span(index: index, start: start, count: bytes.count - start, isText: true))
    }

    mutating func bind(_ value: String?) {
        if let value { bind(value) } else { bindNull() }
    }

    /// Binds `value` as a blob (a zero-length one when empty, as GRDB binds an empty `Data`).
    mutating func bind(blob value: some Collection<UInt8>) {
        index += 1
        let start = bytes.count
        bytes.append(contentsOf: value)
        spans.append(Span(index: index, start: start, count: bytes.count - start, isText: false))
    }

    mutating func bind(blob value: [UInt8]?) {
        if let value { bind(blob: value) } else { bindNull() }
    }

    mutating func bindNull() {
        index += 1
        check(sqlite3_bind_null(statement, index))
    }

    private mutating func check(_ code: Int32) {
        if code != SQLITE_OK, refused == SQLITE_OK { refused = code }
    }

    /// Runs the row bound so far, and makes ready for the next. A row that does not bind every parameter of the
    /// statement, or that SQLite refused to bind, is not run: it throws, as GRDB refuses arguments that do not fit.
    mutating func step() throws {
        let (statement, spans, bound) = (statement, spans, index)
        var failure = bound == sqlite3_bind_parameter_count(statement) ? refused : SQLITE_MISUSE
        let code = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            for span in spans where failure == SQLITE_OK {
                let result: Int32
                if span.count == 0 {
                    // A zero-length value gets a pointer of its own: a null one would bind NULL.
                    result = span.isText ? sqlite3_bind_text(statement, span.index, "", 0, nil) : sqlite3_bind_zeroblob(statement, span.index, 0)
                } else if span.isText {
                    result = (buffer.baseAddress! + span.start).withMemoryRebound(to: CChar.self, capacity: span.count) {
                        sqlite3_bind_text(statement, span.index, $0, Int32(span.count), nil)
                    }
                } else {
                    result = sqlite3_bind_blob(statement, span.index, buffer.baseAddress! + span.start, Int32(span.count), nil)
                }
                if result != SQLITE_OK { failure = result }
            }
            return failure == SQLITE_OK ? sqlite3_step(statement) : failure
        }
        bytes.removeAll(keepingCapacity: true)
        self.spans.removeAll(keepingCapacity: true)
        index = 0
        refused = SQLITE_OK
        guard code == SQLITE_DONE else {
            let message =
                failure != SQLITE_OK
                ? "\(bound) values for \(sqlite3_bind_parameter_count(statement)) parameters, or a value SQLite refused: \(String(cString: sqlite3_errstr(code)))"
                : sqlite3_db_handle(statement).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            // Reset, or the cached statement keeps its error for its next use.
            sqlite3_reset(statement)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
        sqlite3_reset(statement)
    }
}
