import Foundation

/// The `if` of a destination filter: a statement in Segment's Filter Query Language (FQL), parsed once.
///
/// For example:
///
/// ```swift
/// let query = try FilterQuery(parsing: "type = 'track' and match(event, 'Button *')")
/// query.matches(["type": "track", "event": "Button Clicked"])  // true
/// ```
///
/// The language is the one of Segment's reference (`src/api/public-api/fql.md`):
///
/// - Values are strings, numbers, lists, booleans and `null`. Literals: `'single'` or `"double"` quoted strings,
///   numbers (`-1.5e3`), `true`, `false`, `null` and lists (`['a', 1]`).
/// - A field path (`context.library.name`) reads the event; a segment may hold any character escaped with `\`
///   (`properties.product\ 1.price`). A path that does not exist, or crosses a non-object, reads as `null`.
///   A segment with an escape is never a keyword: `\and` is the field `and`.
/// - Operators, from the loosest to the tightest: `or`, `and`, `!` (SQL's `NOT`: `!type = 'track'` is
///   `!(type = 'track')`), then one comparison `=`, `!=`, `>`, `>=`, `<`, `<=` or `in`. Parentheses group.
///   `and` binding tighter than `or` is the usual rule: `a or b and c` is `a or (b and c)`.
/// - `=` is true when both sides have the same type and are equal (lists element by element, objects key by key);
///   `!=` is its negation. `>`, `>=`, `<`, `<=` compare numbers and are false for anything else.
///   `x in list` is true when the scalar `x` equals an element of the list; false when `x` is a list or an object
///   or the right side is not a list.
/// - Truthiness: only JSON `true` is true. A condition that is a path alone (`properties.enabled`) holds only when
///   the field is the boolean `true`; the string `"true"`, `1` and non-empty lists do not count. `!x` is true
///   whenever `x` is not `true` (so `!properties.missing` holds). This errs on the side of not matching.
/// - Functions: `contains`, `length`, `lowercase`, `uppercase`, `snakecase`, `kebabcase`, `titlecase`, `typeof`,
///   `match`, `bool`, `string` and `number`; see `docs/filters.md` for each one's answer on every type.
///   `typeof` of an object is `"object"`, a type the reference does not list.
/// - The whole statement may be `all`, which matches every event.
///
/// Input is bounded: at most ``maxLength`` characters and ``maxDepth`` levels of nesting.
/// Matching never throws: an operand of the wrong type makes its operator or function answer `false` or `null`.
public struct FilterQuery: Sendable, Hashable {
    /// The statement as written.
    public let source: String
    /// The compiled tree; `nil` for `all`.
    let root: Node?

    /// The longest statement accepted, in characters (Unicode scalars).
    public static let maxLength = 10_000
    /// The deepest nesting accepted: parentheses, lists, function calls and `!` each add a level.
    public static let maxDepth = 64

    /// Parses and compiles a statement.
    ///
    /// - Parameter source: an FQL statement, or `all`.
    /// - Throws: ``FQLError`` saying what was expected and at which character (counted from 1), for example
    ///   `Expected a value after "=" at character 8, found the end of the filter`.
    public init(parsing source: String) throws(FQLError) {
        self.source = source
        var parser = try Parser(source: source)
        root = try parser.parseStatement()
    }

    /// Whether the event satisfies the statement: its value is JSON `true` (or the statement is `all`).
    ///
    /// - Parameter event: the event as received, usually an object.
    /// - Returns: `true` when the filter's actions apply to the event.
    public func matches(_ event: JSONValue) -> Bool {
        guard let root else { return true }
        return root.test(in: event)
    }

    /// Two queries are equal when their sources are: the same text always compiles to the same tree.
    public static func == (lhs: FilterQuery, rhs: FilterQuery) -> Bool { lhs.source == rhs.source }

    /// Hashes the source, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

// MARK: - Compiled tree

extension FilterQuery {
    /// A function of the language.
    enum Function: String, Sendable, CaseIterable {
        case contains, length, lowercase, uppercase, snakecase, kebabcase, titlecase, typeof, match, bool, string, number

        /// How many arguments it takes.
        var arity: Int {
            switch self {
            case .contains, .match: 2
            default: 1
            }
        }
    }

    /// A comparison operator.
    enum Comparison: String, Sendable {
        case equal = "="
        case notEqual = "!="
        case greater = ">"
        case greaterOrEqual = ">="
        case less = "<"
        case lessOrEqual = "<="
    }

    /// A compiled expression.
    indirect enum Node: Sendable {
        case literal(JSONValue)
        case path([String])
        case not(Node)
        case and([Node])
        case or([Node])
        case compare(Comparison, Node, Node)
        case inList(Node, Node)
        case list([Node])
        /// `match` with a literal pattern, compiled once.
        case matchGlob(Node, Glob)
        /// A function with its one or two arguments (every function takes one or two).
        case call(Function, Node, Node?)
    }
}

extension FilterQuery.Node {
    /// Whether the expression's value is JSON `true`, without building the boolean value.
    func test(in event: JSONValue) -> Bool {
        switch self {
        case .and(let nodes):
            for node in nodes where !node.test(in: event) { return false }
            return true
        case .or(let nodes):
            for node in nodes where node.test(in: event) { return true }
            return false
        case .not(let node):
            return !node.test(in: event)
        case .compare(let op, let lhs, let rhs):
            return Self.compare(op, lhs.evaluate(in: event), rhs.evaluate(in: event))
        case .inList(let lhs, let rhs):
            return Self.isElement(lhs.evaluate(in: event), of: rhs.evaluate(in: event))
        case .matchGlob(let subject, let glob):
            guard case .string(let s) = subject.evaluate(in: event) else { return false }
            return glob.matches(s)
        case .literal, .path, .list, .call:
            if case .bool(true) = evaluate(in: event) { return true }
            return false
        }
    }

    /// The expression's value for one event.
    func evaluate(in event: JSONValue) -> JSONValue {
        switch self {
        case .literal(let value):
            return value
        case .path(let segments):
            return Self.lookup(segments, in: event)
        case .list(let nodes):
            return .array(nodes.map { $0.evaluate(in: event) })
        case .call(let function, let first, let second):
            return FilterQuery.call(function, first.evaluate(in: event), second?.evaluate(in: event) ?? .null)
        case .not, .and, .or, .compare, .inList, .matchGlob:
            return .bool(test(in: event))
        }
    }

    static func lookup(_ segments: [String], in event: JSONValue) -> JSONValue {
        guard case .object(var object) = event else { return .null }
        let last = segments.count - 1
        for i in 0..<last {
            guard case .object(let next)? = object[segments[i]] else { return .null }
            object = next
        }
        return object[segments[last]] ?? .null
    }

    static func compare(_ op: FilterQuery.Comparison, _ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch op {
        case .equal: return lhs == rhs
        case .notEqual: return lhs != rhs
        default:
            guard case .number(let l) = lhs, case .number(let r) = rhs else { return false }
            switch op {
            case .greater: return l > r
            case .greaterOrEqual: return l >= r
            case .less: return l < r
            default: return l <= r
            }
        }
    }

    static func isElement(_ lhs: JSONValue, of rhs: JSONValue) -> Bool {
        guard case .array(let elements) = rhs else { return false }
        switch lhs {
        case .array, .object: return false
        default: return elements.contains(lhs)
        }
    }
}
