import SluiceCore
import Testing

@Suite struct DestinationSettingsTests {
    typealias Settings = DestinationSettings
    let workspaceID = SettingsFixtures.workspaceID

    // MARK: - The seed

    @Test func seedAmplitudeCreateAnswersTheSeedSettings() throws {
        // Given the seed's request
        let input = try SettingsFixtures.object(SettingsFixtures.amplitudeSeedRequest)
        let expected = try SettingsFixtures.object(SettingsFixtures.amplitudeSeedResponse)

        // When it is created (enabled, as the seed answers) and masked for the response
        let stored = try Settings.create(options: SettingsFixtures.amplitude, input: input, enabled: true, workspaceID: workspaceID)
        let shown = Settings.mask(options: SettingsFixtures.amplitude, settings: stored)

        // Then every key and value is the seed's, and the stored key is clear
        #expect(Set(shown.keys) == Set(expected.keys))
        for (key, value) in expected {
            #expect(shown[key] == value, "settings.\(key)")
        }
        #expect(shown == expected)
        #expect(stored["apiKey"] == "3cb9b589437d3904f19b2b791c2cdada")
        #expect(stored["retarget"] == true)
    }

    // MARK: - Defaults

    @Test func everyOptionGetsItsDefault() throws {
        // When created with nothing, disabled
        let settings = try Settings.create(options: SettingsFixtures.amplitude, input: [:], enabled: false, workspaceID: workspaceID)

        // Then each option holds its catalog default and nothing else is there
        #expect(settings.count == SettingsFixtures.amplitude.count)
        for option in SettingsFixtures.amplitude {
            #expect(settings[option.name] == option.defaultValue, "\(option.name)")
        }
    }

    @Test func optionWithoutDefaultStaysAbsent() throws {
        // Given options whose default is missing or null
        let options: [IntegrationOption] = [.option("a", "string", nil), .option("b", "number", .null), .option("c", "boolean", true)]

        // When created with nothing
        let settings = try Settings.create(options: options, input: [:], enabled: false, workspaceID: workspaceID)

        // Then only the option with a default is present
        #expect(settings == ["c": true])
    }

    @Test func workspacePlaceholderIsReplacedInEveryDefault() throws {
        // Given defaults that carry the placeholder alone, inside a string, and nested
        let options: [IntegrationOption] = [
            .option("externalId", "string", "#SEGMENT_WORKSPACE_ID"),
            .option("path", "string", "ws/#SEGMENT_WORKSPACE_ID/events"),
            .option("ids", "array", ["#SEGMENT_WORKSPACE_ID", 1]),
            .option("headers", "map", ["x-workspace": "#SEGMENT_WORKSPACE_ID"]),
        ]

        // When created
        let settings = try Settings.create(options: options, input: [:], enabled: false, workspaceID: "ws1")

        // Then each holds the workspace id
        #expect(settings == ["externalId": "ws1", "path": "ws/ws1/events", "ids": ["ws1", 1], "headers": ["x-workspace": "ws1"]])
    }

    // MARK: - Types

    /// One catalog type, a value it accepts, and a value it refuses with the message's tail.
    struct TypeCase: Sendable, CustomTestStringConvertible {
        var type: String
        var good: JSONValue
        var bad: JSONValue
        var message: String
        var testDescription: String { type }
    }

    static let typeCases: [TypeCase] = [
        TypeCase(type: "string", good: "abc", bad: 5, message: "must be a string, got number"),
        TypeCase(type: "password", good: "hunter22", bad: true, message: "must be a string, got boolean"),
        TypeCase(type: "text", good: "long text", bad: ["a"], message: "must be a string, got array"),
        TypeCase(type: "color", good: "#448dd6", bad: ["r": 1], message: "must be a string, got object"),
        TypeCase(type: "select", good: "US", bad: 1, message: "must be a string, got number"),
        TypeCase(type: "boolean", good: false, bad: "true", message: "must be a boolean, got string"),
        TypeCase(type: "number", good: 2.5, bad: "30", message: "must be a number, got string"),
        TypeCase(type: "array", good: ["a", 1], bad: "a,b", message: "must be an array, got string"),
        TypeCase(type: "map", good: ["a": ["x", "y"]], bad: ["a"], message: "must be an object, got array"),
        TypeCase(type: "text-map", good: ["context.page.title": "pageTitle"], bad: "x", message: "must be an object of strings, got string"),
        TypeCase(type: "text-map", good: [:], bad: ["b": "ok", "a": 1], message: "must map each key to a string, got number for key \"a\""),
    ]

    @Test(arguments: typeCases) func rightTypeIsStored(_ typeCase: TypeCase) throws {
        // Given an option of the type whose default differs from the value
        let options: [IntegrationOption] = [.option("setting", typeCase.type, nil)]

        // When created with a value of the right type
        let settings = try Settings.create(options: options, input: ["setting": typeCase.good], enabled: true, workspaceID: workspaceID)

        // Then it is stored as sent
        #expect(settings == ["setting": typeCase.good])
    }

    @Test(arguments: typeCases) func wrongTypeIsA422NamingTheSetting(_ typeCase: TypeCase) {
        // Given an option of the type
        let options: [IntegrationOption] = [.option("setting", typeCase.type, nil)]

        // When created with a value of another type, then it is refused naming the setting
        let error = #expect(throws: ValidationError.self) {
            try Settings.create(options: options, input: ["setting": typeCase.bad], enabled: false, workspaceID: workspaceID)
        }
        #expect(error == ValidationError("settings.setting \(typeCase.message)", field: "settings.setting", kind: .validation))
    }

    @Test func seedStyleMessageForAnApiKeyNumber() {
        let error = #expect(throws: ValidationError.self) {
            try Settings.create(options: SettingsFixtures.amplitude, input: ["apiKey": 42], enabled: true, workspaceID: workspaceID)
        }
        #expect(error?.message == "settings.apiKey must be a string, got number")
        #expect(error?.field == "settings.apiKey")
    }

    @Test(arguments: ["mixed", "some-future-type", ""]) func mixedAndUnknownTypesTakeAnything(_ type: String) throws {
        let options: [IntegrationOption] = [.option("setting", type, [])]
        for value: JSONValue in ["s", 1, true, ["a"], ["k": "v"]] {
            let settings = try Settings.create(options: options, input: ["setting": value], enabled: false, workspaceID: workspaceID)
            #expect(settings["setting"] == value)
        }
    }

    @Test func typeNamesAreCaseInsensitive() {
        #expect(SettingKind(optionType: "Boolean") == .boolean)
        #expect(SettingKind(optionType: "TEXT-MAP") == .textMap)
    }

    @Test func theDefaultIsAcceptedEvenWhenItDoesNotFitItsType() throws {
        // Given an array option whose catalog default is "" (Google Analytics 4 Web `cookieFlags`)
        let options: [IntegrationOption] = [.option("cookieFlags", "array", "")]

        // When a client writes back the default, it is accepted; another string is not
        let settings = try Settings.create(options: options, input: ["cookieFlags": ""], enabled: false, workspaceID: workspaceID)
        #expect(settings == ["cookieFlags": ""])
        #expect(throws: ValidationError("settings.cookieFlags must be an array, got string", field: "settings.cookieFlags")) {
            try Settings.create(options: options, input: ["cookieFlags": "a"], enabled: false, workspaceID: workspaceID)
        }
    }

    @Test func theFirstWrongKeyInKeyOrderIsNamed() {
        #expect(throws: ValidationError("settings.batchEvents must be a boolean, got string", field: "settings.batchEvents")) {
            try Settings.create(
                options: SettingsFixtures.amplitude,
                input: ["versionName": 1, "batchEvents": "no", "apiKey": "k"],
                enabled: true,
                workspaceID: workspaceID
            )
        }
    }

    // MARK: - Unknown keys and null

    @Test func unknownKeysAreKeptAsSent() throws {
        let input: [String: JSONValue] = ["retarget": true, "custom": ["a": [1, "b"]], "n": 3]
        let settings = try Settings.create(options: [], input: input, enabled: true, workspaceID: workspaceID)
        #expect(settings == input)
    }

    @Test func nullInACreateCountsAsNotSent() throws {
        // When a known option and an unknown key are sent as null
        let settings = try Settings.create(
            options: SettingsFixtures.amplitude,
            input: ["eventUploadThreshold": nil, "extra": nil],
            enabled: false,
            workspaceID: workspaceID
        )

        // Then the option holds its default and the unknown key is dropped
        #expect(settings["eventUploadThreshold"] == 30)
        #expect(settings.keys.contains("extra") == false)
    }

    // MARK: - Read-only

    @Test func readOnlyOptionTakesTheWorkspaceIDAndIgnoresTheClient() throws {
        // When Kinesis is created with a secretId of the client's choosing
        let settings = try Settings.create(
            options: SettingsFixtures.kinesis,
            input: ["secretId": "mine", "stream": "bla", "roleAddress": "arn::..."],
            enabled: true,
            workspaceID: workspaceID
        )

        // Then secretId is the workspace id
        #expect(
            settings == [
                "region": "us-west-2", "roleAddress": "arn::...", "secretId": .string(workspaceID), "stream": "bla",
                "useMessageId": false,
            ]
        )
    }

    @Test func readOnlyOptionIgnoresAWrongTypeToo() throws {
        let settings = try Settings.create(
            options: SettingsFixtures.kinesis,
            input: ["secretId": 7],
            enabled: false,
            workspaceID: workspaceID
        )
        #expect(settings["secretId"] == .string(workspaceID))
    }

    // MARK: - Required options

    @Test func enabledCreateNamesEachEmptyRequiredOption() {
        // When Kinesis is created enabled with its region cleared and no stream
        let error = #expect(throws: ValidationError.self) {
            try Settings.create(options: SettingsFixtures.kinesis, input: ["region": ""], enabled: true, workspaceID: workspaceID)
        }

        // Then one 422 names both, in catalog order, with the first as the field
        #expect(
            error
                == ValidationError(
                    "settings.region, settings.stream are required when the destination is enabled",
                    field: "settings.region",
                    kind: .validation
                )
        )
    }

    @Test func enabledCreateNamesASingleEmptyRequiredOption() {
        #expect(throws: ValidationError("settings.apiKey is required when the destination is enabled", field: "settings.apiKey")) {
            try Settings.create(options: SettingsFixtures.amplitude, input: ["retarget": true], enabled: true, workspaceID: workspaceID)
        }
    }

    @Test func disabledCreateMayLeaveRequiredOptionsEmpty() throws {
        let settings = try Settings.create(options: SettingsFixtures.amplitude, input: [:], enabled: false, workspaceID: workspaceID)
        #expect(settings["apiKey"] == "")
    }

    @Test(arguments: [JSONValue.string("   "), .array([]), .object([:])]) func emptyValuesDoNotSatisfyARequiredOption(_ value: JSONValue) {
        let options: [IntegrationOption] = [.option("setting", "mixed", nil, required: true)]
        #expect(throws: ValidationError("settings.setting is required when the destination is enabled", field: "settings.setting")) {
            try Settings.create(options: options, input: ["setting": value], enabled: true, workspaceID: workspaceID)
        }
    }

    @Test func whatCountsAsEmpty() {
        #expect(Settings.isEmpty(nil))
        #expect(Settings.isEmpty(.null))
        #expect(Settings.isEmpty(""))
        #expect(Settings.isEmpty(" \t\n"))
        #expect(Settings.isEmpty([]))
        #expect(Settings.isEmpty([:]))
        #expect(!Settings.isEmpty(false))
        #expect(!Settings.isEmpty(0))
        #expect(!Settings.isEmpty("x"))
        #expect(!Settings.isEmpty([""]))
        #expect(!Settings.isEmpty(["k": ""]))
    }
}
