import Foundation
import Hummingbird
import HummingbirdTesting
import SluiceCatalog
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

@testable import SluiceApp

/// Destinations' masked settings kept by their stored text (issue 20): the same bytes as working them out anew, worked
/// out again whenever the stored text differs by a byte, bounded, and never standing in for a row the store changed.
@Suite struct DestinationAnswersTests {
    /// A keyring that counts the values it opens, so a test sees whether settings were worked out again.
    final class CountingCipher: SecretCipher {
        let keyring = SecretKeyring.ephemeral()
        let opened = Mutex(0)
        var keyID: String { keyring.keyID }
        func seal(_ plaintext: [UInt8]) throws -> String { try keyring.seal(plaintext) }
        func open(_ sealed: String) throws -> [UInt8] {
            opened.withLock { $0 += 1 }
            return try keyring.open(sealed)
        }
        var opens: Int { opened.withLock { $0 } }
    }

    static let amplitude = "54521fd525e721e32a72ee91"

    static func stored(_ settingsText: String, id: String = "d1", metadataID: String = amplitude) -> StoredDestination {
        StoredDestination(id: id, sourceID: "s1", metadataID: metadataID, name: "Amp", enabled: true, settingsText: settingsText)
    }

    /// Settings with the secret `apiKey` sealed under `cipher`, as a sealed store holds them.
    static func sealedText(apiKey: String, extra: String = "eu", cipher: any SecretCipher) throws -> String {
        let sealed = try cipher.seal(JSONWriter.encode(.string(apiKey)))
        return String(decoding: JSONWriter.encode(["apiKey": .string(sealed), "region": .string(extra)]), as: UTF8.self)
    }

    /// What the answer's settings were before the cache: opened, masked and encoded anew.
    static func workedOut(_ settings: [String: JSONValue], metadataID: String = amplitude) -> [UInt8] {
        JSONWriter.encode(.object(DestinationSettings.mask(TestHarness.catalog.secretNames(destination: metadataID), settings: settings)))
    }

    @Test func theSameStoredTextIsMaskedOnceAndGivesTheSameBytes() throws {
        let cipher = CountingCipher()
        let answers = DestinationAnswers(catalog: TestHarness.catalog, cipher: cipher)
        let text = try Self.sealedText(apiKey: "3cb9b589437d3904f19b2b791c2cdada", cipher: cipher)
        // When the same stored row is answered three times
        let first = try answers.maskedSettings(Self.stored(text))
        let again = try answers.maskedSettings(Self.stored(text))
        let third = try answers.maskedSettings(Self.stored(text))
        // Then its secret was opened once, and every answer is what masking it anew gives
        #expect(cipher.opens == 1)
        #expect(first == Self.workedOut(["apiKey": "3cb9b589437d3904f19b2b791c2cdada", "region": "eu"]))
        #expect(again == first && third == first)
        #expect(String(decoding: first, as: UTF8.self).contains("••••••••••dada"))
    }

    @Test func anyChangeToTheStoredTextIsWorkedOutAgain() throws {
        let cipher = CountingCipher()
        let answers = DestinationAnswers(catalog: TestHarness.catalog, cipher: cipher)
        _ = try answers.maskedSettings(Self.stored(try Self.sealedText(apiKey: "first-secret-1111", cipher: cipher)))
        // When the stored secret changes (a write through another process, say)
        let changed = try answers.maskedSettings(Self.stored(try Self.sealedText(apiKey: "second-secret-2222", cipher: cipher)))
        // Then the answer shows the new one
        #expect(changed == Self.workedOut(["apiKey": "second-secret-2222", "region": "eu"]))
        // And a clear setting changing is seen as well
        let region = try answers.maskedSettings(Self.stored(try Self.sealedText(apiKey: "second-secret-2222", extra: "us", cipher: cipher)))
        #expect(region == Self.workedOut(["apiKey": "second-secret-2222", "region": "us"]))
        #expect(cipher.opens == 3)
    }

    @Test func textsEqualAsStringsButNotAsBytesAreDifferentTexts() throws {
        let answers = DestinationAnswers(catalog: TestHarness.catalog, cipher: nil)
        // "é" precomposed and decomposed: equal under String's ==, different bytes stored
        let precomposed = "{\"name\":\"caf\u{E9}\"}"
        let decomposed = "{\"name\":\"cafe\u{301}\"}"
        #expect(precomposed == decomposed)
        #expect(!precomposed.hasSameBytes(as: decomposed))
        #expect(precomposed.hasSameBytes(as: "{\"name\":\"caf\u{E9}\"}"))
        _ = try answers.maskedSettings(Self.stored(precomposed))
        // Then the second is answered with its own bytes, not the first's
        let second = try answers.maskedSettings(Self.stored(decomposed))
        #expect(second == Array("{\"name\":\"cafe\u{301}\"}".utf8))
    }

    @Test func theKeptBytesAreBoundedAndADeletedDestinationIsForgotten() throws {
        let text = "{\"apiKey\":\"a-clear-secret-1234\",\"region\":\"eu\"}"
        let one = text.utf8.count + Self.workedOut(["apiKey": "a-clear-secret-1234", "region": "eu"]).count
        // A limit that holds three destinations' settings
        let answers = DestinationAnswers(catalog: TestHarness.catalog, cipher: nil, byteLimit: 3 * one)
        for i in 0..<3 { _ = try answers.maskedSettings(Self.stored(text, id: "d\(i)")) }
        #expect(answers.usage == (3, 3 * one))
        // When a fourth comes, the cache starts again from it, never past its limit
        _ = try answers.maskedSettings(Self.stored(text, id: "d3"))
        #expect(answers.usage == (1, one))
        // And a destination forgotten (deleted) is dropped
        answers.forget(id: "d3")
        #expect(answers.usage == (0, 0))
        // And settings larger than the whole limit are answered but not kept
        let large = "{\"region\":\"\(String(repeating: "x", count: 4 * one))\"}"
        #expect(try answers.maskedSettings(Self.stored(large)) == Self.workedOut(["region": .string(String(repeating: "x", count: 4 * one))]))
        #expect(answers.usage == (0, 0))
    }

    @Test func aSecretThatCannotBeOpenedFailsAsReadingItDid() throws {
        let answers = DestinationAnswers(catalog: TestHarness.catalog, cipher: CountingCipher())
        let other = SecretKeyring.ephemeral()
        let text = try Self.sealedText(apiKey: "sealed-under-another-key", cipher: other)
        #expect(throws: SecretError.self) { try answers.maskedSettings(Self.stored(text)) }
        #expect(answers.usage == (0, 0))
    }

    // MARK: - Through the API

    @Test func aWriteThatBypassesTheAPIShowsInTheNextAnswer() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let created = try await client.api(
                .post, "/destinations",
                json: [
                    "sourceId": .string(sourceID), "metadataId": .string(Self.amplitude), "name": "Amp",
                    "settings": ["apiKey": "3cb9b589437d3904f19b2b791c2cdada"],
                ])
            #expect(created.status == .ok)
            let id = try #require(created.data["destination"]?["id"]?.stringValue)
            // Given answers read (and kept) once: the GET and the list answer what the create answered
            let get = try await client.api(.get, "/destinations/\(id)")
            #expect(get.data["destination"] == created.data["destination"])
            let list = try await client.api(.get, "/destinations?pagination.count=10")
            #expect(list.data["destinations"]?.arrayValue?.first == created.data["destination"])
            // When the row changes under the API (as a write through another process would change it)
            _ = try await store.updateDestination(id: id) { current in
                var updated = current
                updated.settings["apiKey"] = "rotated-elsewhere-9876"
                updated.name = "Renamed"
                return (updated, [])
            }
            // Then the next answers show it at once
            let after = try await client.api(.get, "/destinations/\(id)")
            #expect(after.data["destination"]?["settings"]?["apiKey"] == "••••••••••9876")
            #expect(after.data["destination"]?["name"] == "Renamed")
            let listed = try await client.api(.get, "/destinations?pagination.count=10")
            #expect(listed.data["destinations"]?.arrayValue?.first?["settings"]?["apiKey"] == "••••••••••9876")
            // And an update through the API answers what the GET then answers
            let patched = try await client.api(.patch, "/destinations/\(id)", json: ["settings": ["apiKey": "patched-secret-5555"]])
            #expect(patched.status == .ok)
            #expect(try await client.api(.get, "/destinations/\(id)").data["destination"] == patched.data["destination"])
        }
    }
}

/// `sluice serve`'s allocator thresholds (``AllocatorTuning``).
@Suite struct AllocatorTuningTests {
    @Test func theThresholdsAreSetUnlessTheOperatorSetsTheAllocatorsTunables() {
        #if canImport(Glibc)
        // glibc accepts both values (mallopt answers 0 for a threshold past its maximum)
        #expect(AllocatorTuning.apply(environment: [:]))
        #expect(AllocatorTuning.apply(environment: ["GLIBC_TUNABLES": "glibc.rtld.nns=2"]))
        #endif
        // An operator's own malloc tunables stand
        #expect(!AllocatorTuning.apply(environment: ["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1048576"]))
    }
}
