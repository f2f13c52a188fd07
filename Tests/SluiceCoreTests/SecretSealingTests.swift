import Foundation
import SluiceCore
import Testing

/// Which settings are sealed at rest, and sealing, opening and resealing them (issue #19), with a toy cipher.
@Suite struct SecretSealingTests {
    /// A reversible toy cipher (the bytes reversed) that knows the keys `keys` and seals under the first.
    struct ToyCipher: SecretCipher {
        var keys: [String]
        var keyID: String { keys[0] }
        func seal(_ plaintext: [UInt8]) throws -> String { SealedSecret.text(keyID: keyID, payload: plaintext.reversed()) }
        func open(_ sealed: String) throws -> [UInt8] {
            guard let (id, payload) = SealedSecret.parse(sealed) else { throw SecretError.damaged }
            guard keys.contains(id) else { throw SecretError.unknownKey(id) }
            return payload.reversed()
        }
    }

    static let destinationRule = SecretSealing.destinationRule(options: [.option("ucd", "password", nil), .option("region", "string", nil)])

    @Test func secretDestinationSettingsAreSealedAndOpenBackAsTheyWere() throws {
        // Given settings with secrets by name and by catalog type, of several JSON types, and clear ones
        let settings: [String: JSONValue] = [
            "apiKey": "3cb9b589437d3904f19b2b791c2cdada", "ucd": 42, "token": ["a": 1], "secretKey": .null, "region": "eu",
            "retarget": true,
        ]
        let cipher = ToyCipher(keys: ["k1"])
        // When they are sealed
        let sealed = try SecretSealing.seal(settings, rule: Self.destinationRule, cipher: cipher)
        // Then the secrets are sealed values under the key, null and clear settings untouched
        for name in ["apiKey", "ucd", "token"] {
            #expect(sealed[name]?.stringValue?.hasPrefix(SealedSecret.prefix + "k1:") == true, "\(name)")
        }
        #expect(sealed["secretKey"] == .null)
        #expect(sealed["region"] == "eu")
        #expect(sealed["retarget"] == true)
        // and they open back exactly, sealing twice changes nothing
        #expect(try SecretSealing.open(sealed, cipher: cipher) == settings)
        #expect(try SecretSealing.seal(sealed, rule: Self.destinationRule, cipher: cipher) == sealed)
    }

    @Test func onlyLiteralPasswordFieldsOfSubscriptionsAreSealed() throws {
        let fields = [
            ActionField(
                id: "1", sortOrder: 0, fieldKey: "pw", label: "", type: "PASSWORD", description: "", placeholder: nil, defaultValue: nil,
                required: false, multiple: false, choices: nil, dynamic: false, allowNull: false, hidden: false),
            ActionField(
                id: "2", sortOrder: 1, fieldKey: "apiKey", label: "", type: "STRING", description: "", placeholder: nil, defaultValue: nil,
                required: false, multiple: false, choices: nil, dynamic: false, allowNull: false, hidden: false),
        ]
        let rule = SecretSealing.subscriptionRule(fields: fields)
        #expect(rule("pw", "s3cret"))
        #expect(!rule("pw", ["@path": "$.properties.pw"]))
        #expect(!rule("apiKey", "visible as today"))
    }

    @Test func resealMigratesClearValuesAndRotatesKeys() throws {
        // Given clear settings
        let clear: [String: JSONValue] = ["apiKey": "3cb9b589437d3904f19b2b791c2cdada", "region": "eu"]
        let old = ToyCipher(keys: ["k1"])
        // When resealed (migration), then resealed under the same key, then under a new key that knows the old one
        let migrated = try #require(try SecretSealing.reseal(clear, rule: Self.destinationRule, cipher: old))
        #expect(try SecretSealing.reseal(migrated, rule: Self.destinationRule, cipher: old) == nil)
        let rotated = try #require(try SecretSealing.reseal(migrated, rule: Self.destinationRule, cipher: ToyCipher(keys: ["k2", "k1"])))
        // Then each step holds the same settings, sealed under the key of the step
        #expect(SealedSecret.parse(try #require(rotated["apiKey"]?.stringValue))?.keyID == "k2")
        #expect(try SecretSealing.open(rotated, cipher: ToyCipher(keys: ["k2"])) == clear)
        // and a value sealed under a key not given stops the reseal
        #expect(throws: SecretError.unknownKey("k1")) {
            try SecretSealing.reseal(migrated, rule: Self.destinationRule, cipher: ToyCipher(keys: ["k3"]))
        }
    }

    /// The toy cipher, counting what it seals.
    final class CountingCipher: SecretCipher, @unchecked Sendable {
        let toy: ToyCipher
        var seals = 0
        init(keys: [String]) { toy = ToyCipher(keys: keys) }
        var keyID: String { toy.keyID }
        func seal(_ plaintext: [UInt8]) throws -> String {
            seals += 1
            return try toy.seal(plaintext)
        }
        func open(_ sealed: String) throws -> [UInt8] { try toy.open(sealed) }
    }

    @Test func anUpdateSealsOnlyTheSecretsItChanged() throws {
        // Given stored settings with two secrets sealed under k1, and the same opened
        let clear: [String: JSONValue] = ["apiKey": "a1", "ucd": 42, "region": "eu"]
        let stored = try SecretSealing.seal(clear, rule: Self.destinationRule, cipher: ToyCipher(keys: ["k1"]))

        // When an update changes one secret and a clear setting, sealed keeping what the stored row has
        var next = clear
        next["apiKey"] = "a2"
        next["region"] = "us"
        let cipher = CountingCipher(keys: ["k1"])
        let sealed = try SecretSealing.seal(next, rule: Self.destinationRule, cipher: cipher, keeping: stored, opened: clear)

        // Then only the changed secret was sealed; the other keeps its stored text; all open to the update
        #expect(cipher.seals == 1)
        #expect(sealed["ucd"] == stored["ucd"])
        #expect(sealed["apiKey"] != stored["apiKey"])
        #expect(sealed["region"] == "us")
        #expect(try SecretSealing.open(sealed, cipher: cipher) == next)

        // When the key has changed since the row was stored, every secret is sealed again under the new one
        let rotated = CountingCipher(keys: ["k2", "k1"])
        let resealed = try SecretSealing.seal(clear, rule: Self.destinationRule, cipher: rotated, keeping: stored, opened: clear)
        #expect(rotated.seals == 2)
        for name in ["apiKey", "ucd"] {
            #expect(SealedSecret.parse(try #require(resealed[name]?.stringValue))?.keyID == "k2", "\(name)")
        }

        // and a secret the stored row held in clear (not sealed yet) is sealed, not kept
        let fresh = CountingCipher(keys: ["k1"])
        let migrated = try SecretSealing.seal(clear, rule: Self.destinationRule, cipher: fresh, keeping: clear, opened: clear)
        #expect(fresh.seals == 2)
        #expect(migrated == stored)
    }

    @Test func aSealedValueIsRecognisedByItsPrefix() {
        #expect(SealedSecret.parse("sluice-enc:v1:ab12cd34:AAEC")?.keyID == "ab12cd34")
        #expect(SealedSecret.parse("sluice-enc:v1:AAEC") == nil)
        #expect(SealedSecret.parse("a clear value") == nil)
    }

    @Test func aSettingsTextMentionsAnotherKeyWhenSomeSealedValueIsNotUnderTheKey() {
        let own = #"{"apiKey":"sluice-enc:v1:ab12cd34:AAEC","region":"eu","secret":"sluice-enc:v1:ab12cd34:BBBB"}"#
        #expect(!SealedSecret.mentionsOtherKey(in: own, than: "ab12cd34"))
        #expect(!SealedSecret.mentionsOtherKey(in: #"{"apiKey":"clear","note":"sluice-enc"}"#, than: "ab12cd34"))
        #expect(!SealedSecret.mentionsOtherKey(in: "", than: "ab12cd34"))
        // Another key anywhere, a key that only starts like the own one, or one cut off at the end of the text
        #expect(SealedSecret.mentionsOtherKey(in: own + #"{"x":"sluice-enc:v1:00000000:CCCC"}"#, than: "ab12cd34"))
        #expect(SealedSecret.mentionsOtherKey(in: #"{"x":"sluice-enc:v1:ab12cd345:CCCC"}"#, than: "ab12cd34"))
        #expect(SealedSecret.mentionsOtherKey(in: #"{"x":"sluice-enc:v1:ab12"#, than: "ab12cd34"))
        #expect(SealedSecret.mentionsOtherKey(in: own, than: "ab12cd35"))
        // Multi-byte text around the values is read as bytes
        #expect(!SealedSecret.mentionsOtherKey(in: #"{"名前":"\#u{1F600}","k":"sluice-enc:v1:ab12cd34:AA"}"#, than: "ab12cd34"))
    }
}
