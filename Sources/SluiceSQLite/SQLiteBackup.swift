import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Online backup and restore of a SQLite store: `sluice backup` and `sluice restore` (issue 19).
///
/// For example:
///
/// ```swift
/// // While a server serves sluice.sqlite:
/// try SQLiteBackup.backup(store: "sluice.sqlite", to: "backup.sqlite")
/// // Later, with every server on sluice.sqlite stopped:
/// try SQLiteBackup.restore(from: "backup.sqlite", to: "sluice.sqlite")
/// ```
///
/// Both copy the database page by page with SQLite's online backup API (through GRDB), in a
/// single step, so the copy is the database as one read transaction sees it: every write
/// committed before the copy began, none half-done. A server writing meanwhile is not blocked
/// (in WAL mode a reader never waits for the writer, nor the writer for a reader).
///
/// The copy goes into a new file created with mode 0600 beside its destination (the store holds
/// destination secrets in clear), is checked (``check(_:describing:acceptNewerSchema:)``),
/// fsynced, and renamed into place. A reader of the destination path sees the old file or the
/// whole new one, never a part; a failure leaves the destination as it was.
public enum SQLiteBackup {
    /// What a backup or a restore wrote.
    public struct Summary: Sendable, Equatable {
        /// The size of the file written, in bytes.
        public var bytes: Int64
        /// The last schema migration the copy has applied, e.g. `0005_create_subscription_state`.
        public var lastMigration: String
    }

    // MARK: - Backup

    /// Writes a consistent copy of the store at `store` to the new file `file`.
    ///
    /// Safe while servers read and write the store. The copy is a single file in rollback-journal
    /// mode (no -wal beside it), with mode 0600.
    ///
    /// - Parameters:
    ///   - store: the store's file; it must exist (it is never created).
    ///   - file: where the copy goes; it must not exist, and its folder must.
    /// - Returns: the copy's size and schema version.
    /// - Throws: ``SQLiteBackupError/missing(path:)`` when there is no store,
    ///   ``SQLiteBackupError/exists(path:)`` when `file` exists,
    ///   ``SQLiteBackupError/notASluiceStore(path:reason:)`` or ``SQLiteBackupError/damaged(path:problems:)``
    ///   when the copy is not a sound Sluice store, and ``SQLiteBackupError/failed(path:reason:)``
    ///   for an I/O or SQLite error. `file` is not created in any of these cases.
    @discardableResult
    public static func backup(store: String, to file: String) throws -> Summary {
        guard FileManager.default.fileExists(atPath: store) else { throw SQLiteBackupError.missing(path: store) }
        // Checked here and not made atomic with the rename below: a second backup racing for the
        // same new name is not a case worth a non-portable rename flag (docs/backup.md).
        guard !FileManager.default.fileExists(atPath: file) else { throw SQLiteBackupError.exists(path: file) }
        let (temporary, summary) = try copy(from: store, beside: file, describing: store, acceptNewerSchema: true)
        do {
            try publish(temporary, as: file)
        } catch {
            removeDatabaseFiles(temporary)
            throw error
        }
        return summary
    }

    // MARK: - Restore

    /// Replaces the store at `store` with the backup `file`, unless a process has the store open.
    ///
    /// `file` is copied beside the store and checked first: a damaged backup, or a file that is
    /// not a Sluice store, is refused and the store left as it was. The store's stale `-wal` and
    /// `-shm` files (a server killed with SIGKILL leaves them) are removed before the copy is
    /// renamed over it, so that SQLite cannot replay an old log onto the restored database.
    ///
    /// Whether the store is in use is asked of SQLite itself (``isInUse(_:)``), once before the
    /// copy and again just before the swap.
    ///
    /// - Parameters:
    ///   - file: the backup; any SQLite file holding a Sluice store of this version or an older one.
    ///   - store: the store's file; created when missing (its folder must exist).
    /// - Returns: the restored store's size and schema version.
    /// - Throws: ``SQLiteBackupError/missing(path:)`` when there is no `file`,
    ///   ``SQLiteBackupError/inUse(path:)`` when a process has the store open,
    ///   ``SQLiteBackupError/notASluiceStore(path:reason:)``, ``SQLiteBackupError/damaged(path:problems:)``
    ///   or ``SQLiteBackupError/newerSchema(path:migrations:)`` when the backup cannot be restored,
    ///   and ``SQLiteBackupError/failed(path:reason:)`` for an I/O or SQLite error.
    @discardableResult
    public static func restore(from file: String, to store: String) throws -> Summary {
        guard FileManager.default.fileExists(atPath: file) else { throw SQLiteBackupError.missing(path: file) }
        guard try !isInUse(store) else { throw SQLiteBackupError.inUse(path: store) }
        let (temporary, summary) = try copy(from: file, beside: store, describing: file, acceptNewerSchema: false)
        do {
            // A server may have started on the store while the copy ran.
            guard try !isInUse(store) else { throw SQLiteBackupError.inUse(path: store) }
            for suffix in ["-wal", "-shm", "-journal"] {
                try removeIfPresent(store + suffix)
            }
            try publish(temporary, as: store)
        } catch {
            removeDatabaseFiles(temporary)
            throw error
        }
        return summary
    }

    /// Whether a process (this one included) has the SQLite database at `path` open.
    ///
    /// A connection to a database in WAL mode (every Sluice server's) holds a shared lock on the
    /// file from its first read until it closes, idle or not. This opens the file with
    /// `locking_mode = EXCLUSIVE` and no busy timeout and asks for an exclusive lock
    /// (`BEGIN EXCLUSIVE`): SQLite refuses it at once while any such lock is held. Unlike an
    /// advisory lock file, it needs nothing from the server, also sees a server of an older
    /// version, and cannot be left stale by a server killed with SIGKILL (the kernel drops its
    /// locks). A connection that has opened the file but never read it is not seen; a Sluice
    /// server reads it (migrations) before it serves.
    ///
    /// - Returns: `false` when there is no file at `path`.
    /// - Throws: ``SQLiteBackupError/failed(path:reason:)`` when the file cannot be opened as a
    ///   database, so that whether it is in use cannot be told.
    public static func isInUse(_ path: String) throws -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        var config = Configuration()
        config.busyMode = .immediateError
        config.prepareDatabase { db in
            // Before the first read, so that SQLite takes the lock on the file itself rather than
            // coordinating through the -shm file.
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
        }
        do {
            let probe = try DatabaseQueue(path: path, configuration: config)
            defer { try? probe.close() }
            try probe.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN EXCLUSIVE")
                try db.execute(sql: "ROLLBACK")
            }
            try probe.close()
            return false
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            return true
        } catch {
            throw SQLiteBackupError.failed(
                path: path,
                reason: "cannot tell whether it is in use (\(describe(error))); if no server runs on it, move it and its -wal and -shm files aside")
        }
    }

    // MARK: - Checking a copy

    /// Checks that `db` is a sound Sluice store: `PRAGMA integrity_check` answers `ok`, it has
    /// Sluice's migration table with Sluice's first migration, and (unless `acceptNewerSchema`)
    /// no migration this version of Sluice does not know.
    ///
    /// - Parameter path: the file to name in errors.
    /// - Returns: the last migration applied.
    /// - Throws: ``SQLiteBackupError/damaged(path:problems:)``, ``SQLiteBackupError/notASluiceStore(path:reason:)``
    ///   or ``SQLiteBackupError/newerSchema(path:migrations:)``.
    public static func check(_ db: Database, describing path: String, acceptNewerSchema: Bool) throws -> String {
        let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check")
        guard problems == ["ok"] else { throw SQLiteBackupError.damaged(path: path, problems: Array(problems.prefix(5))) }
        guard try db.tableExists("grdb_migrations") else {
            throw SQLiteBackupError.notASluiceStore(path: path, reason: "it has no migration table (grdb_migrations)")
        }
        let migrator = SQLiteMigrations.migrator(workspaceID: "")
        let applied = try migrator.appliedIdentifiers(db)
        guard let first = migrator.migrations.first, applied.contains(first) else {
            throw SQLiteBackupError.notASluiceStore(path: path, reason: "its migration table lacks Sluice's first migration")
        }
        let unknown = applied.subtracting(migrator.migrations).sorted()
        guard acceptNewerSchema || unknown.isEmpty else { throw SQLiteBackupError.newerSchema(path: path, migrations: unknown) }
        return migrator.migrations.last(where: applied.contains) ?? first
    }

    // MARK: - Files

    /// Copies the database at `source` into a new file beside `destination`, checks and fsyncs it;
    /// returns the new file's path. Nothing is left behind when it throws.
    private static func copy(
        from source: String, beside destination: String, describing name: String, acceptNewerSchema: Bool
    ) throws -> (String, Summary) {
        let temporary = destination + ".tmp-" + UUID().uuidString.prefix(8).lowercased()
        try createPrivateFile(temporary)
        do {
            var sourceConfig = Configuration()
            sourceConfig.readonly = true
            sourceConfig.busyMode = .timeout(10)
            let lastMigration: String
            do {
                let reader = try DatabaseQueue(path: source, configuration: sourceConfig)
                defer { try? reader.close() }
                let copy = try DatabaseQueue(path: temporary)
                defer { try? copy.close() }
                // One step (pagesPerStep -1): the whole copy under one read transaction of the source.
                try reader.backup(to: copy)
                lastMigration = try copy.writeWithoutTransaction { db in
                    // The copy of a WAL database says WAL in its header; rollback-journal mode makes
                    // it one self-contained file, readable where no -shm can be created.
                    _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
                    return try check(db, describing: name, acceptNewerSchema: acceptNewerSchema)
                }
                try copy.close()
                try reader.close()
            } catch let error as SQLiteBackupError {
                throw error
            } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
                throw SQLiteBackupError.damaged(path: name, problems: [describe(error)])
            } catch {
                throw SQLiteBackupError.failed(path: name, reason: describe(error))
            }
            try sync(path: temporary)
            let size = try FileManager.default.attributesOfItem(atPath: temporary)[.size] as? Int64 ?? 0
            return (temporary, Summary(bytes: size, lastMigration: lastMigration))
        } catch {
            removeDatabaseFiles(temporary)
            throw error
        }
    }

    /// Creates an empty file readable and writable by its owner only; fails when it exists.
    private static func createPrivateFile(_ path: String) throws {
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SQLiteBackupError.failed(path: path, reason: "cannot create it: \(errnoText())") }
        close(fd)
    }

    /// Renames `from` to `to` (replacing it) and fsyncs the folder, so the rename survives a power loss.
    private static func publish(_ from: String, as to: String) throws {
        guard rename(from, to) == 0 else {
            throw SQLiteBackupError.failed(path: to, reason: "cannot rename \(from) to it: \(errnoText())")
        }
        try sync(path: URL(fileURLWithPath: to).deletingLastPathComponent().path)
    }

    private static func sync(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SQLiteBackupError.failed(path: path, reason: "cannot open it to sync: \(errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SQLiteBackupError.failed(path: path, reason: "cannot sync it: \(errnoText())") }
    }

    private static func removeIfPresent(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw SQLiteBackupError.failed(path: path, reason: "cannot remove it: \(errnoText())")
        }
    }

    private static func removeDatabaseFiles(_ path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            unlink(path + suffix)
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode)" }
        return String(describing: error)
    }
}

/// Why a backup or a restore did not happen; the destination is unchanged in every case.
public enum SQLiteBackupError: Error, Equatable, CustomStringConvertible {
    /// There is no file at `path` (the store to back up, or the backup to restore).
    case missing(path: String)
    /// The backup's file exists already; a backup never replaces a file.
    case exists(path: String)
    /// A process has the store open; restoring under a running server would lose its writes.
    case inUse(path: String)
    /// The file is a SQLite database, but not one Sluice made.
    case notASluiceStore(path: String, reason: String)
    /// The file is not a database, or fails `PRAGMA integrity_check` (its first problems).
    case damaged(path: String, problems: [String])
    /// The backup was made by a newer Sluice: these migrations are unknown to this one.
    case newerSchema(path: String, migrations: [String])
    /// An I/O or SQLite error.
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            "\(path) does not exist"
        case .exists(let path):
            "\(path) exists already; a backup never replaces a file: remove it or choose another name"
        case .inUse(let path):
            "\(path) is in use (a server or another process has it open); stop every server on it, then restore"
        case .notASluiceStore(let path, let reason):
            "\(path) is not a Sluice store: \(reason)"
        case .damaged(let path, let problems):
            "\(path) is not a sound SQLite database: \(problems.joined(separator: "; "))"
        case .newerSchema(let path, let migrations):
            "\(path) was written by a newer Sluice (migrations \(migrations.joined(separator: ", "))); restore it with that version"
        case .failed(let path, let reason):
            "\(path): \(reason)"
        }
    }
}
