import ArgumentParser
import Foundation
import SluiceApp
import SluiceSQLite

/// `sluice backup --database sqlite:PATH FILE`: a consistent copy of a SQLite store, taken while servers run.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a SQLite store to a new file, while servers read and write it.",
        discussion: """
            The copy holds every write committed before it began and none half-done; servers are not paused. \
            FILE must not exist; it is created readable by its owner only, because it holds write keys in clear \
            and destination secrets encrypted (keep the key file apart from it; SECURITY.md). \
            For a PostgreSQL store use pg_dump and pg_restore (docs/backup.md). \
            Exits 0 when the copy is written and checked, 1 otherwise.
            """)

    @OptionGroup var database: DatabaseOption
    @Argument(help: "The new file to write the copy to.") var file: String

    func run() throws {
        let settings = try database.parsed()
        do {
            let summary = try StoreBackup.backup(settings, to: file)
            Console.line(
                "Backed up \(settings) to \(file) (\(summary.bytes) bytes, schema \(summary.lastMigration)); "
                    + "keep it private, and the key file apart from it.")
        } catch {
            Console.error("sluice backup: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `sluice restore FILE --database sqlite:PATH`: replaces a stopped SQLite store with a backup.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace a SQLite store with a backup; refused while any process has the store open.",
        discussion: """
            FILE must be a Sluice store (a file written by sluice backup, or a stopped store) that passes \
            PRAGMA integrity_check, written by this version of Sluice or an older one. Stop every server on the \
            store first: restore refuses a store that a process has open. The store is replaced in one rename, \
            so it is either the old store or the whole backup; its stale -wal and -shm files are removed. \
            Exits 0 when the store is replaced, 1 otherwise (the store is then unchanged).
            """)

    @Argument(help: "The backup to restore.") var file: String
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let settings = try database.parsed()
        do {
            let summary = try StoreBackup.restore(file, to: settings)
            Console.line("Restored \(file) to \(settings) (\(summary.bytes) bytes, schema \(summary.lastMigration)).")
        } catch {
            Console.error("sluice restore: \(error)")
            throw ExitCode(1)
        }
    }
}
