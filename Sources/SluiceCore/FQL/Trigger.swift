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

    /// The top-level members of an event that ``matches(_:)`` reads: an event's other members cannot change its
    /// answer, so a reader may build only these (``JSONValue/parse(_:members:)``). Empty for a trigger Segment's
    /// parser cannot read (it matches nothing).
    public var eventMembers: Set<String> { segment.root?.eventMembers ?? [] }

    /// The source text.
    public var description: String { source }

    /// Where Segment's evaluator reads this trigger differently from how it is written, for a person testing it
    /// (`sluice fql eval` prints it): a trigger it cannot read, conditions it drops, keywords not in lower case.
    /// `nil` when none of these applies; a change of grouping (a function call inside parentheses) is not noticed.
    /// docs/fql.md, "How an accepted trigger is evaluated", has the rules.
    public var segmentReadingNote: String? {
        guard let root = segment.root else {
            return "Segment's parser cannot read this trigger, so it matches no event (a second level of parentheses, "
                + "a character its lexer refuses, or no condition it knows)"
        }
        let keywords: Set<String> = ["and", "or", "true", "false", "null", "contains", "match"]
        let cased = SegmentLexer.tokens(source).filter {
            $0.kind == .ident && keywords.contains($0.value.lowercased()) && !keywords.contains($0.value)
        }
        if let first = cased.first {
            return "Segment reads only lower-case keywords: to it \"\(first.value)\" is a name, so the trigger means something else; "
                + "write \"\(first.value.lowercased())\""
        }
        let written = expression.conditionCount
        let read = root.testCount
        guard read < written else { return nil }
        return "Segment's evaluator reads \(read) of the \(written) conditions written: it ignores conditions on names other "
            + "than type, event, name, userId, properties, traits and context, and contains() or match() on type"
    }
}
