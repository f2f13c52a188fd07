import ArgumentParser
import Foundation
import Logging
import SluiceApp
import SluiceCore

/// `sluice secrets rotate-key --new-key-file PATH`: seals every secret of the store again under a new key.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Manage the key of secrets at rest.", subcommands: [RotateKey.self])

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Encrypt every destination secret again under a new key, in one transaction, while servers run.",
            discussion: """
                The current key comes from --secret-key-file, SLUICE_SECRET_KEY_FILE or SLUICE_SECRET_KEY, as for \
                sluice serve (default PATH.key beside a SQLite store). The new key is read from --new-key-file, or \
                created there (mode 0600) when the file does not exist. When the current key is a file, it is rewritten \
                first with the new key on its first line and the old ones after it: running servers that use that file \
                pick the new key up by themselves. With SLUICE_SECRET_KEY, restart the servers with \
                SLUICE_SECRET_KEY=NEW,OLD. See SECURITY.md. Exits 0 when done, 1 otherwise (the store then unchanged).
                """)

        @OptionGroup var database: DatabaseOption
        @OptionGroup var secretKey: SecretKeyOption
        @Option(name: .customLong("new-key-file"), help: "The file holding the new key (created with a new random key if missing).")
        var newKeyFile: String

        func run() async throws {
            let settings = AppSettings(database: try database.parsed())
            let logger = Logger(label: "sluice")
            do {
                let store = try await openEngineStore(settings, logger: logger)
                let rotation: StoreSecrets.Rotation
                do {
                    rotation = try await StoreSecrets.rotate(
                        store, current: secretKey.resolved, database: settings.database, newKeyFile: newKeyFile,
                        catalog: try await loadCatalog(store: store), logger: logger)
                } catch {
                    try? await store.close()
                    throw error
                }
                try await store.close()
                Console.line("Encrypted \(rotation.rewritten) settings objects under the new key \(rotation.keyID).")
                if let keyFile = rotation.keyFile {
                    Console.line(
                        "\(keyFile) now holds the new key first and the old key after it: running servers read it again by "
                            + "themselves. Once every server has been restarted, the old key's line may be removed.")
                } else {
                    Console.line(
                        "Restart every server with SLUICE_SECRET_KEY set to the new key first and the old key after it "
                            + "(comma-separated); servers running with only the old key cannot read the secrets until then.")
                }
            } catch {
                Console.error("sluice secrets rotate-key: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
