import Foundation

// Segment's reading of a trigger, step 3: `validate` of `@segment/destination-subscriptions`, the
// function Segment's Actions runtime calls for every event, mirrored rule for rule.

/// Evaluating a member threw in Segment's evaluator (an empty group, a path it cannot split): no match.
struct SegmentEvaluationError: Error {}

extension SegmentSubscription {
    /// Whether Segment's evaluator lets the event through: `false` for a trigger Segment's parser fails on,
    /// for a JSON `null` event, and wherever Segment's evaluation throws.
    func matches(_ event: JSONValue) -> Bool {
        guard let root, event != .null else { return false }
        return (try? root.holds(for: event)) ?? false
    }
}

extension SegmentCondition {
    /// `validateGroupCondition` / `validateCondition`: `and` is every member, `or` is some member, each
    /// evaluated left to right until the answer is known.
    func holds(for event: JSONValue) throws(SegmentEvaluationError) -> Bool {
        switch self {
        case .test(let test):
            return try test.holds(for: event)
        case .group(let joiner, let children):
            switch joiner {
            case "and":
                for child in children {
                    guard let child else { throw SegmentEvaluationError() }
                    if try !child.holds(for: event) { return false }
                }
                return true
            case "or":
                for child in children {
                    guard let child else { throw SegmentEvaluationError() }
                    if try child.holds(for: event) { return true }
                }
                return false
            default:
                return false
            }
        }
    }
}

extension SegmentTest {
    func holds(for event: JSONValue) throws(SegmentEvaluationError) -> Bool {
        switch subject {
        case .field(let name):
            return validate(Self.topLevel(event, name))
        case .path(let root, _):
            guard let keys else { throw SegmentEvaluationError() }  // `null.reduce` in Segment's `get`
            return validate(Self.walk(Self.topLevel(event, root), keys))
        }
    }

    /// `data.NAME`: an event that is not an object (and not null) has no such member.
    static func topLevel(_ event: JSONValue, _ name: String) -> JavaScript.Value {
        event[name].map { .json($0) } ?? .undefined
    }

    /// Segment's `get(object, path)` once the path is split into runs of characters other than `.`, `[` and
    /// `]`: each step is `previous && previous[key]`, so a falsy value stops the walk and is the answer; an
    /// empty path reads `undefined`.
    static func walk(_ object: JavaScript.Value, _ keys: [String]) -> JavaScript.Value {
        if keys.isEmpty { return .undefined }
        var current = object
        for key in keys {
            guard current.isTruthy else { return current }
            current = current.member(key)
        }
        return current
    }

    /// `validateValue`: Segment's operators on the value found.
    func validate(_ actual: JavaScript.Value) -> Bool {
        let string: String.UTF16View? = if case .json(.string(let s)) = actual { s.utf16 } else { nil }
        let number: Double? = if case .json(.number(let n)) = actual { n } else { nil }
        let text = expectedText
        let expected = expectedNumber
        switch op {
        case "=": return equalsExpected(actual)
        case "!=": return !equalsExpected(actual)
        case "number_equals": return number.map { $0 == expected } ?? false
        case "number_not_equals": return number.map { $0 != expected } ?? false
        case "<": return number.map { $0 < expected } ?? false
        case "<=": return number.map { $0 <= expected } ?? false
        case ">": return number.map { $0 > expected } ?? false
        case ">=": return number.map { $0 >= expected } ?? false
        case "contains": return string.map { Self.includes($0, text) } ?? false
        case "not_contains": return string.map { !Self.includes($0, text) } ?? false
        case "starts_with": return string.map { $0.starts(with: text) } ?? false
        case "not_starts_with": return string.map { !$0.starts(with: text) } ?? false
        case "ends_with": return string.map { $0.reversed().starts(with: text.reversed()) } ?? false
        case "not_ends_with": return string.map { !$0.reversed().starts(with: text.reversed()) } ?? false
        case "exists": return actual != .undefined && actual != .json(.null)
        case "not_exists": return actual == .undefined || actual == .json(.null)
        case "is_true": return actual == .json(.bool(true))
        case "is_false": return actual == .json(.bool(false))
        default: return false
        }
    }

    /// `actual === String(operand)`.
    func equalsExpected(_ actual: JavaScript.Value) -> Bool {
        guard case .json(.string(var text)) = actual else { return false }
        return text.withUTF8 { $0.elementsEqual(expectedUTF8) }
    }

    /// `String.prototype.includes` on UTF-16 code units.
    static func includes(_ haystack: String.UTF16View, _ needle: [UInt16]) -> Bool {
        guard let first = needle.first else { return true }
        let units = Array(haystack)
        guard units.count >= needle.count else { return false }
        var i = 0
        while i <= units.count - needle.count {
            if units[i] == first, units[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
