import SluiceCore
import Testing

/// A trigger, the event it runs against, and whether it should match.
struct FQLCase: Sendable, CustomTestStringConvertible {
    var trigger: String
    var expected: Bool
    var event: JSONValue = FQLFixtures.track

    var testDescription: String { "\(trigger) → \(expected)" }
}

enum FQLFixtures {
    /// A track event holding one value of every JSON type under `properties`.
    static let track: JSONValue = try! JSONValue.parse(
        #"""
        {
          "type": "track",
          "event": "Order Completed",
          "userId": "user-1",
          "anonymousId": null,
          "messageId": "m-1",
          "properties": {
            "text": "hello world",
            "empty": "",
            "twelve": 12,
            "fraction": -1.5,
            "zero": 0,
            "big": 1e21,
            "yes": true,
            "no": false,
            "nothing": null,
            "object": {"a": 1},
            "array": [1, "two", {"three": 3}],
            "emptyArray": [],
            "numericString": "11",
            "trueString": "true",
            "nullString": "null",
            "product 1": {"price": 5},
            "a.b": "dotted",
            "quote\"d": "q",
            "back\\slash": "b",
            "café": "unicode key",
            "unicode": "café",
            "said": "she said \"hi\" \\o/",
            "star": "a*b",
            "order": {"total": 99.5, "items": [{"sku": "A1"}, {"sku": "B2"}]}
          },
          "context": {"page": {"path": "/home", "title": "Home"}, "ip": "1.1.1.1", "traits": {"email": "a@example.com"}}
        }
        """#
    )

    /// An identify event: its data is under `traits`; `properties` here is a decoy Segment never reads.
    static let identify: JSONValue = try! JSONValue.parse(
        #"{"type": "identify", "userId": "u2", "traits": {"plan": "pro", "logins": 5}, "properties": {"plan": "free"}}"#
    )

    /// A group event.
    static let group: JSONValue = try! JSONValue.parse(#"{"type": "group", "groupId": "g1", "traits": {"plan": "team"}}"#)

    /// A page event with a name.
    static let page: JSONValue = try! JSONValue.parse(
        #"{"type": "page", "name": "Home", "properties": {"path": "/", "name": "Home"}, "context": {"page": {"path": "/"}}}"#
    )
}

@Suite struct FQLEvaluationTests {
    // MARK: - Each operator on each JSON type

    /// A field of `FQLFixtures.track` holding each JSON type, and one that is absent.
    static let fieldsByType: KeyValuePairs<String, String> = [
        "string": "properties.text",
        "number": "properties.twelve",
        "true": "properties.yes",
        "false": "properties.no",
        "null": "properties.nothing",
        "absent": "properties.missing",
        "object": "properties.object",
        "array": "properties.array",
    ]

    static let allTypes: Set<String> = Set(fieldsByType.map(\.key))

    /// Each row: a trigger with `$` for the field, and the types of value for which it holds.
    static let operatorTable: [(String, Set<String>)] = [
        (#"$ = "hello world""#, ["string"]),
        (#"$ != "hello world""#, allTypes.subtracting(["string"])),
        (#"$ = "hello""#, []),
        (#"$ != "hello""#, allTypes),
        (#"$ = "12""#, []),
        (#"$ = 12"#, ["number"]),
        (#"$ = 12.0"#, ["number"]),
        (#"$ != 12"#, []),
        (#"$ != 13"#, ["number"]),
        (#"$ = true"#, ["true"]),
        (#"$ = false"#, ["false"]),
        (#"$ != true"#, ["false"]),
        (#"$ != false"#, ["true"]),
        (#"$ = null"#, ["null", "absent"]),
        (#"$ != null"#, allTypes.subtracting(["null", "absent"])),
        (#"$ < 13"#, ["number"]),
        (#"$ < 12"#, []),
        (#"$ <= 12"#, ["number"]),
        (#"$ > 11"#, ["number"]),
        (#"$ > 12"#, []),
        (#"$ >= 12"#, ["number"]),
        (#"$ >= 12.5"#, []),
        (#"contains($, "lo wo")"#, ["string"]),
        (#"contains($, "")"#, ["string"]),
        (#"contains($, "xyz")"#, []),
        (#"!contains($, "xyz")"#, ["string"]),
        (#"!contains($, "hello")"#, []),
        (#"match($, "hello*")"#, ["string"]),
        (#"match($, "*world")"#, ["string"]),
        (#"match($, "*lo w*")"#, ["string"]),
        (#"match($, "h*o*d")"#, ["string"]),
        (#"match($, "hello world")"#, ["string"]),
        (#"match($, "hello")"#, []),
        (#"match($, "*")"#, ["string"]),
        (#"!match($, "bye*")"#, ["string"]),
        (#"!match($, "*world")"#, []),
    ]

    static let operatorCases: [FQLCase] = operatorTable.flatMap { template, holds in
        fieldsByType.map { type, field in
            FQLCase(trigger: template.replacingOccurrences(of: "$", with: field), expected: holds.contains(type))
        }
    }

    @Test(arguments: operatorCases)
    func eachOperatorOnEachType(_ c: FQLCase) throws {
        // Given a parsed trigger
        let trigger = try Trigger(parsing: c.trigger)
        // When it runs against the event, then it matches exactly where Segment's typing says
        #expect(trigger.matches(c.event) == c.expected)
    }

    // MARK: - Everything else

    static let cases: [FQLCase] = [
        // Top-level fields
        FQLCase(trigger: #"type = "track""#, expected: true),
        FQLCase(trigger: #"type = "Track""#, expected: false),
        FQLCase(trigger: #"type != "track""#, expected: false),
        FQLCase(trigger: #"type = "identify""#, expected: false),
        FQLCase(trigger: #"event = "Order Completed""#, expected: true),
        FQLCase(trigger: #"event = "Order Completed ""#, expected: false),
        FQLCase(trigger: #"event != "Order Completed""#, expected: false),
        FQLCase(trigger: #"userId = "user-1""#, expected: true),
        FQLCase(trigger: #"userId != null"#, expected: true),
        FQLCase(trigger: #"anonymousId = null"#, expected: true),
        FQLCase(trigger: #"anonymousId != null"#, expected: false),
        FQLCase(trigger: #"messageId = "m-1""#, expected: true),
        FQLCase(trigger: #"groupId = null"#, expected: true),
        FQLCase(trigger: #"groupId != "g1""#, expected: true),
        FQLCase(trigger: #"previousId != null"#, expected: false),
        FQLCase(trigger: #"name = null"#, expected: true),
        FQLCase(trigger: #"name = "Home""#, expected: true, event: FQLFixtures.page),
        FQLCase(trigger: #"event != "Order Completed""#, expected: true, event: FQLFixtures.page),
        FQLCase(trigger: #"groupId = "g1""#, expected: true, event: FQLFixtures.group),
        // Context and nested paths
        FQLCase(trigger: #"context.page.path = "/home""#, expected: true),
        FQLCase(trigger: #"match(context.page.path, "/ho*")"#, expected: true),
        FQLCase(trigger: #"context.ip = "1.1.1.1""#, expected: true),
        FQLCase(trigger: #"context.traits.email != null"#, expected: true),
        FQLCase(trigger: #"context.page.missing.deeper = null"#, expected: true),
        FQLCase(trigger: #"context.page.path.deeper = null"#, expected: true),
        FQLCase(trigger: #"context != null"#, expected: true),
        FQLCase(trigger: #"properties.order.total > 99"#, expected: true),
        FQLCase(trigger: #"properties.order.total = 99.5"#, expected: true),
        FQLCase(trigger: #"properties.object.a = 1"#, expected: true),
        // Array elements by index
        FQLCase(trigger: #"properties.array.0 = 1"#, expected: true),
        FQLCase(trigger: #"properties.array.1 = "two""#, expected: true),
        FQLCase(trigger: #"properties.array.2.three = 3"#, expected: true),
        FQLCase(trigger: #"properties.array.3 = null"#, expected: true),
        FQLCase(trigger: #"properties.array.01 = null"#, expected: true),
        FQLCase(trigger: #"properties.array.-1 = null"#, expected: true),
        FQLCase(trigger: #"properties.order.items.1.sku = "B2""#, expected: true),
        FQLCase(trigger: #"properties.emptyArray.0 = null"#, expected: true),
        FQLCase(trigger: #"properties.emptyArray != null"#, expected: true),
        // Strings that look like other types are strings
        FQLCase(trigger: #"properties.numericString > 10"#, expected: false),
        FQLCase(trigger: #"properties.numericString = 11"#, expected: false),
        FQLCase(trigger: #"properties.numericString = "11""#, expected: true),
        FQLCase(trigger: #"properties.numericString != 11"#, expected: false),
        FQLCase(trigger: #"properties.trueString = true"#, expected: false),
        FQLCase(trigger: #"properties.trueString = "true""#, expected: true),
        FQLCase(trigger: #"properties.nullString = null"#, expected: false),
        FQLCase(trigger: #"properties.nullString != null"#, expected: true),
        FQLCase(trigger: #"properties.twelve = "12""#, expected: false),
        FQLCase(trigger: #"properties.yes = "true""#, expected: false),
        FQLCase(trigger: #"properties.empty = """#, expected: true),
        FQLCase(trigger: #"properties.empty != null"#, expected: true),
        FQLCase(trigger: #"match(properties.empty, "*")"#, expected: true),
        FQLCase(trigger: #"match(properties.empty, "")"#, expected: true),
        FQLCase(trigger: #"match(properties.text, "")"#, expected: false),
        // Numbers: sign, fraction, exponent
        FQLCase(trigger: #"properties.fraction = -1.5"#, expected: true),
        FQLCase(trigger: #"properties.fraction = -1.50"#, expected: true),
        FQLCase(trigger: #"properties.fraction = -15e-1"#, expected: true),
        FQLCase(trigger: #"properties.fraction < -1"#, expected: true),
        FQLCase(trigger: #"properties.fraction > -2"#, expected: true),
        FQLCase(trigger: #"properties.fraction >= -1.5"#, expected: true),
        FQLCase(trigger: #"properties.fraction > -1.5"#, expected: false),
        FQLCase(trigger: #"properties.fraction = 1.5"#, expected: false),
        FQLCase(trigger: #"properties.twelve = +12"#, expected: true),
        FQLCase(trigger: #"properties.twelve = 1.2e1"#, expected: true),
        FQLCase(trigger: #"properties.twelve = 1.2E+1"#, expected: true),
        FQLCase(trigger: #"properties.twelve = 120e-1"#, expected: true),
        FQLCase(trigger: #"properties.twelve = 012"#, expected: true),
        FQLCase(trigger: #"properties.zero = -0"#, expected: true),
        FQLCase(trigger: #"properties.zero = 0.0"#, expected: true),
        FQLCase(trigger: #"properties.zero != 0"#, expected: false),
        FQLCase(trigger: #"properties.big = 1e21"#, expected: true),
        FQLCase(trigger: #"properties.big >= 999999999999999999999"#, expected: true),
        FQLCase(trigger: #"properties.big > 99999999999999999999"#, expected: true),
        // Escapes in strings
        FQLCase(trigger: #"properties.said = "she said \"hi\" \\o/""#, expected: true),
        FQLCase(trigger: #"contains(properties.said, "\"hi\"")"#, expected: true),
        FQLCase(trigger: #"match(properties.said, "*\\o/")"#, expected: true),
        FQLCase(trigger: #"properties.star = "a*b""#, expected: true),
        FQLCase(trigger: #"match(properties.star, "a*b")"#, expected: true),
        FQLCase(trigger: #"match(properties.text, "hello*world")"#, expected: true),
        FQLCase(trigger: #"match(properties.text, "hello*world*")"#, expected: true),
        FQLCase(trigger: #"match(properties.text, "*hello*world*")"#, expected: true),
        FQLCase(trigger: #"match(properties.text, "**")"#, expected: true),
        FQLCase(trigger: #"match(properties.text, "hello?world")"#, expected: false),
        FQLCase(trigger: #"match(properties.text, "hello world*d")"#, expected: false),
        FQLCase(trigger: #"match(properties.text, "*o*o*o*")"#, expected: false),
        FQLCase(trigger: #"match(properties.text, "*o*o*")"#, expected: true),
        FQLCase(trigger: #"match(properties.text, "hello*lo world")"#, expected: false),
        // Escapes in field names
        FQLCase(trigger: #"properties.product\ 1.price = 5"#, expected: true),
        FQLCase(trigger: #"properties.a\.b = "dotted""#, expected: true),
        FQLCase(trigger: #"properties.a.b = "dotted""#, expected: false),
        FQLCase(trigger: #"properties.quote\"d = "q""#, expected: true),
        FQLCase(trigger: #"properties.back\\slash = "b""#, expected: true),
        FQLCase(trigger: #"properties.\text = "hello world""#, expected: true),
        FQLCase(trigger: #"properties.café = "unicode key""#, expected: true),
        // Unicode: exact scalars, no normalisation
        FQLCase(trigger: #"properties.unicode = "café""#, expected: true),
        FQLCase(trigger: "properties.unicode = \"cafe\u{301}\"", expected: false),
        FQLCase(trigger: "properties.unicode != \"cafe\u{301}\"", expected: true),
        FQLCase(trigger: #"contains(properties.unicode, "é")"#, expected: true),
        FQLCase(trigger: #"match(properties.unicode, "*fé")"#, expected: true),
        // and / or / groups
        FQLCase(trigger: #"type = "track" and event = "Order Completed""#, expected: true),
        FQLCase(trigger: #"type = "track" and event = "Order Placed""#, expected: false),
        FQLCase(trigger: #"type = "page" and event = "Order Completed""#, expected: false),
        FQLCase(trigger: #"type = "page" or event = "Order Completed""#, expected: true),
        FQLCase(trigger: #"type = "page" or event = "Order Placed""#, expected: false),
        FQLCase(trigger: #"type = "track" and userId != null and properties.twelve >= 10"#, expected: true),
        FQLCase(trigger: #"type = "track" and userId != null and properties.twelve >= 13"#, expected: false),
        FQLCase(trigger: #"type = "page" or type = "screen" or type = "track""#, expected: true),
        FQLCase(trigger: #"type = "page" or type = "screen" or type = "identify""#, expected: false),
        FQLCase(trigger: #"type = "track" and (event = "Order Placed" or event = "Order Completed")"#, expected: true),
        FQLCase(trigger: #"type = "track" and (event = "Order Placed" or event = "Order Refunded")"#, expected: false),
        FQLCase(trigger: #"(type = "track" and event = "Order Placed") or (type = "track" and event = "Order Completed")"#, expected: true),
        FQLCase(trigger: #"(type = "track" and event = "Order Placed") or type = "page""#, expected: false),
        FQLCase(trigger: #"(type = "track" or type = "page") and (properties.twelve < 5 or properties.yes = true)"#, expected: true),
        FQLCase(trigger: #"((((type = "track"))))"#, expected: true),
        FQLCase(trigger: #"type = "track" and (event = "x" or (properties.yes = true and (properties.no = false)))"#, expected: true),
        FQLCase(trigger: #"type = "track" and !contains(event, "Refund") and !match(event, "Test*")"#, expected: true),
        FQLCase(trigger: #"type = "track" and event != "Order Completed" and event != "Cart Updated""#, expected: false),
        FQLCase(trigger: #"type = "track" AND event = "Order Completed""#, expected: true),
        FQLCase(trigger: #"type = "page" Or type = "track""#, expected: true),
        FQLCase(trigger: #"properties.yes = TRUE"#, expected: true),
        FQLCase(trigger: #"properties.nothing = Null"#, expected: true),
        FQLCase(trigger: #"CONTAINS(event, "Order")"#, expected: true),
        // Whitespace
        FQLCase(trigger: #"type="track""#, expected: true),
        FQLCase(trigger: #"type="track"and event="Order Completed""#, expected: true),
        FQLCase(trigger: "  type  =  \"track\"  ", expected: true),
        FQLCase(trigger: "\n      type = \"track\"\n      and event != \"Relationship Deleted\"\n", expected: true),
        FQLCase(trigger: "type\t=\t\"track\"\r\nand\tevent\t!=\t\"x\"", expected: true),
        FQLCase(trigger: #"contains ( event , "Order" )"#, expected: true),
        FQLCase(trigger: #"! contains(event, "Order")"#, expected: false),
        FQLCase(trigger: #"properties.twelve>11and properties.twelve<13"#, expected: true),
        // properties and traits read the same object, as in Segment
        FQLCase(trigger: #"traits.plan = "pro""#, expected: true, event: FQLFixtures.identify),
        FQLCase(trigger: #"properties.plan = "pro""#, expected: true, event: FQLFixtures.identify),
        FQLCase(trigger: #"properties.plan = "free""#, expected: false, event: FQLFixtures.identify),
        FQLCase(trigger: #"traits.logins >= 5"#, expected: true, event: FQLFixtures.identify),
        FQLCase(trigger: #"traits.plan = "team""#, expected: true, event: FQLFixtures.group),
        FQLCase(trigger: #"traits.text = "hello world""#, expected: true),
        FQLCase(trigger: #"properties.name = "Home""#, expected: true, event: FQLFixtures.page),
        // Events that are not objects, or empty
        FQLCase(trigger: #"type = null"#, expected: true, event: .string("track")),
        FQLCase(trigger: #"type != "track""#, expected: true, event: .array([])),
        FQLCase(trigger: #"type = "track""#, expected: false, event: .null),
        FQLCase(trigger: #"properties.text != null"#, expected: false, event: .object([:])),
        FQLCase(trigger: #"properties.text = null"#, expected: true, event: .object(["properties": .string("x")])),
    ]

    @Test(arguments: cases)
    func evaluates(_ c: FQLCase) throws {
        // Given a parsed trigger
        let trigger = try Trigger(parsing: c.trigger)
        // When it runs against the event, then the answer is as expected
        #expect(trigger.matches(c.event) == c.expected)
    }

    @Test func triggerKeepsItsSource() throws {
        // Given a trigger with irregular spacing
        let source = "type=\"track\"   AND event = \"Order Completed\""
        // When it is parsed
        let trigger = try Trigger(parsing: source)
        // Then the source is kept as written, and the expression prints canonically
        #expect(trigger.source == source)
        #expect(trigger.description == source)
        #expect(trigger.expression.description == #"type = "track" and event = "Order Completed""#)
    }
}
