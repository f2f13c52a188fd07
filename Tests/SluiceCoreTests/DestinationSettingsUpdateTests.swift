import SluiceCore
import Testing

@Suite struct DestinationSettingsUpdateTests {
    typealias Settings = DestinationSettings
    let workspaceID = SettingsFixtures.workspaceID
    let amplitude = SettingsFixtures.amplitude
    let kinesis = SettingsFixtures.kinesis

    /// The seed's Amplitude destination as stored.
    func storedAmplitude() throws -> [String: JSONValue] {
        let input = try SettingsFixtures.object(SettingsFixtures.amplitudeSeedRequest)
        return try Settings.create(options: amplitude, input: input, enabled: true, workspaceID: workspaceID)
    }

    /// A Kinesis destination as stored.
    func storedKinesis() throws -> [String: JSONValue] {
        try Settings.create(
            options: kinesis,
            input: ["stream": "bla", "roleAddress": "arn::..."],
            enabled: true,
            workspaceID: workspaceID
        )
    }

    // MARK: - Merging

    @Test func mergesKeyByKey() throws {
        // Given the stored seed destination
        let stored = try storedAmplitude()

        // When one option and one unknown key change
        let updated = try Settings.update(
            options: amplitude,
            stored: stored,
            patch: ["batchEvents": true, "custom": "x"],
            enabled: true,
            workspaceID: workspaceID
        )

        // Then only they differ
        var expected = stored
        expected["batchEvents"] = true
        expected["custom"] = "x"
        #expect(updated == expected)
    }

    @Test func emptyPatchChangesNothing() throws {
        let stored = try storedAmplitude()
        let updated = try Settings.update(options: amplitude, stored: stored, patch: [:], enabled: true, workspaceID: workspaceID)
        #expect(updated == stored)
    }

    @Test func optionsTheCatalogGainedGetTheirDefault() throws {
        // Given settings stored before the catalog listed `versionName`
        var stored = try storedAmplitude()
        stored["versionName"] = nil

        // When anything is updated
        let updated = try Settings.update(options: amplitude, stored: stored, patch: [:], enabled: true, workspaceID: workspaceID)

        // Then the new option holds its default
        #expect(updated["versionName"] == "")
    }

    // MARK: - Null

    @Test func nullResetsAnOptionToItsDefault() throws {
        // Given a destination whose threshold and traits were set
        var stored = try storedAmplitude()
        stored["eventUploadThreshold"] = 99
        stored["traitsToAppend"] = ["plan"]

        // When both are sent as null
        let updated = try Settings.update(
            options: amplitude,
            stored: stored,
            patch: ["eventUploadThreshold": nil, "traitsToAppend": nil],
            enabled: true,
            workspaceID: workspaceID
        )

        // Then both hold their defaults again
        #expect(updated["eventUploadThreshold"] == 30)
        #expect(updated["traitsToAppend"] == [])
    }

    @Test func nullRemovesAnUnknownKeyAndAnOptionWithoutDefault() throws {
        // Given an unknown key and an option without default, both set
        let options: [IntegrationOption] = [.option("noDefault", "string", nil)]
        let stored: [String: JSONValue] = ["retarget": true, "noDefault": "x"]

        // When both are sent as null
        let updated = try Settings.update(
            options: options,
            stored: stored,
            patch: ["retarget": nil, "noDefault": nil],
            enabled: true,
            workspaceID: workspaceID
        )

        // Then both are gone
        #expect(updated == [:])
    }

    @Test func nullResetsARequiredOptionAndEnablingThenFails() throws {
        let stored = try storedAmplitude()
        #expect(throws: ValidationError("settings.apiKey is required when the destination is enabled", field: "settings.apiKey")) {
            try Settings.update(options: amplitude, stored: stored, patch: ["apiKey": nil], enabled: true, workspaceID: workspaceID)
        }
    }

    // MARK: - Secrets

    @Test func maskedValueSentBackKeepsTheStoredSecret() throws {
        // Given the stored seed destination and the masked apiKey a client read
        let stored = try storedAmplitude()
        #expect(Settings.mask(options: amplitude, settings: stored)["apiKey"] == "••••••••••dada")

        // When the client writes it back with another change
        let updated = try Settings.update(
            options: amplitude,
            stored: stored,
            patch: ["apiKey": "••••••••••dada", "forceHttps": true],
            enabled: true,
            workspaceID: workspaceID
        )

        // Then the secret is the clear stored one and the other change applies
        #expect(updated["apiKey"] == "3cb9b589437d3904f19b2b791c2cdada")
        #expect(updated["forceHttps"] == true)
    }

    @Test func wholeMaskedSettingsWrittenBackChangeNothing() throws {
        // Given settings with secrets of every shape, including a short and an object one
        var stored = try storedAmplitude()
        stored["secretKey"] = "abc"
        stored["token"] = ["nested": "value"]
        let shown = Settings.mask(options: amplitude, settings: stored)
        #expect(shown["secretKey"] == "••••••••••")
        #expect(shown["token"] == "••••••••••")

        // When a client writes back exactly what it read
        let updated = try Settings.update(options: amplitude, stored: stored, patch: shown, enabled: true, workspaceID: workspaceID)

        // Then nothing changes
        #expect(updated == stored)
    }

    @Test func newClearValueReplacesTheSecret() throws {
        let stored = try storedAmplitude()
        let updated = try Settings.update(
            options: amplitude,
            stored: stored,
            patch: ["apiKey": "0123456789abcdef"],
            enabled: true,
            workspaceID: workspaceID
        )
        #expect(updated["apiKey"] == "0123456789abcdef")
        #expect(Settings.mask(options: amplitude, settings: updated)["apiKey"] == "••••••••••cdef")
    }

    @Test func maskOfAnotherSecretIsStoredAsSent() throws {
        // A masked-looking value that does not match the stored secret is a new value (documented, not refused).
        let stored = try storedAmplitude()
        let updated = try Settings.update(
            options: amplitude,
            stored: stored,
            patch: ["apiKey": "••••••••••beef"],
            enabled: true,
            workspaceID: workspaceID
        )
        #expect(updated["apiKey"] == "••••••••••beef")
    }

    @Test func maskedFormOfANonSecretIsAnOrdinaryValue() throws {
        // Given a non-secret setting whose stored value would mask to the sent text
        let stored: [String: JSONValue] = ["versionName": "release-2024"]

        // When that text is sent, it is stored as sent: only secrets are ever masked
        let updated = try Settings.update(
            options: amplitude,
            stored: stored,
            patch: ["versionName": "••••••••••2024"],
            enabled: false,
            workspaceID: workspaceID
        )
        #expect(updated["versionName"] == "••••••••••2024")
    }

    @Test func clearingASecretWithAnEmptyString() throws {
        var stored = try storedAmplitude()
        stored["secretKey"] = "s3cr3t-value"
        let updated = try Settings.update(options: amplitude, stored: stored, patch: ["secretKey": ""], enabled: true, workspaceID: workspaceID)
        #expect(updated["secretKey"] == "")
    }

    // MARK: - Read-only

    @Test func onlyReadOnlySettingsIsA400() throws {
        let stored = try storedKinesis()
        let error = #expect(throws: ValidationError.self) {
            try Settings.update(options: kinesis, stored: stored, patch: ["secretId": "other"], enabled: true, workspaceID: workspaceID)
        }
        #expect(
            error
                == ValidationError(
                    "settings.secretId is a read-only setting and cannot be updated",
                    field: "settings.secretId",
                    kind: .badRequest
                )
        )
    }

    @Test func onlyReadOnlySettingsAsNullIsA400Too() throws {
        let stored = try storedKinesis()
        let error = #expect(throws: ValidationError.self) {
            try Settings.update(options: kinesis, stored: stored, patch: ["secretId": nil], enabled: true, workspaceID: workspaceID)
        }
        #expect(error?.kind == .badRequest)
    }

    @Test func severalReadOnlySettingsAreAllNamed() {
        let options: [IntegrationOption] = [
            .option("b", "string", "", label: "B (Read-Only)"), .option("a", "string", "", label: "A (Read-Only)"),
        ]
        #expect(
            throws: ValidationError(
                "settings.a, settings.b are read-only settings and cannot be updated",
                field: "settings.a",
                kind: .badRequest
            )
        ) {
            try Settings.update(options: options, stored: [:], patch: ["a": "1", "b": "2"], enabled: false, workspaceID: workspaceID)
        }
    }

    @Test func readOnlyMixedWithWritableIgnoresTheReadOnly() throws {
        // Given a stored Kinesis destination
        let stored = try storedKinesis()

        // When secretId comes with a writable change
        let updated = try Settings.update(
            options: kinesis,
            stored: stored,
            patch: ["secretId": "other", "stream": "new-stream"],
            enabled: true,
            workspaceID: workspaceID
        )

        // Then the stream changes and secretId is still the workspace id
        #expect(updated["stream"] == "new-stream")
        #expect(updated["secretId"] == .string(workspaceID))
    }

    @Test func readOnlyOptionIsRestoredToItsDefault() throws {
        // Given a stored secretId that is not the default (e.g. imported data)
        var stored = try storedKinesis()
        stored["secretId"] = "tampered"

        // When anything is updated, then secretId holds its default again
        let updated = try Settings.update(
            options: kinesis,
            stored: stored,
            patch: ["useMessageId": true],
            enabled: true,
            workspaceID: workspaceID
        )
        #expect(updated["secretId"] == .string(workspaceID))
    }

    // MARK: - Types

    @Test func wrongTypeInAnUpdateIsA422() throws {
        let stored = try storedAmplitude()
        #expect(throws: ValidationError("settings.eventUploadThreshold must be a number, got string", field: "settings.eventUploadThreshold")) {
            try Settings.update(
                options: amplitude,
                stored: stored,
                patch: ["eventUploadThreshold": "30"],
                enabled: true,
                workspaceID: workspaceID
            )
        }
    }

    @Test func unchangedValueIsAcceptedEvenIfItNoLongerFitsItsType() throws {
        // Given a value stored when the option had another type
        var stored = try storedAmplitude()
        stored["traitsToAppend"] = "plan"

        // When a client writes it back unchanged, it is accepted
        let updated = try Settings.update(
            options: amplitude,
            stored: stored,
            patch: ["traitsToAppend": "plan"],
            enabled: true,
            workspaceID: workspaceID
        )
        #expect(updated["traitsToAppend"] == "plan")
    }

    // MARK: - Required options

    @Test func enablingWithRequiredOptionsEmptyNamesEach() throws {
        // Given a Kinesis destination created disabled with nothing set
        let stored = try Settings.create(options: kinesis, input: ["region": ""], enabled: false, workspaceID: workspaceID)

        // When it is enabled without settings, then one 422 names each empty required option
        #expect(
            throws: ValidationError(
                "settings.region, settings.stream are required when the destination is enabled",
                field: "settings.region"
            )
        ) {
            try Settings.update(options: kinesis, stored: stored, patch: [:], enabled: true, workspaceID: workspaceID)
        }

        // And enabling with them filled works
        let updated = try Settings.update(
            options: kinesis,
            stored: stored,
            patch: ["region": "eu-west-1", "stream": "s"],
            enabled: true,
            workspaceID: workspaceID
        )
        #expect(updated["region"] == "eu-west-1")
    }

    @Test func disabledUpdateMayEmptyARequiredOption() throws {
        let stored = try storedAmplitude()
        let updated = try Settings.update(options: amplitude, stored: stored, patch: ["apiKey": ""], enabled: false, workspaceID: workspaceID)
        #expect(updated["apiKey"] == "")
    }
}
