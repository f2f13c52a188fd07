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
    /// The parsed statement, as Sluice's grammar reads it (docs/fql.md).
    public let expression: FQLExpression
    /// The trigger as Segment's own parser reads it; this is what ``matches(_:)`` evaluates.
    let segment: SegmentSubscription

    /// Parses a trigger.
    ///
    /// - Parameter source: the FQL statement, at most 10,000 characters with at most 64 nested groups.
    /// - Throws: ``FQLError`` saying what was expected and at which character, for any input that is not a valid trigger.
    public init(parsing source: String) throws(FQLError) {
        var parser = FQLParser(source)
        self.expression = try parser.parse()
        self.segment = SegmentSubscription(parsing: source)
        self.source = source
    }

    /// Whether the event triggers the subscription: exactly the answer of Segment's evaluator (`validate` of
    /// `@segment/destination-subscriptions`) for this trigger and event, quirks included (docs/fql.md).
    public func matches(_ event: JSONValue) -> Bool {
        segment.matches(event)
    }

    /// The source text.
    public var description: String { source }
}
