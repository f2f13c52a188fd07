import SluiceCore
import Testing

/// A statement that must not parse: the message and the 1-based character it names.
struct FilterQueryErrorCase: CustomTestStringConvertible, Sendable {
    let query: String
    let message: String
    let position: Int
    init(_ query: String, _ message: String, _ position: Int) {
        self.query = query
        self.message = message
        self.position = position
    }
    var testDescription: String { query }
}

@Suite struct FilterQueryErrorTests {
    // MARK: - Parse errors say what was expected, where, and what was found

    @Test(arguments: [
        FilterQueryErrorCase("", "Expected a condition or \"all\" at character 1, found the end of the filter", 1),
        FilterQueryErrorCase(
            "userId = oops\"",
            "Expected a closing \" at character 15 for the string that starts at character 14, found the end of the filter", 15),
        FilterQueryErrorCase("event = ", "Expected a value after \"=\" at character 9, found the end of the filter", 9),
        FilterQueryErrorCase("event == 'a'", "Expected a value after \"=\" at character 8, found \"=\"", 8),
        FilterQueryErrorCase("event = 'a' 'b'", "Expected an operator or the end of the filter at character 13, found \"'b'\"", 13),
        FilterQueryErrorCase("a = b = c", "Expected an operator or the end of the filter at character 7, found \"=\"", 7),
        FilterQueryErrorCase("(a = 1", "Expected \")\" to close the \"(\" at character 1 at character 7, found the end of the filter", 7),
        FilterQueryErrorCase(
            "a in [1, 2", "Expected \",\" or \"]\" to close the \"[\" at character 6 at character 11, found the end of the filter", 11),
        FilterQueryErrorCase("contains(a 'b')", "Expected \",\" or \")\" to close the \"(\" at character 9 at character 12, found \"'b'\"", 12),
        FilterQueryErrorCase("match(a)", "Expected 2 arguments for match at character 1, found 1", 1),
        FilterQueryErrorCase("length()", "Expected 1 argument for length at character 1, found 0", 1),
        FilterQueryErrorCase(
            "nope(a)",
            "Expected a function (contains, length, lowercase, uppercase, snakecase, kebabcase, titlecase, typeof, match, bool, string, "
                + "number) at character 1, found \"nope\"", 1),
        FilterQueryErrorCase("a and or b", "Expected a value at character 7, found \"or\"", 7),
        FilterQueryErrorCase("a and", "Expected a value at character 6, found the end of the filter", 6),
        FilterQueryErrorCase("a = #", "Expected a value after \"=\" at character 5, found \"#\"", 5),
        FilterQueryErrorCase("a in", "Expected a list after \"in\" at character 5, found the end of the filter", 5),
        FilterQueryErrorCase("properties.", "Expected a field name after \".\" at character 12, found the end of the filter", 12),
        FilterQueryErrorCase("properties..a", "Expected a field name after \".\" at character 12, found \".\"", 12),
        FilterQueryErrorCase("a\\", "Expected a character after \"\\\" at character 3, found the end of the filter", 3),
        FilterQueryErrorCase("a = 1.", "Expected a digit after \".\" at character 7, found the end of the filter", 7),
        FilterQueryErrorCase("a = 1e+x", "Expected a digit after \"e\" at character 8, found \"x\"", 8),
        FilterQueryErrorCase(
            "a = 1e999",
            "Expected a number between -1.7976931348623157e308 and 1.7976931348623157e308 at character 5, found \"1e999\"", 5),
        FilterQueryErrorCase("ア = 'b'", "Expected a value at character 1, found \"ア\"", 1),
        FilterQueryErrorCase("'ア' = )", "Expected a value after \"=\" at character 7, found \")\"", 7),
    ])
    func parseErrors(_ c: FilterQueryErrorCase) {
        #expect(throws: FQLError(message: c.message, position: c.position)) { try FilterQuery(parsing: c.query) }
    }

    // MARK: - Bounds: 10,000 characters and 64 levels of nesting

    @Test func bounds() throws {
        let longest = "a = '" + String(repeating: "x", count: FilterQuery.maxLength - 6) + "'"
        #expect(longest.count == FilterQuery.maxLength)
        _ = try FilterQuery(parsing: longest)
        #expect(throws: FQLError.self) { try FilterQuery(parsing: longest + " ") }
        do {
            _ = try FilterQuery(parsing: longest + " ")
        } catch {
            #expect(error.position == 10_001)
            #expect(error.message.contains("at most 10000 characters"))
        }

        let deep = String(repeating: "(", count: 64) + "true" + String(repeating: ")", count: 64)
        #expect(try FilterQuery(parsing: deep).matches(.null))
        let tooDeep = String(repeating: "(", count: 65) + "true" + String(repeating: ")", count: 65)
        #expect(throws: FQLError(message: "Expected at most 64 nested levels at character 65, found another \"(\"", position: 65)) {
            try FilterQuery(parsing: tooDeep)
        }
        #expect(throws: FQLError.self) { try FilterQuery(parsing: String(repeating: "!", count: 65) + "true") }
        #expect(try FilterQuery(parsing: String(repeating: "!", count: 64) + "true").matches(.null))
        #expect(throws: FQLError.self) { try FilterQuery(parsing: String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) }
        #expect(throws: FQLError.self) { try FilterQuery(parsing: String(repeating: "length(", count: 65) + "a" + String(repeating: ")", count: 65)) }

        // Long flat chains are not nesting: they evaluate without deep recursion.
        let chain = Array(repeating: "t", count: 1_500).joined(separator: " and ")
        #expect(try FilterQuery(parsing: chain).matches(["t": true]))
        let glob = "match(s, '" + String(repeating: "*a", count: 2_000) + "b')"
        #expect(try !FilterQuery(parsing: glob).matches(["s": .string(String(repeating: "a", count: 5_000))]))
    }

    // MARK: - Fuzz: random statements never crash or hang, and parse errors point inside the input

    @Test func fuzz() {
        var generator = SeededRandom(seed: 0x5EED_F11E)
        let pieces = [
            "a", "b.c", "\\ ", "'x'", "\"y\"", "'", "\"", "1", "-2.5", "1e3", "true", "false", "null", "all", "and", "or", "in",
            "!", "=", "!=", ">", ">=", "<", "<=", "(", ")", "[", "]", ",", ".", "\\", "match(", "contains(", "length(",
            "typeof(", "string(", "number(", "bool(", "titlecase(", "*", "?", "ア", " ", "\n", "#", "'a*[b-", "'\\*'",
        ]
        let events: [JSONValue] = [
            .null, ["a": 1, "b": ["c": "x"]], ["a": ["x", 1], "b": ["c": nil]], ["a": "abc", "b": ["c": [:]]], ["a": true],
        ]
        var parsed = 0
        for _ in 0..<5_000 {
            let count = Int(generator.next() % 12) + 1
            var source = ""
            for _ in 0..<count { source += pieces[Int(generator.next() % UInt64(pieces.count))] + (generator.next() % 2 == 0 ? " " : "") }
            do {
                let query = try FilterQuery(parsing: source)
                parsed += 1
                for event in events { _ = query.matches(event) }
            } catch {
                #expect(error.position >= 1 && error.position <= source.unicodeScalars.count + 1, "\(source)")
                #expect(error.message.hasPrefix("Expected"), "\(source)")
            }
        }
        #expect(parsed > 100)
    }
}
