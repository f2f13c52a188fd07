import Foundation

// The syntax tree of Segment's subscription trigger language ("FQL"), as `FQLParser` builds it.
// docs/fql.md describes the language; issue 5 is the specification.

/// A parsed trigger: one condition, or a group of expressions joined by a single logical operator.
///
/// A group never mixes `and` with `or`; the parser refuses `a and b or c` without parentheses.
/// Parentheses around a single expression leave no trace: `(a)` parses as `a`.
public indirect enum FQLExpression: Sendable, Hashable {
    /// One comparison or function call, such as `type = "track"` or `contains(event, "Order")`.
    case condition(FQLCondition)
    /// Holds when every member holds (two or more members).
    case and([FQLExpression])
    /// Holds when at least one member holds (two or more members).
    case or([FQLExpression])
}

/// One test of one field of the event: `properties.total > 100`, `!match(event, "Order*")`.
public struct FQLCondition: Sendable, Hashable {
    /// The field the condition reads.
    public var field: FQLField
    /// What the field's value must satisfy.
    public var operation: FQLOperation

    /// Creates a condition.
    public init(field: FQLField, operation: FQLOperation) {
        self.field = field
        self.operation = operation
    }
}

/// A field of the event: a root name (`type`, `userId`, `properties`, …) and the keys below it.
///
/// `properties.order.total` is root `properties` with keys `["order", "total"]`. Keys are the
/// unescaped object keys: `properties.product\ 1` has the key `product 1`.
public struct FQLField: Sendable, Hashable {
    /// The top-level name: one of ``scalarRoots`` or ``objectRoots``.
    public var root: String
    /// The object keys (or array indexes, written as decimal numbers) below the root.
    public var keys: [String]

    /// Creates a field; the parser only creates fields whose root is one of ``scalarRoots`` or ``objectRoots``.
    public init(root: String, keys: [String] = []) {
        self.root = root
        self.keys = keys
    }

    /// Top-level event fields that hold a single value and take no keys below them.
    ///
    /// Segment's subscription language names `type`, `event`, `name` and `userId`; Sluice also accepts the
    /// other identity fields of the Tracking API.
    public static let scalarRoots: [String] = ["type", "event", "name", "userId", "anonymousId", "groupId", "previousId", "messageId"]

    /// Top-level event objects whose members are reached with dotted keys.
    public static let objectRoots: [String] = ["properties", "traits", "context"]
}

/// What a field's value must satisfy, with its operand.
///
/// Every operation is strict about JSON types: see ``FQLExpression/matches(_:)`` and docs/fql.md.
public enum FQLOperation: Sendable, Hashable {
    /// `= value`.
    case equal(FQLLiteral)
    /// `!= value`.
    case notEqual(FQLLiteral)
    /// `< number`.
    case less(Double)
    /// `<= number`.
    case lessOrEqual(Double)
    /// `> number`.
    case greater(Double)
    /// `>= number`.
    case greaterOrEqual(Double)
    /// `contains(field, "text")`.
    case contains(String)
    /// `!contains(field, "text")`.
    case notContains(String)
    /// `match(field, "pattern")`.
    case match(FQLPattern)
    /// `!match(field, "pattern")`.
    case notMatch(FQLPattern)
}

/// A literal operand of `=` and `!=`.
public enum FQLLiteral: Sendable, Hashable {
    /// A double-quoted string, escapes resolved.
    case string(String)
    /// A number literal.
    case number(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
}

extension FQLExpression {
    /// How many conditions the expression holds.
    public var conditionCount: Int {
        switch self {
        case .condition: 1
        case .and(let members), .or(let members): members.reduce(0) { $0 + $1.conditionCount }
        }
    }
}
