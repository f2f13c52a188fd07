import Foundation

/// Seals and opens secret setting values at rest (issue #19).
///
/// SluiceCore holds what is secret (``SecretSealing``) and how a sealed value is written
/// (``SealedSecret``); the cipher itself, AES-GCM from swift-crypto with the key read from a file,
/// lives in SluiceApp, so that SluiceCore does no I/O and needs no cryptography library.
public protocol SecretCipher: Sendable {
    /// The id of the key new values are sealed under (``SealedSecret`` writes it before the payload).
    var keyID: String { get }
    /// Seals `plaintext` under the key ``keyID`` names.
    ///
    /// - Returns: a sealed value, `sluice-enc:v1:KEYID:BASE64`.
    func seal(_ plaintext: [UInt8]) throws -> String
    /// Opens a value ``seal(_:)`` made, under whichever known key its id names.
    ///
    /// - Throws: ``SecretError/unknownKey(_:)`` when no known key has that id,
    ///   ``SecretError/damaged`` when the value is not well formed or does not authenticate.
    func open(_ sealed: String) throws -> [UInt8]
}

/// Why a sealed value could not be opened, or a key not used.
public enum SecretError: Error, Equatable, CustomStringConvertible {
    /// The value was sealed under a key this process does not have (its id).
    case unknownKey(String)
    /// The value is not well formed, or was altered, or the key with its id is not the one that sealed it.
    case damaged
    /// The key is not usable (a message saying why, without the key).
    case badKey(String)

    public var description: String {
        switch self {
        case .unknownKey(let id): "a secret is encrypted under key \(id), which was not given"
        case .damaged: "an encrypted secret cannot be decrypted (damaged, or a different key with the same id)"
        case .badKey(let reason): reason
        }
    }
}

/// The text form of a sealed value: `sluice-enc:v1:KEYID:BASE64`, where BASE64 holds the
/// cipher's bytes (for AES-GCM: 12-byte nonce, ciphertext, 16-byte tag).
///
/// The prefix makes a sealed value recognisable, so that opening, migration and rotation need not
/// know which settings are secret to tell sealed values from clear ones.
public enum SealedSecret {
    /// What every sealed value starts with.
    public static let prefix = "sluice-enc:v1:"

    /// Whether `text` is a sealed value (by its prefix).
    public static func isSealed(_ text: String) -> Bool { text.hasPrefix(prefix) }

    /// The sealed text for `payload` sealed under key `keyID`.
    public static func text(keyID: String, payload: [UInt8]) -> String {
        prefix + keyID + ":" + Data(payload).base64EncodedString()
    }

    /// Whether the stored text of a settings object holds a value sealed under a key other than `keyID`: an
    /// occurrence of ``prefix`` not followed by `keyID` and `:`. It reads the text as bytes and parses nothing, so that
    /// a start can look at every stored settings object quickly.
    public static func mentionsOtherKey(in text: String, than keyID: String) -> Bool {
        let marker = Array(prefix.utf8)
        let own = Array((keyID + ":").utf8)
        var text = text
        return text.withUTF8 { bytes in
            var at = 0
            while at + marker.count <= bytes.count {
                guard bytes[at] == marker[0], bytes[at..<at + marker.count].elementsEqual(marker) else {
                    at += 1
                    continue
                }
                let key = at + marker.count
                guard key + own.count <= bytes.count, bytes[key..<key + own.count].elementsEqual(own) else { return true }
                at = key + own.count
            }
            return false
        }
    }

    /// The key id and payload of a sealed value, or `nil` when `text` is not one.
    public static func parse(_ text: String) -> (keyID: String, payload: [UInt8])? {
        guard isSealed(text) else { return nil }
        let rest = text.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let keyID = String(rest[..<colon])
        guard !keyID.isEmpty, let data = Data(base64Encoded: String(rest[rest.index(after: colon)...])) else { return nil }
        return (keyID, [UInt8](data))
    }
}
