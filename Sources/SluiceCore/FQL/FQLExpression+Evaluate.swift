import Foundation

extension FQLExpression {
    /// Whether the event satisfies the expression.
    ///
    /// `and` holds when every member holds, `or` when one does; members are evaluated left to right and
    /// evaluation stops as soon as the answer is known. An event that is not a JSON object has no fields.
    public func matches(_ event: JSONValue) -> Bool {
        switch self {
        case .condition(let condition): condition.matches(event)
        case .and(let members): members.allSatisfy { $0.matches(event) }
        case .or(let members): members.contains { $0.matches(event) }
        }
    }
}

extension FQLCondition {
    /// Whether the event's value of ``field`` satisfies ``operation``.
    public func matches(_ event: JSONValue) -> Bool {
        operation.holds(for: field.value(in: event))
    }
}

extension FQLField {
    /// The field's value in an event, or `nil` when the event does not have it.
    ///
    /// As in Segment's evaluator, `properties.…` and `traits.…` read the same object: the event's `traits`
    /// for `identify` and `group` events (which carry traits, not properties), its `properties` for every
    /// other type. Below the root, each key selects an object member, or an array element when the key is a
    /// canonical decimal index (`properties.products.0.sku`).
    public func value(in event: JSONValue) -> JSONValue? {
        var current: JSONValue?
        switch root {
        case "properties", "traits":
            let type = event["type"]?.stringValue
            current = type == "identify" || type == "group" ? event["traits"] : event["properties"]
        default:
            current = event[root]
        }
        for key in keys {
            switch current {
            case .object(let object)?:
                current = object[key]
            case .array(let array)?:
                guard let position = Self.arrayIndex(key), position < array.count else { return nil }
                current = array[position]
            default:
                return nil
            }
        }
        return current
    }

    /// The array index a key names: a canonical decimal (`0`, `7`, `12`, not `07` or `-1`), as JavaScript reads array keys.
    static func arrayIndex(_ key: String) -> Int? {
        let digits = key.utf8
        guard let first = digits.first, digits.count < 10, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            first != UInt8(ascii: "0") || digits.count == 1
        else { return nil }
        return Int(key)
    }
}

extension FQLOperation {
    /// Whether a value (`nil` when absent) satisfies the operation, with Segment's strict typing.
    ///
    /// | operation | holds when the value is |
    /// | --- | --- |
    /// | `= "s"` | a string with exactly these Unicode scalars |
    /// | `!= "s"` | anything else: another string, another type, `null`, or absent |
    /// | `= 12` / `!= 12` | a number equal / not equal to 12 (never a string, never absent) |
    /// | `= true` / `!= true` | a boolean equal / not equal to `true` |
    /// | `= null` / `!= null` | absent or `null` / present and not `null` |
    /// | `<`, `<=`, `>`, `>=` | a number that compares so |
    /// | `contains`, `match` | a string that contains / matches |
    /// | `!contains`, `!match` | a string that does not contain / match (never another type) |
    public func holds(for value: JSONValue?) -> Bool {
        switch self {
        case .equal(let literal): return literal.equals(value)
        case .notEqual(.string(let s)):
            if case .string(let v)? = value { return !ByteSearch.same(v, s) }
            return true
        case .notEqual(.number(let n)):
            if case .number(let v)? = value { return v != n }
            return false
        case .notEqual(.bool(let b)):
            if case .bool(let v)? = value { return v != b }
            return false
        case .notEqual(.null):
            return value != nil && value != .null
        case .less(let n): return value?.numberValue.map { $0 < n } ?? false
        case .lessOrEqual(let n): return value?.numberValue.map { $0 <= n } ?? false
        case .greater(let n): return value?.numberValue.map { $0 > n } ?? false
        case .greaterOrEqual(let n): return value?.numberValue.map { $0 >= n } ?? false
        case .contains(let s): return value?.stringValue.map { ByteSearch.contains($0, s) } ?? false
        case .notContains(let s): return value?.stringValue.map { !ByteSearch.contains($0, s) } ?? false
        case .match(let pattern): return value?.stringValue.map { pattern.matches($0) } ?? false
        case .notMatch(let pattern): return value?.stringValue.map { !pattern.matches($0) } ?? false
        }
    }
}

extension FQLLiteral {
    /// Whether a value (`nil` when absent) is this literal: same JSON type and same value; `null` also matches absent.
    func equals(_ value: JSONValue?) -> Bool {
        switch (self, value) {
        case (.string(let s), .string(let v)?): ByteSearch.same(v, s)
        case (.number(let n), .number(let v)?): v == n
        case (.bool(let b), .bool(let v)?): v == b
        case (.null, nil), (.null, .null?): true
        default: false
        }
    }
}
