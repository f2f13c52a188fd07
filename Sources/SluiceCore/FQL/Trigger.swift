import Foundation

/// A subscription's trigger: the FQL statement that selects which events reach the action.
///
/// Parse once when the subscription is saved (a refusal is a 422 naming `trigger`), then call
/// ``matches(_:)`` for each event routed to the destination:
///
/// ```swift
/// let trigger = try Trigger(parsing: #"type = "track" and event = "Order Completed""#)
/// trigger.matches(event)  // true or false, never throws
/// ```
///
/// The language and its strict typing are described in docs/fql.md.
public struct Trigger: Sendable, Hashable, CustomStringConvertible {
    /// The trigger exactly as the client wrote it; this is what is stored and returned.
    public let source: String
    /// The parsed statement.
    public let expression: FQLExpression

    /// Parses a trigger.
    ///
    /// - Parameter source: the FQL statement, at most 10,000 characters with at most 64 nested groups.
    /// - Throws: ``FQLError`` saying what was expected and at which character, for any input that is not a valid trigger.
    public init(parsing source: String) throws(FQLError) {
        var parser = FQLParser(source)
        self.expression = try parser.parse()
        self.source = source
    }

    /// Whether the event satisfies the trigger.
    public func matches(_ event: JSONValue) -> Bool {
        expression.matches(event)
    }

    /// The source text.
    public var description: String { source }
}
