import ArgumentParser
import Foundation
import Logging
import SluiceApp
import SluiceCore

/// `sluice token create|list|revoke`: Public API tokens.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage Public API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it (it is stored only as a hash).")

        @Flag(help: "The token may read but not change anything.") var readOnly = false
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let text = TokenAuthenticator.newTokenText()
            _ = try await database.withStore { store in
                try await TokenAuthenticator(store: store).ensure(text, readOnly: readOnly, actor: "sluice/cli")
            }
            print(text)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tokens: id, access and creation time (a token's text is never stored, so never shown).")

        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let tokens = try await database.withStore { store in try await store.listTokens() }
            for token in tokens {
                print("\(token.id)\t\(token.readOnly ? "read-only" : "read-write")\t\(Timestamps.format(token.createdAt))")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token by id (see `sluice token list`); running servers refuse it within seconds.")

        @Argument(help: "The token's id.") var id: String
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            try await database.withStore { store in try await Credentials.revokeToken(id: id, store: store, actor: "sluice/cli") }
            print("Revoked token \(id)")
        }
    }
}

/// `sluice write-key create|revoke`: rotating a source's write keys.
struct WriteKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-key", abstract: "Rotate the write keys of a source.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a write key to a source and print it; its other keys keep working.")

        @Argument(help: "The source's id.") var sourceID: String
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let key = try await database.withStore { store in
                try await Credentials.createWriteKey(sourceID: sourceID, store: store, actor: "sluice/cli")
            }
            print(key)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a write key from a source (not its last one); running servers refuse it within seconds.")

        @Argument(help: "The source's id.") var sourceID: String
        @Argument(help: "The write key to remove.") var key: String
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            try await database.withStore { store in
                try await Credentials.revokeWriteKey(sourceID: sourceID, key: key, store: store, actor: "sluice/cli")
            }
            print("Revoked the write key")
        }
    }
}
