import Crypto
import Foundation
import Logging
import SluiceCatalog
import SluiceCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Secrets at rest at start-up and in `sluice secrets rotate-key` (issue #19; SECURITY.md).
///
/// At start-up: find the key (creating one for a new store), refuse a store whose key check value
/// the key does not open, then seal every clear secret and reseal every secret sealed under another
/// known key, in one transaction. A refused start writes nothing to the store.
///
/// That last step parses every stored settings object, so `sluice serve` takes it before serving only when a key is
/// involved (a new store, a store from before sealing, a rotated key, a value sealed under another key); otherwise
/// only values in clear can be left, and they are sealed once the server listens (``Sealing/afterStart``), so that a
/// restart does not take longer with every destination stored.
public enum StoreSecrets {
    /// When a start seals what is left to seal in a store whose key check is the key's own already.
    public enum Sealing: Sendable {
        /// Before the store is used (every command, and every start on a new store or a new key).
        case beforeUse
        /// After the server listens (``SealedStore/sealRemaining(logger:)``), when the key check is the key's own and
        /// no value is sealed under another key, so that what is left can only be values in clear (written by a
        /// catalog that called fewer settings secret, or by an older process). A value under another key (a rotation
        /// a process ran through) is still resealed before use, and one under a key no longer given still stops the start.
        case afterStart
    }

    /// Why secrets at rest stop a start or a rotation; each message says what to do.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Makes the store's secrets sealed under the key `source` names, and returns the keyring that opens them.
    ///
    /// With ``Sealing/afterStart`` it may leave values in clear for ``sealRemaining(_:keyring:catalog:)``:
    /// ``Prepared/leftForLater`` says whether it did.
    ///
    /// - Throws: ``Failure`` when the store holds sealed secrets and the key is missing or wrong, when
    ///   PostgreSQL is given no key, or a key cannot be read; ``SecretError`` when a value is sealed under
    ///   a key that was not given (nothing is then written).
    public static func prepare(
        _ store: any Store, source: SecretKeySource, database: AppSettings.Database, catalog: Catalog, logger: Logger,
        sealing: Sealing = .beforeUse
    ) async throws -> Prepared {
        var check = try await store.secretKeyCheck()
        let keyring = try keyring(source, database: database, check: check, create: true, logger: logger)
        if sealing == .afterStart, let check, isOwnCheck(check, of: keyring),
            try await !store.holdsSecretsSealedUnderOtherKeys(than: keyring.keyID)
        {
            return Prepared(keyring: keyring, leftForLater: true)
        }
        // Several processes starting together on one PostgreSQL database race to store the first check:
        // the ones that lose read the winner's and try again.
        for attempt in 1...3 {
            if let check, !keyring.verifies(check) {
                throw Failure(
                    "The store's secrets are encrypted under key \(SealedSecret.parse(check)?.keyID ?? "?"), and the key given "
                        + "(\(keyring.keyID)) is not it: start with the store's key (--secret-key-file or SLUICE_SECRET_KEY). "
                        + "Nothing was changed.")
            }
            do {
                let rewritten = try await reseal(store, keyring: keyring, expectedCheck: check, catalog: catalog)
                if rewritten > 0 {
                    logger.notice("Encrypted the secrets of \(rewritten) settings objects under key \(keyring.keyID)")
                }
                return Prepared(keyring: keyring, leftForLater: false)
            } catch StoreError.conflict(let message, _) where attempt < 3 {
                logger.debug("the key check changed while starting; reading it again", metadata: ["reason": "\(message)"])
                check = try await store.secretKeyCheck()
            }
        }
        return Prepared(keyring: keyring, leftForLater: false)  // not reached: the last attempt returns or throws
    }

    /// What ``prepare(_:source:database:catalog:logger:sealing:)`` made of a store.
    public struct Prepared: Sendable {
        /// The keyring that opens the store's secrets.
        public var keyring: SecretKeyring
        /// Whether the whole pass was left for ``sealRemaining(_:keyring:catalog:)`` (a ``Sealing/afterStart`` start on a
        /// store sealed under its key); `false` when every value was sealed before use.
        public var leftForLater: Bool
    }

    /// The engine's `store` wrapped in a ``SealedStore``, once ``prepare(_:source:database:catalog:logger:)`` has made
    /// its secrets sealed under the key `source` names.
    ///
    /// - Throws: what ``prepare(_:source:database:catalog:logger:)`` throws.
    public static func sealed(
        _ store: any Store, source: SecretKeySource, database: AppSettings.Database, catalog: Catalog, logger: Logger,
        sealing: Sealing = .beforeUse
    ) async throws -> SealedStore {
        let prepared = try await prepare(store, source: source, database: database, catalog: catalog, logger: logger, sealing: sealing)
        return SealedStore(base: store, cipher: prepared.keyring, catalog: catalog, sealsRemaining: prepared.leftForLater)
    }

    /// Whether `check` is the keyring's own: made with its current key, and opened by it.
    static func isOwnCheck(_ check: String, of keyring: SecretKeyring) -> Bool {
        SealedSecret.parse(check)?.keyID == keyring.keyID && keyring.verifies(check)
    }

    /// What a start that sealed ``Sealing/afterStart`` left: seals every clear secret and reseals every secret under
    /// an older key, as a start does before use. Returns how many settings objects it rewrote, or `nil` when the key
    /// check is no longer the keyring's own (a rotation since: the rotation resealed everything).
    static func sealRemaining(_ store: any Store, keyring: SecretKeyring, catalog: Catalog) async throws -> Int? {
        guard let check = try await store.secretKeyCheck(), isOwnCheck(check, of: keyring) else { return nil }
        return try await reseal(store, keyring: keyring, expectedCheck: check, catalog: catalog)
    }

    /// What ``rotate(_:current:database:newKeyFile:catalog:logger:)`` did.
    public struct Rotation: Sendable {
        /// The new key's id.
        public var keyID: String
        /// How many settings objects were sealed again.
        public var rewritten: Int
        /// The key file now listing the new key first (the old ones after it), or `nil` when the keys came from `SLUICE_SECRET_KEY`.
        public var keyFile: String?
    }

    /// Seals every secret again under the key in `newKeyFile` (created with a new random key when it does not
    /// exist), in one transaction.
    ///
    /// When the current keys come from a file, that file is rewritten first (atomically, mode 0600) with the
    /// new key first and the old ones after it: a running server that meets a value sealed under the new key
    /// reads its key file again and seals under the new key from then on, and values it sealed under the old
    /// one meanwhile are resealed at its next start.
    ///
    /// - Throws: ``Failure`` for a `memory` store, a missing or wrong current key, a bad new key file;
    ///   ``StoreError/conflict(_:)`` when another process changed the key meanwhile.
    public static func rotate(
        _ store: any Store, current source: SecretKeySource, database: AppSettings.Database, newKeyFile: String, catalog: Catalog,
        logger: Logger
    ) async throws -> Rotation {
        if database == .memory { throw Failure("A memory store keeps nothing, so it has no key to rotate") }
        let check = try await store.secretKeyCheck()
        let current = try keyring(source, database: database, check: check, create: false, logger: logger)
        if let check, !current.verifies(check) {
            throw Failure("The key given (\(current.keyID)) is not the store's: nothing was changed")
        }
        let newKey: SymmetricKey
        if FileManager.default.fileExists(atPath: newKeyFile) {
            newKey = try readKeys(newKeyFile)[0]
        } else {
            let text = SecretKeyring.newKeyText()
            try createKeyFile(newKeyFile, text: text)
            newKey = try SecretKeyring.keys(parsing: text)[0]
        }
        var keys = [newKey]
        var oldKeys: [SymmetricKey] = []
        if let path = keyFilePath(source, database: database) {
            oldKeys = try readKeys(path)
        } else if case .text(let text) = source {
            oldKeys = try SecretKeyring.keys(parsing: text)
        }
        for key in oldKeys where SecretKeyring.keyID(key) != SecretKeyring.keyID(newKey) { keys.append(key) }
        let rotating = try SecretKeyring(keys: keys)
        var keyFile: String?
        if let path = keyFilePath(source, database: database) {
            try replaceKeyFile(path, text: keys.map { SecretKeyring.text(of: $0) + "\n" }.joined())
            keyFile = path
        }
        let rewritten = try await reseal(store, keyring: rotating, expectedCheck: check, catalog: catalog)
        return Rotation(keyID: rotating.keyID, rewritten: rewritten, keyFile: keyFile)
    }

    // MARK: - Keys

    /// The key file `source` names for `database`, if the keys come from a file.
    static func keyFilePath(_ source: SecretKeySource, database: AppSettings.Database) -> String? {
        switch (source, database) {
        case (.file(let path), _): path
        case (.automatic, .sqlite(let path)): path + ".key"
        default: nil
        }
    }

    private static func keyring(
        _ source: SecretKeySource, database: AppSettings.Database, check: String?, create: Bool, logger: Logger
    ) throws -> SecretKeyring {
        let checkID = check.flatMap { SealedSecret.parse($0)?.keyID } ?? "?"
        if case .text(let text) = source {
            return try SecretKeyring(keys: SecretKeyring.keys(parsing: text), origin: "from SLUICE_SECRET_KEY")
        }
        if let path = keyFilePath(source, database: database) {
            var origin = "in \(path)"
            if !FileManager.default.fileExists(atPath: path) {
                guard check == nil else {
                    throw Failure(
                        "The store's secrets are encrypted under key \(checkID), but its key file \(path) does not exist: "
                            + "restore the key file or name it with --secret-key-file. Nothing was changed.")
                }
                guard create else { throw Failure("The key file \(path) does not exist") }
                try createKeyFile(path, text: SecretKeyring.newKeyText())
                origin = "in \(path), created now (mode 0600): keep it, apart from the store's backups"
                logger.notice("Created a new secret key in \(path) (mode 0600)")
            }
            return try SecretKeyring(keys: readKeys(path), reloadPath: path, origin: origin)
        }
        switch database {
        case .memory:
            return SecretKeyring.ephemeral()
        case .postgres:
            throw Failure(
                "A PostgreSQL store needs a secret key that every Sluice process on it shares: --secret-key-file PATH, "
                    + "SLUICE_SECRET_KEY_FILE or SLUICE_SECRET_KEY (a new one: head -c 32 /dev/urandom | base64)")
        case .sqlite:
            throw Failure("no secret key")  // keyFilePath names one for SQLite
        }
    }

    private static func readKeys(_ path: String) throws -> [SymmetricKey] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure("The key file \(path) cannot be read")
        }
        do {
            return try SecretKeyring.keys(parsing: text)
        } catch let error as SecretError {
            throw Failure("The key file \(path): \(error)")
        }
    }

    /// Creates `path` with `text`, mode 0600 from the start, never replacing a file.
    static func createKeyFile(_ path: String, text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw Failure("The key file \(path) cannot be created (errno \(errno))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw Failure("The key file \(path) cannot be written") }
    }

    /// Replaces `path` with `text` in one rename, through a 0600 temporary file beside it.
    static func replaceKeyFile(_ path: String, text: String) throws {
        let temporary = path + ".tmp-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        try createKeyFile(temporary, text: text)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure("The key file \(path) cannot be replaced (errno \(errno))")
        }
    }

    // MARK: - Resealing

    private static func reseal(_ store: any Store, keyring: SecretKeyring, expectedCheck: String?, catalog: Catalog) async throws -> Int {
        let newCheck: String
        if let expectedCheck, SealedSecret.parse(expectedCheck)?.keyID == keyring.keyID {
            newCheck = expectedCheck
        } else {
            newCheck = try keyring.makeCheck()
        }
        let rules = SecretRules(catalog: catalog)
        return try await store.resealSecrets(expectedCheck: expectedCheck, newCheck: newCheck) { holder, settings in
            try SecretSealing.reseal(settings, rule: rules.rule(for: holder), cipher: keyring)
        }
    }
}
