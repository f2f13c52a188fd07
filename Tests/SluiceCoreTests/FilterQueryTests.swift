import SluiceCore
import Testing

/// One row of a table: a statement and whether it matches.
struct FilterQueryCase: CustomTestStringConvertible, Sendable {
    let query: String
    let expected: Bool
    init(_ query: String, _ expected: Bool) {
        self.query = query
        self.expected = expected
    }
    var testDescription: String { "\(query) → \(expected)" }
}

/// An event with a value of every type.
let filterQueryEvent: JSONValue = [
    "s": "Hello World", "empty": "", "n": 42, "f": 1.5, "neg": -2, "t": true, "fa": false, "nul": nil,
    "list": ["a", 1, true, nil], "nums": [1, 2], "emptyList": [], "obj": ["k": "v"], "emptyObj": [:],
    "uni": "ア", "numText": " 3.5", "yes": "true", "one": "1", "tabbed": "a\tb c",
]

@Suite struct FilterQueryTests {
    // MARK: - Segment's reference: the example table of src/api/public-api/fql.md, verbatim

    static let referenceEvent: JSONValue = [
        "event": "Button Clicked",
        "type": "track",
        "context": ["library": ["name": "analytics.js", "version": "1.0"]],
        "properties": ["features": ["discounts", "dark-mode"]],
    ]

    @Test(arguments: [
        FilterQueryCase("event = 'Button Clicked'", true),
        FilterQueryCase("event = 'Screen Tapped'", false),
        FilterQueryCase("context.path.path = '/login'", false),
        FilterQueryCase("type = 'identify' or type = 'track'", true),
        FilterQueryCase("event = 'Button Clicked' and type = 'track'", true),
        FilterQueryCase("match( context.library.version, '1.*' )", true),
        FilterQueryCase("match( context.library.version, '2.*' )", false),
        FilterQueryCase("type = 'track' and ( event = 'Click' or match( event, 'Button *' ) )", true),
        FilterQueryCase("!contains( context.library.name, 'js' )", false),
        FilterQueryCase("'dark-mode' in properties.features", true),
        FilterQueryCase("'blink' in properties.features", false),
        // The reference's subexpression examples parse and evaluate.
        FilterQueryCase("type = 'track' and ( event = 'Click' or match( 'Button *', event ) )", false),
        FilterQueryCase("( type = 'track' or type = 'identify' ) and ( properties.enabled or match( traits.email, '*@company.com' ) )", false),
        FilterQueryCase("!( type in ['track', 'identify'] )", false),
    ])
    func referenceExamples(_ c: FilterQueryCase) throws {
        #expect(try FilterQuery(parsing: c.query).matches(Self.referenceEvent) == c.expected)
    }

    // MARK: - Glob: the reference's match() table, plus sets, escapes and the whole-string rule

    @Test(arguments: [
        FilterQueryCase("match( 'abcd', 'a*d' )", true),
        FilterQueryCase("match( '', '*' )", true),
        FilterQueryCase("match( 'abc', 'ab' )", false),
        FilterQueryCase("match( 'abcd', 'a??d' )", true),
        FilterQueryCase("match( 'abcd', '*d' )", true),
        FilterQueryCase("match( 'ab*d', 'ab\\*d' )", true),
        FilterQueryCase("match( 'abCd', 'ab[cC]d' )", true),
        FilterQueryCase("match( 'abcd', 'ab[a-z]d' )", true),
        FilterQueryCase("match( 'abcd', 'ab[A-Z]d' )", false),
        FilterQueryCase("match( 'abxd', 'ab\\*d' )", false),
        FilterQueryCase("match( 'abc', 'ABC' )", false),
        FilterQueryCase("match( 'abc', '?' )", false),
        FilterQueryCase("match( 'ア', '?' )", true),
        FilterQueryCase("match( 'a]', 'a\\]' )", true),
        FilterQueryCase("match( 'a?', 'a\\?' )", true),
        FilterQueryCase("match( 'ab', 'a\\?' )", false),
        FilterQueryCase("match( 'b', '[^a]' )", true),
        FilterQueryCase("match( 'a', '[!a]' )", false),
        FilterQueryCase("match( ']', '[]]' )", true),
        FilterQueryCase("match( '[a', '[a' )", true),
        FilterQueryCase("match( 'x-', 'x[a-]' )", true),
        FilterQueryCase("match( 'a**b', 'a*\\**b' )", true),
        FilterQueryCase("match( 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '*a*a*a*a*a*a*a*a*a*a*a*a*b' )", false),
        FilterQueryCase("match( s, 'Hello*' )", true),
        FilterQueryCase("match( s, p )", false),
        FilterQueryCase("match( 'a', lowercase('A') )", true),
        FilterQueryCase("match( nul, '*' )", false),
        FilterQueryCase("match( missing, '*' )", false),
        FilterQueryCase("match( n, '*' )", false),
        FilterQueryCase("match( s, nul )", false),
    ])
    func glob(_ c: FilterQueryCase) throws {
        #expect(try FilterQuery(parsing: c.query).matches(filterQueryEvent) == c.expected)
    }

    // MARK: - Comparison operators on each type; = needs the same type and equal values

    @Test(arguments: [
        FilterQueryCase("s = 'Hello World'", true), FilterQueryCase("s = \"Hello World\"", true),
        FilterQueryCase("s = 'hello world'", false), FilterQueryCase("s != 'x'", true),
        FilterQueryCase("n = 42", true), FilterQueryCase("n = 42.0", true), FilterQueryCase("n = '42'", false),
        FilterQueryCase("n != '42'", true), FilterQueryCase("f = 1.5", true), FilterQueryCase("neg = -2", true),
        FilterQueryCase("n = 4.2e1", true), FilterQueryCase("t = true", true), FilterQueryCase("t = 'true'", false),
        FilterQueryCase("t = 1", false), FilterQueryCase("fa = false", true), FilterQueryCase("fa = null", false),
        FilterQueryCase("nul = null", true), FilterQueryCase("missing = null", true), FilterQueryCase("missing != null", false),
        FilterQueryCase("nul = missing", true), FilterQueryCase("empty = null", false), FilterQueryCase("empty = ''", true),
        FilterQueryCase("list = ['a', 1, true, null]", true), FilterQueryCase("list = ['a', 1, true]", false),
        FilterQueryCase("nums = [1, 2]", true), FilterQueryCase("nums = [2, 1]", false), FilterQueryCase("nums != [2, 1]", true),
        FilterQueryCase("emptyList = []", true), FilterQueryCase("nums = [1, n]", false), FilterQueryCase("[n] = [42]", true),
        FilterQueryCase("obj = obj", true), FilterQueryCase("obj = null", false), FilterQueryCase("obj != emptyObj", true),
        FilterQueryCase("n > 41", true), FilterQueryCase("n > 42", false), FilterQueryCase("n >= 42", true),
        FilterQueryCase("n < 43", true), FilterQueryCase("n <= 42", true), FilterQueryCase("n < 42", false),
        FilterQueryCase("neg < 0", true), FilterQueryCase("f > 1", true),
        FilterQueryCase("s > 'A'", false), FilterQueryCase("s < 'z'", false), FilterQueryCase("numText > 1", false),
        FilterQueryCase("t > false", false), FilterQueryCase("missing < 1", false), FilterQueryCase("missing >= 0", false),
        FilterQueryCase("nums > 0", false), FilterQueryCase("nul <= 0", false),
    ])
    func comparisons(_ c: FilterQueryCase) throws {
        #expect(try FilterQuery(parsing: c.query).matches(filterQueryEvent) == c.expected)
    }

    // MARK: - in: a scalar on the left, a list on the right

    @Test(arguments: [
        FilterQueryCase("'a' in list", true), FilterQueryCase("1 in list", true), FilterQueryCase("true in list", true),
        FilterQueryCase("null in list", true), FilterQueryCase("missing in list", true), FilterQueryCase("'1' in list", false),
        FilterQueryCase("false in list", false), FilterQueryCase("n in [1, 42]", true), FilterQueryCase("s in ['x', s]", true),
        FilterQueryCase("'a' in s", false), FilterQueryCase("'a' in missing", false), FilterQueryCase("'a' in []", false),
        FilterQueryCase("nums in [[1, 2]]", false), FilterQueryCase("obj in [obj]", false),
        FilterQueryCase("!('x' in list)", true), FilterQueryCase("!'x' in list", true),
    ])
    func inOperator(_ c: FilterQueryCase) throws {
        #expect(try FilterQuery(parsing: c.query).matches(filterQueryEvent) == c.expected)
    }

    // MARK: - and, or, ! and truthiness: only JSON true is true

    @Test(arguments: [
        FilterQueryCase("t", true), FilterQueryCase("fa", false), FilterQueryCase("nul", false), FilterQueryCase("missing", false),
        FilterQueryCase("s", false), FilterQueryCase("yes", false), FilterQueryCase("n", false), FilterQueryCase("nums", false),
        FilterQueryCase("obj", false), FilterQueryCase("true", true), FilterQueryCase("false", false), FilterQueryCase("null", false),
        FilterQueryCase("'true'", false), FilterQueryCase("1", false), FilterQueryCase("lowercase(s)", false),
        FilterQueryCase("!t", false), FilterQueryCase("!fa", true), FilterQueryCase("!missing", true), FilterQueryCase("!s", true),
        FilterQueryCase("!!t", true), FilterQueryCase("t and t", true), FilterQueryCase("t and fa", false),
        FilterQueryCase("t and missing", false), FilterQueryCase("missing and missing", false), FilterQueryCase("t or fa", true),
        FilterQueryCase("fa or missing", false), FilterQueryCase("missing or t", true), FilterQueryCase("s or n", false),
        FilterQueryCase("t and t and t and fa", false), FilterQueryCase("fa or fa or fa or t", true),
    ])
    func booleans(_ c: FilterQueryCase) throws {
        #expect(try FilterQuery(parsing: c.query).matches(filterQueryEvent) == c.expected)
    }

    // MARK: - Precedence: ! looser than comparisons, and tighter than or, parentheses group

    @Test(arguments: [
        FilterQueryCase("t or fa and fa", true),  // t or (fa and fa)
        FilterQueryCase("(t or fa) and fa", false),
        FilterQueryCase("fa and fa or t", true),  // (fa and fa) or t
        FilterQueryCase("fa and (fa or t)", false),
        FilterQueryCase("!n = 42", false),  // !(n = 42)
        FilterQueryCase("!n = 41 and t", true),  // (!(n = 41)) and t
        FilterQueryCase("!fa and fa", false),  // (!fa) and fa
        FilterQueryCase("!(fa and fa)", true),
        FilterQueryCase("n = 42 and s = 'Hello World' or fa", true),
        FilterQueryCase("((((t))))", true),
        FilterQueryCase("t and (fa or (t and !fa))", true),
    ])
    func precedence(_ c: FilterQueryCase) throws {
        #expect(try FilterQuery(parsing: c.query).matches(filterQueryEvent) == c.expected)
    }

    // MARK: - Functions on each type, null and missing fields, with the reference's null defaults

    @Test(arguments: [
        // contains(s, sub): strings only, bytes compared; contains(null, s) = false
        FilterQueryCase("contains(s, 'lo W')", true), FilterQueryCase("contains(s, 'low')", false),
        FilterQueryCase("contains(s, '')", true), FilterQueryCase("contains(nul, 'a')", false),
        FilterQueryCase("contains(missing, 'a')", false), FilterQueryCase("contains(list, 'a')", false),
        FilterQueryCase("contains(n, '4')", false), FilterQueryCase("contains(s, nul)", false),
        FilterQueryCase("contains(uni, 'ア')", true),
        FilterQueryCase("contains('\(String(repeating: "ab", count: 40))c', '\(String(repeating: "ab", count: 20))c')", true),
        FilterQueryCase("contains('\(String(repeating: "ab", count: 40))', '\(String(repeating: "ab", count: 20))c')", false),
        // length: UTF-8 bytes of strings, elements of lists, 0 for null, null otherwise
        FilterQueryCase("length(s) = 11", true), FilterQueryCase("length(uni) = 3", true), FilterQueryCase("length(empty) = 0", true),
        FilterQueryCase("length(list) = 4", true), FilterQueryCase("length(emptyList) = 0", true),
        FilterQueryCase("length(nul) = 0", true), FilterQueryCase("length(missing) = 0", true),
        FilterQueryCase("length(userId) > 0", false), FilterQueryCase("length(n) = null", true),
        FilterQueryCase("length(t) = null", true), FilterQueryCase("length(obj) = null", true),
        // lowercase, uppercase: strings; null (and other types) give null
        FilterQueryCase("lowercase(s) = 'hello world'", true), FilterQueryCase("uppercase(s) = 'HELLO WORLD'", true),
        FilterQueryCase("lowercase(nul) = null", true), FilterQueryCase("lowercase(missing) = null", true),
        FilterQueryCase("uppercase(n) = null", true), FilterQueryCase("lowercase('ÄB') = 'äb'", true),
        // snakecase, kebabcase, titlecase: whitespace replaced, or words capitalized
        FilterQueryCase("snakecase('test string') = 'test_string'", true), FilterQueryCase("snakecase(tabbed) = 'a_b_c'", true),
        FilterQueryCase("kebabcase('test string') = 'test-string'", true), FilterQueryCase("kebabcase(nul) = null", true),
        FilterQueryCase("titlecase('test string') = 'Test String'", true), FilterQueryCase("titlecase('hELLO wORLD') = 'HELLO WORLD'", true),
        FilterQueryCase("titlecase(missing) = null", true), FilterQueryCase("snakecase(list) = null", true),
        // typeof: string, number, list, bool, null, and object for objects
        FilterQueryCase("typeof(s) = 'string'", true), FilterQueryCase("typeof(n) = 'number'", true),
        FilterQueryCase("typeof(list) = 'list'", true), FilterQueryCase("typeof(t) = 'bool'", true),
        FilterQueryCase("typeof(nul) = 'null'", true), FilterQueryCase("typeof(missing) = 'null'", true),
        FilterQueryCase("typeof(obj) = 'object'", true), FilterQueryCase("typeof(typeof(n)) = 'string'", true),
        // bool: numbers other than 0, ParseBool strings, non-empty lists and objects
        FilterQueryCase("bool(t)", true), FilterQueryCase("bool(fa)", false), FilterQueryCase("bool(n)", true),
        FilterQueryCase("bool(0)", false), FilterQueryCase("bool(yes)", true), FilterQueryCase("bool(one)", true),
        FilterQueryCase("bool('TRUE')", true), FilterQueryCase("bool('yes')", false), FilterQueryCase("bool(s)", false),
        FilterQueryCase("bool(list)", true), FilterQueryCase("bool(emptyList)", false), FilterQueryCase("bool(nul)", false),
        FilterQueryCase("bool(missing)", false), FilterQueryCase("bool(obj)", true),
        // string: strings as they are, others as their JSON text
        FilterQueryCase("string(s) = 'Hello World'", true), FilterQueryCase("string(n) = '42'", true),
        FilterQueryCase("string(f) = '1.5'", true), FilterQueryCase("string(t) = 'true'", true),
        FilterQueryCase("string(nul) = 'null'", true), FilterQueryCase("string(missing) = 'null'", true),
        FilterQueryCase("string(nums) = '[1,2]'", true), FilterQueryCase("string(obj) = '{\"k\":\"v\"}'", true),
        // number: numbers as they are, numeric strings parsed, null otherwise
        FilterQueryCase("number(n) = 42", true), FilterQueryCase("number(numText) = 3.5", true),
        FilterQueryCase("number(one) = 1", true), FilterQueryCase("number(s) = null", true),
        FilterQueryCase("number(t) = null", true), FilterQueryCase("number(nul) = null", true),
        FilterQueryCase("number('1e3') > 999", true), FilterQueryCase("number('nan') = null", true),
        FilterQueryCase("number('0x10') = null", true), FilterQueryCase("number('1,5') = null", true),
    ])
    func functions(_ c: FilterQueryCase) throws {
        #expect(try FilterQuery(parsing: c.query).matches(filterQueryEvent) == c.expected)
    }

    // MARK: - Escapes in field paths and strings

    @Test func escapes() throws {
        let event: JSONValue = [
            "properties": ["product 1": ["price": "19.99"], "a.b": 1, "and": true, "é": "x", "q'": "y"],
            "text": "it's \"quoted\" \\ done", "multi": "a\nb",
        ]
        let cases: [FilterQueryCase] = [
            FilterQueryCase("properties.product\\ 1.price = '19.99'", true),
            FilterQueryCase("properties.a\\.b = 1", true),
            FilterQueryCase("properties.a.b = 1", false),
            FilterQueryCase("properties.\\and", true),
            FilterQueryCase("properties.\\é = 'x'", true),
            FilterQueryCase("properties.q\\' = 'y'", true),
            FilterQueryCase("text = 'it\\'s \"quoted\" \\\\ done'", true),
            FilterQueryCase("text = \"it's \\\"quoted\\\" \\\\ done\"", true),
            FilterQueryCase("multi = 'a\\nb'", true),
            FilterQueryCase("length('\\t') = 1", true),
            FilterQueryCase("length('\\*') = 2", true),  // unknown escapes keep their backslash, for glob patterns
            FilterQueryCase("properties.product\\ 1 = null", false),
        ]
        for c in cases {
            #expect(try FilterQuery(parsing: c.query).matches(event) == c.expected, "\(c.query)")
        }
    }

    // MARK: - all, literals, whitespace, and the value of equality and hashing

    @Test func allAndShapes() throws {
        #expect(try FilterQuery(parsing: "all").matches(.null))
        #expect(try FilterQuery(parsing: "  all\n").matches(["type": "track"]))
        #expect(try FilterQuery(parsing: "all = 'x'").matches(["all": "x"]))
        #expect(try FilterQuery(parsing: "\ttype\n=\r\n'track'").matches(["type": "track"]))
        #expect(try !FilterQuery(parsing: "type = 'track'").matches(.null))
        #expect(try !FilterQuery(parsing: "type = 'track'").matches(["track"]))
        #expect(try FilterQuery(parsing: "type = 'track'") == FilterQuery(parsing: "type = 'track'"))
        #expect(try FilterQuery(parsing: "type = 'track'").source == "type = 'track'")
        #expect(try Set([FilterQuery(parsing: "a"), FilterQuery(parsing: "a"), FilterQuery(parsing: "b")]).count == 2)
    }
}
