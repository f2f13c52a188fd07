import ArgumentParser
import Foundation
import Logging
import SluiceApp

/// `sluice token create [--read-only]`: prints a new Public API token.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage Public API tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it (it is stored only as a hash).")

        @Flag(help: "The token may read but not change anything.") var readOnly = false
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let settings = try AppSettings(database: database.parsed())
            let store = try await openStore(settings, logger: Logger(label: "sluice"))
            let text = TokenAuthenticator.newTokenText()
            do {
                try await TokenAuthenticator(store: store).ensure(text, readOnly: readOnly, actor: "sluice/cli")
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
            print(text)
        }
    }
}
