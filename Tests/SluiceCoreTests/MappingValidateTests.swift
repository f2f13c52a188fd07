import SluiceCore
import Testing

@Suite struct MappingValidateTests {
    static let supported =
        "Sluice supports @path, @template, @literal, @if, @arrayPath, @case, @replace, @flatten, @json, @merge, @transform and @excludeWhenNull"

    @Test(arguments: [
        #""plain""#, "12", "true", "null", "[]", "{}", #"{"a": [1, {"b": "c"}]}"#,
        #"{"@path": "$.properties.revenue"}"#, #"{"@path": "$."}"#, #"{"@path": ""}"#, #"{"@path": "$.context.traits..countryCode"}"#,
        #"{"@path": "$['a b'].c"}"#, #"{"@path": {"@template": "properties.{{event}}"}}"#,
        #"{"@path": "$.userId", "_metadata": {"label": "User"}}"#,
        #"{"@template": "{{userId}}"}"#, #"{"@template": "no placeholders {{ }"}"#, #"{"@template": ""}"#,
        #"{"@template": {"@path": "$.properties.template"}}"#,
        #"{"@literal": true}"#, #"{"@literal": {"a": {"@path": "$.b"}}}"#, #"{"@literal": null}"#,
        #"{"@if": {"exists": {"@path": "$.userId"}, "then": {"@path": "$.userId"}, "else": {"@path": "$.anonymousId"}}}"#,
        #"{"@if": {"blank": {"@path": "$.properties.name"}, "then": 1}}"#, #"{"@if": {"exists": "x", "else": null}}"#,
        #"{"@arrayPath": ["$.properties.products"]}"#, #"{"@arrayPath": ["$.properties.products", {"id": {"@path": "$.sku"}}]}"#,
        #"{"@arrayPath": ["$.properties.products", null]}"#, #"{"@arrayPath": ["$.properties.products", {"@path": "$.sku"}]}"#,
        #"{"@arrayPath": [{"@path": "$.properties.products"}, {}]}"#,
        #"{"user": {"id": {"@path": "$.userId"}, "tags": [{"@template": "{{event}}"}, "fixed"]}}"#,
    ])
    func accepts(_ json: String) throws {
        // When a well-formed mapping is validated, then nothing is thrown
        try Mapping.validate(try JSONValue.parse(json), field: "data")
    }

    @Test(arguments: [
        (#"{"@foo": "$.x"}"#, #"settings.data has an invalid directive: @foo; \#(supported)"#),
        (#"{"@Path": "$.x"}"#, #"settings.data has an invalid directive: @Path; \#(supported)"#),
        (#"{"@": 1}"#, #"settings.data has an invalid directive: @; \#(supported)"#),
        (#"{"@liquid": "{{userId}}"}"#, #"settings.data uses "@liquid", a Segment directive that Sluice does not support; \#(supported)"#),
        (
            #"{"@path": "$.x", "@template": "{{x}}"}"#,
            #"settings.data should only have one @-prefixed key but it has 2 keys ("@path", "@template")"#
        ),
        (
            #"{"@path": "$.x", "label": "X"}"#,
            #"settings.data should only have one @-prefixed key but it has 2 keys ("@path" and "label")"#
        ),
        (#"{"@path": 12}"#, #"settings.data.@path should be a string or a mapping directive but it is a number"#),
        (#"{"@path": null}"#, #"settings.data.@path should be a string or a mapping directive but it is a null"#),
        (#"{"@path": ["$.x"]}"#, #"settings.data.@path should be a string or a mapping directive but it is an array"#),
        (#"{"@path": {"a": 1}}"#, #"settings.data.@path should be a string or a mapping directive but it is an object"#),
        (#"{"@path": "$['a b"}"#, #"settings.data.@path "$['a b" is not a valid path: expected a closing ' at character 7"#),
        (#"{"@path": {"@nope": 1}}"#, #"settings.data.@path has an invalid directive: @nope; \#(supported)"#),
        (#"{"@template": false}"#, #"settings.data.@template should be a string or a mapping directive but it is a boolean"#),
        (#"{"@template": {"x": 1}}"#, #"settings.data.@template should be a string or a mapping directive but it is an object"#),
        (
            #"{"@template": "Hi {{ traits['name }}"}"#,
            #"settings.data.@template has a placeholder that is not a valid path ({{traits['name}}): expected a closing ' at character 13"#
        ),
        (#"{"@literal": {"@foo": 1}}"#, #"settings.data.@literal has an invalid directive: @foo; \#(supported)"#),
        (
            #"{"@if": "x"}"#,
            #"settings.data.@if should be an object but it is a string"#
        ),
        (
            #"{"@if": {"@path": "$.x"}}"#,
            #"settings.data.@if should be an object but it is a directive"#
        ),
        (#"{"@if": {"then": 1}}"#, #"settings.data.@if requires an "exists" key or a "blank" key"#),
        (#"{"@if": {"exists": 1, "blank": 2, "then": 1}}"#, #"settings.data.@if has both "exists" and "blank"; it takes one condition"#),
        (#"{"@if": {"exists": {"@path": "$.x"}}}"#, #"settings.data.@if needs "then", "else" or both"#),
        (
            #"{"@if": {"exists": 1, "then": 1, "otherwise": 2}}"#,
            #"settings.data.@if has an unknown key "otherwise"; it takes "exists" or "blank", "then" and "else""#
        ),
        (#"{"@if": {"exists": {"@bad": 1}, "then": 1}}"#, #"settings.data.@if.exists has an invalid directive: @bad; \#(supported)"#),
        (#"{"@if": {"exists": 1, "then": {"@bad": 1}}}"#, #"settings.data.@if.then has an invalid directive: @bad; \#(supported)"#),
        (
            #"{"@if": {"exists": 1, "else": {"@path": 1}}}"#,
            #"settings.data.@if.else.@path should be a string or a mapping directive but it is a number"#
        ),
        (#"{"@arrayPath": "$.x"}"#, #"settings.data.@arrayPath should be an array but it is a string"#),
        (#"{"@arrayPath": []}"#, #"settings.data.@arrayPath must have one or two elements (a path and an optional shape), found 0"#),
        (
            #"{"@arrayPath": ["$.x", {}, {}]}"#,
            #"settings.data.@arrayPath must have one or two elements (a path and an optional shape), found 3"#
        ),
        (
            #"{"@arrayPath": [true]}"#,
            #"settings.data.@arrayPath[0] should be a string or a mapping directive but it is a boolean"#
        ),
        (#"{"@arrayPath": ["$.x", "shape"]}"#, #"settings.data.@arrayPath[1] must be an object, a directive or null, found a string"#),
        (#"{"@arrayPath": ["$.x", [1]]}"#, #"settings.data.@arrayPath[1] must be an object, a directive or null, found an array"#),
        (#"{"@arrayPath": ["$.x", {"id": {"@foo": 1}}]}"#, #"settings.data.@arrayPath[1].id has an invalid directive: @foo; \#(supported)"#),
        (#"{"user": {"id": {"@foo": "x"}}}"#, #"settings.data.user.id has an invalid directive: @foo; \#(supported)"#),
        (#"[1, {"@foo": "x"}]"#, #"settings.data[1] has an invalid directive: @foo; \#(supported)"#),
        (
            #"{"a": {"@path": 1}, "b": {"@foo": 1}}"#,
            #"settings.data.a.@path should be a string or a mapping directive but it is a number"#
        ),
    ])
    func refuses(_ json: String, _ message: String) throws {
        // Given an invalid mapping
        let mapping = try JSONValue.parse(json)
        // When it is validated, then it is refused with the exact message, naming the setting
        #expect(throws: ValidationError(message, field: "settings.data")) {
            try Mapping.validate(mapping, field: "data")
        }
    }

    @Test func isDirectiveLooksForAnAtKey() throws {
        #expect(Mapping.isDirective(["@path": "$.x"]))
        #expect(Mapping.isDirective(["@path": "$.x", "other": 1]))
        #expect(!Mapping.isDirective(["path": "$.x"]))
        #expect(!Mapping.isDirective("@path"))
        #expect(!Mapping.isDirective(["a": ["@path": "$.x"]]))
    }
}
