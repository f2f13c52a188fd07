import Crypto
import Foundation
import SluiceCore
import Synchronization

/// Where the secret key comes from (`--secret-key-file`/`SLUICE_SECRET_KEY_FILE`, `SLUICE_SECRET_KEY`).
public enum SecretKeySource: Sendable, Equatable {
    /// None given: a SQLite store's key lives in a file beside it (`PATH.key`, created with a new store);
    /// `memory` gets a key that lives as long as the process; PostgreSQL refuses to start.
    case automatic
    /// A key file: one or more base64 keys of 32 bytes, one a line; the first seals, the others only open.
    case file(path: String)
    /// The same keys as text (`SLUICE_SECRET_KEY`; several separated by commas or new lines).
    case text(String)
}

/// The AES-GCM cipher of secrets at rest: 256-bit keys, known by an id, the first of which seals.
///
/// A key's id is the first 4 bytes, in hex, of HMAC-SHA256(key, "sluice secret key id"): it names the
/// key in every sealed value without telling anything about it. A sealed value's bytes are AES-GCM's
/// combined form: 12-byte random nonce, ciphertext, 16-byte tag.
///
/// A keyring read from a file reads the file again when it meets a value sealed under a key it does
/// not know, and from then on seals under the file's first key: that is how a running server learns
/// the key that `sluice secrets rotate-key` put first in its key file (SECURITY.md).
public final class SecretKeyring: SecretCipher {
    private struct State: Sendable {
        /// The keys' bytes by id (`SymmetricKey` is not `Sendable`).
        var keys: [String: [UInt8]]
        var primary: String
    }

    private let state: Mutex<State>
    private let reloadPath: String?
    /// Where the keys came from, for the start-up line (a path, `SLUICE_SECRET_KEY`, ...; never a key).
    public let origin: String

    /// - Parameters:
    ///   - keys: the keys, the first sealing; at least one.
    ///   - reloadPath: the key file to read again on an unknown key id, if the keys came from one.
    ///   - origin: where the keys came from, for logs.
    /// - Throws: ``SecretError/badKey(_:)`` when `keys` is empty.
    public init(keys: [SymmetricKey], reloadPath: String? = nil, origin: String = "given") throws {
        guard let first = keys.first else { throw SecretError.badKey("no secret key given") }
        var byID: [String: [UInt8]] = [:]
        for key in keys { byID[Self.keyID(key)] = key.withUnsafeBytes { Array($0) } }
        state = Mutex(State(keys: byID, primary: Self.keyID(first)))
        self.reloadPath = reloadPath
        self.origin = origin
    }

    /// A keyring with one new random key (the `memory` store's, and tests').
    public static func ephemeral() -> SecretKeyring {
        try! SecretKeyring(keys: [SymmetricKey(size: .bits256)], origin: "a new key kept in memory for this process only")
    }

    /// The id of `key`.
    public static func keyID(_ key: SymmetricKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("sluice secret key id".utf8), using: key)
        return Array(mac).prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// A new random key as key-file text (base64 and a new line).
    public static func newKeyText() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
    }

    /// The base64 text of `key`.
    public static func text(of key: SymmetricKey) -> String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// Reads keys from key-file text: base64 keys of 32 bytes separated by new lines or commas;
    /// blank lines and lines starting with `#` are skipped.
    ///
    /// - Throws: ``SecretError/badKey(_:)`` when there is none, or one is not base64 of 32 bytes.
    public static func keys(parsing text: String) throws -> [SymmetricKey] {
        var keys: [SymmetricKey] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "," }) {
            let item = line.trimmingCharacters(in: .whitespaces)
            if item.isEmpty || item.hasPrefix("#") { continue }
            guard let data = Data(base64Encoded: item), data.count == 32 else {
                throw SecretError.badKey("a secret key must be 32 random bytes in base64 (44 characters), one a line")
            }
            keys.append(SymmetricKey(data: data))
        }
        guard !keys.isEmpty else { throw SecretError.badKey("no secret key found (expected 32 bytes in base64)") }
        return keys
    }

    /// The id of the key that seals.
    public var keyID: String { state.withLock { $0.primary } }

    /// Whether a key with id `id` is known.
    public func knows(_ id: String) -> Bool { state.withLock { $0.keys[id] != nil } }

    public func seal(_ plaintext: [UInt8]) throws -> String {
        let (id, bytes) = state.withLock { ($0.primary, $0.keys[$0.primary]!) }
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: bytes))
        guard let combined = box.combined else { throw SecretError.damaged }
        return SealedSecret.text(keyID: id, payload: Array(combined))
    }

    public func open(_ sealed: String) throws -> [UInt8] {
        guard let (id, payload) = SealedSecret.parse(sealed) else { throw SecretError.damaged }
        var key = state.withLock { $0.keys[id] }
        if key == nil, reload() { key = state.withLock { $0.keys[id] } }
        guard let key else { throw SecretError.unknownKey(id) }
        do {
            return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: payload), using: SymmetricKey(data: key)))
        } catch {
            throw SecretError.damaged
        }
    }

    /// Reads the key file again, adding its keys and sealing under its first from now on.
    ///
    /// - Returns: whether it could be read (a file that cannot is left for the caller's error).
    private func reload() -> Bool {
        guard let reloadPath, let text = try? String(contentsOfFile: reloadPath, encoding: .utf8),
            let keys = try? Self.keys(parsing: text)
        else { return false }
        state.withLock { state in
            for key in keys { state.keys[Self.keyID(key)] = key.withUnsafeBytes { Array($0) } }
            state.primary = Self.keyID(keys[0])
        }
        return true
    }

    // MARK: - Key check

    /// The known text the key check value seals.
    static let checkText = Array("sluice secret key check v1".utf8)

    /// A new key check value: the known text sealed under the sealing key.
    public func makeCheck() throws -> String { try seal(Self.checkText) }

    /// Whether `check` opens to the known text under one of the keys (without reading the key file again).
    public func verifies(_ check: String) -> Bool {
        guard let (id, payload) = SealedSecret.parse(check), let key = state.withLock({ $0.keys[id] }),
            let box = try? AES.GCM.SealedBox(combined: payload), let text = try? AES.GCM.open(box, using: SymmetricKey(data: key))
        else { return false }
        return Array(text) == Self.checkText
    }
}
