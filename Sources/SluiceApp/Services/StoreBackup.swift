import Foundation
import SluiceSQLite

/// `sluice backup` and `sluice restore`: the engines they work on, and the tools for the others.
///
/// SQLite stores are copied online by ``SQLiteBackup``. A PostgreSQL store is backed up with
/// PostgreSQL's own tools (`pg_dump` / `pg_restore`, docs/backup.md), which already take a
/// consistent snapshot while servers write; `--database memory` has nothing on disk.
public enum StoreBackup {
    /// What was written: its size and schema version.
    public typealias Summary = SQLiteBackup.Summary

    /// Writes a consistent copy of the store `database` to the new file `file`, while servers run.
    ///
    /// - Throws: ``StoreBackupError`` for an engine other than SQLite; ``SQLiteBackupError`` otherwise.
    public static func backup(_ database: AppSettings.Database, to file: String) throws -> Summary {
        switch database {
        case .sqlite(let path):
            return try SQLiteBackup.backup(store: path, to: file)
        case .memory:
            throw StoreBackupError(
                "--database memory lives in the memory of one process: there is nothing to back up; use sqlite:PATH")
        case .postgres:
            throw StoreBackupError(
                "a PostgreSQL store is backed up with pg_dump, not with this command: "
                    + "pg_dump --format=custom --file=sluice.dump URL, restored with pg_restore (docs/backup.md)")
        }
    }

    /// Replaces the store `database` with the backup `file`, unless a process has the store open.
    ///
    /// - Throws: ``StoreBackupError`` for an engine other than SQLite; ``SQLiteBackupError`` otherwise.
    public static func restore(_ file: String, to database: AppSettings.Database) throws -> Summary {
        switch database {
        case .sqlite(let path):
            return try SQLiteBackup.restore(from: file, to: path)
        case .memory:
            throw StoreBackupError(
                "--database memory starts empty in each process: there is nothing to restore into; use sqlite:PATH")
        case .postgres:
            throw StoreBackupError(
                "a PostgreSQL store is restored with pg_restore, not with this command: "
                    + "pg_restore --clean --if-exists --no-owner --dbname=URL sluice.dump, from a pg_dump archive (docs/backup.md)")
        }
    }
}

/// `sluice backup` or `sluice restore` was asked of an engine it does not handle.
public struct StoreBackupError: Error, Equatable, CustomStringConvertible {
    /// What to do instead, for a person.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
