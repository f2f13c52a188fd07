import ArgumentParser
import Foundation
import Logging
import SluiceApp
import SluiceCore

/// The `sluice` command: serve the API, manage tokens, the catalog and triggers, back up and restore the store.
@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A self-hosted server for Segment's Public API for destinations, which delivers events to them.",
        subcommands: [
            Serve.self, TokenCommand.self, WriteKeyCommand.self, CatalogCommand.self, FQLCommand.self, MappingCommand.self,
            BackupCommand.self, RestoreCommand.self, SecretsCommand.self, EventsCommand.self,
        ])
}

/// `--database` and `SLUICE_DATABASE`, shared by every command that opens the store.
struct DatabaseOption: ParsableArguments {
    @Option(help: "The store: sqlite:PATH, memory, or postgres://user:password@host:port/db (env SLUICE_DATABASE).")
    var database: String?

    /// The flag, else the variable, else the default.
    var resolved: String {
        database ?? Environment.value("SLUICE_DATABASE") ?? "sqlite:sluice.sqlite"
    }

    /// Opens the store, runs `body` on it and closes it, whether `body` throws or not.
    ///
    /// The store is opened without its secrets' key (`sealed: false`): the commands that use this
    /// (tokens, write keys, the catalog) never read or write settings.
    func withStore<T>(_ body: (any Store) async throws -> T) async throws -> T {
        let store = try await openStore(AppSettings(database: try parsed()), logger: Logger(label: "sluice"), sealed: false)
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The resolved value, parsed; a usage error when it is not one of the accepted forms.
    func parsed() throws -> AppSettings.Database {
        do {
            return try AppSettings.Database(parsing: resolved)
        } catch {
            throw ArgumentParser.ValidationError(error.message)
        }
    }
}

/// `--secret-key-file`, `SLUICE_SECRET_KEY_FILE` and `SLUICE_SECRET_KEY`: the key of secrets at rest.
struct SecretKeyOption: ParsableArguments {
    @Option(
        name: .customLong("secret-key-file"),
        help: """
            The file holding the key of secrets at rest, base64 (env SLUICE_SECRET_KEY_FILE, \
            or the key itself in SLUICE_SECRET_KEY; default PATH.key beside a SQLite store).
            """)
    var file: String?

    /// The flag, else `SLUICE_SECRET_KEY_FILE`, else `SLUICE_SECRET_KEY`, else automatic.
    var resolved: SecretKeySource {
        if let path = file ?? Environment.value("SLUICE_SECRET_KEY_FILE") { return .file(path: path) }
        if let text = Environment.value("SLUICE_SECRET_KEY") { return .text(text) }
        return .automatic
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// Reads `on`/`off` (also true/false, 1/0, yes/no).
    static func flag(_ text: String, name: String) throws -> Bool {
        switch text.lowercased() {
        case "on", "true", "1", "yes": return true
        case "off", "false", "0", "no": return false
        default: throw ArgumentParser.ValidationError("\(name) must be on or off, not \"\(text)\"")
        }
    }
}

/// Writes lines to standard output unbuffered, so that scripts waiting for them see them at once.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// The same on standard error.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
