import SluiceCore
import Testing

/// A mapping resolved against its own event (JSON), and what it gives (`nil`: nothing).
private func on(_ event: String, _ mapping: String, _ expected: String?) -> MappingCase {
    MappingCase(mapping: mapping, expected: expected, event: try! JSONValue.parse(event))
}

/// The directives that take an options object, and `@if`, as Segment's mapping kit resolves and validates them
/// (cases from packages/core/src/mapping-kit/__tests__/index.iso.test.ts and validate.ts, and edge cases of its code).
@Suite struct MappingDirectivesTests {
    static let ifPayload = #"{"a": 1, "b": true, "c": false, "d": null, "e": "", "z": 0, "l": [], "n": [null], "o": {}}"#
    static let casePayload = #"""
        {"a": 1, "b": "MAKE ME LOWER CASE", "c": "make me upper case", "d": null, "e": "", "f": false,
         "g": "mIXeD StRinG CasING W/ NuMBErs 190wdB", "h": {"key1": "with values", "key2": ["hi", true, null]},
         "s": "straße", "sigma": "ΟΔΟΣ ΣΑΣ'Σ. Σ"}
        """#

    static let cases: [MappingCase] = [
        // @if: exists
        on(ifPayload, #"{"@if": {"exists": {"@path": "$.a"}, "then": 1, "else": 2}}"#, "1"),
        on(ifPayload, #"{"@if": {"exists": {"@path": "$.d"}, "then": 1, "else": 2}}"#, "2"),
        on(ifPayload, #"{"@if": {"exists": {"@path": "$.x"}, "then": 1, "else": 2}}"#, "2"),
        on(ifPayload, #"{"@if": {"exists": {"@path": "$.e"}, "then": 1, "else": 2}}"#, "1"),
        // @if: blank is `value != ''`, loosely
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.a"}, "then": 1, "else": 2}}"#, "1"),
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.d"}, "then": 1, "else": 2}}"#, "2"),
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.x"}, "then": 1, "else": 2}}"#, "2"),
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.e"}, "then": 1, "else": 2}}"#, "2"),
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.z"}, "then": 1, "else": 2}}"#, "2"),
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.c"}, "then": 1, "else": 2}}"#, "2"),
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.b"}, "then": 1, "else": 2}}"#, "1"),
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.l"}, "then": 1, "else": 2}}"#, "2"),
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.n"}, "then": 1, "else": 2}}"#, "2"),
        on(ifPayload, #"{"@if": {"blank": {"@path": "$.o"}, "then": 1, "else": 2}}"#, "1"),
        // @if: a falsy else gives nothing; a falsy condition throws in Segment
        on(ifPayload, #"{"@if": {"exists": {"@path": "$.x"}, "then": 1, "else": null}}"#, nil),
        on(ifPayload, #"{"@if": {"exists": {"@path": "$.x"}, "then": 1, "else": 0}}"#, nil),
        on(ifPayload, #"{"@if": {"exists": {"@path": "$.a"}, "then": null, "else": 2}}"#, "null"),
        on(ifPayload, #"{"@if": {"exists": null, "then": 1, "else": 2}}"#, nil),
        on(ifPayload, #"{"@if": {"exists": null, "blank": {"@path": "$.a"}, "then": 1, "else": 2}}"#, "2"),
        // @case
        on(casePayload, #"{"@case": {"operator": "lower", "value": {"@path": "$.b"}}}"#, #""make me lower case""#),
        on(casePayload, #"{"@case": {"operator": "upper", "value": {"@path": "$.c"}}}"#, #""MAKE ME UPPER CASE""#),
        on(casePayload, #"{"@case": {"operator": "lower", "value": {"@path": "$.e"}}}"#, #""""#),
        on(casePayload, #"{"@case": {"operator": "lower", "value": {"@path": "$.g"}}}"#, #""mixed string casing w/ numbers 190wdb""#),
        on(casePayload, #"{"@case": {"operator": "upper", "value": {"@path": "$.g"}}}"#, #""MIXED STRING CASING W/ NUMBERS 190WDB""#),
        on(casePayload, #"{"@case": {"operator": "upper", "value": {"@path": "$.s"}}}"#, #""STRASSE""#),
        on(casePayload, #"{"@case": {"operator": "lower", "value": {"@path": "$.sigma"}}}"#, #""οδος σασ'ς. σ""#),
        on(casePayload, #"{"@case": {"operator": "lower", "value": {"@path": "$.a"}}}"#, "1"),
        on(casePayload, #"{"@case": {"operator": "lower", "value": {"@path": "$.d"}}}"#, "null"),
        on(casePayload, #"{"@case": {"operator": "lower", "value": {"@path": "$.f"}}}"#, "false"),
        on(casePayload, #"{"@case": {"operator": "lower", "value": {"@path": "$.h"}}}"#, #"{"key1": "with values", "key2": ["hi", true, null]}"#),
        on(casePayload, #"{"@case": {"operator": "lower", "value": {"@path": "$.missing"}}}"#, nil),
        on(casePayload, #"{"@case": {"operator": "lower", "value": "ABC"}}"#, #""abc""#),
        on(casePayload, #"{"@case": {"operator": "lower", "value": ""}}"#, nil),
        on(casePayload, #"{"@case": {"wrongKey": "lower", "value": {"@path": "$.b"}}}"#, nil),
        on(casePayload, #"{"@case": {"operator": "snake", "value": {"@path": "$.b"}}}"#, nil),
        on(casePayload, #"{"@case": {"operator": "snake", "value": {"@path": "$.a"}}}"#, "1"),
        on(casePayload, #"{"@case": "not an object"}"#, nil),
        // @replace
        on(#"{"a": ""}"#, #"{"@replace": {"pattern": "_", "replacement": "rrrrr", "value": {"@path": "$.a"}}}"#, #""""#),
        on(#"{"a": null}"#, #"{"@replace": {"pattern": "_", "replacement": "rrrrr", "value": {"@path": "$.a"}}}"#, #""""#),
        on(#"{}"#, #"{"@replace": {"pattern": "_", "replacement": "rrrrr", "value": {"@path": "$.a"}}}"#, #""""#),
        on(#"{"a": {"b": 1}}"#, #"{"@replace": {"pattern": "_", "value": {"@path": "$.a"}}}"#, #""""#),
        on(
            #"{"a": "cWWl-story-ww"}"#, #"{"@replace": {"pattern": "WW", "replacement": "oo", "value": {"@path": "$.a"}, "ignorecase": false}}"#,
            #""cool-story-ww""#),
        on(
            #"{"a": "aab-----AaB---aab"}"#,
            #"{"@replace": {"pattern": "AaB", "replacement": "nice", "value": {"@path": "$.a"}, "ignorecase": true}}"#, #""nice-----nice---nice""#),
        on(#"{"a": "nomore_underscore"}"#, #"{"@replace": {"pattern": "_", "replacement": "", "value": {"@path": "$.a"}}}"#, #""nomoreunderscore""#),
        on(
            #"{"a": "nomore_underscore"}"#, #"{"@replace": {"pattern": "_", "replacement": "weird", "value": {"@path": "$.a"}}}"#,
            #""nomoreweirdunderscore""#),
        on(
            #"{"a": "Well Hello there LOL"}"#, #"{"@replace": {"pattern": "LOL", "replacement": "YAY", "value": {"@path": "$.a"}}}"#,
            #""Well Hello there YAY""#),
        on(
            #"{"a": "many+different+things"}"#, #"{"@replace": {"pattern": "+", "replacement": "_", "value": {"@path": "$.a"}, "global": true}}"#,
            #""many_different_things""#),
        on(
            #"{"a": "many+different+things"}"#, #"{"@replace": {"pattern": "+", "replacement": "_", "value": {"@path": "$.a"}, "global": false}}"#,
            #""many_different+things""#),
        on(#"{"a": "aaabbbcccd"}"#, #"{"@replace": {"pattern": "aaabbbcccd", "replacement": "", "value": {"@path": "$.a"}}}"#, #""""#),
        on(#"{"a": "many+different+things"}"#, #"{"@replace": {"pattern": "many+", "value": {"@path": "$.a"}}}"#, #""different+things""#),
        on(#"{"a": true}"#, #"{"@replace": {"pattern": "true", "replacement": "granted", "value": {"@path": "$.a"}}}"#, #""granted""#),
        on(#"{"a": 1}"#, #"{"@replace": {"pattern": "1", "replacement": "granted", "value": {"@path": "$.a"}}}"#, #""granted""#),
        on(#"{"a": 0.1}"#, #"{"@replace": {"pattern": ".", "replacement": ",", "value": {"@path": "$.a"}}}"#, #""0,1""#),
        on(
            #"{"a": "something-great!"}"#,
            #"{"@replace": {"pattern": "-", "replacement": " ", "pattern2": "great", "replacement2": "awesome", "value": {"@path": "$.a"}}}"#,
            #""something awesome!""#),
        on(
            #"{"a": false}"#,
            #"{"@replace": {"pattern": "true", "replacement": "granted", "pattern2": "false", "replacement2": "denied", "value": {"@path": "$.a"}}}"#,
            #""denied""#),
        on(#"{"a": "a-b-c"}"#, #"{"@replace": {"pattern": "-", "pattern2": "b", "value": {"@path": "$.a"}}}"#, #""ac""#),
        on(#"{"a": "a.b*c"}"#, #"{"@replace": {"pattern": ".", "replacement": "[$&]", "value": {"@path": "$.a"}}}"#, #""a[.]b*c""#),
        on(#"{"a": "ab-cd"}"#, #"{"@replace": {"pattern": "-", "replacement": "<$`|$'>", "value": {"@path": "$.a"}}}"#, #""ab<ab|cd>cd""#),
        on(#"{"a": "a-b"}"#, #"{"@replace": {"pattern": "-", "replacement": "$$1$1$", "value": {"@path": "$.a"}}}"#, #""a$1$1$b""#),
        on(
            #"{"a": "ÉCOLE école"}"#, #"{"@replace": {"pattern": "é", "replacement": "e", "value": {"@path": "$.a"}, "ignorecase": true}}"#,
            #""eCOLE ecole""#),
        on(#"{"a": "x"}"#, #"{"@replace": {"pattern": "x", "replacement": "y", "value": {"@path": "$.a"}, "global": "yes"}}"#, #""""#),
        on(#"{"a": "x"}"#, #"{"@replace": {"pattern": "x", "replacement": "12345678901", "value": {"@path": "$.a"}}}"#, nil),
        on(#"{"a": "x"}"#, #"{"@replace": {"pattern": "", "value": {"@path": "$.a"}}}"#, nil),
        on(#"{"a": "x"}"#, #"{"@replace": {"pattern": "x", "value": ""}}"#, nil),
        // @flatten
        on(
            #"{"foo": {"bar": "baz", "aces": {"a": 1, "b": 2}}}"#, #"{"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}}"#,
            #"{"bar": "baz", "aces.a": 1, "aces.b": 2}"#),
        on(
            #"{"foo": [{"fazz": "bar", "fizz": "baz"}]}"#, #"{"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}}"#,
            #"{"0.fazz": "bar", "0.fizz": "baz"}"#),
        on(
            #"{"foo": {"bar": "baz", "aces": [1, 2]}}"#, #"{"@flatten": {"value": {"@path": "$.foo"}, "separator": ".", "omitArrays": true}}"#,
            #"{"bar": "baz", "aces": [1, 2]}"#),
        on(
            #"{"foo": {"bar": "baz", "aces": [1, 2]}}"#, #"{"@flatten": {"value": {"@path": "$.foo"}, "separator": "_", "omitArrays": false}}"#,
            #"{"bar": "baz", "aces_0": 1, "aces_1": 2}"#),
        on(
            #"{"foo": {"a": {}, "b": [], "c": null, "": {"d": 1}}}"#, #"{"@flatten": {"value": {"@path": "$.foo"}, "separator": "/"}}"#,
            #"{"c": null, "d": 1}"#),
        on(#"{"foo": "text"}"#, #"{"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}}"#, #"{"": "text"}"#),
        on(#"{}"#, #"{"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}}"#, "{}"),
        on(#"{"foo": {"a": 1}}"#, #"{"@flatten": {"value": {"@path": "$.foo"}, "separator": ""}}"#, nil),
        on(#"{"foo": {"a": 1}}"#, #"{"@flatten": {"value": {"@path": "$.foo"}}}"#, nil),
        // @json
        on(#"{"foo": "bar"}"#, #"{"@json": {"mode": "encode", "value": {"@path": "$.foo"}}}"#, #""\"bar\"""#),
        on(#"{"foo": {"bar": "baz"}}"#, #"{"@json": {"mode": "encode", "value": {"@path": "$.foo"}}}"#, #""{\"bar\":\"baz\"}""#),
        on(#"{"foo": ["bar", "baz"]}"#, #"{"@json": {"mode": "encode", "value": {"@path": "$.foo"}}}"#, #""[\"bar\",\"baz\"]""#),
        on(
            #"{"foo": {"a": 1.5e-7, "b": 1e21, "10": "\b\f\n\u0001/é", "9": null}}"#, #"{"@json": {"mode": "encode", "value": {"@path": "$.foo"}}}"#,
            #""{\"9\":null,\"10\":\"\\b\\f\\n\\u0001/é\",\"a\":1.5e-7,\"b\":1e+21}""#),
        on(#"{"foo": null}"#, #"{"@json": {"mode": "encode", "value": {"@path": "$.foo"}}}"#, #""null""#),
        on(
            #"{"foo": {"01": 4, "4294967295": 2, "b": 1, "4294967294": 3, "0": 5}}"#, #"{"@json": {"mode": "encode", "value": {"@path": "$.foo"}}}"#,
            #""{\"0\":5,\"4294967294\":3,\"01\":4,\"4294967295\":2,\"b\":1}""#),
        on(#"{"foo": "bar"}"#, #"{"@json": {"mode": "encode", "value": {"@path": "$.bad"}}}"#, nil),
        on(#"{"foo": "\"bar\""}"#, #"{"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}"#, #""bar""#),
        on(#"{"foo": "{\"bar\":\"baz\"}"}"#, #"{"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}"#, #"{"bar": "baz"}"#),
        on(#"{"foo": "[\"bar\",\"baz\"]"}"#, #"{"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}"#, #"["bar", "baz"]"#),
        on(#"{"foo": "Hello World"}"#, #"{"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}"#, #""Hello World""#),
        on(#"{"foo": " 12 "}"#, #"{"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}"#, "12"),
        on(#"{"foo": {"a": 1}}"#, #"{"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}"#, #"{"a": 1}"#),
        on(#"{"foo": "{\"a\": 1, \"a\": 2}"}"#, #"{"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}"#, #"{"a": 2}"#),
        on(#"{"foo": "{\"a\": 1,}"}"#, #"{"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}"#, #""{\"a\": 1,}""#),
        on(#"{"foo": "bar"}"#, #"{"@json": {"mode": "oops", "value": {"@path": "$.foo"}}}"#, nil),
        on(#"{"foo": "bar"}"#, #"{"@json": {"mode": "ENCODE", "value": {"@path": "$.foo"}}}"#, nil),
        on(#"{"foo": "bar"}"#, #"{"@json": {"mode": "encode", "value": 0}}"#, nil),
        // @merge
        on("{}", #"{"@merge": {"direction": "left", "objects": []}}"#, "{}"),
        on("{}", #"{"@merge": {"direction": "right", "objects": [{"cool": true}]}}"#, #"{"cool": true}"#),
        on("{}", #"{"@merge": {"direction": "right", "objects": [{"cool": true}, {"cool": "you bet"}]}}"#, #"{"cool": "you bet"}"#),
        on("{}", #"{"@merge": {"direction": "left", "objects": [{"cool": true}, {"cool": "you bet"}]}}"#, #"{"cool": true}"#),
        on(
            #"{"foo": {"bar": "baz"}}"#, #"{"@merge": {"direction": "right", "objects": [{"cool": true}, {"@path": "foo"}]}}"#,
            #"{"cool": true, "bar": "baz"}"#),
        on(
            #"{"foo": {"bar": "baz", "hey": "you"}}"#,
            #"{"@merge": {"direction": "right", "objects": [{"cool": true, "hey": "there"}, {"@path": "foo"}]}}"#,
            #"{"cool": true, "bar": "baz", "hey": "you"}"#),
        on(
            #"{"foo": {"bar": "baz", "hey": "you"}}"#,
            #"{"@merge": {"direction": "left", "objects": [{"cool": true, "hey": "there"}, {"@path": "foo"}]}}"#,
            #"{"cool": true, "bar": "baz", "hey": "there"}"#),
        on(#"{"foo": {"hey": "you"}}"#, #"{"@merge": {"direction": "right", "objects": [{"@path": "foo"}, {"hey": {"@path": "$.missing"}}]}}"#, "{}"),
        on(
            #"{"s": "ab", "n": 3}"#, #"{"@merge": {"direction": "right", "objects": [{"@path": "$.s"}, {"@path": "$.n"}, {"@path": "$.missing"}]}}"#,
            #"{"0": "a", "1": "b"}"#),
        on("{}", #"{"@merge": {"direction": "LEFT", "objects": [{"a": 1}, {"a": 2}]}}"#, #"{"a": 2}"#),
        on("{}", #"{"@merge": {"objects": [{"a": 1}]}}"#, nil),
        on("{}", #"{"@merge": {"direction": "left", "objects": {"oops": true}}}"#, nil),
        // @transform
        on(#"{"a": 1, "b": 2}"#, #"{"@transform": {"apply": {"foo": {"@path": "$.a"}}, "mapping": {"cool": {"@path": "$.foo"}}}}"#, #"{"cool": 1}"#),
        on(
            #"{"properties": {"test": "value", "another": "thing", "nested": {"a": "special", "b": 2}}, "otherStuff": "foo", "more": "bar"}"#,
            #"""
            {"@transform": {"apply": {"properties": {"@flatten": {"value": {"@path": "$.properties"}, "separator": "_"}}},
                            "mapping": {"properties": {"@path": "$.properties"}, "topLevel": {"@path": "$.properties.nested_a"}}}}
            """#,
            #"{"properties": {"test": "value", "another": "thing", "nested_a": "special", "nested_b": 2}, "topLevel": "special"}"#
        ),
        on(#"{"foo": "bar"}"#, #"{"@transform": {"@path": {}}}"#, nil),
        on(#"{"a": 1}"#, #"{"@transform": {"apply": "x", "mapping": {"b": 1}}}"#, nil),
        on(#"{"p": [1]}"#, #"{"@arrayPath": ["$.p", {"@transform": {"apply": {"x": 1}, "mapping": {"y": {"@path": "$.x"}}}}]}"#, "[]"),
        // @excludeWhenNull
        on(#"{"foo": {"bar": null, "aces": {"a": 1, "b": 2}}}"#, #"{"@excludeWhenNull": {"@path": "$.foo.bar"}}"#, nil),
        on(#"{"foo": {"bar": null, "aces": {"a": 1, "b": 2}}}"#, #"{"@excludeWhenNull": {"@path": "$.foo"}}"#, #"{"aces": {"a": 1, "b": 2}}"#),
        on(
            #"{"foo": {"bar": null, "aces": {"a": 1, "b": 2, "c": null, "d": {"a": null, "b": null}, "e": [null]}}}"#,
            #"{"@excludeWhenNull": {"@path": "$.foo"}}"#, #"{"aces": {"a": 1, "b": 2, "d": {}, "e": [null]}}"#
        ),
        on(#"{"foo": 0}"#, #"{"@excludeWhenNull": {"@path": "$.foo"}}"#, "0"),
        on(
            #"{"foo": {"bar": null, "aces": {"a": 1, "b": 2}}}"#,
            #"""
            {"empty": {"@transform": {"apply": {"properties": {"@excludeWhenNull": {"@path": "$.properties"}}},
                                      "mapping": {"properties": {"@path": "$.properties"}, "topLevel": {"@path": "$.properties.nested_a"}}}}}
            """#,
            #"{"empty": {}}"#
        ),
        on(
            #"{"foo": {"bar": null, "aces": {"a": 1, "b": 2}}}"#,
            #"""
            {"massive": {
              "pathNull": {"@excludeWhenNull": {"@path": "$.foo.bar"}},
              "templateEmpty": {"@excludeWhenNull": {"@template": "{{foo.bar}}"}},
              "literalNull": {"@excludeWhenNull": {"@literal": null}},
              "ifNull": {"@excludeWhenNull": {"@if": {"exists": {"@path": "$.foo.foobar"}, "then": 1, "else": null}}},
              "caseNull": {"@excludeWhenNull": {"@case": {"operator": "upper", "value": {"@path": "$.foo.bar"}}}},
              "replaceNull": {"@excludeWhenNull": {"@replace": {"pattern": "-", "replacement": "nice", "value": {"@path": "$.foo.bar"}}}},
              "jsonNull": {"@excludeWhenNull": {"@json": {"mode": "decode", "value": {"@path": "$.foo.bar"}}}},
              "transformNull": {"@excludeWhenNull": {"@transform": {"apply": {"properties": {"@path": "$.foo.bar"}},
                "mapping": {"properties": {"@excludeWhenNull": {"@path": "$.properties"}}}}}},
              "transformNull2": {"@excludeWhenNull": {"@transform": {"apply": {"properties": {"@excludeWhenNull": {"@path": "$.foo.bar"}}},
                "mapping": {"properties": {"@path": "$.properties"}}}}},
              "transformValue": {"@excludeWhenNull": {"@transform": {"apply": {"properties": {"@path": "$.foo"}},
                "mapping": {"properties": {"@path": "$.properties"}}}}},
              "jsonNullEncode": {"@excludeWhenNull": {"@json": {"mode": "encode", "value": {"@path": "$.foo.bar"}}}}
            }}
            """#,
            #"""
            {"massive": {"templateEmpty": "", "jsonNullEncode": "null", "replaceNull": "", "transformNull": {}, "transformNull2": {},
                         "transformValue": {"properties": {"aces": {"a": 1, "b": 2}}}}}
            """#
        ),
    ]

    @Test(arguments: cases)
    func resolves(_ c: MappingCase) throws {
        // Given a mapping and an event
        let mapping = try JSONValue.parse(c.mapping)
        // When the mapping is applied to the event
        let resolved = Mapping.resolve(mapping, in: c.event)
        // Then it gives what Segment's mapping kit gives, or nothing where Segment gives undefined or throws
        #expect(resolved == (try c.expected.map { try JSONValue.parse($0) }))
    }

    @Test(arguments: [
        #"{"@case": {"operator": "lower", "value": {"@path": "$.b"}}}"#, #"{"@case": {"operator": "upper"}}"#,
        #"{"@replace": {"pattern": "_", "value": "x"}}"#,
        #"{"@replace": {"pattern": "1234567890", "replacement": "", "value": {"@path": "$.a"}, "ignorecase": true, "global": false}}"#,
        #"{"@replace": {"pattern": "-", "pattern2": "b", "replacement2": null, "value": {"@path": "$.a"}}}"#,
        #"{"@flatten": {"separator": ".", "value": {"@path": "$.foo"}, "omitArrays": true}}"#, #"{"@flatten": {"separator": "_", "value": null}}"#,
        #"{"@json": {"mode": "encode", "value": {"@path": "$.foo"}}}"#, #"{"@json": {"mode": "Decode", "value": "{}"}}"#,
        #"{"@merge": {"direction": "left", "objects": [{"a": 1}, {"@path": "$.b"}]}}"#, #"{"@merge": {"direction": "right", "objects": []}}"#,
        #"{"@transform": {"apply": {"a": {"@path": "$.x"}}, "mapping": {"b": {"@path": "$.a"}}}}"#,
        #"{"@transform": {"apply": {"@path": "$.properties"}, "mapping": {"@path": "$.a"}}}"#,
        #"{"@excludeWhenNull": {"@path": "$.foo"}}"#, #"{"@excludeWhenNull": null}"#, #"{"@excludeWhenNull": {"a": {"@path": "$.b"}}}"#,
        #"{"@if": {"exists": {"@path": "$.a"}, "then": 1, "else": null}}"#, #"{"@if": {"blank": "x", "then": 1}}"#,
    ])
    func accepts(_ json: String) throws {
        // When a well-formed mapping is validated, then nothing is thrown
        try Mapping.validate(try JSONValue.parse(json), field: "data")
    }

    @Test(arguments: [
        (#"{"@case": "not an object"}"#, "settings.data.@case should be an object but it is a string"),
        (#"{"@case": {"@path": "$.x"}}"#, "settings.data.@case should be an object but it is a directive"),
        (#"{"@case": {"wrongKey": "lower", "value": {"@path": "$.b"}}}"#, #"settings.data.@case requires a "operator" key"#),
        (#"{"@case": {"operator": "", "value": {"@path": "$.b"}}}"#, #"settings.data.@case requires a "operator" key"#),
        (#"{"@case": {"operator": 1}}"#, "settings.data.@case.operator should be a string but it is a number"),
        (#"{"@case": {"operator": "lower", "value": 1}}"#, "settings.data.@case.value should be a string or a mapping directive but it is a number"),
        (#"{"@case": {"operator": "lower", "value": null}}"#, "settings.data.@case.value should be a string or a mapping directive but it is a null"),
        (#"{"@case": {"operator": "snake", "value": "x"}}"#, #"settings.data.@case.operator key should have a value of "lower" or "upper""#),
        (
            #"{"@case": {"operator": "lower", "value": {"@nope": 1}}}"#,
            #"settings.data.@case.value has an invalid directive: @nope; \#(MappingValidateTests.supported)"#
        ),
        (#"{"@replace": {"value": "x"}}"#, #"settings.data.@replace should have field "pattern" but it doesn't"#),
        (#"{"@replace": {"pattern": "x"}}"#, #"settings.data.@replace should have field "value" but it doesn't"#),
        (#"{"@replace": {"pattern": "", "value": "x"}}"#, "settings.data.@replace.pattern should be a string of length 1 or greater"),
        (#"{"@replace": {"pattern": "12345678901", "value": "x"}}"#, "settings.data.@replace.pattern should be a string of length 10 or less"),
        (#"{"@replace": {"pattern": 1, "value": "x"}}"#, "settings.data.@replace.pattern should be a string but it is a number"),
        (
            #"{"@replace": {"pattern": "x", "replacement": "12345678901", "value": "x"}}"#,
            "settings.data.@replace.replacement should be a string of length 10 or less"
        ),
        (
            #"{"@replace": {"pattern": "x", "replacement": 2, "value": "x"}}"#,
            "settings.data.@replace.replacement should be a string but it is a number"
        ),
        (
            #"{"@replace": {"pattern": "x", "value": "x", "ignorecase": "yes"}}"#,
            "settings.data.@replace.ignorecase should be a boolean but it is a string"
        ),
        (#"{"@replace": {"pattern": "x", "value": "x", "global": null}}"#, "settings.data.@replace.global should be a boolean but it is a null"),
        (
            #"{"@replace": {"pattern": "x", "value": true}}"#,
            "settings.data.@replace.value should be a string or a mapping directive but it is a boolean"
        ),
        (
            #"{"@replace": {"pattern": "x", "value": "x", "pattern2": "12345678901"}}"#,
            "settings.data.@replace.pattern2 should be a string of length 10 or less"
        ),
        (#"{"@flatten": {"value": "x"}}"#, #"settings.data.@flatten requires a "separator" key"#),
        (#"{"@flatten": {"separator": "", "value": "x"}}"#, #"settings.data.@flatten requires a "separator" key"#),
        (
            #"{"@flatten": {"separator": {"@path": "$.s"}, "value": "x"}}"#,
            "settings.data.@flatten.separator should be a string but it is a directive"
        ),
        (#"{"@flatten": {"separator": "."}}"#, #"settings.data.@flatten should have field "value" but it doesn't"#),
        (#"{"@json": {"mode": "encode"}}"#, #"settings.data.@json should have field "value" but it doesn't"#),
        (#"{"@json": {"value": "x"}}"#, #"settings.data.@json should have field "mode" but it doesn't"#),
        (#"{"@json": {"mode": "oops", "value": "x"}}"#, #"settings.data.@json.mode should be one of encode, decode but it is "oops""#),
        (#"{"@json": {"mode": 1, "value": "x"}}"#, "settings.data.@json.mode should be a string but it is a number"),
        (#"{"@json": {"mode": "encode", "value": null}}"#, #"settings.data.@json requires a "value" key"#),
        (#"{"@merge": {"direction": "left"}}"#, #"settings.data.@merge should have field "objects" but it doesn't"#),
        (#"{"@merge": {"direction": "left", "objects": {"oops": true}}}"#, "settings.data.@merge.objects should be an array but it is an object"),
        (
            #"{"@merge": {"direction": "left", "objects": [{}, 1]}}"#,
            "settings.data.@merge.objects[1] should be a object or a mapping directive but it is a number"
        ),
        (#"{"@merge": {"direction": "up", "objects": [{}]}}"#, #"settings.data.@merge.direction should be one of left, right but it is "up""#),
        (#"{"@merge": {"objects": [{}]}}"#, #"settings.data.@merge requires a "direction" key"#),
        (#"{"@merge": [{}, 123]}"#, "settings.data.@merge should be an object but it is an array"),
        (#"{"@transform": {"@path": {}}}"#, "settings.data.@transform should be an object but it is a directive"),
        (#"{"@transform": {"mapping": {}}}"#, #"settings.data.@transform should have field "apply" but it doesn't"#),
        (#"{"@transform": {"apply": {}}}"#, #"settings.data.@transform should have field "mapping" but it doesn't"#),
        (
            #"{"@transform": {"apply": "x", "mapping": {}}}"#,
            "settings.data.@transform.apply should be a object or a mapping directive but it is a string"
        ),
        (
            #"{"@transform": {"apply": {"a": {"@foo": 1}}, "mapping": {}}}"#,
            #"settings.data.@transform.apply.a has an invalid directive: @foo; \#(MappingValidateTests.supported)"#
        ),
        (
            #"{"@excludeWhenNull": {"@path": 1}}"#,
            #"settings.data.@excludeWhenNull.@path should be a string or a mapping directive but it is a number"#
        ),
        (#"{"@if": {"exists": null, "then": 1}}"#, #"settings.data.@if requires an "exists" key or a "blank" key"#),
        (#"{"@if": {"blank": "", "then": 1}}"#, #"settings.data.@if requires an "exists" key or a "blank" key"#),
        (
            #"{"@liquid": "{{ userId }}"}"#,
            #"settings.data uses "@liquid", a Segment directive that Sluice does not support; \#(MappingValidateTests.supported)"#
        ),
        (#"{"@split": {"separator": ","}}"#, #"settings.data has an invalid directive: @split; \#(MappingValidateTests.supported)"#),
    ])
    func refuses(_ json: String, _ message: String) throws {
        // Given a mapping Segment refuses, or one it throws on for every event
        let mapping = try JSONValue.parse(json)
        // When it is validated, then it is refused with Segment's wording, naming the place in the setting
        #expect(throws: ValidationError(message, field: "settings.data")) {
            try Mapping.validate(mapping, field: "data")
        }
    }

    @Test func replaceWithTheTextBeforeEveryMatchStaysWithinTheBudget() throws {
        // Given a long string and a global replacement that inserts the text before each match ($`), quadratic in size
        let event: JSONValue = ["s": .string(String(repeating: "a", count: 100_000))]
        let mapping = try JSONValue.parse(#"{"@replace": {"pattern": "a", "replacement": "$`", "value": {"@path": "$.s"}}}"#)
        // When it is resolved, then it gives nothing rather than gigabytes
        #expect(Mapping.resolve(mapping, in: event) == nil)
    }

    @Test func flattenOfADeepValueStaysWithinTheBudget() throws {
        // Given a value nested 2,000 deep over 5,000 leaves: each leaf's key repeats the 2,000 keys above it
        var value: JSONValue = .array(Array(repeating: .number(1), count: 5_000))
        for _ in 0..<2_000 { value = ["key": value] }
        let mapping = try JSONValue.parse(#"{"@flatten": {"separator": "::::", "value": {"@path": "$.v"}}}"#)
        // When it is flattened, then it gives nothing rather than 70 MB of keys
        #expect(Mapping.resolve(mapping, in: ["v": value]) == nil)
    }
}
