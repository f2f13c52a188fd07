import SluiceCore
import Testing

/// An invalid trigger and the exact message it must be refused with.
struct FQLErrorCase: Sendable, CustomTestStringConvertible {
    var trigger: String
    var message: String
    var position: Int

    var testDescription: String { trigger.count > 60 ? String(trigger.prefix(60)) + "…" : trigger }
}

@Suite struct FQLParserTests {
    // MARK: - Refusals

    static let quoteHint = ": strings are written in double quotes"

    static let fields =
        "type, event, name, userId, anonymousId, groupId, previousId, messageId, or a path under properties, traits or context"

    static let errorCases: [FQLErrorCase] = [
        // Nothing, or not a condition
        FQLErrorCase(trigger: "", message: "Expected a condition at character 1, found the end of the trigger", position: 1),
        FQLErrorCase(trigger: "   ", message: "Expected a condition at character 4, found the end of the trigger", position: 4),
        FQLErrorCase(trigger: "()", message: #"Expected a condition at character 2, found ")""#, position: 2),
        FQLErrorCase(trigger: #"and type = "a""#, message: #"Expected a condition at character 1, found "and""#, position: 1),
        FQLErrorCase(trigger: #"= "a""#, message: #"Expected a condition at character 1, found "=""#, position: 1),
        FQLErrorCase(trigger: #""track""#, message: #"Expected a condition at character 1, found the string "track""#, position: 1),
        FQLErrorCase(trigger: "12 = 12", message: "Expected a field name (\(fields)) at character 1, found \"12\"", position: 1),
        FQLErrorCase(trigger: "-1 < 2", message: "Expected a field name (\(fields)) at character 1, found \"-1\"", position: 1),
        FQLErrorCase(trigger: #"type = "a" and"#, message: "Expected a condition at character 15, found the end of the trigger", position: 15),
        FQLErrorCase(
            trigger: #"type = "a" and (event = "b" or"#, message: "Expected a condition at character 31, found the end of the trigger",
            position: 31
        ),
        // Unknown fields
        FQLErrorCase(trigger: "foo = 1", message: "Expected a field name (\(fields)) at character 1, found \"foo\"", position: 1),
        FQLErrorCase(trigger: "Type = 1", message: "Expected a field name (\(fields)) at character 1, found \"Type\"", position: 1),
        FQLErrorCase(trigger: "true = true", message: "Expected a field name (\(fields)) at character 1, found \"true\"", position: 1),
        FQLErrorCase(
            trigger: "integrations.All = true", message: "Expected a field name (\(fields)) at character 1, found \"integrations.All\"",
            position: 1
        ),
        FQLErrorCase(
            trigger: #"type.name = "a""#,
            message: #"Expected an operator (=, !=, <, <=, >, >=) after "type" at character 5, found ".": type holds a single value"#,
            position: 5
        ),
        FQLErrorCase(
            trigger: #"match(event.name, "a*")"#,
            message: #"Expected "," after "event" at character 12, found ".": event holds a single value"#, position: 12
        ),
        // Field names
        FQLErrorCase(trigger: "properties. = 1", message: #"Expected a field name after "." at character 12, found " ""#, position: 12),
        FQLErrorCase(trigger: "properties..x = 1", message: #"Expected a field name after "." at character 12, found ".""#, position: 12),
        FQLErrorCase(
            trigger: "properties.", message: #"Expected a field name after "." at character 12, found the end of the trigger"#, position: 12),
        FQLErrorCase(
            trigger: #"properties.x\"#, message: #"Expected a character after "\" at character 14, found the end of the trigger"#, position: 14
        ),
        FQLErrorCase(
            trigger: "properties.product 1.price = 5",
            message: #"Expected an operator (=, !=, <, <=, >, >=) after "properties.product" at character 20, found "1.price""#, position: 20
        ),
        // Operators
        FQLErrorCase(
            trigger: "type", message: #"Expected an operator (=, !=, <, <=, >, >=) after "type" at character 5, found the end of the trigger"#,
            position: 5
        ),
        FQLErrorCase(
            trigger: #"event == "Order Completed""#,
            message: #"Expected an operator (=, !=, <, <=, >, >=) after "event" at character 7, found "==""#, position: 7
        ),
        FQLErrorCase(
            trigger: #"type is "track""#, message: #"Expected an operator (=, !=, <, <=, >, >=) after "type" at character 6, found "is""#,
            position: 6
        ),
        FQLErrorCase(
            trigger: #"type = "a" and event"#,
            message: #"Expected an operator (=, !=, <, <=, >, >=) after "event" at character 21, found the end of the trigger"#, position: 21
        ),
        FQLErrorCase(
            trigger: #"type <> "a""#, message: #"Expected a number after "<" at character 7, found ">": < compares numbers only"#, position: 7
        ),
        // Values
        FQLErrorCase(trigger: "type =", message: #"Expected a value after "=" at character 7, found the end of the trigger"#, position: 7),
        FQLErrorCase(trigger: "type = ", message: #"Expected a value after "=" at character 8, found the end of the trigger"#, position: 8),
        FQLErrorCase(
            trigger: "type = track", message: #"Expected a value after "=" at character 8, found "track": strings are written in double quotes"#,
            position: 8
        ),
        FQLErrorCase(
            trigger: "type = 'page'", message: #"Expected a value after "=" at character 8, found "'": strings are written in double quotes"#,
            position: 8
        ),
        FQLErrorCase(
            trigger: "type != nul", message: #"Expected a value after "!=" at character 9, found "nul": strings are written in double quotes"#,
            position: 9
        ),
        FQLErrorCase(
            trigger: #"type = ("a")"#, message: #"Expected a value after "=" at character 8, found "(""#, position: 8
        ),
        FQLErrorCase(
            trigger: "properties.x = .5", message: #"Expected a value after "=" at character 16, found ".""#, position: 16
        ),
        FQLErrorCase(
            trigger: #"properties.x < "10""#,
            message: #"Expected a number after "<" at character 16, found the string "10": < compares numbers only"#,
            position: 16
        ),
        FQLErrorCase(
            trigger: "properties.x >= true", message: #"Expected a number after ">=" at character 17, found "true": >= compares numbers only"#,
            position: 17
        ),
        FQLErrorCase(
            trigger: "properties.x > null", message: #"Expected a number after ">" at character 16, found "null": > compares numbers only"#,
            position: 16
        ),
        FQLErrorCase(
            trigger: "properties.x <= ",
            message: #"Expected a number after "<=" at character 17, found the end of the trigger: <= compares numbers only"#,
            position: 17
        ),
        // Strings
        FQLErrorCase(
            trigger: #"properties.x = "abc"#,
            message: #"Expected a closing " at character 20 for the string that starts at character 16, found the end of the trigger"#,
            position: 20
        ),
        FQLErrorCase(
            trigger: #"properties.x = "abc\"#,
            message: #"Expected a closing " at character 21 for the string that starts at character 16, found the end of the trigger"#,
            position: 21
        ),
        FQLErrorCase(
            trigger: #"properties.x = "a\nb""#, message: #"Expected \" or \\ after "\" in a string at character 19, found "n""#, position: 19
        ),
        FQLErrorCase(
            trigger: #"properties.x = "\u0041""#, message: #"Expected \" or \\ after "\" in a string at character 18, found "u""#, position: 18
        ),
        // Numbers
        FQLErrorCase(
            trigger: "properties.x = 1.", message: "Expected a digit after \".\" at character 18, found the end of the trigger", position: 18),
        FQLErrorCase(trigger: "properties.x = 1.e5", message: "Expected a digit after \".\" at character 18, found \"e\"", position: 18),
        FQLErrorCase(
            trigger: "properties.x = -", message: "Expected a digit after \"-\" at character 17, found the end of the trigger", position: 17),
        FQLErrorCase(trigger: "properties.x = +x", message: "Expected a digit after \"+\" at character 17, found \"x\"", position: 17),
        FQLErrorCase(trigger: "properties.x = - 1", message: "Expected a digit after \"-\" at character 17, found \" \"", position: 17),
        FQLErrorCase(
            trigger: "properties.x = 1e", message: "Expected a digit in the exponent at character 18, found the end of the trigger", position: 18),
        FQLErrorCase(
            trigger: "properties.x = 1e+", message: "Expected a digit in the exponent at character 19, found the end of the trigger", position: 19),
        FQLErrorCase(
            trigger: "properties.x = 1e999",
            message: "Expected a number between -1.7976931348623157e308 and 1.7976931348623157e308 at character 16, found \"1e999\"", position: 16
        ),
        FQLErrorCase(
            trigger: "properties.x = 12abc",
            message: #"Expected "and", "or" or the end of the trigger at character 18, found "abc""#, position: 18
        ),
        // Joining conditions
        FQLErrorCase(
            trigger: #"type = "track", event = "X""#, message: #"Expected "and", "or" or the end of the trigger at character 15, found ",""#,
            position: 15
        ),
        FQLErrorCase(
            trigger: #"type = "a" event = "b""#, message: #"Expected "and", "or" or the end of the trigger at character 12, found "event""#,
            position: 12
        ),
        FQLErrorCase(
            trigger: #"type = "a" andevent = "b""#,
            message: #"Expected "and", "or" or the end of the trigger at character 12, found "andevent""#, position: 12
        ),
        FQLErrorCase(
            trigger: #"type = "a" && event = "b""#, message: #"Expected "and", "or" or the end of the trigger at character 12, found "&""#,
            position: 12
        ),
        FQLErrorCase(
            trigger: ##"type = "a" #"##, message: ##"Expected "and", "or" or the end of the trigger at character 12, found "#""##, position: 12
        ),
        FQLErrorCase(
            trigger: #"type = "a" "b""#, message: #"Expected "and", "or" or the end of the trigger at character 12, found the string "b""#,
            position: 12
        ),
        FQLErrorCase(
            trigger: #"type = "a")"#, message: #"Expected "and", "or" or the end of the trigger at character 11, found ")""#, position: 11
        ),
        FQLErrorCase(
            trigger: #"type = "a" and event = "b" or event = "c""#,
            message: #"Expected "and" at character 28, found "or": use parentheses to combine "and" with "or""#, position: 28
        ),
        FQLErrorCase(
            trigger: #"type = "a" or event = "b" AND event = "c""#,
            message: #"Expected "or" at character 27, found "AND": use parentheses to combine "and" with "or""#, position: 27
        ),
        FQLErrorCase(
            trigger: #"(type = "a" or type = "b") and event = "c" or event = "d""#,
            message: #"Expected "and" at character 44, found "or": use parentheses to combine "and" with "or""#, position: 44
        ),
        FQLErrorCase(
            trigger: #"type = "a" and (event = "b" or event = "c" and event = "d")"#,
            message: #"Expected "or" at character 44, found "and": use parentheses to combine "and" with "or""#, position: 44
        ),
        // Groups
        FQLErrorCase(
            trigger: #"(type = "a""#, message: #"Expected "and", "or" or ")" at character 12, found the end of the trigger"#, position: 12
        ),
        FQLErrorCase(
            trigger: #"((type = "a")"#, message: #"Expected "and", "or" or ")" at character 14, found the end of the trigger"#, position: 14
        ),
        FQLErrorCase(
            trigger: #"(type = "a" event = "b")"#, message: #"Expected "and", "or" or ")" at character 13, found "event""#, position: 13
        ),
        // Functions
        FQLErrorCase(
            trigger: "contains properties.x", message: #"Expected "(" after "contains" at character 10, found "properties.x""#, position: 10
        ),
        FQLErrorCase(
            trigger: #"contains("a", "b")"#,
            message: #"Expected a field name as the first argument of contains() at character 10, found the string "a""#, position: 10
        ),
        FQLErrorCase(
            trigger: #"contains(properties.x "a")"#,
            message: #"Expected "," after the first argument of contains() at character 23, found the string "a""#, position: 23
        ),
        FQLErrorCase(
            trigger: #"contains(properties.x, a)"#,
            message: #"Expected a double-quoted string as the second argument of contains() at character 24, found "a""# + quoteHint,
            position: 24
        ),
        FQLErrorCase(
            trigger: #"match(properties.x, 12)"#,
            message: #"Expected a double-quoted string as the second argument of match() at character 21, found "12""# + quoteHint,
            position: 21
        ),
        FQLErrorCase(
            trigger: #"contains(properties.x, "a""#,
            message: #"Expected ")" after the second argument of contains() at character 27, found the end of the trigger"#, position: 27
        ),
        FQLErrorCase(
            trigger: #"contains(properties.x, "a", "b")"#,
            message: #"Expected ")" after the second argument of contains() at character 27, found ",""#, position: 27
        ),
        FQLErrorCase(
            trigger: #"contains(foo, "a")"#, message: "Expected a field name (\(fields)) at character 10, found \"foo\"", position: 10
        ),
        FQLErrorCase(trigger: #"!type = "a""#, message: #"Expected contains( or match( after "!" at character 2, found "type""#, position: 2),
        FQLErrorCase(trigger: "!", message: #"Expected contains( or match( after "!" at character 2, found the end of the trigger"#, position: 2),
        FQLErrorCase(trigger: #"!(type = "a")"#, message: #"Expected contains( or match( after "!" at character 2, found "(""#, position: 2),
        FQLErrorCase(
            trigger: #"starts_with(event, "a")"#, message: "Expected a field name (\(fields)) at character 1, found \"starts_with\"", position: 1
        ),
        // Positions count Unicode scalars, newlines included
        FQLErrorCase(
            trigger: "properties.café = \"é\" or", message: "Expected a condition at character 25, found the end of the trigger", position: 25
        ),
        FQLErrorCase(
            trigger: "type = \"track\"\nand event = track",
            message: #"Expected a value after "=" at character 28, found "track": strings are written in double quotes"#, position: 28
        ),
        // Long tokens are shortened in messages
        FQLErrorCase(
            trigger: "type = " + String(repeating: "a", count: 40),
            message: "Expected a value after \"=\" at character 8, found \"\(String(repeating: "a", count: 32))…\"" + quoteHint,
            position: 8
        ),
    ]

    @Test(arguments: errorCases)
    func refuses(_ c: FQLErrorCase) {
        // When an invalid trigger is parsed, then it is refused with the exact message and position
        #expect(throws: FQLError(message: c.message, position: c.position)) {
            try Trigger(parsing: c.trigger)
        }
    }

    @Test func refusesDeepNesting() throws {
        // Given 64 nested groups, which are allowed
        let allowed = String(repeating: "(", count: 64) + #"type = "a""# + String(repeating: ")", count: 64)
        _ = try Trigger(parsing: allowed)
        // When one more group is opened, then the 65th "(" is refused
        let tooDeep = String(repeating: "(", count: 65) + #"type = "a""# + String(repeating: ")", count: 65)
        #expect(throws: FQLError(message: #"Expected at most 64 nested groups at character 65, found another "(""#, position: 65)) {
            try Trigger(parsing: tooDeep)
        }
        // And a huge run of "(" is refused as quickly
        #expect(throws: FQLError.self) { try Trigger(parsing: String(repeating: "(", count: 9_999)) }
    }

    @Test func refusesLongTriggers() throws {
        // Given a valid trigger of exactly 10,000 characters
        let condition = #"type = "track""#
        let padded = condition + String(repeating: " ", count: 10_000 - condition.count)
        _ = try Trigger(parsing: padded)
        // When it grows by one character, then it is refused
        #expect(
            throws: FQLError(
                message: "Expected the end of the trigger at character 10001: a trigger has at most 10000 characters", position: 10_001
            )
        ) {
            try Trigger(parsing: padded + " ")
        }
        // And a very large input is refused the same way
        #expect(throws: FQLError.self) { try Trigger(parsing: String(repeating: "type = \"a\" or ", count: 1_000_000)) }
    }

    @Test func errorBecomesA422NamingTheTrigger() {
        // Given a parse error
        let error = FQLError(message: "Expected a value after \"=\" at character 8, found the end of the trigger", position: 8)
        // Then it renders as a validation error on the trigger field
        #expect(error.validationError() == ValidationError(error.message, field: "trigger"))
        #expect(error.validationError(field: "input.trigger").field == "input.trigger")
    }

    // MARK: - Trees

    static func field(_ root: String, _ keys: String...) -> FQLField { FQLField(root: root, keys: keys) }

    static func condition(_ field: FQLField, _ operation: FQLOperation) -> FQLExpression {
        .condition(FQLCondition(field: field, operation: operation))
    }

    @Test func parsesToTheExpectedTree() throws {
        let type = Self.condition(Self.field("type"), .equal(.string("track")))
        let completed = Self.condition(Self.field("event"), .equal(.string("Order Completed")))
        let refunded = Self.condition(Self.field("event"), .equal(.string("Order Refunded")))
        let cases: [(String, FQLExpression)] = [
            (#"type = "track""#, type),
            (#"((type = "track"))"#, type),
            (#"type = "track" and event = "Order Completed""#, .and([type, completed])),
            (#"type = "track" and (event = "Order Completed" or event = "Order Refunded")"#, .and([type, .or([completed, refunded])])),
            (#"(type = "track" and event = "Order Completed") and event = "Order Refunded""#, .and([.and([type, completed]), refunded])),
            (#"properties.product\ 1.price >= -1.5e2"#, Self.condition(Self.field("properties", "product 1", "price"), .greaterOrEqual(-150))),
            (#"traits.a\.b != null"#, Self.condition(Self.field("traits", "a.b"), .notEqual(.null))),
            (#"context.x = false"#, Self.condition(Self.field("context", "x"), .equal(.bool(false)))),
            (#"properties.q = "a \"b\" \\ c""#, Self.condition(Self.field("properties", "q"), .equal(.string(#"a "b" \ c"#)))),
            (#"!match(userId, "*@example.com")"#, Self.condition(Self.field("userId"), .notMatch(FQLPattern("*@example.com")))),
            (#"contains(context.page.path, "/docs")"#, Self.condition(Self.field("context", "page", "path"), .contains("/docs"))),
            (#"!contains(event, "Test")"#, Self.condition(Self.field("event"), .notContains("Test"))),
            (#"properties.n < 1"#, Self.condition(Self.field("properties", "n"), .less(1))),
            (#"properties.n <= 1"#, Self.condition(Self.field("properties", "n"), .lessOrEqual(1))),
            (#"properties.n > 1"#, Self.condition(Self.field("properties", "n"), .greater(1))),
            (#"properties != null"#, Self.condition(Self.field("properties"), .notEqual(.null))),
        ]
        for (source, expected) in cases {
            // When each is parsed, then the tree is as expected
            #expect(try Trigger(parsing: source).expression == expected, "\(source)")
        }
    }

    @Test(arguments: [
        #"type = "track""#,
        #"type = "track" and event = "Order Completed""#,
        #"type = "track" and (event = "a" or (event = "b" and properties.x > 1))"#,
        #"properties.product\ 1.price >= -150"#,
        #"properties.a\.b\\c\"d = "x \"y\" \\ z""#,
        #"properties.f = 0.25 or properties.g = 1e+21 or properties.h = -1.5e-07"#,
        #"!contains(event, "a") and !match(name, "*b") and match(userId, "c*")"#,
        #"traits.café != null and context.page.path = null and properties.yes = true"#,
    ])
    func descriptionParsesBackToTheSameTree(_ source: String) throws {
        // Given a parsed trigger
        let expression = try Trigger(parsing: source).expression
        // When its canonical text is parsed again, then the tree is the same
        #expect(try Trigger(parsing: expression.description).expression == expression)
        #expect(expression.description == source)
    }

    /// Triggers from the catalog's presets and default triggers, which must parse as they are.
    @Test(arguments: [
        #"type = "identify""#,
        #"type="page""#,
        #"type = "track" and event != "Order Completed" and event != "Cart Updated""#,
        #"type = "track" AND event = "Signed Up""#,
        #"type = "page" and properties.name != "Home" and properties.name != "Land""#,
        #"event = "Audience Entered" or event = "Audience Exited""#,
        #"type = "track" or type ="screen""#,
        "type = \"track\" or type = \"identify\" or type = \"group\" or type = \"page\" or\ntype = \"alias\"",
        "type = \"track\" and (event = \"Checkout Started\" or event = \"Checkout Step\nViewed\")",
        "\n      type = \"track\"\n      and event != \"Relationship Deleted\"\n      and event != \"User Deleted\"",
    ])
    func parsesCatalogTriggers(_ source: String) throws {
        _ = try Trigger(parsing: source)
    }

    // MARK: - Arbitrary input

    @Test func arbitraryInputNeverCrashes() {
        // Given deterministic pseudo-random triggers made of FQL's own pieces and stray characters
        let pieces = [
            "type", "event", "properties.a", "traits.b\\ c", "context.x.0", "userId", "name", "foo", " ", "  ", "\n", "=", "!=", "<", "<=",
            ">", ">=", "==", "!", "(", ")", ",", "and", "or", "AND", "\"x\"", "\"y\\\"z\"", "\"", "\\", "12", "-1.5", "1e3", "1e", "+",
            "true", "false", "null", "contains", "match", "\"a*\"", "*", ".", "'", "é", "\u{0}", "#",
            #"type = "track""#, #"properties.a >= -1"#, " and ", " or ", " AND ", #"contains(event, "O")"#, #"!match(name, "*x")"#,
            #"traits.b\ c != null"#, #"context.x.0 = true"#, #"properties.a = 1e3"#,
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var parsed = 0
        for _ in 0..<3_000 {
            var source = ""
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            for _ in 0..<Int(state >> 60) + 1 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                source += pieces[Int(state >> 33) % pieces.count]
            }
            // When each is parsed
            do {
                let trigger = try Trigger(parsing: source)
                parsed += 1
                // Then a success prints back to the same tree, and evaluates without trouble
                #expect(try Trigger(parsing: trigger.expression.description).expression == trigger.expression, "\(source)")
                _ = trigger.matches(FQLFixtures.track)
            } catch {
                // And a refusal points inside the trigger or just past its end
                #expect((1...source.unicodeScalars.count + 1).contains(error.position), "\(source)")
                #expect(error.message.hasPrefix("Expected "), "\(source)")
            }
        }
        #expect(parsed > 0)
    }

    @Test func generatedTreesPrintAndParseBack() throws {
        // Given pseudo-random trees with awkward keys, strings and numbers
        var generator = TreeGenerator(state: 7)
        for _ in 0..<500 {
            let expression = generator.expression(depth: 3)
            // When a tree is printed and parsed again, then it comes back unchanged
            let trigger = try Trigger(parsing: expression.description)
            #expect(trigger.expression == expression, "\(expression)")
            _ = trigger.matches(FQLFixtures.track)
        }
    }

    /// Builds random valid trees (groups of two to four members, never mixing joiners within one group).
    struct TreeGenerator {
        var state: UInt64

        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }

        mutating func expression(depth: Int) -> FQLExpression {
            guard depth > 0, next(3) > 0 else { return .condition(condition()) }
            let members = (0..<(2 + next(3))).map { _ in expression(depth: depth - 1) }
            return next(2) == 0 ? .and(members) : .or(members)
        }

        mutating func condition() -> FQLCondition {
            let keys = ["a", "product 1", "a.b", "q\"d", "back\\slash", "café", "0", "-x", "emoji 🎉", "tab\tkey", "(paren)"]
            let field: FQLField
            if next(2) == 0 {
                field = FQLField(root: FQLField.scalarRoots[next(FQLField.scalarRoots.count)])
            } else {
                field = FQLField(
                    root: FQLField.objectRoots[next(FQLField.objectRoots.count)], keys: (0..<(1 + next(3))).map { _ in keys[next(keys.count)] }
                )
            }
            let strings = ["", "x", "she said \"hi\"", "\\", "a*b", "é", "line\nbreak", " spaced "]
            let numbers: [Double] = [0, -1, 1.5, -0.25, 1e21, 123_456_789, 1e-7, -3e300]
            let operation: FQLOperation
            switch next(10) {
            case 0: operation = .equal(.string(strings[next(strings.count)]))
            case 1: operation = .notEqual(.number(numbers[next(numbers.count)]))
            case 2: operation = .equal(.bool(next(2) == 0))
            case 3: operation = next(2) == 0 ? .equal(.null) : .notEqual(.null)
            case 4: operation = .less(numbers[next(numbers.count)])
            case 5: operation = .greaterOrEqual(numbers[next(numbers.count)])
            case 6: operation = .contains(strings[next(strings.count)])
            case 7: operation = .notContains(strings[next(strings.count)])
            case 8: operation = .match(FQLPattern(strings[next(strings.count)]))
            default: operation = .notMatch(FQLPattern(strings[next(strings.count)]))
            }
            return FQLCondition(field: field, operation: operation)
        }
    }

    @Test func arbitraryBytesNeverCrash() {
        // Given pseudo-random bytes decoded leniently as UTF-8
        var state: UInt64 = 42
        for length in 0..<400 {
            var bytes: [UInt8] = []
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 56))
            }
            let source = String(decoding: bytes, as: UTF8.self)
            // When parsed, then it either parses or is refused with a position inside it
            do {
                _ = try Trigger(parsing: source)
            } catch {
                #expect((1...source.unicodeScalars.count + 1).contains(error.position))
            }
        }
    }
}
