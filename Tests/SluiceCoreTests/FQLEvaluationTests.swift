import Foundation
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
    /// A track event with the usual fields.
    static let track: JSONValue = try! JSONValue.parse(
        #"""
        {"type": "track", "event": "Order Completed", "userId": "user-1", "messageId": "m-1",
         "properties": {"text": "hello world", "total": 120, "items": [{"sku": "A1"}]},
         "context": {"page": {"path": "/home", "title": "Home"}, "ip": "1.1.1.1"}}
        """#
    )

    /// The value of each JSON type, by the key that holds it in ``typed(_:)`` (keys chosen so that
    /// Segment's lexer reads them as plain names: `null` or `true` would be keywords there).
    static let values: KeyValuePairs<String, JSONValue> = [
        "str": "hello world", "num": 12, "yes": true, "no": false, "nil": .null,
        "obj": ["inner": "x"], "arr": [1, "two"], "numstr": "12", "truestr": "true", "nullstr": "null",
    ]

    /// An event of `type` whose `properties`, `traits` and `context` each hold every value of ``values``.
    static func typed(_ type: String) -> JSONValue {
        let bag = JSONValue.object(Dictionary(uniqueKeysWithValues: values.map { ($0.key, $0.value) }))
        return ["type": .string(type), "properties": bag, "traits": bag, "context": bag]
    }

    /// An event whose `type`, `event`, `name` and `userId` all hold `value` (all absent for `nil`).
    static func topLevel(_ value: JSONValue?) -> JSONValue {
        guard let value else { return .object([:]) }
        return ["type": value, "event": value, "name": value, "userId": value]
    }
}

/// Trigger evaluation, rule by rule, as Segment's evaluator decides (`validate` and `parseFql` of
/// `@segment/destination-subscriptions`); docs/fql.md is the prose form. Every expectation here was also
/// checked against Segment's own code (FQLSegmentAgreementTests holds the recorded answers).
@Suite struct FQLEvaluationTests {
    // MARK: - validateValue on properties, traits and context

    /// The kinds of value a path can find: each key of `FQLFixtures.values`, a missing key, and a path below a
    /// missing key.
    static let kinds = ["str", "num", "yes", "no", "nil", "obj", "arr", "missing", "missing.deep"]
    static let all = Set(kinds)
    static let absent: Set<String> = ["nil", "missing", "missing.deep"]

    /// Each row: a trigger with `$` for the path, and the kinds for which Segment's evaluator says it holds.
    static let objectRootTable: [(String, Set<String>)] = [
        // `= "text"` is `actual === "text"`: strings only; `!= "text"` is its negation, so also every other type.
        (#"$ = "hello world""#, ["str"]),
        (#"$ != "hello world""#, all.subtracting(["str"])),
        (#"$ = "12""#, []),
        // `= <number>` is number_equals, `!= <number>` number_not_equals: JSON numbers only, never absent.
        (#"$ = 12"#, ["num"]),
        (#"$ = 12.0"#, ["num"]),
        (#"$ != 12"#, []),
        (#"$ != 13"#, ["num"]),
        // `= true` / `= false` are is_true / is_false: JSON booleans only.
        (#"$ = true"#, ["yes"]),
        (#"$ = false"#, ["no"]),
        // `!= true` has no typed form: it is `actual !== "true"`, which every non-string value satisfies.
        (#"$ != true"#, all),
        (#"$ != false"#, all),
        // `= null` is not_exists (null, missing, below a missing key); `!= null` is exists.
        (#"$ = null"#, absent),
        (#"$ != null"#, all.subtracting(absent)),
        // `<`, `<=`, `>`, `>=`: `typeof actual === 'number'` and the comparison.
        (#"$ < 13"#, ["num"]),
        (#"$ < 12"#, []),
        (#"$ <= 12"#, ["num"]),
        (#"$ > 11"#, ["num"]),
        (#"$ >= 12.5"#, []),
        // contains / not_contains: strings only, so a negation is false for every other type.
        (#"contains($, "lo wo")"#, ["str"]),
        (#"contains($, "")"#, ["str"]),
        (#"!contains($, "xyz")"#, ["str"]),
        (#"!contains($, "hello")"#, []),
        // match with a trailing `*` is starts_with (the pattern less its last character) …
        (#"match($, "hello*")"#, ["str"]),
        (#"match($, "*")"#, ["str"]),
        (#"!match($, "bye*")"#, ["str"]),
        (#"!match($, "hello*")"#, []),
        // … and ends_with otherwise (the pattern less its first character, whatever it is).
        (#"match($, "*world")"#, ["str"]),
        (#"!match($, "*world")"#, []),
        (#"!match($, "*moon")"#, ["str"]),
        (#"match($, "hello world")"#, ["str"]),
        (#"match($, "Xhello world")"#, ["str"]),
        (#"match($, "h*d")"#, []),
        (#"match($, "*lo w*")"#, []),
    ]

    static let objectRootCases: [FQLCase] = ["properties", "traits", "context"].flatMap { root in
        objectRootTable.flatMap { template, holds in
            kinds.map { kind in
                FQLCase(
                    trigger: template.replacingOccurrences(of: "$", with: "\(root).\(kind)"), expected: holds.contains(kind),
                    event: FQLFixtures.typed("track"))
            }
        }
    }

    @Test(arguments: objectRootCases)
    func objectRoots(_ c: FQLCase) throws {
        #expect(try Trigger(parsing: c.trigger).matches(c.event) == c.expected)
    }

    // MARK: - validateCondition on type, event, name and userId

    /// The values a top-level field takes in `FQLFixtures.topLevel(_:)`; `missing` is an event without it.
    static let topLevelValues: KeyValuePairs<String, JSONValue?> = [
        "str": "hello world", "numstr": "12", "truestr": "true", "nullstr": "null", "num": 12, "yes": true, "no": false,
        "nil": .null, "missing": nil,
    ]
    static let topAll = Set(topLevelValues.map(\.key))

    /// Each row: a trigger with `$` for the field, and for each field the kinds for which it holds.
    /// `type` and `event` have no typed operators at all; `name` has exists / not_exists; `userId` has those
    /// and is_true / is_false; none has number_equals: `= 12` compares with the string "12".
    static let topLevelTable: [(String, [String: Set<String>])] = [
        (#"$ = "hello world""#, ["type": ["str"], "event": ["str"], "name": ["str"], "userId": ["str"]]),
        (#"$ != "hello world""#, fieldsAll(topAll.subtracting(["str"]))),
        (#"$ = 12"#, fieldsAll(["numstr"])),
        (#"$ != 12"#, fieldsAll(topAll.subtracting(["numstr"]))),
        (#"$ < 13"#, fieldsAll(["num"])),
        (#"$ >= 12"#, fieldsAll(["num"])),
        (#"$ = true"#, ["type": ["truestr"], "event": ["truestr"], "name": ["truestr"], "userId": ["yes"]]),
        (#"$ = false"#, ["type": [], "event": [], "name": [], "userId": ["no"]]),
        (#"$ != true"#, fieldsAll(topAll.subtracting(["truestr"]))),
        (
            #"$ = null"#,
            ["type": ["nullstr"], "event": ["nullstr"], "name": ["nil", "missing"], "userId": ["nil", "missing"]]
        ),
        (
            #"$ != null"#,
            [
                "type": topAll.subtracting(["nullstr"]), "event": topAll.subtracting(["nullstr"]),
                "name": topAll.subtracting(["nil", "missing"]), "userId": topAll.subtracting(["nil", "missing"]),
            ]
        ),
        // Functions apply to event, name and userId; on `type` Segment's parser adds no condition, and a
        // trigger left with none is an error that matches nothing.
        (#"contains($, "lo w")"#, ["type": [], "event": ["str"], "name": ["str"], "userId": ["str"]]),
        (#"!contains($, "xyz")"#, ["type": [], "event": topStrings, "name": topStrings, "userId": topStrings]),
        (#"match($, "hello*")"#, ["type": [], "event": ["str"], "name": ["str"], "userId": ["str"]]),
        (
            #"!match($, "*world")"#,
            [
                "type": [], "event": topStrings.subtracting(["str"]), "name": topStrings.subtracting(["str"]),
                "userId": topStrings.subtracting(["str"]),
            ]
        ),
    ]
    static let topStrings: Set<String> = ["str", "numstr", "truestr", "nullstr"]

    static func fieldsAll(_ kinds: Set<String>) -> [String: Set<String>] {
        ["type": kinds, "event": kinds, "name": kinds, "userId": kinds]
    }

    static let topLevelCases: [FQLCase] = topLevelTable.flatMap { template, byField in
        byField.sorted(by: { $0.key < $1.key }).flatMap { field, holds in
            topLevelValues.map { kind, value in
                FQLCase(
                    trigger: template.replacingOccurrences(of: "$", with: field), expected: holds.contains(kind),
                    event: FQLFixtures.topLevel(value))
            }
        }
    }

    @Test(arguments: topLevelCases)
    func topLevelFields(_ c: FQLCase) throws {
        #expect(try Trigger(parsing: c.trigger).matches(c.event) == c.expected)
    }

    // MARK: - Which object a path reads

    /// `properties.…` reads `event.properties` and `traits.…` reads `event.traits`, whatever the type.
    static let eventTypeCases: [FQLCase] = ["track", "identify", "group", "page", "screen", "alias"].flatMap { type in
        let event: JSONValue = ["type": .string(type), "properties": ["plan": "p"], "traits": ["plan": "t"]]
        return [
            FQLCase(trigger: #"properties.plan = "p""#, expected: true, event: event),
            FQLCase(trigger: #"traits.plan = "t""#, expected: true, event: event),
            FQLCase(trigger: #"properties.plan = "t""#, expected: false, event: event),
            FQLCase(trigger: #"traits.plan = "p""#, expected: false, event: event),
            FQLCase(trigger: "type = \"\(type)\"", expected: true, event: event),
        ]
    }

    @Test(arguments: eventTypeCases)
    func eachEventTypeReadsItsOwnObjects(_ c: FQLCase) throws {
        #expect(try Trigger(parsing: c.trigger).matches(c.event) == c.expected)
    }

    // MARK: - Segment's `get`, the parser's grouping, and its lexer

    static let cases: [FQLCase] = [
        // get: `previous && previous[key]`, so a falsy value stops the walk and is the answer.
        FQLCase(trigger: #"properties.zero.deeper = 0"#, expected: true, event: ["properties": ["zero": 0]]),
        FQLCase(trigger: #"properties.empty.deeper = """#, expected: true, event: ["properties": ["empty": ""]]),
        FQLCase(trigger: #"properties.no.deeper = false"#, expected: true, event: ["properties": ["no": false]]),
        FQLCase(trigger: #"properties.text.deeper = null"#, expected: true),
        // get: arrays and strings answer `length` and their indexes.
        FQLCase(trigger: #"properties.items.length = 1"#, expected: true),
        FQLCase(trigger: #"properties.text.length > 10"#, expected: true),
        FQLCase(trigger: #"properties.text.0 = "h""#, expected: false),  // `.0` lexes as a number: no path
        FQLCase(trigger: #"context.page.path = "/home""#, expected: true),
        // get: inherited members of JavaScript objects exist.
        FQLCase(trigger: #"properties.constructor != null"#, expected: true),
        FQLCase(trigger: #"properties.toString = null"#, expected: false),
        // A root alone reads a key of its own name below it (`properties.properties`).
        FQLCase(trigger: #"context != null"#, expected: false),
        FQLCase(trigger: #"context != null"#, expected: true, event: ["context": ["context": 1]]),
        // Names Segment's parser does not know add no condition: a lone one matches nothing, and beside
        // another condition it is ignored.
        FQLCase(trigger: #"anonymousId = null"#, expected: false),
        FQLCase(trigger: #"type = "track" and anonymousId = "nobody""#, expected: true),
        FQLCase(trigger: #"messageId = "m-1""#, expected: false),
        // and / or: every member / some member, left to right.
        FQLCase(trigger: #"type = "track" and event = "Order Completed""#, expected: true),
        FQLCase(trigger: #"type = "track" and event = "Order Placed""#, expected: false),
        FQLCase(trigger: #"type = "page" or event = "Order Completed""#, expected: true),
        FQLCase(trigger: #"type = "page" or event = "Order Placed""#, expected: false),
        FQLCase(trigger: #"type = "track" and (event = "Order Placed" or event = "Order Completed")"#, expected: true),
        FQLCase(trigger: #"(type = "track" and event = "Order Placed") or type = "page""#, expected: false),
        // A group ends at the first `)`: a second level of parentheses makes the parser fail.
        FQLCase(trigger: #"((type = "track"))"#, expected: false),
        FQLCase(trigger: #"type = "track" and (event = "x" or (userId = "user-1"))"#, expected: false),
        // … and a function call inside a group ends the group early.
        FQLCase(trigger: #"(contains(event, "Order") and type = "page") or userId = "x""#, expected: true),
        // Keywords are lower case only: `AND` and `Or` are names that add nothing, so the joiner stays `and`.
        FQLCase(trigger: #"type = "track" AND event = "Order Completed""#, expected: true),
        FQLCase(trigger: #"type = "page" Or type = "track""#, expected: false),
        FQLCase(trigger: #"properties.yes = TRUE"#, expected: false, event: FQLFixtures.typed("track")),
        FQLCase(trigger: #"CONTAINS(event, "Order")"#, expected: false),
        // Lexer: `!=`, `<=` and `>=` need white space after them, names need a terminator after them.
        FQLCase(trigger: #"event !="x""#, expected: false),
        FQLCase(trigger: #"event != "x""#, expected: true),
        FQLCase(trigger: #"properties.total >=100"#, expected: false),
        FQLCase(trigger: #"properties.total>100"#, expected: false),
        FQLCase(trigger: #"type="track""#, expected: true),
        // Lexer: only space, tab and line feed are white space; a carriage return after a number fails it …
        FQLCase(trigger: "properties.total = 120\nor type = \"page\"", expected: true),
        FQLCase(trigger: "properties.total = 120\r\nor type = \"page\"", expected: false),
        // … and after a string it keeps the closing quote, which opens a string running to the next quote.
        FQLCase(trigger: "type = \"track\"\r\nand event = \"Order Placed\"", expected: true),
        // Lexer: strings have no escapes (the backslash is kept), numbers no exponent.
        FQLCase(trigger: #"event = "a\\b""#, expected: true, event: ["event": "a\\\\b"]),
        FQLCase(trigger: #"properties.total = 1.2e2"#, expected: false),
        FQLCase(trigger: #"properties.total = 120.0"#, expected: true),
        // `String(number)` is JavaScript's: `event = 1.50` compares with "1.5".
        FQLCase(trigger: #"event = 1.50"#, expected: true, event: ["event": "1.5"]),
        FQLCase(trigger: #"userId = +3"#, expected: true, event: ["userId": "3"]),
        // Events that are not objects have no fields; a null event matches nothing.
        FQLCase(trigger: #"type != "track""#, expected: true, event: .array([])),
        FQLCase(trigger: #"type != "track""#, expected: false, event: .null),
    ]

    @Test(arguments: cases)
    func evaluates(_ c: FQLCase) throws {
        #expect(try Trigger(parsing: c.trigger).matches(c.event) == c.expected)
    }

    @Test func notesWhereSegmentReadsATriggerDifferently() throws {
        // Read as written: no note
        #expect(try Trigger(parsing: #"type = "track" and (event = "a" or properties.x > 1)"#).segmentReadingNote == nil)
        // A condition Segment's parser drops
        let dropped = try Trigger(parsing: #"type = "track" and anonymousId = "x""#).segmentReadingNote
        #expect(dropped?.contains("reads 1 of the 2 conditions") == true)
        #expect(try Trigger(parsing: #"contains(type, "tr") or event = "a""#).segmentReadingNote?.contains("1 of the 2") == true)
        // A trigger it cannot read at all
        #expect(try Trigger(parsing: #"((type = "track"))"#).segmentReadingNote?.contains("matches no event") == true)
        // A keyword not in lower case
        #expect(try Trigger(parsing: #"type = "page" OR type = "track""#).segmentReadingNote?.contains(#""OR" is a name"#) == true)
        #expect(try Trigger(parsing: #"properties.ok = TRUE"#).segmentReadingNote?.contains(#""TRUE""#) == true)
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
