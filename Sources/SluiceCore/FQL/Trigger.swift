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

    /// A member the event must hold as one exact string for ``matches(_:)`` to be true, when the trigger has such a
    /// condition joined by `and` to all the others (`event = "Order Completed"`; `type = "track"` when there is no
    /// other): a router can rule out most events for most triggers by comparing one string, and evaluate the trigger
    /// only for those it admits. `nil` when the trigger has none.
    public var gate: TriggerGate? {
        guard case .group("and", let children)? = segment.root else { return nil }
        var found: TriggerGate?
        for case .test(let test)? in children where test.op == "=" {
            guard case .field(let name) = test.subject else { continue }
            // `type` takes one of six values: any other member rules out more events.
            if name != "type" { return TriggerGate(member: name, utf8: test.expectedUTF8) }
            found = found ?? TriggerGate(member: name, utf8: test.expectedUTF8)
        }
        return found
    }

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

/// A condition a trigger's every match meets (``Trigger/gate``): the event's `member` is a string of exactly these
/// UTF-8 bytes. Segment's `=` is JavaScript's `===` on the string, so `"é"` written in two ways is two strings.
public struct TriggerGate: Sendable, Hashable {
    /// The top-level member read (`event`, `type`, `name` or `userId`).
    public let member: String
    let utf8: [UInt8]

    /// Whether `value`, the event's member (`nil` when it has none), can let the trigger match.
    public func admits(_ value: JSONValue?) -> Bool {
        guard case .string(var text)? = value else { return false }
        return text.withUTF8 { $0.elementsEqual(utf8) }
    }
}
