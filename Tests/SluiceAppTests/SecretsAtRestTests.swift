import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import SluiceCore
import SluicePostgres
import SluiceTesting
import Testing

@testable import SluiceApp

/// Secrets at rest (issue #19): destination secrets and secret subscription fields are sealed in the
/// store's files, a start without the store's key or with a wrong one is refused and changes nothing,
/// a clear store is migrated in place, and a key rotates while a server keeps reading.
@Suite struct SecretsAtRestTests {
    /// LiveRamp Audiences, whose action "Audience Entered (SFTP)" has a PASSWORD field, `sftp_password`.
    static let liveRamp = "644ad6c6c4a87a3290450602"
    static let liveRampSFTP = "2Xg7PHV6kQDWdS8j2da66P"

    /// Known secrets, each with a distinctive middle, so that any piece of them is found in a file.
    struct Secrets {
        let apiKey = "AKREST" + Identifier.random(length: 20) + "dada"
        let sharedSecret = "SHREST" + Identifier.random(length: 20) + "beef"
        let sftpPassword = "PWREST" + Identifier.random(length: 20) + "cafe"
        var all: [String] { [apiKey, sharedSecret, sftpPassword] }
        /// Every piece of 10 characters of every secret (and each whole).
        var pieces: [String] {
            all.flatMap { secret in
                stride(from: 0, to: secret.count - 10, by: 5).map { String(secret.dropFirst($0).prefix(10)) } + [secret]
            }
        }
    }

    /// A folder of its own for a test, removed at the end.
    static func folder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-secrets-\(Identifier.make())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    static func settings(_ path: String, key: SecretKeySource = .automatic) -> AppSettings {
        var settings = AppSettings.testing()
        settings.database = .sqlite(path: path)
        settings.secretKey = key
        settings.delivery = false
        return settings
    }

    /// Creates, through the API, an Amplitude destination (apiKey), a Webhooks destination (sharedSecret)
    /// and a LiveRamp subscription (sftp_password); returns the Amplitude and LiveRamp destination ids.
    static func createSecrets(_ secrets: Secrets, client: some TestClientProtocol) async throws -> (amplitude: String, liveRamp: String) {
        let sourceID = try await client.createSource()
        let amplitude = try await client.api(
            .post, "/destinations",
            json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.amplitude), "settings": ["apiKey": .string(secrets.apiKey)]])
        #expect(amplitude.status.code < 300, "\(amplitude.text)")
        let webhook = try await client.api(
            .post, "/destinations",
            json: [
                "sourceId": .string(sourceID), "metadataId": .string(Fixture.webhooks), "settings": ["sharedSecret": .string(secrets.sharedSecret)],
            ])
        #expect(webhook.status.code < 300, "\(webhook.text)")
        let liveRamp = try await client.api(
            .post, "/destinations", json: ["sourceId": .string(sourceID), "metadataId": .string(Self.liveRamp), "settings": [:]])
        #expect(liveRamp.status.code < 300, "\(liveRamp.text)")
        let liveRampID = try #require(liveRamp.data["destination"]?["id"]?.stringValue)
        let subscription = try await client.api(
            .post, "/destinations/\(liveRampID)/subscriptions",
            json: [
                "name": "sftp", "actionId": .string(Self.liveRampSFTP), "trigger": "type = \"identify\"", "enabled": true,
                "settings": [
                    "audience_key": "k", "delimiter": ",", "filename": "f.csv", "sftp_password": .string(secrets.sftpPassword),
                ],
            ])
        #expect(subscription.status.code < 300, "\(subscription.text)")
        let text = amplitude.text + webhook.text + subscription.text
        for secret in secrets.all { #expect(!text.contains(secret), "answers stay masked") }
        return (try #require(amplitude.data["destination"]?["id"]?.stringValue), liveRampID)
    }

    /// A SQLite store at `path`, opened as `sluice serve` opens it, with known secrets created through the API.
    static func openWithSecrets(_ path: String) async throws -> (any Store, Secrets) {
        let secrets = Secrets()
        let store = try await openStore(Self.settings(path), logger: Logger(label: "test"), catalog: TestHarness.catalog)
        try await TestHarness.withApp(settings: Self.settings(path), store: store) { client, _ in
            _ = try await Self.createSecrets(secrets, client: client)
        }
        return (store, secrets)
    }

    /// The pieces of secrets found in the files named.
    static func leaks(_ secrets: Secrets, in paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            guard let data = FileManager.default.contents(atPath: path) else { return [] }
            return secrets.pieces.filter { data.range(of: Data($0.utf8)) != nil }.map { "\(path): \($0)" }
        }
    }

    // MARK: -

    @Test func noByteOfASecretIsInTheStoreFiles() async throws {
        // Given a new SQLite store, with its key created beside it
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/sluice.sqlite"
        let settings = Self.settings(path)
        let store = try await openStore(settings, logger: Logger(label: "test"), catalog: TestHarness.catalog)
        let keyAttributes = try FileManager.default.attributesOfItem(atPath: path + ".key")
        #expect((keyAttributes[.posixPermissions] as? Int) == 0o600)
        let secrets = Secrets()
        // When destinations and a subscription with known secrets are created, read and updated with masked values
        try await TestHarness.withApp(settings: settings, store: store) { client, store in
            let (amplitudeID, liveRampID) = try await Self.createSecrets(secrets, client: client)
            let read = try await client.api(.get, "/destinations/\(amplitudeID)")
            #expect(read.data["destination"]?["settings"]?["apiKey"] == .string(DestinationSettings.maskPrefix + "dada"))
            let patched = try await client.api(
                .patch, "/destinations/\(amplitudeID)",
                json: ["name": "renamed", "settings": ["apiKey": .string(DestinationSettings.maskPrefix + "dada")]])
            #expect(patched.status == .ok, "\(patched.text)")
            // Then the store hands out the secrets in clear (delivery signs with them), the masked round trip kept them
            #expect(try await store.destination(id: amplitudeID)?.settings["apiKey"] == .string(secrets.apiKey))
            let subscriptions = try await store.subscriptions(destinationIDs: [liveRampID])
            #expect(subscriptions.first?.settings["sftp_password"] == .string(secrets.sftpPassword))
            // and neither the store file nor its WAL holds a byte of them while the store is open
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(Self.leaks(secrets, in: [path, path + "-wal"]) == [])
        }
        try await store.close()
        #expect(Self.leaks(secrets, in: [path, path + "-wal"]) == [])
        // And the engine's store, read without the key, holds sealed values
        let engine = try await openEngineStore(settings, logger: Logger(label: "test"))
        let stored = try await engine.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items
        try await engine.close()
        let amplitude = try #require(stored.first { $0.metadataID == Fixture.amplitude })
        #expect(amplitude.settings["apiKey"]?.stringValue?.hasPrefix(SealedSecret.prefix) == true)
    }

    @Test func anUpdateSealsOnlyTheSecretsItChangesAndAnswersInClear() async throws {
        // Given an Amplitude destination with two secrets, on a store that seals them
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let settings = Self.settings(folder + "/sluice.sqlite")
        let store = try await openStore(settings, logger: Logger(label: "test"), catalog: TestHarness.catalog)
        let sealedStore = try #require(store as? SealedStore)
        try await TestHarness.withApp(settings: settings, store: store) { client, _ in
            let sourceID = try await client.createSource()
            let created = try await client.api(
                .post, "/destinations",
                json: [
                    "sourceId": .string(sourceID), "metadataId": .string(Fixture.amplitude),
                    "settings": ["apiKey": "first-key-0001", "secretKey": "first-secret-0002"],
                ])
            let id = try #require(created.data["destination"]?["id"]?.stringValue)
            func stored() async throws -> [String: JSONValue] { try #require(try await sealedStore.base.destination(id: id)).settings }
            let before = try await stored()
            for name in ["apiKey", "secretKey"] { #expect(before[name]?.stringValue.map(SealedSecret.isSealed) == true, "\(name)") }

            // When it is renamed: no secret is sealed again, and the answer masks them
            let renamed = try await client.api(.patch, "/destinations/\(id)", json: ["name": "renamed"])
            #expect(renamed.status == .ok, "\(renamed.text)")
            #expect(renamed.data["destination"]?["name"] == "renamed")
            #expect(renamed.data["destination"]?["settings"]?["apiKey"] == .string(DestinationSettings.maskPrefix + "0001"))
            #expect(try await stored()["apiKey"] == before["apiKey"])
            #expect(try await stored()["secretKey"] == before["secretKey"])

            // When one secret changes: only it is sealed again, and both open to what was set
            let rekeyed = try await client.api(.patch, "/destinations/\(id)", json: ["settings": ["apiKey": "second-key-0003"]])
            #expect(rekeyed.status == .ok, "\(rekeyed.text)")
            #expect(rekeyed.data["destination"]?["settings"]?["apiKey"] == .string(DestinationSettings.maskPrefix + "0003"))
            #expect(rekeyed.data["destination"]?["settings"]?["secretKey"] == .string(DestinationSettings.maskPrefix + "0002"))
            let after = try await stored()
            #expect(after["apiKey"] != before["apiKey"])
            #expect(after["apiKey"]?.stringValue.map(SealedSecret.isSealed) == true)
            #expect(after["secretKey"] == before["secretKey"])
            let opened = try #require(try await sealedStore.destination(id: id)).settings
            #expect(opened["apiKey"] == "second-key-0003")
            #expect(opened["secretKey"] == "first-secret-0002")
        }
        try await store.close()
    }

    /// A copy of the store's files, to compare before and after.
    static func snapshot(_ path: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for suffix in ["", "-wal", ".key"] { files[suffix] = FileManager.default.contents(atPath: path + suffix) }
        return files
    }

    @Test func aStartWithoutTheKeyOrWithAWrongOneIsRefusedAndChangesNothing() async throws {
        // Given a stopped store holding secrets
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/sluice.sqlite"
        let (store, secrets) = try await Self.openWithSecrets(path)
        try await store.close()
        // When it is started with a wrong key
        let wrong = folder + "/wrong.key"
        try StoreSecrets.createKeyFile(wrong, text: SecretKeyring.newKeyText())
        let before = Self.snapshot(path)
        await #expect {
            try await openStore(Self.settings(path, key: .file(path: wrong)), logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("is not it") && "\(error)".contains("Nothing was changed")
        }
        #expect(Self.snapshot(path) == before)
        // or with a wrong key in SLUICE_SECRET_KEY
        await #expect(throws: StoreSecrets.Failure.self) {
            try await openStore(Self.settings(path, key: .text(SecretKeyring.newKeyText())), logger: Logger(label: "test"))
        }
        #expect(Self.snapshot(path) == before)
        // or without its key file
        try FileManager.default.moveItem(atPath: path + ".key", toPath: folder + "/moved.key")
        let withoutKey = Self.snapshot(path)
        await #expect {
            try await openStore(Self.settings(path), logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("does not exist") && "\(error)".contains("Nothing was changed")
        }
        // Then nothing changed, no key was created, and the right key still opens it
        #expect(Self.snapshot(path) == withoutKey)
        #expect(!FileManager.default.fileExists(atPath: path + ".key"))
        let reopened = try await openStore(Self.settings(path, key: .file(path: folder + "/moved.key")), logger: Logger(label: "test"))
        let destinations = try await reopened.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items
        #expect(destinations.contains { $0.settings["apiKey"] == .string(secrets.apiKey) })
        try await reopened.close()
    }

    @Test func aClearStoreIsMigratedInPlaceAtTheFirstStartWithAKey() async throws {
        // Given a store written without sealing (as every store before issue #19), its secrets in clear in the file
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/sluice.sqlite"
        let secrets = Secrets()
        let clear = try await openStore(Self.settings(path), logger: Logger(label: "test"), sealed: false)
        try await TestHarness.withApp(settings: Self.settings(path), store: clear) { client, _ in
            _ = try await Self.createSecrets(secrets, client: client)
        }
        try await clear.close()
        #expect(!Self.leaks(secrets, in: [path, path + "-wal"]).isEmpty, "the secrets are in clear before")
        // When a server starts on it with a key
        let store = try await openStore(Self.settings(path), logger: Logger(label: "test"), catalog: TestHarness.catalog)
        // Then every secret reads as before, and none is left in the files
        let destinations = try await store.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items
        #expect(destinations.contains { $0.settings["apiKey"] == .string(secrets.apiKey) })
        #expect(destinations.contains { $0.settings["sharedSecret"] == .string(secrets.sharedSecret) })
        let subscriptions = try await store.subscriptions(destinationIDs: destinations.map(\.id))
        #expect(subscriptions.first?.settings["sftp_password"] == .string(secrets.sftpPassword))
        #expect(Self.leaks(secrets, in: [path, path + "-wal"]) == [])
        try await store.close()
        #expect(Self.leaks(secrets, in: [path, path + "-wal"]) == [])
    }

    @Test func aRestartOnASealedStoreSealsWhatIsLeftOnceServing() async throws {
        // Given a store sealed under its key, with secrets written in clear behind the sealing (as a process of an older
        // version, or a catalog that called fewer settings secret, leaves them)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/sluice.sqlite"
        try await openStore(Self.settings(path), logger: Logger(label: "test"), catalog: TestHarness.catalog).close()
        let secrets = Secrets()
        let clear = try await openStore(Self.settings(path), logger: Logger(label: "test"), sealed: false)
        try await TestHarness.withApp(settings: Self.settings(path), store: clear) { client, _ in
            _ = try await Self.createSecrets(secrets, client: client)
        }
        try await clear.close()
        // When a server starts on it, sealing after it serves
        let store = try #require(
            try await openStore(Self.settings(path), logger: Logger(label: "test"), catalog: TestHarness.catalog, sealing: .afterStart)
                as? SealedStore)
        // Then the start did not read every settings object (the clear values are still in the file), yet they read as before
        #expect(!Self.leaks(secrets, in: [path, path + "-wal"]).isEmpty, "the start left sealing for later")
        let destinations = try await store.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items
        #expect(destinations.contains { $0.settings["apiKey"] == .string(secrets.apiKey) })
        // And once the server seals the rest, none is left in the files and every secret reads as before
        await store.sealRemaining(logger: Logger(label: "test"))
        #expect(Self.leaks(secrets, in: [path, path + "-wal"]) == [])
        let after = try await store.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items
        #expect(after.contains { $0.settings["sharedSecret"] == .string(secrets.sharedSecret) })
        let subscriptions = try await store.subscriptions(destinationIDs: after.map(\.id))
        #expect(subscriptions.first?.settings["sftp_password"] == .string(secrets.sftpPassword))
        try await store.close()
        // And a value sealed under a key the server is not given still stops that start, as it stops every start
        let engine = try await openStore(Self.settings(path), logger: Logger(label: "test"), sealed: false)
        let id = try #require(after.first { $0.settings["apiKey"] != nil }?.id)
        _ = try await engine.updateDestination(id: id) { current in
            var next = current
            next.settings["apiKey"] = .string(SealedSecret.prefix + "0badc0de:AAAA")
            return (next, [])
        }
        try await engine.close()
        await #expect(throws: (any Error).self) {
            try await openStore(Self.settings(path), logger: Logger(label: "test"), catalog: TestHarness.catalog, sealing: .afterStart).close()
        }
    }

    @Test func sealingWhatIsLeftChangesNothingWhenTheStoreFailsOrTheKeyChanged() async throws {
        // Given a store sealed under its key, with secrets written in clear behind the sealing
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/sluice.sqlite"
        let logger = Logger(label: "test")
        try await openStore(Self.settings(path), logger: logger, catalog: TestHarness.catalog).close()
        let secrets = Secrets()
        let clear = try await openStore(Self.settings(path), logger: logger, sealed: false)
        try await TestHarness.withApp(settings: Self.settings(path), store: clear) { client, _ in
            _ = try await Self.createSecrets(secrets, client: client)
        }
        try await clear.close()
        // When a server that left them for later can no longer use its store when it seals them
        let first = try #require(
            try await openStore(Self.settings(path), logger: logger, catalog: TestHarness.catalog, sealing: .afterStart) as? SealedStore)
        try await first.close()
        await first.sealRemaining(logger: logger)
        // Then nothing changed: the values are still in clear, for the next start
        #expect(!Self.leaks(secrets, in: [path, path + "-wal"]).isEmpty)
        // When another process rotates the key before a second server seals what it left
        let second = try #require(
            try await openStore(Self.settings(path), logger: logger, catalog: TestHarness.catalog, sealing: .afterStart) as? SealedStore)
        let engine = try await openEngineStore(Self.settings(path), logger: logger)
        let rotation = try await StoreSecrets.rotate(
            engine, current: .automatic, database: .sqlite(path: path), newKeyFile: folder + "/new.key", catalog: TestHarness.catalog,
            logger: logger)
        await second.sealRemaining(logger: logger)
        try await second.close()
        // Then the server leaves sealing to the rotation: every secret is under the new key, none under the old one
        let stored = try await engine.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items
        let values = stored.flatMap { [$0.settings["apiKey"], $0.settings["sharedSecret"]] }.compactMap { $0?.stringValue }
        #expect(values.count == 2)
        #expect(values.allSatisfy { $0.hasPrefix(SealedSecret.prefix + rotation.keyID + ":") })
        try await engine.close()
        #expect(Self.leaks(secrets, in: [path, path + "-wal"]) == [])
    }

    @Test func aKeyRotatesWhileAServerReads() async throws {
        // Given a store with secrets, open in a "server" that keeps it open
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/sluice.sqlite"
        let (server, secrets) = try await Self.openWithSecrets(path)
        let amplitudeID = try #require(
            try await server.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items.first { $0.metadataID == Fixture.amplitude }?.id)
        let oldKeys = try String(contentsOfFile: path + ".key", encoding: .utf8)
        let oldID = try SecretKeyring.keyID(#require(SecretKeyring.keys(parsing: oldKeys).first))
        // When the key is rotated by another process (its own connection to the store)
        let engine = try await openEngineStore(Self.settings(path), logger: Logger(label: "test"))
        let rotation = try await StoreSecrets.rotate(
            engine, current: .automatic, database: .sqlite(path: path), newKeyFile: folder + "/new.key", catalog: TestHarness.catalog,
            logger: Logger(label: "test"))
        try await engine.close()
        // Then the key file lists the new key first and the old one after it
        let keys = try SecretKeyring.keys(parsing: String(contentsOfFile: path + ".key", encoding: .utf8)).map(SecretKeyring.keyID)
        #expect(keys == [rotation.keyID, oldID])
        #expect(rotation.rewritten == 3)
        // and the running server reads the secrets (reading its key file again) and seals under the new key from then on
        #expect(try await server.destination(id: amplitudeID)?.settings["apiKey"] == .string(secrets.apiKey))
        #expect((server as? SealedStore)?.cipher.keyID == rotation.keyID)
        try await server.close()
        #expect(Self.leaks(secrets, in: [path, path + "-wal"]) == [])
        // And the new key alone opens the store, the old one alone is refused
        let reopened = try await openStore(Self.settings(path, key: .file(path: folder + "/new.key")), logger: Logger(label: "test"))
        #expect(try await reopened.destination(id: amplitudeID)?.settings["apiKey"] == .string(secrets.apiKey))
        try await reopened.close()
        await #expect(throws: StoreSecrets.Failure.self) {
            try await openStore(Self.settings(path, key: .text(oldKeys)), logger: Logger(label: "test"))
        }
    }

    static let postgresURL = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES"].flatMap { $0.isEmpty || $0 == "off" ? nil : $0 }

    /// `pg_dump` from PATH or Debian's PostgreSQL packages.
    static func pgDump() -> String? {
        let candidates =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/pg_dump" }
            + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted().reversed()
            .map { "/usr/lib/postgresql/\($0)/bin/pg_dump" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(.enabled(if: postgresURL != nil && pgDump() != nil))
    func noByteOfASecretIsInAPostgreSQLDump() async throws {
        // Given a PostgreSQL store (a schema of its own), sealed under a key given as SLUICE_SECRET_KEY would give it
        let url = try #require(Self.postgresURL)
        let schema = "t_" + Identifier.make().lowercased()
        let logger = Logger(label: "test")
        let store = try await StoreSecrets.sealed(
            PostgresStore.open(url: url, schema: schema, logger: logger), source: .text(SecretKeyring.newKeyText()),
            database: .postgres(url: url), catalog: TestHarness.catalog, logger: logger)
        let secrets = Secrets()
        // When destinations and a subscription with known secrets are created through the API
        try await TestHarness.withApp(settings: .testing(), store: store) { client, store in
            let (amplitudeID, _) = try await Self.createSecrets(secrets, client: client)
            #expect(try await store.destination(id: amplitudeID)?.settings["apiKey"] == .string(secrets.apiKey))
        }
        // Then a pg_dump of the schema holds sealed values and not a byte of the secrets
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.pgDump()))
        process.arguments = ["--schema=\(schema)", "--data-only", "--dbname=\(url)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let dump = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try await store.close()
        #expect(process.terminationStatus == 0)
        #expect(dump.range(of: Data(SealedSecret.prefix.utf8)) != nil)
        #expect(secrets.pieces.filter { dump.range(of: Data($0.utf8)) != nil } == [])
    }

    @Test(.enabled(if: postgresURL != nil))
    func aPostgreSQLKeyRotatesWhileAProcessReads() async throws {
        // Given a PostgreSQL store sealed under a key file, open in a "server"
        let url = try #require(Self.postgresURL)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let keyFile = folder + "/sluice.key"
        try StoreSecrets.createKeyFile(keyFile, text: SecretKeyring.newKeyText())
        let schema = "t_" + Identifier.make().lowercased()
        let logger = Logger(label: "test")
        let server = try await StoreSecrets.sealed(
            PostgresStore.open(url: url, schema: schema, logger: logger), source: .file(path: keyFile), database: .postgres(url: url),
            catalog: TestHarness.catalog, logger: logger)
        let secrets = Secrets()
        try await TestHarness.withApp(settings: .testing(), store: server) { client, _ in
            _ = try await Self.createSecrets(secrets, client: client)
        }
        // When another process rotates the key
        let other = try await PostgresStore.open(url: url, schema: schema, logger: logger)
        let rotation = try await StoreSecrets.rotate(
            other, current: .file(path: keyFile), database: .postgres(url: url), newKeyFile: folder + "/new.key",
            catalog: TestHarness.catalog, logger: logger)
        try await other.close()
        // Then the server reads every secret, and seals under the new key from then on
        #expect(rotation.rewritten == 3)
        let destinations = try await server.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items
        #expect(destinations.contains { $0.settings["apiKey"] == .string(secrets.apiKey) })
        #expect(server.cipher.keyID == rotation.keyID)
        try await server.close()
        // And the old key alone is refused; the new one alone opens the store
        let oldKey = try String(contentsOfFile: keyFile, encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
        let again = try await PostgresStore.open(url: url, schema: schema, logger: logger)
        await #expect(throws: StoreSecrets.Failure.self) {
            try await StoreSecrets.prepare(again, source: .text(oldKey), database: .postgres(url: url), catalog: TestHarness.catalog, logger: logger)
        }
        _ = try await StoreSecrets.prepare(
            again, source: .file(path: folder + "/new.key"), database: .postgres(url: url), catalog: TestHarness.catalog, logger: logger)
        try await again.close()
    }

    @Test func aMemoryStoreCannotRotateAndPostgresNeedsAKey() async throws {
        let memory = try await openEngineStore(AppSettings.testing(), logger: Logger(label: "test"))
        await #expect(throws: StoreSecrets.Failure.self) {
            try await StoreSecrets.rotate(
                memory, current: .automatic, database: .memory, newKeyFile: "/nonexistent/new.key", catalog: TestHarness.catalog,
                logger: Logger(label: "test"))
        }
        // A PostgreSQL store (the key is looked for before the engine is touched) given no key
        await #expect {
            try await StoreSecrets.prepare(
                memory, source: .automatic, database: .postgres(url: "postgres://x@y/z"), catalog: TestHarness.catalog,
                logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("A PostgreSQL store needs a secret key")
        }
        try await memory.close()
    }
}
