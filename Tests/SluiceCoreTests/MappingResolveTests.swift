import SluiceCore
import Testing

/// A mapping, as JSON, and what it resolves to against `MappingFixtures.event` (`nil`: nothing).
struct MappingCase: Sendable, CustomTestStringConvertible {
    var mapping: String
    var expected: String?
    var event: JSONValue = MappingFixtures.event

    var testDescription: String { "\(mapping) → \(expected ?? "nothing")" }
}

enum MappingFixtures {
    static let event: JSONValue = try! JSONValue.parse(
        #"""
        {
          "type": "track",
          "event": "Order Completed",
          "userId": "user-1",
          "anonymousId": null,
          "properties": {
            "revenue": 19.99,
            "count": 3,
            "name": "Shoes",
            "empty": "",
            "nothing": null,
            "flag": false,
            "tags": ["a", "b"],
            "products": [{"sku": "A1", "price": 5}, {"sku": "B2", "price": 7.5}, {"price": 1}],
            "product": {"sku": "C3", "price": 2},
            "a.b": "dotted key",
            "with space": "spaced key",
            "q'uote": "quoted key"
          },
          "context": {"page": {"path": "/cart", "title": "Cart"}, "traits": {"countryCode": "FR"}},
          "integrations": {"Actions Amplitude": {"session_id": 42}}
        }
        """#
    )
}

@Suite struct MappingResolveTests {
    static let cases: [MappingCase] = [
        // Plain values
        MappingCase(mapping: #""text""#, expected: #""text""#),
        MappingCase(mapping: "12", expected: "12"),
        MappingCase(mapping: "true", expected: "true"),
        MappingCase(mapping: "null", expected: "null"),
        MappingCase(mapping: "[]", expected: "[]"),
        MappingCase(mapping: "{}", expected: "{}"),
        MappingCase(mapping: #"{"a": 1, "b": [true, "x"]}"#, expected: #"{"a": 1, "b": [true, "x"]}"#),
        MappingCase(mapping: #""$.userId""#, expected: #""$.userId""#),
        MappingCase(mapping: #""{{userId}}""#, expected: #""{{userId}}""#),
        // @path
        MappingCase(mapping: #"{"@path": "$.userId"}"#, expected: #""user-1""#),
        MappingCase(mapping: #"{"@path": "userId"}"#, expected: #""user-1""#),
        MappingCase(mapping: #"{"@path": "$.properties.revenue"}"#, expected: "19.99"),
        MappingCase(mapping: #"{"@path": "$.properties.flag"}"#, expected: "false"),
        MappingCase(mapping: #"{"@path": "$.properties.nothing"}"#, expected: "null"),
        MappingCase(mapping: #"{"@path": "$.anonymousId"}"#, expected: "null"),
        MappingCase(mapping: #"{"@path": "$.properties.missing"}"#, expected: nil),
        MappingCase(mapping: #"{"@path": "$.properties.name.deeper"}"#, expected: nil),
        MappingCase(mapping: #"{"@path": "$.missing.deeper.still"}"#, expected: nil),
        MappingCase(mapping: #"{"@path": "$.context.page.path"}"#, expected: #""/cart""#),
        MappingCase(mapping: #"{"@path": "$.properties.tags"}"#, expected: #"["a", "b"]"#),
        MappingCase(mapping: #"{"@path": "$.properties.product"}"#, expected: #"{"sku": "C3", "price": 2}"#),
        MappingCase(mapping: #"{"@path": "$.properties.products[1].sku"}"#, expected: #""B2""#),
        MappingCase(mapping: #"{"@path": "$.properties.products.0.sku"}"#, expected: #""A1""#),
        MappingCase(mapping: #"{"@path": "$.properties.products[3].sku"}"#, expected: nil),
        MappingCase(mapping: #"{"@path": "$.properties.products[01].sku"}"#, expected: nil),
        MappingCase(mapping: #"{"@path": "$.properties.tags[1]"}"#, expected: #""b""#),
        MappingCase(mapping: #"{"@path": "$.integrations.Actions Amplitude.session_id"}"#, expected: "42"),
        MappingCase(mapping: #"{"@path": "$.integrations['Actions Amplitude'].session_id"}"#, expected: "42"),
        MappingCase(mapping: #"{"@path": "$.properties['a.b']"}"#, expected: #""dotted key""#),
        MappingCase(mapping: #"{"@path": "$.properties[\"with space\"]"}"#, expected: #""spaced key""#),
        MappingCase(mapping: #"{"@path": "$.properties['q\\'uote']"}"#, expected: #""quoted key""#),
        MappingCase(mapping: #"{"@path": "$.context.traits..countryCode"}"#, expected: #""FR""#),
        MappingCase(mapping: #"{"@path": "$.context.traits.countryCode."}"#, expected: #""FR""#),
        MappingCase(mapping: #"{"@path": "$.properties.a.b"}"#, expected: nil),
        MappingCase(mapping: #"{"@path": "$.properties.with space"}"#, expected: #""spaced key""#),
        MappingCase(mapping: #"{"@path": "$."}"#, expected: #"{"a": 1}"#, event: ["a": 1]),
        MappingCase(mapping: #"{"@path": "$"}"#, expected: #"{"a": 1}"#, event: ["a": 1]),
        MappingCase(mapping: #"{"@path": ""}"#, expected: #"{"a": 1}"#, event: ["a": 1]),
        MappingCase(mapping: #"{"@path": {"@path": "$.properties.name"}}"#, expected: nil),
        MappingCase(
            mapping: #"{"@path": {"@template": "properties.{{properties.name}}"}}"#, expected: #""x""#,
            event: ["properties": ["Shoes": "x", "name": "Shoes"]]),
        MappingCase(mapping: #"{"@path": {"@path": "$.count"}}"#, expected: nil, event: ["count": 3]),
        MappingCase(mapping: #"{"@path": "$.userId", "_metadata": {"label": "x"}}"#, expected: #""user-1""#),
        // @template
        MappingCase(mapping: #"{"@template": "{{userId}}"}"#, expected: #""user-1""#),
        MappingCase(mapping: #"{"@template": "Hi {{properties.name}}!"}"#, expected: #""Hi Shoes!""#),
        MappingCase(mapping: #"{"@template": "{{ properties.name }}"}"#, expected: #""Shoes""#),
        MappingCase(mapping: #"{"@template": "{{{properties.name}}}"}"#, expected: #""Shoes""#),
        MappingCase(mapping: #"{"@template": "{{$.userId}}"}"#, expected: #""user-1""#),
        MappingCase(mapping: #"{"@template": "[{{properties.missing}}]"}"#, expected: #""[]""#),
        MappingCase(mapping: #"{"@template": "[{{properties.nothing}}]"}"#, expected: #""[]""#),
        MappingCase(mapping: #"{"@template": "{{properties.count}} x {{properties.revenue}}"}"#, expected: #""3 x 19.99""#),
        MappingCase(mapping: #"{"@template": "{{properties.flag}}"}"#, expected: #""false""#),
        MappingCase(mapping: #"{"@template": "{{properties.tags}}"}"#, expected: #""[\"a\",\"b\"]""#),
        MappingCase(mapping: #"{"@template": "{{properties.product}}"}"#, expected: #""{\"price\":2,\"sku\":\"C3\"}""#),
        MappingCase(mapping: #"{"@template": "{{properties.products[1].sku}}"}"#, expected: #""B2""#),
        MappingCase(mapping: #"{"@template": "<b>{{event}}</b>"}"#, expected: #""<b>Order Completed</b>""#),
        MappingCase(mapping: #"{"@template": "no placeholders"}"#, expected: #""no placeholders""#),
        MappingCase(mapping: #"{"@template": ""}"#, expected: #""""#),
        MappingCase(mapping: #"{"@template": "{{}} {{ {userId} }} {{userId"}"#, expected: #""{{}} {{ {userId} }} {{userId""#),
        MappingCase(mapping: #"{"@template": "{{userId}}{{userId}}"}"#, expected: #""user-1user-1""#),
        MappingCase(mapping: #"{"@template": {"@path": "$.tpl"}}"#, expected: #""Hello u""#, event: ["tpl": "Hello {{userId}}", "userId": "u"]),
        MappingCase(mapping: #"{"@template": {"@path": "$.missing"}}"#, expected: nil),
        // @literal
        MappingCase(mapping: #"{"@literal": true}"#, expected: "true"),
        MappingCase(mapping: #"{"@literal": "{{userId}}"}"#, expected: #""{{userId}}""#),
        MappingCase(mapping: #"{"@literal": null}"#, expected: "null"),
        MappingCase(mapping: #"{"@literal": {"a": {"@path": "$.userId"}, "b": {"@path": "$.missing"}}}"#, expected: #"{"a": "user-1"}"#),
        // @if
        MappingCase(mapping: #"{"@if": {"exists": {"@path": "$.userId"}, "then": "yes", "else": "no"}}"#, expected: #""yes""#),
        MappingCase(mapping: #"{"@if": {"exists": {"@path": "$.missing"}, "then": "yes", "else": "no"}}"#, expected: #""no""#),
        MappingCase(mapping: #"{"@if": {"exists": {"@path": "$.anonymousId"}, "then": "yes", "else": "no"}}"#, expected: #""no""#),
        MappingCase(mapping: #"{"@if": {"exists": {"@path": "$.properties.empty"}, "then": "yes", "else": "no"}}"#, expected: #""yes""#),
        MappingCase(mapping: #"{"@if": {"exists": {"@path": "$.properties.flag"}, "then": "yes", "else": "no"}}"#, expected: #""yes""#),
        MappingCase(mapping: #"{"@if": {"blank": {"@path": "$.properties.name"}, "then": "yes", "else": "no"}}"#, expected: #""yes""#),
        MappingCase(mapping: #"{"@if": {"blank": {"@path": "$.properties.empty"}, "then": "yes", "else": "no"}}"#, expected: #""no""#),
        MappingCase(mapping: #"{"@if": {"blank": {"@path": "$.properties.nothing"}, "then": "yes", "else": "no"}}"#, expected: #""no""#),
        MappingCase(mapping: #"{"@if": {"blank": {"@path": "$.missing"}, "then": "yes", "else": "no"}}"#, expected: #""no""#),
        MappingCase(mapping: #"{"@if": {"blank": {"@path": "$.properties.count"}, "then": "yes", "else": "no"}}"#, expected: #""yes""#),
        MappingCase(mapping: #"{"@if": {"exists": {"@path": "$.missing"}, "then": "yes"}}"#, expected: nil),
        MappingCase(mapping: #"{"@if": {"exists": {"@path": "$.userId"}, "else": "no"}}"#, expected: nil),
        MappingCase(mapping: #"{"@if": {"exists": {"@path": "$.missing"}, "then": "yes", "else": false}}"#, expected: nil),
        MappingCase(mapping: #"{"@if": {"exists": {"@path": "$.missing"}, "then": "yes", "else": 0}}"#, expected: nil),
        MappingCase(mapping: #"{"@if": {"exists": "constant", "then": "yes"}}"#, expected: #""yes""#),
        MappingCase(mapping: #"{"@if": {"exists": null, "then": "yes", "else": "no"}}"#, expected: nil),
        MappingCase(
            mapping: #"{"@if": {"exists": {"@path": "$.userId"}, "then": {"@path": "$.userId"}, "else": {"@path": "$.anonymousId"}}}"#,
            expected: #""user-1""#
        ),
        MappingCase(
            mapping: #"{"@if": {"exists": {"@path": "$.x"}, "then": 1, "else": {"@if": {"exists": {"@path": "$.userId"}, "then": 2}}}}"#,
            expected: "2"
        ),
        // @arrayPath
        MappingCase(mapping: #"{"@arrayPath": ["$.properties.tags"]}"#, expected: #"["a", "b"]"#),
        MappingCase(
            mapping: #"{"@arrayPath": ["$.properties.products", {"id": {"@path": "$.sku"}, "amount": {"@path": "$.price"}}]}"#,
            expected: #"[{"id": "A1", "amount": 5}, {"id": "B2", "amount": 7.5}, {"amount": 1}]"#
        ),
        MappingCase(
            mapping: #"{"@arrayPath": ["$.properties.product", {"id": {"@path": "$.sku"}}]}"#, expected: #"[{"id": "C3"}]"#
        ),
        MappingCase(mapping: #"{"@arrayPath": ["$.properties.product"]}"#, expected: #"[{"sku": "C3", "price": 2}]"#),
        MappingCase(
            mapping: #"{"@arrayPath": ["$.properties.products", null]}"#,
            expected: #"[{"sku": "A1", "price": 5}, {"sku": "B2", "price": 7.5}, {"price": 1}]"#),
        MappingCase(mapping: #"{"@arrayPath": ["$.properties.tags", {}]}"#, expected: #"["a", "b"]"#),
        MappingCase(mapping: #"{"@arrayPath": ["$.properties.tags", {"kind": "tag"}]}"#, expected: #"[{"kind": "tag"}, {"kind": "tag"}]"#),
        MappingCase(mapping: #"{"@arrayPath": ["$.properties.tags", {"@path": "$."}]}"#, expected: #"["a", "b"]"#),
        MappingCase(mapping: #"{"@arrayPath": ["$.properties.products", {"@path": "$.sku"}]}"#, expected: #"["A1", "B2"]"#),
        MappingCase(mapping: #"{"@arrayPath": ["$.properties.missing", {"id": {"@path": "$.sku"}}]}"#, expected: nil),
        MappingCase(mapping: #"{"@arrayPath": ["$.properties.nothing"]}"#, expected: nil),
        MappingCase(mapping: #"{"@arrayPath": ["$.properties.name", {"n": {"@path": "$."}}]}"#, expected: #"[{"n": "Shoes"}]"#),
        MappingCase(
            mapping: #"{"@arrayPath": [{"@if": {"exists": {"@path": "$.properties.products"}, "then": {"@path": "$.properties.products"}, "#
                + #""else": []}}, {"@path": "$.price"}]}"#,
            expected: "[5, 7.5, 1]"
        ),
        MappingCase(
            mapping: #"{"@arrayPath": ["$.properties.products", {"sku": {"@path": "$.sku"}, "who": {"@template": "{{sku}} for {{userId}}"}}]}"#,
            expected: #"[{"sku": "A1", "who": "A1 for "}, {"sku": "B2", "who": "B2 for "}, {"who": " for "}]"#
        ),
        // Nesting
        MappingCase(
            mapping: #"{"user": {"id": {"@path": "$.userId"}, "anon": {"@path": "$.anonymousId"}, "gone": {"@path": "$.missing"}}, "static": 1}"#,
            expected: #"{"user": {"id": "user-1", "anon": null}, "static": 1}"#
        ),
        MappingCase(
            mapping: #"[{"@path": "$.userId"}, {"@path": "$.missing"}, "x", {"@template": "{{event}}"}]"#,
            expected: #"["user-1", "x", "Order Completed"]"#
        ),
        MappingCase(mapping: #"{"a": {"b": {"c": {"@path": "$.properties.count"}}}}"#, expected: #"{"a": {"b": {"c": 3}}}"#),
        // Malformed mappings resolve to nothing rather than trap
        MappingCase(mapping: #"{"@foo": "$.userId"}"#, expected: nil),
        MappingCase(mapping: #"{"@path": "$.userId", "@template": "x"}"#, expected: nil),
        MappingCase(mapping: #"{"@path": "$.userId", "other": 1}"#, expected: nil),
        MappingCase(mapping: #"{"@path": 12}"#, expected: nil),
        MappingCase(mapping: #"{"@path": "$['unclosed"}"#, expected: nil),
        MappingCase(mapping: #"{"@template": 12}"#, expected: nil),
        MappingCase(mapping: #"{"@if": "x"}"#, expected: nil),
        MappingCase(mapping: #"{"@if": {"then": 1}}"#, expected: nil),
        MappingCase(mapping: #"{"@arrayPath": "$.properties.tags"}"#, expected: nil),
        MappingCase(mapping: #"{"@arrayPath": []}"#, expected: nil),
        MappingCase(mapping: #"{"@arrayPath": [true]}"#, expected: nil),
        // Events that are not objects
        MappingCase(mapping: #"{"@path": "$.userId"}"#, expected: nil, event: .string("x")),
        MappingCase(mapping: #"{"@path": "$."}"#, expected: #""x""#, event: .string("x")),
    ]

    @Test(arguments: cases)
    func resolves(_ c: MappingCase) throws {
        // Given a mapping
        let mapping = try JSONValue.parse(c.mapping)
        // When it is applied to the event
        let resolved = Mapping.resolve(mapping, in: c.event)
        // Then it gives the expected value, or nothing
        #expect(resolved == (try c.expected.map { try JSONValue.parse($0) }))
    }

    @Test func resolvesSettingsFieldByField() throws {
        // Given the Webhooks (Actions) "Send" settings with a default data mapping and a header template
        let settings: [String: JSONValue] = [
            "url": "https://example.com/hook",
            "method": "POST",
            "headers": ["X-User": ["@template": "{{userId}}"], "X-Missing": ["@path": "$.nope"]],
            "data": ["@path": "$."],
            "gone": ["@path": "$.nope"],
        ]
        // When they are resolved against an event
        let resolved = Mapping.resolve(settings: settings, in: MappingFixtures.event)
        // Then each field has its value, and fields that resolve to nothing are left out
        #expect(resolved["url"] == "https://example.com/hook")
        #expect(resolved["headers"] == ["X-User": "user-1"])
        #expect(resolved["data"] == MappingFixtures.event)
        #expect(resolved["gone"] == nil)
        #expect(resolved.count == 4)
    }

    @Test(arguments: [
        ("", [String]()),
        ("$", []),
        ("$.", []),
        ("$.a", ["a"]),
        ("a.b", ["a", "b"]),
        ("$.a[0].b", ["a", "0", "b"]),
        ("$[0]", ["0"]),
        ("$.a..b.", ["a", "b"]),
        ("$.a]b", ["a", "b"]),
        ("$.with space.x", ["with space", "x"]),
        ("$['a.b'][\"c d\"]", ["a.b", "c d"]),
        ("$.a['it\\'s']", ["a", "it's"]),
        ("$.a['back\\\\slash']", ["a", "back\\slash"]),
        ("$.a['']", ["a", ""]),
        ("$foo.bar", ["$foo", "bar"]),
    ])
    func splitsPathsAsSegmentDoes(_ source: String, _ keys: [String]) throws {
        // When a path is parsed, then its keys are as Segment's mapping kit reads them (plus quoted keys)
        #expect(try MappingPath(parsing: source).keys == keys)
    }

    @Test(arguments: [
        ("$['a", "expected a closing ' at character 5"),
        ("$[\"a b", "expected a closing \" at character 7"),
        ("$['a'", "expected \"]\" at character 6"),
        ("$['a'x]", "expected \"]\" at character 6"),
    ])
    func refusesUnclosedQuotedKeys(_ source: String, _ message: String) {
        #expect(throws: MappingPath.ParseError.self) { try MappingPath(parsing: source) }
        #expect((try? MappingPath(parsing: source)) == nil)
        do {
            _ = try MappingPath(parsing: source)
        } catch {
            #expect(error.message == message)
        }
    }
}
