import Foundation
import SluiceCore
import Testing

/// A value sent for a field, and the message it is refused with (`nil`: accepted).
struct SettingCase: Sendable, CustomTestStringConvertible {
    var type: String
    var multiple = false
    var allowNull = false
    var choices: JSONValue?
    var value: String
    var error: String?

    var testDescription: String { "\(type)\(multiple ? "[]" : "")\(allowNull ? "?" : "") \(value) → \(error ?? "ok")" }
}

enum ActionFixtures {
    static func field(
        _ key: String, _ type: String, required: Bool = false, multiple: Bool = false, allowNull: Bool = false,
        choices: JSONValue? = nil, default defaultValue: JSONValue? = nil
    ) -> ActionField {
        ActionField(
            id: "id-\(key)", sortOrder: 0, fieldKey: key, label: key, type: type, description: "", placeholder: nil,
            defaultValue: defaultValue, required: required, multiple: multiple, choices: choices, dynamic: false,
            allowNull: allowNull, hidden: false
        )
    }

    /// The fields of Webhooks (Actions) "Send", as the catalog has them.
    static let webhookSend: [ActionField] = [
        field("url", "STRING", required: true),
        field(
            "method", "STRING", required: true,
            choices: [["label": "POST", "value": "POST"], ["label": "PUT", "value": "PUT"], ["label": "PATCH", "value": "PATCH"]],
            default: "POST"
        ),
        field("batch_size", "NUMBER", default: 0),
        field("headers", "OBJECT"),
        field("data", "OBJECT", default: ["@path": "$."]),
        field("enable_batching", "BOOLEAN", default: false),
    ]
}

@Suite struct ActionSettingsTests {
    static let directive = "or a mapping directive"
    static let dateTime = "settings.f must be an ISO 8601 date-time string (such as 2024-05-01T12:00:00Z)"
    static let notISO = "\(dateTime) \(directive), found a string that is not an ISO 8601 date-time"
    static let unknown = "has an invalid directive:"
    static let supported = MappingValidateTests.supported

    static let cases: [SettingCase] = [
        // Strings: STRING, TEXT, PASSWORD, HIDDEN
        SettingCase(type: "STRING", value: #""hello""#),
        SettingCase(type: "STRING", value: #""""#),
        SettingCase(type: "STRING", value: "12", error: "settings.f must be a string \(directive), found a number"),
        SettingCase(type: "STRING", value: "true", error: "settings.f must be a string \(directive), found a boolean"),
        SettingCase(type: "STRING", value: #"["a"]"#, error: "settings.f must be a string \(directive), found an array"),
        SettingCase(type: "STRING", value: #"{"a": 1}"#, error: "settings.f must be a string \(directive), found an object"),
        SettingCase(type: "STRING", value: "null", error: "settings.f must not be null"),
        SettingCase(type: "STRING", allowNull: true, value: "null"),
        SettingCase(type: "STRING", value: #"{"@path": "$.userId"}"#),
        SettingCase(type: "STRING", value: #"{"@template": "{{userId}}"}"#),
        SettingCase(type: "TEXT", value: #""long text""#),
        SettingCase(type: "TEXT", value: "1", error: "settings.f must be a string \(directive), found a number"),
        SettingCase(type: "PASSWORD", value: #""s3cret""#),
        SettingCase(type: "PASSWORD", value: "false", error: "settings.f must be a string \(directive), found a boolean"),
        SettingCase(type: "HIDDEN", value: #""x""#),
        SettingCase(type: "HIDDEN", value: "[]", error: "settings.f must be a string \(directive), found an array"),
        SettingCase(type: "string", value: #""lower-case type""#),
        // NUMBER and INTEGER
        SettingCase(type: "NUMBER", value: "1.5"),
        SettingCase(type: "NUMBER", value: "-3"),
        SettingCase(type: "NUMBER", value: "0"),
        SettingCase(type: "NUMBER", value: #""12""#, error: "settings.f must be a number \(directive), found a string"),
        SettingCase(type: "NUMBER", value: "true", error: "settings.f must be a number \(directive), found a boolean"),
        SettingCase(type: "NUMBER", value: #"{"@path": "$.properties.revenue"}"#),
        SettingCase(type: "INTEGER", value: "42"),
        SettingCase(type: "INTEGER", value: "-7"),
        SettingCase(type: "INTEGER", value: "3.0"),
        SettingCase(type: "INTEGER", value: "2.5", error: "settings.f must be a whole number \(directive), found a number with a fraction"),
        SettingCase(
            type: "INTEGER", value: "1e300", error: "settings.f must be a whole number \(directive), found a number beyond ±9007199254740991"),
        SettingCase(type: "INTEGER", value: #""3""#, error: "settings.f must be a whole number \(directive), found a string"),
        // BOOLEAN
        SettingCase(type: "BOOLEAN", value: "true"),
        SettingCase(type: "BOOLEAN", value: "false"),
        SettingCase(type: "BOOLEAN", value: #""true""#, error: "settings.f must be a boolean \(directive), found a string"),
        SettingCase(type: "BOOLEAN", value: "1", error: "settings.f must be a boolean \(directive), found a number"),
        SettingCase(type: "BOOLEAN", value: #"{"@if": {"exists": {"@path": "$.userId"}, "then": true, "else": false}}"#),
        // DATETIME
        SettingCase(type: "DATETIME", value: #""2024-05-01""#),
        SettingCase(type: "DATETIME", value: #""2024-05-01T12:00:00Z""#),
        SettingCase(type: "DATETIME", value: #""2024-05-01T12:00Z""#),
        SettingCase(type: "DATETIME", value: #""2024-05-01T12:00:00.123456+02:00""#),
        SettingCase(type: "DATETIME", value: #""2024-05-01T23:59:60-0530""#),
        SettingCase(type: "DATETIME", value: #""2024-02-29T00:00:00""#),
        SettingCase(type: "DATETIME", value: #""2024-05-01T12:00:00+01""#),
        SettingCase(type: "DATETIME", value: #"{"@path": "$.timestamp"}"#),
        SettingCase(type: "DATETIME", value: #""2023-02-29""#, error: notISO),
        SettingCase(type: "DATETIME", value: #""2024-13-01""#, error: notISO),
        SettingCase(type: "DATETIME", value: #""2024-05-01T24:00:00Z""#, error: notISO),
        SettingCase(type: "DATETIME", value: #""2024-05-01 12:00:00""#, error: notISO),
        SettingCase(type: "DATETIME", value: #""2024-05-01T12:00:00.""#, error: notISO),
        SettingCase(type: "DATETIME", value: #""2024-05-01T12:00:00Zjunk""#, error: notISO),
        SettingCase(type: "DATETIME", value: #""yesterday""#, error: notISO),
        SettingCase(type: "DATETIME", value: "1714564800", error: "\(dateTime) \(directive), found a number"),
        // OBJECT: members may be directives, and are checked
        SettingCase(type: "OBJECT", value: "{}"),
        SettingCase(type: "OBJECT", value: #"{"Authorization": "Bearer x", "X-User": {"@path": "$.userId"}}"#),
        SettingCase(type: "OBJECT", value: #"{"@path": "$.properties"}"#),
        SettingCase(type: "OBJECT", value: #"{"nested": {"deeper": {"@template": "{{event}}"}}, "list": [{"@path": "$.x"}]}"#),
        SettingCase(type: "OBJECT", value: #"{"user": {"@foo": "x"}}"#, error: #"settings.f.user \#(unknown) @foo; \#(supported)"#),
        SettingCase(
            type: "OBJECT", value: #"{"@path": "$.x", "a": 1}"#,
            error: #"settings.f should only have one @-prefixed key but it has 2 keys ("@path" and "a")"#),
        SettingCase(type: "OBJECT", value: #""text""#, error: "settings.f must be an object \(directive), found a string"),
        SettingCase(type: "OBJECT", value: #"[{}]"#, error: "settings.f must be an object \(directive), found an array"),
        // Directives are checked whatever the field's type
        SettingCase(type: "NUMBER", value: #"{"@foo": 1}"#, error: #"settings.f \#(unknown) @foo; \#(supported)"#),
        SettingCase(
            type: "STRING", value: #"{"@path": 1}"#,
            error: #"settings.f.@path should be a string or a mapping directive but it is a number"#),
        // A type the catalog may add later takes any value
        SettingCase(type: "COLOR", value: ##""#fff""##),
        SettingCase(type: "COLOR", value: #"[1, {"a": true}]"#),
        SettingCase(type: "COLOR", value: #"[{"@nope": 1}]"#, error: #"settings.f[0] \#(unknown) @nope; \#(supported)"#),
        // multiple
        SettingCase(type: "STRING", multiple: true, value: #"["a", "b"]"#),
        SettingCase(type: "STRING", multiple: true, value: "[]"),
        SettingCase(type: "STRING", multiple: true, value: #"["a", {"@path": "$.userId"}]"#),
        SettingCase(type: "STRING", multiple: true, value: #"{"@path": "$.properties.tags"}"#),
        SettingCase(type: "STRING", multiple: true, value: #""a""#, error: "settings.f must be an array of strings \(directive), found a string"),
        SettingCase(type: "STRING", multiple: true, value: #"["a", 2]"#, error: "settings.f[1] must be a string \(directive), found a number"),
        SettingCase(type: "STRING", multiple: true, value: #"["a", null]"#, error: "settings.f[1] must not be null"),
        SettingCase(type: "STRING", multiple: true, allowNull: true, value: #"["a", null]"#),
        SettingCase(type: "STRING", multiple: true, value: #"["a", {"@bad": 1}]"#, error: #"settings.f[1] \#(unknown) @bad; \#(supported)"#),
        SettingCase(type: "INTEGER", multiple: true, value: "[1, 2, 3]"),
        SettingCase(
            type: "INTEGER", multiple: true, value: "[1, 2.5]",
            error: "settings.f[1] must be a whole number \(directive), found a number with a fraction"),
        SettingCase(type: "OBJECT", multiple: true, value: #"[{"a": 1}, {"b": {"@path": "$.x"}}]"#),
        SettingCase(
            type: "OBJECT", multiple: true, value: #"{"a": 1}"#, error: "settings.f must be an array of objects \(directive), found an object"),
        SettingCase(type: "OBJECT", multiple: true, value: #"[{"a": {"@bad": 1}}]"#, error: #"settings.f[0].a \#(unknown) @bad; \#(supported)"#),
        SettingCase(type: "BOOLEAN", multiple: true, value: "[true, false]"),
        SettingCase(
            type: "DATETIME", multiple: true, value: #"["2024-05-01", "nope"]"#,
            error: notISO.replacingOccurrences(of: "settings.f", with: "settings.f[1]")),
        // choices, as {label, value} objects or plain values
        SettingCase(type: "STRING", choices: [["label": "Post", "value": "POST"], ["label": "Put", "value": "PUT"]], value: #""PUT""#),
        SettingCase(
            type: "STRING", choices: [["label": "Post", "value": "POST"], ["label": "Put", "value": "PUT"]], value: #""Put""#,
            error: #"settings.f must be one of "POST", "PUT""#
        ),
        SettingCase(type: "STRING", choices: ["a", "b"], value: #""b""#),
        SettingCase(type: "STRING", choices: ["a", "b"], value: #""c""#, error: #"settings.f must be one of "a", "b""#),
        SettingCase(type: "STRING", choices: ["a", "b"], value: #"{"@path": "$.properties.choice"}"#),
        SettingCase(type: "NUMBER", choices: [["label": "One", "value": 1], ["label": "Two", "value": 2]], value: "2"),
        SettingCase(type: "NUMBER", choices: [["label": "One", "value": 1], ["label": "Two", "value": 2]], value: "2.0"),
        SettingCase(
            type: "NUMBER", choices: [["label": "One", "value": 1], ["label": "Two", "value": 2]], value: "3", error: "settings.f must be one of 1, 2"
        ),
        SettingCase(
            type: "NUMBER", choices: [["label": "One", "value": 1]], value: #""1""#, error: "settings.f must be a number \(directive), found a string"
        ),
        SettingCase(type: "STRING", multiple: true, choices: ["a", "b"], value: #"["a", "b", "a"]"#),
        SettingCase(type: "STRING", multiple: true, choices: ["a", "b"], value: #"["a", "z"]"#, error: #"settings.f[1] must be one of "a", "b""#),
        SettingCase(type: "STRING", choices: [], value: #""anything""#),
        SettingCase(type: "STRING", choices: .null, value: #""anything""#),
        SettingCase(type: "STRING", allowNull: true, choices: ["a"], value: "null"),
    ]

    @Test(arguments: cases)
    func checksEachType(_ c: SettingCase) throws {
        // Given an action with one field of the case's type
        let fields = [ActionFixtures.field("f", c.type, multiple: c.multiple, allowNull: c.allowNull, choices: c.choices)]
        let value = try JSONValue.parse(c.value)
        // When a value is saved for it
        if let error = c.error {
            // Then a wrong value is refused, naming the setting
            #expect(throws: ValidationError(error, field: "settings.f")) {
                try ActionSettings.validate(["f": value], fields: fields, enabled: true)
            }
        } else {
            // And a right one is stored as sent
            #expect(try ActionSettings.validate(["f": value], fields: fields, enabled: true) == ["f": value])
        }
    }

    @Test func refusesKeysThatAreNotFields() {
        // When a key is not a field of the action, then it is refused, naming it and listing the fields
        #expect(
            throws: ValidationError(
                "settings.urll is not a field of this action; its fields are url, method, batch_size, headers, data, enable_batching",
                field: "settings.urll"
            )
        ) {
            try ActionSettings.validate(["urll": "https://example.com"], fields: ActionFixtures.webhookSend, enabled: false)
        }
        #expect(throws: ValidationError("settings.x is not a field of this action; it has no fields", field: "settings.x")) {
            try ActionSettings.validate(["x": 1], fields: [], enabled: false)
        }
    }

    @Test func keepsUnknownKeysWhenAsked() throws {
        // Given a preset-like settings object with a key the catalog's action does not list
        let settings: [String: JSONValue] = ["url": "https://example.com", "batch_size": 100, "extra": ["@path": "$.x"]]
        let fields = ActionFixtures.webhookSend.filter { $0.fieldKey != "batch_size" }
        // When unknown keys are kept, then they are stored as sent
        let stored = try ActionSettings.validate(settings, fields: fields, enabled: true, unknownKeys: .keep)
        #expect(stored["batch_size"] == 100)
        #expect(stored["extra"] == ["@path": "$.x"])
        // But directives in them are still checked
        #expect(throws: ValidationError(#"settings.extra \#(Self.unknown) @foo; \#(Self.supported)"#, field: "settings.extra")) {
            try ActionSettings.validate(["extra": ["@foo": 1]], fields: fields, enabled: false, unknownKeys: .keep)
        }
    }

    @Test func fillsInDefaults() throws {
        // Given only the URL of a webhook
        let stored = try ActionSettings.validate(["url": "https://example.com/hook"], fields: ActionFixtures.webhookSend, enabled: true)
        // Then every field with a default has it, and fields without one stay absent
        #expect(
            stored == [
                "url": "https://example.com/hook", "method": "POST", "batch_size": 0, "data": ["@path": "$."], "enable_batching": false,
            ]
        )
    }

    @Test func sentValuesWinOverDefaults() throws {
        // Given values for fields that have defaults
        let sent: [String: JSONValue] = [
            "url": "https://example.com", "method": "PUT", "data": ["id": ["@path": "$.userId"]], "enable_batching": true,
        ]
        // When saved, then they are kept and only the rest is defaulted
        let stored = try ActionSettings.validate(sent, fields: ActionFixtures.webhookSend, enabled: true)
        #expect(stored["method"] == "PUT")
        #expect(stored["data"] == ["id": ["@path": "$.userId"]])
        #expect(stored["enable_batching"] == true)
        #expect(stored["batch_size"] == 0)
    }

    @Test func nullDefaultsAreNotFilledIn() throws {
        // Given a field whose catalog default is null
        let fields = [ActionFixtures.field("o", "OBJECT", default: .null)]
        // When nothing is sent, then the field stays absent
        #expect(try ActionSettings.validate([:], fields: fields, enabled: true) == [:])
    }

    @Test func acceptsTheDefaultWhateverItsType() throws {
        // Given a catalog default that does not match its own field type
        let fields = [ActionFixtures.field("n", "NUMBER", default: "")]
        // When a client writes it back, then it is accepted
        #expect(try ActionSettings.validate(["n": ""], fields: fields, enabled: false) == ["n": ""])
        #expect(throws: ValidationError("settings.n must be a number or a mapping directive, found a string", field: "settings.n")) {
            try ActionSettings.validate(["n": "x"], fields: fields, enabled: false)
        }
    }

    @Test func enabledSubscriptionsNeedRequiredFields() throws {
        // Given webhook settings without the required URL
        let fields = ActionFixtures.webhookSend
        // When the subscription is disabled, then it may be incomplete
        let stored = try ActionSettings.validate([:], fields: fields, enabled: false)
        #expect(stored["url"] == nil)
        #expect(stored["method"] == "POST")
        // When it is enabled, then the missing field is named
        #expect(throws: ValidationError("settings.url is required when the subscription is enabled", field: "settings.url")) {
            try ActionSettings.validate([:], fields: fields, enabled: true)
        }
        // And a blank value counts as missing
        #expect(throws: ValidationError("settings.url is required when the subscription is enabled", field: "settings.url")) {
            try ActionSettings.validate(["url": "  "], fields: fields, enabled: true)
        }
        // And a directive is a value
        #expect(try ActionSettings.validate(["url": ["@path": "$.properties.url"]], fields: fields, enabled: true)["url"] != nil)
    }

    @Test func namesEveryMissingRequiredField() {
        // Given two required fields without defaults, one allowing null
        let fields = [
            ActionFixtures.field("b", "STRING", required: true, allowNull: true),
            ActionFixtures.field("a", "OBJECT", required: true),
            ActionFixtures.field("c", "BOOLEAN", required: true, default: false),
            ActionFixtures.field("d", "STRING", required: true, multiple: true),
        ]
        // When neither is usable, then all are named, in catalog order, and the first is the error's field
        #expect(
            throws: ValidationError(
                "settings.b, settings.a, settings.d are required when the subscription is enabled", field: "settings.b"
            )
        ) {
            try ActionSettings.validate(["b": .null, "a": [:], "d": []], fields: fields, enabled: true)
        }
    }

    @Test func firstWrongValueInKeyOrderIsReported() {
        // Given two wrong values
        let settings: [String: JSONValue] = ["method": "GET", "batch_size": "ten"]
        // When saved, then the first in key order is named
        #expect(throws: ValidationError("settings.batch_size must be a number or a mapping directive, found a string", field: "settings.batch_size"))
        {
            try ActionSettings.validate(settings, fields: ActionFixtures.webhookSend, enabled: false)
        }
    }

    @Test func longChoiceListsAreShortened() {
        // Given a field with 25 choices
        let choices = JSONValue.array((1...25).map { .number(Double($0)) })
        let fields = [ActionFixtures.field("n", "NUMBER", choices: choices)]
        // When a value outside them is sent, then the message lists the first 20
        let listed = (1...20).map(String.init).joined(separator: ", ")
        #expect(throws: ValidationError("settings.n must be one of \(listed), …", field: "settings.n")) {
            try ActionSettings.validate(["n": 26], fields: fields, enabled: false)
        }
    }

    @Test(
        arguments: [
            (nil, true), (.null, true), ("", true), (" \n", true), ([], true), ([:], true),
            ("x", false), (0, false), (false, false), (["x"], false), (["@path": "$.x"], false),
        ] as [(JSONValue?, Bool)])
    func emptiness(_ value: JSONValue?, _ empty: Bool) {
        #expect(ActionSettings.isEmpty(value) == empty)
    }
}
